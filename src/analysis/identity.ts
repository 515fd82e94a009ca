/**
 * "Is this the same packet?" (DESIGN.md §1). The identity is what survives every hop of the
 * path: IP identification, protocol, fragment offset, the L4 fields NAT leaves alone (TCP
 * seq/ack and the SYN/RST/ACK flags, ICMP type/code/id/seq, UDP length) and a hash of the first
 * 64 bytes of L4 payload. Never MACs, TTL, checksums, outer headers, or the addresses and ports
 * (kube-proxy DNAT rewrites the destination, masquerade the source): those are checked
 * separately and loosely (at least one side of the conversation must stay the same).
 *
 * TCP PSH/FIN/CWR are left out because GSO segmentation clears them on all but one segment, and
 * the payload length is left out because a GSO super-packet and its first segment share the
 * first bytes; a fragment keeps its offset, so the first fragment joins the unfragmented packet.
 */
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Obs } from './extract.js';

function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The identity hash of an observation (stored in `o.key`). */
export function identityKey(o: Obs): number {
  let h = mix(0x9747b28c, (o.id << 16) | (o.proto << 8));
  h = mix(h, o.frag);
  h = mix(h, o.hash);
  if (o.frag === 0) {
    if (o.proto === PROTO_TCP) {
      h = mix(h, o.seq);
      h = mix(h, o.ack);
      h = mix(h, o.flags & 0x16);
    } else if (o.proto === PROTO_UDP) {
      h = mix(h, o.udpLen);
    } else if (o.proto === PROTO_ICMP) {
      h = mix(h, (o.icmpType << 8) | o.icmpCode);
      h = mix(h, (o.icmpId << 16) | (o.icmpSeq & 0xffff));
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The identity fields are equal (the full comparison behind a hash match). */
export function sameIdentity(a: Obs, b: Obs): boolean {
  if (a.id !== b.id || a.proto !== b.proto || a.frag !== b.frag || a.hash !== b.hash) return false;
  if (a.frag !== 0) return true;
  if (a.proto === PROTO_TCP) return a.seq === b.seq && a.ack === b.ack && (a.flags & 0x16) === (b.flags & 0x16);
  if (a.proto === PROTO_UDP) return a.udpLen === b.udpLen;
  if (a.proto === PROTO_ICMP)
    return a.icmpType === b.icmpType && a.icmpCode === b.icmpCode && a.icmpId === b.icmpId && a.icmpSeq === b.icmpSeq;
  return true;
}

/**
 * Could b be a later sighting of a (after at most one NAT)? One side of the conversation must
 * be unchanged: DNAT rewrites the destination, SNAT/masquerade (and the reverse translation of
 * a reply) the source.
 */
export function natCompatible(a: Obs, b: Obs): boolean {
  return (a.src === b.src && a.sport === b.sport) || (a.dst === b.dst && a.dport === b.dport) || a.src === b.src || a.dst === b.dst;
}

/** The packet was rewritten between a and b (addresses or ports). */
export function natChanged(a: Obs, b: Obs): boolean {
  return a.src !== b.src || a.dst !== b.dst || a.sport !== b.sport || a.dport !== b.dport;
}
