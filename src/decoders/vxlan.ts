/**
 * VXLAN (RFC 7348): an 8-byte header, then an Ethernet frame decoded with the same decoders.
 * Bound to UDP 4789 (IANA) and 8472 (the Linux kernel's and flannel's default) whatever the
 * header holds; other ports with `vxlanPorts`, or by the heuristic below unless heuristics are
 * off. VXLAN-GPE (4790) and Geneve (6081) are different headers: those ports are claimed as
 * opaque so that the heuristic never takes them for VXLAN.
 */
import { u24 } from './bytes.js';
import { decodeEthernet } from './ethernet.js';
import { decodeRaw, isKnownEtherType, registerUdpHeuristic, registerUdpPort, type Decoder, type Dissection } from './registry.js';

const FLAGS = 0;
const RESERVED1 = 1;
const VNI = 4;
const RESERVED2 = 7;
const HEADER = 8;
/** The I flag: the VNI is valid. The only flag RFC 7348 defines. */
const FLAG_I = 0x08;

// The inner Ethernet header, for the heuristic.
const INNER_DST = HEADER;
const INNER_SRC = HEADER + 6;
const INNER_TYPE = HEADER + 12;
const INNER_HEADER = 14;

export const VXLAN_PORT = 4789;
export const VXLAN_LINUX_PORT = 8472;
const VXLAN_GPE_PORT = 4790;
const GENEVE_PORT = 6081;

export type VxlanLayer = {
  readonly layer: 'vxlan';
  readonly offset: number;
  readonly header_length: number;
  /** The flags byte (0x08 when only I is set). */
  readonly flags: number;
  readonly i_flag: boolean;
  readonly vni: number;
  /** The 24 bits after the flags and the 8 bits after the VNI; 0 per RFC 7348. */
  readonly reserved1: number;
  readonly reserved2: number;
  /** Recognised by the heuristic on a port not bound to VXLAN. */
  readonly heuristic: boolean;
};

function decode(d: Dissection, heuristic: boolean): void {
  if (!d.has('vxlan', HEADER)) return;
  const b = d.b;
  const o = d.off;
  d.layers.push({
    layer: 'vxlan',
    offset: o,
    header_length: HEADER,
    flags: b[o + FLAGS],
    i_flag: (b[o + FLAGS] & FLAG_I) !== 0,
    vni: u24(b, o + VNI),
    reserved1: u24(b, o + RESERVED1),
    reserved2: b[o + RESERVED2],
    heuristic,
  } satisfies VxlanLayer);
  d.encapsulate(decodeEthernet, o + HEADER, d.end, d.wire);
}

export const decodeVxlan: Decoder = (d) => decode(d, false);
export const decodeVxlanByHeuristic: Decoder = (d) => decode(d, true);

/**
 * A VXLAN header exactly as RFC 7348 writes it (flags 0x08, reserved bits 0) followed by a
 * plausible Ethernet header: a known EtherType, a unicast source, a non-zero destination.
 */
function looksLikeVxlan(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER + INNER_HEADER) return false;
  if (b[off + FLAGS] !== FLAG_I || b[off + RESERVED1] | b[off + RESERVED1 + 1] | b[off + RESERVED1 + 2] | b[off + RESERVED2]) return false;
  const src = off + INNER_SRC;
  const dst = off + INNER_DST;
  if (b[src] & 1 || !(b[src] | b[src + 1] | b[src + 2] | b[src + 3] | b[src + 4] | b[src + 5])) return false;
  if (!(b[dst] | b[dst + 1] | b[dst + 2] | b[dst + 3] | b[dst + 4] | b[dst + 5])) return false;
  return isKnownEtherType((b[off + INNER_TYPE] << 8) | b[off + INNER_TYPE + 1]);
}

registerUdpPort(VXLAN_PORT, decodeVxlan);
registerUdpPort(VXLAN_LINUX_PORT, decodeVxlan);
registerUdpPort(VXLAN_GPE_PORT, decodeRaw);
registerUdpPort(GENEVE_PORT, decodeRaw);
registerUdpHeuristic(looksLikeVxlan, decodeVxlanByHeuristic);
