/**
 * Linux cooked captures: SLL v1 (`tcpdump -i any` before libpcap 1.10) and SLL2 (with the
 * interface index). The link-layer address field is 8 bytes whatever the address length says:
 * a longer length (seen in the wild, gopacket's linux_sll_oversized_addr) shows all 8 bytes.
 */
import { LinkType } from '../capture/frame.js';
import { hexColon, macText, u16, u32 } from './bytes.js';
import { decodeLlc } from './llc.js';
import { decodeRaw, registerLinkType, type Decoder, type Dissection } from './registry.js';

// SLL v1
const V1_PKTTYPE = 0;
const V1_HATYPE = 2;
const V1_HALEN = 4;
const V1_ADDR = 6;
const V1_PROTOCOL = 14;
const V1_HEADER = 16;
// SLL2
const V2_PROTOCOL = 0;
const V2_IFINDEX = 4;
const V2_HATYPE = 8;
const V2_PKTTYPE = 10;
const V2_HALEN = 11;
const V2_ADDR = 12;
const V2_HEADER = 20;

const ADDR_FIELD = 8;
const MAC_LENGTH = 6;
/** Protocol values below this are Linux ETH_P_* pseudo-types, not EtherTypes. */
const MIN_ETHERTYPE = 0x0600;
/** ETH_P_802_2: the payload starts with an LLC header. */
const ETH_P_802_2 = 0x0004;

export type SllLayer = {
  readonly layer: 'sll';
  readonly offset: number;
  readonly header_length: number;
  /** 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us. */
  readonly packet_type: number;
  /** ARPHRD_* type of the interface (1 Ethernet, 772 loopback, ...). */
  readonly hatype: number;
  readonly address_length: number;
  /** Source link-layer address: MAC form when 6 bytes, else hex of at most 8 bytes. */
  readonly address: string;
  /** EtherType, or a Linux ETH_P_* value below 0x0600. */
  readonly protocol: number;
};

export type Sll2Layer = Omit<SllLayer, 'layer'> & {
  readonly layer: 'sll2';
  /** Interface index on the capturing host. */
  readonly ifindex: number;
};

function addressText(b: Uint8Array, o: number, length: number): string {
  return length === MAC_LENGTH ? macText(b, o) : hexColon(b, o, Math.min(length, ADDR_FIELD));
}

function handOnProtocol(d: Dissection, protocol: number, p: number): void {
  if (protocol >= MIN_ETHERTYPE) d.etherType(protocol, p, d.end, d.wire);
  else d.handOn(protocol === ETH_P_802_2 ? decodeLlc : decodeRaw, p, d.end, d.wire);
}

export const decodeSll: Decoder = (d) => {
  if (!d.has('sll', V1_HEADER)) return;
  const b = d.b;
  const o = d.off;
  const halen = u16(b, o + V1_HALEN);
  const protocol = u16(b, o + V1_PROTOCOL);
  d.layers.push({
    layer: 'sll',
    offset: o,
    header_length: V1_HEADER,
    packet_type: u16(b, o + V1_PKTTYPE),
    hatype: u16(b, o + V1_HATYPE),
    address_length: halen,
    address: addressText(b, o + V1_ADDR, halen),
    protocol,
  } satisfies SllLayer);
  handOnProtocol(d, protocol, o + V1_HEADER);
};

export const decodeSll2: Decoder = (d) => {
  if (!d.has('sll2', V2_HEADER)) return;
  const b = d.b;
  const o = d.off;
  const halen = b[o + V2_HALEN];
  const protocol = u16(b, o + V2_PROTOCOL);
  d.layers.push({
    layer: 'sll2',
    offset: o,
    header_length: V2_HEADER,
    protocol,
    ifindex: u32(b, o + V2_IFINDEX),
    hatype: u16(b, o + V2_HATYPE),
    packet_type: b[o + V2_PKTTYPE],
    address_length: halen,
    address: addressText(b, o + V2_ADDR, halen),
  } satisfies Sll2Layer);
  handOnProtocol(d, protocol, o + V2_HEADER);
};

registerLinkType(LinkType.LINUX_SLL, decodeSll);
registerLinkType(LinkType.LINUX_SLL2, decodeSll2);
