/**
 * Reading and merging files on a second thread. Parsing captures and merging them by time is
 * a third to a half of the work of the commands that print every frame; on a thread of its own
 * it runs beside decoding and formatting. The reader thread (reader-worker.ts) posts packed
 * batches; this side rebuilds Frames from them as they are consumed (so they die young) and,
 * at the end, hands each Input what its parser found, so that errors, warnings and counts are
 * reported exactly as when reading in this thread.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FrameRecord, type Frame, type SightingBatch, type Source } from './frame.js';
import type { Input } from './input.js';
import { GRANT, META, type ReaderData, type ReaderMessage } from './reader-protocol.js';
import type { ExtractOptions } from '../analysis/extract.js';
import type { SkewCollectorState } from '../analysis/skew.js';

/** Below this much input, starting a thread costs more than it saves. */
export const THREAD_MIN_BYTES = 16 << 20;

/** Files only (a pipe or standard input is read where it is), and enough of them to pay. */
export function worthThread(inputs: readonly Input[]): boolean {
  return worthThreadFor(inputs.map((i) => i.spec.path));
}

/** The same, for the paths of the inputs. */
export function worthThreadFor(paths: readonly string[]): boolean {
  // VXDECODE_READER_THREAD=0: never; 1: whatever the size (files only)
  const env = process.env.VXDECODE_READER_THREAD;
  if (env === '0' || !paths.length) return false;
  let total = 0;
  for (const path of paths) {
    if (path === '-') return false;
    try {
      const st = statSync(path);
      if (!st.isFile()) return false;
      total += st.size;
    } catch {
      return false;
    }
  }
  return (env === '1' || total >= THREAD_MIN_BYTES) && workerFile() !== undefined;
}

/** A reader thread started before it is needed (prestartReader), waiting for its work. */
let early: Worker | undefined;

/** The reader thread, started with its work, or the one started early given it now. */
function readerThread(data: ReaderData): Worker {
  const w = early;
  early = undefined;
  if (!w) return spawn(data);
  w.ref();
  w.postMessage({ start: data });
  return w;
}

function spawn(data: ReaderData | undefined): Worker {
  // a young generation of 32 MB: more of the frames read a chunk ahead die young in it (4 MB
  // promoted them all; 32 against 16: −0.2 s of CPU for trace, the same peak memory)
  return new Worker(workerFile()!, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 32 } });
}

/**
 * Start the reader thread now, to be given its work when the inputs are opened: `trace` and
 * `analyze` start it as soon as the command line says the files are worth one, so that it
 * boots (60 ms) while the command's modules load. Not used, it keeps nothing alive.
 */
export function prestartReader(paths: readonly string[]): void {
  if (early || !worthThreadFor(paths)) return;
  early = spawn(undefined);
  early.unref();
}

/** The compiled worker (next to this module in dist/, or dist/ when this runs from src/). */
function workerFile(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/([\\/])src([\\/]capture[\\/])reader-thread\.ts$/, '$1dist$2reader-worker.js') : here.replace(/reader-thread\.js$/, 'reader-worker.js');
  return existsSync(js) ? js : undefined;
}

/**
 * The frames of `inputs` merged by time, read on a second thread. With `extract`, that thread
 * also runs the trace's extractor and each frame carries the result (FrameRecord.sightings).
 */
export async function* threadedMerge(inputs: readonly Input[], extract?: ExtractOptions): AsyncGenerator<Frame[]> {
  if (!inputs.length) return;
  const { registry } = inputs[0].options;
  for await (const m of readerBatches(inputs, { extract, bytes: true })) {
    const meta = m.meta;
    const data = m.bytes!;
    const n = meta.length / META;
    const frames: Frame[] = new Array<Frame>(n);
    const sources = registry.sources;
    let comments: Map<number, readonly string[]> | undefined;
    if (m.comments) comments = new Map(m.comments);
    const sightings = m.sightings;
    for (let i = 0; i < n; i++) {
      const o = i * META;
      const f = (frames[i] = new FrameRecord(
        sources[meta[o]],
        meta[o + 1],
        meta[o + 2],
        meta[o + 3],
        meta[o + 4],
        meta[o + 5],
        data,
        meta[o + 7],
        meta[o + 6],
        comments?.get(i),
        meta[o + 8] === 1,
      ));
      if (sightings) {
        f.sightings = sightings;
        f.sightingRow = i;
      }
    }
    yield frames;
  }
}

/**
 * Frames read on a second thread for a consumer that needs only what the extractor says of
 * them (trace and analyze without -Y or -w): batches of their numbers (META a frame: source,
 * number, time, lengths) and sightings, a row each; neither their bytes nor Frame objects.
 * With `prescan`, that thread first makes the clock-skew prescan (analysis/prescan.ts) and
 * `prescan.done` gets it (or fails with the thread): the prescan then costs this thread
 * nothing, and the reader's code is warm when the main pass starts.
 */
export async function* threadedSightings(
  inputs: readonly Input[],
  extract: ExtractOptions,
  prescan?: { files: string[]; roles: [string, string][]; done: (r: PrescanState | Error) => void },
): AsyncGenerator<SightingBatch> {
  if (!inputs.length) {
    // nothing to read: nothing to estimate from either
    prescan?.done({ state: { nodes: [], samples: 0, pairs: [] }, nodes: [] });
    return;
  }
  let told = false;
  const tell = (r: PrescanState | Error): void => {
    if (told) return;
    told = true;
    prescan!.done(r);
  };
  const onPrescan = prescan && ((m: Extract<ReaderMessage, { kind: 'skew' }>) => tell({ state: m.state, nodes: m.nodes }));
  const request = prescan && { files: prescan.files, roles: prescan.roles };
  try {
    yield* sightingBatches(readerBatches(inputs, { extract, bytes: false, prescan: request, onPrescan }));
  } catch (e) {
    if (prescan) tell(e instanceof Error ? e : new Error(String(e)));
    throw e;
  } finally {
    // (stopped or ended before it came: whoever waits for it is told)
    if (prescan) tell(new Error('the reader thread stopped before its prescan'));
  }
}

async function* sightingBatches(messages: AsyncGenerator<FramesMessage>): AsyncGenerator<SightingBatch> {
  for await (const m of messages) {
    if (!m.sightings) throw new Error('reader thread: a batch without its sightings');
    yield { meta: m.meta, key: m.sightings.key, ints: m.sightings.ints, nums: m.sightings.nums };
  }
}

type FramesMessage = Extract<ReaderMessage, { kind: 'frames' }>;

/** A prescan made on the reader thread: its samples (SkewCollector.state) and the nodes it read. */
export interface PrescanState {
  state: SkewCollectorState;
  nodes: string[];
}

interface ReaderOptions extends Pick<ReaderData, 'extract' | 'bytes' | 'prescan'> {
  /** The prescan's result (ReaderData.prescan), before the first batch. */
  onPrescan?: (m: Extract<ReaderMessage, { kind: 'skew' }>) => void;
}

/**
 * The reader thread's batches, as they are consumed (it stays CREDITS ahead), the sources they
 * bring registered here; at the end, each Input is given what its parser found there.
 */
async function* readerBatches(inputs: readonly Input[], o: ReaderOptions): AsyncGenerator<FramesMessage> {
  const { registry, names, chunkSize } = inputs[0].options;
  const data: ReaderData = { specs: inputs.map((i) => i.spec), names: names?.entries() ?? [], chunkSize, extract: o.extract, bytes: o.bytes, prescan: o.prescan };
  const worker = readerThread(data);
  // messages queue here until consumed; the reader stays a few batches ahead (credits)
  const queue: ReaderMessage[] = [];
  let wake: (() => void) | undefined;
  let crashed: Error | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: ReaderMessage) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => {
    crashed = e;
    notify();
  });
  // an end without its last message must not pass for the end of the input
  worker.on('exit', (code) => {
    crashed ??= new Error(`reader thread: ended (exit code ${code}) before the end of the input`);
    notify();
  });
  const adopt = (sources: Source[] | undefined): void => {
    if (!sources) return;
    for (const s of sources) {
      const { id, ...rest } = s;
      const mine = registry.add(rest);
      if (mine.id !== id) throw new Error(`reader thread: source ${id} arrived as ${mine.id}`);
    }
  };
  let ended = false;
  // batches taken since credits were last given back
  let taken = 0;
  try {
    for (;;) {
      if (!queue.length) {
        if (crashed) throw crashed;
        await new Promise<void>((r) => (wake = r));
        if (!queue.length) {
          if (crashed) throw crashed;
          continue;
        }
      }
      const m = queue.shift()!;
      if (m.kind === 'fail') throw new Error(m.message);
      if (m.kind === 'skew') {
        o.onPrescan?.(m);
        continue;
      }
      adopt(m.sources);
      if (m.kind === 'end') {
        ended = true;
        m.reports.forEach((r, k) => {
          const p = inputs[k].parser;
          p.error = r.error;
          p.warnings.push(...r.warnings);
          p.count = r.count;
          p.bytesRead = r.bytesRead;
          p.format = r.format;
          for (const x of r.interfaces) p.allInterfaces.push({ source: registry.sources[x.source], stats: x.stats });
        });
        return;
      }
      if (++taken === GRANT) {
        worker.postMessage(taken);
        taken = 0;
      }
      for (let k = 0; k < inputs.length; k++) inputs[k].parser.bytesRead = m.read[k];
      yield m;
    }
  } finally {
    if (!ended) await worker.terminate();
  }
}
