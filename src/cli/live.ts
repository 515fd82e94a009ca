/**
 * `vxdecode live -i IFACE [-i IFACE ...]`: capture on several interfaces of this host at once
 * (libpcap through the optional `cap` addon), decode each frame as it arrives, or `--trace` the
 * packets across the interfaces (a timeline is printed once its correlation window has closed),
 * optionally `--write` what was captured to one pcapng. Ctrl-C (or `--seconds`, `--max-frames`)
 * ends it with a summary on standard error: frames per interface, and what was lost.
 *
 * Memory stays bounded however long it runs: decode keeps nothing per frame, the trace engine
 * keeps one window of traffic, the capture queue is capped (frames beyond it are let go and
 * counted), and the --write file is written as it goes.
 */
import { hostname } from 'node:os';
import { SourceRegistry, UsageError } from '../capture/input.js';
import type { Frame } from '../capture/frame.js';
import { CaptureError, LiveCapture, capHelp, loadCap, type CapLoad, type CapModule, type LiveSession } from '../capture/live.js';
import { TcpdumpCapture } from '../capture/live-tcpdump.js';
import { ticking } from '../capture/live-merge.js';
import { dissect, type DecodeOptions } from '../decoders/index.js';
import type { Packet } from '../decoders/layer.js';
import { TraceEngine } from '../analysis/engine.js';
import { Ports } from '../analysis/extract.js';
import { summaryJson, summaryText, traceJson, traceText } from '../analysis/format.js';
import { RoleOverrides } from '../analysis/roles.js';
import { parseDurationNs } from '../analysis/run.js';
import type { Trace } from '../analysis/timeline.js';
import { compileFilter, FilterError } from '../filter/index.js';
import { frameText } from './decode.js';
import { writeFrameJson } from './json.js';
import { escapeText } from './escape.js';
import type { Output } from './output.js';
import { hexDump, packetDetail } from './packet-text.js';
import { onInterrupt, summaryLines } from './signals.js';
import { PcapngFile, TraceWriter, errnoText } from './write.js';

export interface LiveArgs {
  /** Interfaces (-i), each may also be a comma-separated list. */
  iface: string[];
  /** Capture (BPF) filter (-f), applied by libpcap. */
  bpf?: string;
  /** Display filter (-Y), applied after decoding. */
  filter?: string;
  node?: string;
  json?: boolean;
  verbose?: boolean;
  hex?: boolean;
  trace?: boolean;
  write?: string;
  decode: DecodeOptions;
  /** Trace: correlation window (`1s`, `500ms`). */
  window?: string;
  role?: string[];
  /** Stop after this many frames (all interfaces together). */
  maxFrames?: number;
  /** Stop after this many seconds. */
  seconds?: number;
  /** libpcap buffer per interface, MiB. */
  bufferMb?: number;
  /** cap (the libpcap addon, default) or tcpdump (one tcpdump per interface: kernel timestamps). */
  backend?: string;
  /** For tests: a cap module to use instead of loading the addon (or null: "not installed"). */
  cap?: CapModule | null;
}

/** How long a live trace waits after the newest frame before it counts time by the clock. */
const TICK_MS = 100;

export async function runLive(a: LiveArgs, out: Output, stderr: (l: string) => void): Promise<number> {
  const ifaces = a.iface.flatMap((i) => String(i).split(',')).map((s) => s.trim()).filter(Boolean);
  if (!ifaces.length) throw new UsageError('live needs at least one interface: -i eth0 [-i cni0 ...]');
  const dup = ifaces.find((x, k) => ifaces.indexOf(x) !== k);
  if (dup) throw new UsageError(`-i ${dup} is given twice`);
  if (a.maxFrames !== undefined && !(Number.isInteger(a.maxFrames) && a.maxFrames > 0)) {
    throw new UsageError(`--max-frames ${a.maxFrames}: not a positive whole number`);
  }
  if (a.seconds !== undefined && !(a.seconds > 0)) throw new UsageError(`--seconds ${a.seconds}: not a positive number`);
  if (a.bufferMb !== undefined && !(a.bufferMb >= 1 && a.bufferMb <= 4096)) {
    throw new UsageError(`--buffer-size ${a.bufferMb}: give MiB between 1 and 4096`);
  }
  let keep: ((p: Packet) => boolean) | undefined;
  if (a.filter) {
    try {
      keep = compileFilter(a.filter);
    } catch (e) {
      if (e instanceof FilterError) throw new UsageError(`-Y: ${e.message}\n${e.pointer()}`);
      throw e;
    }
  }
  let windowNs = 1e9;
  if (a.window !== undefined) {
    try {
      windowNs = parseDurationNs(a.window);
    } catch (e) {
      throw new UsageError(`--window: ${(e as Error).message}`);
    }
    if (!(windowNs > 0)) throw new UsageError('--window must be more than 0');
  }
  const roles = new RoleOverrides();
  for (const r of a.role ?? []) roles.add(r);

  const node = a.node || hostname();
  const backend = a.backend ?? 'cap';
  if (backend !== 'cap' && backend !== 'tcpdump') throw new UsageError(`--backend ${backend}: cap or tcpdump`);
  const bufferSize = a.bufferMb !== undefined ? Math.round(a.bufferMb * (1 << 20)) : undefined;
  // the addon, before anything is created
  let cap: CapModule | undefined;
  if (backend === 'cap') {
    const loaded: CapLoad =
      a.cap === null
        ? { ok: false, reason: 'the optional package "cap" (libpcap binding) is not installed' }
        : a.cap
          ? { ok: true, cap: a.cap }
          : loadCap();
    if (!loaded.ok) {
      for (const l of capHelp(loaded.reason)) stderr(l);
      stderr('  Or let vxdecode run tcpdump itself: vxdecode live --backend tcpdump -i eth0 ...');
      return 1;
    }
    cap = loaded.cap;
  }

  const file = a.write ? PcapngFile.open(a.write) : undefined;
  const registry = new SourceRegistry();
  let live: LiveSession;
  try {
    live = cap
      ? LiveCapture.open(cap, registry, { ifaces, filter: a.bpf, node, bufferSize })
      : await TcpdumpCapture.open(registry, { ifaces, filter: a.bpf, node, bufferSize });
  } catch (e) {
    await file?.close();
    if (e instanceof CaptureError) {
      stderr(`vxdecode live: ${escapeText(e.message)}`);
      return 1;
    }
    throw e;
  }

  const intr = onInterrupt(stderr);
  const stop = new AbortController();
  const timer = a.seconds !== undefined ? setTimeout(() => stop.abort(), a.seconds * 1000) : undefined;
  const signal = AbortSignal.any([intr.signal, stop.signal]);
  signal.addEventListener('abort', () => live.stop(), { once: true });
  if (a.trace && backend === 'cap') {
    stderr(
      'vxdecode: note: cap stamps each frame when vxdecode receives it, not when the kernel saw it, so the order of ' +
        'one packet\'s hops within this node follows the order the interfaces are served; --backend tcpdump uses kernel timestamps',
    );
  }
  stderr(
    `vxdecode: capturing on ${ifaces.map((i) => escapeText(`${node}/${i}`)).join(', ')}` +
      `${a.bpf ? ` with filter "${escapeText(a.bpf)}"` : ''} (${backend}); Ctrl-C to stop`,
  );

  // --- trace engine (with --trace) ---
  let engine: TraceEngine | undefined;
  let tw: TraceWriter | undefined;
  const noOffsets = new Map<string, number>();
  if (a.trace) {
    tw = file ? new TraceWriter(file, { windowNs }) : undefined;
    engine = new TraceEngine({
      windowNs,
      ports: new Ports({ vxlanPorts: a.decode.vxlanPorts, heuristics: a.decode.heuristics }),
      roles,
      onTrace: (t: Trace) => {
        tw?.trace(t, true);
        if (a.json) out.line(JSON.stringify(traceJson(t, noOffsets)));
        else {
          for (const l of traceText(t, { offsets: noOffsets })) out.line(l);
          out.line('');
        }
      },
      onFrame: tw ? (f, x) => tw!.frame(f, x !== undefined && x.kind === 1) : undefined,
    });
  }
  let registered = 0;

  let frames = 0;
  let shown = 0;
  let lastFrameWall = performance.now();
  let lastFrame: Frame | undefined;
  let full = false;
  let writeFailed = false;
  try {
    for await (const batch of ticking(live.batches(), TICK_MS)) {
      if (engine && live.sources.length > registered) {
        engine.registerSources(live.sources.slice(registered));
        registered = live.sources.length;
      }
      for (const f of batch) {
        frames++;
        lastFrame = f;
        const p = keep || !engine ? dissect(f, a.decode) : undefined;
        if (!keep || keep(p!)) {
          shown++;
          if (engine) {
            engine.push(f);
          } else {
            if (a.json) writeFrameJson(out, p!);
            else {
              out.line(frameText(p!));
              if (a.verbose) for (const l of packetDetail(p!)) out.line(`    ${l}`);
              if (a.hex) for (const l of hexDump(f.bytes)) out.line(`    ${l}`);
            }
            file?.frame(f);
          }
        }
        if (a.maxFrames !== undefined && frames >= a.maxFrames) {
          full = true;
          stop.abort();
          break;
        }
      }
      if (engine) {
        if (batch.length) {
          lastFrameWall = performance.now();
          engine.endBatch();
        } else if (lastFrame) {
          // no frame for a while: the clock still moves, so windows close and traces come out
          engine.idle(Math.round((performance.now() - lastFrameWall) * 1e6));
        }
        tw?.afterBatch();
      }
      await out.flush();
      if (file) {
        await file.drain();
        if (file.failure) {
          writeFailed = true;
          break;
        }
      }
      if (full || out.closed || out.failure) break;
    }
  } finally {
    live.stop();
    if (timer) clearTimeout(timer);
    intr.dispose();
  }

  let status = 0;
  if (engine) {
    if (!out.closed) engine.finish();
    tw?.finish();
    const e = engine;
    if (a.json) out.line(JSON.stringify(summaryJson(e)));
    else for (const l of summaryText(e)) out.line(l);
  }
  await out.end();
  if (out.failure) {
    stderr(`vxdecode: cannot write output: ${errnoText(out.failure)}`);
    status = 1;
  }
  if (file) {
    const err = await file.close();
    if (err || writeFailed) {
      stderr(file.failureLine()!);
      status = 1;
    }
  }
  const why = intr.interrupted
    ? `interrupted (${intr.received})`
    : full
      ? `stopped after ${frames} frames`
      : writeFailed
        ? 'stopped: the --write file cannot be written'
        : a.seconds !== undefined && stop.signal.aborted
          ? `stopped after ${a.seconds} s`
          : 'stopped';
  if (live instanceof TcpdumpCapture) await live.exited();
  for (const l of summaryLines(`${why}; captured`, live.summary())) stderr(l);
  const extra: string[] = [];
  if (keep) extra.push(`${shown} matched -Y`);
  if (file && !file.failure) extra.push(`${file.frames} written to ${escapeText(file.path)}`);
  if (!live.dropsKnown) extra.push('kernel drops are not reported by the cap binding (--backend tcpdump reports them)');
  extra.push(`peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  stderr(`  (${extra.join('; ')})`);
  return status;
}

/**
 * Move the trace engine's clock on to the absolute time (sec, nsec) without a frame (a live
 * capture stamped with this host's clock that is quiet), so that windows close and traces come
 * out. Used by the TUI. Uses TraceEngine.advanceTo when the engine has it; until then, the
 * engine's idle() from its newest frame.
 */
export function advanceEngine(engine: TraceEngine, sec: number, nsec: number): void {
  const e = engine as unknown as { advanceTo?: (s: number, n: number) => void; rawNow?: number };
  if (typeof e.advanceTo === 'function') {
    e.advanceTo(sec, nsec);
    return;
  }
  if (engine.base < 0 || typeof e.rawNow !== 'number' || !Number.isFinite(e.rawNow)) return;
  const target = (sec - engine.base) * 1e9 + nsec;
  if (target > e.rawNow) engine.idle(target - e.rawNow);
}
