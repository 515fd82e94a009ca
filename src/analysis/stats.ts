/**
 * Per-hop-pair latency statistics and the per-flow summary, accumulated as traces are emitted.
 */
import { endpointText } from './addr.js';
import type { Trace, VerdictStatus } from './timeline.js';
import type { Role } from './roles.js';

/** Exact up to this many samples per pair, then a uniform reservoir of this size. */
const RESERVOIR = 200000;

export interface LatencyRow {
  from: { node: string; iface: string; role: Role };
  to: { node: string; iface: string; role: Role };
  count: number;
  min_ns: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
  max_ns: number;
  mean_ns: number;
  /** Samples above max(10 × p50, p50 + 1 ms): the slow ones. */
  outliers: number;
  /** Packet numbers of the slowest samples (up to 5). */
  slowest: { packet: number; delta_ns: number }[];
}

/**
 * Up to `cap` numbers in a typed array grown by doubling: one block per list, not an array of
 * numbers that V8 copies as it grows and promotes (latency samples, flow durations).
 */
class Samples {
  a = new Float64Array(64);
  n = 0;
  constructor(readonly cap: number) {}
  /** Append v; false when full. */
  push(v: number): boolean {
    if (this.n >= this.cap) return false;
    if (this.n === this.a.length) {
      const b = new Float64Array(Math.min(this.cap, this.n * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
    return true;
  }
  /** The samples (a view: Percentiles copies them when it must reorder). */
  values(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

class Pair {
  readonly samples = new Samples(RESERVOIR);
  seen = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  slowest: { packet: number; delta_ns: number }[] = [];
  constructor(
    readonly from: LatencyRow['from'],
    readonly to: LatencyRow['to'],
  ) {}
  add(v: number, packet: number): void {
    this.seen++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (!this.samples.push(v)) {
      const j = Math.floor(Math.random() * this.seen);
      if (j < RESERVOIR) this.samples.a[j] = v;
    }
    const s = this.slowest;
    if (s.length < 5 || v > s[s.length - 1].delta_ns) {
      s.push({ packet, delta_ns: v });
      s.sort((a, b) => b.delta_ns - a.delta_ns);
      if (s.length > 5) s.pop();
    }
  }
}

/**
 * Exact percentiles (nearest rank) and counts of a sample set. The summary asks for three
 * percentiles of up to 200 000 samples per hop pair, once, at the end of a run, with nothing
 * else left to do: the samples are nanoseconds (integers), mostly within a millisecond, so
 * they are counted into a histogram over their range (two passes); samples that are not
 * integers, or span too much for that, are selected in a copy instead (quickselect).
 */
export class Percentiles {
  private readonly lo: number = Infinity;
  /** Counts by value − lo (histogram), or undefined: `sorted` holds a copy to select in. */
  private readonly count: Int32Array | undefined;
  private readonly sorted: Float64Array | undefined;
  /** The rank the last select placed (what is below it is no larger). */
  private from = 0;
  /** Where the last percentile was found in the histogram: values below `cursor` hold `seen` samples. */
  private cursor = 0;
  private seen = 0;

  constructor(private readonly a: Float64Array) {
    const n = a.length;
    let lo = Infinity;
    let hi = -Infinity;
    let integral = true;
    for (let i = 0; i < n; i++) {
      const v = a[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (v !== Math.floor(v)) integral = false;
    }
    const span = hi - lo;
    if (n && integral && span < COUNT_SPAN && span <= 16 * n) {
      const count = new Int32Array(span + 1);
      for (let i = 0; i < n; i++) count[a[i] - lo]++;
      this.lo = lo;
      this.count = count;
    } else this.sorted = a.slice();
  }

  /** The p-th percentile (0 when there are no samples); ask in ascending order of p. */
  at(p: number): number {
    const a = this.a;
    if (!a.length) return 0;
    const k = rank(a, p);
    const count = this.count;
    if (!count) {
      const v = select(this.sorted!, k, this.from);
      this.from = k;
      return v;
    }
    let v = this.cursor;
    let seen = this.seen;
    while (seen + count[v] <= k) seen += count[v++];
    this.cursor = v;
    this.seen = seen;
    return this.lo + v;
  }

  /** How many samples are above x. */
  above(x: number): number {
    let n = 0;
    const count = this.count;
    if (count) {
      for (let v = Math.max(0, Math.floor(x - this.lo) + 1); v < count.length; v++) n += count[v];
      return n;
    }
    for (const v of this.a) if (v > x) n++;
    return n;
  }
}

/** Widest range of values counted in a histogram (percentiles): 8 MB of counts. */
const COUNT_SPAN = 1 << 21;

/** The index of the p-th percentile (nearest rank) in sorted order. */
function rank(a: Float64Array, p: number): number {
  return Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1));
}

/**
 * The k-th smallest of `a` (Hoare's quickselect, median-of-three pivots); `a` is reordered so
 * that what is before k is no larger and what is after no smaller. `from`: a[0..from) is known
 * to be no larger than the rest already (an earlier select of a smaller rank), so it is skipped.
 */
export function select(a: Float64Array, k: number, from = 0): number {
  let lo = from;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot: sorted input stays linear
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

export class LatencyStats {
  private readonly pairs = new Map<number, Pair>();

  add(t: Trace): void {
    const h = t.hops;
    for (let i = 1; i < h.length; i++) {
      const a = h[i - 1].iface;
      const b = h[i].iface;
      const k = a.source.id * 1048576 + b.source.id;
      let p = this.pairs.get(k);
      if (!p) {
        p = new Pair({ node: a.node, iface: a.name, role: h[i - 1].role }, { node: b.node, iface: b.name, role: h[i].role });
        this.pairs.set(k, p);
      }
      p.add(h[i].deltaNs, t.id);
    }
  }

  rows(): LatencyRow[] {
    const out: LatencyRow[] = [];
    for (const p of this.pairs.values()) {
      const s = p.samples.values();
      const q = new Percentiles(s);
      const p50 = q.at(50);
      const p90 = q.at(90);
      const p99 = q.at(99);
      const outliers = q.above(Math.max(10 * p50, p50 + 1e6));
      out.push({
        from: p.from,
        to: p.to,
        count: p.seen,
        min_ns: p.min,
        p50_ns: p50,
        p90_ns: p90,
        p99_ns: p99,
        max_ns: p.max,
        mean_ns: Math.round(p.sum / p.seen),
        outliers: p.seen > s.length ? Math.round((outliers * p.seen) / s.length) : outliers,
        slowest: p.slowest,
      });
    }
    return out;
  }
}

export interface FlowRow {
  proto: string;
  src: string;
  dst: string;
  /** The destination after DNAT, when it was rewritten. */
  nat_dst?: string;
  nat_src?: string;
  packets: number;
  delivered: number;
  lost: number;
  incomplete: number;
  /** Where lost packets were last seen: "node iface" → count. */
  lost_after: Record<string, number>;
  first_packet: number;
  last_packet: number;
  p50_duration_ns: number;
  max_duration_ns: number;
}

const PROTO: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 89: 'ospf', 132: 'sctp' };

export function protoName(p: number): string {
  return PROTO[p] ?? String(p);
}

interface FlowAcc {
  /** The flow's first packet as sent (its own copy: a trace's sightings may be reused after it). */
  first: { proto: number; src: number; sport: number; dst: number; dport: number };
  natDst?: { dst: number; dport: number };
  natSrc?: { src: number; sport: number };
  packets: number;
  delivered: number;
  lost: number;
  incomplete: number;
  lost_after: Record<string, number>;
  first_packet: number;
  last_packet: number;
  max_duration_ns: number;
  durations: Samples;
}

export class FlowStats {
  private readonly flows = new Map<string, FlowAcc>();
  /** The flow of the previous trace: consecutive packets mostly belong to one (no key string). */
  private last: FlowAcc | undefined = undefined;

  add(t: Trace): void {
    const a = t.hops[0].obs;
    const z = t.hops[t.hops.length - 1].obs;
    const l = this.last;
    let f: FlowAcc | undefined;
    if (l && l.first.proto === a.proto && l.first.src === a.src && l.first.sport === a.sport && l.first.dst === a.dst && l.first.dport === a.dport) f = l;
    else f = this.flows.get(`${a.proto},${a.src},${a.sport},${a.dst},${a.dport}`);
    if (!f) {
      const k = `${a.proto},${a.src},${a.sport},${a.dst},${a.dport}`;
      f = { first: { proto: a.proto, src: a.src, sport: a.sport, dst: a.dst, dport: a.dport }, packets: 0, delivered: 0, lost: 0, incomplete: 0, lost_after: {}, first_packet: t.id, last_packet: t.id, max_duration_ns: 0, durations: new Samples(100000) };
      this.flows.set(k, f);
    }
    this.last = f;
    if (z.dst !== a.dst || z.dport !== a.dport) f.natDst = { dst: z.dst, dport: z.dport };
    if (z.src !== a.src || z.sport !== a.sport) f.natSrc = { src: z.src, sport: z.sport };
    f.packets++;
    f.last_packet = t.id;
    const st: VerdictStatus = t.verdict.status;
    f[st]++;
    if (st === 'lost' && t.verdict.after) {
      const w = `${t.verdict.after.iface.node} ${t.verdict.after.iface.name}`;
      f.lost_after[w] = (f.lost_after[w] ?? 0) + 1;
    }
    f.durations.push(t.durationNs);
    if (t.durationNs > f.max_duration_ns) f.max_duration_ns = t.durationNs;
  }

  rows(): FlowRow[] {
    const out: FlowRow[] = [];
    for (const f of this.flows.values()) {
      const d = f.durations.values();
      const a = f.first;
      const row: FlowRow = {
        proto: protoName(a.proto),
        src: endpointText(a.src, a.sport),
        dst: endpointText(a.dst, a.dport),
        packets: f.packets,
        delivered: f.delivered,
        lost: f.lost,
        incomplete: f.incomplete,
        lost_after: f.lost_after,
        first_packet: f.first_packet,
        last_packet: f.last_packet,
        p50_duration_ns: new Percentiles(d).at(50),
        max_duration_ns: f.max_duration_ns,
      };
      if (f.natDst) row.nat_dst = endpointText(f.natDst.dst, f.natDst.dport);
      if (f.natSrc) row.nat_src = endpointText(f.natSrc.src, f.natSrc.sport);
      out.push(row);
    }
    out.sort((a, b) => a.first_packet - b.first_packet);
    return out;
  }
}
