/**
 * `vxdecode tui FILE...` (and `-`): the interactive session (src/tui). Opens at once and fills in
 * as the inputs are read. Takes the terminal over on the alternate screen and gives it back as
 * it was on every way out: q, Ctrl-C, SIGTERM/SIGHUP, or an internal error.
 *
 * Keys come from the terminal: standard input when it is one, else /dev/tty (so that
 * `tcpdump -U -w - | vxdecode tui -` reads the capture from the pipe and the keys from the
 * terminal).
 */
import { openSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import tty from 'node:tty';
import { createElement } from 'react';
import type { Frame, Source } from '../capture/frame.js';
import { SourceRegistry, UsageError } from '../capture/input.js';
import { CaptureError, LiveCapture, capHelp, loadCap, type LiveSession } from '../capture/live.js';
import { TcpdumpCapture } from '../capture/live-tcpdump.js';
import { isLiveSpec, mergeInputs } from '../capture/live-merge.js';
import type { DecodeOptions } from '../decoders/index.js';
import { escapeText } from './escape.js';
import { openInputs, problemLine, reportInputs } from './inputs.js';
import { summaryLines } from './signals.js';
import { pipelineSettings, type AnalysisArgs } from './trace.js';

export interface TuiArgs extends AnalysisArgs {
  decode: DecodeOptions & { vxlanPorts: number[]; heuristics: boolean };
  /** No trace engine / findings (a very large capture, or to compare). */
  analysis?: boolean;
  /** Capture live on these interfaces of this host instead of reading files (-i). */
  iface?: string[];
  /** Live: capture (BPF) filter. */
  bpf?: string;
  /** Live: node name (default: the host name). */
  node?: string;
  /** Live: cap (libpcap addon) or tcpdump. */
  backend?: string;
}

/** Where the frames come from: opened files, or a live capture. */
interface Feed {
  readonly batches: (signal: AbortSignal) => AsyncIterable<Frame[]>;
  readonly bytesRead: () => number;
  readonly sources: () => readonly Source[];
  readonly count: number;
  readonly stream: boolean;
  readonly stdinIsCapture: boolean;
  readonly fileSize: number;
  readonly files: string[];
  readonly problems: () => string[];
  /** After the session: report on standard error; the exit status. */
  readonly report: (stderr: (line: string) => void) => number;
  readonly stop: () => void;
}

async function liveFeed(a: TuiArgs, stderr: (line: string) => void): Promise<Feed | undefined> {
  const ifaces = (a.iface ?? []).flatMap((i) => String(i).split(',')).map((x) => x.trim()).filter(Boolean);
  if (a.files.length) throw new UsageError('tui: give capture files or -i interfaces, not both');
  const node = a.node || hostname();
  const backend = a.backend ?? 'cap';
  if (backend !== 'cap' && backend !== 'tcpdump') throw new UsageError(`--backend ${backend}: cap or tcpdump`);
  const registry = new SourceRegistry();
  let live: LiveSession;
  try {
    if (backend === 'cap') {
      const loaded = loadCap();
      if (!loaded.ok) {
        for (const l of capHelp(loaded.reason)) stderr(l);
        stderr('  Or let vxdecode run tcpdump itself: vxdecode tui --backend tcpdump -i eth0 ...');
        return undefined;
      }
      live = LiveCapture.open(loaded.cap, registry, { ifaces, filter: a.bpf, node });
    } else live = await TcpdumpCapture.open(registry, { ifaces, filter: a.bpf, node });
  } catch (e) {
    if (e instanceof CaptureError) {
      stderr(`vxdecode tui: ${escapeText(e.message)}`);
      return undefined;
    }
    throw e;
  }
  let bytes = 0;
  return {
    batches: (signal) => {
      signal.addEventListener('abort', () => live.stop(), { once: true });
      return (async function* () {
        for await (const b of live.batches()) {
          for (const f of b) bytes += f.caplen;
          yield b;
        }
      })();
    },
    bytesRead: () => bytes,
    sources: () => live.sources,
    count: ifaces.length,
    stream: true,
    stdinIsCapture: false,
    fileSize: 0,
    files: [],
    problems: () => [],
    report: (err) => {
      for (const l of summaryLines('live capture', live.summary())) err(l);
      return 0;
    },
    stop: () => live.stop(),
  };
}

function fileFeed(a: TuiArgs): Feed {
  // problems opening inputs are shown in the session and again on exit
  const early: string[] = [];
  const opened = openInputs(a, (l) => early.push(l));
  const specs = opened.inputs.map((i) => i.spec);
  let fileSize = 0;
  for (const s of specs) {
    if (s.path === '-') continue;
    try {
      fileSize += statSync(s.path).size;
    } catch {
      // reported when read
    }
  }
  return {
    batches: (signal) => mergeInputs(opened.inputs, { signal }),
    bytesRead: () => opened.inputs.reduce((n, i) => n + i.parser.bytesRead, 0),
    sources: () => opened.registry.sources,
    count: specs.length,
    stream: specs.some((s) => isLiveSpec(s)),
    stdinIsCapture: specs.some((s) => s.path === '-'),
    fileSize,
    files: specs.map((s) => s.arg),
    problems: () => {
      const list = early.map((l) => l.replace(/^vxdecode: /, ''));
      for (const input of opened.inputs) {
        for (const w of input.parser.warnings) list.push(`warning: ${problemLine(w)}`);
        const p = input.problem();
        if (p) list.push(problemLine(p));
      }
      return list;
    },
    report: (stderr) => {
      for (const l of early) stderr(l);
      // reportInputs escapes what comes from a capture
      const fatal = reportInputs({ ...opened, failed: 0 }, stderr);
      return fatal || opened.failed ? 1 : 0;
    },
    stop: () => {},
  };
}

/** Signals that end the session (Ctrl-C in the session is a key, handled by Ink). */
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H\x1b[2J';
/** Leave the alternate screen, show the cursor, reset attributes. */
const ALT_SCREEN_OFF = '\x1b[0m\x1b[?25h\x1b[?1049l';

/** The terminal to read keys from: stdin if it is one and carries no capture, else /dev/tty. */
function keyboard(stdinIsCapture: boolean): { stream: NodeJS.ReadStream; own: boolean } {
  if (!stdinIsCapture && process.stdin.isTTY) return { stream: process.stdin, own: false };
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch (e) {
    throw new UsageError(`tui: no terminal to read keys from (/dev/tty: ${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return { stream: new tty.ReadStream(fd) as unknown as NodeJS.ReadStream, own: true };
}

export async function runTui(a: TuiArgs, stderr: (line: string) => void): Promise<number> {
  const out = process.stdout;
  if (!out.isTTY) {
    throw new UsageError('tui needs a terminal: standard output is not one (for text, use vxdecode, vxdecode trace or vxdecode analyze)');
  }
  const settings = pipelineSettings(a, true);
  const live = (a.iface ?? []).length > 0;
  const feed = live ? await liveFeed(a, stderr) : fileFeed(a);
  if (!feed) return 1;
  if (!feed.count) {
    feed.report(stderr);
    return 1;
  }
  const { stream, stdinIsCapture } = feed;
  const keys = keyboard(stdinIsCapture);

  // Reading starts before Ink is loaded (loading it takes a good part of a second), so that the
  // first screen shows frames already read.
  const { Session } = await import('../tui/session.js');
  const session = new Session({
    size: { cols: out.columns || 100, rows: out.rows || 30 },
    decode: a.decode,
    stream,
    fileSize: feed.fileSize,
    inputs: feed.count,
    sources: feed.sources,
    analysis:
      a.analysis === false
        ? undefined
        : {
            files: feed.files,
            ifnames: a.ifnames,
            links: a.links,
            ports: settings.ports,
            roles: settings.roles,
            windowNs: settings.windowNs,
            reorderNs: settings.reorderNs,
            // one host captured live has one clock: nothing to estimate
            skew: live && settings.skew.mode === 'auto' ? { mode: 'off' } : settings.skew,
            stream,
          },
  });
  const abort = new AbortController();

  // the terminal comes back whatever happens
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      out.write(ALT_SCREEN_OFF);
    } catch {
      // nothing more can be done for a terminal that is gone
    }
  };
  let instance: { unmount(): void; waitUntilExit(): Promise<unknown> } | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    session.stop();
    abort.abort();
    feed.stop();
    instance?.unmount();
    restore();
    process.exit(sig === 'SIGINT' ? 130 : 128 + (sig === 'SIGHUP' ? 1 : 15));
  };
  const onExit = (): void => restore();
  out.write(ALT_SCREEN_ON);
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);

  session.start(
    feed.batches(abort.signal),
    feed.bytesRead,
    feed.problems,
    // the analysis starts once the first screen is up: loading Ink competes with it
    true,
  );
  // An interactive session on a terminal is never CI log output: Ink (which reads these when it
  // is loaded) would otherwise draw only the last frame, at exit.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const [{ render }, { App }] = await Promise.all([import('ink'), import('../tui/components/App.js')]);
  instance = render(createElement(App, { session }), {
    stdin: keys.stream,
    stdout: out,
    stderr: process.stderr,
    exitOnCtrlC: true,
    patchConsole: true,
  });
  setTimeout(() => session.startAnalysis(), 50);
  try {
    await instance.waitUntilExit();
  } finally {
    session.stop();
    abort.abort();
    instance.unmount();
    restore();
    process.off('exit', onExit);
    for (const s of SIGNALS) process.off(s, onSignal);
    if (keys.own) keys.stream.destroy();
    else keys.stream.pause();
    // a read on a quiet pipe (stdin) cannot be cancelled: do not wait for it
    if (stdinIsCapture || stream) setTimeout(() => process.exit(), 300).unref();
  }
  return feed.report(stderr);
}
