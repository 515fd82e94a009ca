/** Run the built `vxdecode` command as a user would (bin/vxdecode.js over dist/). */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/vxdecode.js', import.meta.url));

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function vxdecode(args: string[], input?: Uint8Array | string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run with stdin fed by `feed` (which may write a lot, respecting back-pressure). */
export function vxdecodeStreaming(
  args: string[],
  feed: (stdin: NodeJS.WritableStream) => Promise<void>,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    void feed(child.stdin).then(() => child.stdin.end());
  });
}

/** No JavaScript stack trace in what the user sees. */
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;
