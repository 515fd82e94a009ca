/**
 * The one-line text of the common frames written straight from the frame's bytes into the
 * output buffer: no layer objects, no strings per frame. It covers what overlay captures are made
 * of (Ethernet, VLAN tags, Linux cooked SLL/SLL2, IPv4, UDP, TCP, ICMP echo, ARP, VXLAN and
 * flannel's UDP backend, nested) and gives up on anything else: a fragment, a length that does
 * not add up, a header cut short, a bad option, an ICMP error, IPv6, an unknown EtherType. Giving
 * up writes nothing that counts, and the caller prints the frame the generic way (dissect +
 * frameText). The text must be the generic one byte for byte: test/cli/fast-text.test.ts checks
 * that on every frame of every capture at hand.
 */
import type { Frame, Source } from '../capture/frame.js';
import { sourceLabel } from '../capture/input.js';
import { prefsFor, type DecodeOptions } from '../decoders/index.js';
import { decodeArp } from '../decoders/arp.js';
import { decodeEthernet } from '../decoders/ethernet.js';
import { decodeFlannelUdp } from '../decoders/flannel-udp.js';
import { decodeIcmp } from '../decoders/icmp.js';
import { decodeIpv4 } from '../decoders/ipv4.js';
import {
  decodeRaw,
  etherTypeDecoder,
  ipProtocolDecoder,
  linkTypeDecoder,
  udpHeuristicDecoder,
  udpPortDecoder,
  type Decoder,
  type Prefs,
} from '../decoders/registry.js';
import { decodeSll, decodeSll2 } from '../decoders/sll.js';
import { decodeTcp, TCP_ACK, TCP_FLAG_TEXT } from '../decoders/tcp.js';
import { decodeUdp } from '../decoders/udp.js';
import { decodeServiceVlan, decodeVlan } from '../decoders/vlan.js';
import { decodeVxlan, decodeVxlanByHeuristic } from '../decoders/vxlan.js';
import { escapeText } from './escape.js';
import type { Output } from './output.js';
import { packetType, protocolName } from './packet-text.js';
import { clockText } from './time.js';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

// What a dispatch table entry leads to, as far as this formatter is concerned.
const NONE = 0; // no decoder: the bytes stay raw
const VLAN = 1;
const IPV4 = 2;
const ARP = 3;
const TCP = 4;
const UDP = 5;
const ICMP = 6;
const VXLAN = 7;
const VXLAN_HEURISTIC = 8;
const FLANNEL = 9;
const RAW = 10; // bound to decodeRaw on purpose (VXLAN-GPE, Geneve)
const ETHERNET = 11;
const SLL = 12;
const SLL2 = 13;
const OTHER = 14; // a decoder this formatter does not know: give up

function kindOf(d: Decoder | undefined): number {
  if (d === undefined) return NONE;
  if (d === decodeEthernet) return ETHERNET;
  if (d === decodeSll) return SLL;
  if (d === decodeSll2) return SLL2;
  if (d === decodeVlan || d === decodeServiceVlan) return VLAN;
  if (d === decodeIpv4) return IPV4;
  if (d === decodeArp) return ARP;
  if (d === decodeTcp) return TCP;
  if (d === decodeUdp) return UDP;
  if (d === decodeIcmp) return ICMP;
  if (d === decodeVxlan) return VXLAN;
  if (d === decodeVxlanByHeuristic) return VXLAN_HEURISTIC;
  if (d === decodeFlannelUdp) return FLANNEL;
  if (d === decodeRaw) return RAW;
  return OTHER;
}

// The registry's tables as arrays, made on first use (every decoder has registered by then).
let etherKinds: Uint8Array | undefined;
let protocolKinds: Uint8Array | undefined;
let portKinds: Uint8Array | undefined;

function tables(): void {
  etherKinds = new Uint8Array(65536);
  portKinds = new Uint8Array(65536);
  for (let v = 0; v < 65536; v++) {
    etherKinds[v] = kindOf(etherTypeDecoder(v));
    portKinds[v] = kindOf(udpPortDecoder(v));
  }
  protocolKinds = new Uint8Array(256);
  for (let v = 0; v < 256; v++) protocolKinds[v] = kindOf(ipProtocolDecoder(v));
}

const HEX = ascii('0123456789abcdef');
const ARROW = ascii(' > ');
const COMMA = ascii(', ');
const BAR = ascii(' | ');
const NO_TIME = ascii('--:--:--');
const VLAN_TEXT = ascii('vlan ');
const PRIORITY = ascii(' p ');
const DEI = ascii(' dei');
const IFINDEX = ascii('ifindex ');
const TTL = ascii(' ttl ');
const PROTO = ascii(' proto ');
const LEN = ascii(' len ');
const UDP_LEN = ascii(' UDP len ');
const VXLAN_VNI = ascii(' VXLAN vni ');
const FLAGS = ascii(' flags 0x');
const HEURISTIC = ascii(' (heuristic)');
const FLANNEL_UDP = ascii(' flannel-udp');
const TCP_OPEN = ascii(' TCP [');
const SEQ_AFTER_FLAGS = ascii('] seq ');
const ACK = ascii(' ack ');
const WIN = ascii(' win ');
const ECHO_REPLY = ascii(' ICMP echo reply id ');
const ECHO_REQUEST = ascii(' ICMP echo request id ');
const SEQ = ascii(' seq ');
const WHO_HAS = ascii('ARP who-has ');
const TELL = ascii(' tell ');
const REPLY = ascii('ARP reply ');
const IS_AT = ascii(' is-at ');
const GRATUITOUS = ascii(' gratuitous');
const RARP_WHO_IS = ascii('RARP who-is ');
const RARP_REPLY = ascii('RARP reply ');
const AT = ascii(' at ');
const ARP_OP = ascii('ARP op ');
const TCP_FLAGS = TCP_FLAG_TEXT.map(ascii);
const PROTOCOL_NAMES = Array.from({ length: 256 }, (_, p) => ascii(protocolName(p)));
const PACKET_TYPES = Array.from({ length: 256 }, (_, t) => ascii(packetType(t)));

/** Room for any line this formatter writes besides the source label (layers are bounded below). */
const MAX_LINE = 4096;
/** Give up beyond this many layers, well before dissect's own bound (64) could matter. */
const MAX_LAYERS = 48;
/** and beyond this many encapsulations, whatever maxDepth says (it bounds the line's length). */
const MAX_DEPTH = 6;
const MIN_ETHERTYPE = 0x0600;
const FRAGMENT_BITS = 0x3fff; // MF and the fragment offset

function put(o: Uint8Array, p: number, s: Uint8Array): number {
  for (let i = 0; i < s.length; i++) o[p + i] = s[i];
  return p + s.length;
}

/** "0000" to "9999": four digits per division. */
const QUADS = ascii(Array.from({ length: 10000 }, (_, i) => String(i).padStart(4, '0')).join(''));

/** A non-negative integer below 2^32 in decimal. */
function dec(o: Uint8Array, p: number, n: number): number {
  if (n < 10000) {
    const w = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    const r = 4 * n + 4 - w;
    for (let i = 0; i < w; i++) o[p + i] = QUADS[r + i];
    return p + w;
  }
  const w = n < 100000 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
  return digits(o, p, n, w);
}

/** The last `w` decimal digits of n (below 2^32), zeros in front. */
function digits(o: Uint8Array, p: number, n: number, w: number): number {
  let q = p + w;
  while (q - p >= 4) {
    const t = Math.floor(n / 10000);
    const r = 4 * (n - t * 10000);
    o[q - 4] = QUADS[r];
    o[q - 3] = QUADS[r + 1];
    o[q - 2] = QUADS[r + 2];
    o[q - 1] = QUADS[r + 3];
    q -= 4;
    n = t;
  }
  // 0 to 3 digits left: the last ones of n's quad
  for (let r = 4 * (n % 10000) + 3; q > p; r--) o[--q] = QUADS[r];
  return p + w;
}

// each byte value's decimal text, for addresses: up to 3 bytes at 4 * value, its length apart
const OCTETS = new Uint8Array(1024);
const OCTET_LENGTHS = new Uint8Array(256);
for (let v = 0; v < 256; v++) {
  const t = ascii(String(v));
  OCTETS.set(t, 4 * v);
  OCTET_LENGTHS[v] = t.length;
}

/** Writes three bytes and keeps the value's 1 to 3: what follows overwrites the rest. */
function octet(o: Uint8Array, p: number, v: number): number {
  const n = OCTET_LENGTHS[v];
  const at = 4 * v;
  o[p] = OCTETS[at];
  o[p + 1] = OCTETS[at + 1];
  o[p + 2] = OCTETS[at + 2];
  return p + n;
}

function mac(o: Uint8Array, p: number, b: Uint8Array, at: number): number {
  let v = b[at];
  o[p] = HEX[v >> 4];
  o[p + 1] = HEX[v & 15];
  for (let i = 1; i < 6; i++) {
    v = b[at + i];
    o[p + 3 * i - 1] = 58;
    o[p + 3 * i] = HEX[v >> 4];
    o[p + 3 * i + 1] = HEX[v & 15];
  }
  return p + 17;
}

/** Bytes as hex pairs joined by colons. */
function hexColon(o: Uint8Array, p: number, b: Uint8Array, at: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const v = b[at + i];
    if (i > 0) o[p++] = 58;
    o[p++] = HEX[v >> 4];
    o[p++] = HEX[v & 15];
  }
  return p;
}

function ipv4(o: Uint8Array, p: number, b: Uint8Array, at: number): number {
  p = octet(o, p, b[at]);
  o[p++] = 46;
  p = octet(o, p, b[at + 1]);
  o[p++] = 46;
  p = octet(o, p, b[at + 2]);
  o[p++] = 46;
  return octet(o, p, b[at + 3]);
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/**
 * Do the IPv4 or TCP options in b[from, to) end inside the header? (The decoders report an
 * option that does not; both option lists share the layout: EOL ends, NOP is one byte.)
 */
function optionsFit(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const kind = b[i];
    if (kind === 0) return true;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = i + 1 < to ? b[i + 1] : 0;
    if (length < 2 || i + length > to) return false;
    i += length;
  }
  return true;
}

/** What a source's frames share: its escaped label, and the decoder of its link type. */
interface SourceInfo {
  source: Source;
  node: string;
  iface: string;
  label: Uint8Array;
  link: number;
}

/** Writes frames' lines for one set of decode options; `line` returns false to leave a frame to the generic path. */
export class FastText {
  private readonly prefs: Prefs;
  /** UDP ports bound by the options (dispatch kinds, 0 for none). */
  private readonly userPorts = new Uint8Array(65536);
  /** By source id: merged inputs interleave their sources frame by frame. */
  private readonly sources: (SourceInfo | undefined)[] = [];
  private lastSec = NaN;
  private hms: Uint8Array = NO_TIME;
  // per frame: encapsulations entered and layers passed
  private depth = 0;
  private layers = 0;

  constructor(opts: DecodeOptions) {
    if (etherKinds === undefined) tables();
    this.prefs = prefsFor(opts);
    for (const [port, d] of this.prefs.userUdpPorts) this.userPorts[port] = kindOf(d);
  }

  /** Write the frame's whole line (newline included) into `out`; false if it is not a frame this covers. */
  line(f: Frame, out: Output): boolean {
    const source = this.source(f.source);
    const label = source.label;
    out.reserve(label.length + MAX_LINE);
    const o = out.buf;
    let p = this.time(o, out.pos, f);
    if (p < 0) return false;
    o[p++] = 32;
    p = put(o, p, label);
    o[p++] = 32;
    const b = f.bytes;
    // as dissect: the FCS is not part of the packet
    const wire = Math.max(0, Math.max(f.len, f.caplen) - f.source.fcsLength);
    const end = Math.min(b.length, wire);
    this.depth = 0;
    this.layers = 0;
    switch (source.link) {
      case ETHERNET:
        p = this.ethernet(o, p, b, 0, end, wire);
        break;
      case SLL2:
        p = this.sll2(o, p, b, end, wire);
        break;
      case SLL:
        p = this.sll(o, p, b, end, wire);
        break;
      case IPV4:
        p = this.ipv4(o, p, b, 0, end, wire);
        break;
      default:
        return false;
    }
    if (p < 0) return false;
    o[p++] = 10;
    out.pos = p;
    return true;
  }

  private source(s: Source): SourceInfo {
    let i = this.sources[s.id];
    if (i === undefined || i.source !== s || i.node !== s.node || i.iface !== s.iface) {
      // a new source, or one renamed
      const label = ascii(escapeText(sourceLabel(s)));
      i = { source: s, node: s.node, iface: s.iface, label, link: kindOf(linkTypeDecoder(s.linkType)) };
      this.sources[s.id] = i;
    }
    return i;
  }

  /** timeOfDay's text; -1 for a fraction out of range (which timeOfDay prints otherwise). */
  private time(o: Uint8Array, p: number, f: Frame): number {
    if (f.noTimestamp) return put(o, p, NO_TIME);
    const sec = f.tsSec;
    if (sec !== this.lastSec) {
      this.hms = ascii(clockText(sec));
      this.lastSec = sec;
    }
    const ns = f.tsNsec;
    if (!(ns >= 0 && ns < 1e9 && Number.isInteger(ns))) return -1;
    p = put(o, p, this.hms);
    o[p++] = 46;
    return f.source.tsUnitsPerSec > 1e6 ? digits(o, p, ns, 9) : digits(o, p, Math.floor(ns / 1000), 6);
  }

  /** `src > dst, ...`: an Ethernet II frame at `at`. */
  private ethernet(o: Uint8Array, p: number, b: Uint8Array, at: number, end: number, wire: number): number {
    if (end - at < 14 || ++this.layers > MAX_LAYERS) return -1;
    const type = u16(b, at + 12);
    if (type < MIN_ETHERTYPE) return -1; // 802.3 + LLC
    p = mac(o, p, b, at + 6);
    p = put(o, p, ARROW);
    p = mac(o, p, b, at);
    return this.etherPayload(o, p, type, b, at + 14, end, wire);
  }

  /** `ifindex N In[ address], ...` */
  private sll2(o: Uint8Array, p: number, b: Uint8Array, end: number, wire: number): number {
    if (end < 20) return -1;
    const protocol = u16(b, 0);
    if (protocol < MIN_ETHERTYPE) return -1;
    this.layers++;
    p = put(o, p, IFINDEX);
    p = dec(o, p, u32(b, 4));
    o[p++] = 32;
    p = put(o, p, PACKET_TYPES[b[10]]);
    p = this.address(o, p, b, 12, b[11]);
    return this.etherPayload(o, p, protocol, b, 20, end, wire);
  }

  /** `In[ address], ...` */
  private sll(o: Uint8Array, p: number, b: Uint8Array, end: number, wire: number): number {
    if (end < 16) return -1;
    const type = u16(b, 0);
    const protocol = u16(b, 14);
    if (type > 255 || protocol < MIN_ETHERTYPE) return -1;
    this.layers++;
    p = put(o, p, PACKET_TYPES[type]);
    p = this.address(o, p, b, 6, u16(b, 4));
    return this.etherPayload(o, p, protocol, b, 16, end, wire);
  }

  /** An SLL address field: MAC form when 6 bytes long, else hex of at most its 8 bytes. */
  private address(o: Uint8Array, p: number, b: Uint8Array, at: number, length: number): number {
    if (length === 0) return p;
    o[p++] = 32;
    return length === 6 ? mac(o, p, b, at) : hexColon(o, p, b, at, Math.min(length, 8));
  }

  /** `, vlan V, ..., NETWORK`: what an EtherType announces, after the link part. */
  private etherPayload(o: Uint8Array, p: number, type: number, b: Uint8Array, at: number, end: number, wire: number): number {
    for (;;) {
      const kind = etherKinds![type];
      p = put(o, p, COMMA);
      if (kind === IPV4) return this.ipv4(o, p, b, at, end, wire);
      if (kind === ARP) return this.arp(o, p, b, at, end);
      if (kind !== VLAN || end - at < 4 || ++this.layers > MAX_LAYERS) return -1;
      const tci = u16(b, at);
      p = put(o, p, VLAN_TEXT);
      p = dec(o, p, tci & 0xfff);
      if (tci >> 13) {
        p = put(o, p, PRIORITY);
        o[p++] = 48 + (tci >> 13);
      }
      if (tci & 0x1000) p = put(o, p, DEI);
      type = u16(b, at + 2);
      at += 4;
    }
  }

  /** `src[:port] > dst[:port] L4 ...[ ttl N]`: an IPv4 packet at `at` that is not a fragment. */
  private ipv4(o: Uint8Array, p: number, b: Uint8Array, at: number, end: number, wire: number): number {
    if (end - at < 20 || ++this.layers > MAX_LAYERS) return -1;
    const vihl = b[at];
    const ihl = (vihl & 15) * 4;
    if (vihl >> 4 !== 4 || ihl < 20 || end - at < ihl) return -1;
    const total = u16(b, at + 2);
    // total length 0 in a longer frame: a GSO/BIG TCP super-packet, the rest of the frame
    const fromFrame = total === 0 && wire - at > ihl;
    if (!fromFrame && total < ihl) return -1;
    const ipWire = fromFrame ? wire : at + total;
    if (ipWire > wire || u16(b, at + 6) & FRAGMENT_BITS) return -1;
    if (ihl > 20 && !optionsFit(b, at + 20, at + ihl)) return -1;
    const protocol = b[at + 9];
    const ttl = b[at + 8];
    const l4 = at + ihl;
    const l4End = Math.min(end, ipWire);
    const kind = protocolKinds![protocol];
    if (kind === UDP) return this.udp(o, p, b, at, ttl, l4, l4End, ipWire);
    if (kind === TCP) {
      if (l4End - l4 < 20) return -1;
      const hl = (b[l4 + 12] >> 4) * 4;
      if (hl < 20 || l4End - l4 < hl || (hl > 20 && !optionsFit(b, l4 + 20, l4 + hl))) return -1;
      this.layers += 2; // and the payload
      p = this.endpoints(o, p, b, at, l4);
      p = put(o, p, TCP_OPEN);
      const flags = ((b[l4 + 12] & 15) << 8) | b[l4 + 13];
      p = put(o, p, TCP_FLAGS[flags & 0x1ff]);
      p = put(o, p, SEQ_AFTER_FLAGS);
      p = dec(o, p, u32(b, l4 + 4));
      if (flags & TCP_ACK) {
        p = put(o, p, ACK);
        p = dec(o, p, u32(b, l4 + 8));
      }
      p = put(o, p, WIN);
      p = dec(o, p, u16(b, l4 + 14));
      p = put(o, p, LEN);
      p = dec(o, p, ipWire - l4 - hl);
    } else if (kind === ICMP) {
      if (l4End - l4 < 8) return -1;
      const type = b[l4];
      if (type !== 0 && type !== 8) return -1;
      this.layers++;
      p = ipv4(o, p, b, at + 12);
      p = put(o, p, ARROW);
      p = ipv4(o, p, b, at + 16);
      p = put(o, p, type === 8 ? ECHO_REQUEST : ECHO_REPLY);
      p = dec(o, p, u16(b, l4 + 4));
      p = put(o, p, SEQ);
      p = dec(o, p, u16(b, l4 + 6));
    } else if (kind === NONE) {
      this.layers++;
      p = ipv4(o, p, b, at + 12);
      p = put(o, p, ARROW);
      p = ipv4(o, p, b, at + 16);
      p = put(o, p, PROTO);
      p = put(o, p, PROTOCOL_NAMES[protocol]);
      p = put(o, p, LEN);
      p = dec(o, p, ipWire - at - ihl);
    } else return -1;
    p = put(o, p, TTL);
    return dec(o, p, ttl);
  }

  /** `src:port > dst:port ` of the IPv4 header at `ip` and the ports at `l4`. */
  private endpoints(o: Uint8Array, p: number, b: Uint8Array, ip: number, l4: number): number {
    p = ipv4(o, p, b, ip + 12);
    o[p++] = 58;
    p = dec(o, p, u16(b, l4));
    p = put(o, p, ARROW);
    p = ipv4(o, p, b, ip + 16);
    o[p++] = 58;
    return dec(o, p, u16(b, l4 + 2));
  }

  /** A UDP datagram at `at`: `UDP len N ttl T`, or a tunnel and, after ` | `, what it carries. */
  private udp(o: Uint8Array, p: number, b: Uint8Array, ip: number, ttl: number, at: number, end: number, wire: number): number {
    if (end - at < 8) return -1;
    const length = u16(b, at + 4);
    if ((length !== 0 && length < 8) || at + length > wire) return -1;
    // the length field trims the IP payload; 0 (BIG TCP) leaves it whole
    const udpWire = length !== 0 ? at + length : wire;
    const src = u16(b, at);
    const dst = u16(b, at + 2);
    const off = at + 8;
    const payloadEnd = Math.min(end, udpWire);
    // the order of Dissection.udpPayload: the options' ports, then the registered ones, then heuristics
    const user = this.userPorts;
    let kind = user[dst] || user[src] || portKinds![dst] || portKinds![src];
    if (kind === NONE && this.prefs.heuristics) kind = kindOf(udpHeuristicDecoder(b, off, payloadEnd));
    this.layers++;
    p = this.endpoints(o, p, b, ip, at);
    if (kind === VXLAN || kind === VXLAN_HEURISTIC) {
      if (payloadEnd - off < 8 || ++this.depth > Math.min(this.prefs.maxDepth, MAX_DEPTH)) return -1;
      this.layers++;
      p = put(o, p, VXLAN_VNI);
      p = dec(o, p, (b[off + 4] << 16) | (b[off + 5] << 8) | b[off + 6]);
      const flags = b[off];
      if (flags !== 0x08) {
        p = put(o, p, FLAGS);
        o[p++] = HEX[flags >> 4];
        o[p++] = HEX[flags & 15];
      }
      if (kind === VXLAN_HEURISTIC) p = put(o, p, HEURISTIC);
      p = put(o, p, BAR);
      return this.ethernet(o, p, b, off + 8, payloadEnd, udpWire);
    }
    // flannel's UDP backend carries an IPv4 packet as it is; anything else there stays raw
    if (kind === FLANNEL && payloadEnd > off && b[off] >> 4 === 4) {
      if (++this.depth > Math.min(this.prefs.maxDepth, MAX_DEPTH)) return -1;
      p = put(o, p, FLANNEL_UDP);
      p = put(o, p, BAR);
      return this.ipv4(o, p, b, off, payloadEnd, udpWire);
    }
    if (kind !== NONE && kind !== RAW && kind !== FLANNEL) return -1;
    this.layers++;
    p = put(o, p, UDP_LEN);
    p = dec(o, p, udpWire - off);
    p = put(o, p, TTL);
    return dec(o, p, ttl);
  }

  /** ARP and RARP between MAC and IPv4 addresses (other address kinds: give up). */
  private arp(o: Uint8Array, p: number, b: Uint8Array, at: number, end: number): number {
    if (end - at < 28 || b[at + 4] !== 6 || b[at + 5] !== 4 || u16(b, at + 2) !== 0x0800) return -1;
    this.layers++;
    const op = u16(b, at + 6);
    const sha = at + 8;
    const spa = at + 14;
    const tha = at + 18;
    const tpa = at + 24;
    const same = b[spa] === b[tpa] && b[spa + 1] === b[tpa + 1] && b[spa + 2] === b[tpa + 2] && b[spa + 3] === b[tpa + 3];
    if (op === 1) {
      p = put(o, p, WHO_HAS);
      p = ipv4(o, p, b, tpa);
      p = put(o, p, TELL);
      p = ipv4(o, p, b, spa);
    } else if (op === 2) {
      p = put(o, p, REPLY);
      p = ipv4(o, p, b, spa);
      p = put(o, p, IS_AT);
      p = mac(o, p, b, sha);
    } else if (op === 3) {
      p = put(o, p, RARP_WHO_IS);
      p = mac(o, p, b, tha);
      p = put(o, p, TELL);
      return mac(o, p, b, sha);
    } else if (op === 4) {
      p = put(o, p, RARP_REPLY);
      p = mac(o, p, b, tha);
      p = put(o, p, AT);
      return ipv4(o, p, b, tpa);
    } else {
      p = put(o, p, ARP_OP);
      return dec(o, p, op);
    }
    return same ? put(o, p, GRATUITOUS) : p;
  }
}
