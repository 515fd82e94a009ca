/**
 * Behaviour the oracles do not cover by themselves: VXLAN ports, options and heuristics, nested
 * tunnels, BIG TCP against upstream tcpdump, flannel's UDP backend, the errors of the captures
 * that are malformed on purpose, link types, FCS, and the helpers over a Packet.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import type { Frame } from '../../src/capture/frame.js';
import {
  dissect,
  encapsulationLevels,
  findLastLayer,
  findLayer,
  innerIpv4,
  innerIpv4Offset,
  layerPayload,
  tunnelSplit,
  type Layer,
  type Packet,
} from '../../src/decoders/index.js';
import { PUBLIC_DIR, publicCaptures } from '../support/public.js';
import { frameOf } from './helpers.js';

async function framesOf(name: string): Promise<Frame[]> {
  const r = await readFileFrames(join(PUBLIC_DIR, name));
  expect(r.error).toBeUndefined();
  return r.frames;
}

const names = (p: Packet): string => p.layers.map((l) => l.layer).join(' ');

/** A copy of a real frame with some bytes changed (for ports and lengths only). */
function edited(f: Frame, edit: (b: Uint8Array) => void): Frame {
  const b = f.bytes.slice();
  edit(b);
  return frameOf(b, f.source, f.len);
}

function ipChecksum(b: Uint8Array, o: number, ihl: number): number {
  let s = 0;
  for (let i = o; i < o + ihl; i += 2) if (i !== o + 10) s += (b[i] << 8) | b[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

describe('VXLAN', () => {
  it('decodes UDP 8472 (flannel, Linux) as VXLAN with no options, like 4789', async () => {
    const p8472 = (await framesOf('tcpdump/vxlan_port_8472.pcap')).map((f) => dissect(f));
    const p4789 = (await framesOf('tcpdump/vxlan.pcap')).map((f) => dissect(f));
    expect(p8472).toHaveLength(10);
    p8472.forEach((p, i) => {
      expect(p.error).toBeUndefined();
      expect(findLayer(p.layers, 'udp')!.dst_port === 8472 || findLayer(p.layers, 'udp')!.src_port === 8472).toBe(true);
      const v = findLayer(p.layers, 'vxlan')!;
      expect(v).toMatchObject({ vni: 100, flags: 0x08, i_flag: true, reserved1: 0, reserved2: 0, heuristic: false });
      // the same traffic as vxlan.pcap: identical inner layers
      const inner = (q: Packet) => JSON.stringify(tunnelSplit(q).inner);
      expect(inner(p)).toBe(inner(p4789[i]));
    });
    expect(names(p8472[0])).toBe('eth ipv4 udp vxlan eth ipv4 icmp');
    expect(names(p8472[1])).toBe('eth ipv4 udp vxlan eth arp');
  });

  it('decodes all three levels of zeek vxlan-triple-v2', async () => {
    const [f] = await framesOf('zeek/tunnels/vxlan-triple-v2.pcap');
    const p = dissect(f);
    expect(p.error).toBeUndefined();
    expect(names(p)).toBe('eth ipv4 udp vxlan eth ipv4 udp vxlan eth ipv4 udp vxlan eth ipv4 udp raw');
    const vx = p.layers.filter((l) => l.layer === 'vxlan');
    expect(vx.map((l) => l.vni)).toEqual([1, 2, 3]);
    // flags 0x0c and a reserved field of 3: bound by port, so decoded whatever the header holds
    expect(vx.map((l) => [l.flags, l.reserved1])).toEqual([[0x0c, 3], [0x0c, 3], [0x0c, 3]]);
    const ips = p.layers.filter((l) => l.layer === 'ipv4').map((l) => `${l.src}>${l.dst}`);
    expect(ips).toEqual(['1.1.1.1>1.1.1.9', '2.2.2.2>2.2.2.9', '3.3.3.3>3.3.3.9', '4.4.4.4>4.4.4.9']);
    expect(encapsulationLevels(p.layers)).toHaveLength(4);
    const { outer, inner } = tunnelSplit(p);
    expect(outer.map((l) => l.layer).join(' ')).toBe('eth ipv4 udp vxlan eth ipv4 udp vxlan eth ipv4 udp vxlan');
    expect(inner.map((l) => l.layer).join(' ')).toBe('eth ipv4 udp raw');
    expect(findLastLayer(p.layers, 'udp')!.dst_port).toBe(53);
    expect(innerIpv4(p)!.src).toBe('4.4.4.4');
  });

  it('stops at maxDepth and leaves the rest raw', async () => {
    const [f] = await framesOf('zeek/tunnels/vxlan-triple-v2.pcap');
    expect(names(dissect(f, { maxDepth: 1 }))).toBe('eth ipv4 udp vxlan eth ipv4 udp vxlan raw');
    expect(names(dissect(f, { maxDepth: 0 }))).toBe('eth ipv4 udp vxlan raw');
  });

  it('leaves VXLAN-GPE (4790) as udp + raw, heuristics on or off', async () => {
    const [f] = await framesOf('tcpdump/nsh-over-vxlan-gpe.pcap');
    for (const opts of [undefined, { heuristics: true }, { heuristics: false }]) {
      const p = dissect(f, opts);
      expect(names(p)).toBe('eth ipv4 udp raw');
      expect(findLayer(p.layers, 'udp')!.dst_port).toBe(4790);
      expect(findLayer(p.layers, 'raw')!.length).toBe(findLayer(p.layers, 'udp')!.payload_length);
      expect(p.error).toBeUndefined();
    }
  });

  it('finds VXLAN on another port by the heuristic, by vxlanPorts, and not with heuristics off', async () => {
    const [f] = await framesOf('tcpdump/vxlan.pcap');
    // the real frame with its UDP destination port changed from 4789 to 9999 (UDP checksum is 0)
    const moved = edited(f, (b) => {
      expect((b[36] << 8) | b[37]).toBe(4789);
      b[36] = 9999 >> 8;
      b[37] = 9999 & 255;
    });
    const h = dissect(moved);
    expect(names(h)).toBe('eth ipv4 udp vxlan eth ipv4 icmp');
    expect(findLayer(h.layers, 'vxlan')).toMatchObject({ vni: 100, heuristic: true });
    expect(names(dissect(moved, { heuristics: false }))).toBe('eth ipv4 udp raw');
    const bound = dissect(moved, { heuristics: false, vxlanPorts: [9999] });
    expect(findLayer(bound.layers, 'vxlan')).toMatchObject({ vni: 100, heuristic: false });
  });

  it('does not guess VXLAN from a header with other flags or reserved bits set', async () => {
    const [f] = await framesOf('zeek/tunnels/vxlan-triple-v2.pcap');
    // outer UDP ports 4789 → 10000; the outer VXLAN header has flags 0x0c and a reserved field of 3
    const moved = edited(f, (b) => b.set([0x27, 0x10, 0x27, 0x10], 34));
    expect(names(dissect(moved))).toBe('eth ipv4 udp raw');
  });

  it('decodes BIG TCP (IPv4 and UDP lengths 0) as upstream tcpdump does', async () => {
    const [f] = await framesOf('tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap');
    const out = readFileSync(join(PUBLIC_DIR, 'tcpdump/expected/bigtcp-ipv4-vxlan-ipv4.out'), 'utf8');
    const lengths = [...out.matchAll(/length (\d+) \[was 0, presumed BIG TCP\]/g)].map((m) => Number(m[1]));
    const tcp = /seq (\d+):(\d+), ack (\d+), win (\d+), .*length (\d+)/.exec(out)!;
    const vni = Number(/vni (\d+)/.exec(out)![1]);
    const p = dissect(f);
    expect(p.error).toBeUndefined();
    expect(names(p)).toBe('eth ipv4 udp vxlan eth ipv4 tcp raw');
    const ips = p.layers.filter((l) => l.layer === 'ipv4');
    expect(ips.map((l) => [l.total_length, l.length_from_frame])).toEqual([[0, true], [0, true]]);
    expect(ips.map((l) => l.header_length + (l.payload_length as number))).toEqual(lengths);
    const udp = findLayer(p.layers, 'udp')!;
    expect(udp.length).toBe(0);
    expect(udp.payload_length).toBe(lengths[0] - 20 - 8);
    expect(findLayer(p.layers, 'vxlan')!.vni).toBe(vni);
    const t = findLayer(p.layers, 'tcp')!;
    expect([t.seq, t.ack, t.window, t.payload_length, t.flags]).toEqual([Number(tcp[1]), Number(tcp[3]), Number(tcp[4]), Number(tcp[5]), 'P.']);
    expect(Number(tcp[2]) - Number(tcp[1])).toBe(t.payload_length);
  });

  it('decodes a GSO super-packet (7106-byte frame) whole', async () => {
    const [f] = await framesOf('tcpdump/gso-ipv4-vxlan-ipv4.pcap');
    const p = dissect(f);
    expect(p.error).toBeUndefined();
    expect(findLayer(p.layers, 'vxlan')!.vni).toBe(5001);
    expect(findLastLayer(p.layers, 'ipv4')!.total_length).toBe(7042);
    expect(findLayer(p.layers, 'tcp')!.payload_length).toBe(6990);
    // tcpdump -v: "cksum 0x9ec8 (incorrect -> 0x6674)": the field holds the pseudo-header sum,
    // which the NIC was to complete (the sender's own capture of a GSO packet)
    expect(findLayer(p.layers, 'tcp')!.checksum_status).toBe('partial');
  });
});

describe("flannel's UDP backend (8285)", () => {
  /**
   * No capture of flannel's UDP backend exists here, so one is put together from the real
   * bytes of a lab VXLAN frame: its outer Ethernet/IPv4/UDP headers, then the inner IPv4
   * packet without the VXLAN and inner Ethernet headers, with ports 8285 and lengths fixed.
   */
  async function flannelUdpFrame(): Promise<{ frame: Frame; inner: Uint8Array }> {
    const r = await readFileFrames(fileURLToPath(new URL('../../captures/vxlan-ping/node1-eth0.pcap', import.meta.url)));
    const f = r.frames.find((x) => dissect(x).layers.some((l) => l.layer === 'vxlan'))!;
    const p = dissect(f);
    const outerIp = findLayer(p.layers, 'ipv4')!;
    const udp = findLayer(p.layers, 'udp')!;
    const inner = innerIpv4(p)!;
    const innerBytes = f.bytes.subarray(inner.offset, inner.offset + inner.header_length + inner.payload_length);
    const b = new Uint8Array(udp.offset + 8 + innerBytes.length);
    b.set(f.bytes.subarray(0, udp.offset + 8));
    b.set(innerBytes, udp.offset + 8);
    const ipLen = b.length - outerIp.offset;
    b[outerIp.offset + 2] = ipLen >> 8;
    b[outerIp.offset + 3] = ipLen & 255;
    const ck = ipChecksum(b, outerIp.offset, outerIp.header_length);
    b[outerIp.offset + 10] = ck >> 8;
    b[outerIp.offset + 11] = ck & 255;
    const u = udp.offset;
    b.set([8285 >> 8, 8285 & 255, 8285 >> 8, 8285 & 255, (8 + innerBytes.length) >> 8, (8 + innerBytes.length) & 255, 0, 0], u);
    return { frame: frameOf(b, f.source), inner: innerBytes };
  }

  it('marks the UDP layer as the tunnel and decodes the bare inner IPv4 packet', async () => {
    const { frame, inner } = await flannelUdpFrame();
    const p = dissect(frame);
    expect(p.error).toBeUndefined();
    expect(names(p)).toBe('eth ipv4 udp ipv4 icmp');
    const udp = findLayer(p.layers, 'udp')!;
    expect(udp.encap).toBe('flannel-udp');
    expect(udp.checksum_status).toBe('none');
    const { outer, inner: in2 } = tunnelSplit(p);
    expect(outer.at(-1)).toBe(udp);
    expect(in2.map((l) => l.layer)).toEqual(['ipv4', 'icmp']);
    expect(innerIpv4(p)).toMatchObject({ src: '10.10.1.5', dst: '10.10.2.6', ttl: 63, checksum_status: 'good' });
    expect(innerIpv4Offset(p)).toBe(udp.offset + 8);
    expect([...layerPayload(p, udp)]).toEqual([...inner]);
  });

  it('leaves a non-IPv4 payload on 8285 raw', async () => {
    const { frame } = await flannelUdpFrame();
    const p = dissect(edited(frame, (b) => (b[42] = 0x60)));
    expect(names(p)).toBe('eth ipv4 udp raw');
    expect(findLayer(p.layers, 'udp')!.encap).toBeUndefined();
  });
});

/** What each capture that is malformed on purpose must give: the first problem of each frame. */
const MALFORMED: Record<string, { kind: string; layer: string; offset: number; needed: number; present: number; message: RegExp; layers: string }[]> = {
  'tcpdump/arp-too-long-tha.pcap': [],
  'tcpdump/ipv4_invalid_length.pcap': [{ kind: 'malformed', layer: 'ipv4', offset: 14, needed: 20, present: 19, message: /need 20, have 19/, layers: 'eth' }],
  'tcpdump/ipv4_invalid_hdr_length.pcap': [{ kind: 'malformed', layer: 'ipv4', offset: 14, needed: 20, present: 84, message: /header length 16 < 20/, layers: 'eth' }],
  'tcpdump/ipv4_invalid_total_length.pcap': [{ kind: 'malformed', layer: 'ipv4', offset: 14, needed: 85, present: 84, message: /total length 85 > 84/, layers: 'eth ipv4 udp raw' }],
  'tcpdump/ipv4_invalid_total_length_2.pcap': [{ kind: 'malformed', layer: 'ipv4', offset: 14, needed: 20, present: 84, message: /total length 19 < header length 20/, layers: 'eth' }],
  'zeek/trunc/trunc-hdr.pcap': [{ kind: 'truncated', layer: 'eth', offset: 0, needed: 14, present: 8, message: /need 14, have 8/, layers: '' }],
  'zeek/trunc/ip4-trunc.pcap': [{ kind: 'truncated', layer: 'ipv4', offset: 14, needed: 20, present: 6, message: /need 20, have 6/, layers: 'eth' }],
  'zeek/trunc/ipv4-internally-truncated-header.pcap': [{ kind: 'truncated', layer: 'ipv4', offset: 14, needed: 60, present: 20, message: /need 60, have 20/, layers: 'eth' }],
  'zeek/trunc/ipv4-truncated-broken-header.pcap': [{ kind: 'malformed', layer: 'ipv4', offset: 14, needed: 60, present: 20, message: /total length 20 < header length 60/, layers: 'eth' }],
  'zeek/trunc/icmp-header-trunc.pcap': [
    { kind: 'truncated', layer: 'icmp', offset: 34, needed: 8, present: 6, message: /need 8, have 6/, layers: 'eth ipv4' },
    { kind: 'truncated', layer: 'icmp', offset: 34, needed: 8, present: 6, message: /need 8, have 6/, layers: 'eth ipv4' },
  ],
  'tcpdump/udp-length-heapoverflow.pcap': [{ kind: 'truncated', layer: 'udp', offset: 34, needed: 8, present: 4, message: /need 8, have 4/, layers: 'eth ipv4' }],
};

describe('captures that are malformed on purpose', () => {
  it('the table covers every one the README marks', () => {
    const marked = publicCaptures().filter((c) => c.intent === 'malformed').map((c) => c.name);
    expect(Object.keys(MALFORMED).sort()).toEqual(marked.sort());
  });

  for (const [name, want] of Object.entries(MALFORMED)) {
    it(`${name}: ${want.length ? want.map((w) => `${w.kind} ${w.layer} at ${w.offset}`).join(', ') : 'no error'}`, async () => {
      const frames = await framesOf(name);
      expect(frames).toHaveLength(Math.max(1, want.length));
      frames.forEach((f, i) => {
        const p = dissect(f);
        const w = want[i];
        if (!w) return expect(p.error).toBeUndefined();
        const { message, layers, ...fields } = w;
        expect(p.error).toMatchObject(fields);
        expect(p.error!.message).toMatch(message);
        expect(names(p)).toBe(layers);
      });
    });
  }

  it('arp-too-long-tha: 14-byte hardware addresses fit in the 64 captured bytes and are decoded (as tshark and tcpdump do)', async () => {
    const [f] = await framesOf('tcpdump/arp-too-long-tha.pcap');
    const p = dissect(f);
    expect(names(p)).toBe('eth vlan arp');
    expect(findLayer(p.layers, 'vlan')).toMatchObject({ tpid: 0x88a8, vid: 48, pcp: 1, dei: true, ethertype: 0x0806 });
    expect(findLayer(p.layers, 'arp')).toMatchObject({
      hw_type: 12336,
      hw_len: 14,
      proto_len: 4,
      op: 1,
      sender_hw: '30:30:30:30:30:30:30:30:30:30:30:30:30:30',
      target_proto: '48.48.48.48',
      gratuitous: true,
      header_length: 8 + 2 * (14 + 4),
    });
    // Cut inside the target hardware address (which the capture's 262144-byte length says was sent).
    for (let k = 18 + 8; k < 18 + 44; k++) {
      const q = dissect(frameOf(f.bytes.subarray(0, k), f.source, f.len));
      expect(q.error).toMatchObject({ kind: 'truncated', layer: 'arp', offset: 18 });
      expect(q.error!.needed).toBe(44);
    }
    // The same cut in a frame whose length is only what was captured: the packet itself is short.
    const short = dissect(frameOf(f.bytes.subarray(0, 50), f.source));
    expect(short.error).toMatchObject({ kind: 'malformed', layer: 'arp', offset: 18, needed: 44, present: 32 });
  });

  it('reports an Ethernet ARP with a hardware length other than 6 as malformed, and still decodes it', async () => {
    const [f] = await framesOf('zeek/arp-who-has.pcap');
    const p = dissect(edited(f, (b) => (b[18] = 5)));
    expect(p.error).toMatchObject({ kind: 'malformed', layer: 'arp', offset: 18 });
    expect(findLayer(p.layers, 'arp')).toMatchObject({ hw_len: 5, sender_hw: '78:31:c1:c6:3f' });
  });
});

describe('link types', () => {
  it('Linux SLL with an address length over 8 shows the 8 bytes of the field and decodes on', async () => {
    const frames = await framesOf('gopacket/linux_sll_oversized_addr.pcapng');
    const odd = frames.map((f) => dissect(f)).filter((p) => findLayer(p.layers, 'sll')!.address_length > 8);
    expect(odd.map((p) => findLayer(p.layers, 'sll')!.address_length)).toEqual([227, 50438, 22, 518, 9472, 1030]);
    for (const p of odd) {
      expect(findLayer(p.layers, 'sll')!.address).toBe('a6:58:43:12:df:79:00:00');
      expect(names(p)).toBe('sll ipv4 tcp');
    }
  });

  it('SLL2 carries the interface index', async () => {
    const ps = (await framesOf('zeek/linux_dlt_sll2.pcap')).map((f) => dissect(f));
    expect(ps.map(names)).toEqual(['sll2 ipv4 icmp', 'sll2 ipv4 icmp', 'sll2 ipv6 icmp6', 'sll2 ipv6 icmp6', 'sll2 arp', 'sll2 arp']);
    expect(ps.map((p) => findLayer(p.layers, 'sll2')!.ifindex)).toEqual([1, 1, 1, 1, 26, 26]);
    expect(findLayer(ps[5].layers, 'arp')!.op).toBe(3); // RARP request on 0x8035
    expect(findLayer(ps[2].layers, 'icmp6')).toMatchObject({ type: 128, id: 9, seq: 1, checksum_status: 'good' });
  });

  it('BSD loopback (NULL) frames in a pcapng section with Ethernet', async () => {
    const ps = (await framesOf('pcapng-test-generator/output_le/basic/test006.pcapng')).map((f) => dissect(f));
    const loop = ps.filter((p) => p.frame.source.linkType === 0);
    expect(loop.map(names)).toEqual(['null ipv4 udp raw']);
    expect(findLayer(loop[0].layers, 'null')!.family).toBe(2);
    expect(findLayer(loop[0].layers, 'udp')!.dst_port).toBe(17500);
  });

  it('an unknown link type is one raw layer and an unsupported error', async () => {
    const [f] = await framesOf('tcpdump/vxlan.pcap');
    const p = dissect(frameOf(f.bytes, { ...f.source, linkType: 147 }));
    expect(names(p)).toBe('raw');
    expect(p.layers[0].length).toBe(f.caplen);
    expect(p.error).toMatchObject({ kind: 'unsupported', layer: 'link', offset: 0 });
  });

  it('raw IPv4 (228) and raw IP (101) start at the IP header', async () => {
    const [f] = await framesOf('zeek/icmp/5-pings.pcap');
    const ip = f.bytes.subarray(14);
    for (const linkType of [101, 228]) {
      const p = dissect(frameOf(ip, { ...f.source, linkType }));
      expect(names(p)).toBe('ipv4 icmp');
      expect(p.error).toBeUndefined();
    }
  });

  it('strips the FCS the capture says each frame has', async () => {
    // tshark finds a 4-byte FCS after the 176-byte IPv4 packet of this 194-byte frame
    const [f] = await framesOf('zeek/icmp/icmp-destunreach-udp.pcap');
    const withFcs = dissect(frameOf(f.bytes, { ...f.source, fcsLength: 4 }));
    expect(withFcs.error).toBeUndefined();
    expect(JSON.stringify(withFcs.layers)).toBe(JSON.stringify(dissect(f).layers));
    expect(layerPayload(withFcs, withFcs.layers[0]).length).toBe(176);
    expect(layerPayload(dissect(f), withFcs.layers[0]).length).toBe(180);
    // an FCS claimed where there is none eats into the packet
    const [g] = await framesOf('zeek/icmp/5-pings.pcap');
    const wrong = dissect(frameOf(g.bytes, { ...g.source, fcsLength: 4 }));
    expect(wrong.error).toMatchObject({ kind: 'malformed', layer: 'ipv4', message: expect.stringMatching(/total length 84 > 80/) });
  });
});

describe('IPv4, ICMP and TCP details', () => {
  it('IPv4 options by number and name', async () => {
    const ps = (await framesOf('tcpdump/IGMP_V2.pcap')).map((f) => dissect(f));
    const withRa = ps.filter((p) => findLayer(p.layers, 'ipv4')!.header_length === 24);
    expect(withRa).toHaveLength(14);
    for (const p of withRa) expect(findLayer(p.layers, 'ipv4')!.options).toEqual([{ type: 148, name: 'Router Alert', length: 4 }]);
    expect(names(ps[0])).toBe('eth ipv4 raw'); // IGMP is not decoded
  });

  it('fragments: offsets in bytes, no L4 for later fragments', async () => {
    const ps = (await framesOf('zeek/ipv4/fragmented-1.pcap')).map((f) => dissect(f));
    expect(ps.map((p) => [findLayer(p.layers, 'ipv4')!.frag_offset, findLayer(p.layers, 'ipv4')!.mf])).toEqual([[0, true], [48, false], [0, true]]);
    expect(ps.map(names)).toEqual(['eth ipv4 udp raw', 'eth ipv4 raw', 'eth ipv4 udp raw']);
    // the first fragment's UDP length (the whole datagram) is longer than the fragment: not an error
    expect(ps.map((p) => p.error)).toEqual([undefined, undefined, undefined]);
    expect(findLayer(ps[0].layers, 'udp')!.checksum_status).toBe('unverified');
    // a TCP header split across two fragments is left raw, not reported
    const syn = (await framesOf('zeek/ipv4/fragmented-syn.pcap')).map((f) => dissect(f));
    expect(syn.map(names)).toEqual(['eth ipv4 raw', 'eth ipv4 raw']);
    expect(syn.map((p) => p.error)).toEqual([undefined, undefined]);
  });

  it('total length 0 with a longer frame is taken from the frame (icmp-length-zero)', async () => {
    const [f] = await framesOf('tcpdump/icmp-length-zero.pcapng');
    const p = dissect(f);
    expect(p.error).toBeUndefined();
    expect(findLayer(p.layers, 'ipv4')).toMatchObject({ total_length: 0, length_from_frame: true, payload_length: 64 });
    expect(findLayer(p.layers, 'icmp')).toMatchObject({ type: 8, id: 12931, seq: 1, checksum_status: 'good' });
  });

  it('ICMP errors decode the quoted header and ports', async () => {
    const [f] = await framesOf('zeek/icmp/icmp-timeexceeded.pcap');
    const c = findLayer(dissect(f).layers, 'icmp')!;
    expect(c).toMatchObject({ type: 11, code: 0, checksum_status: 'good' });
    expect(c.quoted).toEqual({ src: '10.0.0.2', dst: '10.0.0.1', protocol: 17, id: 1, ttl: 64, total_length: 32, header_length: 20, src_port: 30000, dst_port: 13000, length: 12 });
  });

  it('TCP options with values, flags like tcpdump', async () => {
    const ps = (await framesOf('zeek/tcp/options.pcap')).map((f) => dissect(f));
    const syn = findLayer(ps[0].layers, 'tcp')!;
    expect(syn.flags).toBe('S');
    expect(syn.options).toEqual([
      { kind: 2, name: 'mss', length: 4, value: 1460 },
      { kind: 4, name: 'sack_perm', length: 2 },
      { kind: 8, name: 'timestamp', length: 10, val: 4294923497, ecr: 0 },
      { kind: 1, name: 'nop', length: 1 },
      { kind: 3, name: 'wscale', length: 3, value: 6 },
    ]);
    expect(findLayer(ps[1].layers, 'tcp')!.flags).toBe('S.');
    expect(ps.map((p) => findLayer(p.layers, 'tcp')!.checksum_status)).toEqual(['good', 'good', 'good', 'good']);
  });

  it('a bad inner TCP checksum inside VXLAN is found', async () => {
    const [f] = await framesOf('zeek/tunnels/vxlan-inner-tcp-bad-checksum.pcap');
    const p = dissect(f);
    expect(findLayer(p.layers, 'tcp')).toMatchObject({ flags: 'S', checksum_status: 'bad' });
    expect(findLayer(p.layers, 'udp')!.checksum_status).not.toBe('bad');
  });

  it('UDP checksum not verified when the datagram is cut by snaplen', async () => {
    const ps = (await framesOf('zeek/tunnels/geneve-vxlan-dns-truncated.pcap')).map((f) => dissect(f));
    for (const p of ps) {
      expect(p.frame.caplen).toBeLessThan(p.frame.len);
      expect(findLayer(p.layers, 'udp')!.checksum_status).toBe('unverified');
    }
  });
});

describe('helpers over a Packet', () => {
  it('payloads are views of the frame, never copies', async () => {
    const [f] = await framesOf('tcpdump/vxlan.pcap');
    const p = dissect(f);
    const udp = findLayer(p.layers, 'udp')!;
    const pl = layerPayload(p, udp);
    expect(pl.buffer).toBe(f.bytes.buffer);
    expect(pl.byteOffset).toBe(f.bytes.byteOffset + udp.offset + 8);
    expect(pl.length).toBe(udp.payload_length);
    expect(innerIpv4Offset(p)).toBe(14 + 20 + 8 + 8 + 14);
    expect(innerIpv4(p)!.src).toBe('192.168.203.3');
    expect(findLayer(p.layers, 'ipv4')!.src).toBe('192.168.203.1');
  });

  it('without a tunnel, tunnelSplit has no outer part', async () => {
    const [f] = await framesOf('zeek/icmp/5-pings.pcap');
    const p = dissect(f);
    expect(tunnelSplit(p)).toEqual({ outer: [], inner: p.layers });
    expect(innerIpv4Offset(p)).toBe(14);
    const [a] = await framesOf('zeek/arp-who-has.pcap');
    expect(innerIpv4Offset(dissect(a))).toBe(-1);
  });

  it('layers are plain JSON: every one has layer, offset, header_length, and no byte arrays', async () => {
    for (const name of ['tcpdump/vxlan.pcap', 'zeek/tcp/options.pcap', 'zeek/icmp/icmp-destunreach-udp.pcap', 'zeek/linux_dlt_sll2.pcap']) {
      for (const f of await framesOf(name)) {
        const p = dissect(f);
        const back = JSON.parse(JSON.stringify(p.layers)) as Layer[];
        expect(back).toEqual(p.layers);
        for (const l of back) {
          expect(typeof l.layer).toBe('string');
          expect(l.offset + l.header_length).toBeLessThanOrEqual(f.caplen);
        }
      }
    }
  });
});
