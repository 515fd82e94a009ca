/**
 * Reading on a second thread must change nothing: for every public capture (good, malformed and
 * corrupt) and every bundled scenario read as one merged set, the frames (sources, numbers,
 * times, lengths, offsets, bytes, comments), the problems, warnings, counts and interface
 * statistics are the same as when reading in this thread. A reader stopped early ends its thread.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame, FrameRecord } from '../../src/capture/frame.js';
import { META } from '../../src/capture/reader-protocol.js';
import { threadedSightings, type PrescanState } from '../../src/capture/reader-thread.js';
import { prescanSkew } from '../../src/analysis/prescan.js';
import { SkewCollector } from '../../src/analysis/skew.js';
import { Ports } from '../../src/analysis/extract.js';
import { INTS, NUMS } from '../../src/analysis/sighting-columns.js';
import { Input, InterfaceNames, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { mergeInputs } from '../../src/capture/live-merge.js';
import { publicCaptures } from '../support/public.js';
import { firstFrame, oneWay, writePcap } from '../support/one-way.js';

const CAPTURES = new URL('../../captures/', import.meta.url).pathname;

interface Read {
  frames: unknown[];
  sources: unknown[];
  inputs: unknown[];
}

async function readAll(files: string[], thread: boolean, names?: InterfaceNames): Promise<Read> {
  const registry = new SourceRegistry();
  const inputs = files.map((f) => new Input(parseInputArg(f), { registry, names, chunkSize: 4096 }));
  const frames: unknown[] = [];
  const row = (f: Frame) => [f.source.id, f.number, f.tsSec, f.tsNsec, f.caplen, f.len, f.offset, f.noTimestamp ?? false, f.comments ?? null, Buffer.from(f.bytes).toString('hex')];
  for await (const batch of mergeInputs(inputs, { thread })) for (const f of batch) frames.push(row(f));
  return {
    frames,
    sources: registry.sources.map((s) => ({ ...s })),
    inputs: inputs.map((i) => ({
      error: i.problem() ?? null,
      warnings: i.parser.warnings,
      count: i.parser.count,
      bytesRead: i.parser.bytesRead,
      format: i.parser.format ?? null,
      stats: i.parser.allInterfaces.map((x) => [x.source.id, x.stats]),
    })),
  };
}

/** A bundled scenario's captures, and the interface names of its `-i any` captures. */
function scenario(d: string): { files: string[]; names: InterfaceNames } {
  const dir = join(CAPTURES, d);
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, f));
  const names = new InterfaceNames();
  for (const l of readdirSync(dir).filter((f) => f.endsWith('.links.txt'))) names.addLinksFile(`${l.replace(/\.links\.txt$/, '')}=${join(dir, l)}`);
  return { files, names };
}

describe('the reader thread', () => {
  it.each(publicCaptures().map((c) => [c.name, c] as const))('%s: the same frames and problems', async (_n, c) => {
    const a = await readAll([c.path], false);
    const b = await readAll([c.path], true);
    expect(b).toEqual(a);
  });

  const scenarios = readdirSync(CAPTURES).filter((d) => statSync(join(CAPTURES, d)).isDirectory());
  it.each(scenarios)('captures/%s merged: the same frames, sources and statistics', async (d) => {
    const { files, names } = scenario(d);
    const a = await readAll(files, false, names);
    const b = await readAll(files, true, names);
    expect(a.frames.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it.each(scenarios)('captures/%s: sightings without frames give the same numbers and sightings as the frames', async (d) => {
    const { files } = scenario(d);
    const extract = new Ports().options;
    const open = (): Input[] => {
      const registry = new SourceRegistry();
      return files.map((f) => new Input(parseInputArg(f), { registry, chunkSize: 4096 }));
    };
    const fromFrames: unknown[] = [];
    for await (const batch of mergeInputs(open(), { thread: true, extract }))
      for (const f of batch) {
        const r = f as FrameRecord;
        fromFrames.push([f.source.id, f.number, f.tsSec, f.tsNsec, f.caplen, f.len, r.sightings!.key, [...r.sightings!.ints.subarray(r.sightingRow * INTS, (r.sightingRow + 1) * INTS)], [...r.sightings!.nums.subarray(r.sightingRow * NUMS, (r.sightingRow + 1) * NUMS)]]);
      }
    const fromColumns: unknown[] = [];
    for await (const b of threadedSightings(open(), extract))
      for (let i = 0; i < b.meta.length / META; i++) {
        const m = b.meta.subarray(i * META, (i + 1) * META);
        fromColumns.push([m[0], m[1], m[2], m[3], m[4], m[5], b.key, [...b.ints.subarray(i * INTS, (i + 1) * INTS)], [...b.nums.subarray(i * NUMS, (i + 1) * NUMS)]]);
      }
    expect(fromFrames.length).toBeGreaterThan(0);
    expect(fromColumns).toEqual(fromFrames);
  });

  it.each(scenarios)('captures/%s: the skew prescan made on the reader thread finds what it finds here', async (d) => {
    const { files, names } = scenario(d);
    const ports = new Ports();
    const here = await prescanSkew({ files, ports }, names);
    const registry = new SourceRegistry();
    const inputs = files.map((f) => new Input(parseInputArg(f), { registry, names, chunkSize: 4096 }));
    let there: PrescanState | Error | undefined;
    let batches = 0;
    for await (const b of threadedSightings(inputs, ports.options, { files, roles: [], done: (r) => (there = r) })) {
      // it comes before the first batch
      if (!batches++) expect(there).toBeDefined();
      expect(b.meta.length).toBeGreaterThan(0);
    }
    if (!there || there instanceof Error) throw there ?? new Error('no prescan');
    expect(there.nodes).toEqual(here.nodes);
    expect(there.state).toEqual(here.collector.state());
    const nodes = [...new Set([...here.nodes, ...here.collector.nodes])];
    expect(SkewCollector.fromState(there.state).estimate(nodes)).toEqual(here.collector.estimate(nodes));
  });

  it('a prescan of steady one-way traffic stops early, on the reader thread at the same frame as here', async () => {
    // 30 000 one-way packets on both underlays and a bridge capture beside them (not read):
    // enough after ~20 000
    const ping = join(CAPTURES, 'vxlan-ping');
    const pkts = await oneWay(readdirSync(ping).map((f) => join(ping, f)), 30_000);
    const bridge = await firstFrame(join(ping, 'node1-cni0.pcap'), () => true);
    const dir = mkdtempSync(join(tmpdir(), 'vxdecode-prescan-'));
    try {
      const files = ['node1-eth0.pcap', 'node1-cni0.pcap', 'node2-eth0.pcap'].map((f) => join(dir, f));
      writePcap(files[0], pkts.map((p) => p.a));
      writePcap(files[1], pkts.map((p, i) => ({ ...p.a, bytes: bridge.bytes, len: bridge.len, tsNsec: p.a.tsNsec + (i % 3) })));
      writePcap(files[2], pkts.map((p) => p.b));
      const ports = new Ports();
      const names = new InterfaceNames();
      const here = await prescanSkew({ files, ports }, names);
      expect(here.collector.samples).toBeGreaterThanOrEqual(20_000);
      expect(here.collector.samples).toBeLessThan(pkts.length);
      const registry = new SourceRegistry();
      const inputs = files.map((f) => new Input(parseInputArg(f), { registry, names }));
      let there: PrescanState | Error | undefined;
      let frames = 0;
      for await (const b of threadedSightings(inputs, ports.options, { files, roles: [], done: (r) => (there = r) })) frames += b.meta.length / META;
      expect(frames).toBe(3 * pkts.length);
      if (!there || there instanceof Error) throw there ?? new Error('no prescan');
      expect(there.state).toEqual(here.collector.state());
      expect(there.nodes).toEqual(here.nodes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how far it has read, and stops its thread when the reader stops early', async () => {
    const dir = join(CAPTURES, 'vxlan-ping');
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, f));
    const registry = new SourceRegistry();
    const inputs = files.map((f) => new Input(parseInputArg(f), { registry, chunkSize: 512 }));
    const it = mergeInputs(inputs, { thread: true });
    const first = await it.next();
    expect(first.done).toBe(false);
    // progress is known while reading, not only at the end
    expect(inputs.reduce((n, i) => n + i.parser.bytesRead, 0)).toBeGreaterThan(0);
    await it.return(undefined);
    expect((await it.next()).done).toBe(true);
  });
});
