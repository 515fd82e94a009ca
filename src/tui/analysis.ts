/**
 * The trace engine (src/analysis) run over the frames the session has read, concurrently with
 * reading: a slice of frames at a time (a few milliseconds), then back to the event loop so that
 * keys are answered. Results are kept for the panes: every trace, which trace and hop each frame
 * belongs to, the flows, and the findings.
 *
 * The frames are already in memory and in merged timestamp order, so the engine reads them from
 * the store rather than reading the files a second time. The engine is driven as `trace` drives
 * it (analysis/driver.ts): for files, `--skew auto` estimates offsets first with a prescan of the
 * underlays; for a stream, from its first frames (sampled from the store, which then goes
 * through the engine from its start).
 */
import type { Frame, Source } from '../capture/frame.js';
import { EngineDriver, type DriverSettings } from '../analysis/driver.js';
import { interfaceNames, type NamingOptions } from '../analysis/run.js';
import type { TraceEngine } from '../analysis/engine.js';
import type { SkewEstimate } from '../analysis/skew.js';
import type { FlowRow } from '../analysis/stats.js';
import { Analyzer, type Finding } from '../analysis/findings.js';
import { packetSummary, type PathPlace, type Trace, type VerdictStatus } from '../analysis/timeline.js';
import type { Role } from '../analysis/roles.js';
import { hopChanges, verdictText } from './format.js';
import type { FrameStore } from './store.js';

/** The TUI traces every frame (its display filter only hides frames, it does not choose what is traced). */
export interface AnalysisSettings extends Omit<DriverSettings, 'frameFilter'>, NamingOptions {
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
  /** Store frames pushed (while the skew prefix is sampled: not yet through the engine). */
  private pushed = 0;
  done = false;
  error: string | undefined;
  private flowCache: { at: number; rows: FlowRow[] } | undefined;

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

  /** Frames through the engine. */
  get analyzed(): number {
    return this.engine ? this.pushed : 0;
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
      const s = this.settings;
      const driver = new EngineDriver(
        { ...s, sources: this.sources, names: () => interfaceNames(s), replay: true },
        {
          onTrace: (t) => this.addTrace(t),
          onObs: (o, i) => this.analyzer?.onObs(o, i),
          onArp: (x, i) => this.analyzer?.onArp(x, i),
          onSkew: (skew, offsets) => {
            this.skew = skew;
            this.offsets = offsets;
          },
          onEngine: (engine) => {
            this.engine = engine;
            this.analyzer = new Analyzer(engine.topo);
            // the skew prefix was only sampled: the engine reads the store from its start
            this.pushed = 0;
          },
        },
      );
      await driver.start();
      for (;;) {
        if (stopped()) return;
        if (this.pushed < this.store.length) {
          driver.push(this.slice());
          notify();
          await yieldToLoop();
          continue;
        }
        if (loaded()) {
          if (driver.buffering) {
            driver.endPrefix();
            continue;
          }
          break;
        }
        if (!s.stream) {
          await more();
          continue;
        }
        // a quiet stream: let the windows close by the wall clock, as `trace` does
        const woke = await Promise.race([more().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 250))]);
        if (!woke) {
          const traced = this.traces.length;
          driver.idle();
          if (this.traces.length !== traced) notify();
        }
      }
      driver.finish();
      const findings = this.analyzer!.finish(this.skew, this.engine!.latency.rows(), this.lost);
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

  /** The next frames of the store, for at most SLICE_MS of work (the engine's included; sampling the skew prefix is cheap: all that is read). */
  private *slice(): Generator<Frame> {
    const until = this.engine ? performance.now() + SLICE_MS : Infinity;
    let n = 0;
    while (this.pushed < this.store.length) {
      const i = this.pushed++;
      const f = this.store.get(i);
      this.indexByFile.set(f.source.file, f.number, i);
      yield f;
      if ((++n & 255) === 0 && performance.now() > until) return;
    }
  }

  private addTrace(t: Trace): void {
    this.analyzer?.onTrace(t);
    if (t.verdict.status === 'lost' && this.lost.length < 10000) this.lost.push(t);
    const k = this.traces.length;
    this.traces.push(traceView(t));
    for (const h of t.hops) for (const n of h.frames) this.traceByFrame.set(h.obs.source.file, n, k);
  }
}

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
