/**
 * The parser is fed in arbitrary chunks and cut at arbitrary bytes, as a pipe from a tcpdump
 * that is killed delivers it: every complete frame comes out, then a warning, never a throw.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/parser.js';
import type { Frame, Source } from '../../src/capture/frame.js';
import { PUBLIC_DIR } from '../support/public.js';
import { Input, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { merged } from '../../src/capture/read.js';

function parse(bytes: Uint8Array, chunk: number): { parser: CaptureParser; frames: Frame[] } {
  let id = 0;
  const parser = new CaptureParser('x', (info) => ({ ...info, file: 'x', node: 'n', iface: info.ifName ?? '', id: id++ }) as Source);
  const frames: Frame[] = [];
  for (let o = 0; o < bytes.length; o += chunk) {
    parser.feed(bytes.subarray(o, Math.min(bytes.length, o + chunk)));
    frames.push(...parser.frames);
    parser.frames = [];
  }
  parser.end();
  return { parser, frames };
}

const files = ['tcpdump/vxlan.pcap', 'pcapng-test-generator/output_le/difficult/test202.pcapng', 'tcpdump/pptp.pcap'];

describe.each(files)('%s', (name) => {
  const bytes = new Uint8Array(readFileSync(join(PUBLIC_DIR, name)));
  const whole = parse(bytes, bytes.length);
  /** Offsets just past each complete frame's record, from the whole-file parse. */
  const ends = whole.frames.map((f) => f.offset);

  it('reads the same frames whatever the chunk size', () => {
    expect(whole.parser.error).toBeUndefined();
    for (const chunk of [1, 3, 7, 64, 1000]) {
      const got = parse(bytes, chunk);
      expect(got.parser.error).toBeUndefined();
      expect(got.frames.map((f) => [f.tsSec, f.tsNsec, f.caplen, f.offset])).toEqual(
        whole.frames.map((f) => [f.tsSec, f.tsNsec, f.caplen, f.offset]),
      );
      expect(Buffer.from(got.frames.at(-1)!.bytes)).toEqual(Buffer.from(whole.frames.at(-1)!.bytes));
    }
  });

  it('yields every complete frame and a warning for every prefix', () => {
    const bounds = boundaries(bytes);
    const frameEnds = whole.frames.map((f) => bounds.find((b) => b > f.offset)!);
    for (let cut = 0; cut < bytes.length; cut++) {
      let got: ReturnType<typeof parse> | undefined;
      expect(() => (got = parse(bytes.subarray(0, cut), 4096))).not.toThrow();
      if (cut < 4) {
        expect(got!.parser.error?.message).toMatch(/empty input|too short/);
        continue;
      }
      expect(got!.parser.error, `cut at ${cut}`).toBeUndefined();
      expect(got!.frames.length, `cut at ${cut}`).toBe(frameEnds.filter((e) => e <= cut).length);
      if (bounds.includes(cut)) expect(got!.parser.warnings, `cut at ${cut}`).toEqual([]);
      else expect(got!.parser.warnings.at(-1)?.message, `cut at ${cut}`).toMatch(/input ends inside/);
    }
  });
});

/** Offsets where a header, record or block ends, walked independently of the parser. */
function boundaries(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  if (dv.getUint32(0) === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o < b.length; ) {
      if (dv.getUint32(o) === 0x0a0d0d0a) le = dv.getUint32(o + 8, true) === 0x1a2b3c4d;
      o += dv.getUint32(o + 4, le);
      out.push(o);
    }
  } else {
    const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
    for (let o = 24; ; o += 16 + dv.getUint32(o + 8, le)) {
      out.push(o);
      if (o >= b.length) break;
    }
  }
  return out;
}

describe('files read in chunks', () => {
  const dir = new URL('../../captures/vxlan-ping/', import.meta.url).pathname;
  const open = (): Input[] => {
    const registry = new SourceRegistry();
    return readdirSync(dir)
      .filter((f) => f.endsWith('.pcap'))
      .map((f) => new Input(parseInputArg(join(dir, f)), { registry, chunkSize: 512 }));
  };
  const fds = (): number => readdirSync('/proc/self/fd').length;

  it('a merge read to the end gives every frame, and one stopped early closes every file at once', async () => {
    const all = open();
    let frames = 0;
    for await (const b of merged(all)) frames += b.length;
    expect(frames).toBe(all.reduce((n, i) => n + i.parser.count, 0));
    expect(frames).toBeGreaterThan(10);
    const before = fds();
    const it = merged(open());
    expect((await it.next()).done).toBe(false);
    // each input has its file open now
    expect(fds()).toBeGreaterThan(before);
    await it.return(undefined);
    expect(fds()).toBe(before);
  });
});
