/**
 * Convenience entry points over Input: read a whole file (tests, small tools) and merge several
 * inputs into one stream in timestamp order (k-way merge; each input is read a chunk at a time).
 */
import { Input, SourceRegistry, type InterfaceNames, type InputSpec, parseInputArg } from './input.js';
import type { CaptureProblem } from './parser.js';
import { type Frame, type Source } from './frame.js';
import { MinHeap } from '../util/heap.js';

export interface FileFrames {
  frames: Frame[];
  sources: Source[];
  error?: CaptureProblem;
  warnings: CaptureProblem[];
}

/** Read every frame of one capture into memory. For tests and small files only. */
export async function readFileFrames(path: string, names?: InterfaceNames): Promise<FileFrames> {
  const registry = new SourceRegistry();
  const input = new Input(parseInputArg(path), { registry, names });
  const frames: Frame[] = [];
  const problem = Input.check(input.spec);
  if (problem) return { frames, sources: [], error: problem, warnings: [] };
  for await (const batch of input.batches()) for (const f of batch) frames.push(f);
  return { frames, sources: registry.sources, error: input.problem(), warnings: input.parser.warnings };
}

/** Frames from inputs in file order, one input after another (plain decode). */
export async function* sequential(inputs: Input[]): AsyncGenerator<Frame[]> {
  for (const input of inputs) yield* input.batches();
}

/**
 * Frames from several inputs merged by timestamp. Each input is read a batch at a time, so
 * memory is bounded by one batch per input whatever the file sizes. Frames with equal
 * timestamps keep input order (stable), which later stages rely on to break ties by role.
 */
export async function* merged(inputs: readonly Pick<Input, 'batches'>[]): AsyncGenerator<Frame[]> {
  if (inputs.length === 1) {
    yield* inputs[0].batches();
    return;
  }
  // by the next frame's time, then input order (stable for equal timestamps)
  const heap = new MinHeap<Cursor>((a, b) => {
    const fa = a.batch[a.pos];
    const fb = b.batch[b.pos];
    return fa.tsSec !== fb.tsSec ? fa.tsSec < fb.tsSec : fa.tsNsec !== fb.tsNsec ? fa.tsNsec < fb.tsNsec : a.order < b.order;
  });
  const refill = async (c: Cursor): Promise<boolean> => {
    for (;;) {
      const n = await c.it.next();
      if (n.done) return false;
      if (n.value.length) {
        c.batch = n.value;
        c.pos = 0;
        return true;
      }
    }
  };
  const cursors: Cursor[] = [];
  try {
    for (let k = 0; k < inputs.length; k++) {
      const c: Cursor = { it: inputs[k].batches(), batch: [], pos: 0, order: k };
      cursors.push(c);
      if (await refill(c)) heap.push(c);
    }
    yield* mergeCursors(heap, refill);
  } finally {
    // stopped early (a prescan that has enough): every input closes its file now, not at GC
    await Promise.all(cursors.map((c) => c.it.return(undefined)));
  }
}

interface Cursor {
  it: AsyncGenerator<Frame[]>;
  batch: Frame[];
  pos: number;
  order: number;
}

async function* mergeCursors(heap: MinHeap<Cursor>, refill: (c: Cursor) => Promise<boolean>): AsyncGenerator<Frame[]> {
  let out: Frame[] = [];
  while (heap.size) {
    const c = heap.peek()!;
    out.push(c.batch[c.pos++]);
    if (c.pos === c.batch.length) {
      // Hand on what is merged so far before waiting for more input (live pipes).
      if (out.length) {
        yield out;
        out = [];
      }
      if (!(await refill(c))) {
        heap.pop();
        continue;
      }
    }
    // the cursor's next frame is later: move it down
    heap.update(0);
    if (out.length >= 4096) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}

export type { InputSpec };
