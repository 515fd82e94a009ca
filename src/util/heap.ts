/**
 * A binary min-heap, the one used wherever items wait in order: the k-way merge of inputs (by
 * timestamp), the reorder horizon (by time), open packet groups (by deadline) and frames held
 * for `-w` (by time). `moved` is told each item's new index, for callers that change an item's
 * key while it is in the heap (`update`).
 */
export class MinHeap<T> {
  readonly items: T[] = [];

  constructor(
    private readonly less: (a: T, b: T) => boolean,
    private readonly moved?: (x: T, i: number) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** The least item (undefined when empty). */
  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    this.items.push(x);
    this.up(this.items.length - 1, x);
  }

  /** Remove and return the least item (the heap must not be empty). */
  pop(): T {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) this.down(0, last);
    return top;
  }

  /** The item at index `i` changed its key: move it to its place. */
  update(i: number): void {
    const x = this.items[i];
    if (i > 0 && this.less(x, this.items[(i - 1) >> 1])) this.up(i, x);
    else this.down(i, x);
  }

  /** Put `x` at `i` or above it (a hole moves down as parents move up: one write per level). */
  private up(i: number, x: T): void {
    const h = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, h[p])) break;
      this.place(h[p], i);
      i = p;
    }
    this.place(x, i);
  }

  /** Put `x` at `i` or below it. */
  private down(i: number, x: T): void {
    const h = this.items;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r], h[l]) ? r : l;
      if (!this.less(h[c], x)) break;
      this.place(h[c], i);
      i = c;
    }
    this.place(x, i);
  }

  private place(x: T, i: number): void {
    this.items[i] = x;
    this.moved?.(x, i);
  }
}
