/**
 * Percentiles by selection: the k-th smallest must be what sorting would put at k, on
 * every kind of sample set the hop latencies produce (ties, sorted runs, a few huge outliers).
 */
import { describe, expect, it } from 'vitest';
import { Percentiles, select } from '../../src/analysis/stats.js';

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

describe('Percentiles (nearest rank), counted or selected', () => {
  const rnd = rng(11);
  const nearest = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const shapes: [string, (n: number) => number[]][] = [
    // counted: integers within a narrow range (hop latencies in ns)
    ['latencies', (n) => Array.from({ length: n }, () => 200 + Math.floor(rnd() * 300) + (rnd() < 0.01 ? 40_000 : 0))],
    ['negative (clock-corrected)', (n) => Array.from({ length: n }, () => Math.floor(rnd() * 2000) - 1500)],
    ['all equal', (n) => Array.from({ length: n }, () => 7)],
    // selected: too wide a span, or not integers
    ['outliers', (n) => Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 1e9 + i : 300 + (i % 5)))],
    ['fractions', (n) => Array.from({ length: n }, () => rnd() * 1000)],
  ];
  for (const [name, make] of shapes) {
    it(`agrees with a sort: ${name}`, () => {
      for (const n of [1, 2, 3, 10, 101, 5000]) {
        const base = Float64Array.from(make(n));
        const before = [...base];
        const sorted = Float64Array.from(base).sort();
        const q = new Percentiles(base);
        for (const p of [1, 50, 90, 99, 100]) expect(q.at(p), `${n} samples, p${p}`).toBe(nearest(sorted, p));
        for (const x of [sorted[0] - 1, sorted[n >> 1], sorted[n - 1], sorted[n >> 1] + 0.5]) {
          expect(q.above(x), `${n} samples, above ${x}`).toBe(sorted.filter((v) => v > x).length);
        }
        // the samples are left as they were (the selection works in a copy)
        expect([...base]).toEqual(before);
      }
    });
  }
  it('is 0 for no samples', () => {
    const q = new Percentiles(new Float64Array(0));
    expect(q.at(50)).toBe(0);
    expect(q.above(0)).toBe(0);
  });
});
