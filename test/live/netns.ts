// A small routed "node" in network namespaces, made by the test and removed after it:
//
//   pod1 (netns …-p1)                node1 (netns …-n)                     pod2 (netns …-p2)
//   eth0 10.77.1.5/24 ── veth ── veth1 ─ cni0 (bridge 10.77.1.1/24)
//                                        routes ─ veth2 10.77.2.1/24 ── veth ── eth0 10.77.2.6/24
//
// A ping pod1 → pod2 crosses veth1 and cni0 (bridged into node1, ttl 64), is routed, and leaves
// on veth2 (ttl 63); the reply comes back the same way. Interface names only need to be unique
// inside their namespace; the namespaces are named vxt-<pid>-<random>-{n,p1,p2}. Nothing touches
// the host's interfaces and no packet leaves the namespaces.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/vxdecode.js', import.meta.url));

export const POD1 = '10.77.1.5';
export const POD2 = '10.77.2.6';
export const GW1 = '10.77.1.1';
export const GW2 = '10.77.2.1';

/** These tests capture packets and build namespaces: root only. Fails (not skips) otherwise. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('test/live needs root (it builds network namespaces and captures packets); run it as root, as CI does');
  }
  for (const tool of ['ip', 'ping', 'tcpdump', 'tshark']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`test/live needs ${tool} installed`);
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class Lab {
  readonly id = `vxt-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly node = `${this.id}-n`;
  readonly pod1 = `${this.id}-p1`;
  readonly pod2 = `${this.id}-p2`;
  private readonly children = new Set<ChildProcess>();

  build(): this {
    for (const ns of [this.node, this.pod1, this.pod2]) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // no IPv6 chatter (router solicitations, MLD) in the captures
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    const n = this.node;
    ip('-n', n, 'link', 'add', 'cni0', 'type', 'bridge');
    ip('-n', n, 'addr', 'add', `${GW1}/24`, 'dev', 'cni0');
    ip('-n', n, 'link', 'set', 'cni0', 'up');
    ip('-n', n, 'link', 'add', 'veth1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.pod1);
    ip('-n', n, 'link', 'set', 'veth1', 'master', 'cni0', 'up');
    ip('-n', this.pod1, 'addr', 'add', `${POD1}/24`, 'dev', 'eth0');
    ip('-n', this.pod1, 'link', 'set', 'eth0', 'up');
    ip('-n', this.pod1, 'route', 'add', 'default', 'via', GW1);
    ip('-n', n, 'link', 'add', 'veth2', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.pod2);
    ip('-n', n, 'addr', 'add', `${GW2}/24`, 'dev', 'veth2');
    ip('-n', n, 'link', 'set', 'veth2', 'up');
    ip('-n', this.pod2, 'addr', 'add', `${POD2}/24`, 'dev', 'eth0');
    ip('-n', this.pod2, 'link', 'set', 'eth0', 'up');
    ip('-n', this.pod2, 'route', 'add', 'default', 'via', GW2);
    execFileSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // resolve neighbours once, so that the pings under test are not preceded by ARP
    execFileSync('ip', ['netns', 'exec', this.pod1, 'ping', '-c', '1', '-W', '2', POD2], { stdio: 'ignore' });
    return this;
  }

  /** `count` pings pod1 → pod2, `interval` s apart (bounded by a timeout). */
  ping(count: number, interval = 0.2, size?: number): Promise<number | null> {
    const args = ['netns', 'exec', this.pod1, 'timeout', '20', 'ping', '-n', '-c', String(count), '-i', String(interval), '-W', '2'];
    if (size !== undefined) args.push('-s', String(size));
    args.push(POD2);
    const p = spawn('ip', args, { stdio: 'ignore' });
    this.children.add(p);
    return new Promise((resolve) => p.on('close', (code) => resolve(code)));
  }

  /** Spawn a process inside a namespace, remembered for cleanup. */
  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd: ROOT });
    this.children.add(p);
    p.on('close', () => this.children.delete(p));
    return p;
  }

  track(p: ChildProcess): ChildProcess {
    this.children.add(p);
    p.on('close', () => this.children.delete(p));
    return p;
  }

  destroy(): void {
    for (const p of this.children) if (p.exitCode === null) p.kill('SIGKILL');
    for (const ns of [this.pod1, this.pod2, this.node]) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.trim();
      if (pids) spawnSync('kill', ['-KILL', ...pids.split(/\s+/)]);
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }
}

/** A running vxdecode (or other) process whose output can be awaited line by line. */
export class Proc {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.poke();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.poke();
    });
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        this.poke();
        resolve(code ?? (signal ? -1 : null));
      }),
    );
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until `cond` holds (checked on every output), or fail after `ms` with what was seen. */
  async until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        if (cond()) return;
        throw new Error(
          `timed out waiting for ${what} (exit ${this.child.exitCode})\n--- stdout:\n${this.stdout.slice(-3000)}\n--- stderr:\n${this.stderr.slice(-3000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** SIGINT, then the exit status (SIGKILL after `ms`). */
  async interrupt(ms = 10_000): Promise<number | null> {
    this.child.kill('SIGINT');
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Run `vxdecode ARGS` inside network namespace `ns` (or outside when ns is undefined). */
export function vxdecodeIn(lab: Lab, ns: string | undefined, args: string[], env?: NodeJS.ProcessEnv): Proc {
  const child = ns
    ? spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } })
    : spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  lab.track(child);
  return new Proc(child);
}

/** tshark fields of every frame of a file, one array per frame. */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync('tshark', ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l.length)
    .map((l) => l.split('\t'));
}

/** A JavaScript stack trace line: never in what a user sees. */
export const STACK_RE = /^\s+at .+:\d+:\d+\)?$/m;
