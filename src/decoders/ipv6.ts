/**
 * IPv6 fixed header (RFC 8200), then TCP, UDP or ICMPv6 by next header. Extension headers are
 * not walked: a packet that has them leaves everything after the fixed header raw.
 */
import { ipv6Text, sum16, u16 } from './bytes.js';
import { registerEtherType, type Decoder } from './registry.js';

const VERSION_CLASS_FLOW = 0;
const PAYLOAD_LENGTH = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
const SRC = 8;
const DST = 24;
const HEADER = 40;

export type Ipv6Layer = {
  readonly layer: 'ipv6';
  readonly offset: number;
  readonly header_length: number;
  readonly version: number;
  readonly traffic_class: number;
  readonly flow_label: number;
  /** The payload length field as sent (0 for jumbograms and GSO super-packets). */
  readonly payload_length: number;
  readonly next_header: number;
  readonly hop_limit: number;
  readonly src: string;
  readonly dst: string;
  /** payload_length was 0 and the payload was taken to be the rest of the frame. */
  readonly length_from_frame: boolean;
};

export const decodeIpv6: Decoder = (d) => {
  if (!d.has('ipv6', HEADER)) return;
  const b = d.b;
  const o = d.off;
  const version = b[o + VERSION_CLASS_FLOW] >> 4;
  if (version !== 6) return d.fail('malformed', 'ipv6', o, 0, d.end - o, `version ${version}, not 6`);
  const plen = u16(b, o + PAYLOAD_LENGTH);
  const next = b[o + NEXT_HEADER];
  const p = o + HEADER;
  const fromFrame = plen === 0 && d.wire > p;
  let wire = fromFrame ? d.wire : p + plen;
  if (wire > d.wire) {
    d.note('malformed', 'ipv6', o + PAYLOAD_LENGTH, plen, d.wire - p, `payload length ${plen} > ${d.wire - p} bytes in the frame`);
    wire = d.wire;
  }
  d.layers.push({
    layer: 'ipv6',
    offset: o,
    header_length: HEADER,
    version,
    traffic_class: ((b[o] & 15) << 4) | (b[o + 1] >> 4),
    flow_label: ((b[o + 1] & 15) << 16) | u16(b, o + 2),
    payload_length: plen,
    next_header: next,
    hop_limit: b[o + HOP_LIMIT],
    src: ipv6Text(b, o + SRC),
    dst: ipv6Text(b, o + DST),
    length_from_frame: fromFrame,
  } satisfies Ipv6Layer);
  d.pseudo = sum16(b, o + SRC, o + DST + 16, 0);
  d.fragment = false;
  d.ipProtocol(next, p, Math.min(d.end, wire), wire);
};

registerEtherType(0x86dd, decodeIpv6);
