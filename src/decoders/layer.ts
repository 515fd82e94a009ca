/**
 * The decoded form of a frame: a stack of layers, outermost first, each a plain object that is
 * also its JSON form (DESIGN.md §3): `layer` names the protocol, the rest are its fields.
 * Decoders never throw on packet bytes; a problem becomes a DecodeError value and every layer
 * decoded before it is kept.
 */
import type { Frame } from '../capture/frame.js';

export type LayerName =
  | 'eth' | 'vlan' | 'llc' | 'sll' | 'sll2' | 'null' | 'arp' | 'ipv4' | 'ipv6' | 'icmp' | 'icmp6'
  | 'tcp' | 'udp' | 'vxlan' | 'raw';

/** Every layer records where its header starts in the frame and how long the header is. */
export interface LayerBase {
  readonly layer: LayerName;
  /** Offset of the layer's first byte within the frame. */
  readonly offset: number;
  /** Length of the layer's header in bytes (payload follows). */
  readonly header_length: number;
}

export type Layer = LayerBase & Record<string, unknown>;

/**
 * truncated: the capture stopped before the bytes a header needs (snaplen, GSO), not a fault of
 * the packet. malformed: a field contradicts the bytes (bad length, IHL < 5, ...). unsupported: a
 * link type or protocol with no decoder, which is not a fault either.
 */
export type DecodeErrorKind = 'truncated' | 'malformed' | 'unsupported';

export interface DecodeError {
  readonly kind: DecodeErrorKind;
  readonly layer: LayerName | string;
  /** Offset in the frame where the problem is. */
  readonly offset: number;
  /** Bytes the layer needs from `offset` (0 when not a length problem). */
  readonly needed: number;
  /** Bytes present from `offset`. */
  readonly present: number;
  readonly message: string;
}

export interface Packet {
  readonly frame: Frame;
  readonly layers: Layer[];
  readonly error?: DecodeError;
}
