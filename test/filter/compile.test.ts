import { describe, expect, it } from 'vitest';
import { checkFilter, compileFilter, FilterError } from '../../src/filter/index.js';
import type { Packet } from '../../src/decoders/layer.js';
import {
  arp,
  eth,
  icmp,
  ipv4,
  ipv6,
  packet,
  tcp,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  udp,
  vlan,
  vxlanPacket,
} from './packets.js';

// A small world: pod 10.10.1.5 on node1 pings 10.10.2.6 on node2 over flannel VXLAN.
const echoRequest = vxlanPacket([ipv4('10.10.1.5', '10.10.2.6', 1, { ttl: 63 }, 64), icmp(8, 2717, 1, 84)], { node: 'node1', iface: 'eth0', number: 1, len: 148 });
const echoReply = vxlanPacket([ipv4('10.10.2.6', '10.10.1.5', 1, { ttl: 63 }, 64), icmp(0, 2717, 1, 84)], { node: 'node2', iface: 'eth0', number: 2, len: 148 });
/** The same request on node1's pod side: no tunnel. */
const podRequest = packet([eth('a6:97:ac:c3:8a:6f', 'c6:49:c7:d7:3b:8b'), ipv4('10.10.1.5', '10.10.2.6', 1, { ttl: 64 }), icmp(8, 2717, 1)], {
  node: 'node1',
  iface: 'flannel.1',
  number: 3,
});
const arpRequest = packet([eth('a6:97:ac:c3:8a:6f', 'ff:ff:ff:ff:ff:ff', 0x0806), arp(1, 'a6:97:ac:c3:8a:6f', '10.10.1.5', '00:00:00:00:00:00', '10.10.1.1')], {
  node: 'node2',
  iface: 'cni0',
  number: 4,
  len: 60,
  caplen: 42,
});
const syn = packet([eth('02:00:00:00:00:01', '02:00:00:00:00:02'), ipv4('10.10.1.5', '10.96.0.10', 6, { flags: 0 }), tcp(40000, 53, TCP_SYN)], { number: 5 });
const synAck = packet([eth('02:00:00:00:00:02', '02:00:00:00:00:01'), ipv4('10.10.2.7', '10.10.1.5', 6), tcp(53, 40000, TCP_SYN | TCP_ACK)], { number: 6 });
const pshAck = packet([eth('02:00:00:00:00:01', '02:00:00:00:00:02'), ipv4('10.10.1.5', '10.10.2.7', 6), tcp(40000, 53, TCP_PSH | TCP_ACK)], { number: 7 });
const finAck = packet([eth('02:00:00:00:00:01', '02:00:00:00:00:02'), ipv4('10.10.1.5', '10.10.2.7', 6), tcp(40000, 53, TCP_FIN | TCP_ACK)], { number: 8 });
const dns = packet([eth('02:00:00:00:00:01', '02:00:00:00:00:02'), ipv4('10.10.1.5', '10.96.0.10', 17, { mf: true, flags: 1, df: false }), udp(5353, 53)], {
  number: 9,
  node: 'kind-worker2',
  iface: 'veth1a2b',
});
const qinq = packet([eth('00:11:22:33:44:55', 'ff:ff:ff:ff:ff:ff', 0x88a8), vlan(200, 0x88a8, 0x8100), vlan(2001, 0x8100, 0x0806, 18), arp(1, '00:11:22:33:44:55', '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2', 22)], {
  number: 10,
});
const v6 = packet([eth('02:00:00:00:00:01', '33:33:00:00:00:01', 0x86dd), ipv6('fe80::1', 'ff02::1', 58)], { number: 11 });
const truncated = packet([eth('02:00:00:00:00:01', '02:00:00:00:00:02')], {
  number: 12,
  error: { kind: 'truncated', layer: 'ipv4', offset: 14, needed: 20, present: 4, message: 'need 20, have 4' },
});
const flannelUdp = packet(
  [eth('52:54:00:00:00:16', '52:54:00:00:00:15'), ipv4('192.168.2.16', '192.168.2.15', 17), udp(8285, 8285, 34, 'flannel-udp'), ipv4('10.10.1.5', '10.10.2.6', 1, {}, 42), icmp(8, 1, 1, 62)],
  { number: 13 },
);

const ALL: Packet[] = [echoRequest, echoReply, podRequest, arpRequest, syn, synAck, pshAck, finAck, dns, qinq, v6, truncated, flannelUdp];

/** Frame numbers of the packets the filter keeps. */
function matching(expr: string): number[] {
  const f = compileFilter(expr);
  return ALL.filter((p) => f(p)).map((p) => p.frame.number);
}

function errorOf(expr: string): FilterError {
  const e = checkFilter(expr);
  if (!e) throw new Error(`expected ${expr} to be rejected`);
  return e;
}

describe('compileFilter: protocols and existence', () => {
  it('a blank filter keeps everything', () => {
    expect(matching('')).toHaveLength(ALL.length);
  });

  it('a bare protocol is true when any layer of it is present', () => {
    expect(matching('arp')).toEqual([4, 10]);
    expect(matching('vxlan')).toEqual([1, 2]);
    expect(matching('icmp')).toEqual([1, 2, 3, 13]);
    expect(matching('ip')).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 13]);
    expect(matching('ipv4')).toEqual(matching('ip'));
    expect(matching('ipv6')).toEqual([11]);
    expect(matching('vlan')).toEqual([10]);
    expect(matching('tcp || udp')).toEqual([1, 2, 5, 6, 7, 8, 9, 13]);
  });

  it('a bare non-boolean field is true when present', () => {
    expect(matching('icmp.id')).toEqual([1, 2, 3, 13]);
    expect(matching('udp.encap')).toEqual([13]);
    expect(matching('eth.length')).toEqual([]);
  });

  it('names are case-insensitive', () => {
    expect(matching('ARP')).toEqual([4, 10]);
    expect(matching('IP.Src == 10.10.2.7')).toEqual([6]);
  });
});

describe('compileFilter: inner and outer', () => {
  it('inner looks after the last tunnel; without a tunnel the whole packet is inner', () => {
    expect(matching('inner.icmp')).toEqual([1, 2, 3, 13]);
    expect(matching('inner.icmp.type == 8')).toEqual([1, 3, 13]);
    expect(matching('inner.ip.src == 10.10.1.5')).toEqual([1, 3, 5, 7, 8, 9, 13]);
    expect(matching('inner.ip.src == 192.168.2.16')).toEqual([]);
    expect(matching('inner.udp')).toEqual([9]);
    expect(matching('inner.eth.src == fa:70:c0:d0:eb:a6')).toEqual([1, 2]);
  });

  it('outer looks up to the tunnel, and at nothing when there is none', () => {
    expect(matching('outer.ip.src == 192.168.2.16')).toEqual([1, 2, 13]);
    expect(matching('outer.ip.src == 10.10.1.5')).toEqual([]);
    expect(matching('outer.udp.dst_port == 8472')).toEqual([1, 2]);
    expect(matching('outer.udp.port == 8285')).toEqual([13]);
    expect(matching('outer.icmp')).toEqual([]);
    expect(matching('outer.vxlan')).toEqual([1, 2]);
    expect(matching('outer.arp')).toEqual([]);
  });

  it('a plain field looks at every depth', () => {
    expect(matching('ip.src == 192.168.2.16 && ip.src == 10.10.1.5')).toEqual([1, 13]);
    expect(matching('ip.ttl == 63')).toEqual([1, 2]);
    expect(matching('ip.ttl == 64')).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 13]);
  });

  it('the design examples', () => {
    expect(matching('inner.ip.src==10.10.1.5 && vxlan.vni==1')).toEqual([1]);
    expect(matching('node==node2')).toEqual([2, 4]);
    expect(matching('iface==flannel.1')).toEqual([3]);
    expect(matching('tcp.flags.syn && !tcp.flags.ack')).toEqual([5]);
    expect(matching('ip.addr==10.10.2.0/24')).toEqual([1, 2, 3, 6, 7, 8, 13]);
  });
});

describe('compileFilter: values and operators', () => {
  it('IPv4 addresses and CIDR blocks', () => {
    expect(matching('ip.dst == 10.96.0.10')).toEqual([5, 9]);
    expect(matching('ip.dst == 10.96.0.0/12')).toEqual([5, 9]);
    expect(matching('ip.dst == 10.0.0.0/8 && !(ip.dst == 10.10.0.0/16)')).toEqual([5, 9]);
    expect(matching('ip.src == 0.0.0.0/0')).toEqual(matching('ip'));
    expect(matching('ip.src == 10.10.1.5/32')).toEqual(matching('ip.src == 10.10.1.5'));
    // Any occurrence: the outer 192.168.2.15 of packets 1 and 2 is above too.
    expect(matching('ip.dst > 10.10.2.6')).toEqual([1, 2, 5, 7, 8, 9, 13]);
    expect(matching('inner.ip.dst > 10.10.2.6')).toEqual([5, 7, 8, 9]);
    expect(matching('ip.dst <= 10.10.1.5')).toEqual([2, 6]);
    // A host address with a prefix is taken as its block.
    expect(matching('ip.dst == 10.96.0.77/24')).toEqual([5, 9]);
    expect(matching('arp.sender_proto == 10.10.1.5 || arp.target_ip == 10.0.0.2')).toEqual([4, 10]);
  });

  it('!= means present and no occurrence equal', () => {
    // ip.addr != X: IPv4 packets where neither address (at any depth) is X; ARP has no ip.addr.
    expect(matching('ip.addr != 10.10.1.5')).toEqual([]);
    expect(matching('ip.addr != 10.96.0.10')).toEqual([1, 2, 3, 6, 7, 8, 13]);
    expect(matching('ip.addr != 10.10.0.0/16')).toEqual([]);
    expect(matching('udp.port != 53')).toEqual([1, 2, 13]);
    expect(matching('!(udp.port == 53)')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]);
    expect(matching('node != node1')).toEqual([2, 4, 9]);
  });

  it('numbers in decimal and hex, and symbolic names', () => {
    expect(matching('eth.ethertype == 0x0806')).toEqual([4]);
    expect(matching('eth.type == arp')).toEqual([4]);
    expect(matching('ip.proto == 17')).toEqual([1, 2, 9, 13]);
    expect(matching('ip.proto == udp')).toEqual(matching('ip.proto == 17'));
    expect(matching('arp.op == request')).toEqual([4, 10]);
    expect(matching('arp.opcode == 2')).toEqual([]);
    expect(matching('icmp.type == echo-reply')).toEqual([2]);
    expect(matching('inner.icmp.type == echo-request')).toEqual([1, 3, 13]);
    expect(matching('frame.len > 100')).toEqual([1, 2]);
    expect(matching('frame.len >= 60 && frame.caplen < 60')).toEqual([4]);
    expect(matching('frame.number <= 2')).toEqual([1, 2]);
    expect(matching('vlan.id == 2001 && vlan.vid == 200')).toEqual([10]);
    expect(matching('vlan.tpid == qinq')).toEqual([10]);
  });

  it('either-port and either-address fields', () => {
    expect(matching('tcp.port == 53')).toEqual([5, 6, 7, 8]);
    expect(matching('tcp.srcport == 53')).toEqual([6]);
    expect(matching('tcp.dst_port == 53')).toEqual([5, 7, 8]);
    expect(matching('udp.port == 41187')).toEqual([1, 2]);
    expect(matching('eth.addr == ff:ff:ff:ff:ff:ff')).toEqual([4, 10]);
    expect(matching('eth.addr == FF-FF-FF-FF-FF-FF')).toEqual([4, 10]);
    expect(matching('eth.src == 0011.2233.4455')).toEqual([10]);
  });

  it('set membership', () => {
    expect(matching('udp.dst_port in {4789 8472}')).toEqual([1, 2]);
    expect(matching('udp.port in {8472, 8285, 53}')).toEqual([1, 2, 9, 13]);
    expect(matching('ip.dst in {10.96.0.0/12 192.168.2.15}')).toEqual([1, 2, 5, 9, 13]);
    expect(matching('node in {node2 kind-worker2}')).toEqual([2, 4, 9]);
  });

  it('TCP flag booleans and the flags string', () => {
    expect(matching('tcp.flags.syn')).toEqual([5, 6]);
    expect(matching('tcp.flags.ack')).toEqual([6, 7, 8]);
    expect(matching('tcp.flags.fin')).toEqual([8]);
    expect(matching('tcp.flags.psh')).toEqual([7]);
    expect(matching('tcp.flags.rst')).toEqual([]);
    expect(matching('tcp.flags.syn == 1 && tcp.flags.ack == 0')).toEqual([5]);
    expect(matching('tcp.flags.ack == false')).toEqual([5]);
    expect(matching('tcp.flags.ack != true')).toEqual([5]);
    expect(matching('!tcp.flags.ack')).toEqual([1, 2, 3, 4, 5, 9, 10, 11, 12, 13]);
    expect(matching('tcp.flags == "S."')).toEqual([6]);
    expect(matching('tcp.flags contains "F"')).toEqual([8]);
    expect(matching('tcp.flags_value == 0x12')).toEqual([6]);
  });

  it('IPv4 flag booleans', () => {
    expect(matching('ip.flags.df')).toEqual([1, 2, 3, 6, 7, 8, 13]);
    expect(matching('ip.flags.mf')).toEqual([9]);
    expect(matching('ip && !ip.flags.df')).toEqual([5, 9]);
    expect(matching('ip.flags.rb')).toEqual([]);
  });

  it('strings: exact, quoted, contains, ordering', () => {
    expect(matching('iface == "flannel.1"')).toEqual([3]);
    expect(matching("iface == 'veth1a2b'")).toEqual([9]);
    expect(matching('iface contains veth')).toEqual([9]);
    expect(matching('node contains "worker"')).toEqual([9]);
    expect(matching('iface == Flannel.1')).toEqual([]);
    expect(matching('node > node1')).toEqual([2, 4]);
    expect(matching('udp.encap == flannel-udp')).toEqual([13]);
  });

  it('IPv6 addresses and prefixes', () => {
    expect(matching('ipv6.src == fe80::1')).toEqual([11]);
    expect(matching('ipv6.src == fe80:0:0:0::1')).toEqual([11]);
    expect(matching('ipv6.src == FE80::0001')).toEqual([11]);
    expect(matching('ipv6.addr == ff00::/8')).toEqual([11]);
    expect(matching('ipv6.dst == fe80::/10')).toEqual([]);
    expect(matching('ipv6.nxt == icmpv6')).toEqual([11]);
  });

  it('decode errors', () => {
    expect(matching('error')).toEqual([12]);
    expect(matching('truncated')).toEqual([12]);
    expect(matching('malformed')).toEqual([]);
    expect(matching('error.kind == truncated && error.layer == ipv4')).toEqual([12]);
    expect(matching('!error && eth')).toHaveLength(12);
  });

  it('precedence: not > and > or', () => {
    expect(matching('arp || tcp.flags.syn && tcp.flags.ack')).toEqual([4, 6, 10]);
    expect(matching('(arp || tcp.flags.syn) && !tcp.flags.ack')).toEqual([4, 5, 10]);
    expect(matching('not arp and not ip and not ipv6')).toEqual([12]);
    expect(matching('!!arp')).toEqual([4, 10]);
  });

  it('compares a field with another field', () => {
    expect(matching('frame.caplen < frame.len')).toEqual([1, 2, 4]);
    expect(matching('inner.ip.ttl < outer.ip.ttl')).toEqual([1, 2]);
    expect(matching('tcp.srcport > tcp.dstport')).toEqual([5, 7, 8]);
    expect(matching('ip.src == ip.dst')).toEqual([]);
    // != between fields: both present, no pair equal.
    expect(matching('ip.src != ip.dst')).toEqual(matching('ip'));
    expect(matching('inner.ip.src != outer.ip.src')).toEqual([1, 2, 13]);
    expect(matching('eth.src == arp.sender_hw')).toEqual([4, 10]);
    expect(matching('ip.flags.df == ip.flags.mf')).toEqual([5]);
    expect(matching('arp.sender_ip == arp.target_ip')).toEqual([]);
  });

  it('keeps no per-packet state between packets with different tunnels', () => {
    const f = compileFilter('inner.ip.src == 10.10.1.5 && outer.ip');
    expect([echoRequest, podRequest, echoRequest, flannelUdp, podRequest].map((p) => f(p))).toEqual([true, false, true, true, false]);
  });
});

describe('compileFilter: errors', () => {
  const cases: [string, string, number][] = [
    ['ip.sorce == 10.0.0.1', 'unknown field "ip.sorce" at column 1; did you mean ip.src?', 1],
    ['arp || ip.sorce', 'unknown field "ip.sorce" at column 8; did you mean ip.src?', 8],
    ['inner.ip.sorce == 1.2.3.4', 'unknown field "inner.ip.sorce" at column 1; did you mean inner.ip.src?', 1],
    ['tpc.port == 80', 'unknown field "tpc.port" at column 1; did you mean tcp.port?', 1],
    ['vxlna', 'unknown field "vxlna" at column 1; did you mean vxlan?', 1],
    ['tcp.flags.sny', 'unknown field "tcp.flags.sny" at column 1; did you mean tcp.flags.syn?', 1],
    ['udp.bogus == 1', 'unknown field "udp.bogus" at column 1; udp fields: src_port, dst_port, port, length, payload_length, encap, checksum, checksum_status', 1],
    ['nodes == node2', 'unknown field "nodes" at column 1; did you mean node?', 1],
    ['inner.node == node2', 'node is a frame field; "inner." applies only to protocols and their fields at column 1', 1],
    ['ip == 10.0.0.1', 'ip is a protocol, not a field: it can only be tested alone at column 1; compare one of its fields, e.g. ip.src', 1],
    ['inner.ip == 10.0.0.1', 'inner.ip is a protocol, not a field: it can only be tested alone at column 1; compare one of its fields, e.g. inner.ip.src', 1],
    ['ip.src == 10.0.0.256', 'ip.src is an IPv4 address; "10.0.0.256" is not an IPv4 address or CIDR block (10.10.1.0/24) at column 11', 11],
    ['ip.src == 10.10.1.0/33', 'ip.src is an IPv4 address; "10.10.1.0/33" is not a CIDR block: the prefix length must be 0 to 32 at column 11', 11],
    ['ip.src < 10.10.1.0/24', 'a CIDR block takes only == and != (in the block or not) at column 8', 8],
    ['ip.ttl == abc', 'ip.ttl is a number; "abc" is not a number (decimal or 0x hex) at column 11', 11],
    ['arp.op == reqest', 'arp.op is a number; "reqest" is not a number (decimal or 0x hex) at column 11; did you mean request?', 11],
    ['eth.type == banana', 'eth.type is a number; "banana" is not a number (decimal or 0x hex) at column 13; names: ipv4, ip, arp, rarp, vlan, dot1q, qinq, ipv6', 13],
    ['eth.src == 00:11:22', 'eth.src is a MAC address; "00:11:22" is not a MAC address (aa:bb:cc:dd:ee:ff) at column 12', 12],
    ['ip.ttl contains 6', '"contains" needs a text field, and ip.ttl is a number at column 8', 8],
    ['tcp.flags.syn > 0', 'tcp.flags.syn is a boolean; it takes only == and != at column 15; use it alone (tcp.flags.syn) or negated (!tcp.flags.syn)', 15],
    ['tcp.flags.syn == yes', 'tcp.flags.syn is a boolean; "yes" is not a boolean (1, 0, true, false) at column 18', 18],
    ['ipv6.src == 10.0.0.1', 'ipv6.src is an IPv6 address; "10.0.0.1" is not an IPv6 address or prefix (fe80::/10) at column 13', 13],
    ['udp.port in {53 x}', 'udp.port is a number; "x" is not a number (decimal or 0x hex) at column 17', 17],
    ['inner.', '"inner." needs a protocol after it at column 1', 1],
    ['ipv4.sorce == 1.2.3.4', 'unknown field "ipv4.sorce" at column 1; did you mean ipv4.src?', 1],
    ['10.0.0.1 == ip.src', 'unknown field "10.0.0.1" at column 1; a comparison has the field on its left, e.g. ip.src == 10.0.0.1', 1],
    ['outer.nodee', 'unknown field "outer.nodee" at column 1', 1],
    ['inner.tcp.flags.synn', 'unknown field "inner.tcp.flags.synn" at column 1; did you mean inner.tcp.flags.syn?', 1],
    ['frame.caplen < frame.lne', 'frame.caplen is a number; "frame.lne" is not a number (decimal or 0x hex) at column 16; did you mean frame.len?', 16],
    ['ip.src == frame.len', 'cannot compare ip.src (an IPv4 address) with frame.len (a number) at column 11', 11],
    ['tcp.flags.syn < tcp.flags.ack', 'tcp.flags.syn is a boolean; it takes only == and != at column 15; use it alone (tcp.flags.syn) or negated (!tcp.flags.syn)', 15],
  ];
  it.each(cases)('%j', (expr, message, column) => {
    const e = errorOf(expr);
    expect(e.message).toBe(message);
    expect(e.column).toBe(column);
  });

  it('throws FilterError from compileFilter, with the length of the bad text', () => {
    expect(() => compileFilter('ip.sorce == 1.2.3.4')).toThrow(FilterError);
    const e = errorOf('arp && ip.src == 10.0.0.300');
    expect(e.pointer()).toBe('arp && ip.src == 10.0.0.300\n                 ^^^^^^^^^^');
  });

  it('accepts every field it lists', () => {
    expect(checkFilter('ip.proto == 1 && ip.addr == 10.0.0.0/8 && udp.port == 8472 && eth.addr == 00:00:00:00:00:01')).toBeUndefined();
    expect(checkFilter('tcp.flags.fin || tcp.flags.rst || tcp.flags.psh || ip.flags.df || ip.flags.mf')).toBeUndefined();
    expect(checkFilter('frame.len > 1500 || frame.caplen < 64 || frame.number == 1 || truncated || malformed')).toBeUndefined();
  });
});
