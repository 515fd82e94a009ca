/** Byte-order aware integer reads over a Uint8Array; small enough for V8 to inline. */

export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Unsigned 64-bit value as a number when it fits in 2^53, else as a bigint. */
export function u64(b: Uint8Array, o: number, le: boolean): number | bigint {
  const hi = le ? u32(b, o + 4, true) : u32(b, o, false);
  const lo = le ? u32(b, o, true) : u32(b, o + 4, false);
  return hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Signed 64-bit value as a number (pcapng if_tsoffset, in seconds: always small in practice). */
export function i64(b: Uint8Array, o: number, le: boolean): number {
  const hi = le ? u32(b, o + 4, true) | 0 : u32(b, o, false) | 0;
  const lo = le ? u32(b, o, true) : u32(b, o + 4, false);
  return hi * 4294967296 + lo;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Decode option text (pcapng strings may or may not be NUL-terminated). */
export function text(b: Uint8Array, start: number, end: number): string {
  let e = start;
  while (e < end && b[e] !== 0) e++;
  return utf8.decode(b.subarray(start, e));
}
