/**
 * The trace's view of a frame: one pass over the bytes that keeps only what correlation, hop
 * ordering and the findings need (addresses as numbers, the identity fields, the outer tunnel
 * summary), and never a copy of the bytes. Link layers: Ethernet (+802.1Q/802.1ad), Linux SLL
 * and SLL2, raw IPv4, BSD loopback; tunnels: VXLAN (4789, 8472, --vxlan-port, and a strict
 * header heuristic) and flannel's UDP backend (8285, a bare IPv4 packet in UDP), nested to any
 * depth up to 4 (the innermost packet is the one traced, the outermost tunnel the one shown).
 *
 * This is deliberately not the general decoder (src/decoders): it allocates one object per
 * IPv4 frame and nothing else, which is what lets `trace` keep pace with `tcpdump -nn`.
 */
import type { Frame, Source } from '../capture/frame.js';
import { FrameRecord, LinkType } from '../capture/frame.js';
import { macAt } from './addr.js';

export interface ExtractOptions {
  /** UDP ports decoded as VXLAN besides 4789 and 8472. */
  readonly vxlanPorts?: readonly number[];
  /** Recognise VXLAN on other UDP ports by a strict header check (default true). */
  readonly heuristics?: boolean;
  /** UDP ports of flannel's UDP backend (default [8285]). */
  readonly udpBackendPorts?: readonly number[];
  /** Verify IPv4 header and TCP/UDP checksums (analyze; costs a pass over each payload). */
  readonly checksums?: boolean;
}

export const ENC_NONE = 0;
export const ENC_VXLAN = 1;
export const ENC_UDP = 2;

/** Checksum status: not checked, good, bad, absent (UDP 0), partial (offload: pseudo-header only). */
export const CK_UNKNOWN = 0;
export const CK_GOOD = 1;
export const CK_BAD = 2;
export const CK_NONE = 3;
export const CK_PARTIAL = 4;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Obs.l4bits: the protocol's fields in l4a/l4b are present. */
const L4_FIELDS = 1 << 28;

/** The outermost tunnel of a sighting (only tunnelled sightings have one). */
export class Outer {
  /** Addresses as signed 32-bit numbers: read `src` and `dst`. */
  src32 = 0;
  dst32 = 0;
  get src(): number {
    return this.src32 >>> 0;
  }
  get dst(): number {
    return this.dst32 >>> 0;
  }
  sport = -1;
  dport = -1;
  ttl = -1;
  id = -1;
  len = -1;
  df = false;
  vni = -1;
  flags = -1;
  /** VXLAN reserved fields not zero. */
  reserved = false;
  /** Recognised by the heuristic, not by port. */
  heuristic = false;
  macSrc = -1;
  macDst = -1;
  udpCk = CK_UNKNOWN;
  ipCk = CK_UNKNOWN;
  /** Tunnels nested inside this one. */
  depth = 0;

  /** Back to a new Outer's values (for the one reused by `extract(f, ports, into)`). */
  reset(): Outer {
    this.src32 = 0;
    this.dst32 = 0;
    this.sport = -1;
    this.dport = -1;
    this.ttl = -1;
    this.id = -1;
    this.len = -1;
    this.df = false;
    this.vni = -1;
    this.flags = -1;
    this.reserved = false;
    this.heuristic = false;
    this.macSrc = -1;
    this.macDst = -1;
    this.udpCk = CK_UNKNOWN;
    this.ipCk = CK_UNKNOWN;
    this.depth = 0;
    return this;
  }
}

/** The Outer of the sighting `extract` refills (`into`): one, since that sighting is used before the next frame. */
const reusedOuter = new Outer();

/** The header an ICMP error quotes. */
export class Quoted {
  src = 0;
  dst = 0;
  proto = -1;
  id = -1;
  sport = -1;
  dport = -1;
  /** Next-hop MTU of a fragmentation-needed (-1 otherwise). */
  mtu = -1;
}

/**
 * One sighting of an IPv4 packet on one interface. Every number is -1 when absent. Kept small,
 * because every sighting lives until its packet's window closes and so is copied out of V8's
 * young generation: small header fields are packed into a few 32-bit words (read through the
 * getters below), addresses and TCP sequence numbers are kept as signed 32-bit numbers (a
 * number above 2^31 in a field is a separate heap object), the tunnel and quoted headers are
 * separate objects.
 */
export class Obs {
  /** Corrected time: ns since the run's base second, minus the node's clock offset. */
  t = 0;
  // link layer (of the innermost frame: inside a tunnel, the inner Ethernet header)
  macSrc = -1;
  macDst = -1;
  /** SLL/SLL2 packet type (0 to us, 1 broadcast, 2 multicast, 3 other host, 4 outgoing). */
  pktType = -1;
  out: Outer | undefined = undefined;
  /** The (innermost) IPv4 addresses as signed 32-bit numbers: read `src` and `dst`. */
  src32 = 0;
  dst32 = 0;
  /** ttl | proto << 8 | enc << 16 | mf << 18 | df << 19 | truncated << 20 | ipCk << 21 | l4Ck << 24 */
  bits = 0;
  /** IP identification | fragment offset in 8-byte units << 16 */
  idFrag = 0;
  /** (TCP flags + 1) | (ICMP type + 1) << 10 | (ICMP code + 1) << 19 | L4_FIELDS */
  l4bits = 0;
  sport = -1;
  dport = -1;
  /** With L4_FIELDS, by protocol: TCP seq and ack (signed 32-bit), UDP length, ICMP id and sequence. */
  l4a = 0;
  l4b = 0;
  /** IPv4 total length (from the frame when the header says 0: GSO/BIG TCP). */
  ipLen = 0;
  /** Bytes of L4 payload (TCP/UDP data, ICMP data after the 8-byte header). */
  l4len = -1;
  q: Quoted | undefined = undefined;
  /** Hash of the first 64 bytes of L4 payload (payloadHash; signed 32-bit: no boxed double). */
  hash = 0;
  /** Identity hash (see identity.ts; signed 32-bit). */
  key = 0;
  /** The ARP reply this packet waited for, on the same interface (set by the topology). */
  arp: ArpObs | undefined = undefined;
  /**
   * This object is refilled for every frame (the engine's scratch sighting, see
   * sighting-columns.ts `fillRow`): whoever keeps a sighting beyond the frame calls `keep()`.
   */
  scratch = false;

  constructor(
    // (written only by the constructor, and by fillRow for the scratch sighting)
    public source: Source,
    public frame: number,
    public sec: number,
    public nsec: number,
    /** Length on the wire. */
    public wireLen: number,
  ) {}

  /** Back to a new sighting's values, for another frame (the object `extract(f, ports, into)` refills). */
  reset(source: Source, frame: number, sec: number, nsec: number, wireLen: number): Obs {
    this.source = source;
    this.frame = frame;
    this.sec = sec;
    this.nsec = nsec;
    this.wireLen = wireLen;
    this.t = 0;
    this.macSrc = -1;
    this.macDst = -1;
    this.pktType = -1;
    this.out = undefined;
    this.src32 = 0;
    this.dst32 = 0;
    this.bits = 0;
    this.idFrag = 0;
    this.l4bits = 0;
    this.sport = -1;
    this.dport = -1;
    this.l4a = 0;
    this.l4b = 0;
    this.ipLen = 0;
    this.l4len = -1;
    this.q = undefined;
    this.hash = 0;
    this.key = 0;
    this.arp = undefined;
    return this;
  }

  /** This sighting, to keep: itself, or a copy when it is the scratch sighting. */
  keep(): Obs {
    return this.scratch ? this.copy() : this;
  }

  /** A copy of this sighting (its outer header and quoted packet copied too). */
  copy(): Obs {
    return new Obs(this.source, this.frame, this.sec, this.nsec, this.wireLen).copyFrom(this);
  }

  /** Become a copy of `o` (this object's outer header and quoted packet reused, if it has them). */
  copyFrom(o: Obs): Obs {
    this.source = o.source;
    this.frame = o.frame;
    this.sec = o.sec;
    this.nsec = o.nsec;
    this.wireLen = o.wireLen;
    this.t = o.t;
    this.macSrc = o.macSrc;
    this.macDst = o.macDst;
    this.pktType = o.pktType;
    this.src32 = o.src32;
    this.dst32 = o.dst32;
    this.bits = o.bits;
    this.idFrag = o.idFrag;
    this.l4bits = o.l4bits;
    this.sport = o.sport;
    this.dport = o.dport;
    this.l4a = o.l4a;
    this.l4b = o.l4b;
    this.ipLen = o.ipLen;
    this.l4len = o.l4len;
    this.hash = o.hash;
    this.key = o.key;
    this.arp = o.arp;
    this.out = o.out ? Object.assign(this.out ?? new Outer(), o.out) : undefined;
    this.q = o.q ? Object.assign(this.q ?? new Quoted(), o.q) : undefined;
    return this;
  }

  get src(): number {
    return this.src32 >>> 0;
  }
  get dst(): number {
    return this.dst32 >>> 0;
  }
  get ttl(): number {
    return this.bits & 255;
  }
  get proto(): number {
    return (this.bits >>> 8) & 255;
  }
  get enc(): number {
    return (this.bits >>> 16) & 3;
  }
  get mf(): boolean {
    return (this.bits & (1 << 18)) !== 0;
  }
  get df(): boolean {
    return (this.bits & (1 << 19)) !== 0;
  }
  /** The capture was cut before the end of the packet (snaplen). */
  get truncated(): boolean {
    return (this.bits & (1 << 20)) !== 0;
  }
  get ipCk(): number {
    return (this.bits >>> 21) & 7;
  }
  get l4Ck(): number {
    return (this.bits >>> 24) & 7;
  }
  get id(): number {
    return this.idFrag & 0xffff;
  }
  /** Fragment offset in bytes. */
  get frag(): number {
    return (this.idFrag >>> 16) * 8;
  }
  get flags(): number {
    return (this.l4bits & 0x3ff) - 1;
  }
  get icmpType(): number {
    return ((this.l4bits >>> 10) & 0x1ff) - 1;
  }
  get icmpCode(): number {
    return ((this.l4bits >>> 19) & 0x1ff) - 1;
  }
  get seq(): number {
    return (this.l4bits & L4_FIELDS) !== 0 && this.proto === PROTO_TCP ? this.l4a >>> 0 : -1;
  }
  get ack(): number {
    return (this.l4bits & L4_FIELDS) !== 0 && this.proto === PROTO_TCP ? this.l4b >>> 0 : -1;
  }
  get udpLen(): number {
    return (this.l4bits & L4_FIELDS) !== 0 && this.proto === PROTO_UDP ? this.l4a : -1;
  }
  get icmpId(): number {
    return (this.l4bits & L4_FIELDS) !== 0 && this.proto === PROTO_ICMP ? this.l4a : -1;
  }
  get icmpSeq(): number {
    return (this.l4bits & L4_FIELDS) !== 0 && this.proto === PROTO_ICMP ? this.l4b : -1;
  }

  get kind(): 1 {
    return 1;
  }
  // the outer header (0 / -1 / false without a tunnel)
  get oSrc(): number {
    return this.out ? this.out.src : 0;
  }
  get oDst(): number {
    return this.out ? this.out.dst : 0;
  }
  get oSport(): number {
    return this.out ? this.out.sport : -1;
  }
  get oDport(): number {
    return this.out ? this.out.dport : -1;
  }
  get oTtl(): number {
    return this.out ? this.out.ttl : -1;
  }
  get oId(): number {
    return this.out ? this.out.id : -1;
  }
  get oLen(): number {
    return this.out ? this.out.len : -1;
  }
  get vni(): number {
    return this.out ? this.out.vni : -1;
  }
  get vxFlags(): number {
    return this.out ? this.out.flags : -1;
  }
  get vxReserved(): boolean {
    return this.out ? this.out.reserved : false;
  }
  get vxHeuristic(): boolean {
    return this.out ? this.out.heuristic : false;
  }
  get oMacSrc(): number {
    return this.out ? this.out.macSrc : -1;
  }
  get oMacDst(): number {
    return this.out ? this.out.macDst : -1;
  }
  get oUdpCk(): number {
    return this.out ? this.out.udpCk : CK_UNKNOWN;
  }
  get oIpCk(): number {
    return this.out ? this.out.ipCk : CK_UNKNOWN;
  }
  // the quoted header of an ICMP error (-1 without one)
  get qSrc(): number {
    return this.q ? this.q.src : -1;
  }
  get qDst(): number {
    return this.q ? this.q.dst : -1;
  }
  get qProto(): number {
    return this.q ? this.q.proto : -1;
  }
  get qId(): number {
    return this.q ? this.q.id : -1;
  }
  get qSport(): number {
    return this.q ? this.q.sport : -1;
  }
  get qDport(): number {
    return this.q ? this.q.dport : -1;
  }
  get icmpMtu(): number {
    return this.q ? this.q.mtu : -1;
  }
}

/** One sighting of an ARP packet. */
export class ArpObs {
  t = 0;
  macSrc = -1;
  macDst = -1;
  pktType = -1;
  /** Seen inside a tunnel. */
  encap = false;
  /** For a reply: the frame (same interface) of the first packet sent to the resolved address after it. */
  usedBy = -1;
  get kind(): 2 {
    return 2;
  }
  constructor(
    readonly source: Source,
    readonly frame: number,
    readonly sec: number,
    readonly nsec: number,
    readonly op: number,
    readonly sha: number,
    readonly spa: number,
    readonly tha: number,
    readonly tpa: number,
  ) {}
}

const DEFAULT_VXLAN = [4789, 8472];

/** Port sets as lookup tables. */
export class Ports {
  readonly vxlan = new Uint8Array(65536);
  readonly udp = new Uint8Array(65536);
  readonly heuristics: boolean;
  readonly checksums: boolean;
  /** The same options in words: sightings extracted elsewhere (the reader thread) are used only when it matches. */
  readonly key: string;
  constructor(readonly options: ExtractOptions = {}) {
    const o = options;
    for (const p of DEFAULT_VXLAN) this.vxlan[p] = 1;
    for (const p of o.vxlanPorts ?? []) this.vxlan[p] = 1;
    for (const p of o.udpBackendPorts ?? [8285]) this.udp[p] = 1;
    this.heuristics = o.heuristics !== false;
    this.checksums = o.checksums === true;
    const list = (a: readonly number[]): string => [...a].sort((x, y) => x - y).join(',');
    this.key = `vxlan ${list(o.vxlanPorts ?? [])} udp ${list(o.udpBackendPorts ?? [8285])} heuristics ${this.heuristics} checksums ${this.checksums}`;
  }
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
/** The same four bytes as a signed 32-bit number (what the packed fields keep). */
function i32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

/**
 * A 32-bit hash of b[from, to): FNV-1a taken four bytes at a time, with a shift that carries
 * each word's high bits down (a quarter of the byte-wise multiplications, which were a third
 * of `extract`). Every step is a bijection of the state, so payloads that differ in one word
 * always hash apart.
 */
export function payloadHash(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    h = Math.imul(h ^ ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]), 0x01000193);
    h ^= h >>> 15;
  }
  for (; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h | 0;
}

/** Ones-complement sum of b[from, to) (not folded, not inverted). */
function sum16(b: Uint8Array, from: number, to: number, acc: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (i < to) acc += b[i] << 8;
  return acc;
}
function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Status of a TCP/UDP checksum at `ckAt` over the segment [l4, end). */
function l4Checksum(b: Uint8Array, src: number, dst: number, proto: number, l4: number, end: number, ckAt: number): number {
  const field = u16(b, ckAt);
  if (proto === PROTO_UDP && field === 0) return CK_NONE;
  const len = end - l4;
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
  const total = fold(sum16(b, l4, end, pseudo));
  if (total === 0xffff) return CK_GOOD;
  // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, to be completed by the NIC
  const p = fold(pseudo);
  if (field === p || field === (~p & 0xffff)) return CK_PARTIAL;
  return CK_BAD;
}

/**
 * What one frame says to the trace: an Obs for IPv4 (innermost packet), an ArpObs for ARP,
 * undefined for anything else (IPv6, LLDP, truncated headers).
 */
export function extract(f: Frame, ports: Ports, into?: Obs): Obs | ArpObs | undefined {
  // positions are in the reader's chunk when there is one: no view object per frame
  let b: Uint8Array;
  let base: number;
  if (f instanceof FrameRecord) {
    b = f.chunk;
    base = f.start;
  } else {
    b = f.bytes;
    base = 0;
  }
  const s = f.source;
  const n = f.caplen - s.fcsLength;
  const end = base + n;
  let p = base;
  let et = -1;
  let macS = -1;
  let macD = -1;
  let pkt = -1;
  switch (s.linkType) {
    case LinkType.ETHERNET:
      if (n < 14) return undefined;
      macD = macAt(b, p);
      macS = macAt(b, p + 6);
      et = u16(b, p + 12);
      p += 14;
      break;
    case LinkType.LINUX_SLL2:
      if (n < 20) return undefined;
      et = u16(b, p);
      pkt = b[p + 10];
      if (b[p + 11] === 6) macS = macAt(b, p + 12);
      p += 20;
      break;
    case LinkType.LINUX_SLL:
      if (n < 16) return undefined;
      pkt = u16(b, p);
      if (u16(b, p + 4) === 6) macS = macAt(b, p + 6);
      et = u16(b, p + 14);
      p += 16;
      break;
    case LinkType.RAW_101:
    case LinkType.RAW:
      if (n < 1 || b[p] >> 4 !== 4) return undefined;
      et = 0x0800;
      break;
    case LinkType.NULL: {
      if (n < 4) return undefined;
      const fam = b[p] | b[p + 1] | b[p + 2] | b[p + 3];
      if (fam !== 2) return undefined;
      et = 0x0800;
      p += 4;
      break;
    }
    default:
      return undefined;
  }
  let vlan = -1;
  while (et === 0x8100 || et === 0x88a8) {
    if (p + 4 > end) return undefined;
    if (vlan < 0) vlan = u16(b, p) & 0xfff;
    et = u16(b, p + 2);
    p += 4;
  }
  if (et === 0x0806) {
    const a = arpAt(f, b, p, end);
    if (a) {
      a.macSrc = macS;
      a.macDst = macD;
      a.pktType = pkt;
    }
    return a;
  }
  if (et !== 0x0800) return undefined;
  // `into`: refill that object (and one Outer) instead of making new ones, for a caller that is
  // done with the sighting before the next frame (the reader thread, which only packs it)
  const o = into ? into.reset(s, f.number, f.tsSec, f.tsNsec, f.len) : new Obs(s, f.number, f.tsSec, f.tsNsec, f.len);
  o.macSrc = macS;
  o.macDst = macD;
  o.pktType = pkt;
  let encAt0 = ENC_NONE;
  // On-the-wire end of the frame, for packets whose length field is 0 (GSO/BIG TCP).
  const wireEnd = base + f.len - s.fcsLength;
  for (let depth = 0; ; depth++) {
    if (p + 20 > end) return undefined;
    const vihl = b[p];
    if (vihl >> 4 !== 4) return undefined;
    const ihl = (vihl & 15) * 4;
    if (ihl < 20 || p + ihl > end) return undefined;
    const tot = u16(b, p + 2);
    let ipLen = tot === 0 ? wireEnd - p : tot < ihl ? ihl : tot;
    if (ipLen < ihl) ipLen = ihl;
    const ipEnd = Math.min(end, p + ipLen);
    const ff = u16(b, p + 6);
    const frag = (ff & 0x1fff) * 8;
    const mf = (ff & 0x2000) !== 0;
    const proto = b[p + 9];
    const l4 = p + ihl;
    // a tunnel?
    if (proto === PROTO_UDP && frag === 0 && !mf && l4 + 8 <= ipEnd && depth < 4) {
      const sp = u16(b, l4);
      const dp = u16(b, l4 + 2);
      const u = l4 + 8;
      let inner = -1;
      let enc = ENC_NONE;
      let heur = false;
      if ((ports.vxlan[dp] || ports.vxlan[sp]) && u + 8 + 14 <= ipEnd) {
        enc = ENC_VXLAN;
      } else if ((ports.udp[dp] || ports.udp[sp]) && u + 20 <= ipEnd && b[u] >> 4 === 4) {
        enc = ENC_UDP;
        inner = u;
      } else if (
        ports.heuristics &&
        dp !== 4790 &&
        sp !== 4790 &&
        u + 8 + 14 + 20 <= ipEnd &&
        b[u] === 0x08 &&
        b[u + 1] === 0 &&
        b[u + 2] === 0 &&
        b[u + 3] === 0 &&
        b[u + 7] === 0 &&
        u16(b, u + 8 + 12) === 0x0800 &&
        b[u + 8 + 14] >> 4 === 4 &&
        (b[u + 8 + 14] & 15) >= 5 &&
        u16(b, l4 + 4) === p + ipLen - l4
      ) {
        enc = ENC_VXLAN;
        heur = true;
      }
      if (enc !== ENC_NONE) {
        if (depth === 0) {
          encAt0 = enc;
          const t = (o.out = into ? reusedOuter.reset() : new Outer());
          t.src32 = i32(b, p + 12);
          t.dst32 = i32(b, p + 16);
          t.sport = sp;
          t.dport = dp;
          t.ttl = b[p + 8];
          t.id = u16(b, p + 4);
          t.len = ipLen;
          t.df = (ff & 0x4000) !== 0;
          t.macSrc = macS;
          t.macDst = macD;
          t.heuristic = heur;
          if (ports.checksums) {
            t.ipCk = fold(sum16(b, p, p + ihl, 0)) === 0xffff ? CK_GOOD : CK_BAD;
            if (tot !== 0 && p + ipLen <= end) t.udpCk = l4Checksum(b, t.src32 >>> 0, t.dst32 >>> 0, PROTO_UDP, l4, p + ipLen, l4 + 6);
          }
        } else o.out!.depth = depth;
        if (enc === ENC_VXLAN) {
          if (depth === 0) {
            const t = o.out!;
            t.flags = b[u];
            t.vni = (b[u + 4] << 16) | (b[u + 5] << 8) | b[u + 6];
            t.reserved = (b[u + 1] | b[u + 2] | b[u + 3] | b[u + 7]) !== 0;
          }
          // the inner Ethernet frame
          let q = u + 8;
          o.macDst = macAt(b, q);
          o.macSrc = macAt(b, q + 6);
          let iet = u16(b, q + 12);
          q += 14;
          while (iet === 0x8100 || iet === 0x88a8) {
            if (q + 4 > ipEnd) return undefined;
            iet = u16(b, q + 2);
            q += 4;
          }
          if (iet === 0x0806) {
            const a = arpAt(f, b, q, ipEnd);
            if (a) {
              a.macSrc = o.macSrc;
              a.macDst = o.macDst;
              a.encap = true;
            }
            return a;
          }
          if (iet !== 0x0800) return undefined;
          inner = q;
        } else {
          o.macSrc = -1;
          o.macDst = -1;
        }
        p = inner;
        continue;
      }
    }
    // the traced packet
    const src = u32(b, p + 12);
    const dst = u32(b, p + 16);
    o.src32 = src | 0;
    o.dst32 = dst | 0;
    o.idFrag = u16(b, p + 4) | ((ff & 0x1fff) << 16);
    o.ipLen = ipLen;
    const truncated = p + ipLen > end;
    let bits = b[p + 8] | (proto << 8) | (encAt0 << 16) | (mf ? 1 << 18 : 0) | (ff & 0x4000 ? 1 << 19 : 0) | (truncated ? 1 << 20 : 0);
    if (ports.checksums) bits |= (fold(sum16(b, p, p + ihl, 0)) === 0xffff ? CK_GOOD : CK_BAD) << 21;
    let l4bits = 0;
    let pay = l4;
    if (frag === 0) {
      if (proto === PROTO_TCP && l4 + 20 <= ipEnd) {
        o.sport = u16(b, l4);
        o.dport = u16(b, l4 + 2);
        o.l4a = i32(b, l4 + 4);
        o.l4b = i32(b, l4 + 8);
        const doff = (b[l4 + 12] >> 4) * 4;
        l4bits = (b[l4 + 13] | ((b[l4 + 12] & 1) << 8)) + 1 + L4_FIELDS;
        pay = l4 + (doff < 20 ? 20 : doff);
        o.l4len = Math.max(0, p + ipLen - pay);
        if (ports.checksums && tot !== 0 && !truncated && !mf) bits |= l4Checksum(b, src, dst, proto, l4, p + ipLen, l4 + 16) << 24;
      } else if (proto === PROTO_UDP && l4 + 8 <= ipEnd) {
        o.sport = u16(b, l4);
        o.dport = u16(b, l4 + 2);
        o.l4a = u16(b, l4 + 4);
        l4bits = L4_FIELDS;
        pay = l4 + 8;
        o.l4len = Math.max(0, p + ipLen - pay);
        if (ports.checksums && tot !== 0 && !truncated && !mf) bits |= l4Checksum(b, src, dst, proto, l4, p + ipLen, l4 + 6) << 24;
      } else if (proto === PROTO_ICMP && l4 + 8 <= ipEnd) {
        const ty = b[l4];
        const code = b[l4 + 1];
        l4bits = ((ty + 1) << 10) | ((code + 1) << 19);
        if (ty === 0 || ty === 8 || ty === 13 || ty === 14) {
          o.l4a = u16(b, l4 + 4);
          o.l4b = u16(b, l4 + 6);
          l4bits |= L4_FIELDS;
        } else if (ty === 3 || ty === 4 || ty === 5 || ty === 11 || ty === 12) {
          const qt = (o.q = new Quoted());
          if (ty === 3 && code === 4) qt.mtu = u16(b, l4 + 6);
          const q = l4 + 8;
          if (q + 20 <= ipEnd && b[q] >> 4 === 4) {
            qt.src = u32(b, q + 12);
            qt.dst = u32(b, q + 16);
            qt.proto = b[q + 9];
            qt.id = u16(b, q + 4);
            const ql4 = q + (b[q] & 15) * 4;
            if ((qt.proto === PROTO_TCP || qt.proto === PROTO_UDP) && ql4 + 4 <= ipEnd) {
              qt.sport = u16(b, ql4);
              qt.dport = u16(b, ql4 + 2);
            }
          } else qt.src = -1;
        }
        pay = l4 + 8;
        o.l4len = Math.max(0, p + ipLen - pay);
      }
    }
    o.bits = bits;
    o.l4bits = l4bits;
    if (o.q) {
      // an ICMP error quotes a header that NAT rewrites on the way back: keep only what NAT leaves
      o.hash = (o.qId << 8) | (o.qProto & 255);
    } else {
      const hashEnd = Math.min(ipEnd, pay + 64);
      o.hash = pay < hashEnd ? payloadHash(b, pay, hashEnd) : 0;
    }
    return o;
  }
}

function arpAt(f: Frame, b: Uint8Array, p: number, end: number): ArpObs | undefined {
  // Ethernet/IPv4 ARP only
  if (p + 28 > end || u16(b, p) !== 1 || u16(b, p + 2) !== 0x0800 || b[p + 4] !== 6 || b[p + 5] !== 4) return undefined;
  return new ArpObs(
    f.source,
    f.number,
    f.tsSec,
    f.tsNsec,
    u16(b, p + 6),
    macAt(b, p + 8),
    u32(b, p + 14),
    macAt(b, p + 18),
    u32(b, p + 24),
  );
}
