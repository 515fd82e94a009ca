/**
 * The one min-heap behind the merge, the reorder horizon, open groups and held frames: random
 * pushes, pops and key changes against a sorted list, with every item's index kept right.
 */
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/util/heap.js';

interface Item {
  key: number;
  id: number;
  at: number;
}

describe('MinHeap', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: pops in order, with updates, and knows where each item is', (seed) => {
    let s = seed;
    const rnd = (n: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s % n;
    };
    const less = (a: Item, b: Item): boolean => a.key < b.key || (a.key === b.key && a.id < b.id);
    const h = new MinHeap<Item>(less, (x, i) => (x.at = i));
    const live: Item[] = [];
    let id = 0;
    for (let step = 0; step < 5000; step++) {
      const op = rnd(10);
      if (op < 5 || !live.length) {
        const x = { key: rnd(100), id: id++, at: -1 };
        h.push(x);
        live.push(x);
      } else if (op < 8) {
        const x = live[rnd(live.length)];
        x.key = rnd(100);
        h.update(x.at);
      } else {
        const want = live.reduce((m, x) => (less(x, m) ? x : m));
        expect(h.peek()).toBe(want);
        expect(h.pop()).toBe(want);
        live.splice(live.indexOf(want), 1);
      }
      if (h.size !== live.length) expect(h.size).toBe(live.length);
      const misplaced = h.items.findIndex((x, i) => x.at !== i);
      if (misplaced >= 0) expect(misplaced).toBe(-1);
    }
    const rest: Item[] = [];
    while (h.size) rest.push(h.pop());
    expect(rest).toEqual([...live].sort((a, b) => (less(a, b) ? -1 : 1)));
  });
});
