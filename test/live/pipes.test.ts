// Live pipes into `vxdecode -` and `vxdecode trace`: a real `tcpdump -U -w -` pipe while pings
// run, records written one at a time, several named pipes with one of them silent, process
// substitution, idle pipes next to a file, and Ctrl-C ending each cleanly with a summary.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Lab, POD1, POD2, Proc, ROOT, STACK_RE, requireRoot, vxdecodeIn } from './netns.js';

const lab = new Lab();
let tmp = '';

beforeAll(() => {
  requireRoot();
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('build first: npm run build');
  lab.build();
  tmp = mkdtempSync(join(tmpdir(), 'vxpipe-'));
});

afterAll(() => {
  lab.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const esc = (s: string): string => s.replace(/\./g, '\\.');
const REQ = new RegExp(`${esc(POD1)} > ${esc(POD2)} ICMP echo request`);
const REP = new RegExp(`${esc(POD2)} > ${esc(POD1)} ICMP echo reply`);

describe('tcpdump -U -w - | vxdecode -', () => {
  it('prints each frame as it arrives, and Ctrl-C (to the whole pipeline) ends it with a summary', async () => {
    // the shell's pipeline, in a process group of its own as a terminal's job is
    const tdErr = join(tmp, 'tcpdump.err');
    const child = spawn(
      'bash',
      ['-c', `ip netns exec ${lab.node} tcpdump -U -n --immediate-mode -i veth1 -w - icmp 2>"${tdErr}" | { "${process.execPath}" "${BIN}" -; echo "vxdecode exit status $?" >&2; }`],
      { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    lab.track(child);
    const vx = new Proc(child);
    await vx.until('tcpdump listening', () => existsSync(tdErr) && /listening on veth1/.test(readFileSync(tdErr, 'utf8')));
    for (const round of [1, 2, 3]) {
      expect(await lab.ping(1)).toBe(0);
      // this ping's request and reply are printed while both processes still run
      await vx.until(`round ${round}`, () => vx.lines().filter((l) => REQ.test(l)).length === round && vx.lines().filter((l) => REP.test(l)).length === round);
      expect(vx.child.exitCode).toBeNull();
    }
    for (const l of vx.lines()) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{6} stdin /);
    // Ctrl-C: SIGINT to every process of the job
    process.kill(-child.pid!, 'SIGINT');
    const t = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await vx.exited;
    clearTimeout(t);
    expect(vx.stderr).toMatch(/vxdecode exit status 0\n/);
    expect(vx.lines()).toHaveLength(6);
    expect(vx.stderr).toMatch(/vxdecode: interrupted \(SIGINT\); read: 6 frames from 1 interface\n  stdin +6 frames/);
    expect(vx.stderr).not.toMatch(STACK_RE);
    expect(readFileSync(tdErr, 'utf8')).toMatch(/6 packets captured/);
  });

  it('writes a line for a record as soon as the record is complete, before the next one exists', async () => {
    const pcap = readFileSync(join(ROOT, 'captures/vxlan-ping/node1-eth0.pcap'));
    const child = spawn(process.execPath, [BIN, '-'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    lab.track(child);
    const vx = new Proc(child);
    let off = 24;
    const records: Buffer[] = [];
    while (off < pcap.length && records.length < 4) {
      const len = 16 + pcap.readUInt32LE(off + 8);
      records.push(pcap.subarray(off, off + len));
      off += len;
    }
    child.stdin!.write(pcap.subarray(0, 24));
    for (let k = 0; k < records.length; k++) {
      const r = records[k];
      // the record in two writes: nothing may come out for a half record
      child.stdin!.write(r.subarray(0, 20));
      await new Promise((res) => setTimeout(res, 150));
      expect(vx.lines()).toHaveLength(k);
      child.stdin!.write(r.subarray(20));
      await vx.until(`line ${k + 1}`, () => vx.lines().length === k + 1, 5000);
    }
    child.stdin!.end();
    expect(await vx.exited).toBe(0);
    const whole = spawnSync(process.execPath, [BIN, '-'], { cwd: ROOT, input: Buffer.concat([pcap.subarray(0, 24), ...records]), encoding: 'utf8' });
    expect(vx.stdout).toBe(whole.stdout);
  });
});

describe('several live pipes at once', () => {
  it('named pipes: one silent pipe does not hold back the other; Ctrl-C ends the run although the silent writer stays', async () => {
    const a = join(tmp, 'veth1.fifo');
    const b = join(tmp, 'quiet.fifo');
    spawnSync('mkfifo', [a, b]);
    const vx = vxdecodeIn(lab, undefined, ['--json', `node1/veth1=${a}`, `node1/quiet=${b}`]);
    // the writer of b opens it and never writes (a tcpdump on an interface with no traffic)
    const quiet = lab.track(spawn('sh', ['-c', `exec 3>"${b}"; sleep 60`], { stdio: 'ignore' }));
    const td = lab.track(spawn('sh', ['-c', `exec ip netns exec ${lab.node} tcpdump -U -n --immediate-mode -i veth1 -w - icmp > "${a}"`], { stdio: ['ignore', 'ignore', 'pipe'] }));
    const tdp = new Proc(td);
    await tdp.until('tcpdump listening', () => /listening on veth1/.test(tdp.stderr));
    const t0 = Date.now();
    expect(await lab.ping(2, 0.2)).toBe(0);
    await vx.until('4 frames from veth1', () => vx.lines().length >= 4, 8000);
    // held at most the merge's hold (0.5 s) for the silent pipe, not until it ends
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(quiet.exitCode).toBeNull();
    const frames = vx.lines().map((l) => JSON.parse(l) as { node: string; iface: string; ts: string });
    expect(new Set(frames.map((f) => `${f.node}/${f.iface}`))).toEqual(new Set(['node1/veth1']));
    const t1 = Date.now();
    expect(await vx.interrupt()).toBe(0);
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(vx.stderr).toMatch(/interrupted \(SIGINT\); read: 4 frames from 1 interface\n  node1\/veth1 +4 frames/);
    td.kill('SIGINT');
    quiet.kill('SIGKILL');
  });

  it('process substitution: node1/veth1=<(tcpdump ...) node1/veth2=<(tcpdump ...), merged in time order', async () => {
    const td = (i: string): string => `<(exec ip netns exec ${lab.node} tcpdump -U -n --immediate-mode --time-stamp-precision nano -i ${i} -w - icmp 2>/dev/null)`;
    const child = spawn('bash', ['-c', `exec "${process.execPath}" "${BIN}" --json node1/veth1=${td('veth1')} node1/veth2=${td('veth2')}`], { cwd: ROOT });
    lab.track(child);
    const vx = new Proc(child);
    await new Promise((r) => setTimeout(r, 1500)); // both tcpdumps listening
    expect(await lab.ping(3, 0.2)).toBe(0);
    await vx.until('12 frames', () => vx.lines().length >= 12, 10_000);
    expect(await vx.interrupt()).toBe(0);
    type J = { iface: string; ts: string; file: string; layers: { layer: string; ttl?: number; type?: number; src?: string }[] };
    const frames = vx.lines().map((l) => JSON.parse(l) as J);
    expect(frames).toHaveLength(12);
    expect(frames[0].file).toMatch(/^\/dev\/fd\/\d+$/);
    // in time order across the two pipes (nanosecond timestamps, as strings of equal length)
    const ts = frames.map((f) => f.ts);
    expect([...ts].sort()).toEqual(ts);
    const ttl = (f: J): number | undefined => f.layers.find((l) => l.layer === 'ipv4')?.ttl;
    const type = (f: J): number | undefined => f.layers.find((l) => l.layer === 'icmp')?.type;
    expect(frames.filter((f) => f.iface === 'veth1' && type(f) === 8).map(ttl)).toEqual([64, 64, 64]);
    expect(frames.filter((f) => f.iface === 'veth2' && type(f) === 8).map(ttl)).toEqual([63, 63, 63]);
    expect(frames.filter((f) => f.iface === 'veth2' && type(f) === 0).map(ttl)).toEqual([64, 64, 64]);
    expect(frames.filter((f) => f.iface === 'veth1' && type(f) === 0).map(ttl)).toEqual([63, 63, 63]);
    // each request is seen on veth1 before (or with) veth2
    for (let k = 0; k < 3; k++) {
      const r1 = frames.filter((f) => f.iface === 'veth1' && type(f) === 8)[k];
      const r2 = frames.filter((f) => f.iface === 'veth2' && type(f) === 8)[k];
      expect(r1.ts <= r2.ts).toBe(true);
    }
    expect(vx.stderr).toMatch(/interrupted \(SIGINT\); read: 12 frames from 2 interfaces/);
  });

  it('idle pipes do not stall reading a capture file (no thread-pool reads on pipes)', async () => {
    const fifos = [1, 2, 3, 4, 5].map((k) => join(tmp, `idle${k}.fifo`));
    spawnSync('mkfifo', fifos);
    const writers = fifos.map((f) => lab.track(spawn('sh', ['-c', `exec 3>"${f}"; sleep 60`], { stdio: 'ignore' })));
    const file = join(ROOT, 'captures/vxlan-ping/node1-eth0.pcap');
    const n = Number(spawnSync(process.execPath, [BIN, '--count', '--json', file], { encoding: 'utf8' }).stdout.match(/"frames":(\d+)/)?.[1]);
    expect(n).toBeGreaterThan(5);
    const vx = vxdecodeIn(lab, undefined, [...fifos.map((f, k) => `n${k}/idle=${f}`), `node1/eth0=${file}`]);
    // the file's frames come out (after the merge's hold), although five pipes never deliver
    await vx.until(`the ${n} frames of the file`, () => vx.lines().length >= n, 8000);
    expect(await vx.interrupt()).toBe(0);
    expect(vx.stderr).toMatch(new RegExp(`read: ${n} frames from 1 interface`));
    for (const w of writers) w.kill('SIGKILL');
  });
});

describe('vxdecode trace over live pipes', () => {
  it('prints each trace once its window closes while the pipes are open, and ends with the summary on Ctrl-C', async () => {
    const td = (i: string): string => `<(exec ip netns exec ${lab.node} tcpdump -U -n --immediate-mode --time-stamp-precision nano -i ${i} -w - icmp 2>/dev/null)`;
    const out = join(tmp, 'trace-live.pcapng');
    const child = spawn(
      'bash',
      ['-c', `exec "${process.execPath}" "${BIN}" trace --json --window 300ms -w ${out} node1/veth1=${td('veth1')} node1/cni0=${td('cni0')} node1/veth2=${td('veth2')}`],
      { cwd: ROOT },
    );
    lab.track(child);
    const vx = new Proc(child);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await lab.ping(2, 0.3)).toBe(0);
    type T = { packet: number; summary: string; hops: { iface: string }[]; verdict: { status: string } };
    const traces = (): T[] =>
      vx
        .lines()
        .map((l) => JSON.parse(l) as T)
        .filter((j) => Array.isArray(j.hops));
    await vx.until('4 traces before the end', () => traces().length >= 4, 10_000);
    expect(child.exitCode).toBeNull();
    for (const t of traces()) {
      expect(t.verdict.status).toBe('delivered');
      expect(t.hops.map((h) => h.iface)).toEqual(/request/.test(t.summary) ? ['veth1', 'cni0', 'veth2'] : ['veth2', 'cni0', 'veth1']);
    }
    expect(await vx.interrupt()).toBe(0);
    const last = JSON.parse(vx.lines().at(-1)!) as { summary: { packets: number; delivered: number } };
    expect(last.summary).toMatchObject({ packets: 4, delivered: 4 });
    expect(existsSync(out)).toBe(true);
  });
});
