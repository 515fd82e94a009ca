/**
 * The fast text formatter (src/cli/fast-text.ts) against the generic one, dissect + frameText:
 * byte for byte on every frame it takes, on every capture at hand and on mutated frames, with
 * the decode options that change dispatch. It must also take nearly every frame of the lab
 * captures, or it would have stopped doing its job without anyone noticing.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { readFileFrames } from '../../src/capture/read.js';
import { frameText, runDecode } from '../../src/cli/decode.js';
import { FastText } from '../../src/cli/fast-text.js';
import { Output } from '../../src/cli/output.js';
import { dissect, type DecodeOptions } from '../../src/decoders/index.js';
import { fuzz, corpus } from '../fuzz/harness.js';
import { PUBLIC_DIR } from '../support/public.js';
import { frameOf } from '../decoders/helpers.js';

const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));

const OPTIONS: [string, DecodeOptions][] = [
  ['default options', {}],
  ['heuristics off', { heuristics: false }],
  // 5201 is iperf3's port in the lab: its payload taken for VXLAN is a good test of the fallbacks
  ['extra VXLAN ports', { vxlanPorts: [53, 5201] }],
];

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...captureFiles(p));
    else if (/\.(pcap|pcapng)$/.test(e)) out.push(p);
  }
  return out;
}

async function framesOf(files: string[]): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (const f of files) frames.push(...(await readFileFrames(f)).frames);
  return frames;
}

const nowhere = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

interface Comparison {
  total: number;
  taken: number;
  mismatches: string[];
}

/** Each frame through both formatters; a frame the fast one takes must come out the same. */
function compare(frames: Iterable<Frame>, opts: DecodeOptions, where = ''): Comparison {
  const fast = new FastText(opts);
  const out = new Output(nowhere());
  const r: Comparison = { total: 0, taken: 0, mismatches: [] };
  for (const f of frames) {
    r.total++;
    out.pos = 0;
    if (!fast.line(f, out)) continue;
    r.taken++;
    const got = out.buf.subarray(0, out.pos);
    const want = Buffer.from(`${frameText(dissect(f, opts))}\n`);
    if (!got.equals(want) && r.mismatches.length < 10) {
      r.mismatches.push(`${where}${f.source.file} frame ${f.number}:\n  fast:    ${JSON.stringify(got.toString())}\n  generic: ${JSON.stringify(want.toString())}`);
    }
  }
  return r;
}

const labFiles = captureFiles(CAPTURES);
const publicFiles = captureFiles(PUBLIC_DIR);

describe('fast text = generic text', () => {
  it('finds the captures', () => {
    expect(labFiles.length).toBeGreaterThan(100);
    expect(publicFiles.length).toBeGreaterThan(100);
  });

  for (const [name, opts] of OPTIONS) {
    it(`every frame of the lab captures, ${name}`, async () => {
      const r = compare(await framesOf(labFiles), opts);
      expect(r.mismatches).toEqual([]);
      // ICMP errors and a few odd frames go the generic way, the rest must not (with iperf3's
      // port taken for VXLAN, its payload is not an Ethernet frame the fast path knows)
      if (opts === OPTIONS[0][1]) expect(r.taken / r.total).toBeGreaterThanOrEqual(0.9);
      else expect(r.taken).toBeGreaterThan(0);
    });

    it(`every frame of the third-party captures, ${name}`, async () => {
      // a file the reader rejects gives the frames before the problem, or none
      const r = compare(await framesOf(publicFiles), opts);
      expect(r.mismatches).toEqual([]);
      expect(r.taken).toBeGreaterThan(100);
    });
  }

  it('frames cut at every length, and with every header byte changed', async () => {
    // one frame of each kind the fast path takes, from the lab and the third-party captures
    const kinds = new Map<string, Frame>();
    const fast = new FastText({});
    const out = new Output(nowhere());
    for (const f of await framesOf([...labFiles, ...publicFiles])) {
      out.pos = 0;
      if (!fast.line(f, out)) continue;
      // the line without addresses and numbers names the kind of frame
      const kind = `${f.source.linkType} ${packetShape(frameText(dissect(f)))}`;
      if (!kinds.has(kind)) kinds.set(kind, f);
    }
    expect(kinds.size).toBeGreaterThan(15);
    for (const [, opts] of OPTIONS) {
      for (const f of kinds.values()) {
        const variants: Frame[] = [];
        for (let n = 0; n < f.bytes.length; n++) variants.push(frameOf(f.bytes.subarray(0, n), f.source, f.len));
        for (let i = 0; i < Math.min(f.bytes.length, 160); i++) {
          for (const v of [0, 1, 0xff, f.bytes[i] ^ 0x01, f.bytes[i] ^ 0x10, f.bytes[i] ^ 0x80]) {
            const b = new Uint8Array(f.bytes); // a copy (Buffer's slice is a view)
            b[i] = v;
            variants.push(frameOf(b, f.source, f.len));
          }
        }
        const r = compare(variants, opts, `${packetShape(frameText(dissect(f)))}: `);
        expect(r.mismatches).toEqual([]);
      }
    }
  });

  it('mutated captures through the reader (the fuzz harness)', () => {
    const files = corpus([PUBLIC_DIR, CAPTURES]);
    for (const [name, opts] of OPTIONS) {
      const fast = new FastText(opts);
      const out = new Output(nowhere());
      let taken = 0;
      const stage = {
        name: `fast text, ${name}`,
        frame(f: Frame): string | undefined {
          out.pos = 0;
          if (!fast.line(f, out)) return undefined;
          taken++;
          const got = out.buf.toString('utf8', 0, out.pos);
          const want = `${frameText(dissect(f, opts))}\n`;
          return got === want ? undefined : `fast ${JSON.stringify(got)} != generic ${JSON.stringify(want)}`;
        },
      };
      const r = fuzz({ seed: 20261124, count: 1500, corpus: files, stages: [stage] });
      expect(r.failures).toEqual([]);
      expect(taken).toBeGreaterThan(1000);
    }
  }, 120_000);
});

/** A line with its numbers, addresses and the time taken out: `::.  > , ...`. */
function packetShape(line: string): string {
  return line.split(' ').slice(2).join(' ').replace(/[0-9a-f]{2}(:[0-9a-f]{2}){5}|\d+(\.\d+){3}|\d+/g, '#');
}

describe('vxdecode FILE... with and without the fast formatter', () => {
  const folders = [...new Set(labFiles.map((f) => f.slice(0, f.lastIndexOf('/'))))];
  for (const [name, opts] of OPTIONS) {
    it(`the same output for every lab capture folder (its files merged), ${name}`, async () => {
      expect(folders.length).toBeGreaterThan(10);
      for (const folder of folders) {
        const files = labFiles.filter((f) => f.startsWith(`${folder}/`) && !f.slice(folder.length + 1).includes('/'));
        const fast = await decodeText(files, opts, true);
        const generic = await decodeText(files, opts, false);
        expect(fast.length, folder).toBeGreaterThan(0);
        expect(fast, folder).toBe(generic);
      }
    });
  }

  it('the same output for every third-party capture', async () => {
    for (const f of publicFiles) expect(await decodeText([f], {}, true), f).toBe(await decodeText([f], {}, false));
  });
});

/** What `vxdecode FILES` prints on standard output (and standard error after it). */
async function decodeText(files: string[], decode: DecodeOptions, fastText: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write: (c: Buffer, _e, cb) => {
      chunks.push(Buffer.from(c));
      cb();
    },
  });
  const errors: string[] = [];
  const status = await runDecode({ files, decode, fastText }, new Output(sink), (l) => errors.push(l));
  return `${Buffer.concat(chunks).toString()}${errors.join('\n')}\nstatus ${status}`;
}
