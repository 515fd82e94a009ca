/** Hand-built packets whose layers look exactly like the decoders' output (see docs/layers.md). */
import type { Frame, Source } from '../../src/capture/frame.js';
import type { DecodeError, Layer, Packet } from '../../src/decoders/layer.js';

export function source(node: string, iface: string): Source {
  return {
    file: `${node}-${iface}.pcap`,
    node,
    iface,
    ifId: 0,
    section: 0,
    linkType: 1,
    fcsLength: 0,
    snaplen: 262144,
    tsUnitsPerSec: 1e9,
    id: 0,
  };
}

export interface PacketOpts {
  node?: string;
  iface?: string;
  number?: number;
  len?: number;
  caplen?: number;
  error?: DecodeError;
}

export function packet(layers: Layer[], o: PacketOpts = {}): Packet {
  const caplen = o.caplen ?? 98;
  const frame: Frame = {
    source: source(o.node ?? 'node1', o.iface ?? 'eth0'),
    number: o.number ?? 1,
    tsSec: 1700000000,
    tsNsec: 0,
    caplen,
    len: o.len ?? caplen,
    bytes: new Uint8Array(caplen),
    offset: 24,
  };
  return { frame, layers, error: o.error };
}

export function eth(src: string, dst: string, ethertype = 0x0800, offset = 0): Layer {
  return { layer: 'eth', offset, header_length: 14, dst, src, ethertype };
}

export function vlan(vid: number, tpid = 0x8100, ethertype = 0x0800, offset = 14): Layer {
  return { layer: 'vlan', offset, header_length: 4, tpid, pcp: 0, dei: false, vid, ethertype };
}

export function ipv4(src: string, dst: string, protocol: number, more: Record<string, unknown> = {}, offset = 14): Layer {
  const flags = (more.flags as number | undefined) ?? 2;
  return {
    layer: 'ipv4',
    offset,
    header_length: 20,
    version: 4,
    dscp: 0,
    ecn: 0,
    total_length: 84,
    id: 0x1234,
    flags,
    df: (flags & 2) !== 0,
    mf: (flags & 1) !== 0,
    frag_offset: 0,
    ttl: 64,
    protocol,
    checksum: 0,
    checksum_status: 'good',
    src,
    dst,
    options: [],
    payload_length: 64,
    length_from_frame: false,
    ...more,
  };
}

export function ipv6(src: string, dst: string, next_header: number, offset = 14): Layer {
  return {
    layer: 'ipv6',
    offset,
    header_length: 40,
    version: 6,
    traffic_class: 0,
    flow_label: 0,
    payload_length: 16,
    next_header,
    hop_limit: 64,
    src,
    dst,
    length_from_frame: false,
  };
}

export function udp(src_port: number, dst_port: number, offset = 34, encap?: 'flannel-udp'): Layer {
  const l: Layer = {
    layer: 'udp',
    offset,
    header_length: 8,
    src_port,
    dst_port,
    length: 114,
    checksum: 0,
    checksum_status: 'none',
    payload_length: 106,
  };
  if (encap) l.encap = encap;
  return l;
}

export function vxlan(vni: number, offset = 42): Layer {
  return { layer: 'vxlan', offset, header_length: 8, flags: 8, i_flag: true, vni, reserved1: 0, reserved2: 0, heuristic: false };
}

export function icmp(type: number, id = 7, seq = 1, offset = 34): Layer {
  const l: Layer = { layer: 'icmp', offset, header_length: 8, type, code: 0, checksum: 0, checksum_status: 'good', payload_length: 56 };
  if (type === 0 || type === 8) {
    l.id = id;
    l.seq = seq;
  }
  return l;
}

export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;

export function tcp(src_port: number, dst_port: number, flagsValue: number, offset = 34): Layer {
  const letters = [
    [TCP_FIN, 'F'],
    [TCP_SYN, 'S'],
    [TCP_RST, 'R'],
    [TCP_PSH, 'P'],
    [TCP_ACK, '.'],
  ] as const;
  const flags = letters.filter(([b]) => flagsValue & b).map(([, c]) => c).join('') || 'none';
  return {
    layer: 'tcp',
    offset,
    header_length: 20,
    src_port,
    dst_port,
    seq: 1000,
    ack: 0,
    data_offset: 5,
    flags,
    flags_value: flagsValue,
    window: 64240,
    checksum: 0,
    checksum_status: 'good',
    urgent: 0,
    options: [],
    payload_length: 0,
  };
}

export function arp(op: number, sender_hw: string, sender_proto: string, target_hw: string, target_proto: string, offset = 14): Layer {
  return {
    layer: 'arp',
    offset,
    header_length: 28,
    hw_type: 1,
    proto_type: 0x0800,
    hw_len: 6,
    proto_len: 4,
    op,
    sender_hw,
    sender_proto,
    target_hw,
    target_proto,
    gratuitous: sender_proto === target_proto,
  };
}

/** flannel VXLAN: node eth0 192.168.2.16 → 192.168.2.15:8472, VNI 1, inner pod packet. */
export function vxlanPacket(inner: Layer[], o: PacketOpts = {}): Packet {
  return packet(
    [
      eth('52:54:00:00:00:16', '52:54:00:00:00:15'),
      ipv4('192.168.2.16', '192.168.2.15', 17, { ttl: 64 }),
      udp(41187, 8472),
      vxlan(1),
      eth('fa:70:c0:d0:eb:a6', 'ba:48:c8:f2:8a:7b', 0x0800, 50),
      ...inner,
    ],
    o,
  );
}
