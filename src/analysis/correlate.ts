/**
 * Correlation: every sighting of the same inner packet, on whatever interface and node, joins
 * one Group. Groups live while sightings keep coming and close `window` ns after the last one,
 * or only `slack` ns after it once the packet has been seen at its destination pod (nothing more
 * is coming; the slack covers frames out of timestamp order). Groups are handed on as they
 * close, so a packet that got lost is printed a window after the ones around it. State is
 * bounded by the traffic of one window, whatever the capture size.
 *
 * A sighting joins the newest open group with the same identity (identity.ts) unless that group
 * already has the packet on the same interface unchanged (a retransmission or a duplicate is a
 * new packet), or neither side of the conversation matches (no NAT rewrites both). A TCP
 * segment with no identity match joins an open GSO super-packet of the same flow direction (same
 * ack) whose sequence range contains it: the segment is part of the super-packet's journey.
 *
 * Memory. A group waits for its window to close, long enough for V8 to move what it holds out of
 * the young generation, where it dies expensively. So an open group keeps only its first
 * sighting as an object; the others are rows of typed arrays (OpenRows), made into objects
 * again when it closes, and let go of once it has been handed on (a closed group left in the
 * old generation would otherwise keep them alive through every young collection until the next
 * full one).
 */
import type { Source } from '../capture/frame.js';
import { PROTO_TCP, TCP_ACK, type ArpObs, type Obs } from './extract.js';
import { identityKey, natCompatible, sameIdentity } from './identity.js';
import { INTS, NUMS, readRow, refillRow, writeSighting } from './sighting-columns.js';
import { MinHeap } from '../util/heap.js';

/** Sightings of open groups, a row each, in growable columns; a row is reused once its group closes. */
class OpenRows {
  private cap = 0;
  private ints: Int32Array = new Int32Array(0);
  private nums: Float64Array = new Float64Array(0);
  private t: Float64Array = new Float64Array(0);
  private key: Int32Array = new Int32Array(0);
  private frame: Float64Array = new Float64Array(0);
  private sec: Float64Array = new Float64Array(0);
  private nsec: Int32Array = new Int32Array(0);
  private wireLen: Int32Array = new Int32Array(0);
  // what correlation compares, as the Obs getters give it
  src32: Int32Array = new Int32Array(0);
  dst32: Int32Array = new Int32Array(0);
  ttl: Int32Array = new Int32Array(0);
  enc: Int32Array = new Int32Array(0);
  seq: Float64Array = new Float64Array(0);
  /** The next row of the same group (-1: the last). */
  next: Int32Array = new Int32Array(0);
  readonly source: (Source | undefined)[] = [];
  private readonly arp: (ArpObs | undefined)[] = [];
  private readonly free: number[] = [];
  /** Sightings of closed groups given back (Correlator `reuse`), refilled by take. */
  readonly spare: Obs[] = [];

  add(o: Obs): number {
    if (!this.free.length) this.grow();
    const r = this.free.pop()!;
    writeSighting(o, this.ints, this.nums, r);
    this.t[r] = o.t;
    this.key[r] = o.key;
    this.frame[r] = o.frame;
    this.sec[r] = o.sec;
    this.nsec[r] = o.nsec;
    this.wireLen[r] = o.wireLen;
    this.src32[r] = o.src32;
    this.dst32[r] = o.dst32;
    this.ttl[r] = o.ttl;
    this.enc[r] = o.enc;
    this.seq[r] = o.seq;
    this.next[r] = -1;
    this.source[r] = o.source;
    this.arp[r] = o.arp;
    return r;
  }

  /** The sighting of row r as an object again; the row is then free. */
  take(r: number): Obs {
    const s = this.spare.pop();
    const o = s
      ? refillRow(s, this.source[r]!, this.frame[r], this.sec[r], this.nsec[r], this.wireLen[r], this.ints, this.nums, r)
      : (readRow(this.source[r]!, this.frame[r], this.sec[r], this.nsec[r], this.wireLen[r], this.ints, this.nums, r) as Obs);
    o.t = this.t[r];
    o.key = this.key[r];
    o.arp = this.arp[r];
    this.source[r] = undefined;
    this.arp[r] = undefined;
    this.free.push(r);
    return o;
  }

  private grow(): void {
    const old = this.cap;
    const cap = Math.max(1024, old * 2);
    const i32 = (a: Int32Array, per: number): Int32Array => {
      const b = new Int32Array(cap * per);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array, per: number): Float64Array => {
      const b = new Float64Array(cap * per);
      b.set(a);
      return b;
    };
    this.ints = i32(this.ints, INTS);
    this.nums = f64(this.nums, NUMS);
    this.t = f64(this.t, 1);
    this.key = i32(this.key, 1);
    this.frame = f64(this.frame, 1);
    this.sec = f64(this.sec, 1);
    this.nsec = i32(this.nsec, 1);
    this.wireLen = i32(this.wireLen, 1);
    this.src32 = i32(this.src32, 1);
    this.dst32 = i32(this.dst32, 1);
    this.ttl = i32(this.ttl, 1);
    this.enc = i32(this.enc, 1);
    this.seq = f64(this.seq, 1);
    this.next = i32(this.next, 1);
    for (let r = cap - 1; r >= old; r--) this.free.push(r);
    this.cap = cap;
  }
}

const NO_OBS: Obs[] = [];

export class Group {
  /**
   * Every sighting in the order they joined, while the group is handed on (onClose); before,
   * the first only (the others are rows), after, none.
   */
  obs: Obs[];
  /** The first sighting. */
  rep: Obs;
  /** While open: the first and last rows (OpenRows) of the sightings after the first, a list through OpenRows.next. */
  firstRow = -1;
  lastRow = -1;
  firstT: number;
  lastT: number;
  /** Largest TCP payload seen (for GSO range joins). */
  maxLen: number;
  /** Some sighting joined by sequence range: a GSO super-packet and its segments. */
  gso = false;
  /** `rep` is a copy made for this group (it may be refilled when the group is used again). */
  ownRep = false;
  heapPos = -1;
  closed = false;
  /** Seen where it was going (its destination pod): closes after the short slack, not the window. */
  complete = false;
  /** Corrected time after which the group closes. */
  deadline = 0;
  /**
   * The deadline and first time the heap last ordered this group by: while a group's key only
   * grows (each sighting moves its deadline later), it is left where it is and put in its place
   * only when it comes to the top (Correlator.advance): once per group instead of once per
   * sighting, each a walk down the heap.
   */
  heapDeadline = 0;
  heapFirstT = 0;
  // chains of open groups with the same identity hash / the same TCP ack, newest first
  nextKey: Group | undefined;
  prevKey: Group | undefined;
  nextAck: Group | undefined;
  prevAck: Group | undefined;
  inAck = false;
  constructor(
    public seq: number,
    o: Obs,
  ) {
    this.obs = [o];
    this.rep = o;
    this.firstT = o.t;
    this.lastT = o.t;
    this.maxLen = o.l4len;
  }

  /** This closed group as a new one, number `seq`, first seen as `o` (copied into its first sighting). */
  renew(seq: number, o: Obs): Group {
    this.seq = seq;
    this.rep.copyFrom(o);
    this.obs = [this.rep];
    this.firstRow = this.lastRow = -1;
    this.firstT = this.lastT = o.t;
    this.maxLen = o.l4len;
    this.gso = false;
    this.heapPos = -1;
    this.closed = false;
    this.complete = false;
    this.deadline = this.heapDeadline = this.heapFirstT = 0;
    this.nextKey = this.prevKey = this.nextAck = this.prevAck = undefined;
    this.inAck = false;
    return this;
  }

}

export class Correlator {
  private readonly rows = new OpenRows();
  private readonly byKey = new Map<number, Group>();
  private readonly byAck = new Map<number, Group>();
  /** Open groups by (deadline, first sighting, creation). */
  private readonly heap = new MinHeap<Group>(
    (a, b) => a.heapDeadline < b.heapDeadline || (a.heapDeadline === b.heapDeadline && (a.heapFirstT < b.heapFirstT || (a.heapFirstT === b.heapFirstT && a.seq < b.seq))),
    (g, i) => (g.heapPos = i),
  );
  private nextSeq = 0;
  /** Closed groups to use again (reuse). */
  private readonly spareGroups: Group[] = [];
  /** Open groups (for tests and memory accounting). */
  open = 0;
  maxOpen = 0;

  constructor(
    readonly window: number,
    private readonly onClose: (g: Group) => void,
    /** Is this sighting at the packet's destination (nothing more to wait for)? `later`: not its first. */
    private readonly terminal: (o: Obs, later: boolean) => boolean = () => false,
    /** How long a complete group still waits for stragglers (out-of-order frames). */
    private readonly slack = 0,
    /**
     * What onClose is given is not kept after it returns (nor the trace made of it): the group
     * and its sightings are then reused for the next packets, not garbage.
     */
    private readonly reuse = false,
  ) {}

  add(o: Obs): void {
    o.key = identityKey(o);
    const head = this.byKey.get(o.key);
    for (let g = head; g; g = g.nextKey) {
      if (!this.joinable(g, o)) continue;
      if (!sameIdentity(g.rep, o)) continue;
      if (this.seenUnchanged(g, o)) continue;
      this.join(g, o);
      return;
    }
    const tcpData = o.proto === PROTO_TCP && o.l4len > 0 && (o.flags & TCP_ACK) !== 0;
    if (tcpData) {
      for (let g = this.byAck.get(o.ack); g; g = g.nextAck) {
        const r = g.rep;
        if (!this.joinable(g, o)) continue;
        const off = (o.seq - r.seq) >>> 0;
        if (off === 0 || off >= g.maxLen || o.l4len >= g.maxLen) continue;
        if (this.segmentSeen(g, o)) continue;
        g.gso = true;
        this.join(g, o);
        return;
      }
    }
    // with reuse, a closed group is used again (it and its first sighting are old by then:
    // new ones for every packet were most of what the collector had to promote)
    const spare = this.spareGroups.pop();
    let g: Group;
    if (spare) g = spare.renew(this.nextSeq++, o);
    else {
      g = new Group(this.nextSeq++, o.keep());
      g.ownRep = o.scratch;
    }
    g.nextKey = head;
    if (head) head.prevKey = g;
    this.byKey.set(o.key, g);
    if (tcpData) {
      const a = this.byAck.get(o.ack);
      g.nextAck = a;
      if (a) a.prevAck = g;
      g.inAck = true;
      this.byAck.set(o.ack, g);
    }
    if (this.terminal(o, false)) g.complete = true;
    g.deadline = g.lastT + (g.complete ? this.slack : this.window);
    this.push(g);
    if (++this.open > this.maxOpen) this.maxOpen = this.open;
  }

  private joinable(g: Group, o: Obs): boolean {
    if (g.closed || o.t - g.lastT > this.window || g.firstT - o.t > this.window || !natCompatible(g.rep, o)) return false;
    // Crossing to another node: nothing rewrites the source on the wire, and link-local
    // multicast and broadcast never cross.
    const node = o.source.node;
    const r = g.rep;
    if (r.source.node === node) return true;
    let srcSeen = r.src32 === o.src32;
    const w = this.rows;
    for (let x = g.firstRow; x >= 0; x = w.next[x]) {
      if (w.source[x]!.node === node) return true;
      if (w.src32[x] === o.src32) srcSeen = true;
    }
    return srcSeen && !isLinkScope(o.dst);
  }

  /** The group already has this packet on this interface, unchanged (same TTL and addresses). */
  private seenUnchanged(g: Group, o: Obs): boolean {
    const r = g.rep;
    if (r.source === o.source && r.ttl === o.ttl && r.src32 === o.src32 && r.dst32 === o.dst32 && r.seq === o.seq && r.enc === o.enc) return true;
    const w = this.rows;
    for (let x = g.firstRow; x >= 0; x = w.next[x]) {
      if (w.source[x] === o.source && w.ttl[x] === o.ttl && w.src32[x] === o.src32 && w.dst32[x] === o.dst32 && w.seq[x] === o.seq && w.enc[x] === o.enc) return true;
    }
    return false;
  }

  /** The group already has this segment on this interface. */
  private segmentSeen(g: Group, o: Obs): boolean {
    const r = g.rep;
    if (r.source === o.source && r.seq === o.seq && r.ttl === o.ttl) return true;
    const w = this.rows;
    for (let x = g.firstRow; x >= 0; x = w.next[x]) if (w.source[x] === o.source && w.seq[x] === o.seq && w.ttl[x] === o.ttl) return true;
    return false;
  }

  private join(g: Group, o: Obs): void {
    const r = this.rows.add(o);
    if (g.lastRow < 0) g.firstRow = r;
    else this.rows.next[g.lastRow] = r;
    g.lastRow = r;
    if (o.t > g.lastT) g.lastT = o.t;
    if (o.l4len > g.maxLen && o.proto === PROTO_TCP) g.maxLen = o.l4len;
    if (o.t < g.firstT) g.firstT = o.t;
    if (!g.complete && this.terminal(o, true)) g.complete = true;
    this.reschedule(g);
  }

  private reschedule(g: Group): void {
    g.deadline = g.lastT + (g.complete ? this.slack : this.window);
    // an earlier key (complete: the short slack; or an earlier first sighting) moves up now; a
    // later one waits (every key in the heap is then at most the group's: the top, once fresh,
    // is the least)
    if (g.deadline < g.heapDeadline || (g.deadline === g.heapDeadline && g.firstT < g.heapFirstT)) this.reorder(g);
  }

  /** Put g in its place by its current deadline and first time. */
  private reorder(g: Group): void {
    g.heapDeadline = g.deadline;
    g.heapFirstT = g.firstT;
    this.heap.update(g.heapPos);
  }

  /** Close and hand on every group whose window ended before `watermark` (corrected ns). */
  advance(watermark: number): void {
    const h = this.heap;
    while (h.size) {
      const g = h.peek()!;
      if (g.heapDeadline >= watermark) break;
      if (g.heapDeadline !== g.deadline || g.heapFirstT !== g.firstT) this.reorder(g);
      else this.close(this.pop());
    }
  }

  /** Close everything (end of input), in the order of their deadlines. */
  flush(): void {
    this.advance(Infinity);
  }

  private close(g: Group): void {
    g.closed = true;
    this.open--;
    const r = g.rep;
    // unlink from the identity chain
    if (g.prevKey) g.prevKey.nextKey = g.nextKey;
    else if (g.nextKey) this.byKey.set(r.key, g.nextKey);
    else this.byKey.delete(r.key);
    if (g.nextKey) g.nextKey.prevKey = g.prevKey;
    g.nextKey = g.prevKey = undefined;
    if (g.inAck) {
      if (g.prevAck) g.prevAck.nextAck = g.nextAck;
      else if (g.nextAck) this.byAck.set(r.ack, g.nextAck);
      else this.byAck.delete(r.ack);
      if (g.nextAck) g.nextAck.prevAck = g.prevAck;
      g.nextAck = g.prevAck = undefined;
    }
    if (g.firstRow >= 0) {
      const all = [g.rep];
      const w = this.rows;
      for (let x = g.firstRow; x >= 0; ) {
        const next = w.next[x];
        all.push(w.take(x));
        x = next;
      }
      g.obs = all;
      g.firstRow = g.lastRow = -1;
    }
    this.onClose(g);
    if (this.reuse) {
      const spare = this.rows.spare;
      for (let k = 1; k < g.obs.length; k++) spare.push(g.obs[k]);
      // (with its first sighting, when that is its own copy, not an object someone passed in)
      if (g.ownRep) this.spareGroups.push(g);
    }
    g.obs = NO_OBS;
  }

  private push(g: Group): void {
    g.heapDeadline = g.deadline;
    g.heapFirstT = g.firstT;
    this.heap.push(g);
  }
  private pop(): Group {
    const g = this.heap.pop();
    g.heapPos = -1;
    return g;
  }
}

/** 224.0.0.0/4 multicast or the limited broadcast: never routed between nodes. */
function isLinkScope(ip: number): boolean {
  return ip >>> 28 === 14 || ip === 0xffffffff;
}
