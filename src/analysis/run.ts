/**
 * Running the trace pipeline over opened inputs, shared by `trace` and `analyze`: decide the
 * clock corrections (off, given, or estimated: a cheap first pass over the underlay frames of
 * files, or a buffered prefix of a live stream), then stream every frame through the engine.
 */
import { statSync } from 'node:fs';
import { LinkType, type Frame, type Source } from '../capture/frame.js';
import { Input, InterfaceNames, SourceRegistry, nameFromPath, parseInputArg, type Input as InputT } from '../capture/input.js';
import { merged } from '../capture/read.js';
import { mergeInputs } from '../capture/live-merge.js';
import { TraceEngine, type EngineOptions } from './engine.js';
import { extract, ENC_NONE, Ports } from './extract.js';
import { roleFromName, type RoleOverrides } from './roles.js';
import { SkewCollector, parseSkewSpec, significant, type SkewEstimate } from './skew.js';

export type SkewMode = { mode: 'off' } | { mode: 'auto' } | { mode: 'given'; offsets: Map<string, number> };

export function parseSkewOption(s: string | undefined): SkewMode {
  if (s === undefined || s === 'auto') return { mode: 'auto' };
  if (s === 'off' || s === 'none' || s === '0') return { mode: 'off' };
  return { mode: 'given', offsets: parseSkewSpec(s) };
}

/** `1`, `1.5`, `1.5s`, `500ms`, `250us`. */
export function parseDurationNs(s: string | number): number {
  if (typeof s === 'number') return Math.round(s * 1e9);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?\s*$/.exec(s);
  if (!m) throw new Error(`"${s}" is not a duration (e.g. 1.5s, 500ms)`);
  const unit = m[2] ?? 's';
  return Math.round(Number(m[1]) * (unit === 'ns' ? 1 : unit === 'us' || unit === 'µs' ? 1e3 : unit === 'ms' ? 1e6 : 1e9));
}

export interface PipelineOptions {
  readonly files: readonly string[];
  readonly ifnames?: readonly string[];
  readonly links?: readonly string[];
  readonly ports: Ports;
  readonly roles?: RoleOverrides;
  readonly windowNs: number;
  readonly skew: SkewMode;
  /** Reorder horizon (ns) for files whose frames are not in timestamp order; default: 1 s when a file holds several interfaces (pcapng), else 0. */
  readonly reorderNs?: number;
  /** Only frames this keeps are traced (the `-Y` display filter). */
  readonly frameFilter?: (f: Frame) => boolean;
  /** Stop reading when this returns true (closed output). */
  readonly stopped?: () => boolean;
  /** Called after each batch (flush output; `live`: an input is a pipe, so flush now). */
  readonly afterBatch?: (live: boolean) => Promise<void>;
  /** Stop reading when this fires (Ctrl-C); what was read is still traced and summarised. */
  readonly signal?: AbortSignal;
}

export interface PipelineResult {
  engine: TraceEngine;
  skew: SkewEstimate[];
  offsets: Map<string, number>;
}

function namesFrom(o: { ifnames?: readonly string[]; links?: readonly string[] }): InterfaceNames {
  const names = new InterfaceNames();
  for (const l of o.ifnames ?? []) names.addList(l);
  for (const l of o.links ?? []) names.addLinksFile(l);
  return names;
}

/** Is a frame worth the skew estimator: tunnelled (necessarily an underlay) or on an underlay by name. */
function skewCandidate(f: Frame, ports: Ports, roles: RoleOverrides | undefined, collector: SkewCollector, base: number): void {
  const s = f.source;
  const r = roles?.get(s.node, s.iface) ?? roleFromName(s.iface);
  if (r !== undefined && r !== 'underlay') return;
  const x = extract(f, ports);
  if (!x || x.kind !== 1) return;
  if (x.enc === ENC_NONE && r !== 'underlay') return;
  collector.add(x, (f.tsSec - base) * 1e9 + f.tsNsec);
}

/** First pass over files: underlay frames only, stopping once every node pair is well measured. */
export async function prescanSkew(o: PipelineOptions): Promise<{ collector: SkewCollector; nodes: string[] }> {
  const registry = new SourceRegistry();
  const names = namesFrom(o);
  const inputs: InputT[] = [];
  for (const arg of o.files) {
    const spec = parseInputArg(arg);
    if (Input.check(spec)) continue;
    inputs.push(new Input(spec, { registry, names }));
  }
  const collector = new SkewCollector();
  let base = -1;
  let frames = 0;
  const stream = merged(inputs);
  try {
    for await (const batch of stream) {
      for (const f of batch) {
        if (base < 0) base = f.tsSec;
        collector.noteNode(f.source.node);
        skewCandidate(f, o.ports, o.roles, collector, base);
      }
      frames += batch.length;
      if (collector.enough() || frames > 4_000_000) break;
    }
  } finally {
    await stream.return(undefined);
  }
  const nodes: string[] = [];
  for (const s of registry.sources) if (!nodes.includes(s.node)) nodes.push(s.node);
  return { collector, nodes };
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

/** Offsets to apply from the estimates (the significant ones) or the given ones. */
function decide(skew: SkewMode, estimates: SkewEstimate[], nodes: readonly string[]): { skew: SkewEstimate[]; offsets: Map<string, number> } {
  const offsets = new Map<string, number>();
  if (skew.mode === 'given') {
    const ref = nodes.find((n) => !skew.offsets.has(n)) ?? '(reference)';
    const out: SkewEstimate[] = [];
    for (const n of new Set([...nodes, ...skew.offsets.keys()])) {
      const v = skew.offsets.get(n) ?? 0;
      if (v) offsets.set(n, v);
      out.push({
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
      });
    }
    return { skew: out, offsets };
  }
  for (const e of estimates) {
    if (skew.mode === 'auto' && significant(e)) {
      e.applied_ns = e.offset_ns;
      offsets.set(e.node, e.offset_ns);
    }
  }
  return { skew: estimates, offsets };
}

/**
 * Run the whole pipeline over `inputs` (opened by the caller, which reports their problems).
 * `engineOpts` gets the traces; the result carries the engine (topology, statistics) and skew.
 */
export async function runPipeline(
  inputs: InputT[],
  registry: SourceRegistry,
  o: PipelineOptions,
  engineOpts: Pick<EngineOptions, 'onTrace' | 'onObs' | 'onArp' | 'onFrame'>,
  onSkew?: (skew: SkewEstimate[], offsets: Map<string, number>) => void,
  onEngine?: (engine: TraceEngine) => void,
): Promise<PipelineResult> {
  let estimates: SkewEstimate[] = [];
  // nodes in the order of the inputs: the first input's node is the clock reference
  let nodes: string[] = [];
  for (const f of o.files) {
    const spec = parseInputArg(f);
    const n = spec.node ?? nameFromPath(spec.path).node;
    if (!nodes.includes(n)) nodes.push(n);
  }
  // standard input, FIFOs and process substitutions cannot be read twice
  const live = o.files.some((f) => {
    const p = parseInputArg(f).path;
    if (p === '-') return true;
    try {
      return !statSync(p).isFile();
    } catch {
      return false;
    }
  });
  // live inputs merged without waiting forever on a quiet one (files: the strict k-way merge)
  const stream = mergeInputs(inputs, { live });
  // Reading: a live input may go quiet, so a read races a timer (to close windows by the wall
  // clock) and the interrupt (Ctrl-C: stop reading, print what is known).
  const TICK = Symbol('tick');
  const STOP = Symbol('stop');
  let pendingNext: Promise<IteratorResult<Frame[]>> | undefined;
  let lastArrival = Date.now();
  // (no Promise.race against a long-lived promise: every race would stay attached to it, and
  // with it every batch it resolved with)
  const read = async (tickMs: number): Promise<Frame[] | typeof TICK | typeof STOP | undefined> => {
    if (o.signal?.aborted) return STOP;
    pendingNext ??= stream.next();
    const next = pendingNext;
    const r = await new Promise<IteratorResult<Frame[]> | typeof TICK | typeof STOP>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        resolve(STOP);
      };
      if (live && tickMs > 0)
        timer = setTimeout(() => {
          done();
          resolve(TICK);
        }, tickMs);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      next.then(
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
    });
    if (r === TICK || r === STOP) return r;
    pendingNext = undefined;
    if (r.done) return undefined;
    lastArrival = Date.now();
    return r.value;
  };
  let prefix: Frame[] = [];
  let stoppedByUser = false;
  if (o.skew.mode === 'auto' && !live) {
    const pre = await prescanSkew(o);
    for (const n of pre.nodes) if (!nodes.includes(n)) nodes.push(n);
    estimates = pre.collector.estimate(nodes);
  } else if (o.skew.mode === 'auto') {
    // a live stream cannot be read twice: estimate from a buffered prefix (3 s of capture or of
    // waiting, at most 100 k frames)
    const collector = new SkewCollector();
    let base = -1;
    let first = -1;
    const started = Date.now();
    for (;;) {
      const b = await read(Math.max(1, 3000 - (Date.now() - started)));
      if (b === STOP) {
        stoppedByUser = true;
        break;
      }
      if (b === TICK) {
        if (Date.now() - started >= 3000) break;
        continue;
      }
      if (!b) break;
      for (const f of b) {
        if (base < 0) base = f.tsSec;
        if (first < 0) first = f.tsSec * 1e9 + f.tsNsec;
        collector.noteNode(f.source.node);
        skewCandidate(f, o.ports, o.roles, collector, base);
        prefix.push(f);
      }
      const last = prefix[prefix.length - 1];
      if (prefix.length >= 100_000 || (last && last.tsSec * 1e9 + last.tsNsec - first >= 3e9) || collector.enough() || Date.now() - started >= 3000) break;
    }
    for (const s of registry.sources) if (!nodes.includes(s.node)) nodes.push(s.node);
    estimates = collector.estimate(nodes);
  }
  const { skew, offsets } = decide(o.skew, estimates, nodes);
  onSkew?.(skew, offsets);
  const engine = new TraceEngine({ ...engineOpts, windowNs: o.windowNs, ports: o.ports, roles: o.roles, offsets, reorderNs: o.reorderNs });
  onEngine?.(engine);
  let registered = 0;
  const register = (): void => {
    if (registry.sources.length > registered) {
      engine.registerSources(registry.sources.slice(registered));
      registered = registry.sources.length;
      // several interfaces written into one file by dumpcap come out of timestamp order
      if (o.reorderNs === undefined && multiInterfaceFile(registry.sources)) engine.setReorder(1e9);
    }
  };
  try {
    if (prefix.length) {
      register();
      for (const f of prefix) if (!o.frameFilter || o.frameFilter(f)) engine.push(f);
      prefix = [];
      engine.endBatch();
      if (o.afterBatch) await o.afterBatch(live);
    }
    while (!stoppedByUser) {
      const batch = await read(100);
      if (batch === STOP) {
        stoppedByUser = true;
        break;
      }
      if (batch === TICK) {
        // quiet input: let the windows close by the wall clock
        engine.idle((Date.now() - lastArrival) * 1e6);
        if (o.afterBatch) await o.afterBatch(live);
        continue;
      }
      if (!batch) break;
      register();
      for (const f of batch) if (!o.frameFilter || o.frameFilter(f)) engine.push(f);
      engine.endBatch();
      if (o.afterBatch) await o.afterBatch(live);
      if (o.stopped?.()) break;
    }
  } finally {
    // a read still pending on a quiet pipe cannot be cancelled: do not wait for it
    if (pendingNext) void stream.return(undefined).catch(() => undefined);
    else await stream.return(undefined);
  }
  register();
  if (!o.stopped?.()) engine.finish();
  // nodes seen only in the main pass (a prescan that read nothing) still get a row
  for (const n of engine.topo.nodeNames()) {
    if (!skew.some((e) => e.node === n) && skew.length) {
      skew.push({
        node: n,
        reference: skew[0].reference,
        offset_ns: 0,
        uncertainty_ns: null,
        samples_from_ref: 0,
        samples_to_ref: 0,
        min_forward_ns: null,
        max_backward_ns: null,
        method: 'none',
        applied_ns: 0,
      });
    }
  }
  return { engine, skew, offsets };
}
