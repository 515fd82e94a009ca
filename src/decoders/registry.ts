/**
 * Dispatch tables and the state one dissection carries from layer to layer.
 *
 * A decoder reads the bytes at `d.off` (captured up to `d.end`, on the wire up to `d.wire`),
 * pushes its layer and hands its payload on with `d.handOn(next, ...)`, or stops. Next-layer
 * choice goes through tables keyed by link type, EtherType, IP protocol and UDP port; each
 * protocol fills them from its own file with one line (`registerEtherType(0x0806, decodeArp)`).
 */
import type { DecodeError, DecodeErrorKind, Layer, LayerName } from './layer.js';

export type Decoder = (d: Dissection) => void;

/** Does the UDP payload b[off, end) look like this protocol? (ports did not say) */
export type UdpHeuristic = (b: Uint8Array, off: number, end: number) => boolean;

const linkTypes = new Map<number, Decoder>();
const etherTypes = new Map<number, Decoder>();
const ipProtocols = new Map<number, Decoder>();
const udpPorts = new Map<number, Decoder>();
const udpHeuristics: { test: UdpHeuristic; decoder: Decoder }[] = [];

export function registerLinkType(linkType: number, decoder: Decoder): void {
  linkTypes.set(linkType, decoder);
}
export function registerEtherType(type: number, decoder: Decoder): void {
  etherTypes.set(type, decoder);
}
/** IP protocol numbers are one space for IPv4 `protocol` and IPv6 `next header`. */
export function registerIpProtocol(protocol: number, decoder: Decoder): void {
  ipProtocols.set(protocol, decoder);
}
export function registerUdpPort(port: number, decoder: Decoder): void {
  udpPorts.set(port, decoder);
}
/** Tried in registration order on UDP payloads that no port claimed. */
export function registerUdpHeuristic(test: UdpHeuristic, decoder: Decoder): void {
  udpHeuristics.push({ test, decoder });
}

export function linkTypeDecoder(linkType: number): Decoder | undefined {
  return linkTypes.get(linkType);
}
export function isKnownEtherType(type: number): boolean {
  return etherTypes.has(type);
}

// What dispatch picks (undefined: the bytes stay raw), for formatters that read the bytes
// themselves and must reach the same decoder as a dissection would.
export function etherTypeDecoder(type: number): Decoder | undefined {
  return etherTypes.get(type);
}
export function ipProtocolDecoder(protocol: number): Decoder | undefined {
  return ipProtocols.get(protocol);
}
export function udpPortDecoder(port: number): Decoder | undefined {
  return udpPorts.get(port);
}
/** The first heuristic that claims the UDP payload b[off, end), if any. */
export function udpHeuristicDecoder(b: Uint8Array, off: number, end: number): Decoder | undefined {
  for (const h of udpHeuristics) if (h.test(b, off, end)) return h.decoder;
  return undefined;
}

/** Options resolved once per DecodeOptions object. */
export interface Prefs {
  /** UDP ports bound by the user (`vxlanPorts`), tried before the registered ones. */
  readonly userUdpPorts: ReadonlyMap<number, Decoder>;
  readonly heuristics: boolean;
  /** Encapsulations (VXLAN, flannel UDP) decoded one inside the other before the rest is raw. */
  readonly maxDepth: number;
}

/** One shared empty list, so that a header without options allocates none. */
export const EMPTY: readonly never[] = Object.freeze([]);

export class Dissection {
  readonly layers: Layer[] = [];
  error: DecodeError | undefined = undefined;
  /** The decoder for the bytes at `off`, or undefined when the dissection is over. */
  next: Decoder | undefined = undefined;
  /** Start of the bytes `next` decodes. */
  off = 0;
  /** End of the captured bytes that belong to them. */
  end = 0;
  /** End of the same bytes on the wire (beyond `end` when the capture was cut by snaplen). */
  wire = 0;
  /** Encapsulations entered so far. */
  depth = 0;
  /** Sum of the enclosing IP header's address words, for TCP/UDP/ICMPv6 pseudo-headers. */
  pseudo = 0;
  /** The enclosing IP packet is a fragment: L4 lengths and checksums cannot be checked. */
  fragment = false;

  constructor(
    readonly b: Uint8Array,
    readonly prefs: Prefs,
  ) {}

  handOn(next: Decoder, off: number, end: number, wire: number): void {
    this.next = next;
    this.off = off;
    this.end = end;
    this.wire = wire;
  }

  /**
   * Are `n` header bytes captured at `off`? If not, record why and stop: truncated when the
   * capture cut the packet (the bytes were on the wire), malformed when the packet itself is too
   * short. A header cut at a fragment boundary is neither: the rest is left raw.
   */
  has(layer: LayerName, n: number): boolean {
    const present = this.end - this.off;
    if (present >= n) return true;
    if (this.off + n <= this.wire) this.fail('truncated', layer, this.off, n, present, `need ${n}, have ${present}`);
    else if (this.fragment) this.raw();
    else this.fail('malformed', layer, this.off, n, present, `need ${n}, have ${present}`);
    return false;
  }

  /** Record a problem and stop. The first problem of a packet is the one kept. */
  fail(kind: DecodeErrorKind, layer: LayerName | 'link', offset: number, needed: number, present: number, message: string): void {
    this.note(kind, layer, offset, needed, present, message);
    this.next = undefined;
  }

  /** Record a problem and go on decoding what the bytes allow (as tcpdump and tshark do). */
  note(kind: DecodeErrorKind, layer: LayerName | 'link', offset: number, needed: number, present: number, message: string): void {
    this.error ??= { kind, layer, offset, needed, present: Math.max(0, present), message };
  }

  /** The captured bytes [off, end) as an undecoded layer (nothing when empty). */
  raw(): void {
    if (this.end > this.off) this.layers.push({ layer: 'raw', offset: this.off, header_length: 0, length: this.end - this.off });
    this.next = undefined;
  }

  /** Hand [off, end) on by EtherType; unknown types stay raw. */
  etherType(type: number, off: number, end: number, wire: number): void {
    this.handOn(etherTypes.get(type) ?? decodeRaw, off, end, wire);
  }

  /** Hand [off, end) on by IP protocol number; unknown protocols stay raw. */
  ipProtocol(protocol: number, off: number, end: number, wire: number): void {
    this.handOn(ipProtocols.get(protocol) ?? decodeRaw, off, end, wire);
  }

  /** Hand a UDP payload on: by destination port, then source port, then heuristics, else raw. */
  udpPayload(srcPort: number, dstPort: number, off: number, end: number, wire: number): void {
    const user = this.prefs.userUdpPorts;
    let next = user.get(dstPort) ?? user.get(srcPort) ?? udpPorts.get(dstPort) ?? udpPorts.get(srcPort);
    if (next === undefined && this.prefs.heuristics) next = udpHeuristicDecoder(this.b, off, end);
    this.handOn(next ?? decodeRaw, off, end, wire);
  }

  /** Enter an encapsulation: hand on to `next`, or leave the payload raw past maxDepth. */
  encapsulate(next: Decoder, off: number, end: number, wire: number): void {
    this.handOn(++this.depth > this.prefs.maxDepth ? decodeRaw : next, off, end, wire);
  }
}

/** Bytes no decoder claims. */
export const decodeRaw: Decoder = (d) => d.raw();
