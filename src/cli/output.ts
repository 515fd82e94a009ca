/**
 * Buffered standard output that respects back-pressure and treats a closed pipe
 * (`vxdecode big.pcap | head`) as the reader having seen enough: quiet exit, status 0.
 *
 * Text is encoded once, straight into a large Buffer (TextBuffer; no array of strings joined
 * and encoded again), and fast formatters may write bytes into it directly.
 */
import type { Writable } from 'node:stream';
import { TextBuffer } from './text-buffer.js';

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

export class Output extends TextBuffer {
  /** Set when the reader went away (EPIPE); callers stop producing. */
  closed = false;
  /** A write error other than EPIPE (a full disk), reported by the caller. */
  failure: Error | undefined;

  constructor(
    private readonly stream: Writable = process.stdout,
    limit = 1 << 18,
  ) {
    super(limit);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else this.failure = e;
    });
  }

  /** Hand buffered text to the stream once enough has gathered; wait if the stream is full. */
  async maybeFlush(): Promise<void> {
    if (this.pos >= this.limit || this.full.length) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.closed) {
      this.pos = 0;
      this.full = [];
      return;
    }
    let ok = true;
    for (const c of this.take()) ok = this.stream.write(c) && ok;
    if (!ok) await writable(this.stream);
  }

  /** Flush and wait until everything written has left the process. */
  async end(): Promise<void> {
    await this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}
