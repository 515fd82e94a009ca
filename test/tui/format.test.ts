// Pure helpers of the panes and keys, over real frames: field byte ranges against the bytes,
// the hex highlight, the layer tree, bars, key splitting, completion, escaping, help examples.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { readFileFrames } from '../../src/capture/read.js';
import { dissect } from '../../src/decoders/index.js';
import type { Layer, Packet } from '../../src/decoders/layer.js';
import { checkFilter } from '../../src/filter/index.js';
import { FILTER_EXAMPLES } from '../../src/tui/derive.js';
import { byteRange } from '../../src/tui/fields.js';
import { fit, hexRows, hopBar, layerKey, treeRows, wrap } from '../../src/tui/format.js';
import { completions, splitKeys } from '../../src/tui/keys.js';
import { compactSummary } from '../../src/tui/session.js';
import { packetLine } from '../../src/cli/packet-text.js';
import { scenario } from './helpers.js';

let vxlan: Packet;
let arp: Packet;

beforeAll(async () => {
  const file = scenario('vxlan-ping').find((f) => f.endsWith('node1-eth0.pcap'))!;
  const { frames } = await readFileFrames(file);
  const packets = frames.map((f: Frame) => dissect(f));
  vxlan = packets.find((p) => p.layers.some((l) => l.layer === 'vxlan'))!;
  arp = packets.find((p) => p.layers.some((l) => l.layer === 'arp'))!;
  expect(vxlan).toBeDefined();
  expect(arp).toBeDefined();
});

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const ip = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const mac = (b: Uint8Array, o: number): string => Array.from(b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');

describe('field byte ranges', () => {
  it('point at the bytes that hold each decoded value, outer and inner', () => {
    const b = vxlan.frame.bytes;
    const ipv4s = vxlan.layers.filter((l) => l.layer === 'ipv4');
    expect(ipv4s.length).toBe(2);
    for (const l of ipv4s) {
      const [s0, s1] = byteRange(l, 'src');
      expect(s1 - s0).toBe(4);
      expect(ip(b, s0)).toBe(l.src);
      expect(ip(b, byteRange(l, 'dst')[0])).toBe(l.dst);
      expect(b[byteRange(l, 'ttl')[0]]).toBe(l.ttl);
      expect(u16(b, byteRange(l, 'id')[0])).toBe(l.id);
      expect(u16(b, byteRange(l, 'total_length')[0])).toBe(l.total_length);
      expect(b[byteRange(l, 'protocol')[0]]).toBe(l.protocol);
    }
    for (const l of vxlan.layers.filter((x) => x.layer === 'eth')) {
      expect(mac(b, byteRange(l, 'src')[0])).toBe(l.src);
      expect(mac(b, byteRange(l, 'dst')[0])).toBe(l.dst);
    }
    const udp = vxlan.layers.find((l) => l.layer === 'udp')!;
    expect(u16(b, byteRange(udp, 'dst_port')[0])).toBe(udp.dst_port);
    expect(u16(b, byteRange(udp, 'src_port')[0])).toBe(udp.src_port);
    const vx = vxlan.layers.find((l) => l.layer === 'vxlan')!;
    const [v0] = byteRange(vx, 'vni');
    expect((b[v0] << 16) | (b[v0 + 1] << 8) | b[v0 + 2]).toBe(vx.vni);
    const icmp = vxlan.layers.find((l) => l.layer === 'icmp')!;
    expect(b[byteRange(icmp, 'type')[0]]).toBe(icmp.type);
    expect(u16(b, byteRange(icmp, 'seq')[0])).toBe(icmp.seq);
  });

  it('ARP addresses follow the fixed header; unknown fields highlight the whole header', () => {
    const b = arp.frame.bytes;
    const l = arp.layers.find((x) => x.layer === 'arp')!;
    expect(ip(b, byteRange(l, 'sender_proto')[0])).toBe(l.sender_proto);
    expect(ip(b, byteRange(l, 'target_proto')[0])).toBe(l.target_proto);
    expect(mac(b, byteRange(l, 'sender_hw')[0])).toBe(l.sender_hw);
    expect(byteRange(l, 'gratuitous')).toEqual([l.offset, l.offset + l.header_length]);
    expect(byteRange(l)).toEqual([l.offset, l.offset + l.header_length]);
  });
});

describe('hex rows', () => {
  it('highlight exactly the bytes in the range, in hex and ASCII', () => {
    const l = vxlan.layers.find((x) => x.layer === 'ipv4')!;
    const range = byteRange(l, 'ttl');
    const rows = hexRows(vxlan.frame.bytes, range, 16, 0, 100);
    expect(rows.length).toBe(Math.ceil(vxlan.frame.bytes.length / 16));
    const hl = rows.flatMap((r) => r.filter((s) => s.hl).map((s) => s.text));
    const ttl = vxlan.frame.bytes[range[0]];
    expect(hl[0]).toBe(ttl.toString(16).padStart(2, '0'));
    expect(hl.length).toBe(2); // the hex byte and its ASCII column
    expect(rows[0].map((s) => s.text).join('')).toMatch(/^0000 {2}([0-9a-f]{2} ){8} ([0-9a-f]{2} ){8} .{16}$/);
  });
});

describe('layer tree', () => {
  it('one row per layer; an expanded layer lists every field with its byte range', () => {
    const collapsed = treeRows(vxlan, new Set());
    expect(collapsed.map((r) => r.text.split(' ')[0])).toEqual(['Frame', 'Ethernet', 'IPv4', 'UDP', 'VXLAN', 'Ethernet', 'IPv4', 'ICMP']);
    const inner = vxlan.layers.findIndex((l, i) => l.layer === 'ipv4' && i > 2);
    const key = layerKey(vxlan.layers, inner);
    expect(key).toBe('ipv4#1');
    const rows = treeRows(vxlan, new Set([key]));
    const fields = rows.filter((r) => r.key === key && r.field);
    const layer = vxlan.layers[inner] as Layer;
    for (const k of Object.keys(layer).filter((x) => !['layer', 'offset', 'header_length'].includes(x))) {
      expect(fields.some((r) => r.field === k), k).toBe(true);
    }
    expect(fields.find((r) => r.field === 'ttl')!.text).toBe(`ttl: ${layer.ttl}`);
    expect(fields.find((r) => r.field === 'protocol')!.text).toBe('protocol: 1 (ICMP)');
  });

  it('escapes text from the capture', () => {
    const f = arp.frame;
    const evil: Packet = { ...arp, frame: { ...f, bytes: f.bytes, source: { ...f.source, iface: 'e\x1b[31mvil' }, comments: ['hi\x07'] } };
    const rows = treeRows(evil, new Set(['frame']));
    const text = rows.map((r) => r.text).join(' | ');
    expect(text).not.toMatch(/[\x00-\x1f]/);
    expect(text).toContain('e\\x1b[31mvil');
    expect(text).toContain('comment: hi\\x07');
  });
});

describe('text helpers', () => {
  it('fit cuts with an ellipsis and pads; wrap breaks at words', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    const lines = wrap('  one two three four five six seven eight nine ten eleven twelve', 24);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(24);
    expect(lines[1].startsWith('      ')).toBe(true);
  });

  it('hop bars are drawn to scale', () => {
    expect(hopBar(0, 0, 100, 10)).toBe('│·········');
    expect(hopBar(0, 100, 100, 10)).toBe('██████████');
    expect(hopBar(50, 100, 100, 10)).toBe('·····█████');
  });

  it('the list summary drops the Ethernet addresses of each level', () => {
    const line = packetLine(vxlan);
    expect(line).toMatch(/^[0-9a-f:]{17} > [0-9a-f:]{17}, /);
    const s = compactSummary(line);
    expect(s).toMatch(/^192\.168\.2\.16:\d+ > 192\.168\.2\.15:8472 VXLAN vni 1 \| 10\.10\.1\.5 > 10\.10\.2\.6 ICMP echo request/);
  });
});

describe('keys', () => {
  it('several keys read at once are handed on one by one', () => {
    const keys = [...splitKeys('jj\rG\t\x7f', () => false)];
    expect(keys.map(([t]) => t)).toEqual(['j', 'j', '', 'G', '', '']);
    expect(keys[2][1].return).toBe(true);
    expect(keys[3][1].shift).toBe(true);
    expect(keys[4][1].tab).toBe(true);
    expect(keys[5][1].delete).toBe(true);
    // in the prompt, text stays together
    expect([...splitKeys('icmp\r', () => true)].map(([t, k]) => (k.return ? '⏎' : t))).toEqual(['icmp', '⏎']);
  });

  it('completion offers the filter names that start with the word at the cursor', () => {
    expect(completions('vxlan.v', 7).names).toEqual(['vxlan.vni']);
    expect(completions('inner.ic', 8).names).toContain('inner.icmp');
    expect(completions('ip.src == 1 && nod', 18).names).toContain('node');
    expect(completions('', 0).names).toEqual([]);
  });

  it('the filter examples in the help are valid expressions', () => {
    for (const [e] of FILTER_EXAMPLES) expect(checkFilter(e), e).toBeUndefined();
  });
});
