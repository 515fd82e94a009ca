/**
 * Decoders never throw on packet bytes. Every real frame cut at every length (long frames at
 * many lengths), real frames with random bytes changed, and random bytes under every link type
 * go through dissect; what comes back must be consistent, and a cut frame that decoded cleanly
 * whole must give a truncation (never "malformed") and a prefix of the same layers.
 */
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import type { Frame, Source } from '../../src/capture/frame.js';
import { dissect, type Packet } from '../../src/decoders/index.js';
import { publicCaptures } from '../support/public.js';
import { frameOf } from './helpers.js';

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The structure every Packet must have, whatever the bytes (checked without expect: it runs 10^5 times). */
function consistent(p: Packet): void {
  const caplen = p.frame.bytes.length;
  for (const l of p.layers) {
    const end = l.offset + (l.layer === 'raw' ? (l.length as number) : l.header_length);
    if (l.offset < 0 || end > caplen) expect.fail(`${l.layer} at ${l.offset} ends at ${end}, past ${caplen} captured bytes`);
  }
  const e = p.error;
  if (e && (e.offset < 0 || e.present < 0 || !['truncated', 'malformed', 'unsupported'].includes(e.kind))) {
    expect.fail(`inconsistent error ${JSON.stringify(e)}`);
  }
}

const notRaw = (p: Packet): string[] => p.layers.filter((l) => l.layer !== 'raw').map((l) => l.layer);

async function allFrames(): Promise<Frame[]> {
  const out: Frame[] = [];
  for (const pc of publicCaptures().filter((c) => c.intent !== 'corrupt')) out.push(...(await readFileFrames(pc.path)).frames);
  return out;
}

/** Every length up to 256, then about 64 more spread over the rest. */
function cutPoints(n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < Math.min(n, 257); k++) out.push(k);
  const step = Math.max(1, Math.floor((n - 257) / 64));
  for (let k = 257; k < n; k += step) out.push(k);
  return out;
}

describe('robustness', () => {
  it('every real frame cut short: no throw, a truncation, a prefix of the whole decode', async () => {
    let cuts = 0;
    for (const f of await allFrames()) {
      const whole = dissect(f);
      consistent(whole);
      const wholeNames = notRaw(whole).join(' ');
      for (const k of cutPoints(f.bytes.length)) {
        const cut = dissect(frameOf(f.bytes.subarray(0, k), f.source, f.len));
        consistent(cut);
        cuts++;
        if (whole.error) continue;
        const where = `${f.source.file} #${f.number} cut at ${k}`;
        if (cut.error && cut.error.kind !== 'truncated') expect.fail(`${where}: ${cut.error.kind}, not truncated`);
        if (!wholeNames.startsWith(notRaw(cut).join(' '))) expect.fail(`${where}: [${notRaw(cut)}] is not a prefix of [${wholeNames}]`);
      }
    }
    expect(cuts).toBeGreaterThan(50_000);
  });

  it('real frames with random bytes changed: no throw', async () => {
    const next = rng(0x5eed);
    const frames = (await allFrames()).filter((f) => f.bytes.length <= 2048);
    for (let i = 0; i < 20_000; i++) {
      const f = frames[Math.floor(next() * frames.length)];
      const b = f.bytes.slice();
      const flips = 1 + Math.floor(next() * 4);
      for (let j = 0; j < flips; j++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
      consistent(dissect(frameOf(b, f.source, next() < 0.5 ? f.len : b.length), next() < 0.5 ? { vxlanPorts: [53, 80] } : undefined));
    }
  });

  it('random bytes under every link type: no throw', () => {
    const next = rng(42);
    const base: Source = { file: '-', node: 'n', iface: '', ifId: 0, section: 0, linkType: 1, fcsLength: 0, snaplen: 65535, tsUnitsPerSec: 1e6, id: 0 };
    for (const linkType of [0, 1, 101, 113, 228, 229, 276, 12345]) {
      for (let i = 0; i < 2_000; i++) {
        const b = new Uint8Array(Math.floor(next() * 120));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(next() * 256);
        const source = { ...base, linkType, fcsLength: next() < 0.1 ? 4 : 0 };
        consistent(dissect(frameOf(b, source, b.length + Math.floor(next() * 3) * 100)));
      }
    }
  });
});
