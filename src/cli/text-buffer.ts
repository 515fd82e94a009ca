/**
 * Text built as UTF-8 bytes in one large Buffer: each piece is encoded once, where it lands,
 * with no intermediate strings to join. Output (output.ts) hands the bytes to a stream; other
 * users read them back with `text()`.
 */

/** Node's unchecked UTF-8 encoder (what `buf.write` calls after checking its arguments). */
type Utf8Writer = Buffer & { utf8Write(s: string, offset: number): number };

/** Room kept in each buffer beyond `limit`, so that one record rarely needs a new buffer. */
const SLACK = 1 << 16;

export class TextBuffer {
  /** The buffer being filled, and the next byte to write (fast formatters write here directly). */
  buf: Buffer;
  pos = 0;
  /** Filled buffers before `buf` (when a record did not fit). */
  protected full: Buffer[] = [];

  constructor(protected readonly limit = 1 << 18) {
    this.buf = Buffer.allocUnsafe(limit + SLACK);
  }

  /** Make room for at least `n` more bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.limit + SLACK, n));
    this.pos = 0;
  }

  /** Any text, without a newline. */
  str(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.pos + s.length * 3 > this.buf.length) {
      // most text is ASCII: only move on when the exact length does not fit either
      const n = Buffer.byteLength(s);
      if (this.pos + n > this.buf.length) this.reserve(n);
    }
    this.pos += (this.buf as Utf8Writer).utf8Write(s, this.pos);
  }

  /** Bytes already encoded (a loop for very short ones: cheaper than a call to `set`). */
  bytes(src: Uint8Array): void {
    const n = src.length;
    if (this.pos + n > this.buf.length) this.reserve(n);
    const b = this.buf;
    let p = this.pos;
    if (n > 16) b.set(src, p);
    else for (let i = 0; i < n; i++) b[p + i] = src[i];
    this.pos = p + n;
  }

  /** One line of text (the newline is added). */
  line(s: string): void {
    // (an empty one is common: the end of a line written as bytes; no call into the encoder)
    if (s.length) this.str(s);
    this.reserve(1);
    this.buf[this.pos++] = 10;
  }

  /** Take the buffered bytes (the buffer is then empty). */
  take(): Buffer[] {
    const chunks = this.full;
    this.full = [];
    if (this.pos > 0) chunks.push(this.buf.subarray(0, this.pos));
    // whoever took them keeps the bytes: go on in a fresh buffer
    if (chunks.length) this.buf = Buffer.allocUnsafe(this.limit + SLACK);
    this.pos = 0;
    return chunks;
  }

  /** Everything written so far as a string (the buffer is then empty). */
  text(): string {
    const c = this.take();
    return c.length === 1 ? c[0].toString('utf8') : Buffer.concat(c).toString('utf8');
  }
}
