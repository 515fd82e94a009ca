/** IEEE 802.2 LLC, and SNAP (DSAP = SSAP = 0xAA) carrying an EtherType. */
import { u16, u24 } from './bytes.js';
import { decodeRaw, type Decoder } from './registry.js';

const DSAP = 0;
const SSAP = 1;
const CONTROL = 2;
/** A U-format control field is one byte (low bits 11); I and S formats are two. */
const U_FORMAT = 0x03;
const SNAP_SAP = 0xaa;
const SNAP_OUI = 3;
const SNAP_PID = 6;
const SNAP_HEADER = 8;
/** OUI 00-00-00: the protocol id is an EtherType. */
const OUI_ETHERTYPE = 0;

export type LlcLayer = {
  readonly layer: 'llc';
  readonly offset: number;
  readonly header_length: number;
  readonly dsap: number;
  readonly ssap: number;
  readonly control: number;
  /** SNAP only: organisation code and protocol id (an EtherType when oui is 0). */
  readonly oui?: number;
  readonly pid?: number;
};

export const decodeLlc: Decoder = (d) => {
  if (!d.has('llc', CONTROL + 1)) return;
  const b = d.b;
  const o = d.off;
  const dsap = b[o + DSAP];
  const ssap = b[o + SSAP];
  const uFormat = (b[o + CONTROL] & U_FORMAT) === U_FORMAT;
  if (dsap === SNAP_SAP && ssap === SNAP_SAP && uFormat) {
    if (!d.has('llc', SNAP_HEADER)) return;
    const oui = u24(b, o + SNAP_OUI);
    const pid = u16(b, o + SNAP_PID);
    d.layers.push({ layer: 'llc', offset: o, header_length: SNAP_HEADER, dsap, ssap, control: b[o + CONTROL], oui, pid } satisfies LlcLayer);
    if (oui === OUI_ETHERTYPE) d.etherType(pid, o + SNAP_HEADER, d.end, d.wire);
    else d.handOn(decodeRaw, o + SNAP_HEADER, d.end, d.wire);
    return;
  }
  const header = uFormat ? CONTROL + 1 : CONTROL + 2;
  if (!d.has('llc', header)) return;
  const control = uFormat ? b[o + CONTROL] : u16(b, o + CONTROL);
  d.layers.push({ layer: 'llc', offset: o, header_length: header, dsap, ssap, control } satisfies LlcLayer);
  d.handOn(decodeRaw, o + header, d.end, d.wire);
};
