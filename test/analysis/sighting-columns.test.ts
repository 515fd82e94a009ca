/**
 * Sightings extracted on the reader thread and rebuilt from its columns must be exactly what
 * `extract` gives on the main thread: every field correlation, timelines and findings read, on
 * every frame of every public capture and bundled scenario, with and without checksums and with
 * an extra VXLAN port. Frames whose options differ from the engine's are extracted again.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameRecord, type Frame } from '../../src/capture/frame.js';
import { Input, InterfaceNames, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { mergeInputs } from '../../src/capture/live-merge.js';
import { extract, Ports, type ArpObs, type ExtractOptions, type Obs } from '../../src/analysis/extract.js';
import { readSighting } from '../../src/analysis/sighting-columns.js';
import { publicCaptures } from '../support/public.js';

const CAPTURES = new URL('../../captures/', import.meta.url).pathname;

const FIELDS = [
  'kind', 'frame', 'sec', 'nsec', 'pktType', 'macSrc', 'macDst',
  // IPv4 and L4
  'wireLen', 'enc', 'src', 'dst', 'id', 'proto', 'ttl', 'frag', 'mf', 'df', 'truncated', 'ipLen', 'ipCk', 'l4Ck',
  'sport', 'dport', 'seq', 'ack', 'flags', 'l4len', 'udpLen', 'icmpType', 'icmpCode', 'icmpId', 'icmpSeq', 'hash',
  // outer tunnel and quoted header
  'oSrc', 'oDst', 'oSport', 'oDport', 'oTtl', 'oId', 'oLen', 'vni', 'vxFlags', 'vxReserved', 'vxHeuristic',
  'oMacSrc', 'oMacDst', 'oUdpCk', 'oIpCk', 'qSrc', 'qDst', 'qProto', 'qId', 'qSport', 'qDport', 'icmpMtu',
  // ARP
  'op', 'sha', 'spa', 'tha', 'tpa', 'encap', 'usedBy',
] as const;

function fields(x: Obs | ArpObs | undefined): unknown[] | undefined {
  if (!x) return undefined;
  const r = x as unknown as Record<string, unknown>;
  return [...FIELDS.map((k) => r[k]), x.kind === 1 ? (x.out?.depth ?? null) : null, x.source.id];
}

async function check(files: string[], opts: ExtractOptions, names?: InterfaceNames): Promise<number> {
  const registry = new SourceRegistry();
  const inputs = files.map((f) => new Input(parseInputArg(f), { registry, names, chunkSize: 4096 }));
  const ports = new Ports(opts);
  const other = new Ports({ ...opts, vxlanPorts: [...(opts.vxlanPorts ?? []), 6081] });
  let n = 0;
  for await (const batch of mergeInputs(inputs, { thread: true, extract: opts })) {
    for (const f of batch as Frame[]) {
      const c = (f as FrameRecord).sightings;
      expect(c?.key, `frame ${f.number} of ${f.source.file}`).toBe(ports.key);
      expect(c?.key).not.toBe(other.key);
      const got = readSighting(f, c!.ints, c!.nums, (f as FrameRecord).sightingRow);
      expect(fields(got), `frame ${f.number} of ${f.source.file}`).toEqual(fields(extract(f, ports)));
      n++;
    }
  }
  return n;
}

describe('sightings extracted on the reader thread', () => {
  const variants: [string, ExtractOptions][] = [
    ['defaults', {}],
    ['checksums, VXLAN also on 4790', { checksums: true, vxlanPorts: [4790] }],
  ];
  it.each(publicCaptures().map((c) => [c.name, c] as const))('%s: the same as extracting here', async (_n, c) => {
    for (const [, o] of variants) await check([c.path], o);
  });

  const scenarios = readdirSync(CAPTURES).filter((d) => statSync(join(CAPTURES, d)).isDirectory());
  it.each(scenarios)('captures/%s: the same as extracting here', async (d) => {
    const dir = join(CAPTURES, d);
    const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, f));
    const names = new InterfaceNames();
    for (const l of readdirSync(dir).filter((f) => f.endsWith('.links.txt'))) names.addLinksFile(`${l.replace(/\.links\.txt$/, '')}=${join(dir, l)}`);
    for (const [, o] of variants) expect(await check(files, o, names)).toBeGreaterThan(0);
  });

  it('a sighting made with other options is extracted again', () => {
    expect(new Ports({ checksums: true }).key).not.toBe(new Ports({}).key);
    expect(new Ports({ vxlanPorts: [4790, 1] }).key).toBe(new Ports({ vxlanPorts: [1, 4790] }).key);
    expect(new Ports({ heuristics: false }).key).not.toBe(new Ports({}).key);
    expect(new Ports({ udpBackendPorts: [9000] }).key).not.toBe(new Ports({}).key);
  });
});
