/**
 * Live capture with the `cap` package (libpcap): several interfaces in one process, each its
 * own Source (NODE/IFACE, link type from libpcap), frames handed on in batches as they arrive.
 *
 * `cap` is an optional native addon: `loadCap()` says why it cannot be used instead of throwing,
 * and `capHelp()` says how to get it. Opening an interface turns libpcap's messages into a
 * CaptureError that names the cause (permission, no such interface, interface down, bad filter).
 *
 * What cap 0.2 hands over per packet is the bytes and a "truncated" flag only: no timestamp, no
 * wire length, no capture statistics. Each frame is stamped when vxdecode receives it (libpcap's
 * immediate mode is on, so that is soon after the kernel saw it), one stamp per event-loop
 * wakeup (see stamp()), from one monotonic clock for every interface, at microsecond
 * resolution; the wire length is the captured length. Kernel drops cannot be read through cap
 * and are reported as unknown.
 *
 * Memory is bounded: frames wait in one queue until the consumer takes them; when the consumer
 * falls behind by more than `maxQueueBytes`, new frames are let go and counted per interface.
 */
import { createRequire } from 'node:module';
import { FrameRecord, LinkType, type Frame, type Source } from './frame.js';
import type { SourceRegistry } from './input.js';

/** The parts of cap's API used here. */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', cb: (nbytes: number, truncated: boolean) => void): this;
  removeAllListeners(event?: string): this;
}
export interface CapModule {
  Cap: (new () => CapHandle) & {
    deviceList(): { name: string; description?: string; addresses?: { addr: string }[]; flags?: string }[];
  };
}

export type CapLoad = { readonly ok: true; readonly cap: CapModule } | { readonly ok: false; readonly reason: string };

let loaded: CapLoad | undefined;

/** Load the optional `cap` addon once; never throws. */
export function loadCap(): CapLoad {
  if (loaded) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const cap = require('cap') as CapModule;
    if (typeof cap?.Cap !== 'function') throw new Error('the cap module has no Cap class');
    loaded = { ok: true, cap };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg = String(err?.message ?? e).split('\n')[0];
    const reason =
      err?.code === 'MODULE_NOT_FOUND' && /'cap'|"cap"/.test(msg)
        ? 'the optional package "cap" (libpcap binding) is not installed'
        : err?.code === 'MODULE_NOT_FOUND' && /cap\.node/.test(msg)
          ? 'the optional package "cap" is installed but its native part was never built'
          : `the optional package "cap" (libpcap binding) cannot be loaded: ${msg}`;
    loaded = { ok: false, reason };
  }
  return loaded;
}

/** For tests: forget what loadCap() found. */
export function resetCapForTests(): void {
  loaded = undefined;
}

/** What to do when cap is missing (lines for standard error). */
export function capHelp(reason: string): string[] {
  return [
    `vxdecode live: ${reason}.`,
    '  To capture live, install the libpcap headers and build it:',
    '    sudo apt-get install libpcap-dev        (Debian/Ubuntu; libpcap-devel on Fedora/RHEL)',
    '    npm rebuild cap                          (in the vxdecode installation; needs make and a C++ compiler)',
    '  Meanwhile tcpdump can capture for vxdecode, one pipe per interface:',
    '    tcpdump -U -i eth0 -w - | vxdecode -',
    '    vxdecode node1/eth0=<(tcpdump -U -i eth0 -w -) node1/cni0=<(tcpdump -U -i cni0 -w -)',
  ];
}

export type CaptureErrorKind = 'permission' | 'no-device' | 'down' | 'filter' | 'other';

/** Opening a capture failed; `message` is for people, `kind` for callers. */
export class CaptureError extends Error {
  constructor(
    readonly kind: CaptureErrorKind,
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

/** libpcap's message → the cause, in words a user can act on. */
export function classifyOpenError(iface: string, filter: string | undefined, detail: string, devices?: () => string[]): CaptureError {
  const d = detail.toLowerCase();
  if (/permission|not permitted|eperm|eacces/.test(d)) {
    return new CaptureError(
      'permission',
      `cannot capture on ${iface}: permission denied (${detail}). Live capture needs root or the CAP_NET_RAW ` +
        `capability: run it with sudo, or once: sudo setcap cap_net_raw,cap_net_admin+eip "$(readlink -f "$(command -v node)")"`,
      detail,
    );
  }
  if (/no such device|doesn't exist|does not exist|no such interface/.test(d)) {
    let names = '';
    try {
      const list = devices?.() ?? [];
      if (list.length) names = ` (interfaces here: ${list.join(', ')})`;
    } catch {
      // the list is only a hint
    }
    return new CaptureError('no-device', `no interface named "${iface}" in this network namespace${names}`, detail);
  }
  if (/not up/.test(d)) return new CaptureError('down', `interface ${iface} is down (ip link set ${iface} up)`, detail);
  if (filter && /filter|syntax|parse|expression|unknown host|unknown port|illegal/.test(d)) {
    return new CaptureError('filter', `-f "${filter}": not a valid capture (BPF) filter: ${detail}`, detail);
  }
  return new CaptureError('other', `cannot capture on ${iface}: ${detail}`, detail);
}

/** cap's link type string → link type number (its "Unknown linktype N" carries the number). */
export function linkTypeOf(s: string): number {
  switch (s) {
    case 'ETHERNET':
      return LinkType.ETHERNET;
    case 'NULL':
      return LinkType.NULL;
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'RAW':
      return LinkType.RAW_101;
    case 'IEEE802_11_RADIO':
      return 127;
  }
  const m = /(\d+)/.exec(s);
  if (!m) return LinkType.ETHERNET;
  const dlt = Number(m[1]);
  // DLT values that differ from their LINKTYPE (pcap-common.c): DLT_RAW 12/14 → 101.
  return dlt === 12 || dlt === 14 ? LinkType.RAW_101 : dlt;
}

export interface LiveOptions {
  /** Interfaces to capture on (names in this network namespace). */
  readonly ifaces: readonly string[];
  /** Capture (BPF) filter for every interface. */
  readonly filter?: string;
  /** Node name for every source (default: the host name). */
  readonly node: string;
  /** libpcap buffer per interface in bytes (default 16 MiB). */
  readonly bufferSize?: number;
  /** Bytes of frames that may wait for the consumer before new ones are let go (default 64 MiB). */
  readonly maxQueueBytes?: number;
  /** The clock frames are stamped with: [seconds, nanoseconds] since the epoch. */
  readonly clock?: () => [number, number];
}

/** Per-interface counts, for the summary. */
export interface LiveStats {
  readonly source: Source;
  frames: number;
  bytes: number;
  /** Frames let go because the consumer fell behind. */
  lost: number;
  /** Frames longer than cap's 65535-byte buffer (cut). */
  truncated: number;
}

/** Wall-clock time from a monotonic clock anchored once (the wall clock may step under NTP). */
export function monotonicEpochClock(): () => [number, number] {
  const nowMs = performance.timeOrigin + performance.now();
  const baseSec = Math.floor(nowMs / 1000);
  const baseNsec = Math.round((nowMs - baseSec * 1000) * 1e6);
  const hr0 = process.hrtime();
  return () => {
    const d = process.hrtime(hr0);
    let sec = baseSec + d[0];
    let nsec = baseNsec + d[1];
    if (nsec >= 1e9) {
      nsec -= 1e9;
      sec++;
    }
    return [sec, nsec];
  };
}

const SNAPLEN = 65535;
const SLAB = 1 << 20;

/** One row of a live session's summary. */
export interface LiveRow {
  /** `node/iface`, raw. */
  readonly label: string;
  readonly frames: number;
  /** Kernel drops, when the backend can tell. */
  readonly dropped?: number;
  /** Frames vxdecode let go (consumer too slow). */
  readonly lost?: number;
  readonly note?: string;
}

/** What `vxdecode live` needs of a backend (cap, tcpdump). */
export interface LiveSession {
  /** Sources known so far (tcpdump's appear with their first frame). */
  readonly sources: Source[];
  /** Frames in timestamp order until stop() has taken effect and everything is handed on. */
  batches(): AsyncGenerator<Frame[]>;
  stop(): void;
  /** Per interface, after the batches ended. */
  summary(): LiveRow[];
  /** Whether summary() has kernel drop counts. */
  readonly dropsKnown: boolean;
}

/** Capture on several interfaces; iterate `batches()` for frames, `stop()` to end. */
/** Cap objects whose open failed (see openOne): never collected. */
const unusable: unknown[] = [];

export class LiveCapture implements LiveSession {
  readonly dropsKnown = false;
  readonly stats: LiveStats[] = [];
  private readonly handles: CapHandle[] = [];
  private queue: Frame[] = [];
  private queued = 0;
  private wake: (() => void) | undefined;
  private wakeScheduled = false;
  private stampNow: [number, number] | undefined;
  private stopped = false;
  private slab = new Uint8Array(SLAB);
  private slabPos = 0;
  private readonly maxQueue: number;

  private constructor(maxQueueBytes: number) {
    this.maxQueue = maxQueueBytes;
  }

  get sources(): Source[] {
    return this.stats.map((s) => s.source);
  }

  /**
   * Open every interface (all or nothing: if one fails, the others are closed) and start
   * capturing. Throws CaptureError.
   */
  static open(cap: CapModule, registry: SourceRegistry, o: LiveOptions): LiveCapture {
    const live = new LiveCapture(o.maxQueueBytes ?? 32 << 20);
    const clock = o.clock ?? monotonicEpochClock();
    const devices = (): string[] => cap.Cap.deviceList().map((d) => d.name);
    try {
      o.ifaces.forEach((iface, k) => live.openOne(cap, registry, o, iface, k, clock, devices));
    } catch (e) {
      live.stop();
      throw e;
    }
    return live;
  }

  private openOne(
    cap: CapModule,
    registry: SourceRegistry,
    o: LiveOptions,
    iface: string,
    ifId: number,
    clock: () => [number, number],
    devices: () => string[],
  ): void {
    const c = new cap.Cap();
    const buf = Buffer.alloc(SNAPLEN + 1);
    let linkName: string;
    try {
      linkName = c.open(iface, o.filter ?? '', o.bufferSize ?? 16 << 20, buf);
    } catch (e) {
      // cap 0.2's destructor stops a poll handle that a failed open never started (a crash
      // when the object is collected): keep it for the life of the process
      unusable.push(c);
      throw classifyOpenError(iface, o.filter, String((e as Error)?.message ?? e), devices);
    }
    this.handles.push(c);
    const source = registry.add({
      file: `live:${iface}`,
      node: o.node,
      iface,
      ifId,
      section: 0,
      linkType: linkTypeOf(linkName),
      fcsLength: 0,
      snaplen: SNAPLEN,
      tsUnitsPerSec: 1e6,
    });
    const st: LiveStats = { source, frames: 0, bytes: 0, lost: 0, truncated: 0 };
    this.stats.push(st);
    let number = 0;
    c.on('packet', (nbytes: number, truncated: boolean) => {
      if (this.stopped) return;
      number++;
      if (this.queued + nbytes > this.maxQueue) {
        st.lost++;
        return;
      }
      const [sec, ns] = this.stamp(clock);
      const bytes = this.copy(buf, nbytes);
      st.frames++;
      st.bytes += nbytes;
      if (truncated) st.truncated++;
      this.queue.push(new FrameRecord(source, number, sec, ns - (ns % 1000), nbytes, nbytes, bytes, 0, 0));
      this.queued += nbytes;
      this.schedule();
    });
  }

  /**
   * The time of this turn of the event loop: every packet handed over in one wakeup gets the same
   * stamp. libuv serves the interfaces one after another, so stamping each packet as its callback
   * runs would order a packet's sightings by which interface was served first (a reply seen on
   * veth1 "before" the request on cni0); one stamp per wakeup makes them ties, which the trace
   * orders by direction and role as it does for kernel timestamps that tie.
   */
  private stamp(clock: () => [number, number]): [number, number] {
    if (!this.stampNow) {
      this.stampNow = clock();
      setImmediate(() => (this.stampNow = undefined));
    }
    return this.stampNow;
  }

  /** Copy a packet out of cap's buffer (reused for the next one) into a slab. */
  private copy(buf: Buffer, n: number): Uint8Array {
    if (this.slabPos + n > this.slab.length) {
      this.slab = new Uint8Array(Math.max(SLAB, n));
      this.slabPos = 0;
    }
    const at = this.slabPos;
    this.slab.set(buf.subarray(0, n), at);
    this.slabPos = (at + n + 7) & ~7;
    return this.slab.subarray(at, at + n);
  }

  /** Wake the consumer once per turn of the event loop, so that a burst is one batch. */
  private schedule(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wake?.();
    });
  }

  /** Frames as they arrive, in arrival order (which is timestamp order: one clock for all). */
  async *batches(signal?: AbortSignal): AsyncGenerator<Frame[]> {
    const onAbort = (): void => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.stop();
    try {
      for (;;) {
        if (this.queue.length) {
          const b = this.queue;
          this.queue = [];
          this.queued = 0;
          yield b;
          continue;
        }
        if (this.stopped) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.stop();
    }
  }

  summary(): LiveRow[] {
    return this.stats.map((s) => ({
      label: s.source.iface ? `${s.source.node}/${s.source.iface}` : s.source.node,
      frames: s.frames,
      lost: s.lost,
      note: s.truncated ? `${s.truncated} cut at ${SNAPLEN} bytes` : undefined,
    }));
  }

  /** Stop capturing (frames already queued are still handed on). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.handles) {
      try {
        h.close();
      } catch {
        // closing twice or after the interface vanished
      }
      h.removeAllListeners('packet');
    }
    this.wake?.();
  }
}
