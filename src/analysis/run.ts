/**
 * Running the trace pipeline over opened inputs, shared by `trace` and `analyze`: read the
 * inputs merged in timestamp order (a live one may go quiet; Ctrl-C stops reading) and hand the
 * frames to an EngineDriver (driver.ts), which decides the clock corrections and runs the engine.
 */
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Frame, SightingBatch } from '../capture/frame.js';
import { InterfaceNames, parseInputArg, type Input, type SourceRegistry } from '../capture/input.js';
import { mergeInputs } from '../capture/live-merge.js';
import { threadedSightings, worthThread, type PrescanState } from '../capture/reader-thread.js';
import type { DriverSettings, Prescan, SkewMode } from './driver.js';
import type { EngineOptions, TraceEngine } from './engine.js';
import { parseSkewSpec, type SkewEstimate } from './skew.js';

export type { SkewMode } from './driver.js';

/** `--ifnames` and `--links`: names of SLL2 (`-i any`) interface indexes. */
export interface NamingOptions {
  readonly ifnames?: readonly string[];
  readonly links?: readonly string[];
}

/** The one place naming options become InterfaceNames (cli/inputs.ts, the prescan). */
export function interfaceNames(o: NamingOptions): InterfaceNames {
  const names = new InterfaceNames();
  for (const l of o.ifnames ?? []) names.addList(l);
  for (const l of o.links ?? []) names.addLinksFile(l);
  return names;
}

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

export interface PipelineOptions extends DriverSettings, NamingOptions {
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

/**
 * Tracing keeps little (the open packets: ~25 MB) but promotes a lot, since every sighting
 * waits in its group for a while; V8 would let the old generation grow to four times what
 * survives before collecting it. Three times is measured to cost no time and to keep trace on
 * the bench corpus at ~240 MB instead of ~300 MB peak.
 */
function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=200');
}

/**
 * Run the whole pipeline over `inputs` (opened by the caller, which reports their problems).
 * `engineOpts` gets the traces; the result carries the engine (topology, statistics) and skew.
 */
export async function runPipeline(
  inputs: Input[],
  registry: SourceRegistry,
  o: PipelineOptions,
  engineOpts: Pick<EngineOptions, 'onTrace' | 'onObs' | 'onArp' | 'onFrame' | 'reuse'>,
  onSkew?: (skew: SkewEstimate[], offsets: Map<string, number>) => void,
  onEngine?: (engine: TraceEngine) => void,
): Promise<PipelineResult> {
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
  boundHeapGrowth();
  // Live inputs are merged without waiting forever on a quiet one (files: the strict k-way
  // merge). A reader thread, when the files are big enough for one, extracts the sightings too;
  // and when nothing here looks at the frames themselves (no -Y, no -w), only they come over.
  // That thread then also makes the clock-skew prescan first: this thread would run it with
  // code not yet optimised, while the reader's is the same code it then reads with.
  const frames = o.frameFilter !== undefined || engineOpts.onFrame !== undefined;
  let prescanned: Promise<PrescanState> | undefined;
  let stream: AsyncGenerator<Frame[] | SightingBatch>;
  if (!live && !frames && worthThread(inputs)) {
    let done!: (r: PrescanState | Error) => void;
    if (o.skew.mode === 'auto') {
      prescanned = new Promise<PrescanState>((resolve, reject) => {
        done = (r) => (r instanceof Error ? reject(r) : resolve(r));
      });
      // (met where it is awaited; a run that ends before is not waiting for it)
      prescanned.catch(() => undefined);
    }
    stream = threadedSightings(inputs, o.ports.options, prescanned && { files: [...o.files], roles: o.roles?.entries() ?? [], done });
  } else stream = mergeInputs(inputs, { live, extract: o.ports.options });
  let pendingNext: Promise<IteratorResult<Frame[] | SightingBatch>> | undefined;
  // Files: the first batch is asked for now, before the modules below load, so that the reader
  // (thread) starts while the clocks are decided (the sources it finds are known before the skew
  // is decided: the node order comes from the input arguments first, so the decision is the same).
  if (!live) pendingNext = stream.next();
  // (its failure is met when it is awaited below, or dropped with the stream if start() throws)
  pendingNext?.catch(() => undefined);
  // loaded here, not at the top: plain decode imports this module (interfaceNames) at start-up
  const { EngineDriver } = await import('./driver.js');
  const { SkewCollector } = await import('./skew.js');
  const prescan = prescanned && (async (): Promise<Prescan> => {
    const r = await prescanned!;
    return { collector: SkewCollector.fromState(r.state), nodes: r.nodes };
  });
  const driver = new EngineDriver(
    { ...o, stream: live, sources: () => registry.sources, names: () => interfaceNames(o), prescan },
    { ...engineOpts, onSkew, onEngine },
  );
  // Reading: a live input may go quiet, so a read races a timer (to close windows by the wall
  // clock) and the interrupt (Ctrl-C: stop reading, print what is known).
  const TICK = Symbol('tick');
  const STOP = Symbol('stop');
  // (no Promise.race against a long-lived promise: every race would stay attached to it, and
  // with it every batch it resolved with)
  const read = async (tickMs: number): Promise<Frame[] | SightingBatch | typeof TICK | typeof STOP | undefined> => {
    if (o.signal?.aborted) return STOP;
    pendingNext ??= stream.next();
    const next = pendingNext;
    const r = await new Promise<IteratorResult<Frame[] | SightingBatch> | typeof TICK | typeof STOP>((resolve, reject) => {
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
    return r.value;
  };
  try {
    await driver.start();
    for (;;) {
      // the skew prefix of a stream waits at most its time, then windows close every 100 ms
      const buffering = driver.buffering;
      const batch = await read(buffering ? Math.max(1, driver.prefixLeftMs()) : 100);
      if (batch === STOP || !batch) break;
      if (batch === TICK) {
        // quiet input: let the windows close by the wall clock
        if (driver.idle() && o.afterBatch) await o.afterBatch(live);
        continue;
      }
      if (!Array.isArray(batch)) {
        driver.pushSightings(batch);
        if (o.afterBatch) await o.afterBatch(live);
      } else if (driver.push(batch) && o.afterBatch) await o.afterBatch(live);
      if (!buffering && o.stopped?.()) break;
    }
    // the input ended (or Ctrl-C) within the skew prefix: trace what it holds
    if (driver.endPrefix() && o.afterBatch) await o.afterBatch(live);
  } finally {
    // a read still pending on a quiet pipe cannot be cancelled: do not wait for it
    if (pendingNext) void stream.return(undefined).catch(() => undefined);
    else await stream.return(undefined);
  }
  driver.finish(o.stopped?.());
  return { engine: driver.engine!, skew: driver.skew, offsets: driver.offsets };
}
