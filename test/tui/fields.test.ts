/**
 * The hex pane highlights a field by the byte range in src/tui/fields.ts. Those ranges are
 * checked here against real bytes: on every frame of every bundled and public capture, a
 * field that fills its bytes must read back as the decoded value from exactly that range, and a
 * field of a few bits must be what the masked bytes of its range say.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { dissect } from '../../src/decoders/index.js';
import type { Layer } from '../../src/decoders/layer.js';
import { byteRange } from '../../src/tui/fields.js';
import { publicCaptures } from '../support/public.js';

const CAPTURES = new URL('../../captures/', import.meta.url).pathname;

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const uint = (b: Uint8Array): number => b.reduce((v, x) => v * 256 + x, 0);
const mac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ipv4 = (b: Uint8Array): string => [...b].join('.');
const ipv6 = (b: Uint8Array): string => hexOf(b);
const ipv6Of = (s: string): string => {
  // expand "a::b" to 32 hex digits
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
};

/** What the bytes of a field's range must say about it: the value, or undefined when not checked. */
const BITS: Record<string, Record<string, (b: Uint8Array) => unknown>> = {
  vlan: { pcp: (b) => b[0] >> 5, dei: (b) => ((b[0] >> 4) & 1) === 1, vid: (b) => uint(b) & 0xfff },
  ipv4: {
    version: (b) => b[0] >> 4,
    dscp: (b) => b[0] >> 2,
    ecn: (b) => b[0] & 3,
    flags: (b) => b[0] >> 5,
    df: (b) => ((b[0] >> 6) & 1) === 1,
    mf: (b) => ((b[0] >> 5) & 1) === 1,
    frag_offset: (b) => (uint(b) & 0x1fff) * 8,
  },
  ipv6: { version: (b) => b[0] >> 4, traffic_class: (b) => (uint(b) >> 4) & 0xff, flow_label: (b) => uint(b) & 0xfffff },
  tcp: { data_offset: (b) => b[0] >> 4, flags_value: (b) => uint(b) & 0xfff },
  vxlan: { i_flag: (b) => (b[0] & 8) !== 0, vni: (b) => uint(b), reserved1: (b) => uint(b), reserved2: (b) => uint(b) },
};

function check(l: Layer, bytes: Uint8Array, seen: Set<string>): void {
  for (const [key, value] of Object.entries(l)) {
    if (key === 'layer' || key === 'offset' || key === 'header_length') continue;
    const [a, b] = byteRange(l, key);
    const whole = byteRange(l);
    if (a === whole[0] && b === whole[1]) continue; // not a field with a range of its own
    if (b > bytes.length) continue; // a header cut short: the decoder says so elsewhere
    const raw = bytes.subarray(a, b);
    const bits = BITS[l.layer]?.[key];
    let expected: unknown;
    if (bits) expected = bits(raw);
    else if (typeof value === 'number') expected = uint(raw);
    else if (typeof value === 'boolean' || value === null || typeof value === 'object') continue;
    else if (typeof value === 'string') {
      if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(value) && raw.length === 6) expected = mac(raw);
      else if (/^\d+\.\d+\.\d+\.\d+$/.test(value) && raw.length === 4) expected = ipv4(raw);
      else if (value.includes(':') && raw.length === 16) {
        expect(ipv6(raw), `${l.layer}.${key}`).toBe(ipv6Of(value));
        seen.add(`${l.layer}.${key}`);
        continue;
      } else continue; // names and words, not bytes
    }
    expect(expected, `${l.layer}.${key} at ${a}..${b}`).toEqual(value);
    seen.add(`${l.layer}.${key}`);
  }
}

describe('hex pane field ranges', () => {
  it('read back as the decoded values on every frame of every capture', async () => {
    const files = publicCaptures()
      .filter((c) => c.intent !== 'corrupt')
      .map((c) => c.path);
    for (const d of readdirSync(CAPTURES)) {
      const dir = join(CAPTURES, d);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) if (/\.pcap(ng)?$/.test(f)) files.push(join(dir, f));
    }
    const seen = new Set<string>();
    for (const file of files) {
      const r = await readFileFrames(file);
      for (const f of r.frames) {
        const p = dissect(f, {});
        for (const l of p.layers) check(l, f.bytes, seen);
      }
    }
    // the layers the issue was about are among those checked
    for (const k of ['eth.src', 'vlan.vid', 'sll2.ifindex', 'sll2.protocol', 'ipv4.ttl', 'ipv4.frag_offset', 'ipv6.src', 'ipv6.flow_label', 'tcp.seq', 'tcp.window', 'tcp.data_offset', 'udp.dst_port', 'vxlan.vni', 'icmp.seq', 'arp.op'])
      expect(seen, k).toContain(k);
  });
});
