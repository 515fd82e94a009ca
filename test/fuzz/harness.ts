/**
 * A mutation fuzzer over real captures: bit flips, length fields set to absurd values,
 * truncation at block boundaries and anywhere, spliced and repeated blocks. Every case goes
 * through the reader (fed in random chunk sizes) and then through the stages given to it.
 * A case fails if anything throws or a result breaks an invariant the stage declares.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureParser } from '../../src/capture/parser.js';
import type { Frame, Source } from '../../src/capture/frame.js';

/** xorshift128+: fast, seedable, good enough for choosing mutations. */
export class Rng {
  private a: number;
  private b: number;
  constructor(seed: number) {
    this.a = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.b = (seed * 2654435761) >>> 0 || 2;
  }
  next(): number {
    let s1 = this.a;
    const s0 = this.b;
    this.a = s0;
    s1 ^= s1 << 23;
    s1 ^= s1 >>> 17;
    s1 ^= s0 ^ (s0 >>> 26);
    this.b = s1 >>> 0;
    return ((this.a + this.b) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

export function corpus(dirs: string[]): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng)$/.test(e) && statSync(p).size < 2_000_000) out.push({ name: p, bytes: new Uint8Array(readFileSync(p)) });
    }
  };
  for (const d of dirs) walk(d);
  return out.sort((x, y) => (x.name < y.name ? -1 : 1));
}

/** Offsets of record/block starts, found by walking the (unmutated) file. */
function blockStarts(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  if (b.length < 24) return out;
  if (dv.getUint32(0) === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o + 12 <= b.length; ) {
      out.push(o);
      if (dv.getUint32(o) === 0x0a0d0d0a) le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
      const len = dv.getUint32(o + 4, le);
      if (len < 12) break;
      o += len;
    }
  } else {
    const m = dv.getUint32(0, true);
    const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
    for (let o = 24; o + 16 <= b.length; o += 16 + dv.getUint32(o + 8, le)) out.push(o);
  }
  return out;
}

const ABSURD = [0, 1, 3, 7, 8, 11, 12, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export type Mutation = (r: Rng, b: Uint8Array, other: Uint8Array) => Uint8Array;

export const MUTATIONS: Record<string, Mutation> = {
  bitflip(r, b) {
    const c = b.slice();
    for (let k = 1 + r.int(8); k > 0 && c.length; k--) c[r.int(c.length)] ^= 1 << r.int(8);
    return c;
  },
  byte(r, b) {
    const c = b.slice();
    for (let k = 1 + r.int(4); k > 0 && c.length; k--) c[r.int(c.length)] = r.pick([0, 0xff, 0x7f, 0x80, 0x40, 0x08]);
    return c;
  },
  lengthField(r, b) {
    // A 16- or 32-bit length set to an absurd value, at a block/record start or in a header.
    const c = b.slice();
    const starts = blockStarts(b);
    const base = starts.length && r.next() < 0.7 ? r.pick(starts) : 0;
    const o = Math.min(c.length - 4, base + r.pick([4, 8, 12, 14, 16, 20, 24, 28, 30, 32, 36, 38, 40, 46, 48, 50]) + (r.next() < 0.3 ? r.int(64) : 0));
    if (o < 0) return c;
    const v = r.pick(ABSURD);
    const dv = new DataView(c.buffer);
    if (r.next() < 0.5) dv.setUint32(o, v >>> 0, r.next() < 0.5);
    else dv.setUint16(o, v & 0xffff, r.next() < 0.5);
    return c;
  },
  truncateAtBlock(r, b) {
    const starts = blockStarts(b);
    const at = starts.length ? r.pick(starts) + r.int(20) : r.int(b.length + 1);
    return b.slice(0, Math.min(b.length, at));
  },
  truncate(r, b) {
    return b.slice(0, r.int(b.length + 1));
  },
  splice(r, b, other) {
    const s1 = blockStarts(b);
    const s2 = blockStarts(other);
    const cut = s1.length ? r.pick(s1) : r.int(b.length);
    const from = s2.length ? r.pick(s2) : r.int(other.length);
    const out = new Uint8Array(cut + other.length - from);
    out.set(b.subarray(0, cut));
    out.set(other.subarray(from), cut);
    return out;
  },
  repeatBlock(r, b) {
    const s = blockStarts(b);
    if (s.length < 2) return b.slice();
    const i = r.int(s.length - 1);
    const blk = b.subarray(s[i], s[i + 1]);
    const out = new Uint8Array(b.length + blk.length);
    out.set(b.subarray(0, s[i + 1]));
    out.set(blk, s[i + 1]);
    out.set(b.subarray(s[i + 1]), s[i + 1] + blk.length);
    return out;
  },
};

/** A stage after the reader: gets every frame; throws (or returns a message) on a violation. */
export interface Stage {
  readonly name: string;
  frame?(f: Frame): string | void;
  /** After all frames of a case (for stages that accumulate, e.g. trace). */
  end?(): string | void;
  reset?(): void;
}

export interface Failure {
  readonly case: number;
  readonly seed: number;
  readonly input: string;
  readonly mutation: string;
  readonly stage: string;
  readonly message: string;
}

export interface FuzzResult {
  cases: number;
  frames: number;
  fileErrors: number;
  failures: Failure[];
}

export function fuzz(opts: {
  seed: number;
  count: number;
  corpus: { name: string; bytes: Uint8Array }[];
  stages: Stage[];
  maxFailures?: number;
}): FuzzResult {
  const r = new Rng(opts.seed);
  const names = Object.keys(MUTATIONS);
  const res: FuzzResult = { cases: 0, frames: 0, fileErrors: 0, failures: [] };
  for (let n = 0; n < opts.count; n++) {
    const input = r.pick(opts.corpus);
    const mutation = r.pick(names);
    const bytes = MUTATIONS[mutation](r, input.bytes, r.pick(opts.corpus).bytes);
    res.cases++;
    let stage = 'reader';
    const fail = (message: string): void => {
      res.failures.push({ case: n, seed: opts.seed, input: input.name, mutation, stage, message });
    };
    try {
      let id = 0;
      const parser = new CaptureParser('fuzz', (info) => ({ ...info, file: 'fuzz', node: 'n', iface: info.ifName ?? '', id: id++ }) as Source);
      for (const st of opts.stages) st.reset?.();
      let o = 0;
      while (o < bytes.length) {
        const step = 1 + r.int(r.next() < 0.2 ? 16 : 4096);
        parser.feed(bytes.subarray(o, o + step));
        o += step;
        for (const f of parser.frames) {
          res.frames++;
          if (f.bytes.length !== f.caplen || f.tsNsec < 0 || f.tsNsec >= 1e9) fail(`frame ${f.number}: inconsistent frame`);
          for (const st of opts.stages) {
            stage = st.name;
            const v = st.frame?.(f);
            if (v) fail(v);
          }
          stage = 'reader';
        }
        parser.frames = [];
        if (parser.error) break;
      }
      parser.end();
      if (parser.error) {
        res.fileErrors++;
        const e = parser.error;
        if (!(e.offset >= 0 && e.offset <= bytes.length) || typeof e.message !== 'string' || !e.message) fail(`bad error value ${JSON.stringify(e)}`);
      }
      for (const st of opts.stages) {
        stage = st.name;
        const v = st.end?.();
        if (v) fail(v);
      }
    } catch (e) {
      fail(`threw: ${(e as Error)?.stack ?? e}`);
    }
    if (res.failures.length >= (opts.maxFailures ?? 10)) break;
  }
  return res;
}
