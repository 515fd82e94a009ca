/**
 * Where each field of a decoded layer lies in the frame, for the hex pane's highlight: byte
 * ranges relative to the layer's `offset`, by layer name and field key (the keys the decoders
 * write, docs/layers.md). A field of a few bits highlights its whole byte(s); a field not listed
 * (derived values such as checksum_status or payload_length) highlights the layer's header.
 */
import type { Layer } from '../decoders/layer.js';

type Ranges = Readonly<Record<string, readonly [number, number]>>;

const ETH: Ranges = { dst: [0, 6], src: [6, 12], ethertype: [12, 14], length: [12, 14] };
const VLAN: Ranges = { pcp: [0, 1], dei: [0, 1], vid: [0, 2], ethertype: [2, 4] };
const LLC: Ranges = { dsap: [0, 1], ssap: [1, 2], control: [2, 3], oui: [3, 6], pid: [6, 8] };
const SLL: Ranges = { packet_type: [0, 2], hatype: [2, 4], address_length: [4, 6], address: [6, 14], protocol: [14, 16] };
const SLL2: Ranges = { protocol: [0, 2], ifindex: [4, 8], hatype: [8, 10], packet_type: [10, 11], address_length: [11, 12], address: [12, 20] };
const NULL: Ranges = { family: [0, 4] };
const ARP: Ranges = { hw_type: [0, 2], proto_type: [2, 4], hw_len: [4, 5], proto_len: [5, 6], op: [6, 8] };
const IPV4: Ranges = {
  version: [0, 1],
  dscp: [1, 2],
  ecn: [1, 2],
  total_length: [2, 4],
  id: [4, 6],
  flags: [6, 7],
  df: [6, 7],
  mf: [6, 7],
  frag_offset: [6, 8],
  ttl: [8, 9],
  protocol: [9, 10],
  checksum: [10, 12],
  src: [12, 16],
  dst: [16, 20],
};
const IPV6: Ranges = {
  version: [0, 1],
  traffic_class: [0, 2],
  flow_label: [1, 4],
  payload_length: [4, 6],
  next_header: [6, 7],
  hop_limit: [7, 8],
  src: [8, 24],
  dst: [24, 40],
};
const ICMP: Ranges = { type: [0, 1], code: [1, 2], checksum: [2, 4], id: [4, 6], seq: [6, 8], mtu: [6, 8], gateway: [4, 8], pointer: [4, 5] };
const TCP: Ranges = {
  src_port: [0, 2],
  dst_port: [2, 4],
  seq: [4, 8],
  ack: [8, 12],
  data_offset: [12, 13],
  flags: [12, 14],
  flags_value: [12, 14],
  window: [14, 16],
  checksum: [16, 18],
  urgent: [18, 20],
};
const UDP: Ranges = { src_port: [0, 2], dst_port: [2, 4], length: [4, 6], checksum: [6, 8] };
const VXLAN: Ranges = { flags: [0, 1], i_flag: [0, 1], reserved1: [1, 4], vni: [4, 7], reserved2: [7, 8] };

const BY_LAYER: Readonly<Record<string, Ranges>> = {
  eth: ETH,
  vlan: VLAN,
  llc: LLC,
  sll: SLL,
  sll2: SLL2,
  null: NULL,
  arp: ARP,
  ipv4: IPV4,
  ipv6: IPV6,
  icmp: ICMP,
  icmp6: ICMP,
  tcp: TCP,
  udp: UDP,
  vxlan: VXLAN,
};

/** ARP addresses follow the fixed part, sized by hw_len / proto_len. */
function arpRange(l: Layer, key: string): readonly [number, number] | undefined {
  const hl = typeof l.hw_len === 'number' ? l.hw_len : 6;
  const pl = typeof l.proto_len === 'number' ? l.proto_len : 4;
  const at = { sender_hw: [8, hl], sender_proto: [8 + hl, pl], target_hw: [8 + hl + pl, hl], target_proto: [8 + 2 * hl + pl, pl] } as const;
  const r = at[key as keyof typeof at];
  return r ? [r[0], r[0] + r[1]] : undefined;
}

/** Absolute byte range [start, end) of a field (or of the whole header without `key`). */
export function byteRange(l: Layer, key?: string): readonly [number, number] {
  const len = l.layer === 'raw' && typeof l.length === 'number' ? l.length : l.header_length;
  const whole: readonly [number, number] = [l.offset, l.offset + Math.max(1, len)];
  if (!key) return whole;
  const rel = l.layer === 'arp' ? (arpRange(l, key) ?? ARP[key]) : BY_LAYER[l.layer]?.[key];
  if (!rel) return whole;
  return [l.offset + rel[0], l.offset + rel[1]];
}
