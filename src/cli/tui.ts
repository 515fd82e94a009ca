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
import tty from 'node:tty';
import { createElement } from 'react';
import { UsageError } from '../capture/input.js';
import { isLiveSpec, mergeInputs } from '../capture/live-merge.js';
import type { DecodeOptions } from '../decoders/index.js';
import { openInputs, problemLine, reportInputs } from './inputs.js';
import { pipelineSettings, type AnalysisArgs } from './trace.js';

export interface TuiArgs extends AnalysisArgs {
  decode: DecodeOptions & { vxlanPorts: number[]; heuristics: boolean };
  /** No trace engine / findings (a very large capture, or to compare). */
  analysis?: boolean;
}

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
  // problems opening inputs are shown in the session and again on exit
  const early: string[] = [];
  const opened = openInputs(a, (l) => early.push(l));
  if (!opened.inputs.length) {
    for (const l of early) stderr(l);
    return 1;
  }
  const specs = opened.inputs.map((i) => i.spec);
  const stdinIsCapture = specs.some((s) => s.path === '-');
  const stream = specs.some((s) => isLiveSpec(s));
  let fileSize = 0;
  for (const s of specs) {
    if (s.path === '-') continue;
    try {
      fileSize += statSync(s.path).size;
    } catch {
      // reported when read
    }
  }
  const keys = keyboard(stdinIsCapture);

  // An interactive session on a terminal is never CI log output: Ink (which reads these when it
  // is loaded) would otherwise draw only the last frame, at exit.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const [{ render }, { App }, { Session }] = await Promise.all([
    import('ink'),
    import('../tui/components/App.js'),
    import('../tui/session.js'),
  ]);

  const session = new Session({
    size: { cols: out.columns || 100, rows: out.rows || 30 },
    decode: a.decode,
    stream,
    fileSize,
    inputs: specs.length,
    sources: () => opened.registry.sources,
    analysis:
      a.analysis === false
        ? undefined
        : {
            files: specs.map((s) => s.arg),
            ifnames: a.ifnames,
            links: a.links,
            ports: settings.ports,
            roles: settings.roles,
            windowNs: settings.windowNs,
            skew: settings.skew,
            stream,
          },
  });
  const abort = new AbortController();
  const problems = (): string[] => {
    const list = early.map((l) => l.replace(/^vxdecode: /, ''));
    for (const input of opened.inputs) {
      for (const w of input.parser.warnings) list.push(`warning: ${problemLine(w)}`);
      const p = input.problem();
      if (p) list.push(problemLine(p));
    }
    return list;
  };

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
  const onSignal = (sig: NodeJS.Signals): void => {
    session.stop();
    abort.abort();
    instance.unmount();
    restore();
    process.exit(sig === 'SIGINT' ? 130 : 128 + (sig === 'SIGHUP' ? 1 : 15));
  };
  const onExit = (): void => restore();
  out.write(ALT_SCREEN_ON);
  process.on('exit', onExit);
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  session.start(
    mergeInputs(opened.inputs, { signal: abort.signal }),
    () => opened.inputs.reduce((n, i) => n + i.parser.bytesRead, 0),
    problems,
  );
  const instance = render(createElement(App, { session }), {
    stdin: keys.stream,
    stdout: out,
    stderr: process.stderr,
    exitOnCtrlC: true,
    patchConsole: true,
  });
  try {
    await instance.waitUntilExit();
  } finally {
    session.stop();
    abort.abort();
    instance.unmount();
    restore();
    process.off('exit', onExit);
    for (const s of ['SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    if (keys.own) keys.stream.destroy();
    else keys.stream.pause();
    // a read on a quiet pipe (stdin) cannot be cancelled: do not wait for it
    if (stdinIsCapture || stream) setTimeout(() => process.exit(), 300).unref();
  }
  for (const l of early) stderr(l);
  // reportInputs escapes what comes from a capture
  const fatal = reportInputs({ ...opened, failed: 0 }, stderr);
  return fatal || opened.failed ? 1 : 0;
}
