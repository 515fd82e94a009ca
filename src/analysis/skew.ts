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
import { ENC_NONE, type Obs } from './extract.js';
import { identityKey, sameIdentity } from './identity.js';

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

interface Sighting {
  node: string;
  o: Obs;
  raw: number;
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

export class SkewCollector {
  private readonly open = new Map<number, Sighting[]>();
  private readonly fifo: { key: number; raw: number }[] = [];
  private fifoHead = 0;
  readonly pairs = new Map<string, PairStats>();
  samples = 0;
  /** Order in which nodes were first seen (the first is the reference by default). */
  readonly nodes: string[] = [];

  /** @param horizonNs how long a sighting waits for its match on another node (≥ the largest skew). */
  constructor(readonly horizonNs = 12e9) {}

  noteNode(node: string): void {
    if (!this.nodes.includes(node)) this.nodes.push(node);
  }

  /** A sighting on an underlay; `raw` is its uncorrected time in ns since the run's base. */
  add(o: Obs, raw: number): void {
    const node = o.source.node;
    this.noteNode(node);
    const key = (identityKey(o) ^ (o.enc !== ENC_NONE ? Math.imul(o.oId + 1, 0x9e3779b1) ^ o.oSport : 0)) >>> 0;
    this.expire(raw);
    let list = this.open.get(key);
    if (!list) {
      this.open.set(key, (list = []));
    }
    let mine = false;
    for (const s of list) {
      if (!sameIdentity(s.o, o) || s.o.enc !== o.enc || (o.enc !== ENC_NONE && (s.o.oId !== o.oId || s.o.oSrc !== o.oSrc))) continue;
      if (s.node === node) {
        mine = true;
        continue;
      }
      this.sample(s, { node, o, raw });
    }
    if (!mine) {
      list.push({ node, o, raw });
      this.fifo.push({ key, raw });
    }
  }

  private expire(now: number): void {
    const f = this.fifo;
    while (this.fifoHead < f.length && now - f[this.fifoHead].raw > this.horizonNs) {
      const { key, raw } = f[this.fifoHead++];
      const l = this.open.get(key);
      if (l) {
        const i = l.findIndex((s) => s.raw === raw);
        if (i >= 0) l.splice(i, 1);
        if (!l.length) this.open.delete(key);
      }
    }
    if (this.fifoHead > 4096 && this.fifoHead * 2 > f.length) {
      f.splice(0, this.fifoHead);
      this.fifoHead = 0;
    }
  }

  private sample(x: Sighting, y: Sighting): void {
    const [A, B] = x.node < y.node ? [x, y] : [y, x];
    const k = `${A.node}\u0000${B.node}`;
    let p = this.pairs.get(k);
    if (!p) this.pairs.set(k, (p = { a: A.node, b: B.node, labels: new Map(), samples: 0, frames: [] }));
    if (p.frames.length < 8)
      for (const x of [A, B]) p.frames.push({ file: x.o.source.file, frame: x.o.frame, node: x.node, iface: x.o.source.iface });
    const o = A.o;
    const label = o.enc !== ENC_NONE ? `ip ${ipText(o.oSrc)}` : o.macSrc >= 0 ? `mac ${macText(o.macSrc)}` : `ip ${ipText(o.src)}`;
    let l = p.labels.get(label);
    if (!l) p.labels.set(label, (l = { text: label, min: Infinity, max: -Infinity, n: 0, dir: 0 }));
    const v = B.raw - A.raw;
    if (v < l.min) l.min = v;
    if (v > l.max) l.max = v;
    l.n++;
    // `-i any`: 4 = outgoing, 0 = to this host
    if (A.o.pktType === 4 || B.o.pktType === 0) l.dir++;
    else if (A.o.pktType === 0 || B.o.pktType === 4) l.dir--;
    p.samples++;
    this.samples++;
  }

  /** Enough to stop a prescan early: every pair has many samples in two direction classes. */
  enough(): boolean {
    if (!this.pairs.size) return false;
    for (const p of this.pairs.values()) {
      const big = [...p.labels.values()].filter((l) => l.n >= 200).length;
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
      est.get(n) ?? {
        node: n,
        reference: ref,
        offset_ns: 0,
        uncertainty_ns: null,
        samples_from_ref: 0,
        samples_to_ref: 0,
        min_forward_ns: null,
        max_backward_ns: null,
        method: 'none',
        applied_ns: 0,
      },
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
