/**
 * Clock skew between nodes, NTP-style, from packets seen on two nodes' underlays.
 *
 * Let θ be node B's clock minus node A's. A packet going A→B with one-way delay d ≥ 0 shows
 * tB − tA = d + θ ≥ θ; one going B→A shows tB − tA = θ − d ≤ θ. So every A→B difference lies
 * above θ and every B→A difference below it: θ ∈ [max(B→A), min(A→B)]. The estimate is the
 * middle of that interval and the uncertainty its half-width (half the sum of the two minimum
 * one-way delays); symmetric minimum delays make the middle exact.
 *
 * Which way a packet went is not written in an Ethernet capture, but it does not need to be: the
 * packets fall into direction classes by their outer source address (or, without a tunnel, the
 * source MAC as node A saw it), and only one split of the classes into "A→B" and "B→A" is
 * consistent (all of one side above all of the other). `-i any` captures do carry the direction
 * (outgoing/incoming) and it is used when present.
 */
import { ipText, macText } from './addr.js';
import type { Source } from '../capture/frame.js';
import { ENC_NONE, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Obs } from './extract.js';
import { identityKey } from './identity.js';

export interface SkewEstimate {
  node: string;
  reference: string;
  /** This node's clock minus the reference's (ns); subtract it to correct. */
  offset_ns: number;
  /** Half-width of the interval the offset must lie in; null when only one direction was seen. */
  uncertainty_ns: number | null;
  /** Matched packets reference→node and node→reference. */
  samples_from_ref: number;
  samples_to_ref: number;
  /** Minimum tNode − tRef over reference→node packets, maximum over node→reference ones. */
  min_forward_ns: number | null;
  max_backward_ns: number | null;
  /** measured (both directions), one-way (a bound only), given (--skew), none (no shared packets). */
  method: 'measured' | 'one-way' | 'given' | 'none';
  /** The correction trace applies (0 when not significant or --skew off). */
  applied_ns: number;
  /** Via which node the estimate was chained (more than two nodes). */
  via?: string;
  /** A few matched sightings (both nodes' frames) the estimate rests on. */
  frames?: { file: string; frame: number; node: string; iface: string }[];
}

/**
 * The underlay sightings the collector keeps while they wait for their match, in a ring of
 * typed-array columns (a prescan of one-way traffic keeps a whole horizon of them: no object per
 * sighting, and no boxed numbers). Only what the matching needs is kept: the identity fields of
 * sameIdentity (identity.ts), the tunnel (outer id and source), the direction class label, the
 * time and the frame. Sightings are numbered in arrival order; those below `head` are expired.
 */
class SightingRing {
  cap = 0;
  mask = 0;
  head = 0;
  tail = 0;
  /** IP id and protocol; fragment offset; payload hash; L4 identity fields by protocol (0 for a later fragment). */
  ip = new Int32Array(0);
  frag = new Int32Array(0);
  hash = new Int32Array(0);
  x1 = new Int32Array(0);
  x2 = new Int32Array(0);
  x3 = new Int32Array(0);
  /** Encapsulation and outer IP id; outer source (0 without a tunnel). */
  enc = new Int32Array(0);
  oSrc = new Int32Array(0);
  pktType = new Int32Array(0);
  /** Index into the collector's sources and labels. */
  src = new Int32Array(0);
  label = new Int32Array(0);
  key = new Int32Array(0);
  frame = new Float64Array(0);
  raw = new Float64Array(0);
  /** The previous sighting with the same key (its number), or -1. */
  prev = new Float64Array(0);

  constructor() {
    this.grow();
  }

  /** Room for one more (at slot tail & mask). */
  reserve(): void {
    if (this.tail - this.head >= this.cap) this.grow();
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const mask = cap - 1;
    const cols = ['ip', 'frag', 'hash', 'x1', 'x2', 'x3', 'enc', 'oSrc', 'pktType', 'src', 'label', 'key', 'frame', 'raw', 'prev'] as const;
    for (const c of cols) {
      const old = this[c];
      const neu = old instanceof Float64Array ? new Float64Array(cap) : new Int32Array(cap);
      for (let n = this.head; n < this.tail; n++) neu[n & mask] = old[n & this.mask];
      (this as unknown as Record<string, Int32Array | Float64Array>)[c] = neu;
    }
    this.cap = cap;
    this.mask = mask;
  }

  /** Write a sighting at slot `tail & mask` (not yet kept: `tail` moves when it is). */
  put(o: Obs, raw: number, src: number, label: number, key: number): number {
    this.reserve();
    const i = this.tail & this.mask;
    this.ip[i] = ((o.id & 0xffff) << 8) | (o.proto & 0xff);
    this.frag[i] = o.frag;
    this.hash[i] = o.hash | 0;
    let x1 = 0;
    let x2 = 0;
    let x3 = 0;
    if (o.frag === 0) {
      if (o.proto === PROTO_TCP) {
        x1 = o.seq | 0;
        x2 = o.ack | 0;
        x3 = o.flags & 0x16;
      } else if (o.proto === PROTO_UDP) x1 = o.udpLen;
      else if (o.proto === PROTO_ICMP) {
        x1 = ((o.icmpType & 0xffff) << 8) | (o.icmpCode & 0xff);
        x2 = ((o.icmpId & 0xffff) << 16) | (o.icmpSeq & 0xffff);
      }
    }
    this.x1[i] = x1;
    this.x2[i] = x2;
    this.x3[i] = x3;
    this.enc[i] = o.enc !== ENC_NONE ? (o.enc << 17) | (o.oId & 0x1ffff) : ENC_NONE;
    this.oSrc[i] = o.enc !== ENC_NONE ? o.oSrc | 0 : 0;
    this.pktType[i] = o.pktType;
    this.src[i] = src;
    this.label[i] = label;
    this.key[i] = key;
    this.frame[i] = o.frame;
    this.raw[i] = raw;
    this.prev[i] = -1;
    return i;
  }

  /** Same packet (slots i and j): sameIdentity plus the same tunnel. */
  same(i: number, j: number): boolean {
    return (
      this.ip[i] === this.ip[j] &&
      this.frag[i] === this.frag[j] &&
      this.hash[i] === this.hash[j] &&
      this.x1[i] === this.x1[j] &&
      this.x2[i] === this.x2[j] &&
      this.x3[i] === this.x3[j] &&
      this.enc[i] === this.enc[j] &&
      this.oSrc[i] === this.oSrc[j]
    );
  }
}

interface LabelStats {
  text: string;
  min: number;
  max: number;
  n: number;
  /** Votes from `-i any` direction: +1 A→B, −1 B→A. */
  dir: number;
}

interface PairStats {
  a: string;
  b: string;
  labels: Map<string, LabelStats>;
  samples: number;
  /** `samples` when a class's min or max last moved (the estimate's inputs). */
  moved: number;
  frames: { file: string; frame: number; node: string; iface: string }[];
}

export interface PairEstimate {
  a: string;
  b: string;
  theta: number;
  unc: number | null;
  ab: number;
  ba: number;
  minAB: number | null;
  maxBA: number | null;
  method: 'measured' | 'one-way';
  frames?: { file: string; frame: number; node: string; iface: string }[];
}

/** The row of a node whose clock could not be compared with the reference. */
export function notEstimated(node: string, reference: string): SkewEstimate {
  return {
    node,
    reference,
    offset_ns: 0,
    uncertainty_ns: null,
    samples_from_ref: 0,
    samples_to_ref: 0,
    min_forward_ns: null,
    max_backward_ns: null,
    method: 'none',
    applied_ns: 0,
  };
}

/** A collector's pairs and nodes as plain data (SkewCollector.state). */
export interface SkewCollectorState {
  nodes: string[];
  samples: number;
  pairs: (Omit<PairStats, 'labels'> & { labels: LabelStats[] })[];
}

/** Samples over which a pair's bounds must stay put before a prescan stops on them. */
const STEADY = 10_000;

export class SkewCollector {
  /** Identity key (int32) → number of the latest kept sighting with it. */
  private readonly open = new Map<number, number>();
  private readonly ring = new SightingRing();
  /** Sources by index (ring column `src`), and their nodes. */
  private readonly sources: Source[] = [];
  private readonly sourceIndex = new Map<Source, number>();
  /** Direction class labels, interned by address (few distinct values). */
  private readonly labelIndex = new Map<number, number>();
  private readonly labelText: string[] = [];
  /** Kept sightings with the new one's key, oldest first (reused). */
  private readonly chain: number[] = [];
  readonly pairs = new Map<string, PairStats>();
  samples = 0;
  /** Order in which nodes were first seen (the first is the reference by default). */
  readonly nodes: string[] = [];

  /** @param horizonNs how long a sighting waits for its match on another node (≥ the largest skew). */
  constructor(readonly horizonNs = 12e9) {}

  noteNode(node: string): void {
    if (!this.nodes.includes(node)) this.nodes.push(node);
  }

  /** The direction class of a sighting: its outer source, else its source MAC, else its source IP. */
  private label(o: Obs): number {
    // distinct key spaces: IPv4 addresses < 2^32 ≤ tagged values
    const k = o.enc !== ENC_NONE ? o.oSrc : o.macSrc >= 0 ? 2 ** 32 + o.macSrc : 2 ** 49 + o.src;
    let l = this.labelIndex.get(k);
    if (l === undefined) {
      l = this.labelText.length;
      this.labelText.push(o.enc !== ENC_NONE ? `ip ${ipText(o.oSrc)}` : o.macSrc >= 0 ? `mac ${macText(o.macSrc)}` : `ip ${ipText(o.src)}`);
      this.labelIndex.set(k, l);
    }
    return l;
  }

  private sourceOf(s: Source): number {
    let i = this.sourceIndex.get(s);
    if (i === undefined) {
      i = this.sources.length;
      this.sources.push(s);
      this.sourceIndex.set(s, i);
    }
    return i;
  }

  /** A sighting on an underlay; `raw` is its uncorrected time in ns since the run's base. */
  add(o: Obs, raw: number): void {
    const node = o.source.node;
    this.noteNode(node);
    const key = identityKey(o) ^ (o.enc !== ENC_NONE ? Math.imul(o.oId + 1, 0x9e3779b1) ^ o.oSport : 0) | 0;
    this.expire(raw);
    const r = this.ring;
    const me = r.put(o, raw, this.sourceOf(o.source), this.label(o), key);
    const latest = this.open.get(key);
    let mine = false;
    if (latest !== undefined) {
      // the kept ones with this key, oldest first
      const chain = this.chain;
      chain.length = 0;
      for (let n = latest; n >= r.head; n = r.prev[n & r.mask]) chain.push(n);
      for (let c = chain.length - 1; c >= 0; c--) {
        const s = chain[c] & r.mask;
        if (!r.same(s, me)) continue;
        if (this.sources[r.src[s]].node === node) {
          mine = true;
          continue;
        }
        this.sample(s, me);
      }
      if (mine) return;
      r.prev[me] = latest;
    }
    this.open.set(key, r.tail++);
  }

  private expire(now: number): void {
    const r = this.ring;
    while (r.head < r.tail) {
      const i = r.head & r.mask;
      if (!(now - r.raw[i] > this.horizonNs)) break;
      // the whole chain has expired when its latest does (older ones are below head)
      if (this.open.get(r.key[i]) === r.head) this.open.delete(r.key[i]);
      r.head++;
    }
  }

  /** A match between kept slot x and new slot y (on another node). */
  private sample(x: number, y: number): void {
    const r = this.ring;
    const sx = this.sources[r.src[x]];
    const sy = this.sources[r.src[y]];
    const [A, B, a, b] = sx.node < sy.node ? [x, y, sx, sy] : [y, x, sy, sx];
    const k = `${a.node}\u0000${b.node}`;
    let p = this.pairs.get(k);
    if (!p) this.pairs.set(k, (p = { a: a.node, b: b.node, labels: new Map(), samples: 0, moved: 0, frames: [] }));
    if (p.frames.length < 8) {
      p.frames.push({ file: a.file, frame: r.frame[A], node: a.node, iface: a.iface });
      p.frames.push({ file: b.file, frame: r.frame[B], node: b.node, iface: b.iface });
    }
    const label = this.labelText[r.label[A]];
    let l = p.labels.get(label);
    if (!l) p.labels.set(label, (l = { text: label, min: Infinity, max: -Infinity, n: 0, dir: 0 }));
    const v = r.raw[B] - r.raw[A];
    if (v < l.min) {
      l.min = v;
      p.moved = p.samples;
    }
    if (v > l.max) {
      l.max = v;
      p.moved = p.samples;
    }
    l.n++;
    // `-i any`: 4 = outgoing, 0 = to this host
    const pa = r.pktType[A];
    const pb = r.pktType[B];
    if (pa === 4 || pb === 0) l.dir++;
    else if (pa === 0 || pb === 4) l.dir--;
    p.samples++;
    this.samples++;
  }

  /**
   * Enough to stop a prescan early: every pair has many samples in two direction classes, or
   * (one-way traffic, where a second class may never come) its bounds have not moved over the
   * last STEADY samples.
   */
  /** What estimate() reads, as plain data (for a prescan made on another thread). */
  state(): SkewCollectorState {
    return {
      nodes: [...this.nodes],
      samples: this.samples,
      pairs: [...this.pairs.values()].map((p) => ({ a: p.a, b: p.b, samples: p.samples, moved: p.moved, frames: p.frames, labels: [...p.labels.values()] })),
    };
  }

  /** A collector that estimates from `s` (made by state() elsewhere). */
  static fromState(s: SkewCollectorState): SkewCollector {
    const c = new SkewCollector();
    c.nodes.push(...s.nodes);
    c.samples = s.samples;
    for (const p of s.pairs) c.pairs.set(`${p.a}\u0000${p.b}`, { ...p, labels: new Map(p.labels.map((l) => [l.text, l])) });
    return c;
  }

  enough(): boolean {
    if (!this.pairs.size) return false;
    for (const p of this.pairs.values()) {
      if (p.samples >= 2 * STEADY && p.samples - p.moved >= STEADY) continue;
      let big = 0;
      for (const l of p.labels.values()) if (l.n >= 200) big++;
      if (big < 2) return false;
    }
    return true;
  }

  pairEstimates(): PairEstimate[] {
    const out: PairEstimate[] = [];
    for (const p of this.pairs.values()) {
      const e = estimatePair(p.a, p.b, [...p.labels.values()]);
      if (e) out.push({ ...e, frames: p.frames });
    }
    return out;
  }

  /** Offsets of every node relative to `reference` (default: the first node seen). */
  estimate(allNodes: readonly string[], reference?: string): SkewEstimate[] {
    const nodes = [...new Set([...allNodes, ...this.nodes])];
    if (!nodes.length) return [];
    const ref = reference ?? nodes[0];
    return chain(ref, nodes, this.pairEstimates());
  }
}

/** θ for one node pair from its direction classes. */
export function estimatePair(a: string, b: string, labels: readonly LabelStats[]): PairEstimate | undefined {
  if (!labels.length) return undefined;
  const known = labels.filter((l) => l.dir !== 0);
  const unknown = labels.filter((l) => l.dir === 0);
  let fwd: LabelStats[] = known.filter((l) => l.dir > 0);
  let back: LabelStats[] = known.filter((l) => l.dir < 0);
  if (unknown.length) {
    // try every split of the unknown classes (sorted by their minimum) into back | fwd
    const u = [...unknown].sort((x, y) => x.min - y.min);
    let best: { k: number; score: number } | undefined;
    for (let k = 0; k <= u.length; k++) {
      const B = [...back, ...u.slice(0, k)];
      const F = [...fwd, ...u.slice(k)];
      if (!B.length || !F.length) continue;
      const lo = Math.max(...B.map((l) => l.max));
      const hi = Math.min(...F.map((l) => l.min));
      // consistent splits have hi ≥ lo; prefer the widest consistent gap, else the least violation
      const score = hi - lo;
      if (!best || score > best.score) best = { k, score };
    }
    if (best) {
      back = [...back, ...u.slice(0, best.k)];
      fwd = [...fwd, ...u.slice(best.k)];
    } else {
      // one class only and no direction known: the offset is within one one-way delay of it
      const l = u[0];
      return { a, b, theta: l.min, unc: null, ab: l.n, ba: 0, minAB: l.min, maxBA: null, method: 'one-way' };
    }
  }
  const ab = fwd.reduce((s, l) => s + l.n, 0);
  const ba = back.reduce((s, l) => s + l.n, 0);
  if (fwd.length && back.length) {
    const lo = Math.max(...back.map((l) => l.max));
    const hi = Math.min(...fwd.map((l) => l.min));
    return { a, b, theta: Math.round((lo + hi) / 2), unc: Math.round(Math.abs(hi - lo) / 2), ab, ba, minAB: hi, maxBA: lo, method: 'measured' };
  }
  if (fwd.length) {
    const hi = Math.min(...fwd.map((l) => l.min));
    return { a, b, theta: hi, unc: null, ab, ba, minAB: hi, maxBA: null, method: 'one-way' };
  }
  const lo = Math.max(...back.map((l) => l.max));
  return { a, b, theta: lo, unc: null, ab, ba, minAB: null, maxBA: lo, method: 'one-way' };
}

/** Offsets relative to the reference by walking the pair estimates outward from it. */
export function chain(ref: string, nodes: readonly string[], pairs: readonly PairEstimate[]): SkewEstimate[] {
  const est = new Map<string, SkewEstimate>();
  est.set(ref, {
    node: ref,
    reference: ref,
    offset_ns: 0,
    uncertainty_ns: 0,
    samples_from_ref: 0,
    samples_to_ref: 0,
    min_forward_ns: null,
    max_backward_ns: null,
    method: 'measured',
    applied_ns: 0,
  });
  const queue = [ref];
  // prefer measured pairs over one-way bounds
  const sorted = [...pairs].sort((x, y) => (x.method === y.method ? y.ab + y.ba - (x.ab + x.ba) : x.method === 'measured' ? -1 : 1));
  while (queue.length) {
    const n = queue.shift()!;
    const base = est.get(n)!;
    for (const p of sorted) {
      let other: string;
      let theta: number;
      let fromRef: number;
      let toRef: number;
      let minF: number | null;
      let maxB: number | null;
      if (p.a === n) {
        other = p.b;
        theta = p.theta;
        fromRef = p.ab;
        toRef = p.ba;
        minF = p.minAB;
        maxB = p.maxBA;
      } else if (p.b === n) {
        other = p.a;
        theta = -p.theta;
        fromRef = p.ba;
        toRef = p.ab;
        minF = p.maxBA === null ? null : -p.maxBA;
        maxB = p.minAB === null ? null : -p.minAB;
      } else continue;
      if (est.has(other)) continue;
      est.set(other, {
        node: other,
        reference: ref,
        offset_ns: base.offset_ns + theta,
        uncertainty_ns: p.unc === null || base.uncertainty_ns === null ? null : base.uncertainty_ns + p.unc,
        samples_from_ref: fromRef,
        samples_to_ref: toRef,
        min_forward_ns: minF,
        max_backward_ns: maxB,
        method: p.method === 'measured' && base.method === 'measured' ? 'measured' : 'one-way',
        applied_ns: 0,
        ...(p.frames ? { frames: p.frames } : {}),
        ...(n !== ref ? { via: n } : {}),
      });
      queue.push(other);
    }
  }
  const out: SkewEstimate[] = [];
  for (const n of nodes) {
    out.push(
      est.get(n) ?? notEstimated(n, ref),
    );
  }
  return out;
}

/** An offset worth correcting: measured and larger than its uncertainty, or a one-way bound beyond 1 ms. */
export function significant(e: SkewEstimate): boolean {
  if (e.method === 'given') return true;
  if (e.method === 'measured') return e.uncertainty_ns !== null && Math.abs(e.offset_ns) > Math.max(e.uncertainty_ns, 1000);
  if (e.method === 'one-way') return Math.abs(e.offset_ns) > 1e6;
  return false;
}

/** `node2=+2.75ms`, `node2=-1.5s,node3=300us`, `node2=-1500000250ns`. */
export function parseSkewSpec(spec: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const item of spec.split(',')) {
    const r = /^\s*([^=\s]+)=([+-]?\d+(?:\.\d+)?)(ns|us|µs|ms|s)?\s*$/.exec(item);
    if (!r) throw new Error(`"${item}" is not NODE=OFFSET (e.g. node2=+2.75ms)`);
    const unit = r[3] ?? 's';
    const mult = unit === 'ns' ? 1 : unit === 'us' || unit === 'µs' ? 1e3 : unit === 'ms' ? 1e6 : 1e9;
    m.set(r[1], Math.round(Number(r[2]) * mult));
  }
  return m;
}
