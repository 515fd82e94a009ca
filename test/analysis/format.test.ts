/**
 * The trace text writer writes durations as bytes in place: it must give exactly fmtNs's text
 * (and report its width in characters, µ counting as one) for every range and boundary.
 */
import { describe, expect, it } from 'vitest';
import { fmtNs, putNs } from '../../src/analysis/format.js';
import { TextBuffer } from '../../src/cli/text-buffer.js';

describe('durations written in place', () => {
  const values: number[] = [0, -0, 1, 9, 10, 999, 999.4, 999.5, 1000, 1004, 1005, 9994, 9995, 9999, 10_000, 99_949, 99_950, 123_456, 999_949, 999_950, 1e6, 9_994_999, 9_995_000, 12_345_678, 999_949_999, 999_950_000, 1e9, 12e9, 1.5e10, NaN, Infinity];
  for (let x = 1; x < 2e9; x = Math.floor(x * 1.37) + 1) values.push(x, x + 0.5, x - 1);
  it.each([1, -1])('sign %i: the same text as fmtNs, and its width', (sign) => {
    const tb = new TextBuffer(1024);
    for (const v of values) {
      const ns = sign * v;
      tb.reserve(64);
      const w = putNs(tb, ns);
      const got = tb.text();
      expect(got).toBe(fmtNs(ns));
      expect(w).toBe(fmtNs(ns).length);
    }
  });
});
