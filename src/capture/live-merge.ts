/**
 * Live inputs: pipes, named pipes and process substitutions (`node1/eth0=<(ssh node1 tcpdump
 * -U -w - ...)`) that deliver frames while the capture runs.
 *
 * - `openStream` (live-stream.ts): FIFOs and sockets read without tying up the thread pool.
 * - `mergeLive` merges inputs by timestamp without waiting forever for an input that is quiet:
 *   a frame waits at most `holdMs` (wall clock) for the other inputs to show something earlier,
 *   then it is handed on. Files keep strict timestamp order (their reads never take that long).
 * - `mergeInputs` picks the plain k-way merge for files and the live merge when any input is
 *   live, and ends the stream cleanly when its AbortSignal fires (Ctrl-C): the inputs get a short
 *   grace period to reach their end (the Ctrl-C also stopped the tcpdump writing them), then
 *   whatever is buffered is handed on in order and the stream ends.
 */
import type { Frame } from './frame.js';
import type { Input, InputSpec } from './input.js';
import { isLivePath } from './live-stream.js';
import { merged } from './read.js';
import { threadedMerge, worthThread } from './reader-thread.js';
import type { ExtractOptions } from '../analysis/extract.js';

export { isLivePath, openStream } from './live-stream.js';

/** Is this input live (standard input or a path that is a pipe, FIFO, socket or device)? */
export function isLiveSpec(spec: InputSpec): boolean {
  return isLivePath(spec.path);
}

export interface MergeOptions {
  /**
   * Longest time (ms, wall clock) a frame waits for a quiet input to deliver something earlier
   * before it is handed on anyway. Default 500: `tcpdump -U` hands packets over in blocks that
   * libpcap retires after at most its 1 s timeout, so a smaller hold reorders more often.
   */
  readonly holdMs?: number;
  /** Files: read and merge them on a second thread (default: when they are big enough to pay). */
  readonly thread?: boolean;
  /** On that thread, also run the trace's extractor with these options (trace, analyze). */
  readonly extract?: ExtractOptions;
  /** End the stream: wait up to `graceMs` for inputs to end by themselves, then stop. */
  readonly signal?: AbortSignal;
  /** Default 300 ms. */
  readonly graceMs?: number;
  /** Force the live merge even for files (tests), or the plain merge even for pipes. */
  readonly live?: boolean;
}

interface Cursor {
  readonly it: AsyncIterator<Frame[]>;
  readonly order: number;
  batch: Frame[];
  pos: number;
  /** Wall time (ms) when the current batch arrived. */
  arrived: number;
  /** Wall time (ms) since when this input has been asked for more and has not answered. */
  waitingSince: number;
  pending: Promise<void> | undefined;
  done: boolean;
  /** What the source threw, if it threw (Input.batches() reports read errors as values instead). */
  error?: unknown;
}

const now = (): number => performance.now();

function earlier(a: Frame, b: Frame): boolean {
  return a.tsSec !== b.tsSec ? a.tsSec < b.tsSec : a.tsNsec < b.tsNsec;
}

/**
 * Merge batches from several sources by timestamp, never blocking on a quiet one for more than
 * `holdMs`. Each source holds at most one batch in memory (its next one is asked for only when
 * the current one is used up), so memory is bounded whatever the inputs.
 */
export async function* mergeBatchesLive(
  sources: readonly AsyncIterable<Frame[]>[],
  o: MergeOptions = {},
): AsyncGenerator<Frame[]> {
  const hold = o.holdMs ?? 500;
  const grace = o.graceMs ?? 300;
  const cursors: Cursor[] = sources.map((s, k) => ({
    it: s[Symbol.asyncIterator](),
    order: k,
    batch: [],
    pos: 0,
    arrived: 0,
    waitingSince: 0,
    pending: undefined,
    done: false,
  }));
  let wake: (() => void) | undefined;
  const ask = (c: Cursor): void => {
    if (c.done || c.pending || c.pos < c.batch.length) return;
    c.waitingSince = now();
    c.pending = c.it.next().then(
      (r) => {
        c.pending = undefined;
        if (r.done) c.done = true;
        else {
          c.batch = r.value;
          c.pos = 0;
          c.arrived = now();
        }
        wake?.();
      },
      (e: unknown) => {
        // Input.batches() reports read errors as values; anything else ends this input (and is
        // rethrown once the others are merged).
        c.pending = undefined;
        c.done = true;
        c.error = e;
        wake?.();
      },
    ) as Promise<void>;
  };
  let aborted = false;
  let abortedAt = 0;
  const onAbort = (): void => {
    aborted = true;
    abortedAt = now();
    wake?.();
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      for (const c of cursors) ask(c);
      const stopping = aborted && now() - abortedAt >= grace;
      // Emit every frame that can go: the earliest head, if no input that might still deliver
      // something earlier has been quiet for less than the hold.
      const out: Frame[] = [];
      for (;;) {
        let best: Cursor | undefined;
        for (const c of cursors) {
          if (c.pos < c.batch.length && (!best || earlier(c.batch[c.pos], best.batch[best.pos]))) best = c;
        }
        if (!best) break;
        const t = now();
        let go = true;
        if (!stopping) {
          for (const c of cursors) {
            if (c === best || c.done || c.pos < c.batch.length) continue;
            // c is being asked for more: wait for it unless it has been quiet for the hold and
            // the frame has waited the hold too.
            if (t - c.waitingSince < hold || t - best.arrived < hold) {
              go = false;
              break;
            }
          }
        }
        if (!go) break;
        out.push(best.batch[best.pos++]);
        if (best.pos === best.batch.length) {
          best.batch = [];
          best.pos = 0;
          if (!stopping) ask(best);
        }
        if (out.length >= 4096) break;
      }
      if (out.length) {
        yield out;
        continue;
      }
      if (stopping || cursors.every((c) => c.done && c.pos >= c.batch.length)) {
        const failed = cursors.find((c) => c.error !== undefined);
        if (failed) throw failed.error;
        return;
      }
      // Wait for an input to answer, the hold of the earliest waiting frame, or the abort.
      let timeout = Infinity;
      const t = now();
      for (const c of cursors) {
        if (c.pos < c.batch.length) timeout = Math.min(timeout, Math.max(0, c.arrived + hold - t));
        else if (!c.done) timeout = Math.min(timeout, Math.max(0, c.waitingSince + hold - t));
      }
      if (aborted) timeout = Math.min(timeout, Math.max(0, abortedAt + grace - t));
      await new Promise<void>((resolve) => {
        const timer = timeout === Infinity ? undefined : setTimeout(resolve, Math.max(1, timeout));
        wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    // Inputs that ended cleanly are closed; one still waiting on a pipe is left to the process
    // exit (a pending read cannot be cancelled from here).
    for (const c of cursors) if (!c.pending && !c.done) void c.it.return?.(undefined);
  }
}

/** Live merge of opened inputs. */
export function mergeLive(inputs: readonly Input[], o: MergeOptions = {}): AsyncGenerator<Frame[]> {
  return mergeBatchesLive(
    inputs.map((i) => ({ [Symbol.asyncIterator]: () => i.batches() })),
    o,
  );
}

/**
 * Frames of every input in timestamp order: the plain k-way merge for files, the live merge
 * when any input is a pipe (or `o.live`). With `o.signal`, the stream ends cleanly when it fires.
 */
export function mergeInputs(inputs: readonly Input[], o: MergeOptions = {}): AsyncGenerator<Frame[]> {
  const live = o.live ?? inputs.some((i) => isLiveSpec(i.spec));
  if (live) return mergeLive(inputs, o);
  const files = (o.thread ?? worthThread(inputs)) ? threadedMerge(inputs, o.extract) : merged([...inputs]);
  return o.signal ? untilAborted(files, o.signal) : files;
}

/** Hand on batches until `signal` fires (checked between batches: file reads do not block). */
export async function* untilAborted<T>(it: AsyncGenerator<T>, signal: AbortSignal): AsyncGenerator<T> {
  try {
    while (!signal.aborted) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  } finally {
    await it.return(undefined);
  }
}

/**
 * Yield an empty batch whenever `it` has been quiet for `ms`, so that a consumer can move its
 * clock on (close trace windows) while a live input is silent. Calling return() on this
 * generator while `it` is waiting leaves `it` waiting (a pending read cannot be cancelled).
 */
export async function* ticking<T>(it: AsyncGenerator<T[]>, ms: number): AsyncGenerator<T[]> {
  let pending: Promise<IteratorResult<T[]>> | undefined;
  try {
    for (;;) {
      pending ??= it.next();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), ms)));
      const r = await Promise.race([pending, tick]);
      clearTimeout(timer);
      if (r === 'tick') {
        yield [];
        continue;
      }
      pending = undefined;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    if (!pending) await it.return(undefined);
  }
}
