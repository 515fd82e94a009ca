/**
 * The streaming pipeline behind `trace` and `analyze`: frames (in merged timestamp order) →
 * extract → clock correction → topology learning → correlation → timelines, handed on one by
 * one as their windows close. Memory is bounded by the traffic of one window (plus the skew).
 */
import { FrameRecord, type Frame, type SightingBatch, type Source } from '../capture/frame.js';
import { META } from '../capture/reader-protocol.js';
import { Correlator, type Group } from './correlate.js';
import { ENC_NONE, extract, Obs, Ports, type ArpObs } from './extract.js';
import type { RoleOverrides } from './roles.js';
import { FlowStats, LatencyStats } from './stats.js';
import { fillRow, fillRowOf, readRow, readSighting } from './sighting-columns.js';
import { buildTrace, type TimelineOptions, type Trace } from './timeline.js';
import { Topology, type IfaceInfo } from './topology.js';
import { MinHeap } from '../util/heap.js';

export interface EngineOptions {
  /** A packet's sightings may be this far apart (ns, corrected clocks); default 1 s. */
  readonly windowNs?: number;
  readonly ports?: Ports;
  readonly roles?: RoleOverrides;
  /** Clock offset per node (node clock − reference, ns), subtracted from its timestamps. */
  readonly offsets?: ReadonlyMap<string, number>;
  /**
   * Sightings are put back in timestamp order within this horizon before correlation (dumpcap
   * writes a multi-interface pcapng out of order, by up to a ping interval or more); default 0,
   * and runPipeline sets 1 s when an input holds several interfaces.
   */
  readonly reorderNs?: number;
  /** How long a packet seen at its destination still waits for straggling sightings; default 50 ms. */
  readonly slackNs?: number;
  readonly onTrace: (t: Trace) => void;
  readonly onObs?: (o: Obs, i: IfaceInfo) => void;
  readonly onArp?: (a: ArpObs, i: IfaceInfo) => void;
  /** Every frame, whether or not it is IPv4/ARP (analyze counts them). */
  readonly onFrame?: (f: Frame, x: Obs | ArpObs | undefined) => void;
  /**
   * onTrace keeps nothing of a trace after it returns (`trace` printing it): its sightings
   * and packet group are then reused for later packets.
   */
  readonly reuse?: boolean;
}

export class TraceEngine {
  readonly topo: Topology;
  readonly latency = new LatencyStats();
  readonly flows = new FlowStats();
  readonly ports: Ports;
  private readonly corr: Correlator;
  private readonly window: number;
  private reorder: number;
  private readonly slack: number;
  private readonly timelineOpts: TimelineOptions;
  /** Sightings held back by the reorder horizon, by time. */
  private readonly pending = new MinHeap<Obs | ArpObs>((a, b) => a.t < b.t);
  /** Sightings that arrived later than the reorder horizon allowed, and how late the latest was. */
  late = 0;
  maxLateNs = 0;
  private released = -Infinity;
  private readonly offsets: ReadonlyMap<string, number>;
  private readonly offBySource: number[] = [];
  private readonly maxOff: number;
  private baseSec = -1;
  private rawNow = -Infinity;
  frames = 0;
  traced = 0;
  /** The sighting refilled for each frame whose extraction came from the reader thread. */
  private readonly scratch: Obs;
  /** Traces by verdict. */
  readonly verdicts = { delivered: 0, lost: 0, incomplete: 0 };

  constructor(private readonly opts: EngineOptions) {
    this.topo = new Topology(opts.roles);
    this.ports = opts.ports ?? new Ports();
    this.window = opts.windowNs ?? 1e9;
    this.reorder = opts.reorderNs ?? 0;
    this.slack = opts.slackNs ?? 50e6;
    this.timelineOpts = { graceNs: Math.max(this.window, 1e9) };
    // its source and every field are set by each fill
    this.scratch = new Obs(undefined as unknown as Source, 0, 0, 0, 0);
    this.scratch.scratch = true;
    this.offsets = opts.offsets ?? new Map();
    let m = 0;
    for (const v of this.offsets.values()) if (v > m) m = v;
    this.maxOff = m;
    this.corr = new Correlator(
      this.window,
      (g) => this.emit(g),
      (o, later) => {
        // at the destination pod's own interfaces, the journey is over: a pod's eth0 seen after
        // other hops, or the interfaces of the pod the packet is addressed to
        if (o.enc !== ENC_NONE) return false;
        const i = this.topo.ifaces[o.source.id];
        if (!i) return false;
        const r = i.role();
        return (r === 'pod' && later) || ((r === 'pod' || r === 'veth') && i.podIp() === o.dst);
      },
      Math.min(this.slack, this.window),
      opts.reuse ?? false,
    );
  }

  /** Put sightings back in order within this horizon (before the first frame, or any time). */
  setReorder(ns: number): void {
    this.reorder = ns;
  }

  /** Base second of the run's relative clock (set by the first frame, or by the caller). */
  get base(): number {
    return this.baseSec;
  }
  setBase(sec: number): void {
    if (this.baseSec < 0) this.baseSec = sec;
  }

  /** Register sources known before any frame (an empty capture still counts as captured). */
  registerSources(sources: readonly Source[]): void {
    this.topo.registerSources(sources);
  }

  private offset(s: Source): number {
    let v = this.offBySource[s.id];
    if (v === undefined) {
      v = this.offsets.get(s.node) ?? 0;
      this.offBySource[s.id] = v;
    }
    return v;
  }

  push(f: Frame): void {
    const t = this.clock(f.source, f.tsSec, f.tsNsec);
    // the reader thread may have extracted it already (with the same options): then, unless
    // something may keep every sighting, the scratch sighting is refilled (kept ones are copied)
    const c = f instanceof FrameRecord ? f.sightings : undefined;
    let x: Obs | ArpObs | undefined;
    if (c !== undefined && c.key === this.ports.key) {
      const row = (f as FrameRecord).sightingRow;
      if (this.reorder === 0 && !this.opts.onObs && fillRow(this.scratch, f, c.ints, c.nums, row)) x = this.scratch;
      else x = readSighting(f, c.ints, c.nums, row);
    } else x = extract(f, this.ports);
    this.opts.onFrame?.(f, x);
    this.take(f.source, t, x);
  }

  /**
   * Frames the reader thread has extracted, known only by their numbers and sightings
   * (reader-thread.ts threadedSightings; no onFrame then). `sources` by id.
   */
  pushSightings(b: SightingBatch, sources: readonly Source[]): void {
    if (b.key !== this.ports.key || this.opts.onFrame) throw new Error('sightings made with other options, or frames wanted');
    const { meta, ints, nums } = b;
    const n = meta.length / META;
    // a sighting someone may keep as it is (held back to reorder, or given to onObs) is its own object
    const own = this.reorder > 0 || this.opts.onObs !== undefined;
    for (let r = 0; r < n; r++) {
      const m = r * META;
      const s = sources[meta[m]];
      const sec = meta[m + 2];
      const nsec = meta[m + 3];
      const t = this.clock(s, sec, nsec);
      let x: Obs | ArpObs | undefined;
      if (!own && fillRowOf(this.scratch, s, meta[m + 1], sec, nsec, meta[m + 5], ints, nums, r)) x = this.scratch;
      else x = readRow(s, meta[m + 1], sec, nsec, meta[m + 5], ints, nums, r);
      this.take(s, t, x);
    }
  }

  /** A frame arrived from `s` at (sec, nsec): count it, move the stream's clock, and give its corrected time. */
  private clock(s: Source, sec: number, nsec: number): number {
    this.frames++;
    if (this.baseSec < 0) this.baseSec = sec;
    const raw = (sec - this.baseSec) * 1e9 + nsec;
    if (raw > this.rawNow) this.rawNow = raw;
    return raw - this.offset(s);
  }

  /** A frame's sighting (or none) at corrected time t. */
  private take(s: Source, t: number, x: Obs | ArpObs | undefined): void {
    const topo = this.topo;
    if (!x) {
      topo.iface(s).observeOther(t);
      return;
    }
    x.t = t;
    if (this.reorder > 0) {
      if (t < this.released) {
        this.late++;
        if (this.released - t > this.maxLateNs) this.maxLateNs = this.released - t;
        this.process(x);
        return;
      }
      this.pending.push(x);
      const horizon = this.rawNow - this.maxOff - this.reorder;
      const p = this.pending;
      while (p.size && p.peek()!.t <= horizon) {
        const y = p.pop();
        this.released = y.t;
        this.process(y);
      }
      return;
    }
    this.process(x);
  }

  private process(x: Obs | ArpObs): void {
    const i = this.topo.iface(x.source);
    if (x.kind === 2) {
      this.topo.observeArp(x, i);
      this.opts.onArp?.(x, i);
      return;
    }
    this.topo.observe(x, i);
    this.opts.onObs?.(x, i);
    this.corr.add(x);
  }

  /** Close what the stream has moved past (call after each batch). */
  endBatch(): void {
    this.corr.advance(this.rawNow - this.maxOff - this.reorder - this.slack);
  }

  /**
   * The input has been quiet for `ns` of wall-clock time: treat the capture clock as having moved
   * on as much (live captures are stamped with the time of day), so windows close without frames.
   */
  idle(ns: number): void {
    if (this.rawNow === -Infinity || ns <= 0) return;
    const now = this.rawNow + ns;
    if (this.reorder > 0) {
      const horizon = now - this.maxOff - this.reorder;
      const p = this.pending;
      while (p.size && p.peek()!.t <= horizon) {
        const y = p.pop();
        this.released = y.t;
        this.process(y);
      }
    }
    this.corr.advance(now - this.maxOff - this.reorder - this.slack);
  }

  finish(): void {
    const p = this.pending;
    while (p.size) this.process(p.pop());
    this.corr.flush();
  }

  get openGroups(): number {
    return this.corr.open;
  }
  get maxOpenGroups(): number {
    return this.corr.maxOpen;
  }

  private emit(g: Group): void {
    const t = buildTrace(g, this.topo, this.timelineOpts);
    t.id = ++this.traced;
    this.verdicts[t.verdict.status]++;
    this.latency.add(t);
    this.flows.add(t);
    this.opts.onTrace(t);
  }
}
