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
 */
import { PROTO_TCP, TCP_ACK, type Obs } from './extract.js';
import { identityKey, natCompatible, sameIdentity } from './identity.js';
import { MinHeap } from '../util/heap.js';

export class Group {
  readonly obs: Obs[];
  firstT: number;
  lastT: number;
  /** Largest TCP payload seen (for GSO range joins). */
  maxLen: number;
  /** Some sighting joined by sequence range: a GSO super-packet and its segments. */
  gso = false;
  heapPos = -1;
  closed = false;
  /** Seen where it was going (its destination pod): closes after the short slack, not the window. */
  complete = false;
  /** Corrected time after which the group closes. */
  deadline = 0;
  // chains of open groups with the same identity hash / the same TCP ack, newest first
  nextKey: Group | undefined;
  prevKey: Group | undefined;
  nextAck: Group | undefined;
  prevAck: Group | undefined;
  inAck = false;
  constructor(
    readonly seq: number,
    o: Obs,
  ) {
    this.obs = [o];
    this.firstT = o.t;
    this.lastT = o.t;
    this.maxLen = o.l4len;
  }
  get rep(): Obs {
    return this.obs[0];
  }
}

export class Correlator {
  private readonly byKey = new Map<number, Group>();
  private readonly byAck = new Map<number, Group>();
  /** Open groups by (deadline, first sighting, creation). */
  private readonly heap = new MinHeap<Group>(
    (a, b) => a.deadline < b.deadline || (a.deadline === b.deadline && (a.firstT < b.firstT || (a.firstT === b.firstT && a.seq < b.seq))),
    (g, i) => (g.heapPos = i),
  );
  private nextSeq = 0;
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
  ) {}

  add(o: Obs): void {
    o.key = identityKey(o);
    const head = this.byKey.get(o.key);
    for (let g = head; g; g = g.nextKey) {
      if (!this.joinable(g, o)) continue;
      if (!sameIdentity(g.rep, o)) continue;
      if (seenUnchanged(g, o)) continue;
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
        if (segmentSeen(g, o)) continue;
        g.gso = true;
        this.join(g, o);
        return;
      }
    }
    const g = new Group(this.nextSeq++, o);
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
    let srcSeen = false;
    for (const x of g.obs) {
      if (x.source.node === node) return true;
      if (x.src === o.src) srcSeen = true;
    }
    return srcSeen && !isLinkScope(o.dst);
  }

  private join(g: Group, o: Obs): void {
    g.obs.push(o);
    if (o.t > g.lastT) g.lastT = o.t;
    if (o.l4len > g.maxLen && o.proto === PROTO_TCP) g.maxLen = o.l4len;
    if (o.t < g.firstT) g.firstT = o.t;
    if (!g.complete && this.terminal(o, true)) g.complete = true;
    this.reschedule(g);
  }

  private reschedule(g: Group): void {
    const d = g.lastT + (g.complete ? this.slack : this.window);
    if (d === g.deadline) return;
    g.deadline = d;
    this.heap.update(g.heapPos);
  }

  /** Close and hand on every group whose window ended before `watermark` (corrected ns). */
  advance(watermark: number): void {
    const h = this.heap;
    while (h.size) {
      const g = h.peek()!;
      if (g.deadline >= watermark) break;
      this.close(this.pop());
    }
  }

  /** Close everything (end of input), in the order of their deadlines. */
  flush(): void {
    while (this.heap.size) this.close(this.pop());
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
    this.onClose(g);
  }

  private push(g: Group): void {
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

/** The group already has this packet on this interface, unchanged (same TTL and addresses). */
function seenUnchanged(g: Group, o: Obs): boolean {
  for (const x of g.obs) {
    if (x.source === o.source && x.ttl === o.ttl && x.src === o.src && x.dst === o.dst && x.seq === o.seq && x.enc === o.enc)
      return true;
  }
  return false;
}

/** The group already has this segment on this interface. */
function segmentSeen(g: Group, o: Obs): boolean {
  for (const x of g.obs) if (x.source === o.source && x.seq === o.seq && x.ttl === o.ttl) return true;
  return false;
}
