/**
 * Percentiles by selection: the k-th smallest must be what sorting would put at k, on
 * every kind of sample set the hop latencies produce (ties, sorted runs, a few huge outliers).
 */
import { describe, expect, it } from 'vitest';
import { select } from '../../src/analysis/stats.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('select (k-th smallest)', () => {
  const rnd = rng(7);
  const shapes: [string, (n: number) => number[]][] = [
    ['random', (n) => Array.from({ length: n }, () => Math.floor(rnd() * 1e6))],
    ['few values', (n) => Array.from({ length: n }, () => Math.floor(rnd() * 3))],
    ['all equal', (n) => Array.from({ length: n }, () => 42)],
    ['ascending', (n) => Array.from({ length: n }, (_, i) => i)],
    ['descending', (n) => Array.from({ length: n }, (_, i) => n - i)],
    ['outliers', (n) => Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 1e9 + i : 300 + (i % 5)))],
  ];
  for (const [name, make] of shapes) {
    it(`agrees with a sort: ${name}`, () => {
      for (const n of [1, 2, 3, 5, 10, 101, 1000, 4096]) {
        const base = make(n);
        const sorted = Float64Array.from(base).sort();
        for (const k of new Set([0, 1, n >> 1, Math.floor(n * 0.9), Math.floor(n * 0.99), n - 1].filter((x) => x < n))) {
          expect(select(Float64Array.from(base), k)).toBe(sorted[k]);
        }
        // several selections on the same (reordered) array, as the summary does
        const a = Float64Array.from(base);
        for (const k of [n >> 1, Math.floor(n * 0.9), Math.floor(n * 0.99)]) expect(select(a, k)).toBe(sorted[k]);
        // each later one only above the one before (what is below it is no larger)
        const b = Float64Array.from(base);
        let from = 0;
        for (const k of [n >> 1, Math.floor(n * 0.9), Math.floor(n * 0.99), n - 1]) {
          expect(select(b, k, from)).toBe(sorted[k]);
          for (let i = 0; i < k; i++) expect(b[i] <= b[k]).toBe(true);
          for (let i = k + 1; i < n; i++) expect(b[i] >= b[k]).toBe(true);
          from = k;
        }
      }
    });
  }
});
