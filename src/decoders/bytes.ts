/**
 * Big-endian reads, address text and the Internet checksum, over borrowed bytes. Callers check
 * lengths first (one check per header), so nothing here tests bounds.
 */

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/*
 * A capture holds few distinct addresses, each in many frames: the text of the last ones is
 * kept in small direct-mapped tables (slot by a mix of the address bits), so that a frame does
 * not build its address strings again, and every frame with an address shares one string.
 */
const ADDR_SLOTS = 1024;
const macHi = new Int32Array(ADDR_SLOTS).fill(-1);
const macLo = new Int32Array(ADDR_SLOTS);
const macStrings: string[] = new Array<string>(ADDR_SLOTS).fill('');
const ipKeys = new Uint32Array(ADDR_SLOTS);
const ipStrings: string[] = new Array<string>(ADDR_SLOTS).fill('');

/** a6:97:ac:c3:8a:6f */
export function macText(b: Uint8Array, o: number): string {
  const hi = (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  const lo = (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5];
  const slot = (lo ^ (lo >>> 10) ^ (hi << 3) ^ (hi >>> 13)) & (ADDR_SLOTS - 1);
  if (macHi[slot] === hi && macLo[slot] === lo) return macStrings[slot];
  const s = `${HEX[b[o]]}:${HEX[b[o + 1]]}:${HEX[b[o + 2]]}:${HEX[b[o + 3]]}:${HEX[b[o + 4]]}:${HEX[b[o + 5]]}`;
  macHi[slot] = hi;
  macLo[slot] = lo;
  macStrings[slot] = s;
  return s;
}

/** Any number of bytes as lower-case hex pairs joined by colons ('' for none). */
export function hexColon(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += i === 0 ? HEX[b[o]] : `:${HEX[b[o + i]]}`;
  return s;
}

/** 10.10.1.5 */
export function ipv4Text(b: Uint8Array, o: number): string {
  const a = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  const slot = (a ^ (a >>> 10) ^ (a >>> 20)) & (ADDR_SLOTS - 1);
  const s = ipStrings[slot];
  if (ipKeys[slot] === a && s !== '') return s;
  const t = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  ipKeys[slot] = a;
  ipStrings[slot] = t;
  return t;
}

/** RFC 5952 text of the 16 bytes at `o`: lower case, longest zero run (of 2+) as `::`. */
export function ipv6Text(b: Uint8Array, o: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 §5).
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${ipv4Text(b, o + 12)}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => w.slice(from, to).map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

/** Ones-complement sum of the 16-bit words of b[from, to), added to `acc`; not folded. */
export function sum16(b: Uint8Array, from: number, to: number, acc: number): number {
  let i = from;
  // eight bytes a turn: the high bytes and the low bytes summed apart (fewer shifts and loop tests)
  let hi = 0;
  let lo = 0;
  for (; i + 7 < to; i += 8) {
    hi += b[i] + b[i + 2] + b[i + 4] + b[i + 6];
    lo += b[i + 1] + b[i + 3] + b[i + 5] + b[i + 7];
  }
  acc += hi * 256 + lo;
  for (; i + 1 < to; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (i < to) acc += b[i] << 8;
  return acc;
}

/** Fold a sum to 16 bits with end-around carry. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * 'good', 'bad', or 'partial': the field holds only the folded pseudo-header sum, which the NIC
 * was to complete (CHECKSUM_PARTIAL: what captures on veth and the sending host show).
 */
export type ChecksumStatus = 'good' | 'bad' | 'partial' | 'none' | 'unverified';

/** Status of a TCP/UDP/ICMPv6 checksum at `field` over b[from, to) with pseudo-header sum `pseudo`. */
export function l4ChecksumStatus(b: Uint8Array, from: number, to: number, pseudo: number, field: number): ChecksumStatus {
  if (fold(sum16(b, from, to, pseudo)) === 0xffff) return 'good';
  const p = fold(pseudo);
  const v = u16(b, field);
  return v === p || v === (~p & 0xffff) ? 'partial' : 'bad';
}
