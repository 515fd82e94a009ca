/**
 * A bounded fuzz run (the long one is `npm run fuzz`, see README): mutated real captures
 * through the reader and every decoder. And proof that it catches what it is for: with one
 * decoder's length check taken out, the same run finds it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpus, fuzz } from './harness.js';
import { analysisStage, decodeStage } from './stages.js';
import { PUBLIC_DIR } from '../support/public.js';
import { registerIpProtocol } from '../../src/decoders/registry.js';
import { decodeUdp } from '../../src/decoders/udp.js';
import type { Decoder } from '../../src/decoders/registry.js';

const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));
const files = corpus([PUBLIC_DIR, CAPTURES]);
const seed = Number(process.env.FUZZ_SEED ?? 20261123);
const count = Number(process.env.FUZZ_COUNT ?? 20000);

describe('fuzz', () => {
  it(`${count} mutated captures (seed ${seed}) through the reader, the decoders, trace and analyze`, () => {
    expect(files.length).toBeGreaterThan(100);
    const r = fuzz({ seed, count, corpus: files, stages: [decodeStage, analysisStage()] });
    console.log(`fuzz: ${r.cases} cases, ${r.frames} frames decoded, ${r.fileErrors} files rejected, ${r.failures.length} failures`);
    expect(r.failures).toEqual([]);
    expect(r.cases).toBe(count);
    expect(r.frames).toBeGreaterThan(count);
  }, 600_000);

  it('catches a planted crash: a UDP decoder whose length check was removed', () => {
    // The planted bug: the UDP payload's end taken from the length fields (what the packet
    // claims) instead of the bytes captured, the classic over-read.
    const planted: Decoder = (d) => {
      decodeUdp(d);
      if (d.next) d.end = Math.max(d.end, d.wire);
    };
    registerIpProtocol(17, planted);
    try {
      const r = fuzz({ seed, count: 5000, corpus: files, stages: [decodeStage], maxFailures: 1 });
      expect(r.failures.length).toBeGreaterThanOrEqual(1);
      expect(r.cases).toBeLessThan(5000);
      expect(r.failures[0].stage).toBe('decoders');
      expect(r.failures[0].message).toMatch(/udp|outside|not a number|threw/);
    } finally {
      registerIpProtocol(17, decodeUdp);
    }
  });
});
