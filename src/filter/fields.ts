/**
 * Every name the display filter knows, as data: protocols (layer names and their aliases) and
 * fields (where each is read from and its type). The compiler parses values and checks operators
 * by `type`; "did you mean" and the TUI's completion and help read the same table.
 *
 * A layer field reads one or more keys of a decoded layer (several keys = "either", as `ip.addr`
 * is src or dst), optionally masked to a flag bit. Keys are those the decoders write
 * (docs/layers.md); test/filter/fields.test.ts checks the table against what they really emit.
 */
import type { LayerName } from '../decoders/layer.js';

export type FieldType = 'number' | 'ipv4' | 'ipv6' | 'mac' | 'string' | 'bool';

export interface ProtocolDef {
  /** Name used in filters: `ip`, `tcp`, ... */
  readonly name: string;
  /** The decoder's layer name (`layer` key of the layer object). */
  readonly layer: LayerName;
  /** Other accepted names (`ipv4` for `ip`). */
  readonly aliases: readonly string[];
  readonly description: string;
}

/** Per-frame values that come from the Frame or the decode result, not from a layer. */
export type FrameKey =
  | 'node'
  | 'iface'
  | 'file'
  | 'number'
  | 'len'
  | 'caplen'
  | 'error'
  | 'error.kind'
  | 'error.layer'
  | 'error.message'
  | 'truncated'
  | 'malformed'
  | 'unsupported';

export interface FieldDef {
  /** Canonical filter name: `ip.src`, `tcp.flags.syn`, `node`, `frame.len`. */
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  /** Other accepted names (`ip.proto` for `ip.protocol`). */
  readonly aliases?: readonly string[];
  /** Protocol (ProtocolDef.name) of a layer field; absent for a frame field. */
  readonly proto?: string;
  /** Layer keys read; with several, the field matches when any of them does. */
  readonly keys?: readonly string[];
  /** With `keys` of length 1: the field is the boolean (key & mask) != 0. */
  readonly mask?: number;
  /** For a frame field: which frame value. */
  readonly frame?: FrameKey;
  /** Symbolic values accepted for a number field (`arp.op == request`). */
  readonly names?: Readonly<Record<string, number>>;
}

export const PROTOCOLS: readonly ProtocolDef[] = [
  { name: 'eth', layer: 'eth', aliases: ['ether'], description: 'Ethernet II / IEEE 802.3 header' },
  { name: 'vlan', layer: 'vlan', aliases: ['dot1q'], description: '802.1Q / 802.1ad VLAN tag (one layer per tag)' },
  { name: 'llc', layer: 'llc', aliases: [], description: 'IEEE 802.2 LLC / SNAP header of an 802.3 frame' },
  { name: 'sll', layer: 'sll', aliases: [], description: 'Linux cooked capture v1 header (tcpdump -i any, older libpcap)' },
  { name: 'sll2', layer: 'sll2', aliases: [], description: 'Linux cooked capture v2 header (tcpdump -i any)' },
  { name: 'null', layer: 'null', aliases: ['loopback'], description: 'BSD loopback (DLT_NULL) header' },
  { name: 'arp', layer: 'arp', aliases: [], description: 'ARP (and RARP) request or reply' },
  { name: 'ip', layer: 'ipv4', aliases: ['ipv4'], description: 'IPv4 header' },
  { name: 'ipv6', layer: 'ipv6', aliases: [], description: 'IPv6 header' },
  { name: 'icmp', layer: 'icmp', aliases: [], description: 'ICMP (for IPv4) message' },
  { name: 'icmp6', layer: 'icmp6', aliases: ['icmpv6'], description: 'ICMPv6 message' },
  { name: 'tcp', layer: 'tcp', aliases: [], description: 'TCP segment' },
  { name: 'udp', layer: 'udp', aliases: [], description: 'UDP datagram (flannel UDP backend: the tunnel itself)' },
  { name: 'vxlan', layer: 'vxlan', aliases: [], description: 'VXLAN header (UDP 4789, flannel 8472)' },
  { name: 'raw', layer: 'raw', aliases: ['data'], description: 'Captured bytes no decoder claimed' },
];

const ETHERTYPES = { ipv4: 0x0800, ip: 0x0800, arp: 0x0806, rarp: 0x8035, vlan: 0x8100, dot1q: 0x8100, qinq: 0x88a8, ipv6: 0x86dd };
const IP_PROTOCOLS = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58, icmp6: 58, sctp: 132 };
const ICMP_TYPES = {
  'echo-reply': 0,
  unreachable: 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  echo: 8,
  'time-exceeded': 11,
  'parameter-problem': 12,
};
const ICMP6_TYPES = {
  unreachable: 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  echo: 128,
  'echo-reply': 129,
  'router-solicitation': 133,
  'router-advertisement': 134,
  'neighbor-solicitation': 135,
  'neighbor-advertisement': 136,
  redirect: 137,
};
const ARP_OPS = { request: 1, reply: 2, 'rarp-request': 3, 'rarp-reply': 4 };
const PACKET_TYPES = { host: 0, broadcast: 1, multicast: 2, otherhost: 3, outgoing: 4 };

/** Fields of one protocol, written short: [field, type, keys, description, extra]. */
type Spec = [field: string, type: FieldType, keys: string | readonly string[], description: string, extra?: Partial<FieldDef>];

function proto(name: string, specs: Spec[]): FieldDef[] {
  return specs.map(([field, type, keys, description, extra]) => ({
    name: `${name}.${field}`,
    type,
    description,
    proto: name,
    keys: typeof keys === 'string' ? [keys] : keys,
    ...extra,
    aliases: extra?.aliases?.map((a) => `${name}.${a}`),
  }));
}

const CHECKSUM_STATUS = 'good, bad, partial (to be completed by the NIC), none (UDP 0) or unverified (cut or fragment)';

/** Fields common to TCP and UDP. */
const PORTS: Spec[] = [
  ['src_port', 'number', 'src_port', 'Source port', { aliases: ['srcport', 'sport'] }],
  ['dst_port', 'number', 'dst_port', 'Destination port', { aliases: ['dstport', 'dport'] }],
  ['port', 'number', ['src_port', 'dst_port'], 'Source or destination port'],
];

export const FIELDS: readonly FieldDef[] = [
  // Frame: where and how it was captured, and how decoding went.
  { name: 'node', type: 'string', frame: 'node', aliases: ['frame.node'], description: 'Node the capture came from (label, file name or --node)' },
  { name: 'iface', type: 'string', frame: 'iface', aliases: ['frame.iface', 'frame.interface'], description: 'Interface the frame was captured on' },
  { name: 'frame.file', type: 'string', frame: 'file', description: 'Capture file path as given (- for standard input)' },
  { name: 'frame.number', type: 'number', frame: 'number', description: 'Frame number within its input (1-based)' },
  { name: 'frame.len', type: 'number', frame: 'len', description: 'Length on the wire' },
  { name: 'frame.caplen', type: 'number', frame: 'caplen', aliases: ['frame.cap_len'], description: 'Captured length' },
  { name: 'error', type: 'bool', frame: 'error', description: 'The frame could not be fully decoded (any kind of problem)' },
  { name: 'error.kind', type: 'string', frame: 'error.kind', description: 'Kind of the decode problem: truncated, malformed or unsupported' },
  { name: 'error.layer', type: 'string', frame: 'error.layer', description: 'Layer where the problem is (ipv4, udp, link, ...)' },
  { name: 'error.message', type: 'string', frame: 'error.message', description: 'Text of the decode problem' },
  { name: 'truncated', type: 'bool', frame: 'truncated', description: 'The capture ended before a header did (snaplen): not a fault of the packet' },
  { name: 'malformed', type: 'bool', frame: 'malformed', description: 'A field contradicts the bytes (bad length, IHL < 5, ...)' },
  { name: 'unsupported', type: 'bool', frame: 'unsupported', description: 'A link type with no decoder' },

  ...proto('eth', [
    ['src', 'mac', 'src', 'Source MAC address'],
    ['dst', 'mac', 'dst', 'Destination MAC address'],
    ['addr', 'mac', ['src', 'dst'], 'Source or destination MAC address'],
    ['ethertype', 'number', 'ethertype', 'EtherType of an Ethernet II frame (0x0800 IPv4, 0x0806 ARP, ...)', { names: ETHERTYPES, aliases: ['type'] }],
    ['length', 'number', 'length', 'Length field of an IEEE 802.3 frame (LLC follows)', { aliases: ['len'] }],
  ]),
  ...proto('vlan', [
    ['vid', 'number', 'vid', 'VLAN identifier (0-4095)', { aliases: ['id'] }],
    ['pcp', 'number', 'pcp', 'Priority code point (0-7)', { aliases: ['priority'] }],
    ['dei', 'bool', 'dei', 'Drop eligible indicator'],
    ['tpid', 'number', 'tpid', 'Tag protocol identifier: 0x8100 (802.1Q) or 0x88a8 (802.1ad)', { names: ETHERTYPES }],
    ['ethertype', 'number', 'ethertype', 'EtherType of what follows the tag', { names: ETHERTYPES, aliases: ['etype', 'type'] }],
  ]),
  ...proto('llc', [
    ['dsap', 'number', 'dsap', 'Destination service access point'],
    ['ssap', 'number', 'ssap', 'Source service access point'],
    ['control', 'number', 'control', 'Control field'],
    ['oui', 'number', 'oui', 'SNAP organisation code'],
    ['pid', 'number', 'pid', 'SNAP protocol id (an EtherType when oui is 0)', { names: ETHERTYPES }],
  ]),
  ...(['sll', 'sll2'] as const).flatMap((name) =>
    proto(name, [
      ['packet_type', 'number', 'packet_type', 'Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us', { names: PACKET_TYPES, aliases: ['pkttype'] }],
      ['hatype', 'number', 'hatype', 'ARPHRD_ type of the interface (1 Ethernet, 772 loopback)'],
      ['address_length', 'number', 'address_length', 'Length of the link-layer address', { aliases: ['halen'] }],
      ['address', 'mac', 'address', 'Source link-layer address', { aliases: ['src'] }],
      ['protocol', 'number', 'protocol', 'Protocol: an EtherType, or a Linux ETH_P_ value below 0x0600', { names: ETHERTYPES, aliases: ['etype', 'type'] }],
      ...(name === 'sll2' ? ([['ifindex', 'number', 'ifindex', 'Interface index on the capturing host']] as Spec[]) : []),
    ]),
  ),
  ...proto('null', [['family', 'number', 'family', 'Address family: 2 IPv4; 10, 24, 28 or 30 IPv6']]),
  ...proto('arp', [
    ['op', 'number', 'op', 'Operation: 1 request, 2 reply, 3/4 RARP request/reply', { names: ARP_OPS, aliases: ['opcode'] }],
    ['sender_hw', 'mac', 'sender_hw', 'Sender hardware (MAC) address', { aliases: ['sender_mac', 'src.hw_mac'] }],
    ['sender_proto', 'ipv4', 'sender_proto', 'Sender protocol (IPv4) address', { aliases: ['sender_ip', 'src.proto_ipv4'] }],
    ['target_hw', 'mac', 'target_hw', 'Target hardware (MAC) address', { aliases: ['target_mac', 'dst.hw_mac'] }],
    ['target_proto', 'ipv4', 'target_proto', 'Target protocol (IPv4) address', { aliases: ['target_ip', 'dst.proto_ipv4'] }],
    ['gratuitous', 'bool', 'gratuitous', 'Sender and target protocol addresses are the same', { aliases: ['isgratuitous'] }],
    ['hw_type', 'number', 'hw_type', 'Hardware type (1 Ethernet)', { aliases: ['hw.type'] }],
    ['proto_type', 'number', 'proto_type', 'Protocol type (0x0800 IPv4)', { names: ETHERTYPES, aliases: ['proto.type'] }],
    ['hw_len', 'number', 'hw_len', 'Hardware address length', { aliases: ['hw.size'] }],
    ['proto_len', 'number', 'proto_len', 'Protocol address length', { aliases: ['proto.size'] }],
  ]),
  ...proto('ip', [
    ['src', 'ipv4', 'src', 'Source address'],
    ['dst', 'ipv4', 'dst', 'Destination address'],
    ['addr', 'ipv4', ['src', 'dst'], 'Source or destination address'],
    ['ttl', 'number', 'ttl', 'Time to live'],
    ['id', 'number', 'id', 'Identification'],
    ['protocol', 'number', 'protocol', 'Protocol of the payload (1 ICMP, 6 TCP, 17 UDP)', { names: IP_PROTOCOLS, aliases: ['proto'] }],
    ['total_length', 'number', 'total_length', 'Total length field (0 in GSO / BIG TCP super-packets)', { aliases: ['len'] }],
    ['header_length', 'number', 'header_length', 'Header length in bytes (IHL x 4; over 20 with options)', { aliases: ['hdr_len'] }],
    ['payload_length', 'number', 'payload_length', 'Bytes after the header on the wire'],
    ['flags', 'number', 'flags', 'The 3 flag bits: 4 reserved, 2 DF, 1 MF'],
    ['flags.df', 'bool', 'df', "Don't fragment", { aliases: ['df'] }],
    ['flags.mf', 'bool', 'mf', 'More fragments', { aliases: ['mf'] }],
    ['flags.rb', 'bool', 'flags', 'Reserved (evil) bit', { mask: 0x4 }],
    ['frag_offset', 'number', 'frag_offset', 'Fragment offset in bytes'],
    ['dscp', 'number', 'dscp', 'Differentiated services code point', { aliases: ['dsfield.dscp'] }],
    ['ecn', 'number', 'ecn', 'Explicit congestion notification', { aliases: ['dsfield.ecn'] }],
    ['version', 'number', 'version', 'Version (4)'],
    ['checksum', 'number', 'checksum', 'Header checksum'],
    ['checksum_status', 'string', 'checksum_status', 'Header checksum: good or bad'],
    ['length_from_frame', 'bool', 'length_from_frame', 'Total length was 0 and the frame gave the length'],
  ]),
  ...proto('ipv6', [
    ['src', 'ipv6', 'src', 'Source address'],
    ['dst', 'ipv6', 'dst', 'Destination address'],
    ['addr', 'ipv6', ['src', 'dst'], 'Source or destination address'],
    ['next_header', 'number', 'next_header', 'Next header (58 ICMPv6, 6 TCP, 17 UDP)', { names: IP_PROTOCOLS, aliases: ['nxt'] }],
    ['hop_limit', 'number', 'hop_limit', 'Hop limit', { aliases: ['hlim'] }],
    ['payload_length', 'number', 'payload_length', 'Payload length field (0 for jumbograms and GSO)', { aliases: ['plen'] }],
    ['traffic_class', 'number', 'traffic_class', 'Traffic class', { aliases: ['tclass'] }],
    ['flow_label', 'number', 'flow_label', 'Flow label', { aliases: ['flow'] }],
    ['version', 'number', 'version', 'Version (6)'],
    ['length_from_frame', 'bool', 'length_from_frame', 'Payload length was 0 and the frame gave the length'],
  ]),
  ...proto('icmp', [
    ['type', 'number', 'type', 'Type: 8 echo request, 0 echo reply, 3 unreachable, 11 time exceeded', { names: ICMP_TYPES }],
    ['code', 'number', 'code', 'Code (type 3: 4 fragmentation needed)'],
    ['id', 'number', 'id', 'Echo identifier', { aliases: ['ident'] }],
    ['seq', 'number', 'seq', 'Echo sequence number'],
    ['mtu', 'number', 'mtu', 'Next-hop MTU of "fragmentation needed"'],
    ['gateway', 'ipv4', 'gateway', 'Redirect: the gateway to use', { aliases: ['redir_gw'] }],
    ['pointer', 'number', 'pointer', 'Parameter problem: offset of the bad byte'],
    ['checksum', 'number', 'checksum', 'Checksum'],
    ['checksum_status', 'string', 'checksum_status', `Checksum: ${CHECKSUM_STATUS}`],
    ['payload_length', 'number', 'payload_length', 'Bytes after the 8-byte header on the wire'],
    ['quoted.src', 'ipv4', 'quoted.src', 'Error messages: source of the quoted packet'],
    ['quoted.dst', 'ipv4', 'quoted.dst', 'Error messages: destination of the quoted packet'],
    ['quoted.protocol', 'number', 'quoted.protocol', 'Error messages: protocol of the quoted packet', { names: IP_PROTOCOLS, aliases: ['quoted.proto'] }],
    ['quoted.id', 'number', 'quoted.id', 'Error messages: IP id of the quoted packet'],
    ['quoted.ttl', 'number', 'quoted.ttl', 'Error messages: TTL of the quoted packet'],
    ['quoted.src_port', 'number', 'quoted.src_port', 'Error messages: TCP/UDP source port of the quoted packet'],
    ['quoted.dst_port', 'number', 'quoted.dst_port', 'Error messages: TCP/UDP destination port of the quoted packet'],
  ]),
  ...proto('icmp6', [
    ['type', 'number', 'type', 'Type: 128 echo request, 129 echo reply, 135/136 neighbour solicitation/advertisement', { names: ICMP6_TYPES }],
    ['code', 'number', 'code', 'Code'],
    ['id', 'number', 'id', 'Echo identifier'],
    ['seq', 'number', 'seq', 'Echo sequence number'],
    ['mtu', 'number', 'mtu', 'Packet too big: the MTU'],
    ['checksum', 'number', 'checksum', 'Checksum'],
    ['checksum_status', 'string', 'checksum_status', `Checksum: ${CHECKSUM_STATUS}`],
    ['payload_length', 'number', 'payload_length', 'Bytes after the 8-byte header on the wire'],
  ]),
  ...proto('tcp', [
    ...PORTS,
    ['seq', 'number', 'seq', 'Sequence number (absolute)'],
    ['ack', 'number', 'ack', 'Acknowledgment number (absolute)'],
    ['flags', 'string', 'flags', 'Flags in tcpdump letters: S, S., P., F., R, . (none when no flag)', { aliases: ['flags.str'] }],
    ['flags_value', 'number', 'flags_value', 'The 12 flag bits as a number (0x002 SYN, 0x012 SYN+ACK)', { aliases: ['flags.value'] }],
    ['flags.fin', 'bool', 'flags_value', 'FIN flag', { mask: 0x001 }],
    ['flags.syn', 'bool', 'flags_value', 'SYN flag', { mask: 0x002 }],
    ['flags.rst', 'bool', 'flags_value', 'RST flag', { mask: 0x004, aliases: ['flags.reset'] }],
    ['flags.psh', 'bool', 'flags_value', 'PSH flag', { mask: 0x008, aliases: ['flags.push'] }],
    ['flags.ack', 'bool', 'flags_value', 'ACK flag', { mask: 0x010 }],
    ['flags.urg', 'bool', 'flags_value', 'URG flag', { mask: 0x020 }],
    ['flags.ece', 'bool', 'flags_value', 'ECE flag', { mask: 0x040 }],
    ['flags.cwr', 'bool', 'flags_value', 'CWR flag', { mask: 0x080 }],
    ['flags.ae', 'bool', 'flags_value', 'AE flag (formerly NS)', { mask: 0x100, aliases: ['flags.ns'] }],
    ['window', 'number', 'window', 'Window field (unscaled)', { aliases: ['window_size_value'] }],
    ['payload_length', 'number', 'payload_length', 'Bytes of payload on the wire', { aliases: ['len'] }],
    ['header_length', 'number', 'header_length', 'Header length in bytes (data offset x 4)', { aliases: ['hdr_len'] }],
    ['data_offset', 'number', 'data_offset', 'Data offset field, in 32-bit words'],
    ['urgent', 'number', 'urgent', 'Urgent pointer', { aliases: ['urgent_pointer'] }],
    ['checksum', 'number', 'checksum', 'Checksum'],
    ['checksum_status', 'string', 'checksum_status', `Checksum: ${CHECKSUM_STATUS}`],
  ]),
  ...proto('udp', [
    ...PORTS,
    ['length', 'number', 'length', 'Length field: header + payload (0 in BIG TCP super-packets)'],
    ['payload_length', 'number', 'payload_length', 'Bytes of payload on the wire'],
    ['encap', 'string', 'encap', 'flannel-udp when the payload is a packet of flannel\'s UDP backend (port 8285)'],
    ['checksum', 'number', 'checksum', 'Checksum'],
    ['checksum_status', 'string', 'checksum_status', `Checksum: ${CHECKSUM_STATUS}`],
  ]),
  ...proto('vxlan', [
    ['vni', 'number', 'vni', 'VXLAN network identifier (flannel uses 1)'],
    ['flags', 'number', 'flags', 'Flags byte (0x08 when only I is set)'],
    ['i_flag', 'bool', 'i_flag', 'I flag: the VNI is valid', { aliases: ['flag_i'] }],
    ['reserved1', 'number', 'reserved1', 'The 24 bits after the flags (0 per RFC 7348)'],
    ['reserved2', 'number', 'reserved2', 'The 8 bits after the VNI (0 per RFC 7348)'],
    ['heuristic', 'bool', 'heuristic', 'Recognised by its header on a port not bound to VXLAN'],
  ]),
  ...proto('raw', [['length', 'number', 'length', 'Captured bytes no decoder claimed', { aliases: ['len'] }]]),
];

/** Canonical and alias names, lower case, to definitions. */
export const FIELD_BY_NAME: ReadonlyMap<string, FieldDef> = (() => {
  const m = new Map<string, FieldDef>();
  const protoAliases = new Map(PROTOCOLS.map((p) => [p.name, p.aliases]));
  for (const f of FIELDS) {
    const names = [f.name, ...(f.aliases ?? [])];
    for (const n of names) {
      m.set(n.toLowerCase(), f);
      // ipv4.src as well as ip.src
      if (f.proto) {
        const rest = n.slice(f.proto.length);
        for (const a of protoAliases.get(f.proto) ?? []) m.set(`${a}${rest}`.toLowerCase(), f);
      }
    }
  }
  return m;
})();

export const PROTOCOL_BY_NAME: ReadonlyMap<string, ProtocolDef> = new Map(
  PROTOCOLS.flatMap((p) => [p.name, ...p.aliases].map((n) => [n.toLowerCase(), p] as const)),
);

/** Scopes that restrict a protocol field to one side of the (last) tunnel. */
export const SCOPES = ['inner', 'outer'] as const;
export type Scope = 'any' | (typeof SCOPES)[number];

/**
 * Every name a user can type, canonical first, for completion and help: protocols, frame fields,
 * protocol fields, and (when `withScopes`) the `inner.` / `outer.` forms of protocol names.
 */
export function filterNames(withScopes = false): string[] {
  const base = [...PROTOCOLS.map((p) => p.name), ...FIELDS.map((f) => f.name)];
  if (!withScopes) return base;
  const scoped = [...PROTOCOLS.map((p) => p.name), ...FIELDS.filter((f) => f.proto).map((f) => f.name)];
  return [...base, ...SCOPES.flatMap((s) => scoped.map((n) => `${s}.${n}`))];
}

/** The fields of one protocol (by filter name or alias), for help screens. */
export function protocolFields(name: string): FieldDef[] {
  const p = PROTOCOL_BY_NAME.get(name.toLowerCase());
  return p ? FIELDS.filter((f) => f.proto === p.name) : [];
}
