/**
 * ICMP for IPv4 (RFC 792): type, code, checksum, echo id/seq, the next-hop MTU of "fragmentation
 * needed" (RFC 1191), the redirect gateway, and for error messages the quoted IPv4 header and
 * first 8 bytes of its payload, decoded into `quoted`. The data after the 8-byte header is part
 * of this layer (`payload_length`), not a layer of its own.
 */
import { fold, ipv4Text, sum16, u16, u32 } from './bytes.js';
import { registerIpProtocol, type Decoder } from './registry.js';

const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const ID = 4;
const SEQ = 6;
const GATEWAY = 4;
const POINTER = 4;
const NEXT_HOP_MTU = 6;
const HEADER = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_UNREACHABLE = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;
/** Code of ICMP_UNREACHABLE: fragmentation needed and DF set. */
export const ICMP_FRAG_NEEDED = 4;

/** Types with an identifier and sequence number: echo, timestamp, information, address mask. */
const ID_SEQ_TYPES = new Set([0, 8, 13, 14, 15, 16, 17, 18]);

// Offsets in the quoted IPv4 header.
const Q_VERSION_IHL = 0;
const Q_TOTAL_LENGTH = 2;
const Q_ID = 4;
const Q_TTL = 8;
const Q_PROTOCOL = 9;
const Q_SRC = 12;
const Q_DST = 16;
const Q_MIN_HEADER = 20;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** The packet an ICMP error is about: as much of its header as was quoted and captured. */
export type IcmpQuoted = {
  src: string;
  dst: string;
  protocol: number;
  id: number;
  ttl: number;
  total_length: number;
  header_length: number;
  src_port?: number;
  dst_port?: number;
  /** TCP: the quoted sequence number. */
  seq?: number;
  /** UDP: the quoted length field. */
  length?: number;
  /** ICMP: the quoted message's type, code, and echo id/seq. */
  icmp_type?: number;
  icmp_code?: number;
  icmp_id?: number;
  icmp_seq?: number;
};

export type IcmpLayer = {
  readonly layer: 'icmp';
  readonly offset: number;
  readonly header_length: number;
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  readonly checksum_status: 'good' | 'bad' | 'unverified';
  /** Bytes after the 8-byte header on the wire. */
  readonly payload_length: number;
  /** Echo, timestamp, information and address mask messages. */
  id?: number;
  seq?: number;
  /** Unreachable, fragmentation needed (type 3 code 4): the next-hop MTU (0 if not given). */
  mtu?: number;
  /** Redirect: the gateway to use. */
  gateway?: string;
  /** Parameter problem: the offset of the bad byte. */
  pointer?: number;
  /** Error messages: the quoted packet. */
  quoted?: IcmpQuoted;
};

export const decodeIcmp: Decoder = (d) => {
  if (!d.has('icmp', HEADER)) return;
  const b = d.b;
  const o = d.off;
  const type = b[o + TYPE];
  const code = b[o + CODE];
  const layer: IcmpLayer = {
    layer: 'icmp',
    offset: o,
    header_length: HEADER,
    type,
    code,
    checksum: u16(b, o + CHECKSUM),
    checksum_status: d.fragment || d.end < d.wire ? 'unverified' : fold(sum16(b, o, d.wire, 0)) === 0xffff ? 'good' : 'bad',
    payload_length: d.wire - o - HEADER,
  };
  if (ID_SEQ_TYPES.has(type)) {
    layer.id = u16(b, o + ID);
    layer.seq = u16(b, o + SEQ);
  } else if (type === ICMP_UNREACHABLE || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETER_PROBLEM) {
    if (type === ICMP_UNREACHABLE && code === ICMP_FRAG_NEEDED) layer.mtu = u16(b, o + NEXT_HOP_MTU);
    else if (type === ICMP_REDIRECT) layer.gateway = ipv4Text(b, o + GATEWAY);
    else if (type === ICMP_PARAMETER_PROBLEM) layer.pointer = b[o + POINTER];
    const quoted = quotedPacket(b, o + HEADER, d.end);
    if (quoted) layer.quoted = quoted;
  }
  d.layers.push(layer);
  d.next = undefined;
};

/** The IPv4 header at `q` and the ports or ICMP header after it, as far as captured. */
function quotedPacket(b: Uint8Array, q: number, end: number): IcmpQuoted | undefined {
  if (end - q < Q_MIN_HEADER || b[q + Q_VERSION_IHL] >> 4 !== 4) return undefined;
  const ihl = (b[q + Q_VERSION_IHL] & 15) * 4;
  const protocol = b[q + Q_PROTOCOL];
  const quoted: IcmpQuoted = {
    src: ipv4Text(b, q + Q_SRC),
    dst: ipv4Text(b, q + Q_DST),
    protocol,
    id: u16(b, q + Q_ID),
    ttl: b[q + Q_TTL],
    total_length: u16(b, q + Q_TOTAL_LENGTH),
    header_length: ihl,
  };
  const l4 = q + ihl;
  if (ihl < Q_MIN_HEADER) return quoted;
  if ((protocol === PROTO_TCP || protocol === PROTO_UDP) && end - l4 >= 4) {
    quoted.src_port = u16(b, l4);
    quoted.dst_port = u16(b, l4 + 2);
    if (end - l4 >= 8) {
      if (protocol === PROTO_TCP) quoted.seq = u32(b, l4 + 4);
      else quoted.length = u16(b, l4 + 4);
    }
  } else if (protocol === PROTO_ICMP && end - l4 >= HEADER) {
    quoted.icmp_type = b[l4 + TYPE];
    quoted.icmp_code = b[l4 + CODE];
    if (ID_SEQ_TYPES.has(quoted.icmp_type)) {
      quoted.icmp_id = u16(b, l4 + ID);
      quoted.icmp_seq = u16(b, l4 + SEQ);
    }
  }
  return quoted;
}

registerIpProtocol(PROTO_ICMP, decodeIcmp);
