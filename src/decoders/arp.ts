/**
 * ARP (RFC 826) and RARP, for any hardware and protocol address lengths. Addresses are text:
 * MAC form for 6-byte hardware addresses, dotted quad for 4-byte IPv4, hex otherwise.
 */
import { hexColon, ipv4Text, macText, u16 } from './bytes.js';
import { registerEtherType, type Decoder } from './registry.js';

const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;
const FIXED = 8;

const HTYPE_ETHERNET = 1;
const HTYPE_IEEE802 = 6;
const PTYPE_IPV4 = 0x0800;
const MAC_LENGTH = 6;
const IPV4_LENGTH = 4;

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const RARP_REQUEST = 3;
export const RARP_REPLY = 4;

export type ArpLayer = {
  readonly layer: 'arp';
  readonly offset: number;
  readonly header_length: number;
  readonly hw_type: number;
  readonly proto_type: number;
  readonly hw_len: number;
  readonly proto_len: number;
  /** 1 request, 2 reply, 3/4 RARP request/reply, others as they are. */
  readonly op: number;
  readonly sender_hw: string;
  readonly sender_proto: string;
  readonly target_hw: string;
  readonly target_proto: string;
  /** A request or reply whose sender and target protocol addresses are the same. */
  readonly gratuitous: boolean;
};

function hwText(b: Uint8Array, at: number, hlen: number): string {
  return hlen === MAC_LENGTH ? macText(b, at) : hexColon(b, at, hlen);
}

function protoText(b: Uint8Array, at: number, ptype: number, plen: number): string {
  return ptype === PTYPE_IPV4 && plen === IPV4_LENGTH ? ipv4Text(b, at) : hexColon(b, at, plen);
}

export const decodeArp: Decoder = (d) => {
  if (!d.has('arp', FIXED)) return;
  const b = d.b;
  const o = d.off;
  const htype = u16(b, o + HTYPE);
  const ptype = u16(b, o + PTYPE);
  const hlen = b[o + HLEN];
  const plen = b[o + PLEN];
  const op = u16(b, o + OPER);
  if (!d.has('arp', FIXED + 2 * (hlen + plen))) return;
  const sha = o + FIXED;
  const spa = sha + hlen;
  const tha = spa + plen;
  const tpa = tha + hlen;
  let same = plen > 0;
  for (let i = 0; same && i < plen; i++) same = b[spa + i] === b[tpa + i];
  d.layers.push({
    layer: 'arp',
    offset: o,
    header_length: FIXED + 2 * (hlen + plen),
    hw_type: htype,
    proto_type: ptype,
    hw_len: hlen,
    proto_len: plen,
    op,
    sender_hw: hwText(b, sha, hlen),
    sender_proto: protoText(b, spa, ptype, plen),
    target_hw: hwText(b, tha, hlen),
    target_proto: protoText(b, tpa, ptype, plen),
    gratuitous: same && (op === ARP_REQUEST || op === ARP_REPLY),
  } satisfies ArpLayer);
  // Lengths that contradict the announced types: decoded as hex, and reported.
  if ((htype === HTYPE_ETHERNET || htype === HTYPE_IEEE802) && hlen !== MAC_LENGTH) {
    d.note('malformed', 'arp', o + HLEN, 0, hlen, `hardware type ${htype} with address length ${hlen}, not ${MAC_LENGTH}`);
  } else if (ptype === PTYPE_IPV4 && plen !== IPV4_LENGTH) {
    d.note('malformed', 'arp', o + PLEN, 0, plen, `protocol type IPv4 with address length ${plen}, not ${IPV4_LENGTH}`);
  }
  // What follows an ARP message in a frame is padding.
  d.next = undefined;
};

registerEtherType(0x0806, decodeArp);
registerEtherType(0x8035, decodeArp); // RARP: same format
