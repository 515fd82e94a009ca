/**
 * The other live backend: one `tcpdump -U -w -` per interface, read as it writes. What it has
 * over `cap`: the kernel's timestamps, in nanoseconds (cap hands over no timestamp at all, so
 * the sightings of one packet on several interfaces are ordered by when vxdecode got them, not
 * by when the kernel saw them), the wire length, and the kernel's drop count at the end.
 * What it costs: a tcpdump process per interface.
 *
 * tcpdump runs with --immediate-mode so that packets come out as they are captured (without it
 * libpcap hands them over in blocks up to a second late), with a larger buffer (-B) because
 * immediate mode uses fixed-size ring slots that a burst can fill.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CaptureParser, type CaptureProblem } from './parser.js';
import type { Frame, Source } from './frame.js';
import type { SourceRegistry } from './input.js';
import { CaptureError, classifyOpenError, type LiveOptions, type LiveRow, type LiveSession } from './live.js';
import { mergeBatchesLive } from './live-merge.js';

export interface TcpdumpOptions extends LiveOptions {
  /** The tcpdump program (default `tcpdump` from PATH). */
  readonly tcpdump?: string;
  /** How long to wait for every tcpdump to report it is listening (ms, default 10 000). */
  readonly startTimeoutMs?: number;
}

interface Child {
  readonly iface: string;
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  readonly parser: CaptureParser;
  stderr: string;
  exited: Promise<number | null>;
  source?: Source;
  frames: number;
  dropped?: number;
}

/** Capture with one tcpdump per interface; iterate `batches()`, `stop()` to end. */
export class TcpdumpCapture implements LiveSession {
  readonly dropsKnown = true;
  private readonly children: Child[] = [];
  private stopping = false;

  private constructor(
    readonly registry: SourceRegistry,
    private readonly node: string,
  ) {}

  /** The sources, in interface order (known once each tcpdump wrote its file header). */
  get sources(): Source[] {
    return this.children.flatMap((c) => (c.source ? [c.source] : []));
  }

  /** Start every tcpdump and wait until each listens (or one fails: then all are stopped). */
  static async open(registry: SourceRegistry, o: TcpdumpOptions): Promise<TcpdumpCapture> {
    const t = new TcpdumpCapture(registry, o.node);
    const bufKiB = Math.max(1024, Math.round((o.bufferSize ?? 32 << 20) / 1024));
    try {
      await Promise.all(
        o.ifaces.map((iface, k) => t.start(registry, o, iface, k, bufKiB)),
      );
    } catch (e) {
      t.stop();
      throw e;
    }
    return t;
  }

  private start(registry: SourceRegistry, o: TcpdumpOptions, iface: string, ifId: number, bufKiB: number): Promise<void> {
    const args = ['-U', '-n', '--immediate-mode', '-B', String(bufKiB), '-s', '262144', '--time-stamp-precision', 'nano', '-i', iface, '-w', '-'];
    if (o.filter) args.push(o.filter);
    const file = `tcpdump:${iface}`;
    const proc = spawn(o.tcpdump ?? 'tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const c: Child = {
      iface,
      proc,
      stderr: '',
      frames: 0,
      exited: new Promise((resolve) => proc.once('close', (code) => resolve(code))),
      parser: new CaptureParser(file, (info) => {
        const s = registry.add({
          file,
          node: o.node,
          iface,
          ifId,
          section: 0,
          linkType: info.linkType,
          fcsLength: info.fcsLength,
          snaplen: info.snaplen,
          tsUnitsPerSec: info.tsUnitsPerSec,
        });
        c.source = s;
        return s;
      }),
    };
    this.children.push(c);
    proc.stderr.setEncoding('utf8');
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      const timer = setTimeout(() => {
        if (!listening) reject(new CaptureError('other', `tcpdump on ${iface} did not start within ${(o.startTimeoutMs ?? 10000) / 1000} s`, ''));
      }, o.startTimeoutMs ?? 10_000);
      proc.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          e.code === 'ENOENT'
            ? new CaptureError('other', `tcpdump is not installed (or not in PATH): apt-get install tcpdump, or use the cap backend`, String(e.message))
            : new CaptureError('other', `cannot start tcpdump: ${e.message}`, String(e.message)),
        );
      });
      proc.stderr.on('data', (d: string) => {
        if (c.stderr.length < 65536) c.stderr += d;
        if (!listening && /listening on /.test(c.stderr)) {
          listening = true;
          clearTimeout(timer);
          resolve();
        }
        const m = /(\d+) packets? dropped by kernel/.exec(c.stderr);
        if (m) c.dropped = Number(m[1]);
      });
      void c.exited.then((code) => {
        clearTimeout(timer);
        if (!listening) {
          const msg = c.stderr
            .split('\n')
            .map((l) => l.replace(/^tcpdump: /, '').trim())
            .filter(Boolean)
            .join('; ');
          reject(classifyOpenError(iface, o.filter, msg || `tcpdump exited with status ${code}`));
        }
      });
    });
  }

  /** Frames of every interface merged by (kernel) timestamp, until every tcpdump has ended. */
  batches(): AsyncGenerator<Frame[]> {
    const one = async function* (c: Child): AsyncGenerator<Frame[]> {
      for await (const chunk of c.proc.stdout) {
        c.parser.feed(chunk as Uint8Array);
        if (c.parser.frames.length) {
          const b = c.parser.frames;
          c.parser.frames = [];
          c.frames += b.length;
          yield b;
        }
        if (c.parser.error) break;
      }
      c.parser.end();
    };
    return mergeBatchesLive(
      this.children.map((c) => ({ [Symbol.asyncIterator]: () => one(c) })),
      { holdMs: 200 },
    );
  }

  /** Ask every tcpdump to stop (SIGINT: it writes what it holds and its statistics). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of this.children) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGINT');
      // one that does not stop within 2 s is made to
      const t = setTimeout(() => c.proc.kill('SIGKILL'), 2000);
      t.unref();
      void c.exited.then(() => clearTimeout(t));
    }
  }

  /** Wait until every tcpdump has exited (after stop()). */
  async exited(): Promise<void> {
    await Promise.all(this.children.map((c) => c.exited));
  }

  summary(): LiveRow[] {
    return this.children.map((c) => ({
      label: `${this.node}/${c.iface}`,
      frames: c.frames,
      dropped: c.dropped,
      note: c.parser.error ? `stopped: ${c.parser.error.message}` : c.dropped === undefined ? 'tcpdump gave no statistics' : undefined,
    }));
  }

  /** Per interface: frames read, kernel drops (from tcpdump's statistics), problems. */
  stats(): { iface: string; source?: Source; frames: number; dropped?: number; problem?: CaptureProblem }[] {
    return this.children.map((c) => ({
      iface: c.iface,
      source: c.source,
      frames: c.frames,
      dropped: c.dropped,
      problem: c.parser.error,
    }));
  }
}
