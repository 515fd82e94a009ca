/**
 * Ctrl-C (SIGINT) and SIGTERM end a run cleanly: the first one stops reading (an AbortSignal
 * that the merge and the live capture watch), the command then writes what it has, its summary
 * and its `--write` file, and exits 0 like tcpdump does. A second Ctrl-C exits at once (130).
 *
 *   const intr = onInterrupt(stderr);
 *   try { for await (const batch of mergeInputs(inputs, { signal: intr.signal })) ... }
 *   finally { intr.dispose(); }
 *   if (intr.interrupted) stderr(...summary...);
 */
import { escapeText } from './escape.js';

export interface Interrupt {
  /** Fires on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal that ended the run, if one did. */
  readonly received: NodeJS.Signals | undefined;
  readonly interrupted: boolean;
  /** Stop listening. After an interrupt, also make sure the process exits once the command has
   *  finished, even if a read on a quiet pipe is still pending (it cannot be cancelled). */
  dispose(): void;
}

export interface InterruptOptions {
  /** Signals that stop the run (default SIGINT, SIGTERM). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called on the first signal (after the AbortSignal fired). */
  readonly onSignal?: (s: NodeJS.Signals) => void;
  /** How often, after dispose(), to check whether the command has finished (ms, default 100). */
  readonly exitAfterMs?: number;
}

export function onInterrupt(stderr: (line: string) => void, o: InterruptOptions = {}): Interrupt {
  const controller = new AbortController();
  const signals = o.signals ?? (['SIGINT', 'SIGTERM'] as const);
  let received: NodeJS.Signals | undefined;
  let disposed = false;
  const handler = (s: NodeJS.Signals): void => {
    if (received) {
      stderr(`vxdecode: ${s} again: stopping now, without a summary`);
      process.exit(130);
    }
    received = s;
    controller.abort();
    o.onSignal?.(s);
  };
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get interrupted() {
      return received !== undefined;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (received) {
        // Keep catching signals until the exit (a second Ctrl-C still exits at once), and do
        // not wait forever for a pipe whose writer is still alive: once the command has finished
        // (bin/vxdecode.js sets process.exitCode when main() resolves), exit even if a read on
        // such a pipe still holds the event loop. Never before: output and --write files are
        // still being finished after dispose().
        const t = setInterval(() => {
          if (process.exitCode !== undefined) process.exit();
        }, o.exitAfterMs ?? 100);
        t.unref();
        return;
      }
      for (const s of signals) process.off(s, handler);
    },
  };
}

export interface SummaryRow {
  /** `node/iface`, from the capture: escaped here. */
  readonly label: string;
  readonly frames: number;
  /** Packets dropped before vxdecode saw them (kernel or capture buffer), when known. */
  readonly dropped?: number;
  /** Frames vxdecode itself let go (its queue was full because output could not keep up). */
  readonly lost?: number;
  /** Anything else worth one word (e.g. "drops unknown"). */
  readonly note?: string;
}

/**
 * `vxdecode: interrupted (SIGINT): 1234 frames from 3 interfaces` then one line per interface:
 * `  node1/eth0   620 frames, 3 dropped by the kernel`.
 */
export function summaryLines(head: string, rows: readonly SummaryRow[]): string[] {
  const total = rows.reduce((n, r) => n + r.frames, 0);
  const lines = [`vxdecode: ${head}: ${total} frames from ${rows.length} interface${rows.length === 1 ? '' : 's'}`];
  const labels = rows.map((r) => escapeText(r.label));
  const w = Math.max(0, ...labels.map((l) => l.length));
  rows.forEach((r, k) => {
    const parts = [`${r.frames} frames`];
    if (r.dropped !== undefined) parts.push(`${r.dropped} dropped by the kernel`);
    if (r.lost) parts.push(`${r.lost} let go by vxdecode (output too slow)`);
    if (r.note) parts.push(r.note);
    lines.push(`  ${labels[k].padEnd(w)}  ${parts.join(', ')}`);
  });
  return lines;
}
