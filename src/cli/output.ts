/**
 * Buffered standard output that respects back-pressure and treats a closed pipe
 * (`vxdecode big.pcap | head`) as the reader having seen enough: quiet exit, status 0.
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

export class Output {
  private parts: string[] = [];
  private size = 0;
  /** Set when the reader went away (EPIPE); callers stop producing. */
  closed = false;
  /** A write error other than EPIPE (a full disk), reported by the caller. */
  failure: Error | undefined;

  constructor(
    private readonly stream: Writable = process.stdout,
    private readonly limit = 1 << 16,
  ) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else this.failure = e;
    });
  }

  line(s: string): void {
    this.parts.push(s);
    this.size += s.length + 1;
  }

  /** Hand buffered text to the stream once enough has gathered; wait if the stream is full. */
  async maybeFlush(): Promise<void> {
    if (this.size >= this.limit) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length || this.closed) {
      this.parts = [];
      this.size = 0;
      return;
    }
    // every part is a line: one join, no separate newline strings
    const text = `${this.parts.join('\n')}\n`;
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(text)) {
      await writable(this.stream);
    }
  }

  /** Flush and wait until everything written has left the process. */
  async end(): Promise<void> {
    await this.flush();
    if (this.closed) return;
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}
