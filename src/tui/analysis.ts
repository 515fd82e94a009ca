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
import { LinkType, type Frame, type Source } from '../capture/frame.js';
import { nameFromPath, parseInputArg } from '../capture/input.js';
import { TraceEngine } from '../analysis/engine.js';
import { extract, ENC_NONE, type Ports } from '../analysis/extract.js';
import { roleFromName, type RoleOverrides } from '../analysis/roles.js';
import { prescanSkew, type SkewMode } from '../analysis/run.js';
import { SkewCollector, significant, type SkewEstimate } from '../analysis/skew.js';
import type { FlowRow } from '../analysis/stats.js';
import { Analyzer, type Finding } from '../analysis/findings.js';
import { packetSummary, type PathPlace, type Trace, type VerdictStatus } from '../analysis/timeline.js';
import type { Role } from '../analysis/roles.js';
import { hopChanges, verdictText } from './format.js';
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

/** One hop of a trace, as the timeline shows it (nothing that keeps the engine's data alive). */
export interface HopView {
  readonly node: string;
  readonly iface: string;
  readonly role: Role;
  readonly source: Source;
  /** Frame number (in its input) of the first sighting; `more`: the other GSO segments. */
  readonly frame: number;
  readonly more?: readonly number[];
  readonly sinceFirstNs: number;
  readonly deltaNs: number;
  /** What changed at this hop, as `trace` words it (first hop: its TTL). */
  readonly changes: string;
}

/** A trace reduced to what the timeline shows: the engine's Trace holds every sighting's fields. */
export interface TraceView {
  readonly id: number;
  /** `ICMP echo request 10.10.1.5 > 10.10.2.6 id 2717 seq 1 (84 B)` */
  readonly summary: string;
  readonly sender: string;
  readonly receiver?: string;
  readonly durationNs: number;
  readonly status: VerdictStatus;
  /** `delivered in 140 µs`, `LOST after node2 flannel.1`, `incomplete` (escaped). */
  readonly verdict: string;
  readonly reason: string;
  readonly missing: readonly PathPlace[];
  readonly skipped: readonly PathPlace[];
  readonly hops: readonly HopView[];
}

export interface HopRef {
  readonly trace: TraceView;
  readonly hop: number;
}

/** The compact view of a trace. */
export function traceView(t: Trace): TraceView {
  return {
    id: t.id,
    summary: packetSummary(t.hops[0].obs),
    sender: t.sender,
    receiver: t.receiver,
    durationNs: t.durationNs,
    status: t.verdict.status,
    verdict: verdictText(t),
    reason: t.verdict.reason,
    missing: t.verdict.missing ?? [],
    skipped: t.verdict.skipped,
    hops: t.hops.map((h, k) => {
      const frames = h.frames;
      return {
        node: h.iface.node,
        iface: h.iface.name,
        role: h.role,
        source: h.obs.source,
        frame: frames[0],
        more: frames.length > 1 ? frames.slice(1) : undefined,
        sinceFirstNs: h.sinceFirstNs,
        deltaNs: h.deltaNs,
        changes: hopChanges(h, k === 0),
      };
    }),
  };
}

/** Frame number (per input file) → a value, in a growable array (4 bytes a frame, no Map entry). */
class PerFile {
  private readonly files = new Map<string, Int32Array>();

  set(file: string, number: number, value: number): void {
    let a = this.files.get(file);
    if (!a || number >= a.length) {
      let size = a ? a.length : 1024;
      while (size <= number) size *= 2;
      const b = new Int32Array(size);
      if (a) b.set(a);
      this.files.set(file, (a = b));
    }
    a[number] = value + 1;
  }

  get(file: string, number: number): number | undefined {
    const a = this.files.get(file);
    const v = a && number < a.length ? a[number] : 0;
    return v ? v - 1 : undefined;
  }
}

/** Work per slice before yielding to the event loop (ms). */
const SLICE_MS = 8;

export class Analysis {
  readonly traces: TraceView[] = [];
  /** Trace of each frame, by input file and frame number. */
  private readonly traceByFrame = new PerFile();
  /** Frame store index of each frame, by input file and frame number (for jumps to hops and evidence). */
  private readonly indexByFile = new PerFile();
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
  private lastArrival = performance.now();

  constructor(
    private readonly store: FrameStore,
    private readonly settings: AnalysisSettings,
    private readonly sources: () => readonly Source[],
  ) {}

  /** The trace and hop a frame belongs to (undefined: not an IPv4 packet, or not traced yet). */
  traceOf(i: number): HopRef | undefined {
    if (i < 0 || i >= this.store.length) return undefined;
    const f = this.store.get(i);
    const t = this.traceByFrame.get(f.source.file, f.number);
    if (t === undefined) return undefined;
    const trace = this.traces[t];
    const hop = trace.hops.findIndex((h) => h.source === f.source && (h.frame === f.number || !!h.more?.includes(f.number)));
    return { trace, hop: Math.max(0, hop) };
  }

  /** Store index of frame `number` of the input `source` was read from (undefined if not read). */
  frameIndex(source: Source, number: number): number | undefined {
    return this.indexByFile.get(source.file, number);
  }

  /** Store index of frame `number` of the input read from `file` (any of its interfaces). */
  frameIndexInFile(file: string, number: number): number | undefined {
    return this.indexByFile.get(file, number);
  }

  /** Store index of the first frame of trace `id` (packet number). */
  packetFrame(id: number): number | undefined {
    let t = this.traces[id - 1];
    if (!t || t.id !== id) t = this.traces.find((x) => x.id === id) as TraceView;
    if (!t) return undefined;
    const h = t.hops[0];
    return this.frameIndex(h.source, h.frame);
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
          this.lastArrival = performance.now();
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
        if (!s.stream) {
          await more();
          continue;
        }
        // a quiet stream: let the windows close by the wall clock, as `trace` does
        const woke = await Promise.race([more().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 250))]);
        if (!woke) {
          const traced = this.traces.length;
          engine.idle((performance.now() - this.lastArrival) * 1e6);
          if (this.traces.length !== traced) notify();
        } else this.lastArrival = performance.now();
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
    this.indexByFile.set(f.source.file, f.number, i);
  }

  private register(): void {
    const all = this.sources();
    if (all.length > this.registered) {
      this.engine?.registerSources(all.slice(this.registered));
      this.registered = all.length;
      // several interfaces written into one file (dumpcap's pcapng) come out of timestamp order
      if (multiInterfaceFile(all)) this.engine?.setReorder(1e9);
    }
  }

  private addTrace(t: Trace): void {
    this.analyzer?.onTrace(t);
    if (t.verdict.status === 'lost' && this.lost.length < 10000) this.lost.push(t);
    const k = this.traces.length;
    this.traces.push(traceView(t));
    for (const h of t.hops) for (const n of h.frames) this.traceByFrame.set(h.obs.source.file, n, k);
  }

  /** Nodes in the order of the inputs (the first input's node is the clock reference), then any other. */
  private nodeOrder(extra: Iterable<string>): string[] {
    const nodes: string[] = [];
    for (const f of this.settings.files) {
      const spec = parseInputArg(f);
      const n = spec.node ?? nameFromPath(spec.path).node;
      if (!nodes.includes(n)) nodes.push(n);
    }
    for (const n of extra) if (!nodes.includes(n)) nodes.push(n);
    for (const src of this.sources()) if (!nodes.includes(src.node)) nodes.push(src.node);
    return nodes;
  }

  /** The clock corrections, as `trace` decides them (analysis/run.ts). */
  private async decideSkew(loaded: () => boolean, more: () => Promise<void>, stopped: () => boolean): Promise<Map<string, number>> {
    const s = this.settings;
    const offsets = new Map<string, number>();
    if (s.skew.mode === 'off') return offsets;
    if (s.skew.mode === 'given') {
      const given = s.skew.offsets;
      const nodes = this.nodeOrder(given.keys());
      const ref = nodes.find((n) => !given.has(n)) ?? '(reference)';
      this.skew = nodes.map((n) => {
        const v = given.get(n) ?? 0;
        if (v) offsets.set(n, v);
        return {
          node: n,
          reference: ref,
          offset_ns: v,
          uncertainty_ns: 0,
          samples_from_ref: 0,
          samples_to_ref: 0,
          min_forward_ns: null,
          max_backward_ns: null,
          method: 'given',
          applied_ns: v,
        };
      });
      return offsets;
    }
    let estimates: SkewEstimate[];
    if (!s.stream) {
      const pre = await prescanSkew({ files: s.files, ifnames: s.ifnames, links: s.links, ports: s.ports, roles: s.roles, windowNs: s.windowNs, skew: s.skew });
      estimates = pre.collector.estimate(this.nodeOrder(pre.nodes));
    } else {
      // a stream cannot be read twice: estimate from its first frames, as `trace` does (3 s of
      // capture or of waiting, at most 100 000 frames)
      const collector = new SkewCollector();
      const started = performance.now();
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
        if (performance.now() - started > 3000) break;
        await Promise.race([more(), new Promise((r) => setTimeout(r, 250))]);
      }
      estimates = collector.estimate(this.nodeOrder([]));
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

/** Does one file hold several interfaces (not an SLL `-i any` capture)? As analysis/run.ts. */
function multiInterfaceFile(sources: readonly Source[]): boolean {
  const perFile = new Map<string, number>();
  for (const s of sources) {
    if (s.linkType === LinkType.LINUX_SLL2 || s.linkType === LinkType.LINUX_SLL) continue;
    const n = (perFile.get(s.file) ?? 0) + 1;
    if (n > 1) return true;
    perFile.set(s.file, n);
  }
  return false;
}
