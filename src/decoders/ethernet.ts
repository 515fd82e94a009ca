/**
 * Ethernet II and IEEE 802.3 (length field, then LLC). The frame check sequence, when the
 * capture has one, is stripped before decoding (see dissect).
 */
import { LinkType } from '../capture/frame.js';
import { macText, u16 } from './bytes.js';
import { decodeLlc } from './llc.js';
import { registerLinkType, type Decoder } from './registry.js';

const DST = 0;
const SRC = 6;
const TYPE = 12;
const HEADER = 14;
/** Type/length values from here up are EtherTypes; below, the 802.3 payload length. */
const MIN_ETHERTYPE = 0x0600;

export type EthLayer = {
  readonly layer: 'eth';
  readonly offset: number;
  readonly header_length: number;
  /** Destination and source MAC, lower-case colon form. */
  readonly dst: string;
  readonly src: string;
  /** Ethernet II: the EtherType. */
  readonly ethertype?: number;
  /** IEEE 802.3: the length of the LLC payload (the rest of the frame is padding). */
  readonly length?: number;
};

export const decodeEthernet: Decoder = (d) => {
  if (!d.has('eth', HEADER)) return;
  const b = d.b;
  const o = d.off;
  const type = u16(b, o + TYPE);
  const p = o + HEADER;
  const dst = macText(b, o + DST);
  const src = macText(b, o + SRC);
  if (type >= MIN_ETHERTYPE) {
    d.layers.push({ layer: 'eth', offset: o, header_length: HEADER, dst, src, ethertype: type } satisfies EthLayer);
    d.etherType(type, p, d.end, d.wire);
    return;
  }
  d.layers.push({ layer: 'eth', offset: o, header_length: HEADER, dst, src, length: type } satisfies EthLayer);
  let wire = p + type;
  if (wire > d.wire) {
    d.note('malformed', 'eth', o + TYPE, type, d.wire - p, `802.3 length ${type} > ${d.wire - p} bytes in the frame`);
    wire = d.wire;
  }
  d.handOn(decodeLlc, p, Math.min(d.end, wire), wire);
};

registerLinkType(LinkType.ETHERNET, decodeEthernet);
