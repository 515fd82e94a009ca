/**
 * Buffered standard output that respects back-pressure and treats a closed pipe
 * (`vxdecode big.pcap | head`) as the reader having seen enough: quiet exit, status 0.
 *
 * Text is encoded once, straight into a large Buffer (no array of strings joined and encoded
 * again), and fast formatters may write bytes into it directly (`reserve`, then `buf[pos++]`).
 */
import type { Writable } from 'node:stream';

/** Resolves when a full stream can take more (drain), or never will (error, close). */
export function writable(stream: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}

/** Room kept in each buffer beyond `limit`, so that one record rarely needs a new buffer. */
const SLACK = 1 << 16;

/** Node's unchecked UTF-8 encoder (what `buf.write` calls after checking its arguments). */
type Utf8Writer = Buffer & { utf8Write(s: string, offset: number): number };

export class Output {
  /** The buffer being filled, and the next byte to write (for fast formatters). */
  buf: Buffer;
  pos = 0;
  /** Filled buffers not yet handed to the stream (when one record did not fit). */
  private full: Buffer[] = [];
  /** Set when the reader went away (EPIPE); callers stop producing. */
  closed = false;
  /** A write error other than EPIPE (a full disk), reported by the caller. */
  failure: Error | undefined;

  constructor(
    private readonly stream: Writable = process.stdout,
    private readonly limit = 1 << 18,
  ) {
    this.buf = Buffer.allocUnsafe(limit + SLACK);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else this.failure = e;
    });
  }

  /** Make room for at least `n` more bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.limit + SLACK, n));
    this.pos = 0;
  }

  /** One line of text (the newline is added). */
  line(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    const max = s.length * 3 + 1;
    if (this.pos + max > this.buf.length) {
      // most lines are ASCII: only move on when the exact length does not fit either
      const n = Buffer.byteLength(s) + 1;
      if (this.pos + n > this.buf.length) this.reserve(n);
    }
    this.pos += (this.buf as Utf8Writer).utf8Write(s, this.pos);
    this.buf[this.pos++] = 10;
  }

  /** Text without a newline (a part of a line). */
  text(s: string): void {
    const max = s.length * 3;
    if (this.pos + max > this.buf.length) {
      const n = Buffer.byteLength(s);
      if (this.pos + n > this.buf.length) this.reserve(n);
    }
    this.pos += (this.buf as Utf8Writer).utf8Write(s, this.pos);
  }

  /** Bytes buffered and not yet handed to the stream. */
  get size(): number {
    let n = this.pos;
    for (const b of this.full) n += b.length;
    return n;
  }

  /** Hand buffered text to the stream once enough has gathered; wait if the stream is full. */
  async maybeFlush(): Promise<void> {
    if (this.pos >= this.limit || this.full.length) await this.flush();
  }

  async flush(): Promise<void> {
    const chunks = this.full;
    this.full = [];
    if (this.pos > 0) chunks.push(this.buf.subarray(0, this.pos));
    if (this.closed || !chunks.length) {
      this.pos = 0;
      return;
    }
    // the stream keeps the written Buffer until it is out: start a fresh one
    this.buf = Buffer.allocUnsafe(this.limit + SLACK);
    this.pos = 0;
    let ok = true;
    for (const c of chunks) ok = this.stream.write(c) && ok;
    if (!ok) await writable(this.stream);
  }

  /** Flush and wait until everything written has left the process. */
  async end(): Promise<void> {
    await this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}
