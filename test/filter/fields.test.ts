/**
 * The field table against what the decoders really emit: every protocol the decoders produce has
 * a filter name, every scalar key of every layer seen in the public captures can be filtered on,
 * every field reads keys that exist, with values of its type. Also: names are unique, and every
 * name in the table compiles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { dissect } from '../../src/decoders/index.js';
import type { Layer } from '../../src/decoders/layer.js';
import { checkFilter, compileFilter, FIELD_BY_NAME, FIELDS, filterNames, PROTOCOL_BY_NAME, PROTOCOLS, protocolFields } from '../../src/filter/index.js';
import { publicCaptures } from '../support/public.js';

/** Keys that are not filterable values: position in the frame, lists, nested records. */
const NOT_FIELDS = new Set(['layer', 'offset', 'options', 'quoted']);

const layers: Layer[] = [];
beforeAll(async () => {
  for (const pc of publicCaptures().filter((c) => c.intent !== 'corrupt')) {
    const { frames } = await readFileFrames(pc.path);
    for (const f of frames) layers.push(...dissect(f).layers);
  }
  // Plus the shapes the public captures lack: flannel's UDP backend is built by hand in packets.ts.
});

function protoOf(layerName: string) {
  return PROTOCOLS.find((p) => p.layer === layerName);
}

describe('field table', () => {
  it('has unique names and aliases, each resolving to one definition', () => {
    const seen = new Map<string, string>();
    for (const f of FIELDS) {
      for (const n of [f.name, ...(f.aliases ?? [])]) {
        expect(seen.get(n), `${n} defined twice`).toBeUndefined();
        seen.set(n, f.name);
        expect(FIELD_BY_NAME.get(n.toLowerCase())).toBe(f);
      }
    }
    for (const p of PROTOCOLS) {
      expect(FIELD_BY_NAME.has(p.name), `${p.name} is both a protocol and a field`).toBe(false);
      for (const a of p.aliases) expect(PROTOCOL_BY_NAME.get(a)).toBe(p);
    }
  });

  it('gives every layer field a protocol, keys and a type; every frame field a frame key', () => {
    for (const f of FIELDS) {
      expect(f.description.length, f.name).toBeGreaterThan(3);
      if (f.proto) {
        expect(PROTOCOL_BY_NAME.get(f.proto)?.name, f.name).toBe(f.proto);
        expect(f.name.startsWith(`${f.proto}.`)).toBe(true);
        expect(f.keys?.length, f.name).toBeGreaterThan(0);
        expect(f.frame).toBeUndefined();
        if (f.mask !== undefined) expect([f.type, f.keys!.length]).toEqual(['bool', 1]);
      } else {
        expect(f.frame, f.name).toBeDefined();
        expect(f.keys).toBeUndefined();
      }
    }
  });

  it('every name it lists compiles, alone and with inner./outer. for protocol names', () => {
    const names = filterNames(true);
    expect(names.length).toBeGreaterThan(3 * FIELDS.filter((f) => f.proto).length);
    for (const n of names) expect(checkFilter(n), n).toBeUndefined();
    expect(names).toContain('inner.ip.src');
    expect(names).toContain('outer.vxlan.vni');
    expect(names).not.toContain('inner.node');
  });

  it('lists the fields of a protocol by its name or alias', () => {
    expect(protocolFields('ipv4')).toEqual(protocolFields('ip'));
    expect(protocolFields('udp').map((f) => f.name)).toEqual([
      'udp.src_port',
      'udp.dst_port',
      'udp.port',
      'udp.length',
      'udp.payload_length',
      'udp.encap',
      'udp.checksum',
      'udp.checksum_status',
    ]);
    expect(protocolFields('nope')).toEqual([]);
  });
});

describe('field table against the decoders', () => {
  it('decodes enough of the public captures to judge', () => {
    expect(layers.length).toBeGreaterThan(1000);
  });

  it('has a protocol for every layer the decoders produce', () => {
    const names = new Set(layers.map((l) => l.layer));
    for (const n of ['eth', 'vlan', 'llc', 'sll', 'sll2', 'arp', 'ipv4', 'ipv6', 'icmp', 'icmp6', 'tcp', 'udp', 'vxlan', 'raw']) {
      expect(names, n).toContain(n);
    }
    for (const n of names) expect(protoOf(n), `layer ${n} has no filter protocol`).toBeDefined();
  });

  it('can filter on every scalar key the decoders write', () => {
    const missing: string[] = [];
    for (const l of layers) {
      const p = protoOf(l.layer)!;
      const keys = new Set(protocolFields(p.name).flatMap((f) => f.keys ?? []));
      for (const [k, v] of Object.entries(l)) {
        if (NOT_FIELDS.has(k) || (typeof v === 'object' && v !== null)) continue;
        if (k === 'header_length' && !keys.has(k)) continue; // only where it means something (ip, tcp)
        if (!keys.has(k) && !missing.includes(`${p.name}.${k}`)) missing.push(`${p.name}.${k}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('reads keys the decoders write, with values of the field type', () => {
    const seenKeys = new Map<string, Set<string>>();
    const bad: string[] = [];
    for (const l of layers) {
      let ks = seenKeys.get(l.layer);
      if (!ks) seenKeys.set(l.layer, (ks = new Set()));
      for (const [k, v] of Object.entries(l)) {
        ks.add(k);
        if (typeof v === 'object' && v !== null) for (const k2 of Object.keys(v)) ks.add(`${k}.${k2}`);
      }
      for (const f of protocolFields(protoOf(l.layer)!.name)) {
        for (const key of f.keys!) {
          const dot = key.indexOf('.');
          const v = dot === -1 ? l[key] : (l[key.slice(0, dot)] as Record<string, unknown> | undefined)?.[key.slice(dot + 1)];
          if (v === undefined) continue;
          const ok =
            f.mask !== undefined || f.type === 'number'
              ? typeof v === 'number'
              : f.type === 'bool'
                ? typeof v === 'boolean'
                : typeof v === 'string';
          if (!ok && !bad.includes(f.name)) bad.push(`${f.name}: ${typeof v}`);
        }
      }
    }
    expect(bad).toEqual([]);
    // Keys the public captures never show (ICMP redirect, fragmentation needed, flannel UDP)
    // are checked on hand-built layers below and in compile.test.ts; the rest must be seen.
    const unseen = FIELDS.filter((f) => f.proto)
      .flatMap((f) => f.keys!.map((k) => [f, k] as const))
      .filter(([f, k]) => !seenKeys.get(PROTOCOL_BY_NAME.get(f.proto!)!.layer)?.has(k))
      .map(([f, k]) => `${f.name} (${k})`);
    expect(unseen.sort()).toEqual(['icmp.gateway (gateway)', 'icmp.mtu (mtu)', 'icmp.pointer (pointer)', 'icmp6.mtu (mtu)', 'udp.encap (encap)']);
  });

  const layersDoc = fileURLToPath(new URL('../../docs/layers.md', import.meta.url));
  it.skipIf(!existsSync(layersDoc))('covers every layer key documented in docs/layers.md', () => {
    // "### `name`" sections of "## Per layer", each with a table whose first column names keys.
    const doc = readFileSync(layersDoc, 'utf8');
    const perLayer = doc.slice(doc.indexOf('## Per layer'), doc.indexOf('\n## ', doc.indexOf('## Per layer') + 1));
    const documented: string[] = [];
    let layer: string | undefined;
    for (const line of perLayer.split('\n')) {
      const h = /^### `([a-z0-9]+)`/.exec(line);
      if (h) layer = h[1];
      else if (line.startsWith('### ')) layer = undefined;
      else if (layer && line.startsWith('| `')) {
        for (const m of line.split('|')[1].matchAll(/`([a-z_0-9]+)`/g)) documented.push(`${layer}.${m[1]}`);
      }
    }
    expect(documented.length).toBeGreaterThan(60);
    const missing = documented.filter((lk) => {
      const [l, k] = lk.split('.');
      if (NOT_FIELDS.has(k) || k === 'header_length') return false;
      const p = protoOf(l);
      return !p || !protocolFields(p.name).some((f) => f.keys!.includes(k));
    });
    expect(missing).toEqual([]);
  });
});

describe('hand-built layers for keys the public captures lack', () => {
  it('filters ICMP errors by the packet they quote', () => {
    const icmpErr: Layer = {
      layer: 'icmp',
      offset: 34,
      header_length: 8,
      type: 3,
      code: 4,
      checksum: 0,
      checksum_status: 'good',
      payload_length: 28,
      mtu: 1450,
      quoted: { src: '10.10.1.5', dst: '10.10.2.6', protocol: 17, id: 7, ttl: 63, total_length: 1500, header_length: 20, src_port: 5000, dst_port: 8472 },
    };
    const p = { frame: {} as never, layers: [icmpErr] };
    expect(compileFilter('icmp.type == unreachable && icmp.code == 4 && icmp.mtu < 1500')(p)).toBe(true);
    expect(compileFilter('icmp.quoted.dst == 10.10.2.0/24 && icmp.quoted.proto == udp && icmp.quoted.dst_port == 8472')(p)).toBe(true);
    expect(compileFilter('icmp.quoted.src == 10.10.2.6')(p)).toBe(false);
    expect(compileFilter('icmp.id')(p)).toBe(false);
    expect(compileFilter('icmp.gateway')(p)).toBe(false);
  });

  it('filters redirects by gateway and ICMPv6 "packet too big" by MTU', () => {
    const redirect: Layer = { layer: 'icmp', offset: 34, header_length: 8, type: 5, code: 1, checksum: 0, checksum_status: 'good', payload_length: 28, gateway: '10.10.1.1' };
    const tooBig: Layer = { layer: 'icmp6', offset: 54, header_length: 8, type: 2, code: 0, checksum: 0, checksum_status: 'good', payload_length: 1232, mtu: 1280 };
    const p = { frame: {} as never, layers: [redirect, tooBig] };
    expect(compileFilter('icmp.type == redirect && icmp.gateway == 10.10.1.0/24')(p)).toBe(true);
    expect(compileFilter('icmp6.type == packet-too-big && icmp6.mtu == 1280')(p)).toBe(true);
    expect(compileFilter('icmpv6.mtu > 1280')(p)).toBe(false);
  });
});
