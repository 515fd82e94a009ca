/**
 * Append-only containers the TUI state points into, and the small store that holds the state.
 *
 * The reducer (state.ts) is pure over its state: the frame store and the filter's match list
 * only ever grow, and the state records how much of each it has seen (`total`, `matched`), so a
 * state value always reads the same prefix. Appending a million frames is then O(1) per frame,
 * never a copy of the whole array per batch.
 */
import type { Frame } from '../capture/frame.js';

/** Every frame read so far, in merged timestamp order; index = position in the list. */
export class FrameStore {
  private readonly list: Frame[] = [];
  /** Captured bytes held. */
  bytes = 0;

  get length(): number {
    return this.list.length;
  }

  append(batch: readonly Frame[]): void {
    for (const f of batch) {
      this.list.push(f);
      this.bytes += f.caplen;
    }
  }

  get(i: number): Frame {
    return this.list[i];
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
