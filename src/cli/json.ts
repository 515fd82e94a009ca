/**
 * `--json` written straight into the output buffer: byte for byte what
 * `JSON.stringify(frameJson(p))` gives, several times faster.
 *
 * - One writer per layer type, all listed in `writeLayer` below. Each writes its keys as
 *   constant bytes (the templates show the exact JSON) and its values as digits or as the
 *   decoders' own strings (addresses, checksum words, TCP flags), which never need escaping.
 * - A writer gives up on any value it does not expect (a string with a character JSON escapes
 *   or encodes, a value of another type than the decoder gives, a missing key): that layer is
 *   then written by JSON.stringify, like every layer type without a writer. A decoder that gains
 *   a key must gain it here too: test/cli/json-writer.test.ts compares both outputs on every
 *   frame of every capture and fails otherwise.
 * - Copying bytes one at a time costs about a nanosecond each, a whole run of them
 *   (`Uint8Array.set`) about the same as 15. So each layer is cut into parts whose values repeat
 *   from frame to frame (addresses, ports, lengths, flags), and a `Memo` keeps the bytes of the
 *   last few values of each part: a part seen before is one copy. Values that change with every
 *   packet (IP id, checksums, TCP sequence numbers) are written as digits between the parts.
 * - The per-source part of a frame (`{"file":…,"frame":` and `,"node":…,"iface":…`) is made
 *   once per Source with JSON.stringify: those strings come from captures and the command line
 *   and may need escaping.
 */
import { formatTs, type Source } from '../capture/frame.js';
import type {
  ArpLayer,
  EthLayer,
  IcmpLayer,
  IcmpQuoted,
  Icmp6Layer,
  Ipv4Layer,
  Ipv6Layer,
  LlcLayer,
  NullLayer,
  RawLayer,
  Sll2Layer,
  SllLayer,
  TcpLayer,
  TcpOption,
  UdpLayer,
  VlanLayer,
  VxlanLayer,
} from '../decoders/index.js';
import type { Layer, Packet } from '../decoders/layer.js';
import type { Output } from './output.js';

/**
 * Room made before each layer. Every writer stays below it: a string longer than MAX_STRING
 * (MAX_NAME for option names) gives up, and so do more than 40 options or 4 SACK blocks (what
 * 40 option bytes can hold); the longest layers (ARP with 255-byte addresses, TCP with 40
 * options) then take less than 6 KiB.
 */
const LAYER_ROOM = 8192;
const MAX_STRING = 800;
const MAX_NAME = 32;

// ---------------------------------------------------------------------------------------------
// Bytes

/** Set when a writer met a value it cannot write; its layer is then left to JSON.stringify. */
let bad = false;

/** A JSON template with `#` where the values go, as the byte strings between them. */
function tpl(t: string): Uint8Array[] {
  return t.split('#').map((s) => Buffer.from(s, 'latin1'));
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const EMPTY_LIST = Buffer.from('[]');
const QUOTE = Buffer.from('"');
const CLOSE = Buffer.from('}');

function put(b: Uint8Array, p: number, k: Uint8Array): number {
  const n = k.length;
  for (let i = 0; i < n; i++) b[p + i] = k[i];
  return p + n;
}

/** A run of bytes made before: one native copy. */
function copy(b: Uint8Array, p: number, k: Uint8Array): number {
  b.set(k, p);
  return p + k.length;
}

/** Any number as JSON.stringify writes it: digits for integers below 2^32, String() else. */
function num(b: Uint8Array, p: number, v: unknown): number {
  if (typeof v !== 'number') {
    bad = true;
    return p;
  }
  if (v >>> 0 !== v) return ascii(b, p, Number.isFinite(v) ? String(v) : 'null');
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
  let n = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
  const end = p + n;
  let x = v;
  if (x >= 0x80000000) {
    // ten digits: one float division, then the rest fits in 31 bits
    const q = Math.floor(x / 10);
    b[p + --n] = 48 + x - q * 10;
    x = q;
  }
  x |= 0;
  while (n > 0) {
    const q = (x / 10) | 0;
    b[p + --n] = 48 + x - q * 10;
    x = q;
  }
  return end;
}

/** 0 ≤ v < 10^9 in exactly 9 digits, zeros first (nanoseconds). */
function nine(b: Uint8Array, p: number, v: number): number {
  let x = v | 0;
  for (let i = 8; i >= 0; i--) {
    const q = (x / 10) | 0;
    b[p + i] = 48 + x - q * 10;
    x = q;
  }
  return p + 9;
}

/** Text of our own (digits, `null`): ASCII with nothing to escape. */
function ascii(b: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/** A string value without its quotes; gives up on any character JSON would escape or encode. */
function str(b: Uint8Array, p: number, s: unknown, max = MAX_STRING): number {
  if (typeof s !== 'string' || s.length > max) {
    bad = true;
    return p;
  }
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      bad = true;
      return p;
    }
    b[p + i] = c;
  }
  return p + n;
}

function bool(b: Uint8Array, p: number, v: unknown): number {
  if (v === true) return put(b, p, TRUE);
  if (v === false) return put(b, p, FALSE);
  bad = true;
  return p;
}

// The usual pair: the bytes before a value, then the value.
function kn(b: Uint8Array, p: number, k: Uint8Array, v: unknown): number {
  return num(b, put(b, p, k), v);
}
function ks(b: Uint8Array, p: number, k: Uint8Array, v: unknown): number {
  return str(b, put(b, p, k), v);
}
function kb(b: Uint8Array, p: number, k: Uint8Array, v: unknown): number {
  return bool(b, put(b, p, k), v);
}

/**
 * How many keys an object has (for...in walks V8's cached key list without making an array).
 * A writer knows exactly which keys its layer has; any other count (a key the decoder added and
 * the writer does not know) leaves the layer to JSON.stringify.
 */
function keys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** 1 when an optional key is there, for the key counts. */
function has(v: unknown): number {
  return v === undefined ? 0 : 1;
}

/** The end of a writer: its position, or -1 if anything was not as expected. */
function done(p: number): number {
  if (bad) {
    bad = false;
    return -1;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Memo

/** Values a part is looked up by (unused ones undefined). */
const ARITY = 8;
/** Entries per part: each source and layer position has its own memos, so few are needed. */
const ENTRIES = 4;
/** Looked up this many times, a memo that found less than a quarter rests for REST lookups. */
const WINDOW = 1024;
const REST = 16384;

/**
 * The bytes written for the last few value tuples of one part of a layer. Values are compared
 * with ===, so a part is copied only for exactly the values it was written for; a tuple is
 * kept only when its part was written without giving up. `find4` looks at the first four
 * values only: a memo is used with one of the two.
 */
class Memo {
  private keys: unknown[] = [];
  private readonly bytes: Uint8Array[] = [];
  /** The values of the last lookup that found nothing, for keep(). */
  private readonly probe: unknown[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  /** find() found nothing and kept its values in probe. */
  private pending = false;
  private next = 0;
  private lookups = 0;
  private hits = 0;
  private resting = 0;

  /** Counts a lookup; true while the memo rests (it found too little lately). */
  private rests(): boolean {
    this.pending = false;
    if (this.resting > 0) {
      this.resting--;
      return true;
    }
    if (++this.lookups === WINDOW) {
      if (this.hits < WINDOW / 4) this.resting = REST;
      this.lookups = 0;
      this.hits = 0;
    }
    return false;
  }

  find(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown): Uint8Array | undefined {
    if (this.rests()) return undefined;
    const k = this.keys;
    const n = this.bytes.length;
    for (let i = 0, j = 0; i < n; i++, j += ARITY) {
      if (k[j] === a && k[j + 1] === b && k[j + 2] === c && k[j + 3] === d && k[j + 4] === e && k[j + 5] === f && k[j + 6] === g && k[j + 7] === h) {
        this.hits++;
        return this.bytes[i];
      }
    }
    const pr = this.probe;
    pr[0] = a;
    pr[1] = b;
    pr[2] = c;
    pr[3] = d;
    pr[4] = e;
    pr[5] = f;
    pr[6] = g;
    pr[7] = h;
    this.pending = true;
    return undefined;
  }

  find4(a: unknown, b: unknown, c: unknown, d: unknown): Uint8Array | undefined {
    if (this.rests()) return undefined;
    const k = this.keys;
    const n = this.bytes.length;
    for (let i = 0, j = 0; i < n; i++, j += ARITY) {
      if (k[j] === a && k[j + 1] === b && k[j + 2] === c && k[j + 3] === d) {
        this.hits++;
        return this.bytes[i];
      }
    }
    const pr = this.probe;
    pr[0] = a;
    pr[1] = b;
    pr[2] = c;
    pr[3] = d;
    this.pending = true;
    return undefined;
  }

  /** Keep b[from, to), written for the values of the last find() that found nothing. */
  keep(b: Uint8Array, from: number, to: number): void {
    if (!this.pending || to < 0) return;
    this.pending = false;
    if (this.keys.length === 0) this.keys = new Array<unknown>(ENTRIES * ARITY).fill(undefined);
    const i = this.next;
    this.next = (i + 1) % ENTRIES;
    const k = this.keys;
    const pr = this.probe;
    for (let j = 0; j < ARITY; j++) k[i * ARITY + j] = pr[j];
    this.bytes[i] = new Uint8Array(b.subarray(from, to));
  }
}

/** The memos of the layer at one position of one source's frames. */
class Memos {
  readonly eth = new Memo();
  readonly vlan = new Memo();
  readonly sll = new Memo();
  readonly sll2 = new Memo();
  readonly ipv4Head = new Memo();
  readonly ipv4Flags = new Memo();
  readonly ipv4Tail = new Memo();
  readonly ipv6Head = new Memo();
  readonly ipv6Tail = new Memo();
  readonly tcpHead = new Memo();
  readonly tcpFlags = new Memo();
  readonly tcpTail = new Memo();
  readonly udpHead = new Memo();
  readonly udpTail = new Memo();
  readonly vxlan = new Memo();
  readonly raw = new Memo();
}

// ---------------------------------------------------------------------------------------------
// Layers, with their keys in the order the decoders make them (src/decoders/*.ts, docs/layers.md)

const ETH = tpl('{"layer":"eth","offset":#,"header_length":#,"dst":"#","src":"#","ethertype":#}');
const ETH_8023 = tpl('{"layer":"eth","offset":#,"header_length":#,"dst":"#","src":"#","length":#}');
function eth(b: Uint8Array, p: number, l: EthLayer, ms: Memos): number {
  if (keys(l) !== 6) return -1;
  const m = ms.eth.find(l.offset, l.header_length, l.dst, l.src, l.ethertype, l.length, undefined, undefined);
  if (m !== undefined) return copy(b, p, m);
  const t = l.length === undefined ? ETH : l.ethertype === undefined ? ETH_8023 : undefined;
  if (t === undefined) return -1;
  const s = p;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = ks(b, p, t[2], l.dst);
  p = ks(b, p, t[3], l.src);
  p = kn(b, p, t[4], t === ETH ? l.ethertype : l.length);
  p = done(put(b, p, t[5]));
  ms.eth.keep(b, s, p);
  return p;
}

const VLAN = tpl('{"layer":"vlan","offset":#,"header_length":#,"tpid":#,"pcp":#,"dei":#,"vid":#,"ethertype":#}');
function vlan(b: Uint8Array, p: number, l: VlanLayer, ms: Memos): number {
  if (keys(l) !== 8) return -1;
  const m = ms.vlan.find(l.offset, l.header_length, l.tpid, l.pcp, l.dei, l.vid, l.ethertype, undefined);
  if (m !== undefined) return copy(b, p, m);
  const t = VLAN;
  const s = p;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.tpid);
  p = kn(b, p, t[3], l.pcp);
  p = kb(b, p, t[4], l.dei);
  p = kn(b, p, t[5], l.vid);
  p = kn(b, p, t[6], l.ethertype);
  p = done(put(b, p, t[7]));
  ms.vlan.keep(b, s, p);
  return p;
}

const LLC = tpl('{"layer":"llc","offset":#,"header_length":#,"dsap":#,"ssap":#,"control":#}');
const LLC_SNAP = tpl('{"layer":"llc","offset":#,"header_length":#,"dsap":#,"ssap":#,"control":#,"oui":#,"pid":#}');
function llc(b: Uint8Array, p: number, l: LlcLayer, ms: Memos): number {
  const snap = l.oui !== undefined;
  if (snap !== (l.pid !== undefined) || keys(l) !== (snap ? 8 : 6)) return -1;
  const t = snap ? LLC_SNAP : LLC;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.dsap);
  p = kn(b, p, t[3], l.ssap);
  p = kn(b, p, t[4], l.control);
  if (snap) {
    p = kn(b, p, t[5], l.oui);
    p = kn(b, p, t[6], l.pid);
  }
  return done(put(b, p, t[t.length - 1]));
}

const SLL = tpl('{"layer":"sll","offset":#,"header_length":#,"packet_type":#,"hatype":#,"address_length":#,"address":"#","protocol":#}');
function sll(b: Uint8Array, p: number, l: SllLayer, ms: Memos): number {
  if (keys(l) !== 8) return -1;
  const m = ms.sll.find(l.offset, l.header_length, l.packet_type, l.hatype, l.address_length, l.address, l.protocol, undefined);
  if (m !== undefined) return copy(b, p, m);
  const t = SLL;
  const s = p;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.packet_type);
  p = kn(b, p, t[3], l.hatype);
  p = kn(b, p, t[4], l.address_length);
  p = ks(b, p, t[5], l.address);
  p = kn(b, p, t[6], l.protocol);
  p = done(put(b, p, t[7]));
  ms.sll.keep(b, s, p);
  return p;
}

const SLL2 = tpl('{"layer":"sll2","offset":#,"header_length":#,"protocol":#,"ifindex":#,"hatype":#,"packet_type":#,"address_length":#,"address":"#"}');
function sll2(b: Uint8Array, p: number, l: Sll2Layer, ms: Memos): number {
  if (keys(l) !== 9) return -1;
  const m = ms.sll2.find(l.offset, l.header_length, l.protocol, l.ifindex, l.hatype, l.packet_type, l.address_length, l.address);
  if (m !== undefined) return copy(b, p, m);
  const t = SLL2;
  const s = p;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.protocol);
  p = kn(b, p, t[3], l.ifindex);
  p = kn(b, p, t[4], l.hatype);
  p = kn(b, p, t[5], l.packet_type);
  p = kn(b, p, t[6], l.address_length);
  p = ks(b, p, t[7], l.address);
  p = done(put(b, p, t[8]));
  ms.sll2.keep(b, s, p);
  return p;
}

const NULL = tpl('{"layer":"null","offset":#,"header_length":#,"family":#}');
function nullLink(b: Uint8Array, p: number, l: NullLayer, ms: Memos): number {
  if (keys(l) !== 4) return -1;
  const t = NULL;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.family);
  return done(put(b, p, t[3]));
}

const ARP = tpl(
  '{"layer":"arp","offset":#,"header_length":#,"hw_type":#,"proto_type":#,"hw_len":#,"proto_len":#,"op":#,' +
    '"sender_hw":"#","sender_proto":"#","target_hw":"#","target_proto":"#","gratuitous":#}',
);
function arp(b: Uint8Array, p: number, l: ArpLayer, ms: Memos): number {
  if (keys(l) !== 13) return -1;
  const t = ARP;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.hw_type);
  p = kn(b, p, t[3], l.proto_type);
  p = kn(b, p, t[4], l.hw_len);
  p = kn(b, p, t[5], l.proto_len);
  p = kn(b, p, t[6], l.op);
  p = ks(b, p, t[7], l.sender_hw);
  p = ks(b, p, t[8], l.sender_proto);
  p = ks(b, p, t[9], l.target_hw);
  p = ks(b, p, t[10], l.target_proto);
  p = kb(b, p, t[11], l.gratuitous);
  return done(put(b, p, t[12]));
}

// IPv4 in three parts around the id and the checksum, which change with every packet.
const IPV4 = tpl(
  '{"layer":"ipv4","offset":#,"header_length":#,"version":#,"dscp":#,"ecn":#,"total_length":#,"id":#,"flags":#,' +
    '"df":#,"mf":#,"frag_offset":#,"ttl":#,"protocol":#,"checksum":#,"checksum_status":"#","src":"#","dst":"#",' +
    '"options":#,"payload_length":#,"length_from_frame":#}',
);
const IPV4_OPTION = tpl('{"type":#,"name":"#","length":#}');
function ipv4(b: Uint8Array, p: number, l: Ipv4Layer, ms: Memos): number {
  if (keys(l) !== 21) return -1;
  const t = IPV4;
  let s = p;
  let m = ms.ipv4Head.find(l.offset, l.header_length, l.version, l.dscp, l.ecn, l.total_length, undefined, undefined);
  if (m !== undefined) p = copy(b, p, m);
  else {
    p = kn(b, p, t[0], l.offset);
    p = kn(b, p, t[1], l.header_length);
    p = kn(b, p, t[2], l.version);
    p = kn(b, p, t[3], l.dscp);
    p = kn(b, p, t[4], l.ecn);
    p = kn(b, p, t[5], l.total_length);
    p = put(b, p, t[6]);
    if (!bad) ms.ipv4Head.keep(b, s, p);
  }
  p = num(b, p, l.id);
  s = p;
  m = ms.ipv4Flags.find(l.flags, l.df, l.mf, l.frag_offset, l.ttl, l.protocol, undefined, undefined);
  if (m !== undefined) p = copy(b, p, m);
  else {
    p = kn(b, p, t[7], l.flags);
    p = kb(b, p, t[8], l.df);
    p = kb(b, p, t[9], l.mf);
    p = kn(b, p, t[10], l.frag_offset);
    p = kn(b, p, t[11], l.ttl);
    p = kn(b, p, t[12], l.protocol);
    p = put(b, p, t[13]);
    if (!bad) ms.ipv4Flags.keep(b, s, p);
  }
  p = num(b, p, l.checksum);
  s = p;
  const opts = l.options;
  const plain = Array.isArray(opts) && opts.length === 0;
  m = plain ? ms.ipv4Tail.find(l.checksum_status, l.src, l.dst, l.payload_length, l.length_from_frame, undefined, undefined, undefined) : undefined;
  if (m !== undefined) return done(copy(b, p, m));
  p = ks(b, p, t[14], l.checksum_status);
  p = ks(b, p, t[15], l.src);
  p = ks(b, p, t[16], l.dst);
  p = put(b, p, t[17]);
  if (plain) p = put(b, p, EMPTY_LIST);
  else {
    // at most 40 option bytes, so at most 40 options
    if (!Array.isArray(opts) || opts.length > 40) {
      bad = true;
      return done(p);
    }
    b[p++] = 0x5b; // [
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i];
      if (typeof o !== 'object' || o === null || keys(o) !== 3) {
        bad = true;
        return done(p);
      }
      if (i > 0) b[p++] = 0x2c; // ,
      p = kn(b, p, IPV4_OPTION[0], o.type);
      p = str(b, put(b, p, IPV4_OPTION[1]), o.name, MAX_NAME);
      p = kn(b, p, IPV4_OPTION[2], o.length);
      p = put(b, p, IPV4_OPTION[3]);
    }
    b[p++] = 0x5d; // ]
  }
  p = kn(b, p, t[18], l.payload_length);
  p = kb(b, p, t[19], l.length_from_frame);
  p = put(b, p, t[20]);
  if (plain && !bad) ms.ipv4Tail.keep(b, s, p);
  return done(p);
}

const IPV6 = tpl(
  '{"layer":"ipv6","offset":#,"header_length":#,"version":#,"traffic_class":#,"flow_label":#,"payload_length":#,' +
    '"next_header":#,"hop_limit":#,"src":"#","dst":"#","length_from_frame":#}',
);
function ipv6(b: Uint8Array, p: number, l: Ipv6Layer, ms: Memos): number {
  if (keys(l) !== 12) return -1;
  const t = IPV6;
  let s = p;
  let m = ms.ipv6Head.find(l.offset, l.header_length, l.version, l.traffic_class, l.flow_label, l.payload_length, l.next_header, l.hop_limit);
  if (m !== undefined) p = copy(b, p, m);
  else {
    p = kn(b, p, t[0], l.offset);
    p = kn(b, p, t[1], l.header_length);
    p = kn(b, p, t[2], l.version);
    p = kn(b, p, t[3], l.traffic_class);
    p = kn(b, p, t[4], l.flow_label);
    p = kn(b, p, t[5], l.payload_length);
    p = kn(b, p, t[6], l.next_header);
    p = kn(b, p, t[7], l.hop_limit);
    if (!bad) ms.ipv6Head.keep(b, s, p);
  }
  s = p;
  m = ms.ipv6Tail.find4(l.src, l.dst, l.length_from_frame, undefined);
  if (m !== undefined) return done(copy(b, p, m));
  p = ks(b, p, t[8], l.src);
  p = ks(b, p, t[9], l.dst);
  p = kb(b, p, t[10], l.length_from_frame);
  p = put(b, p, t[11]);
  if (!bad) ms.ipv6Tail.keep(b, s, p);
  return done(p);
}

// ICMP and ICMPv6: a fixed part, then the optional keys in the order the decoders add them.
const ICMP = tpl('{"layer":"icmp","offset":#,"header_length":#,"type":#,"code":#,"checksum":#,"checksum_status":"#","payload_length":#');
const ICMP6 = tpl('{"layer":"icmp6","offset":#,"header_length":#,"type":#,"code":#,"checksum":#,"checksum_status":"#","payload_length":#');
const K_ID = Buffer.from(',"id":');
const K_SEQ = Buffer.from(',"seq":');
const K_MTU = Buffer.from(',"mtu":');
const K_GATEWAY = Buffer.from(',"gateway":"');
const K_POINTER = Buffer.from(',"pointer":');
const K_QUOTED = Buffer.from(',"quoted":');

function icmpHead(b: Uint8Array, p: number, t: Uint8Array[], l: IcmpLayer | Icmp6Layer): number {
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.type);
  p = kn(b, p, t[3], l.code);
  p = kn(b, p, t[4], l.checksum);
  p = ks(b, p, t[5], l.checksum_status);
  p = kn(b, p, t[6], l.payload_length);
  if (l.id !== undefined) p = kn(b, p, K_ID, l.id);
  if (l.seq !== undefined) p = kn(b, p, K_SEQ, l.seq);
  if (l.mtu !== undefined) p = kn(b, p, K_MTU, l.mtu);
  return p;
}

function icmp(b: Uint8Array, p: number, l: IcmpLayer, ms: Memos): number {
  if (keys(l) !== 8 + has(l.id) + has(l.seq) + has(l.mtu) + has(l.gateway) + has(l.pointer) + has(l.quoted)) return -1;
  p = icmpHead(b, p, ICMP, l);
  if (l.gateway !== undefined) p = put(b, ks(b, p, K_GATEWAY, l.gateway), QUOTE);
  if (l.pointer !== undefined) p = kn(b, p, K_POINTER, l.pointer);
  if (l.quoted !== undefined) p = quoted(b, put(b, p, K_QUOTED), l.quoted);
  return done(put(b, p, CLOSE));
}

const QUOTED = tpl('{"src":"#","dst":"#","protocol":#,"id":#,"ttl":#,"total_length":#,"header_length":#');
const QUOTED_OPTIONAL = ['src_port', 'dst_port', 'seq', 'length', 'icmp_type', 'icmp_code', 'icmp_id', 'icmp_seq'] as const;
const K_QUOTED_OPTIONAL = QUOTED_OPTIONAL.map((k) => Buffer.from(`,"${k}":`));
function quoted(b: Uint8Array, p: number, q: IcmpQuoted): number {
  if (typeof q !== 'object' || q === null) {
    bad = true;
    return p;
  }
  let n = 7;
  for (const k of QUOTED_OPTIONAL) n += has(q[k]);
  if (keys(q) !== n) {
    bad = true;
    return p;
  }
  const t = QUOTED;
  p = ks(b, p, t[0], q.src);
  p = ks(b, p, t[1], q.dst);
  p = kn(b, p, t[2], q.protocol);
  p = kn(b, p, t[3], q.id);
  p = kn(b, p, t[4], q.ttl);
  p = kn(b, p, t[5], q.total_length);
  p = kn(b, p, t[6], q.header_length);
  for (let i = 0; i < QUOTED_OPTIONAL.length; i++) {
    const v = q[QUOTED_OPTIONAL[i]];
    if (v !== undefined) p = kn(b, p, K_QUOTED_OPTIONAL[i], v);
  }
  return put(b, p, CLOSE);
}

function icmp6(b: Uint8Array, p: number, l: Icmp6Layer, ms: Memos): number {
  if (keys(l) !== 8 + has(l.id) + has(l.seq) + has(l.mtu)) return -1;
  return done(put(b, icmpHead(b, p, ICMP6, l), CLOSE));
}

// TCP in parts around the sequence and acknowledgement numbers and the checksum.
const TCP = tpl(
  '{"layer":"tcp","offset":#,"header_length":#,"src_port":#,"dst_port":#,"seq":#,"ack":#,"data_offset":#,"flags":"#",' +
    '"flags_value":#,"window":#,"checksum":#,"checksum_status":"#","urgent":#,"options":#,"payload_length":#}',
);
function tcp(b: Uint8Array, p: number, l: TcpLayer, ms: Memos): number {
  if (keys(l) !== 16) return -1;
  const t = TCP;
  let s = p;
  let m = ms.tcpHead.find4(l.offset, l.header_length, l.src_port, l.dst_port);
  if (m !== undefined) p = copy(b, p, m);
  else {
    p = kn(b, p, t[0], l.offset);
    p = kn(b, p, t[1], l.header_length);
    p = kn(b, p, t[2], l.src_port);
    p = kn(b, p, t[3], l.dst_port);
    p = put(b, p, t[4]);
    if (!bad) ms.tcpHead.keep(b, s, p);
  }
  p = num(b, p, l.seq);
  p = kn(b, p, t[5], l.ack);
  s = p;
  m = ms.tcpFlags.find4(l.data_offset, l.flags, l.flags_value, l.window);
  if (m !== undefined) p = copy(b, p, m);
  else {
    p = kn(b, p, t[6], l.data_offset);
    p = ks(b, p, t[7], l.flags);
    p = kn(b, p, t[8], l.flags_value);
    p = kn(b, p, t[9], l.window);
    p = put(b, p, t[10]);
    if (!bad) ms.tcpFlags.keep(b, s, p);
  }
  p = num(b, p, l.checksum);
  s = p;
  const opts = l.options;
  const plain = Array.isArray(opts) && opts.length === 0;
  m = plain ? ms.tcpTail.find4(l.checksum_status, l.urgent, l.payload_length, undefined) : undefined;
  if (m !== undefined) return done(copy(b, p, m));
  p = ks(b, p, t[11], l.checksum_status);
  p = kn(b, p, t[12], l.urgent);
  p = put(b, p, t[13]);
  if (plain) p = put(b, p, EMPTY_LIST);
  else {
    // at most 40 option bytes: at most 40 options, and 4 SACK blocks in one
    if (!Array.isArray(opts) || opts.length > 40) {
      bad = true;
      return done(p);
    }
    b[p++] = 0x5b; // [
    sackBlocks = 0;
    for (let i = 0; i < opts.length; i++) {
      if (i > 0) b[p++] = 0x2c; // ,
      p = tcpOption(b, p, opts[i]);
    }
    b[p++] = 0x5d; // ]
  }
  p = kn(b, p, t[14], l.payload_length);
  p = put(b, p, t[15]);
  if (plain && !bad) ms.tcpTail.keep(b, s, p);
  return done(p);
}

const TCP_OPTION = tpl('{"kind":#,"name":"#","length":#');
/** SACK blocks in the options written so far of one TCP header. */
let sackBlocks = 0;
const K_VALUE = Buffer.from(',"value":');
const K_BLOCKS = Buffer.from(',"blocks":[');
const K_VAL = Buffer.from(',"val":');
const K_ECR = Buffer.from(',"ecr":');
function tcpOption(b: Uint8Array, p: number, o: TcpOption): number {
  if (typeof o !== 'object' || o === null || keys(o) !== 3 + has(o.value) + has(o.blocks) + has(o.val) + has(o.ecr)) {
    bad = true;
    return p;
  }
  p = kn(b, p, TCP_OPTION[0], o.kind);
  p = str(b, put(b, p, TCP_OPTION[1]), o.name, MAX_NAME);
  p = kn(b, p, TCP_OPTION[2], o.length);
  if (o.value !== undefined) p = kn(b, p, K_VALUE, o.value);
  const blocks = o.blocks;
  if (blocks !== undefined) {
    sackBlocks += Array.isArray(blocks) ? blocks.length : 0;
    if (!Array.isArray(blocks) || sackBlocks > 4) {
      bad = true;
      return p;
    }
    p = put(b, p, K_BLOCKS);
    for (let i = 0; i < blocks.length; i++) {
      const k = blocks[i];
      if (!Array.isArray(k) || k.length !== 2) {
        bad = true;
        return p;
      }
      if (i > 0) b[p++] = 0x2c; // ,
      b[p++] = 0x5b; // [
      p = num(b, p, k[0]);
      b[p++] = 0x2c;
      p = num(b, p, k[1]);
      b[p++] = 0x5d; // ]
    }
    b[p++] = 0x5d;
  }
  if (o.val !== undefined) p = kn(b, p, K_VAL, o.val);
  if (o.ecr !== undefined) p = kn(b, p, K_ECR, o.ecr);
  return put(b, p, CLOSE);
}

// UDP in two parts around the checksum.
const UDP = tpl('{"layer":"udp","offset":#,"header_length":#,"src_port":#,"dst_port":#,"length":#,"checksum":#,"checksum_status":"#","payload_length":#}');
const UDP_ENCAP = tpl('{"layer":"udp","offset":#,"header_length":#,"src_port":#,"dst_port":#,"length":#,"checksum":#,"checksum_status":"#","payload_length":#,"encap":"#"}');
function udp(b: Uint8Array, p: number, l: UdpLayer, ms: Memos): number {
  if (keys(l) !== 9 + has(l.encap)) return -1;
  const t = l.encap === undefined ? UDP : UDP_ENCAP;
  let s = p;
  let m = ms.udpHead.find(l.offset, l.header_length, l.src_port, l.dst_port, l.length, undefined, undefined, undefined);
  if (m !== undefined) p = copy(b, p, m);
  else {
    p = kn(b, p, t[0], l.offset);
    p = kn(b, p, t[1], l.header_length);
    p = kn(b, p, t[2], l.src_port);
    p = kn(b, p, t[3], l.dst_port);
    p = kn(b, p, t[4], l.length);
    p = put(b, p, t[5]);
    if (!bad) ms.udpHead.keep(b, s, p);
  }
  p = num(b, p, l.checksum);
  s = p;
  m = ms.udpTail.find4(l.checksum_status, l.payload_length, l.encap, undefined);
  if (m !== undefined) return done(copy(b, p, m));
  p = ks(b, p, t[6], l.checksum_status);
  p = kn(b, p, t[7], l.payload_length);
  if (t === UDP_ENCAP) p = ks(b, p, t[8], l.encap);
  p = put(b, p, t[t.length - 1]);
  if (!bad) ms.udpTail.keep(b, s, p);
  return done(p);
}

const VXLAN = tpl('{"layer":"vxlan","offset":#,"header_length":#,"flags":#,"i_flag":#,"vni":#,"reserved1":#,"reserved2":#,"heuristic":#}');
function vxlan(b: Uint8Array, p: number, l: VxlanLayer, ms: Memos): number {
  if (keys(l) !== 9) return -1;
  const m = ms.vxlan.find(l.offset, l.header_length, l.flags, l.i_flag, l.vni, l.reserved1, l.reserved2, l.heuristic);
  if (m !== undefined) return copy(b, p, m);
  const t = VXLAN;
  const s = p;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.flags);
  p = kb(b, p, t[3], l.i_flag);
  p = kn(b, p, t[4], l.vni);
  p = kn(b, p, t[5], l.reserved1);
  p = kn(b, p, t[6], l.reserved2);
  p = kb(b, p, t[7], l.heuristic);
  p = done(put(b, p, t[8]));
  ms.vxlan.keep(b, s, p);
  return p;
}

const RAW = tpl('{"layer":"raw","offset":#,"header_length":#,"length":#}');
function raw(b: Uint8Array, p: number, l: RawLayer, ms: Memos): number {
  if (keys(l) !== 4) return -1;
  const m = ms.raw.find4(l.offset, l.header_length, l.length, undefined);
  if (m !== undefined) return copy(b, p, m);
  const t = RAW;
  const s = p;
  p = kn(b, p, t[0], l.offset);
  p = kn(b, p, t[1], l.header_length);
  p = kn(b, p, t[2], l.length);
  p = done(put(b, p, t[3]));
  ms.raw.keep(b, s, p);
  return p;
}

/**
 * The writer of each layer type (most frequent first); a type not here is written by
 * JSON.stringify. Writes layer `l` at `p` in `b` and returns its end, or -1 (nothing kept) to
 * leave it to JSON.stringify.
 */
function writeLayer(b: Uint8Array, p: number, l: Layer, ms: Memos): number {
  switch (l.layer) {
    case 'eth':
      return eth(b, p, l as EthLayer, ms);
    case 'ipv4':
      return ipv4(b, p, l as Ipv4Layer, ms);
    case 'udp':
      return udp(b, p, l as UdpLayer, ms);
    case 'raw':
      return raw(b, p, l as RawLayer, ms);
    case 'vxlan':
      return vxlan(b, p, l as VxlanLayer, ms);
    case 'tcp':
      return tcp(b, p, l as TcpLayer, ms);
    case 'vlan':
      return vlan(b, p, l as VlanLayer, ms);
    case 'arp':
      return arp(b, p, l as ArpLayer, ms);
    case 'icmp':
      return icmp(b, p, l as IcmpLayer, ms);
    case 'ipv6':
      return ipv6(b, p, l as Ipv6Layer, ms);
    case 'icmp6':
      return icmp6(b, p, l as Icmp6Layer, ms);
    case 'sll':
      return sll(b, p, l as SllLayer, ms);
    case 'sll2':
      return sll2(b, p, l as Sll2Layer, ms);
    case 'llc':
      return llc(b, p, l as LlcLayer, ms);
    case 'null':
      return nullLink(b, p, l as NullLayer, ms);
    default:
      return -1;
  }
}

/** Layers written by their writer and by JSON.stringify since the start (for the tests). */
export const jsonCounts = { written: 0, stringified: 0 };

// ---------------------------------------------------------------------------------------------
// Frames

/** The JSON object of one frame (`--json`); writeFrameJson writes its JSON.stringify. */
export function frameJson(p: Packet): Record<string, unknown> {
  const f = p.frame;
  const o: Record<string, unknown> = {
    file: f.source.file,
    frame: f.number,
    ts: f.noTimestamp ? null : formatTs(f.tsSec, f.tsNsec),
    node: f.source.node,
    iface: f.source.iface,
    caplen: f.caplen,
    len: f.len,
    layers: p.layers,
  };
  if (p.error) o.error = p.error;
  if (f.comments) o.comments = f.comments;
  return o;
}

/** The bytes of one source's frame object around the frame number, made once per Source. */
interface SourceJson {
  readonly source: Source;
  readonly node: string;
  readonly iface: string;
  /** `{"file":"…","frame":` */
  readonly head: Uint8Array;
  /** `,"node":"…","iface":"…","caplen":` */
  readonly mid: Uint8Array;
  /** `","node":…,"caplen":C,"len":L,"layers":[` by (C, L), after the timestamp. */
  readonly sizes: Memo;
  /** The memos of the layers at each position of this source's frames. */
  readonly layers: Memos[];
}

/** By Source.id (a small index); the entry is checked to be that Source, with the same names. */
const bySource: (SourceJson | undefined)[] = [];

function sourceJson(s: Source): SourceJson {
  const id = s.id;
  const index = id >>> 0 === id && id < 1 << 16;
  const cached = index ? bySource[id] : undefined;
  if (cached !== undefined && cached.source === s && cached.node === s.node && cached.iface === s.iface) return cached;
  const made: SourceJson = {
    source: s,
    node: s.node,
    iface: s.iface,
    head: Buffer.from(`{"file":${JSON.stringify(s.file)},"frame":`),
    mid: Buffer.from(`,"node":${JSON.stringify(s.node)},"iface":${JSON.stringify(s.iface)},"caplen":`),
    sizes: new Memo(),
    layers: [],
  };
  if (index) bySource[id] = made;
  return made;
}

const K_TS = Buffer.from(',"ts":"');
const K_TS_NULL = Buffer.from(',"ts":null');
const K_LEN = Buffer.from(',"len":');
const K_LAYERS = Buffer.from(',"layers":[');
const K_ERROR = ',"error":';
const K_COMMENTS = ',"comments":';

// `,"ts":"SECONDS.` of the last second written
let tsSec = -1;
let tsBytes: Uint8Array = Buffer.alloc(0);

/** One frame's JSON line into `out`: the same bytes as `out.line(JSON.stringify(frameJson(p)))`. */
export function writeFrameJson(out: Output, p: Packet): void {
  const f = p.frame;
  const s = sourceJson(f.source);
  const layers = p.layers;
  out.reserve(s.head.length + s.mid.length + 256 + LAYER_ROOM);
  let b = out.buf;
  let q = copy(b, out.pos, s.head);
  q = num(b, q, f.number);
  const sec = f.tsSec;
  const nsec = f.tsNsec;
  const stamped = !f.noTimestamp;
  if (!stamped) q = put(b, q, K_TS_NULL);
  else if (sec >>> 0 === sec && nsec >>> 0 === nsec && nsec < 1e9) {
    if (sec !== tsSec) {
      const at = q;
      q = num(b, put(b, q, K_TS), sec);
      b[q++] = 0x2e; // .
      tsBytes = new Uint8Array(b.subarray(at, q));
      tsSec = sec;
    } else q = copy(b, q, tsBytes);
    q = nine(b, q, nsec);
  } else q = ascii(b, put(b, q, K_TS), formatTs(sec, nsec));
  const at = q;
  const m = s.sizes.find4(f.caplen, f.len, stamped, undefined);
  if (m !== undefined) q = copy(b, q, m);
  else {
    if (stamped) b[q++] = 0x22; // "
    q = num(b, copy(b, q, s.mid), f.caplen);
    q = kn(b, q, K_LEN, f.len);
    q = put(b, q, K_LAYERS);
    if (!bad) s.sizes.keep(b, at, q);
  }
  if (bad) {
    // not a frame as the readers make them: leave all of it to JSON.stringify
    bad = false;
    out.line(JSON.stringify(frameJson(p)));
    return;
  }
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (q + LAYER_ROOM > b.length) {
      out.pos = q;
      out.reserve(LAYER_ROOM);
      b = out.buf;
      q = out.pos;
    }
    if (i > 0) b[q++] = 0x2c; // ,
    const ms = s.layers[i] ?? (s.layers[i] = new Memos());
    const end = writeLayer(b, q, l, ms);
    if (end >= 0) {
      q = end;
      jsonCounts.written++;
    } else {
      out.pos = q;
      out.str(JSON.stringify(l));
      out.reserve(1);
      b = out.buf;
      q = out.pos;
      jsonCounts.stringified++;
    }
  }
  b[q++] = 0x5d; // ] (a writer leaves room, and so does the reserve after JSON.stringify)
  out.pos = q;
  if (p.error) out.str(K_ERROR + JSON.stringify(p.error));
  if (f.comments) out.str(K_COMMENTS + JSON.stringify(f.comments));
  out.reserve(2);
  b = out.buf;
  q = out.pos;
  b[q++] = 0x7d; // }
  b[q++] = 10;
  out.pos = q;
}
