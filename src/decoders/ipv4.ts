/**
 * IPv4 (RFC 791): every header field, options, the header checksum, fragments.
 *
 * Lengths: the total length trims Ethernet padding. A total length of 0 in a frame longer than
 * the header is a GSO/TSO or BIG TCP super-packet as the sending host captured it: the packet
 * is the rest of the frame (what tcpdump does), not an error. Only the first fragment carries
 * an L4 header, so later fragments stay raw.
 */
import { fold, ipv4Text, sum16, u16 } from './bytes.js';
import { EMPTY, decodeRaw, registerEtherType, type Decoder, type Dissection } from './registry.js';

const VERSION_IHL = 0;
const TOS = 1;
const TOTAL_LENGTH = 2;
const ID = 4;
const FLAGS_FRAGMENT = 6;
const TTL = 8;
const PROTOCOL = 9;
const CHECKSUM = 10;
const SRC = 12;
const DST = 16;
const MIN_HEADER = 20;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAGMENT_MASK = 0x1fff;

const OPT_EOL = 0;
const OPT_NOP = 1;

/** Option names by type (IANA "IP Option Numbers"). */
const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'End of Options List'],
  [1, 'No Operation'],
  [7, 'Record Route'],
  [25, 'Quick-Start'],
  [68, 'Timestamp'],
  [82, 'Traceroute'],
  [130, 'Security'],
  [131, 'Loose Source Route'],
  [133, 'Extended Security'],
  [134, 'Commercial Security'],
  [136, 'Stream ID'],
  [137, 'Strict Source Route'],
  [148, 'Router Alert'],
]);

export type Ipv4Option = { readonly type: number; readonly name: string; readonly length: number };

export type Ipv4Layer = {
  readonly layer: 'ipv4';
  readonly offset: number;
  /** IHL × 4. */
  readonly header_length: number;
  readonly version: number;
  readonly dscp: number;
  readonly ecn: number;
  /** The total length field as sent (0 for GSO/BIG TCP super-packets: see length_from_frame). */
  readonly total_length: number;
  readonly id: number;
  /** The 3 flag bits: 4 reserved, 2 DF, 1 MF. */
  readonly flags: number;
  readonly df: boolean;
  readonly mf: boolean;
  /** Fragment offset in bytes. */
  readonly frag_offset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly checksum_status: 'good' | 'bad';
  readonly src: string;
  readonly dst: string;
  readonly options: readonly Ipv4Option[];
  /** Bytes after the header on the wire (captured or not). */
  readonly payload_length: number;
  /** total_length was 0 and the packet was taken to be the rest of the frame. */
  readonly length_from_frame: boolean;
};

export const decodeIpv4: Decoder = (d) => {
  if (!d.has('ipv4', MIN_HEADER)) return;
  const b = d.b;
  const o = d.off;
  const version = b[o + VERSION_IHL] >> 4;
  const ihl = (b[o + VERSION_IHL] & 15) * 4;
  const present = d.end - o;
  if (version !== 4) return d.fail('malformed', 'ipv4', o, 0, present, `version ${version}, not 4`);
  if (ihl < MIN_HEADER) return d.fail('malformed', 'ipv4', o, MIN_HEADER, present, `header length ${ihl} < ${MIN_HEADER}`);
  const total = u16(b, o + TOTAL_LENGTH);
  const fromFrame = total === 0 && d.wire - o > ihl;
  if (!fromFrame && total < ihl) {
    return d.fail('malformed', 'ipv4', o, ihl, present, `total length ${total} < header length ${ihl}`);
  }
  if (!d.has('ipv4', ihl)) return;

  let wire = fromFrame ? d.wire : o + total;
  if (wire > d.wire) {
    d.note('malformed', 'ipv4', o, total, d.wire - o, `total length ${total} > ${d.wire - o} bytes in the frame`);
    wire = d.wire;
  }
  const ff = u16(b, o + FLAGS_FRAGMENT);
  const fragOffset = (ff & FRAGMENT_MASK) * 8;
  const mf = (ff & FLAG_MF) !== 0;
  const protocol = b[o + PROTOCOL];
  d.layers.push({
    layer: 'ipv4',
    offset: o,
    header_length: ihl,
    version,
    dscp: b[o + TOS] >> 2,
    ecn: b[o + TOS] & 3,
    total_length: total,
    id: u16(b, o + ID),
    flags: ff >> 13,
    df: (ff & FLAG_DF) !== 0,
    mf,
    frag_offset: fragOffset,
    ttl: b[o + TTL],
    protocol,
    checksum: u16(b, o + CHECKSUM),
    checksum_status: fold(sum16(b, o, o + ihl, 0)) === 0xffff ? 'good' : 'bad',
    src: ipv4Text(b, o + SRC),
    dst: ipv4Text(b, o + DST),
    options: ihl > MIN_HEADER ? parseOptions(d, o, ihl) : EMPTY,
    payload_length: wire - o - ihl,
    length_from_frame: fromFrame,
  } satisfies Ipv4Layer);

  d.pseudo = sum16(b, o + SRC, o + DST + 4, 0);
  d.fragment = mf || fragOffset > 0;
  const p = o + ihl;
  const end = Math.min(d.end, wire);
  if (fragOffset > 0) d.handOn(decodeRaw, p, end, wire);
  else d.ipProtocol(protocol, p, end, wire);
};

/** Options of the header at `o`; a length that runs past the header ends the list and is reported. */
function parseOptions(d: Dissection, o: number, ihl: number): Ipv4Option[] {
  const b = d.b;
  const to = o + ihl;
  const out: Ipv4Option[] = [];
  let i = o + MIN_HEADER;
  while (i < to) {
    const type = b[i];
    const name = OPTION_NAMES.get(type) ?? 'unknown';
    if (type === OPT_EOL || type === OPT_NOP) {
      out.push({ type, name, length: 1 });
      if (type === OPT_EOL) break; // the rest is padding
      i++;
      continue;
    }
    const length = i + 1 < to ? b[i + 1] : 0;
    if (length < 2 || i + length > to) {
      d.note('malformed', 'ipv4', i, 0, to - i, `option ${type} length ${length} does not fit in the ${to - i} bytes left of the header`);
      break;
    }
    out.push({ type, name, length });
    i += length;
  }
  return out;
}

registerEtherType(0x0800, decodeIpv4);
