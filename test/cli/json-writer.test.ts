/**
 * `--json` is written by the layer writers of src/cli/json.ts straight into the output buffer.
 * Their output must be JSON.stringify(frameJson(p)) byte for byte: for every frame of every lab
 * and third-party capture, with the default decode options and with heuristics off, for real
 * frames cut short or with bytes changed (errors, odd lengths), and for frames and sources with
 * text that JSON escapes. And the writers, not the JSON.stringify fallback, must write nearly
 * every layer of the lab captures, so that the speed cannot go away unnoticed.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import type { Frame, Source } from '../../src/capture/frame.js';
import { dissect, type DecodeOptions, type Layer, type Packet } from '../../src/decoders/index.js';
import { frameJson, jsonCounts, writeFrameJson } from '../../src/cli/json.js';
import { Output } from '../../src/cli/output.js';
import { PUBLIC_DIR, publicCaptures } from '../support/public.js';
import { ROOT } from '../support/cli.js';

/** Every pcap and pcapng under captures/, in a stable order. */
function labCaptures(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.pcap(ng)?$/.test(name)) out.push(path);
    }
  };
  walk(join(ROOT, 'captures'));
  return out;
}

/** The frames of a capture the reader opens; a rejected file gives none. */
async function framesOf(path: string): Promise<Frame[]> {
  return (await readFileFrames(path)).frames;
}

/** The writer's lines and JSON.stringify's for the same packets. */
async function both(packets: Packet[]): Promise<{ got: string; want: string }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(Buffer.from(c));
      cb();
    },
  });
  // a small buffer, so that records also cross from one buffer to the next
  const out = new Output(sink, 4096);
  let want = '';
  for (const p of packets) {
    writeFrameJson(out, p);
    want += JSON.stringify(frameJson(p)) + '\n';
    await out.maybeFlush();
  }
  await out.end();
  return { got: Buffer.concat(chunks).toString('utf8'), want };
}

/** Equal, or the first line that differs. */
function same(got: string, want: string, where: string): void {
  if (got === want) return;
  const g = got.split('\n');
  const w = want.split('\n');
  const i = w.findIndex((line, k) => line !== g[k]);
  expect(g[i], `${where}: line ${i + 1}`).toBe(w[i]);
  expect(got.length, where).toBe(want.length);
}

const OPTIONS: [string, DecodeOptions][] = [
  ['default options', {}],
  ['heuristics off', { heuristics: false }],
];

function counted<T>(run: () => Promise<T>): Promise<{ result: T; written: number; stringified: number }> {
  const w0 = jsonCounts.written;
  const s0 = jsonCounts.stringified;
  return run().then((result) => ({ result, written: jsonCounts.written - w0, stringified: jsonCounts.stringified - s0 }));
}

describe('the JSON writer gives JSON.stringify(frameJson(p)) byte for byte', () => {
  const lab = labCaptures();
  const third = publicCaptures().map((c) => c.path);

  it('finds the captures', () => {
    expect(lab.length).toBeGreaterThan(100);
    expect(third.length).toBeGreaterThan(100);
  });

  for (const [what, opts] of OPTIONS) {
    it(`every frame of every lab capture, ${what}; the writers write nearly every layer`, async () => {
      let frames = 0;
      const { written, stringified } = await counted(async () => {
        for (const path of lab) {
          const packets = (await framesOf(path)).map((f) => dissect(f, opts));
          frames += packets.length;
          const { got, want } = await both(packets);
          same(got, want, path);
        }
      });
      expect(frames).toBeGreaterThan(2_000);
      // every lab layer has a writer, and none has an odd value: nothing should fall back
      console.log(`lab ${what}: ${written} layers by the writers, ${stringified} by JSON.stringify`);
      expect(written / (written + stringified)).toBeGreaterThan(0.99);
    });

    it(`every frame of every third-party capture, ${what}`, async () => {
      let frames = 0;
      const { written, stringified } = await counted(async () => {
        for (const path of third) {
          const packets = (await framesOf(path)).map((f) => dissect(f, opts));
          frames += packets.length;
          const { got, want } = await both(packets);
          same(got, want, path);
        }
      });
      expect(frames).toBeGreaterThan(500);
      console.log(`third-party ${what}: ${written} layers by the writers, ${stringified} by JSON.stringify`);
      expect(written / (written + stringified)).toBeGreaterThan(0.9);
    });
  }

  it('real frames cut at every length and with bytes changed (errors, odd lengths)', async () => {
    let seed = 0x5eed;
    const next = (): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const frames: Frame[] = [];
    for (const path of [...third, ...lab.filter((_, i) => i % 8 === 0)]) frames.push(...(await framesOf(path)));
    const packets: Packet[] = [];
    for (const f of frames) {
      if (f.bytes.length > 2048) continue;
      const step = Math.max(1, Math.floor(f.bytes.length / 24));
      for (let k = 0; k < f.bytes.length; k += step) {
        const cut: Frame = { ...f, bytes: f.bytes.subarray(0, k), caplen: k };
        packets.push(dissect(cut, {}));
      }
      const b = f.bytes.slice();
      for (let j = 0; j < 3; j++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
      packets.push(dissect({ ...f, bytes: b, len: next() < 0.5 ? f.len : b.length + 7 }, next() < 0.5 ? { vxlanPorts: [53, 80] } : {}));
    }
    expect(packets.filter((p) => p.error).length).toBeGreaterThan(1000);
    const { got, want } = await both(packets);
    same(got, want, 'cut and changed frames');
  });

  it('text that JSON escapes, odd numbers, comments, no timestamp, and layers it does not know', async () => {
    const source: Source = {
      file: 'dir/"quoted"\\ \u0001 caf\u00e9 \ud83d\ude00 \ud800.pcap',
      node: 'n\u2028ode',
      iface: 'eth0\n',
      ifId: 0,
      section: 0,
      linkType: 1,
      fcsLength: 0,
      snaplen: 65535,
      tsUnitsPerSec: 1e9,
      id: 7,
    };
    const [real] = await framesOf(join(PUBLIC_DIR, 'tcpdump/vxlan.pcap'));
    const frame = (over: Partial<Frame>): Frame => ({ ...real, bytes: real.bytes, source, ...over });
    const base = dissect(real, {});
    const layer = (i: number, over: Record<string, unknown>): Layer => ({ ...base.layers[i], ...over }) as Layer;
    const packets: Packet[] = [
      dissect(frame({}), {}),
      dissect(frame({ number: 2 ** 40, tsSec: 2 ** 33, tsNsec: 5 }), {}),
      dissect(frame({ tsSec: 12, tsNsec: 1_500_000_000 }), {}),
      dissect(frame({ noTimestamp: true, comments: ['a "comment"', 'tab\there', ''] }), {}),
      dissect(frame({ comments: [] }), {}),
      { frame: frame({}), layers: [layer(0, { dst: 'a"b' }), layer(1, { ttl: -1 }), layer(2, { checksum: 1.5 })] },
      { frame: frame({}), layers: [layer(0, { src: 'caf\u00e9' }), layer(1, { id: NaN, df: 1 }), layer(2, { src_port: '53' })] },
      { frame: frame({}), layers: [layer(0, { ethertype: undefined }), layer(1, { options: undefined }), layer(3, { vni: 2 ** 32 })] },
      { frame: frame({}), layers: [{ layer: 'gre', offset: 0, header_length: 4, key: 'x\u007f' } as unknown as Layer, layer(4, { extra: true })] },
      { frame: frame({}), layers: [], error: { kind: 'malformed', layer: 'eth', offset: 0, needed: 14, present: 3, message: 'need 14, "have" 3' } },
    ];
    const { got, want } = await both([...packets, ...packets]);
    same(got, want, 'odd frames');
    // a name that changes after frames were written
    source.iface = 'eth1';
    const again = await both([dissect(frame({}), {})]);
    same(again.got, again.want, 'renamed interface');
  });
});
