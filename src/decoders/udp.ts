/**
 * UDP (RFC 768). The length field trims the IP payload; 0 in a GSO/BIG TCP super-packet (or an
 * IPv6 jumbogram) means "the rest of the IP payload". The checksum is verified only when the
 * whole datagram is captured and not fragmented.
 */
import { l4ChecksumStatus, u16, type ChecksumStatus } from './bytes.js';
import { registerIpProtocol, type Decoder } from './registry.js';

const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;
const HEADER = 8;
const PROTO_UDP = 17;

export type UdpLayer = {
  readonly layer: 'udp';
  readonly offset: number;
  readonly header_length: number;
  readonly src_port: number;
  readonly dst_port: number;
  /** The length field as sent (header + payload; 0 in BIG TCP super-packets). */
  readonly length: number;
  readonly checksum: number;
  /** 'none' when the checksum field is 0; 'unverified' when cut by snaplen or fragmented. */
  readonly checksum_status: ChecksumStatus;
  readonly payload_length: number;
  /** Set when the payload is an encapsulated packet without a header of its own: 'flannel-udp'. */
  encap?: 'flannel-udp';
};

export const decodeUdp: Decoder = (d) => {
  if (!d.has('udp', HEADER)) return;
  const b = d.b;
  const o = d.off;
  const length = u16(b, o + LENGTH);
  let wire = d.wire;
  if (!d.fragment) {
    if (length !== 0 && length < HEADER) {
      return d.fail('malformed', 'udp', o, HEADER, d.end - o, `length ${length} < ${HEADER}`);
    }
    if (o + length > d.wire) {
      d.note('malformed', 'udp', o, length, d.wire - o, `length ${length} > ${d.wire - o} bytes of IP payload`);
    } else if (length !== 0) {
      wire = o + length;
    }
  }
  const field = u16(b, o + CHECKSUM);
  const status: ChecksumStatus =
    field === 0
      ? 'none'
      : d.fragment || d.end < wire
        ? 'unverified'
        : l4ChecksumStatus(b, o, wire, d.pseudo + PROTO_UDP + (wire - o), o + CHECKSUM);
  const srcPort = u16(b, o + SRC_PORT);
  const dstPort = u16(b, o + DST_PORT);
  d.layers.push({
    layer: 'udp',
    offset: o,
    header_length: HEADER,
    src_port: srcPort,
    dst_port: dstPort,
    length,
    checksum: field,
    checksum_status: status,
    payload_length: wire - o - HEADER,
  } satisfies UdpLayer);
  d.udpPayload(srcPort, dstPort, o + HEADER, Math.min(d.end, wire), wire);
};

registerIpProtocol(PROTO_UDP, decodeUdp);
