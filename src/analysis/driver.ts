/**
 * The rules that drive a TraceEngine over a stream of frames, shared by `trace`/`analyze`
 * (runPipeline, which reads the inputs) and the TUI (which feeds frames from its own store):
 * first the clock corrections (off, given, a prescan of the files, or a buffered prefix of a
 * stream), then batches pushed through the engine with new sources registered, a reorder horizon
 * for multi-interface files, and windows closed by the wall clock when a stream goes quiet.
 */
import { LinkType, type Frame, type SightingBatch, type Source } from '../capture/frame.js';
import { InterfaceNames, nameFromPath, parseInputArg } from '../capture/input.js';
import { TraceEngine, type EngineOptions } from './engine.js';
import type { Ports } from './extract.js';
import { prescanSkew, SkewSampler, type Prescan } from './prescan.js';
import type { RoleOverrides } from './roles.js';
import { notEstimated, significant, type SkewEstimate } from './skew.js';

export { prescanSkew, type Prescan } from './prescan.js';

export type SkewMode = { mode: 'off' } | { mode: 'auto' } | { mode: 'given'; offsets: Map<string, number> };

/** The engine settings the commands' options give. */
export interface DriverSettings {
  /** Input arguments, in order: the first one's node is the clock reference. */
  readonly files: readonly string[];
  readonly ports: Ports;
  readonly roles?: RoleOverrides;
  readonly windowNs: number;
  readonly skew: SkewMode;
  /** Reorder horizon (ns) for files whose frames are not in timestamp order; default: 1 s when a file holds several interfaces (pcapng), else 0. */
  readonly reorderNs?: number;
  /** Only frames this keeps are traced (the `-Y` display filter). */
  readonly frameFilter?: (f: Frame) => boolean;
}

export interface DriverOptions extends DriverSettings {
  /** The inputs cannot be read twice (a pipe): estimate the skew from a prefix, not a prescan. */
  readonly stream: boolean;
  /** Every source seen so far; new ones are registered with the engine before a batch. */
  readonly sources: () => readonly Source[];
  /** Names of SLL2 interface indexes, for the prescan (which opens the files again). */
  readonly names?: () => InterfaceNames;
  /**
   * The caller holds the frames and pushes them again once the skew is decided (the TUI's store;
   * `onEngine` is its cue): the prefix is only sampled, not kept.
   */
  readonly replay?: boolean;
  /** Wall clock, ms (default: performance.now). */
  readonly now?: () => number;
  /** The prescan, when made elsewhere (the reader thread: runPipeline); default prescanSkew here. */
  readonly prescan?: () => Promise<Prescan>;
}

export interface DriverHooks extends Pick<EngineOptions, 'onTrace' | 'onObs' | 'onArp' | 'onFrame' | 'reuse'> {
  /** The clock corrections, once decided (before the engine exists). */
  readonly onSkew?: (skew: SkewEstimate[], offsets: Map<string, number>) => void;
  readonly onEngine?: (engine: TraceEngine) => void;
}

/** Does some file hold several interfaces (a pcapng from dumpcap; not `-i any`, which is in order)? */
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

/** A stream's prefix: 3 s of capture or of waiting, at most 100 000 frames. */
const PREFIX_MS = 3000;
const PREFIX_NS = 3e9;
const PREFIX_FRAMES = 100_000;

/**
 * Push-style: `await start()`, then `push(batch)` as frames come, `idle()` when a stream is
 * quiet, `finish()` at the end. `push`, `idle` and `endPrefix` return whether the engine got
 * work (the caller flushes its output then); during the skew prefix they only buffer.
 */
export class EngineDriver {
  engine: TraceEngine | undefined;
  skew: SkewEstimate[] = [];
  offsets = new Map<string, number>();
  private prefix: { sampler: SkewSampler; frames: Frame[]; count: number; first: number; last: Frame | undefined; started: number } | undefined;
  private registered = 0;
  private lastArrival: number;
  private readonly now: () => number;

  constructor(
    private readonly o: DriverOptions,
    private readonly hooks: DriverHooks,
  ) {
    this.now = o.now ?? (() => performance.now());
    this.lastArrival = this.now();
  }

  /** Decide the clock corrections (a prescan reads the files once more), or start buffering a stream's prefix. */
  async start(): Promise<void> {
    const o = this.o;
    if (o.skew.mode === 'given') this.decide([], this.nodeOrder(o.skew.offsets.keys()));
    else if (o.skew.mode === 'off') this.decide([], []);
    else if (!o.stream) {
      const pre = o.prescan ? await o.prescan() : await prescanSkew(o, o.names?.() ?? new InterfaceNames());
      this.decide(pre.collector.estimate(this.nodeOrder(pre.nodes)), []);
    } else this.prefix = { sampler: new SkewSampler(o.ports, o.roles), frames: [], count: 0, first: -1, last: undefined, started: this.now() };
  }

  /** Still buffering the prefix the skew is estimated from (no engine yet). */
  get buffering(): boolean {
    return this.prefix !== undefined;
  }

  /** Wall-clock ms left before the prefix ends for lack of frames. */
  prefixLeftMs(): number {
    return this.prefix ? PREFIX_MS - (this.now() - this.prefix.started) : 0;
  }

  /** A batch (any iterable: the TUI passes a generator that ends its time slice). */
  push(batch: Iterable<Frame>): boolean {
    this.lastArrival = this.now();
    const p = this.prefix;
    if (!p) {
      this.feed(batch);
      return true;
    }
    const span = (f: Frame): number => f.tsSec * 1e9 + f.tsNsec - p.first;
    for (const f of batch) {
      p.last = f;
      p.count++;
      if (p.first < 0) p.first = f.tsSec * 1e9 + f.tsNsec;
      p.sampler.add(f);
      // a batch in hand is sampled whole (it is traced with the prefix); a replayed one stops at the limit
      if (!this.o.replay) p.frames.push(f);
      else if (p.count >= PREFIX_FRAMES || span(f) >= PREFIX_NS) break;
    }
    const full =
      p.count >= PREFIX_FRAMES ||
      (p.last && span(p.last) >= PREFIX_NS) ||
      p.sampler.done ||
      this.now() - p.started >= PREFIX_MS;
    return full ? this.endPrefix() : false;
  }

  /** The stream is quiet: close windows by the wall clock (or end a prefix that waited long enough). */
  idle(): boolean {
    if (this.prefix) return this.prefixLeftMs() <= 0 && this.endPrefix();
    this.engine!.idle((this.now() - this.lastArrival) * 1e6);
    return true;
  }

  /** Estimate from the prefix read so far and put it through the engine; true if it held frames. */
  endPrefix(): boolean {
    const p = this.prefix;
    if (!p) return false;
    this.prefix = undefined;
    this.decide(p.sampler.collector.estimate(this.nodeOrder([])), []);
    if (!p.frames.length) return false;
    this.feed(p.frames);
    return true;
  }

  /** The input ended (`stopped`: the output closed, so open windows are not worth closing). */
  finish(stopped = false): void {
    this.endPrefix();
    this.register();
    const engine = this.engine!;
    if (!stopped) engine.finish();
    // nodes seen only in the main pass (a prescan that read nothing) still get a row
    const skew = this.skew;
    for (const n of engine.topo.nodeNames()) {
      if (!skew.some((e) => e.node === n) && skew.length) {
        skew.push(notEstimated(n, skew[0].reference));
      }
    }
  }

  /** Frames known by their sightings only (runPipeline: files read on a second thread, no -Y). */
  pushSightings(b: SightingBatch): void {
    if (this.prefix) throw new Error('a stream prefix is made of frames');
    this.lastArrival = this.now();
    this.register();
    const engine = this.engine!;
    engine.pushSightings(b, this.o.sources());
    engine.endBatch();
  }

  private feed(batch: Iterable<Frame>): void {
    const engine = this.engine!;
    const keep = this.o.frameFilter;
    this.register();
    for (const f of batch) if (!keep || keep(f)) engine.push(f);
    engine.endBatch();
  }

  private register(): void {
    const all = this.o.sources();
    if (all.length > this.registered) {
      this.engine!.registerSources(all.slice(this.registered));
      this.registered = all.length;
      // several interfaces written into one file by dumpcap come out of timestamp order
      if (this.o.reorderNs === undefined && multiInterfaceFile(all)) this.engine!.setReorder(1e9);
    }
  }

  /** Nodes in the order of the inputs (the first input's node is the clock reference), then `extra`, then any other seen. */
  private nodeOrder(extra: Iterable<string>): string[] {
    const nodes: string[] = [];
    for (const f of this.o.files) {
      const spec = parseInputArg(f);
      const n = spec.node ?? nameFromPath(spec.path).node;
      if (!nodes.includes(n)) nodes.push(n);
    }
    for (const n of extra) if (!nodes.includes(n)) nodes.push(n);
    for (const s of this.o.sources()) if (!nodes.includes(s.node)) nodes.push(s.node);
    return nodes;
  }

  /** Offsets to apply (the significant estimates, or the given ones); then the engine. */
  private decide(estimates: SkewEstimate[], nodes: readonly string[]): void {
    const o = this.o;
    const skew = o.skew;
    const offsets = new Map<string, number>();
    if (skew.mode === 'given') {
      const ref = nodes.find((n) => !skew.offsets.has(n)) ?? '(reference)';
      estimates = nodes.map((n) => {
        const v = skew.offsets.get(n) ?? 0;
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
    }
    for (const e of estimates) {
      if (skew.mode === 'auto' && significant(e)) {
        e.applied_ns = e.offset_ns;
        offsets.set(e.node, e.offset_ns);
      }
    }
    this.skew = estimates;
    this.offsets = offsets;
    this.hooks.onSkew?.(estimates, offsets);
    const h = this.hooks;
    this.engine = new TraceEngine({ onTrace: h.onTrace, onObs: h.onObs, onArp: h.onArp, onFrame: h.onFrame, reuse: h.reuse, windowNs: o.windowNs, ports: o.ports, roles: o.roles, offsets, reorderNs: o.reorderNs });
    h.onEngine?.(this.engine);
  }
}
