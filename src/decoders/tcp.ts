/**
 * TCP (RFC 9293): header, flags in tcpdump's notation, options, checksum. The payload is left
 * raw; its length on the wire is `payload_length`.
 */
import { l4ChecksumStatus, u16, u32, type ChecksumStatus } from './bytes.js';
import { EMPTY, decodeRaw, registerIpProtocol, type Decoder, type Dissection } from './registry.js';

const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const FLAGS = 13;
const WINDOW = 14;
const CHECKSUM = 16;
const URGENT = 18;
const MIN_HEADER = 20;
const PROTO_TCP = 6;

export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;
export const TCP_URG = 0x020;
export const TCP_ECE = 0x040;
export const TCP_CWR = 0x080;
/** AE (formerly NS), the low bit of the byte that holds the data offset. */
export const TCP_AE = 0x100;

/** tcpdump's letters, in tcpdump's order: `S.` is SYN+ACK, `P.` PSH+ACK. */
const FLAG_LETTERS: readonly [number, string][] = [
  [TCP_FIN, 'F'],
  [TCP_SYN, 'S'],
  [TCP_RST, 'R'],
  [TCP_PSH, 'P'],
  [TCP_ACK, '.'],
  [TCP_URG, 'U'],
  [TCP_ECE, 'E'],
  [TCP_CWR, 'W'],
  [TCP_AE, 'e'],
];
/** The flags as tcpdump prints them, for each value of the low 9 flag bits. */
export const TCP_FLAG_TEXT: readonly string[] = Array.from({ length: 0x200 }, (_, v) => {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (v & bit) s += letter;
  return s || 'none';
});

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERM = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;
const SACK_BLOCK = 8;

const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [OPT_EOL, 'eol'],
  [OPT_NOP, 'nop'],
  [OPT_MSS, 'mss'],
  [OPT_WSCALE, 'wscale'],
  [OPT_SACK_PERM, 'sack_perm'],
  [OPT_SACK, 'sack'],
  [OPT_TIMESTAMP, 'timestamp'],
  [19, 'md5'],
  [28, 'user_timeout'],
  [29, 'tcp_ao'],
  [30, 'mptcp'],
  [34, 'tfo'],
]);

/**
 * One option: kind, name ('unknown' if not known), length, and for the options that have them
 * `value` (mss, wscale shift), `blocks` (sack: [left, right] pairs), `val`/`ecr` (timestamp).
 */
export type TcpOption = {
  readonly kind: number;
  readonly name: string;
  readonly length: number;
  readonly value?: number;
  readonly blocks?: readonly (readonly [number, number])[];
  readonly val?: number;
  readonly ecr?: number;
};

export type TcpLayer = {
  readonly layer: 'tcp';
  readonly offset: number;
  /** data_offset × 4. */
  readonly header_length: number;
  readonly src_port: number;
  readonly dst_port: number;
  readonly seq: number;
  readonly ack: number;
  /** The data offset field, in 32-bit words. */
  readonly data_offset: number;
  /** `S`, `S.`, `P.`, `F.`, `R`, `.`, ... as tcpdump prints them; 'none' when no flag is set. */
  readonly flags: string;
  /** The 12 flag bits, reserved bits included. */
  readonly flags_value: number;
  readonly window: number;
  readonly checksum: number;
  readonly checksum_status: ChecksumStatus;
  readonly urgent: number;
  readonly options: readonly TcpOption[];
  /** Bytes after the header on the wire (captured or not). */
  readonly payload_length: number;
};

export const decodeTcp: Decoder = (d) => {
  if (!d.has('tcp', MIN_HEADER)) return;
  const b = d.b;
  const o = d.off;
  const dataOffset = b[o + DATA_OFFSET] >> 4;
  const hl = dataOffset * 4;
  if (hl < MIN_HEADER) return d.fail('malformed', 'tcp', o, MIN_HEADER, d.end - o, `header length ${hl} < ${MIN_HEADER}`);
  if (!d.has('tcp', hl)) return;
  const flags = ((b[o + DATA_OFFSET] & 15) << 8) | b[o + FLAGS];
  const status: ChecksumStatus =
    d.fragment || d.end < d.wire ? 'unverified' : l4ChecksumStatus(b, o, d.wire, d.pseudo + PROTO_TCP + (d.wire - o), o + CHECKSUM);
  d.layers.push({
    layer: 'tcp',
    offset: o,
    header_length: hl,
    src_port: u16(b, o + SRC_PORT),
    dst_port: u16(b, o + DST_PORT),
    seq: u32(b, o + SEQ),
    ack: u32(b, o + ACK),
    data_offset: dataOffset,
    flags: TCP_FLAG_TEXT[flags & 0x1ff],
    flags_value: flags,
    window: u16(b, o + WINDOW),
    checksum: u16(b, o + CHECKSUM),
    checksum_status: status,
    urgent: u16(b, o + URGENT),
    options: hl > MIN_HEADER ? parseOptions(d, o, hl) : EMPTY,
    payload_length: d.wire - o - hl,
  } satisfies TcpLayer);
  d.handOn(decodeRaw, o + hl, d.end, d.wire);
};

/** Options of the header at `o`; a length that runs past the header ends the list and is reported. */
function parseOptions(d: Dissection, o: number, hl: number): TcpOption[] {
  const b = d.b;
  const to = o + hl;
  const out: TcpOption[] = [];
  let i = o + MIN_HEADER;
  while (i < to) {
    const kind = b[i];
    const name = OPTION_NAMES.get(kind) ?? 'unknown';
    if (kind === OPT_EOL || kind === OPT_NOP) {
      out.push({ kind, name, length: 1 });
      if (kind === OPT_EOL) break; // the rest is padding
      i++;
      continue;
    }
    const length = i + 1 < to ? b[i + 1] : 0;
    if (length < 2 || i + length > to) {
      d.note('malformed', 'tcp', i, 0, to - i, `option ${kind} length ${length} does not fit in the ${to - i} bytes left of the header`);
      break;
    }
    if (kind === OPT_MSS && length === 4) out.push({ kind, name, length, value: u16(b, i + 2) });
    else if (kind === OPT_WSCALE && length === 3) out.push({ kind, name, length, value: b[i + 2] });
    else if (kind === OPT_TIMESTAMP && length === 10) out.push({ kind, name, length, val: u32(b, i + 2), ecr: u32(b, i + 6) });
    else if (kind === OPT_SACK && (length - 2) % SACK_BLOCK === 0) {
      const blocks: [number, number][] = [];
      for (let j = i + 2; j < i + length; j += SACK_BLOCK) blocks.push([u32(b, j), u32(b, j + 4)]);
      out.push({ kind, name, length, blocks });
    } else out.push({ kind, name, length });
    i += length;
  }
  return out;
}

registerIpProtocol(PROTO_TCP, decodeTcp);
