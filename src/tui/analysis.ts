/**
 * The trace engine (src/analysis) run over the frames the session has read, concurrently with
 * reading: a slice of frames at a time (a few milliseconds), then back to the event loop so that
 * keys are answered. Results are kept for the panes: every trace, which trace and hop each frame
 * belongs to, the flows, and the findings.
 *
 * The frames are already in memory and in merged timestamp order, so the engine reads them from
 * the store rather than reading the files a second time. Clock correction follows `trace`: for
 * files, `--skew auto` estimates offsets first with the engine's own prescan of the underlays;
 * for a stream, from its first frames (up to 3 s or 100 000 frames).
 */
import type { Frame, Source } from '../capture/frame.js';
import { TraceEngine } from '../analysis/engine.js';
import { extract, ENC_NONE, type Ports } from '../analysis/extract.js';
import { roleFromName, type RoleOverrides } from '../analysis/roles.js';
import { prescanSkew, type SkewMode } from '../analysis/run.js';
import { SkewCollector, significant, type SkewEstimate } from '../analysis/skew.js';
import type { FlowRow } from '../analysis/stats.js';
import { Analyzer, type Finding } from '../analysis/findings.js';
import type { Trace } from '../analysis/timeline.js';
import type { FrameStore } from './store.js';

export interface AnalysisSettings {
  readonly files: readonly string[];
  readonly ifnames?: readonly string[];
  readonly links?: readonly string[];
  readonly ports: Ports;
  readonly roles?: RoleOverrides;
  readonly windowNs: number;
  readonly skew: SkewMode;
  /** A stream (stdin, pipe): cannot be read twice for the skew estimate. */
  readonly stream: boolean;
}

/** A finding of the analyzer with its evidence resolved to frame-store indices. */
export interface FindingView {
  readonly finding: Finding;
  /** Evidence frames, as indices into the frame store (those that were read). */
  readonly frames: readonly number[];
}

export interface HopRef {
  readonly trace: Trace;
  readonly hop: number;
}

/** Work per slice before yielding to the event loop (ms). */
const SLICE_MS = 8;

export class Analysis {
  readonly traces: Trace[] = [];
  private readonly byFrame = new Map<Source, Map<number, number>>();
  /** Frame store index of each (source, frame number), for jumping to a hop's frame. */
  private readonly indexOf = new Map<Source, Map<number, number>>();
  /** The same by input file (findings name their evidence by file and frame number). */
  private readonly indexByFile = new Map<string, Map<number, number>>();
  private analyzer: Analyzer | undefined;
  private readonly lost: Trace[] = [];
  private engine: TraceEngine | undefined;
  skew: SkewEstimate[] = [];
  offsets: ReadonlyMap<string, number> = new Map();
  findings: FindingView[] = [];
  findingsNote: string | undefined = 'the findings come when every frame has been analysed';
  analyzed = 0;
  done = false;
  error: string | undefined;
  private flowCache: { at: number; rows: FlowRow[] } | undefined;
  private registered = 0;

  constructor(
    private readonly store: FrameStore,
    private readonly settings: AnalysisSettings,
    private readonly sources: () => readonly Source[],
  ) {}

  /** The trace and hop a frame belongs to (undefined: not an IPv4 packet, or not traced yet). */
  traceOf(i: number): HopRef | undefined {
    const f = this.store.get(i);
    if (!f) return undefined;
    const t = this.byFrame.get(f.source)?.get(f.number);
    if (t === undefined) return undefined;
    const trace = this.traces[t];
    const hop = trace.hops.findIndex((h) => h.obs.source === f.source && h.frames.includes(f.number));
    return { trace, hop: Math.max(0, hop) };
  }

  /** Store index of frame `number` of `source` (undefined if not read). */
  frameIndex(source: Source, number: number): number | undefined {
    return this.indexOf.get(source)?.get(number);
  }

  /** Store index of frame `number` of the input read from `file` (any of its interfaces). */
  frameIndexInFile(file: string, number: number): number | undefined {
    return this.indexByFile.get(file)?.get(number);
  }

  /** Store index of the first frame of trace `id` (packet number). */
  packetFrame(id: number): number | undefined {
    const t = this.traces[id - 1];
    if (!t) return undefined;
    const h = t.hops[0];
    return this.frameIndex(h.obs.source, h.frames[0]);
  }

  flows(): FlowRow[] {
    if (!this.engine) return [];
    if (!this.flowCache || this.flowCache.at !== this.traces.length) this.flowCache = { at: this.traces.length, rows: this.engine.flows.rows() };
    return this.flowCache.rows;
  }

  /**
   * Run until the store is complete (`loaded()`) and every frame has been through the engine.
   * `more()` resolves when frames arrive or loading ends; `notify` reports progress.
   */
  async run(loaded: () => boolean, more: () => Promise<void>, notify: () => void, stopped: () => boolean): Promise<void> {
    try {
      const offsets = await this.decideSkew(loaded, more, stopped);
      if (stopped()) return;
      this.offsets = offsets;
      const s = this.settings;
      this.engine = new TraceEngine({
        windowNs: s.windowNs,
        ports: s.ports,
        roles: s.roles,
        offsets,
        onTrace: (t) => this.addTrace(t),
        onObs: (o, i) => this.analyzer?.onObs(o, i),
        onArp: (x, i) => this.analyzer?.onArp(x, i),
      });
      const engine = this.engine;
      this.analyzer = new Analyzer(engine.topo);
      for (;;) {
        if (stopped()) return;
        if (this.analyzed < this.store.length) {
          this.register();
          const until = performance.now() + SLICE_MS;
          let n = 0;
          while (this.analyzed < this.store.length) {
            const f = this.store.get(this.analyzed);
            this.index(f, this.analyzed);
            engine.push(f);
            this.analyzed++;
            if ((++n & 255) === 0 && performance.now() > until) break;
          }
          engine.endBatch();
          notify();
          await yieldToLoop();
          continue;
        }
        if (loaded()) break;
        await more();
      }
      this.register();
      engine.finish();
      const findings = this.analyzer.finish(this.skew, engine.latency.rows(), this.lost);
      this.findings = findings.map((finding) => ({
        finding,
        frames: finding.frames.map((e) => this.frameIndexInFile(e.file, e.frame)).filter((i): i is number => i !== undefined),
      }));
      this.findingsNote = undefined;
      this.done = true;
      notify();
    } catch (e) {
      this.error = (e as Error).message ?? String(e);
      this.done = true;
      notify();
    }
  }

  private index(f: Frame, i: number): void {
    let m = this.indexOf.get(f.source);
    if (!m) this.indexOf.set(f.source, (m = new Map()));
    m.set(f.number, i);
    let b = this.indexByFile.get(f.source.file);
    if (!b) this.indexByFile.set(f.source.file, (b = new Map()));
    b.set(f.number, i);
  }

  private register(): void {
    const all = this.sources();
    if (all.length > this.registered) {
      this.engine?.registerSources(all.slice(this.registered));
      this.registered = all.length;
    }
  }

  private addTrace(t: Trace): void {
    this.analyzer?.onTrace(t);
    if (t.verdict.status === 'lost' && this.lost.length < 10000) this.lost.push(t);
    const k = this.traces.length;
    this.traces.push(t);
    for (const h of t.hops) {
      let m = this.byFrame.get(h.obs.source);
      if (!m) this.byFrame.set(h.obs.source, (m = new Map()));
      for (const n of h.frames) m.set(n, k);
    }
  }

  private async decideSkew(loaded: () => boolean, more: () => Promise<void>, stopped: () => boolean): Promise<Map<string, number>> {
    const s = this.settings;
    const offsets = new Map<string, number>();
    if (s.skew.mode === 'off') return offsets;
    if (s.skew.mode === 'given') {
      for (const [n, v] of s.skew.offsets) if (v) offsets.set(n, v);
      return offsets;
    }
    let estimates: SkewEstimate[];
    if (!s.stream) {
      const pre = await prescanSkew({ files: s.files, ifnames: s.ifnames, links: s.links, ports: s.ports, roles: s.roles, windowNs: s.windowNs, skew: s.skew });
      estimates = pre.collector.estimate(pre.nodes);
    } else {
      // a stream cannot be read twice: estimate from its first frames, as `trace` does
      const collector = new SkewCollector();
      let i = 0;
      let base = -1;
      let first = -1;
      for (;;) {
        if (stopped()) return offsets;
        while (i < this.store.length) {
          const f = this.store.get(i++);
          if (base < 0) base = f.tsSec;
          const t = f.tsSec * 1e9 + f.tsNsec;
          if (first < 0) first = t;
          collector.noteNode(f.source.node);
          skewCandidate(f, s.ports, s.roles, collector, base);
          if (i >= 100_000 || t - first >= 3e9) break;
        }
        const last = i ? this.store.get(i - 1) : undefined;
        if (i >= 100_000 || collector.enough() || loaded() || (last && last.tsSec * 1e9 + last.tsNsec - first >= 3e9)) break;
        await more();
      }
      const nodes: string[] = [];
      for (const src of this.sources()) if (!nodes.includes(src.node)) nodes.push(src.node);
      estimates = collector.estimate(nodes);
    }
    for (const e of estimates) {
      if (significant(e)) {
        e.applied_ns = e.offset_ns;
        offsets.set(e.node, e.offset_ns);
      }
    }
    this.skew = estimates;
    return offsets;
  }
}

/** As analysis/run.ts: tunnelled frames, or frames on an interface that is an underlay by name. */
function skewCandidate(f: Frame, ports: Ports, roles: RoleOverrides | undefined, collector: SkewCollector, base: number): void {
  const s = f.source;
  const r = roles?.get(s.node, s.iface) ?? roleFromName(s.iface);
  if (r !== undefined && r !== 'underlay') return;
  const x = extract(f, ports);
  if (!x || x.kind !== 1) return;
  if (x.enc === ENC_NONE && r !== 'underlay') return;
  collector.add(x, (f.tsSec - base) * 1e9 + f.tsNsec);
}

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
