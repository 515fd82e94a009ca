/**
 * Packets as text: one line per packet in the spirit of `tcpdump -nn -e` (outer and inner
 * packets on one line, ` | ` at each encapsulation), every field for `-v`, a hex dump for `-x`.
 * Only numbers, addresses and fixed words are printed, so no text from a capture reaches the
 * terminal here.
 */
import {
  encapsulationLevels,
  isEncapsulation,
  isLayer,
  type ArpLayer,
  type IcmpLayer,
  type Icmp6Layer,
  type IcmpQuoted,
  type Ipv4Layer,
  type Ipv6Layer,
  type Layer,
  type Packet,
  type VxlanLayer,
} from '../decoders/index.js';
import { ARP_REPLY, ARP_REQUEST, RARP_REPLY, RARP_REQUEST } from '../decoders/arp.js';
import {
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_PARAMETER_PROBLEM,
  ICMP_REDIRECT,
  ICMP_SOURCE_QUENCH,
  ICMP_TIME_EXCEEDED,
  ICMP_TIMESTAMP,
  ICMP_TIMESTAMP_REPLY,
  ICMP_UNREACHABLE,
} from '../decoders/icmp.js';
import { ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_PACKET_TOO_BIG } from '../decoders/icmp6.js';
import { TCP_ACK } from '../decoders/tcp.js';

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** Type/length values from here up are EtherTypes (below: lengths, Linux ETH_P_* values). */
const MIN_ETHERTYPE = 0x0600;

const IP_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [41, 'IPv6'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMP6'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);
export const protocolName = (p: number): string => IP_PROTOCOLS.get(p) ?? String(p);

const PACKET_TYPES = ['In', 'B', 'M', 'P', 'Out'];
export const packetType = (t: number): string => PACKET_TYPES[t] ?? `pkttype ${t}`;

const UNREACHABLE: readonly string[] = [
  'net', 'host', 'protocol', 'port', 'need-frag', 'source-route-failed', 'net-unknown', 'host-unknown',
  'source-host-isolated', 'net-prohibited', 'host-prohibited', 'net-tos', 'host-tos', 'admin-prohibited',
  'host-precedence-violation', 'precedence-cutoff',
];
const REDIRECT: readonly string[] = ['net', 'host', 'tos-net', 'tos-host'];

const ICMP6_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'unreachable'],
  [3, 'time exceeded'],
  [4, 'parameter problem'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [143, 'multicast listener report v2'],
]);

/** One line: link, network and transport of each packet, ` | ` between a tunnel and its payload. */
export function packetLine(packet: Packet): string {
  const levels = encapsulationLevels(packet.layers);
  let s = '';
  for (let i = 0; i < levels.length; i++) {
    const t = levelText(levels[i]);
    if (t !== '') s = s === '' ? t : `${s} | ${t}`;
  }
  const e = packet.error;
  if (e) s += `${s ? ' ' : ''}[${e.kind} ${e.layer} at ${e.offset}: ${e.message}]`;
  return s;
}

/** One packet of the stack: its link part, then its network part. */
function levelText(layers: Layer[]): string {
  // the parts joined by ', ' as they come (no array per level)
  let parts = '';
  let n = 0;
  let i = 0;
  /** The EtherType the link part announced, for a payload left raw. */
  let etherType: number | undefined;
  for (; i < layers.length; i++) {
    const l = layers[i];
    if (isLayer(l, 'eth')) {
      parts = join(parts, n++, `${l.src} > ${l.dst}`);
      if (l.length !== undefined) parts = join(parts, n++, `802.3 length ${l.length}`);
      etherType = l.ethertype;
    } else if (isLayer(l, 'vlan')) {
      parts = join(parts, n++, `vlan ${l.vid}${l.pcp ? ` p ${l.pcp}` : ''}${l.dei ? ' dei' : ''}`);
      etherType = l.ethertype;
    } else if (isLayer(l, 'sll') || isLayer(l, 'sll2')) {
      const where = isLayer(l, 'sll2') ? `ifindex ${l.ifindex} ` : '';
      parts = join(parts, n++, `${where}${packetType(l.packet_type)}${l.address_length ? ` ${l.address}` : ''}`);
      etherType = l.protocol >= MIN_ETHERTYPE ? l.protocol : undefined;
    } else if (isLayer(l, 'null')) {
      parts = join(parts, n++, `AF ${l.family}`);
      etherType = undefined;
    } else if (isLayer(l, 'llc')) {
      parts = join(parts, n++, l.pid !== undefined ? `llc snap${l.oui ? ` oui ${hex(l.oui, 6)}` : ''}` : `llc dsap ${hex(l.dsap, 2)} ssap ${hex(l.ssap, 2)}`);
      etherType = l.oui === 0 ? l.pid : undefined;
    } else break;
  }
  const net = networkText(layers, i, etherType);
  if (net) parts = join(parts, n++, net);
  return parts;
}

/** `s, t` (t alone when it is the first part). */
function join(s: string, n: number, t: string): string {
  return n === 0 ? t : `${s}, ${t}`;
}

function networkText(layers: Layer[], i: number, etherType: number | undefined): string {
  const l = layers[i];
  if (l === undefined) return '';
  if (isLayer(l, 'arp')) return arpText(l);
  if (isLayer(l, 'ipv4') || isLayer(l, 'ipv6')) return ipText(layers, i, l);
  if (isLayer(l, 'raw')) return `${etherType !== undefined ? `ethertype ${hex(etherType, 4)}, ` : ''}${l.length} bytes`;
  return '';
}

function arpText(a: ArpLayer): string {
  const g = a.gratuitous ? ' gratuitous' : '';
  switch (a.op) {
    case ARP_REQUEST:
      return `ARP who-has ${a.target_proto} tell ${a.sender_proto}${g}`;
    case ARP_REPLY:
      return `ARP reply ${a.sender_proto} is-at ${a.sender_hw}${g}`;
    case RARP_REQUEST:
      return `RARP who-is ${a.target_hw} tell ${a.sender_hw}`;
    case RARP_REPLY:
      return `RARP reply ${a.target_hw} at ${a.target_proto}`;
    default:
      return `ARP op ${a.op}`;
  }
}

/** `src[:port] > dst[:port] L4 ...`, then fragment and TTL (not for a tunnel's carrier). */
function ipText(layers: Layer[], i: number, ip: Ipv4Layer | Ipv6Layer): string {
  const l4 = layers[i + 1];
  const v6 = ip.layer === 'ipv6';
  const ports = l4 !== undefined && (isLayer(l4, 'tcp') || isLayer(l4, 'udp')) ? l4 : undefined;
  let s = `${endpoint(ip.src, ports?.src_port, v6)} > ${endpoint(ip.dst, ports?.dst_port, v6)}`;
  const protocol = ip.layer === 'ipv4' ? ip.protocol : ip.next_header;
  s += ` ${l4 === undefined || l4.layer === 'raw' ? ipPayloadText(ip, protocol) : l4Text(layers, i + 1)}`;
  if (ip.layer === 'ipv4' && (ip.mf || ip.frag_offset > 0)) s += ` frag id ${ip.id} off ${ip.frag_offset}${ip.mf ? ' MF' : ''}`;
  if (!carriesTunnel(layers, i + 1)) s += ip.layer === 'ipv4' ? ` ttl ${ip.ttl}` : ` hlim ${ip.hop_limit}`;
  return s;
}

function endpoint(addr: string, port: number | undefined, v6: boolean): string {
  return port === undefined ? addr : v6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function carriesTunnel(layers: Layer[], from: number): boolean {
  for (let i = from; i < layers.length; i++) if (isEncapsulation(layers[i])) return true;
  return false;
}

/** An IP payload that was not decoded (unknown protocol, later fragment, cut short). */
function ipPayloadText(ip: Ipv4Layer | Ipv6Layer, protocol: number): string {
  const length = ip.layer === 'ipv4' ? ip.payload_length : ip.length_from_frame ? undefined : ip.payload_length;
  return `proto ${protocolName(protocol)}${length !== undefined ? ` len ${length}` : ''}`;
}

function l4Text(layers: Layer[], i: number): string {
  const l = layers[i];
  if (isLayer(l, 'tcp')) {
    const ack = l.flags_value & TCP_ACK ? ` ack ${l.ack}` : '';
    return `TCP [${l.flags}] seq ${l.seq}${ack} win ${l.window} len ${l.payload_length}`;
  }
  if (isLayer(l, 'udp')) {
    const next = layers[i + 1];
    if (next !== undefined && isLayer(next, 'vxlan')) return vxlanText(next);
    return l.encap ?? `UDP len ${l.payload_length}`;
  }
  if (isLayer(l, 'icmp')) return `ICMP ${icmpText(l)}`;
  if (isLayer(l, 'icmp6')) return `ICMP6 ${icmp6Text(l)}`;
  return l.layer;
}

function vxlanText(v: VxlanLayer): string {
  const flags = v.flags !== 0x08 ? ` flags ${hex(v.flags, 2)}` : '';
  return `VXLAN vni ${v.vni}${flags}${v.heuristic ? ' (heuristic)' : ''}`;
}

function icmpText(c: IcmpLayer): string {
  const q = c.quoted ? ` (${quotedText(c.quoted)})` : '';
  switch (c.type) {
    case ICMP_ECHO_REPLY:
      return `echo reply id ${c.id} seq ${c.seq}`;
    case ICMP_ECHO_REQUEST:
      return `echo request id ${c.id} seq ${c.seq}`;
    case ICMP_UNREACHABLE:
      return `unreachable ${UNREACHABLE[c.code] ?? `code ${c.code}`}${c.mtu !== undefined ? ` mtu ${c.mtu}` : ''}${q}`;
    case ICMP_SOURCE_QUENCH:
      return `source quench${q}`;
    case ICMP_REDIRECT:
      return `redirect ${REDIRECT[c.code] ?? `code ${c.code}`} to ${c.gateway}${q}`;
    case ICMP_TIME_EXCEEDED:
      return `time exceeded ${c.code === 0 ? 'in-transit' : c.code === 1 ? 'reassembly' : `code ${c.code}`}${q}`;
    case ICMP_PARAMETER_PROBLEM:
      return `parameter problem pointer ${c.pointer}${q}`;
    case ICMP_TIMESTAMP:
    case ICMP_TIMESTAMP_REPLY:
      return `timestamp ${c.type === ICMP_TIMESTAMP ? 'request' : 'reply'} id ${c.id} seq ${c.seq}`;
    default:
      return `type ${c.type} code ${c.code}${c.id !== undefined ? ` id ${c.id} seq ${c.seq}` : ''}`;
  }
}

function quotedText(q: IcmpQuoted): string {
  const ported = q.src_port !== undefined;
  const src = ported ? `${q.src}:${q.src_port}` : q.src;
  const dst = ported ? `${q.dst}:${q.dst_port}` : q.dst;
  let s = `${src} > ${dst} ${protocolName(q.protocol)}`;
  if (q.icmp_type === ICMP_ECHO_REQUEST || q.icmp_type === ICMP_ECHO_REPLY) {
    s += ` echo ${q.icmp_type === ICMP_ECHO_REQUEST ? 'request' : 'reply'} id ${q.icmp_id} seq ${q.icmp_seq}`;
  } else if (q.icmp_type !== undefined) s += ` type ${q.icmp_type} code ${q.icmp_code}`;
  return s;
}

function icmp6Text(c: Icmp6Layer): string {
  if (c.type === ICMP6_ECHO_REQUEST || c.type === ICMP6_ECHO_REPLY) {
    return `echo ${c.type === ICMP6_ECHO_REQUEST ? 'request' : 'reply'} id ${c.id} seq ${c.seq}`;
  }
  if (c.type === ICMP6_PACKET_TOO_BIG) return `packet too big mtu ${c.mtu}`;
  const name = ICMP6_NAMES.get(c.type);
  return name ? `${name}${c.code ? ` code ${c.code}` : ''}` : `type ${c.type} code ${c.code}`;
}

/** Fields shown in hex in the detail view, per layer. */
const HEX_FIELDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  eth: { ethertype: 4 },
  vlan: { tpid: 4, ethertype: 4 },
  llc: { dsap: 2, ssap: 2, control: 2, oui: 6, pid: 4 },
  sll: { protocol: 4 },
  sll2: { protocol: 4 },
  arp: { proto_type: 4 },
  ipv4: { checksum: 4 },
  ipv6: { traffic_class: 2, flow_label: 5 },
  icmp: { checksum: 4 },
  icmp6: { checksum: 4 },
  tcp: { flags_value: 3, checksum: 4 },
  udp: { checksum: 4 },
  vxlan: { flags: 2, reserved1: 6, reserved2: 2 },
};
const POSITION_KEYS = new Set(['layer', 'offset', 'header_length']);

/** Every field of every layer: one line per layer, options and quoted headers indented below. */
export function packetDetail(packet: Packet): string[] {
  const out: string[] = [];
  for (const l of packet.layers) {
    const hexes = HEX_FIELDS[l.layer] ?? {};
    const fields: string[] = [];
    const below: string[] = [];
    for (const [k, v] of Object.entries(l)) {
      if (POSITION_KEYS.has(k) || v === undefined) continue;
      if (Array.isArray(v)) {
        if (v.length) below.push(`  ${k}: ${v.map((o: Record<string, unknown>) => optionText(o)).join(', ')}`);
      } else if (typeof v === 'object' && v !== null) {
        below.push(`  ${k}: ${fieldsText(v as Record<string, unknown>, {})}`);
      } else {
        fields.push(fieldText(k, v, hexes));
      }
    }
    out.push(`${l.layer} @${l.offset}+${l.header_length}: ${fields.join(' ')}`.trimEnd());
    out.push(...below);
  }
  const e = packet.error;
  if (e) {
    const sizes = e.needed > 0 && !e.message.startsWith('need ') ? ` (needed ${e.needed}, present ${e.present})` : '';
    out.push(`error: ${e.kind} ${e.layer} at ${e.offset}: ${e.message}${sizes}`);
  }
  return out;
}

function fieldText(k: string, v: unknown, hexes: Readonly<Record<string, number>>): string {
  return `${k}=${typeof v === 'number' && hexes[k] ? hex(v, hexes[k]) : String(v)}`;
}

function fieldsText(o: Record<string, unknown>, hexes: Readonly<Record<string, number>>): string {
  return Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => fieldText(k, v, hexes))
    .join(' ');
}

/** An IPv4 or TCP option: `Router Alert (148) length 4`, `mss 1460`, `sack 1-2 3-4`, `timestamp 5/6`. */
function optionText(o: Record<string, unknown>): string {
  if (o.kind === undefined) return `${o.name} (${o.type}) length ${o.length}`;
  if (o.value !== undefined) return `${o.name} ${o.value}`;
  if (o.val !== undefined) return `${o.name} ${o.val}/${o.ecr}`;
  if (Array.isArray(o.blocks)) return `${o.name} ${o.blocks.map(([l, r]: [number, number]) => `${l}-${r}`).join(' ')}`;
  return o.name === 'unknown' ? `kind ${o.kind} length ${o.length}` : String(o.name);
}

const PRINTABLE_LOW = 0x20;
const PRINTABLE_HIGH = 0x7e;
const BYTES_PER_LINE = 16;

/** `0000  45 00 00 54 00 00 40 00  40 01 23 4f c0 a8 cb 03  E..T..@.@.#O....` */
export function hexDump(bytes: Uint8Array): string[] {
  const width = Math.max(4, Math.max(0, bytes.length - 1).toString(16).length);
  const out: string[] = [];
  for (let o = 0; o < bytes.length; o += BYTES_PER_LINE) {
    let h = '';
    let a = '';
    for (let i = 0; i < BYTES_PER_LINE; i++) {
      if (i === BYTES_PER_LINE / 2) h += ' ';
      if (o + i < bytes.length) {
        const c = bytes[o + i];
        h += `${c.toString(16).padStart(2, '0')} `;
        a += c >= PRINTABLE_LOW && c <= PRINTABLE_HIGH ? String.fromCharCode(c) : '.';
      } else h += '   ';
    }
    out.push(`${o.toString(16).padStart(width, '0')}  ${h} ${a}`);
  }
  return out;
}
