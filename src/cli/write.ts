/**
 * `--write FILE.pcapng` (decode, trace, live) and `vxdecode merge`: the frames a run read, as
 * one pcapng that Wireshark opens, with one interface block per source named NODE/IFACE, link
 * type and timestamp resolution as captured.
 *
 * - PcapngFile: the file itself. Opened up front (so a bad path is a usage error before any
 *   capturing), written in chunks, and every write error (a full disk) is kept and reported.
 * - TraceWriter: what `trace --write` needs on top: each frame held until the trace it belongs
 *   to is closed, then written with a comment naming its packet and hop
 *   ("pkt 12 hop 3/10 node1 flannel.1 +23 µs"), and timestamps corrected by the clock offsets
 *   the trace applied (setOffsets, the hook the skew estimate calls). Memory: the frames of the
 *   traces still open, i.e. about one correlation window of traffic.
 */
import { closeSync, createWriteStream, openSync, realpathSync, statSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { PcapngWriter, type WriterInterface } from '../capture/pcapng-writer.js';
import { parseInputArg, sourceLabel, UsageError } from '../capture/input.js';
import { writable } from './output.js';
import type { Frame, Source } from '../capture/frame.js';
import type { Trace } from '../analysis/timeline.js';
import { packetSummary } from '../analysis/timeline.js';
import { escapeText } from './escape.js';
import { duration } from './time.js';
import { MinHeap } from '../util/heap.js';

/** Options of every command that can write a pcapng. */
export interface WriteArgs {
  /** `--write FILE.pcapng`: also write the frames read (the filtered ones) to this file. */
  write?: string;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EPIPE: 'the reader went away (broken pipe)',
};

/** `no space left on device (ENOSPC)` */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && ERRNO_TEXT[code]) return `${ERRNO_TEXT[code]} (${code})`;
  return code ?? (e instanceof Error ? e.message : String(e));
}

/** `--write` may not name one of the inputs (arguments as given, labels allowed): it would be emptied before it is read. */
export function checkNotInput(out: string, inputs: readonly string[]): void {
  let outReal: string;
  try {
    outReal = realpathSync(out);
  } catch {
    return; // does not exist yet: cannot be an input
  }
  for (const arg of inputs) {
    const p = parseInputArg(arg).path; // labelled inputs: node1/eth0=PATH
    if (p === '-') continue;
    try {
      if (realpathSync(p) === outReal && statSync(p).isFile()) {
        throw new UsageError(`--write ${out}: that is one of the inputs; writing it would destroy it before it is read`);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
    }
  }
}

export interface WriteOptions {
  /** Comments on this frame (raw text; pcapng carries UTF-8). */
  readonly comments?: readonly string[];
  /** Subtract this many nanoseconds from the timestamp (clock correction). */
  readonly offsetNs?: number;
}

/** The timestamp (sec, nsec) moved back by deltaNs (a clock offset to subtract), exactly. */
export function shiftTs(sec: number, nsec: number, deltaNs: number): [number, number] {
  if (!deltaNs) return [sec, nsec];
  const dSec = Math.trunc(deltaNs / 1e9);
  let s = sec - dSec;
  let n = nsec - (deltaNs - dSec * 1e9);
  while (n < 0) {
    n += 1e9;
    s--;
  }
  while (n >= 1e9) {
    n -= 1e9;
    s++;
  }
  return [s, Math.round(n)];
}

/** The pcapng a run writes: open it with PcapngFile.open, write frames, then close(). */
export class PcapngFile {
  private readonly writer: PcapngWriter;
  private readonly ifaces = new Map<Source, WriterInterface>();
  private parts: Uint8Array[] = [];
  private size = 0;
  private error: Error | undefined;
  private closed = false;
  /** Frames written (handed to the file). */
  frames = 0;
  bytes = 0;
  /** Interface-block descriptions added to the source's own (e.g. a clock correction). */
  readonly notes = new Map<string, string>();

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly chunk: number,
  ) {
    stream.on('error', (e) => {
      this.error ??= e;
    });
    this.writer = new PcapngWriter((b) => {
      this.parts.push(b);
      this.size += b.length;
    });
  }

  /**
   * Create (truncate) the file now, so that a path that cannot be written is reported before a
   * capture starts. Throws UsageError with the reason.
   */
  static open(path: string, o: { inputs?: readonly string[]; chunk?: number } = {}): PcapngFile {
    if (o.inputs) checkNotInput(path, o.inputs);
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new UsageError(`--write ${path}: cannot create it: ${errnoText(e)}`);
    }
    let stream: WriteStream;
    try {
      stream = createWriteStream(resolve(path), { fd, autoClose: true });
    } catch (e) {
      closeSync(fd);
      throw new UsageError(`--write ${path}: ${errnoText(e)}`);
    }
    return new PcapngFile(path, stream, o.chunk ?? 1 << 16);
  }

  /** The first write error, if any (then nothing more is written). */
  get failure(): Error | undefined {
    return (this.error ??= this.stream.errored ?? undefined);
  }

  /** One line for standard error about the failure. */
  failureLine(): string | undefined {
    const e = this.failure;
    if (!e) return undefined;
    return `vxdecode: cannot write ${escapeText(this.path)}: ${errnoText(e)}; the file is incomplete`;
  }

  private iface(s: Source): WriterInterface {
    let i = this.ifaces.get(s);
    if (!i) {
      const note = this.notes.get(s.node);
      const description = [s.description, note].filter(Boolean).join('; ') || undefined;
      i = {
        name: sourceLabel(s),
        linkType: s.linkType,
        snaplen: s.snaplen || undefined,
        tsUnitsPerSec: s.tsUnitsPerSec,
        description,
      };
      this.ifaces.set(s, i);
    }
    return i;
  }

  /** Write one frame (its interface block first, the first time its source is seen). */
  frame(f: Frame, o: WriteOptions = {}): void {
    if (this.failure || this.closed) return;
    const [tsSec, tsNsec] = o.offsetNs ? shiftTs(f.tsSec, f.tsNsec, o.offsetNs) : [f.tsSec, f.tsNsec];
    const comments = o.comments?.length ? (f.comments ? [...f.comments, ...o.comments] : o.comments) : f.comments;
    this.writer.packet(f.source, this.iface(f.source), { tsSec, tsNsec, len: f.len, bytes: f.bytes, comments });
    this.frames++;
    this.bytes += f.caplen;
    if (this.size >= this.chunk) this.flush();
  }

  /** Hand what is buffered to the file. Returns false when the file is full (call drain()). */
  flush(): boolean {
    if (!this.parts.length || this.failure) {
      this.parts = [];
      this.size = 0;
      return true;
    }
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return this.stream.write(buf);
  }

  /** Flush and wait until the file has taken it (back-pressure: disks can be slow). */
  async drain(): Promise<void> {
    if (this.flush() || this.failure) return;
    await writable(this.stream);
  }

  /** Flush, close, and return the first error (full disk, I/O error), if any. */
  async close(): Promise<Error | undefined> {
    if (this.closed) return this.error;
    this.flush();
    this.closed = true;
    await new Promise<void>((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once('close', () => resolve());
      if (!this.stream.destroyed) this.stream.end();
    });
    // a failed write destroys the stream at once and emits 'error' a tick later
    this.error ??= this.stream.errored ?? undefined;
    return this.error;
  }
}

/** `pkt 12 hop 3/10 node1 flannel.1 +23 µs` (node and interface raw: pcapng comments are data). */
export function hopComment(t: Trace, k: number): string {
  const h = t.hops[k];
  const since = h.sinceFirstNs === 0 ? '0 µs' : duration(h.sinceFirstNs);
  return `pkt ${t.id} hop ${k + 1}/${t.hops.length} ${h.iface.node} ${h.iface.name} +${since}`;
}

/** `pkt 12: ICMP echo request 10.10.1.5 > 10.10.2.6 id 2717 seq 1 (84 B): delivered, reached node2 pod2.eth0` */
export function traceComment(t: Trace): string {
  const v = t.verdict;
  return `pkt ${t.id}: ${packetSummary(t.hops[0].obs)}: ${v.status}${v.reason ? `, ${v.reason}` : ''}`;
}

interface Held {
  readonly f: Frame;
  /** Corrected time, ns since the writer's base second. */
  readonly t: number;
  /** Order of arrival (ties). */
  readonly seq: number;
  /** 0 waiting for its trace, 1 ready to write, 2 not to be written. */
  state: 0 | 1 | 2;
  comments?: string[];
}

export interface TraceWriterOptions {
  /** The correlation window (ns): how long a frame may wait for its trace. */
  readonly windowNs: number;
  /** Only write frames of traces passed to trace(t, true) (a packet/flow/verdict selection). */
  readonly onlyTraced?: boolean;
  /** Add `traceComment` on each trace's first hop (default true). */
  readonly summaryComment?: boolean;
}

/**
 * Frames as the engine saw them, written in corrected-timestamp order, each once the trace it
 * belongs to is closed, with the trace's comments. Calls, for each frame: `frame(f, traced)`
 * where `traced` says whether the engine will put it in a trace (an IPv4 sighting); whenever
 * the engine emits a trace, `trace(t, shown)`; after each batch `afterBatch()`; at the end
 * (after the engine's finish) `finish()`. Offsets (`setOffsets`) are set before the first frame.
 *
 * Order: frames come in raw timestamp order; subtracting a node's clock offset can move a frame
 * before ones already seen by at most the largest offset, so a frame is written only once the
 * raw clock has moved that far past it, and the held frames are kept in a heap by corrected time.
 */
export class TraceWriter {
  /** Held frames by (corrected time, arrival). */
  private readonly heap = new MinHeap<Held>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq));
  /** Held frames waiting for a trace, by `sourceId:frameNumber`. */
  private readonly waiting = new Map<string, Held>();
  private offsets: ReadonlyMap<string, number> = new Map();
  private maxOff = 0;
  private base = -1;
  private seq = 0;
  /** Latest raw time seen (ns since base). */
  private rawNow = -Infinity;
  /** Frames written without a trace because none came within the limit (should stay 0). */
  expired = 0;

  constructor(
    readonly file: PcapngFile,
    private readonly o: TraceWriterOptions,
  ) {}

  /**
   * The hook for the clock correction: node → offset (node clock − reference, ns), subtracted
   * from that node's timestamps in the file, and noted in its interface descriptions.
   */
  setOffsets(offsets: ReadonlyMap<string, number>): void {
    this.offsets = offsets;
    this.maxOff = 0;
    for (const [node, off] of offsets) {
      if (off > this.maxOff) this.maxOff = off;
      if (off) this.file.notes.set(node, `vxdecode: timestamps corrected by ${-off} ns (clock offset of ${node})`);
    }
  }

  frame(f: Frame, traced: boolean): void {
    if (this.base < 0) this.base = f.tsSec;
    const raw = (f.tsSec - this.base) * 1e9 + f.tsNsec;
    if (raw > this.rawNow) this.rawNow = raw;
    const h: Held = { f, t: raw - (this.offsets.get(f.source.node) ?? 0), seq: this.seq++, state: traced ? 0 : this.o.onlyTraced ? 2 : 1 };
    if (traced) this.waiting.set(`${f.source.id}:${f.number}`, h);
    this.heap.push(h);
  }

  trace(t: Trace, shown = true): void {
    const n = t.hops.length;
    for (let k = 0; k < n; k++) {
      const hop = t.hops[k];
      const sid = hop.obs.source.id;
      const comment = hopComment(t, k);
      for (const num of hop.frames) {
        const key = `${sid}:${num}`;
        const h = this.waiting.get(key);
        if (!h) continue;
        this.waiting.delete(key);
        if (!shown && this.o.onlyTraced) {
          h.state = 2;
          continue;
        }
        h.state = 1;
        h.comments = k === 0 && num === hop.frames[0] && this.o.summaryComment !== false ? [comment, traceComment(t)] : [comment];
      }
    }
  }

  /**
   * Write, in corrected-time order, every held frame that is settled and that no later frame can
   * precede; one that waited far longer than any trace can (3 windows + 60 s) is written as is.
   */
  afterBatch(): void {
    const safe = this.rawNow - Math.max(0, this.maxOff) - 1;
    const expire = this.rawNow - 3 * this.o.windowNs - 60e9;
    const h = this.heap;
    while (h.size) {
      const top = h.peek()!;
      if (top.t > safe) break;
      if (top.state === 0) {
        if (top.t >= expire && h.size < 2_000_000) break;
        this.waiting.delete(`${top.f.source.id}:${top.f.number}`);
        this.expired++;
        top.state = 1;
      }
      h.pop();
      this.write(top);
    }
  }

  /** End of input (the engine has emitted every trace): write everything still held. */
  finish(): void {
    while (this.heap.size) {
      const top = this.heap.pop();
      if (top.state === 0) {
        if (this.o.onlyTraced) continue;
        this.expired++;
      }
      this.write(top);
    }
    this.waiting.clear();
  }

  /** Frames held in memory now. */
  get holding(): number {
    return this.heap.size;
  }

  private write(h: Held): void {
    if (h.state === 2) return;
    this.file.frame(h.f, { comments: h.comments, offsetNs: this.offsets.get(h.f.source.node) });
  }
}
