/**
 * The filter over real third-party captures, checked against tshark: for each expression, the
 * frames vxdecode keeps must be exactly the frames whose tshark dissection (the JSON oracle next to
 * the capture, read with every repeated layer kept) satisfies the same condition, and their number
 * is asserted too. A sweep then compares `FIELD == VALUE` for every value tshark shows of the main
 * fields in every capture, plainly and with inner./outer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { dissect, tunnelSplit } from '../../src/decoders/index.js';
import { SplitCache } from '../../src/filter/compile.js';
import type { Packet } from '../../src/decoders/layer.js';
import { compileFilter } from '../../src/filter/index.js';
import { PUBLIC_DIR, publicCaptures } from '../support/public.js';
import { innerLayers, num, outerLayers, readTshark, type TsharkFrame, type TsharkLayer } from './tshark.js';

interface Loaded {
  readonly packets: Packet[];
  readonly tshark: TsharkFrame[];
}

const cache = new Map<string, Promise<Loaded>>();

/** Decode a capture (optionally with a NODE/IFACE label) and read its tshark oracle. */
function load(name: string, label?: string): Promise<Loaded> {
  const key = `${label ?? ''}=${name}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const path = PUBLIC_DIR + name;
      const { frames, error } = await readFileFrames(label ? `${label}=${path}` : path);
      expect(error).toBeUndefined();
      const tshark = readTshark(`${path}.tshark.json`);
      // tshark's oracle stops at 200 frames.
      return { packets: frames.slice(0, tshark.length).map((f) => dissect(f)), tshark };
    })();
    cache.set(key, p);
  }
  return p;
}

/** 1-based positions of the frames a predicate keeps. */
function positions<T>(xs: readonly T[], keep: (x: T) => boolean): number[] {
  const out: number[] = [];
  xs.forEach((x, i) => {
    if (keep(x)) out.push(i + 1);
  });
  return out;
}

/** Values of a tshark field in the layers named `proto` (so that ip.src quoted inside ICMP is not one). */
function tv(layers: readonly TsharkLayer[], proto: string | readonly string[], field: string): string[] {
  const names = typeof proto === 'string' ? [proto] : proto;
  return layers.filter((l) => names.includes(l.name)).flatMap((l) => l.fields.get(field) ?? []);
}

const hasLayer = (layers: readonly TsharkLayer[], proto: string): boolean => layers.some((l) => l.name === proto);
const all = (f: TsharkFrame): readonly TsharkLayer[] => f.layers;

/** An IPv4 text within a.b.c.d/bits. */
function inCidr(ip: string, net: string, bits: number): boolean {
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  return Math.floor(n(ip) / size) === Math.floor(n(net) / size);
}

interface Case {
  readonly capture: string;
  readonly label?: string;
  readonly expr: string;
  /** Frames tshark says match. */
  readonly oracle: (f: TsharkFrame) => boolean;
  /** How many: the real value, asserted as well. */
  readonly count: number;
}

const VXLAN = 'tcpdump/vxlan.pcap';
const VXLAN_8472 = 'tcpdump/vxlan_port_8472.pcap';
const TRIPLE = 'zeek/tunnels/vxlan-triple-v2.pcap';
const QINQ = 'tcpdump/802.1ad_QinQ.pcap';

const CASES: Case[] = [
  // VXLAN on 4789: 2 inner ARP, 4 inner echo requests, 4 inner echo replies, VNI 100.
  { capture: VXLAN, expr: 'inner.icmp.type == 8', count: 4, oracle: (f) => tv(innerLayers(f), 'icmp', 'icmp.type').includes('8') },
  { capture: VXLAN, expr: 'inner.icmp.type == echo-reply', count: 4, oracle: (f) => tv(innerLayers(f), 'icmp', 'icmp.type').includes('0') },
  { capture: VXLAN, expr: 'arp', count: 2, oracle: (f) => hasLayer(f.layers, 'arp') },
  { capture: VXLAN, expr: 'inner.arp.op == reply', count: 1, oracle: (f) => tv(innerLayers(f), 'arp', 'arp.opcode').includes('2') },
  { capture: VXLAN, expr: 'outer.arp', count: 0, oracle: (f) => hasLayer(outerLayers(f), 'arp') },
  { capture: VXLAN, expr: 'vxlan.vni == 100', count: 10, oracle: (f) => tv(all(f), 'vxlan', 'vxlan.vni').includes('100') },
  { capture: VXLAN, expr: 'vxlan && !vxlan.vni == 1', count: 10, oracle: (f) => hasLayer(f.layers, 'vxlan') && !tv(all(f), 'vxlan', 'vxlan.vni').includes('1') },
  {
    capture: VXLAN,
    expr: 'inner.ip.src == 192.168.203.3 && udp.dstport == 4789',
    count: 4,
    oracle: (f) => tv(innerLayers(f), 'ip', 'ip.src').includes('192.168.203.3') && tv(all(f), 'udp', 'udp.dstport').includes('4789'),
  },
  { capture: VXLAN, expr: 'outer.ip.src == 192.168.203.1', count: 5, oracle: (f) => tv(outerLayers(f), 'ip', 'ip.src').includes('192.168.203.1') },
  { capture: VXLAN, expr: 'ip.addr == 192.168.203.0/24', count: 10, oracle: (f) => [...tv(all(f), 'ip', 'ip.src'), ...tv(all(f), 'ip', 'ip.dst')].some((a) => inCidr(a, '192.168.203.0', 24)) },
  { capture: VXLAN, expr: 'inner.ip.dst == 192.168.203.0/30', count: 4, oracle: (f) => tv(innerLayers(f), 'ip', 'ip.dst').some((a) => inCidr(a, '192.168.203.0', 30)) },
  { capture: VXLAN, expr: 'inner.ip.dst == 192.168.203.4/30', count: 4, oracle: (f) => tv(innerLayers(f), 'ip', 'ip.dst').some((a) => inCidr(a, '192.168.203.4', 30)) },
  { capture: VXLAN, expr: 'eth.addr == 00:16:3E:37:F6:04', count: 9, oracle: (f) => tv(all(f), 'eth', 'eth.addr').includes('00:16:3e:37:f6:04') },
  { capture: VXLAN, expr: 'outer.eth.src == 00:16:3e:37:f6:04', count: 0, oracle: (f) => tv(outerLayers(f), 'eth', 'eth.src').includes('00:16:3e:37:f6:04') },
  {
    capture: VXLAN,
    expr: 'inner.icmp.type == echo-request && inner.icmp.seq >= 3',
    count: 2,
    oracle: (f) => tv(innerLayers(f), 'icmp', 'icmp.type').includes('8') && tv(innerLayers(f), 'icmp', 'icmp.seq').some((s) => num(s) >= 3),
  },
  { capture: VXLAN, expr: 'udp.srcport < 50000', count: 9, oracle: (f) => tv(all(f), 'udp', 'udp.srcport').some((p) => num(p) < 50000) },
  { capture: VXLAN, expr: 'frame.len > 100', count: 8, oracle: (f) => f.len > 100 },
  { capture: VXLAN, expr: 'ip.flags.df && inner.ip.ttl == 64', count: 8, oracle: (f) => tv(all(f), 'ip', 'ip.flags.df').includes('1') && tv(innerLayers(f), 'ip', 'ip.ttl').includes('64') },

  // The same traffic on flannel's port 8472 (tshark needed -d udp.port==8472,vxlan).
  { capture: VXLAN_8472, expr: 'udp.port == 8472 && inner.icmp', count: 8, oracle: (f) => tv(all(f), 'udp', 'udp.port').includes('8472') && hasLayer(innerLayers(f), 'icmp') },
  { capture: VXLAN_8472, expr: 'outer.udp.dst_port == 8472 && inner.arp', count: 2, oracle: (f) => tv(outerLayers(f), 'udp', 'udp.dstport').includes('8472') && hasLayer(innerLayers(f), 'arp') },
  { capture: VXLAN_8472, expr: 'udp.port == 4789', count: 0, oracle: (f) => tv(all(f), 'udp', 'udp.port').includes('4789') },

  // Labels give node and interface.
  { capture: VXLAN, label: 'node2/flannel.1', expr: 'node == node2 && iface == flannel.1', count: 10, oracle: () => true },
  { capture: VXLAN, label: 'node2/flannel.1', expr: 'node==node1 || iface contains "eth"', count: 0, oracle: () => false },
  { capture: VXLAN, label: 'node2', expr: 'node == node2 && inner.icmp.type == 8', count: 4, oracle: (f) => tv(innerLayers(f), 'icmp', 'icmp.type').includes('8') },

  // Three VXLAN tunnels deep: inner is after the last one.
  { capture: TRIPLE, expr: 'inner.udp.port == 53 && inner.ip.src == 4.4.4.4', count: 1, oracle: (f) => tv(innerLayers(f), 'udp', 'udp.port').includes('53') && tv(innerLayers(f), 'ip', 'ip.src').includes('4.4.4.4') },
  { capture: TRIPLE, expr: 'outer.udp.port == 53', count: 0, oracle: (f) => tv(outerLayers(f), 'udp', 'udp.port').includes('53') },
  { capture: TRIPLE, expr: 'inner.vxlan', count: 0, oracle: (f) => hasLayer(innerLayers(f), 'vxlan') },

  // QinQ: an 802.1ad S-tag (200) then an 802.1Q C-tag (2001); tshark calls the first ieee8021ad.
  { capture: QINQ, expr: 'vlan.id == 2001', count: 2, oracle: (f) => tv(all(f), 'vlan', 'vlan.id').includes('2001') },
  { capture: QINQ, expr: 'vlan.vid == 200 && vlan.tpid == 0x88a8', count: 2, oracle: (f) => tv(all(f), 'ieee8021ad', 'ieee8021ad.id').includes('200') },
  { capture: QINQ, expr: 'arp.op == request', count: 1, oracle: (f) => tv(all(f), 'arp', 'arp.opcode').includes('1') },
  { capture: QINQ, expr: 'arp.target_proto == 172.21.79.96/30 && arp.op == 2', count: 1, oracle: (f) => tv(all(f), 'arp', 'arp.opcode').includes('2') && tv(all(f), 'arp', 'arp.dst.proto_ipv4').some((a) => inCidr(a, '172.21.79.96', 30)) },
  { capture: QINQ, expr: 'arp.sender_ip == 172.21.79.100', count: 1, oracle: (f) => tv(all(f), 'arp', 'arp.src.proto_ipv4').includes('172.21.79.100') },

  // A TCP handshake over Linux cooked capture v1.
  { capture: 'tcpdump/tcp-handshake-nano.pcap', expr: 'tcp.flags.syn && !tcp.flags.ack', count: 1, oracle: (f) => tv(all(f), 'tcp', 'tcp.flags.syn').includes('1') && !tv(all(f), 'tcp', 'tcp.flags.ack').includes('1') },
  { capture: 'tcpdump/tcp-handshake-nano.pcap', expr: 'tcp.flags.syn && tcp.flags.ack', count: 1, oracle: (f) => tv(all(f), 'tcp', 'tcp.flags.syn').includes('1') && tv(all(f), 'tcp', 'tcp.flags.ack').includes('1') },
  { capture: 'tcpdump/tcp-handshake-nano.pcap', expr: 'tcp.flags.ack', count: 2, oracle: (f) => tv(all(f), 'tcp', 'tcp.flags.ack').includes('1') },
  { capture: 'tcpdump/tcp-handshake-nano.pcap', expr: 'sll && tcp.port == 80', count: 3, oracle: (f) => hasLayer(f.layers, 'sll') && tv(all(f), 'tcp', 'tcp.port').includes('80') },

  // IPv4 options: 14 of 18 IGMP packets carry Router Alert (24-byte header).
  { capture: 'tcpdump/IGMP_V2.pcap', expr: 'ip.hdr_len == 24', count: 14, oracle: (f) => tv(all(f), 'ip', 'ip.hdr_len').includes('24') },
  { capture: 'tcpdump/IGMP_V2.pcap', expr: 'ip.proto == igmp && ip.hdr_len == 20', count: 4, oracle: (f) => tv(all(f), 'ip', 'ip.proto').includes('2') && tv(all(f), 'ip', 'ip.hdr_len').includes('20') },

  // Linux cooked v2 (tshark shows it as sll, with sll.ifindex) and v1.
  { capture: 'zeek/linux_dlt_sll2.pcap', expr: 'sll2.ifindex == 26 && arp', count: 2, oracle: (f) => tv(all(f), 'sll', 'sll.ifindex').includes('26') && hasLayer(f.layers, 'arp') },
  { capture: 'zeek/linux_dlt_sll2.pcap', expr: 'sll2.pkttype == outgoing', count: 2, oracle: (f) => tv(all(f), 'sll', 'sll.pkttype').includes('4') },
  { capture: 'zeek/linux_dlt_sll2.pcap', expr: 'icmp || icmp6', count: 4, oracle: (f) => hasLayer(f.layers, 'icmp') || hasLayer(f.layers, 'icmpv6') },
  { capture: 'zeek/linux_dlt_sll2.pcap', expr: 'ipv6.addr == fe80::/10', count: 2, oracle: (f) => [...tv(all(f), 'ipv6', 'ipv6.src'), ...tv(all(f), 'ipv6', 'ipv6.dst')].some((a) => a.startsWith('fe80:')) },
  { capture: 'zeek/linux_dlt_sll2.pcap', expr: 'ipv6.src == fe80::8c36:6ff:fe44:acaf && ipv6.src == ipv6.dst', count: 2, oracle: (f) => tv(all(f), 'ipv6', 'ipv6.src').includes('fe80::8c36:6ff:fe44:acaf') },
  { capture: 'zeek/linuxsll-arp.pcap', expr: 'sll.pkttype == broadcast && arp.op == request', count: 12, oracle: (f) => tv(all(f), 'sll', 'sll.pkttype').includes('1') && tv(all(f), 'arp', 'arp.opcode').includes('1') },

  // Interface names from pcapng IDBs, including one with backslashes and braces.
  { capture: 'zeek/pcapng-multi-interface.pcapng', expr: 'iface == eth0', count: 2, oracle: (f) => f.iface === 'eth0' },
  {
    capture: 'zeek/pcapng-multi-interface.pcapng',
    expr: String.raw`iface == "\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}" && udp.port == 53`,
    count: 4,
    oracle: (f) => f.iface === '\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}' && tv(all(f), 'udp', 'udp.port').includes('53'),
  },

  // Cut by snaplen: the capture holds less than the wire did.
  { capture: 'tcpdump/udp-length-heapoverflow.pcap', expr: 'frame.caplen < frame.len', count: 1, oracle: (f) => f.caplen < f.len },
  { capture: 'tcpdump/gso-ipv4-vxlan-ipv4.pcap', expr: 'frame.len > 1500 && inner.tcp && vxlan', count: 1, oracle: (f) => f.len > 1500 && hasLayer(innerLayers(f), 'tcp') },
];

describe('filters over real captures agree with tshark', () => {
  it.each(CASES.map((c) => [`${c.label ? `${c.label}=` : ''}${c.capture}: ${c.expr}`, c] as const))('%s', async (_, c) => {
    const { packets, tshark } = await load(c.capture, c.label);
    expect(packets.length).toBe(tshark.length);
    const f = compileFilter(c.expr);
    const got = positions(packets, f);
    expect(got).toEqual(positions(tshark, c.oracle));
    expect(got.length).toBe(c.count);
  });

  it('frame.caplen < frame.len has the same frames as truncated-or-cut in every capture', async () => {
    // Not an equivalence in general (a frame cut inside its payload decodes fine), but every
    // frame flagged truncated must have been cut.
    const cut = compileFilter('truncated && !(frame.caplen < frame.len)');
    for (const pc of publicCaptures().filter((c) => c.intent !== 'corrupt')) {
      const { packets } = await load(pc.name);
      expect(positions(packets, cut), pc.name).toEqual([]);
    }
  });
});

/**
 * [vxdecode expression with $ for the value, tshark layer name(s), tshark field, scopes it makes
 * sense in]. Every value tshark shows for the field in a capture is tried.
 */
const SWEEP: [expr: string, tsharkLayers: string[], tsharkField: string][] = [
  ['ip.src == $', ['ip'], 'ip.src'],
  ['ip.dst == $', ['ip'], 'ip.dst'],
  ['ip.addr == $', ['ip'], 'ip.addr'],
  ['ip.ttl == $', ['ip'], 'ip.ttl'],
  ['ip.id == $', ['ip'], 'ip.id'],
  ['ip.proto == $', ['ip'], 'ip.proto'],
  ['ip.hdr_len == $', ['ip'], 'ip.hdr_len'],
  // tshark shows the frame's length when the field is 0 (TSO); vxdecode's ip.len is the field.
  ['ip.len == $ && !ip.length_from_frame', ['ip'], 'ip.len'],
  ['ip.flags.df == $', ['ip'], 'ip.flags.df'],
  ['ip.flags.mf == $', ['ip'], 'ip.flags.mf'],
  ['ip.dscp == $', ['ip'], 'ip.dsfield.dscp'],
  ['udp.srcport == $', ['udp'], 'udp.srcport'],
  ['udp.dstport == $', ['udp'], 'udp.dstport'],
  ['udp.port == $', ['udp'], 'udp.port'],
  ['udp.length == $', ['udp'], 'udp.length'],
  ['tcp.srcport == $', ['tcp'], 'tcp.srcport'],
  ['tcp.dstport == $', ['tcp'], 'tcp.dstport'],
  ['tcp.port == $', ['tcp'], 'tcp.port'],
  ['tcp.seq == $', ['tcp'], 'tcp.seq_raw'],
  ['tcp.ack == $', ['tcp'], 'tcp.ack_raw'],
  ['tcp.hdr_len == $', ['tcp'], 'tcp.hdr_len'],
  ['tcp.window == $', ['tcp'], 'tcp.window_size_value'],
  ['tcp.flags.syn == $', ['tcp'], 'tcp.flags.syn'],
  ['tcp.flags.ack == $', ['tcp'], 'tcp.flags.ack'],
  ['tcp.flags.fin == $', ['tcp'], 'tcp.flags.fin'],
  ['tcp.flags.rst == $', ['tcp'], 'tcp.flags.reset'],
  ['tcp.flags.psh == $', ['tcp'], 'tcp.flags.push'],
  ['icmp.type == $', ['icmp'], 'icmp.type'],
  ['icmp.code == $', ['icmp'], 'icmp.code'],
  ['icmp.id == $', ['icmp'], 'icmp.ident'],
  ['icmp.seq == $', ['icmp'], 'icmp.seq'],
  ['arp.opcode == $', ['arp'], 'arp.opcode'],
  ['arp.src.proto_ipv4 == $', ['arp'], 'arp.src.proto_ipv4'],
  ['arp.dst.proto_ipv4 == $', ['arp'], 'arp.dst.proto_ipv4'],
  ['arp.src.hw_mac == $', ['arp'], 'arp.src.hw_mac'],
  ['arp.dst.hw_mac == $', ['arp'], 'arp.dst.hw_mac'],
  ['vxlan.vni == $', ['vxlan'], 'vxlan.vni'],
  ['eth.src == $', ['eth'], 'eth.src'],
  ['eth.dst == $', ['eth'], 'eth.dst'],
  ['eth.addr == $', ['eth'], 'eth.addr'],
  ['eth.type == $', ['eth'], 'eth.type'],
  ['vlan.id == $', ['vlan', 'ieee8021ad'], 'vlan.id'],
  ['vlan.id == $', ['vlan', 'ieee8021ad'], 'ieee8021ad.id'],
  ['vlan.priority == $', ['vlan'], 'vlan.priority'],
  ['vlan.dei == $', ['vlan'], 'vlan.dei'],
  ['(sll.pkttype == $ || sll2.pkttype == $)', ['sll'], 'sll.pkttype'],
  ['(sll.hatype == $ || sll2.hatype == $)', ['sll'], 'sll.hatype'],
  ['sll2.ifindex == $', ['sll'], 'sll.ifindex'],
  ['ipv6.src == $', ['ipv6'], 'ipv6.src'],
  ['ipv6.dst == $', ['ipv6'], 'ipv6.dst'],
  ['ipv6.nxt == $', ['ipv6'], 'ipv6.nxt'],
  ['ipv6.hlim == $', ['ipv6'], 'ipv6.hlim'],
  ['frame.len == $', [], 'frame.len'],
  ['frame.caplen == $', [], 'frame.cap_len'],
];

/** Captures where tshark 4.0 and vxdecode decode differently on purpose (README notes). */
const DIFFERENT: Record<string, string> = {
  // tshark 4.0 stops at the UDP length 0 of a BIG TCP packet; vxdecode takes the length from the
  // frame and decodes the VXLAN inside (as upstream tcpdump does), so inner/outer differ.
  'tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap': 'tshark stops at UDP length 0',
};

/** tshark shows these where vxdecode, by design, does not decode the same layers. */
function comparable(p: Packet, t: TsharkFrame): boolean {
  // vxdecode stops at the first truncated/malformed header; tshark often decodes on.
  if (p.error) return false;
  if (t.layers.some((l) => l.name === '_ws.malformed' || l.name === 'geneve' || l.name === 'nsh')) return false;
  // tshark reassembles IPv4 fragments and shows the transport header on the last one.
  return !t.layers.some((l) => l.name === 'ip' && ((l.fields.get('ip.flags.mf') ?? []).includes('1') || (l.fields.get('ip.frag_offset') ?? []).some((o) => o !== '0')));
}

function lengthFromFrame(p: Packet): boolean {
  return p.layers.some((l) => l.layer === 'ipv4' && l.length_from_frame === true);
}

function frameValues(t: TsharkFrame, field: string): string[] {
  return field === 'frame.len' ? [String(t.len)] : field === 'frame.cap_len' ? [String(t.caplen)] : [];
}

describe('sweep: FIELD == VALUE over every public capture, against tshark', () => {
  const captures = publicCaptures().filter((c) => c.intent !== 'corrupt');
  const data = new Map<string, Loaded>();
  beforeAll(async () => {
    for (const c of captures) data.set(c.name, await load(c.name));
  });

  for (const scope of ['', 'inner.', 'outer.'] as const) {
    it(`${scope || 'any depth'}`, () => {
      const mismatches: string[] = [];
      let checks = 0;
      let matched = 0;
      for (const c of captures.filter((x) => !DIFFERENT[x.name])) {
        const { packets, tshark } = data.get(c.name)!;
        const keep = positions(packets, (p) => comparable(p, tshark[packets.indexOf(p)]));
        for (const [template, layers, field] of SWEEP) {
          const isFrame = layers.length === 0;
          if (isFrame && scope) continue;
          const scoped = (f: TsharkFrame) => (scope === 'inner.' ? innerLayers(f) : scope === 'outer.' ? outerLayers(f) : f.layers);
          const valuesOf = (f: TsharkFrame) => (isFrame ? frameValues(f, field) : tv(scoped(f), layers, field));
          const seen = new Set<string>();
          for (const i of keep) for (const v of valuesOf(tshark[i - 1])) seen.add(v);
          for (const v of seen) {
            // Scope applies to the protocol name at the start of each field reference.
            const expr = template.replace(/(\(|^|\|\| )([a-z])/g, `$1${scope}$2`).replaceAll('$', v);
            const f = compileFilter(expr);
            const got = keep.filter((i) => f(packets[i - 1]));
            const want = keep.filter((i) => valuesOf(tshark[i - 1]).includes(v) && !(template.includes('length_from_frame') && lengthFromFrame(packets[i - 1])));
            checks++;
            matched += want.length;
            if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${c.name}: ${expr}: vxdecode ${got} tshark ${want}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
      // Real work was done: hundreds of distinct values, thousands of frames matched.
      expect(checks).toBeGreaterThan(scope === 'outer.' ? 200 : 3000);
      expect(matched).toBeGreaterThan(scope === 'outer.' ? 500 : 10000);
    });
  }
});

describe('inner/outer split', () => {
  it('is the decoders\' tunnelSplit, for every frame of every public capture', async () => {
    const cache = new SplitCache();
    let tunnelled = 0;
    let frames = 0;
    for (const pc of publicCaptures().filter((c) => c.intent !== 'corrupt')) {
      for (const p of (await load(pc.name)).packets) {
        const { outer, inner } = tunnelSplit(p);
        cache.update(p);
        expect(p.layers.slice(0, cache.outerEnd)).toEqual(outer);
        expect(p.layers.slice(cache.innerStart)).toEqual(inner);
        frames++;
        if (outer.length) tunnelled++;
      }
    }
    expect(frames).toBeGreaterThan(500);
    // vxlan.pcap, vxlan_port_8472.pcap (10 each), gso, bigtcp, the zeek VXLAN traces...
    expect(tunnelled).toBeGreaterThanOrEqual(22);
  });
});
