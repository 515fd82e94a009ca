// The lab itself: clear failures, cleanup on every exit path, repeatable runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labPreflight, leftoverNamespaces, removeLabDir, RUN_SH, runLab } from './lab.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'vxdecode-lab-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** pids of processes whose command line mentions DIR (captures still writing there) */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir) && !cmd.includes('vitest')) pids.push(Number(p));
    } catch { /* gone */ }
  }
  return pids;
}

describe('lab lifecycle', () => {
  beforeAll(() => labPreflight());

  it('refuses to run without root, quickly and clearly', () => {
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' });
    if (setpriv.status !== 0) return; // util-linux missing: nothing to test with
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', RUN_SH, '--out', '/tmp/vxdecode-lab-nonroot'],
      { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs root/);
  });

  it('rejects bad options with a message', () => {
    for (const args of [['--mode', 'udp'], ['--fault', 'nope'], ['--mode', 'host-gw', '--fault', 'no-fdb'], ['--traffic', 'ping', '--to', 'service'], []]) {
      const r = spawnSync('bash', [RUN_SH, ...(args.length ? ['--out', tmp()] : []), ...args], { encoding: 'utf8', timeout: 10_000 });
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/error:/);
    }
  });

  it('runs twice in a row with the same run id and leaves nothing behind', () => {
    const runId = `twice${process.pid}`;
    for (let i = 0; i < 2; i++) {
      const run = runLab(['--traffic', 'ping', '--count', '1', '--run-id', runId]);
      expect(run.topo.run_id).toBe(runId);
      expect(leftoverNamespaces(runId)).toEqual([]);
      expect(processesUsing(run.dir)).toEqual([]);
      removeLabDir(run.dir);
    }
  });

  for (const stage of ['build', 'captures']) {
    it(`cleans up when it fails (injected failure at ${stage})`, () => {
      const out = tmp();
      const runId = `fail${stage}${process.pid}`;
      const r = spawnSync('bash', [RUN_SH, '--out', out, '--run-id', runId], {
        encoding: 'utf8', timeout: 60_000, env: { ...process.env, VXDECODE_LAB_FAIL_AT: stage },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/failure injected/);
      expect(r.stderr).toMatch(/cleaned up/);
      expect(leftoverNamespaces(runId)).toEqual([]);
      expect(processesUsing(out)).toEqual([]);
    });
  }

  it('cleans up when interrupted during traffic (SIGTERM and SIGINT)', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const out = tmp();
      const runId = `sig${sig.slice(3).toLowerCase()}${process.pid}`;
      const child = spawn('bash', [RUN_SH, '--out', out, '--run-id', runId, '--fault', 'stale-endpoint'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`lab did not reach traffic: ${stdout}${stderr}`)), 60_000);
        child.stdout.on('data', (d) => {
          stdout += d;
          if (/\[lab\] traffic:/.test(stdout) && !child.killed) {
            clearTimeout(timer);
            child.kill(sig);
          }
        });
        child.on('exit', (c) => resolve(c));
      });
      expect(code, `${sig}: ${stderr}`).not.toBe(0);
      expect(stderr).toMatch(/cleaned up/);
      expect(leftoverNamespaces(runId)).toEqual([]);
      // give the killed captures' parents a moment; none may survive
      await new Promise((r) => setTimeout(r, 200));
      expect(processesUsing(out)).toEqual([]);
      expect(existsSync(path.join(out, 'topology.json'))).toBe(false);
    }
  });
});
