/**
 * Inputs: command-line arguments (`PATH`, `-`, `NODE/IFACE=PATH`, `NODE=PATH`) opened as
 * streams and turned into batches of frames, each frame pointing at a named Source.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { CaptureParser, type CaptureProblem, type InterfaceInfo } from './parser.js';
import { LinkType, type Frame, type Source } from './frame.js';
import { openStream } from './live-stream.js';

export interface InputSpec {
  /** The argument as given. */
  readonly arg: string;
  /** File path, or `-` for standard input. */
  readonly path: string;
  /** Node and interface from a label, if one was given. */
  readonly node?: string;
  readonly iface?: string;
}

/**
 * `node1/flannel.1=n1.pcap` → node1, flannel.1; `node1=n1.pcapng` → node1. An argument that
 * names an existing file is a path even if it contains `=`.
 */
export function parseInputArg(arg: string, exists: (p: string) => boolean = existsSync): InputSpec {
  const eq = arg.indexOf('=');
  if (eq > 0 && !(arg !== '-' && exists(arg))) {
    const label = arg.slice(0, eq);
    const path = arg.slice(eq + 1);
    const slash = label.indexOf('/');
    return slash < 0
      ? { arg, path, node: label }
      : { arg, path, node: label.slice(0, slash), iface: label.slice(slash + 1) || undefined };
  }
  return { arg, path: arg };
}

/** `node1-flannel.1.pcap` → node1, flannel.1; `node1.pcapng` → node1, ''. */
export function nameFromPath(path: string): { node: string; iface: string } {
  if (path === '-') return { node: 'stdin', iface: '' };
  const name = basename(path).replace(/\.(pcapng|pcap|cap|ntar|dmp)$/i, '');
  const dash = name.indexOf('-');
  return dash < 0 ? { node: name, iface: '' } : { node: name.slice(0, dash), iface: name.slice(dash + 1) };
}

/** Interface names by node and ifindex, for SLL2 (`tcpdump -i any`) captures. */
export class InterfaceNames {
  private readonly byNode = new Map<string, Map<number, string>>();

  set(node: string, ifindex: number, name: string): void {
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    m.set(ifindex, name);
  }

  get(node: string, ifindex: number): string | undefined {
    return this.byNode.get(node)?.get(ifindex);
  }

  /** Every name, as [node, ifindex, name] (to hand to another thread). */
  entries(): [string, number, string][] {
    const out: [string, number, string][] = [];
    for (const [node, m] of this.byNode) for (const [i, name] of m) out.push([node, i, name]);
    return out;
  }

  static from(entries: readonly [string, number, string][]): InterfaceNames {
    const n = new InterfaceNames();
    for (const [node, i, name] of entries) n.set(node, i, name);
    return n;
  }

  /** `--ifnames node1:3=cni0,node1:4=flannel.1` */
  addList(list: string): void {
    for (const item of list.split(',')) {
      const m = /^\s*([^:=\s]+):(\d+)=(\S+)\s*$/.exec(item);
      if (!m) throw new UsageError(`--ifnames: "${item}" is not NODE:INDEX=NAME`);
      this.set(m[1], Number(m[2]), m[3]);
    }
  }

  /** `--links node1=FILE` where FILE holds `ip -o link` (or `ip link`) output. */
  addLinksFile(arg: string): void {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`--links: "${arg}" is not NODE=FILE`);
    const node = arg.slice(0, eq);
    const file = arg.slice(eq + 1);
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--links: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    for (const line of content.split('\n')) {
      const m = /^(\d+):\s+([^:@\s]+)/.exec(line);
      if (m) this.set(node, Number(m[1]), m[2]);
    }
  }
}

/** A problem with how vxdecode was called (exit status 1, no stack trace). */
export class UsageError extends Error {}

/** Every Source seen in a run, numbered in order of appearance. */
export class SourceRegistry {
  readonly sources: Source[] = [];

  add(s: Omit<Source, 'id'>): Source {
    const source = { ...s, id: this.sources.length } as Source;
    this.sources.push(source);
    return source;
  }
}

export interface OpenOptions {
  readonly registry: SourceRegistry;
  readonly names?: InterfaceNames;
  /** Stream to use for `-` (standard input by default). */
  readonly stdin?: Readable;
  /** Read size for files. */
  readonly chunkSize?: number;
}

/** One open input: iterate `batches()` for frames, then read `problem()` and `parser`. */
export class Input {
  readonly parser: CaptureParser;
  private readonly derived = new Map<string, Source>();

  constructor(
    readonly spec: InputSpec,
    private readonly opts: OpenOptions,
  ) {
    const fromPath = nameFromPath(spec.path);
    const node = spec.node ?? fromPath.node;
    this.parser = new CaptureParser(spec.path, (info: InterfaceInfo) =>
      opts.registry.add({
        file: spec.path,
        node,
        iface:
          spec.iface ??
          info.ifName ??
          (info.ifId === 0 && info.section === 0 ? fromPath.iface : `${fromPath.iface || 'if'}#${info.ifId}`),
        ifId: info.ifId,
        section: info.section,
        linkType: info.linkType,
        fcsLength: info.fcsLength,
        snaplen: info.snaplen,
        tsUnitsPerSec: info.tsUnitsPerSec,
        description: info.description,
      }),
    );
  }

  /** The registry and names this input was opened with. */
  get options(): OpenOptions {
    return this.opts;
  }

  /** A file that cannot be opened at all, as a problem at offset 0 (checked before reading). */
  static check(spec: InputSpec): CaptureProblem | undefined {
    if (spec.path === '-') return undefined;
    try {
      const st = statSync(spec.path);
      if (st.isDirectory()) return { file: spec.path, offset: 0, message: 'is a directory, not a capture file' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        file: spec.path,
        offset: 0,
        message: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? e),
      };
    }
    return undefined;
  }

  /** Batches of frames in file order, one per chunk read; empty batches are skipped. */
  async *batches(): AsyncGenerator<Frame[]> {
    const { spec, parser } = this;
    let stream: (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    try {
      // FIFOs (named pipes, `<(...)`) through a pipe handle: an fs stream would hold a thread-pool
      // thread per idle pipe and stall every other file read and write (live-stream.ts)
      stream = spec.path === '-' ? (this.opts.stdin ?? process.stdin) : await openStream(spec.path, this.opts.chunkSize ?? 1 << 18);
      for await (const chunk of stream) {
        parser.feed(chunk as Uint8Array);
        if (parser.frames.length) {
          const batch = parser.frames;
          parser.frames = [];
          this.nameSll2(batch);
          yield batch;
        }
        if (parser.error) break;
      }
    } catch (e) {
      if (!parser.error) {
        const code = (e as NodeJS.ErrnoException).code;
        parser.error = {
          file: spec.path,
          offset: parser.bytesRead,
          message: `read failed: ${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))}`,
        };
      }
    } finally {
      if (spec.path !== '-') stream?.destroy?.();
    }
    parser.end();
  }

  /** The fatal problem with this input, if any. */
  problem(): CaptureProblem | undefined {
    return this.parser.error;
  }

  /**
   * A `tcpdump -i any` (SLL2) capture names the interface of each packet by its ifindex: give
   * each index a Source of its own so that every later stage sees a real interface.
   */
  private nameSll2(batch: Frame[]): void {
    for (const f of batch) {
      const s = f.source;
      if (s.linkType !== LinkType.LINUX_SLL2 || f.caplen < 8) continue;
      const b = f.bytes;
      const ifindex = ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
      const key = `${s.id}:${ifindex}`;
      let d = this.derived.get(key);
      if (!d) {
        const name = this.opts.names?.get(s.node, ifindex) ?? `ifindex${ifindex}`;
        d = this.opts.registry.add({ ...s, iface: name, ifId: ifindex });
        this.derived.set(key, d);
      }
      (f as { source: Source }).source = d;
    }
  }
}

/** `node/iface` (or just the node when the interface has no name). */
export function sourceLabel(s: Source): string {
  return s.iface ? `${s.node}/${s.iface}` : s.node;
}
