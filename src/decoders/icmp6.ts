/** ICMPv6 (RFC 4443): type, code, checksum over the IPv6 pseudo-header, echo id/seq, MTU. */
import { l4ChecksumStatus, u16, u32, type ChecksumStatus } from './bytes.js';
import { registerIpProtocol, type Decoder } from './registry.js';

const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const ID = 4;
const SEQ = 6;
const MTU = 4;
const HEADER = 8;
const PROTO_ICMPV6 = 58;

export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;

export type Icmp6Layer = {
  readonly layer: 'icmp6';
  readonly offset: number;
  readonly header_length: number;
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  readonly checksum_status: ChecksumStatus;
  /** Bytes after the 8-byte header on the wire. */
  readonly payload_length: number;
  /** Echo request/reply. */
  id?: number;
  seq?: number;
  /** Packet too big. */
  mtu?: number;
};

export const decodeIcmp6: Decoder = (d) => {
  if (!d.has('icmp6', HEADER)) return;
  const b = d.b;
  const o = d.off;
  const type = b[o + TYPE];
  const layer: Icmp6Layer = {
    layer: 'icmp6',
    offset: o,
    header_length: HEADER,
    type,
    code: b[o + CODE],
    checksum: u16(b, o + CHECKSUM),
    checksum_status: d.end < d.wire ? 'unverified' : l4ChecksumStatus(b, o, d.wire, d.pseudo + PROTO_ICMPV6 + (d.wire - o), o + CHECKSUM),
    payload_length: d.wire - o - HEADER,
  };
  if (type === ICMP6_ECHO_REQUEST || type === ICMP6_ECHO_REPLY) {
    layer.id = u16(b, o + ID);
    layer.seq = u16(b, o + SEQ);
  } else if (type === ICMP6_PACKET_TOO_BIG) {
    layer.mtu = u32(b, o + MTU);
  }
  d.layers.push(layer);
  d.next = undefined;
};

registerIpProtocol(PROTO_ICMPV6, decodeIcmp6);
