/** IEEE 802.1Q VLAN tags (0x8100) and 802.1ad service tags (0x88a8); QinQ stacks them. */
import { u16 } from './bytes.js';
import { registerEtherType, type Decoder } from './registry.js';

const TCI = 0;
const TYPE = 2;
const HEADER = 4;
export const TPID_8021Q = 0x8100;
export const TPID_8021AD = 0x88a8;

export type VlanLayer = {
  readonly layer: 'vlan';
  readonly offset: number;
  readonly header_length: number;
  /** The EtherType that announced this tag: 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
  readonly tpid: number;
  /** Priority code point (0-7), drop eligible indicator, VLAN id (0-4095). */
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
  /** EtherType of what follows the tag. */
  readonly ethertype: number;
};

function vlanDecoder(tpid: number): Decoder {
  return (d) => {
    if (!d.has('vlan', HEADER)) return;
    const b = d.b;
    const o = d.off;
    const tci = u16(b, o + TCI);
    const ethertype = u16(b, o + TYPE);
    d.layers.push({
      layer: 'vlan',
      offset: o,
      header_length: HEADER,
      tpid,
      pcp: tci >> 13,
      dei: (tci & 0x1000) !== 0,
      vid: tci & 0xfff,
      ethertype,
    } satisfies VlanLayer);
    d.etherType(ethertype, o + HEADER, d.end, d.wire);
  };
}

export const decodeVlan = vlanDecoder(TPID_8021Q);
export const decodeServiceVlan = vlanDecoder(TPID_8021AD);

registerEtherType(TPID_8021Q, decodeVlan);
registerEtherType(TPID_8021AD, decodeServiceVlan);
