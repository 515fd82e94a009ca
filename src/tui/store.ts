/**
 * Append-only containers the TUI state points into, and the small store that holds the state.
 *
 * The reducer (state.ts) is pure over its state: the frame store and the filter's match list
 * only ever grow, and the state records how much of each it has seen (`total`, `matched`), so a
 * state value always reads the same prefix. Appending a million frames is then O(1) per frame,
 * never a copy of the whole array per batch.
 */
import { FrameRecord, type Frame, type Source } from '../capture/frame.js';

/** A growable column of numbers. */
class Column<T extends Int32Array | Float64Array | Uint8Array> {
  data: T;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  ensure(n: number): void {
    if (n <= this.data.length) return;
    let size = this.data.length;
    while (size < n) size *= 2;
    const d = this.make(size);
    d.set(this.data);
    this.data = d;
  }
}

/**
 * Every frame read so far, in merged timestamp order; index = position in the list. Frames are
 * kept as columns of numbers plus the reader's chunk buffers, about 40 bytes a frame besides its
 * bytes, and `get` builds the Frame (a view over the chunk, never a copy) when it is asked for:
 * a million frames cost their bytes, not a million objects.
 */
export class FrameStore {
  private n = 0;
  /** Captured bytes held. */
  bytes = 0;
  private readonly buffers: ArrayBufferLike[] = [];
  private readonly bufferIds = new Map<ArrayBufferLike, number>();
  private readonly sources: Source[] = [];
  private readonly sourceIds = new Map<Source, number>();
  private readonly buf = new Column((n) => new Int32Array(n));
  private readonly off = new Column((n) => new Int32Array(n));
  private readonly cap = new Column((n) => new Int32Array(n));
  private readonly wire = new Column((n) => new Int32Array(n));
  private readonly src = new Column((n) => new Int32Array(n));
  private readonly num = new Column((n) => new Int32Array(n));
  private readonly nsec = new Column((n) => new Int32Array(n));
  private readonly sec = new Column((n) => new Float64Array(n));
  private readonly rec = new Column((n) => new Float64Array(n));
  private readonly noTs = new Column((n) => new Uint8Array(n));
  /** Comments of the (few) frames that have them. */
  private readonly comments = new Map<number, readonly string[]>();

  get length(): number {
    return this.n;
  }

  append(batch: readonly Frame[]): void {
    const end = this.n + batch.length;
    for (const c of [this.buf, this.off, this.cap, this.wire, this.src, this.num, this.nsec, this.sec, this.rec, this.noTs]) c.ensure(end);
    for (const f of batch) {
      const i = this.n++;
      const b = f.bytes.buffer;
      let bi = this.bufferIds.get(b);
      if (bi === undefined) {
        bi = this.buffers.length;
        this.buffers.push(b);
        this.bufferIds.set(b, bi);
        // only the newest chunks take more frames: forget the ids of old ones (the buffers stay)
        if (this.bufferIds.size > 64) this.bufferIds.delete(this.bufferIds.keys().next().value as ArrayBufferLike);
      }
      let si = this.sourceIds.get(f.source);
      if (si === undefined) {
        si = this.sources.length;
        this.sources.push(f.source);
        this.sourceIds.set(f.source, si);
      }
      this.buf.data[i] = bi;
      this.off.data[i] = f.bytes.byteOffset;
      this.cap.data[i] = f.bytes.length;
      this.wire.data[i] = f.len;
      this.src.data[i] = si;
      this.num.data[i] = f.number;
      this.nsec.data[i] = f.tsNsec;
      this.sec.data[i] = f.tsSec;
      this.rec.data[i] = f.offset;
      this.noTs.data[i] = f.noTimestamp ? 1 : 0;
      if (f.comments?.length) this.comments.set(i, f.comments);
      this.bytes += f.caplen;
    }
  }

  /** Frame `i` (0 ≤ i < length), rebuilt from the columns. */
  get(i: number): Frame {
    const cap = this.cap.data[i];
    return new FrameRecord(
      this.sources[this.src.data[i]],
      this.num.data[i],
      this.sec.data[i],
      this.nsec.data[i],
      cap,
      this.wire.data[i],
      new Uint8Array(this.buffers[this.buf.data[i]] as ArrayBuffer),
      this.off.data[i],
      this.rec.data[i],
      this.comments.get(i),
      this.noTs.data[i] === 1,
    );
  }

  /** The Source of frame `i` without building the frame. */
  source(i: number): Source {
    return this.sources[this.src.data[i]];
  }
}

/** A growable list of ascending frame indices (the rows a filter matched). */
export class IndexList {
  private data = new Int32Array(1024);
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(i: number): void {
    if (this.n === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.n++] = i;
  }

  get(k: number): number {
    return this.data[k];
  }

  /** First position k < limit with get(k) >= value (limit when none). */
  lowerBound(value: number, limit = this.n): number {
    let lo = 0;
    let hi = Math.min(limit, this.n);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.data[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A minimal external store (useSyncExternalStore-compatible) over a reducer. */
export class StateStore<S, A> {
  private state: S;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly reducer: (s: S, a: A) => S,
    initial: S,
  ) {
    this.state = initial;
  }

  readonly getState = (): S => this.state;

  readonly dispatch = (a: A): void => {
    const next = this.reducer(this.state, a);
    if (next === this.state) return;
    this.state = next;
    for (const l of [...this.listeners]) l();
  };

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}
