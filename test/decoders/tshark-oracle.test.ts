/**
 * Every third-party capture that is valid or malformed on purpose, frame by frame: the decoded
 * layer stack and the principal fields of every layer against tshark's JSON (all duplicate keys
 * kept), and checksums, TCP flags and VNIs against tcpdump -v's text. The deliberate differences
 * are listed in DIFFERENCES here and in docs/layers.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { LinkType } from '../../src/capture/frame.js';
import { dissect, isLayer, type Layer, type LayerName, type Packet } from '../../src/decoders/index.js';
import type {
  ArpLayer,
  EthLayer,
  IcmpLayer,
  Icmp6Layer,
  Ipv4Layer,
  Ipv6Layer,
  LlcLayer,
  NullLayer,
  Sll2Layer,
  SllLayer,
  TcpLayer,
  UdpLayer,
  VlanLayer,
  VxlanLayer,
} from '../../src/decoders/index.js';
import { publicCaptures } from '../support/public.js';
import { tcpdumpOracle, tsharkOracle, type TsharkFrame, type TsharkLayer } from './helpers.js';

const captures = publicCaptures().filter((c) => c.intent !== 'corrupt');

/** tshark protocol keys that are layers of ours. Any other key ends what can be compared. */
const TSHARK_LAYERS: Record<string, LayerName> = {
  eth: 'eth',
  vlan: 'vlan',
  ieee8021ad: 'vlan',
  llc: 'llc',
  sll: 'sll',
  null: 'null',
  arp: 'arp',
  ip: 'ipv4',
  ipv6: 'ipv6',
  icmp: 'icmp',
  icmpv6: 'icmp6',
  tcp: 'tcp',
  udp: 'udp',
  vxlan: 'vxlan',
};
/** Keys in `_source.layers` that are tshark's annotations, not protocols. */
const ANNOTATIONS = new Set(['pkt_comment', '_ws.short', '_ws.malformed', '_ws.expert']);

/**
 * Deliberate differences (docs/layers.md): compare only the first `layers` layers with tshark;
 * `tcpdump`: 'skip' compares nothing with tcpdump 4.99.3, 'no-vni' leaves out the VNIs.
 */
const DIFFERENCES: Record<string, { layers?: number; tcpdump?: 'skip' | 'no-vni'; why: string }> = {
  'tcpdump/nsh-over-vxlan-gpe.pcap': {
    layers: 3,
    why: 'tshark decodes UDP 4790 as VXLAN-GPE under the name vxlan; vxdecode leaves 4790 raw (not VXLAN)',
  },
  'tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap': {
    layers: 3,
    tcpdump: 'skip',
    why: 'tshark 4.0 and tcpdump 4.99.3 stop at length 0; vxdecode takes the length from the frame (BIG TCP) like upstream tcpdump (decoders.test.ts checks it against the upstream .out)',
  },
  'zeek/tunnels/geneve-vxlan-dns-truncated.pcap': {
    tcpdump: 'no-vni',
    why: 'Geneve (UDP 6081) is not decoded, so the VXLAN inside it is not reached',
  },
};

type Check = [label: string, mine: unknown, theirs: unknown];

/** Collects comparisons; a field tshark does not show is not compared, unless required. */
class Checks {
  readonly list: Check[] = [];
  missing: string[] = [];
  constructor(private readonly where: string) {}
  eq(label: string, mine: unknown, theirs: unknown): void {
    if (theirs !== undefined) this.list.push([`${this.where} ${label}`, mine, theirs]);
  }
  req(label: string, mine: unknown, theirs: unknown): void {
    if (theirs === undefined) this.missing.push(`${this.where} ${label}: tshark has no value`);
    else this.list.push([`${this.where} ${label}`, mine, theirs]);
  }
}

const bool = (s: string | undefined): boolean | undefined => (s === undefined ? undefined : s === '1');
/** tshark checksum status: 0 bad, 1 good, 2 unverified (not compared), 3 not present. */
const status = (s: number | undefined): string | undefined =>
  s === 0 ? 'bad' : s === 1 ? 'good' : s === 3 ? 'none' : undefined;
/** tshark verifies no TCP/UDP checksum by default, and knows no "partial": compare only real verdicts. */
const myStatus = (s: string): string => (s === 'partial' ? 'bad' : s);

function compareLayer(mine: Layer, t: TsharkLayer, c: Checks): void {
  switch (mine.layer) {
    case 'eth': {
      const l = mine as Layer & EthLayer;
      c.req('dst', l.dst, t.str('eth.dst'));
      c.req('src', l.src, t.str('eth.src'));
      if (l.ethertype !== undefined) c.req('ethertype', l.ethertype, t.num('eth.type'));
      else c.req('length', l.length, t.num('eth.len'));
      break;
    }
    case 'vlan': {
      const l = mine as Layer & VlanLayer;
      const p = t.name; // vlan or ieee8021ad
      c.req('tpid', l.tpid, p === 'vlan' ? 0x8100 : 0x88a8);
      c.req('pcp', l.pcp, t.num(`${p}.priority`));
      c.req('dei', l.dei, bool(t.str(`${p}.dei`)));
      c.req('vid', l.vid, t.num(`${p}.id`));
      c.req('ethertype', l.ethertype, t.num('vlan.etype') ?? t.num('ieee8021ah.etype'));
      break;
    }
    case 'llc': {
      const l = mine as Layer & LlcLayer;
      c.req('dsap', l.dsap, t.num('llc.dsap'));
      c.req('ssap', l.ssap, t.num('llc.ssap'));
      c.req('control', l.control, t.num('llc.control'));
      c.eq('pid', l.pid, t.num('llc.type'));
      break;
    }
    case 'sll':
    case 'sll2': {
      const l = mine as Layer & (SllLayer | Sll2Layer);
      c.req('packet_type', l.packet_type, t.num('sll.pkttype'));
      c.req('hatype', l.hatype, t.num('sll.hatype'));
      c.req('address_length', l.address_length, t.num('sll.halen'));
      c.eq('address', l.address, t.str('sll.src.eth') ?? t.str('sll.src.other'));
      c.req('protocol', l.protocol, t.num('sll.etype') ?? t.num('sll.ltype'));
      if (l.layer === 'sll2') c.req('ifindex', l.ifindex, t.num('sll.ifindex'));
      break;
    }
    case 'null':
      c.req('family', (mine as Layer & NullLayer).family, t.num('null.family'));
      break;
    case 'arp': {
      const l = mine as Layer & ArpLayer;
      c.req('hw_type', l.hw_type, t.num('arp.hw.type'));
      c.req('proto_type', l.proto_type, t.num('arp.proto.type'));
      c.req('hw_len', l.hw_len, t.num('arp.hw.size'));
      c.req('proto_len', l.proto_len, t.num('arp.proto.size'));
      c.req('op', l.op, t.num('arp.opcode'));
      c.req('sender_hw', l.sender_hw, t.str('arp.src.hw_mac') ?? t.str('arp.src.hw'));
      c.req('sender_proto', l.sender_proto, t.str('arp.src.proto_ipv4') ?? t.str('arp.src.proto'));
      c.req('target_hw', l.target_hw, t.str('arp.dst.hw_mac') ?? t.str('arp.dst.hw'));
      c.req('target_proto', l.target_proto, t.str('arp.dst.proto_ipv4') ?? t.str('arp.dst.proto'));
      c.req('gratuitous', l.gratuitous, t.str('arp.isgratuitous') === '1');
      break;
    }
    case 'ipv4': {
      const l = mine as Layer & Ipv4Layer;
      c.req('version', l.version, t.num('ip.version'));
      c.req('header_length', l.header_length, t.num('ip.hdr_len'));
      c.req('dscp', l.dscp, t.num('ip.dsfield.dscp'));
      c.req('ecn', l.ecn, t.num('ip.dsfield.ecn'));
      // tshark shows the length it used: the frame's for a 0 field (GSO/TSO)
      c.req('total_length', l.length_from_frame ? l.header_length + l.payload_length : l.total_length, t.num('ip.len'));
      c.req('id', l.id, t.num('ip.id'));
      c.req('flags', l.flags, t.num('ip.flags'));
      c.req('df', l.df, bool(t.str('ip.flags.df')));
      c.req('mf', l.mf, bool(t.str('ip.flags.mf')));
      c.req('frag_offset', l.frag_offset, (t.num('ip.frag_offset') ?? NaN) * 8); // tshark: 8-byte units
      c.req('ttl', l.ttl, t.num('ip.ttl'));
      c.req('protocol', l.protocol, t.num('ip.proto'));
      c.req('checksum', l.checksum, t.num('ip.checksum'));
      c.eq('checksum_status', l.checksum_status, status(t.num('ip.checksum.status')));
      c.req('src', l.src, t.str('ip.src'));
      c.req('dst', l.dst, t.str('ip.dst'));
      c.req('options', l.options.map((o) => o.type), t.all('ip.opt.type').map(Number));
      break;
    }
    case 'ipv6': {
      const l = mine as Layer & Ipv6Layer;
      c.req('version', l.version, t.num('ipv6.version'));
      c.req('traffic_class', l.traffic_class, t.num('ipv6.tclass'));
      c.req('flow_label', l.flow_label, t.num('ipv6.flow'));
      c.req('payload_length', l.payload_length, t.num('ipv6.plen'));
      c.req('next_header', l.next_header, t.num('ipv6.nxt'));
      c.req('hop_limit', l.hop_limit, t.num('ipv6.hlim'));
      c.req('src', l.src, t.str('ipv6.src'));
      c.req('dst', l.dst, t.str('ipv6.dst'));
      break;
    }
    case 'udp': {
      const l = mine as Layer & UdpLayer;
      c.req('src_port', l.src_port, t.num('udp.srcport'));
      c.req('dst_port', l.dst_port, t.num('udp.dstport'));
      c.req('length', l.length, t.num('udp.length'));
      c.eq('checksum', l.checksum, t.num('udp.checksum'));
      c.eq('checksum_status', myStatus(l.checksum_status), status(t.num('udp.checksum.status')));
      break;
    }
    case 'tcp': {
      const l = mine as Layer & TcpLayer;
      c.req('src_port', l.src_port, t.num('tcp.srcport'));
      c.req('dst_port', l.dst_port, t.num('tcp.dstport'));
      c.req('seq', l.seq, t.num('tcp.seq_raw'));
      c.req('ack', l.ack, t.num('tcp.ack_raw'));
      c.req('header_length', l.header_length, t.num('tcp.hdr_len'));
      c.req('flags_value', l.flags_value, t.num('tcp.flags'));
      c.req('window', l.window, t.num('tcp.window_size_value'));
      c.req('checksum', l.checksum, t.num('tcp.checksum'));
      c.eq('checksum_status', myStatus(l.checksum_status), status(t.num('tcp.checksum.status')));
      c.req('urgent', l.urgent, t.num('tcp.urgent_pointer'));
      c.req('payload_length', l.payload_length, t.num('tcp.len'));
      // tshark lists each padding byte after End of Options as another EOL; the list ends at the first.
      const kinds = t.all('tcp.option_kind').map(Number);
      c.req('option kinds', l.options.map((o) => o.kind), kinds.includes(0) ? kinds.slice(0, kinds.indexOf(0) + 1) : kinds);
      const opt = (name: string) => l.options.find((o) => o.name === name);
      c.eq('mss', opt('mss')?.value, t.num('tcp.options.mss_val'));
      c.eq('wscale', opt('wscale')?.value, t.num('tcp.options.wscale.shift'));
      c.eq('ts val', opt('timestamp')?.val, t.num('tcp.options.timestamp.tsval'));
      c.eq('ts ecr', opt('timestamp')?.ecr, t.num('tcp.options.timestamp.tsecr'));
      break;
    }
    case 'icmp': {
      const l = mine as Layer & IcmpLayer;
      c.req('type', l.type, t.num('icmp.type'));
      c.req('code', l.code, t.num('icmp.code'));
      c.req('checksum', l.checksum, t.num('icmp.checksum'));
      c.eq('checksum_status', l.checksum_status, status(t.num('icmp.checksum.status')));
      if (l.id !== undefined) {
        c.req('id', l.id, t.num('icmp.ident'));
        c.req('seq', l.seq, t.num('icmp.seq'));
      }
      c.eq('mtu', l.mtu, t.num('icmp.mtu'));
      const qip = t.nested.get('ip');
      if (qip) {
        const q = l.quoted;
        c.req('quoted.src', q?.src, qip.str('ip.src'));
        c.req('quoted.dst', q?.dst, qip.str('ip.dst'));
        c.req('quoted.protocol', q?.protocol, qip.num('ip.proto'));
        c.req('quoted.id', q?.id, qip.num('ip.id'));
        c.req('quoted.ttl', q?.ttl, qip.num('ip.ttl'));
        c.req('quoted.total_length', q?.total_length, qip.num('ip.len'));
        const ql4 = t.nested.get('udp') ?? t.nested.get('tcp');
        if (ql4) {
          c.req('quoted.src_port', q?.src_port, ql4.num(`${ql4.name}.srcport`));
          c.req('quoted.dst_port', q?.dst_port, ql4.num(`${ql4.name}.dstport`));
        }
      }
      break;
    }
    case 'icmp6': {
      const l = mine as Layer & Icmp6Layer;
      c.req('type', l.type, t.num('icmpv6.type'));
      c.req('code', l.code, t.num('icmpv6.code'));
      c.req('checksum', l.checksum, t.num('icmpv6.checksum'));
      c.eq('checksum_status', myStatus(l.checksum_status), status(t.num('icmpv6.checksum.status')));
      c.eq('id', l.id, t.num('icmpv6.echo.identifier'));
      c.eq('seq', l.seq, t.num('icmpv6.echo.sequence_number'));
      break;
    }
    case 'vxlan': {
      const l = mine as Layer & VxlanLayer;
      // tshark reads the first 16 bits as flags (GBP extension) and the next 16 as the group policy id
      c.req('flags (16 bits)', (l.flags << 8) | (l.reserved1 >> 16), t.num('vxlan.flags'));
      c.req('i_flag', l.i_flag, bool(t.str('vxlan.flag_i')));
      c.req('reserved1 (low 16 bits)', l.reserved1 & 0xffff, t.num('vxlan.gbp'));
      c.req('vni', l.vni, t.num('vxlan.vni'));
      c.req('reserved2', l.reserved2, t.num('vxlan.reserved8'));
      break;
    }
    default:
      throw new Error(`no comparison for layer ${mine.layer}`);
  }
}

/** Compare one frame; returns the comparisons made. */
function compareFrame(name: string, p: Packet, t: TsharkFrame, problems: string[]): Check[] {
  const where = `${name} #${t.number}`;
  const linkType = p.frame.source.linkType;
  let theirs: { name: LayerName; t: TsharkLayer }[] = [];
  for (const l of t.layers) {
    if (ANNOTATIONS.has(l.name)) continue;
    const n = TSHARK_LAYERS[l.name];
    if (n === undefined) break;
    theirs.push({ name: n === 'sll' && linkType === LinkType.LINUX_SLL2 ? 'sll2' : n, t: l });
  }
  let mine = p.layers.filter((l) => l.layer !== 'raw');
  // No IP reassembly here; tshark reassembles, so what follows a fragment's IP header differs.
  const frag = mine.findIndex((l) => isLayer(l, 'ipv4') && (l.mf || l.frag_offset > 0));
  if (frag >= 0) {
    mine = mine.slice(0, frag + 1);
    theirs = theirs.slice(0, frag + 1);
  }
  const layers = DIFFERENCES[name]?.layers;
  if (layers !== undefined) {
    mine = mine.slice(0, layers);
    theirs = theirs.slice(0, layers);
  }
  // A header cut short is no layer here (only the error); tshark shows the fields it could read.
  if (p.error && p.error.kind !== 'unsupported' && theirs.length === mine.length + 1) theirs = theirs.slice(0, mine.length);
  const names = (l: { name: string }[]) => l.map((x) => x.name).join(' ');
  if (names(mine.map((l) => ({ name: l.layer }))) !== names(theirs)) {
    problems.push(`${where}: layers [${names(mine.map((l) => ({ name: l.layer })))}] but tshark [${names(theirs)}] (${t.protocols})`);
    return [];
  }
  const checks: Check[] = [];
  mine.forEach((l, i) => {
    const c = new Checks(`${where} ${l.layer}#${i}`);
    compareLayer(l, theirs[i].t, c);
    problems.push(...c.missing);
    checks.push(...c.list);
  });
  for (const [label, a, b] of checks) {
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${label}: ${JSON.stringify(a)} but tshark ${JSON.stringify(b)}`);
  }
  return checks;
}

/**
 * What tcpdump -v says of one frame: IPv4 headers (ttl, id, bad checksum or not), TCP flags and
 * checksum verdicts, and VXLAN (OTV for 8472 in tcpdump 4.99) VNIs, in the order printed.
 */
function compareTcpdump(where: string, p: Packet, text: string, problems: string[], vnis: boolean): number {
  let n = 0;
  const check = (label: string, a: unknown, b: unknown) => {
    n++;
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${where} ${label}: ${JSON.stringify(a)} but tcpdump ${JSON.stringify(b)}`);
  };
  // IPv4: match each of our headers to tcpdump's by ttl and id; tcpdump flags only bad ones.
  const ipHeaders = [...text.matchAll(/\(tos 0x[0-9a-f]+, ttl (\d+), id (\d+), [^()]*?(, bad cksum [0-9a-f]+ \(->[0-9a-f]+\)!)?\)/g)].map((m) => ({
    ttl: Number(m[1]),
    id: Number(m[2]),
    bad: m[3] !== undefined,
    used: false,
  }));
  for (const l of p.layers) {
    if (!isLayer(l, 'ipv4')) continue;
    const ip = l;
    const h = ipHeaders.find((x) => !x.used && x.ttl === ip.ttl && x.id === ip.id);
    if (!h) continue; // tcpdump did not print this header (cut short, or an error before it)
    h.used = true;
    check(`ipv4 id ${ip.id} checksum bad`, ip.checksum_status === 'bad', h.bad);
  }
  if (ipHeaders.some((h) => h.bad && !h.used)) problems.push(`${where}: tcpdump has a bad IPv4 checksum we did not match`);
  // TCP: flags always; checksum verdicts when tcpdump could check them.
  const tcps = p.layers.filter((l) => isLayer(l, 'tcp'));
  // A TCP header cut short (`[|tcp]`, `[bad hdr length ...]`) is no layer here, only an error.
  const flags = [...text.matchAll(/\.\d+: Flags \[([^\]]*)\](?:, cksum 0x([0-9a-f]{4}) \((correct|incorrect)[^)]*\))?(.*)/g)].filter(
    (m) => !/\[\|tcp\]|\[bad hdr length/.test(m[4]),
  );
  check('tcp count', tcps.length, flags.length);
  tcps.forEach((t, i) => {
    const m = flags[i];
    if (!m) return;
    check(`tcp#${i} flags`, t.flags, m[1]);
    if (m[3]) {
      check(`tcp#${i} checksum field`, t.checksum, parseInt(m[2], 16));
      check(`tcp#${i} checksum verdict`, t.checksum_status === 'good' ? 'correct' : 'incorrect', m[3]);
    }
  });
  if (!vnis) return n;
  const printed = [...text.matchAll(/(?:VXLAN, flags \[I\] \(0x08\), vni|OTV, flags \[I\] \(0x08\), overlay 0, instance) (\d+)/g)].map((m) => Number(m[1]));
  const myVnis = p.layers.filter((l) => isLayer(l, 'vxlan')).map((l) => l.vni);
  if (printed.length) check('vnis', myVnis.slice(0, printed.length), printed);
  return n;
}

describe('decoders agree with tshark and tcpdump on the third-party captures', () => {
  let tsharkChecks = 0;
  let tcpdumpChecks = 0;
  let framesSeen = 0;
  afterAll(() => {
    // The oracles really were consulted: thousands of field comparisons, not a vacuous pass.
    expect(framesSeen).toBeGreaterThan(450);
    expect(tsharkChecks).toBeGreaterThan(10_000);
    expect(tcpdumpChecks).toBeGreaterThan(500);
  });

  it('covers every valid and malformed-on-purpose capture of the README', () => {
    expect(captures.length).toBeGreaterThan(100);
  });

  for (const pc of captures) {
    it(pc.name, async () => {
      const { frames } = await readFileFrames(pc.path);
      const oracle = tsharkOracle(pc);
      // gopacket's linux_sll_oversized_addr has 209 frames; the oracle was cut at 200.
      const n = oracle.length === 200 ? 200 : frames.length;
      expect(oracle.length).toBe(n);
      const tcpdump = tcpdumpOracle(pc);
      const skip = DIFFERENCES[pc.name]?.tcpdump;
      const tcpdumpUsable = tcpdump !== undefined && tcpdump.length === frames.length && skip !== 'skip';
      const problems: string[] = [];
      for (let i = 0; i < n; i++) {
        const p = dissect(frames[i]);
        tsharkChecks += compareFrame(pc.name, p, oracle[i], problems).length;
        if (tcpdumpUsable) tcpdumpChecks += compareTcpdump(`${pc.name} #${i + 1}`, p, tcpdump[i], problems, skip !== 'no-vni');
        framesSeen++;
      }
      expect(problems).toEqual([]);
    });
  }
});
