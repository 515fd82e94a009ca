// `vxdecode live`: captures on veth interfaces and a bridge of a node made of network namespaces
// (test/live/netns.ts), with cap (libpcap in process) and with the tcpdump backend, while pings
// run; checks the decoded frames and traces as they arrive, the summary at the end, the pcapng
// written on the way (read back by tshark), and the error messages.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, POD1, POD2, ROOT, STACK_RE, requireRoot, tsharkFields, vxdecodeIn, type Proc } from './netns.js';

const lab = new Lab();
let tmp = '';

beforeAll(() => {
  requireRoot();
  if (!existsSync(join(ROOT, 'dist/cli/live.js'))) throw new Error('build first: npm run build');
  lab.build();
  tmp = mkdtempSync(join(tmpdir(), 'vxlive-'));
});

afterAll(() => {
  lab.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function ancestorHasCap(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules', 'cap'))) return true;
    if (dirname(d) === d) return false;
  }
}

interface JFrame {
  ts: string;
  node: string;
  iface: string;
  len: number;
  caplen: number;
  layers: { layer: string; [k: string]: unknown }[];
}

function jsonLines<T>(p: Proc): T[] {
  return p.lines().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as T);
}

function icmp(f: JFrame): { type: number; seq: number; src: string; dst: string; ttl: number } | undefined {
  const ip = f.layers.find((l) => l.layer === 'ipv4');
  const ic = f.layers.find((l) => l.layer === 'icmp');
  if (!ip || !ic) return undefined;
  return { type: ic.type as number, seq: ic.seq as number, src: ip.src as string, dst: ip.dst as string, ttl: ip.ttl as number };
}

async function started(p: Proc): Promise<void> {
  await p.until('"capturing on" on standard error', () => /vxdecode: capturing on /.test(p.stderr));
}

describe('vxdecode live (cap)', () => {
  it('decodes echo requests and replies on three interfaces while the pings run, and summarises on Ctrl-C', async () => {
    const p = vxdecodeIn(lab, lab.node, ['live', '-i', 'veth1', '-i', 'cni0', '-i', 'veth2', '--node', 'node1', '--json']);
    await started(p);
    expect(p.stderr).toMatch(/capturing on node1\/veth1, node1\/cni0, node1\/veth2 \(cap\)/);
    const ping = lab.ping(3, 0.3);
    // each frame is printed as it arrives: the last reply shows up while vxdecode still runs
    const seen = (): JFrame[] => jsonLines<JFrame>(p).filter((f) => icmp(f));
    await p.until('3 requests and 3 replies on each interface', () => seen().length >= 18, 15_000);
    expect(p.child.exitCode).toBeNull();
    expect(await ping).toBe(0);
    const status = await p.interrupt();
    expect(status).toBe(0);
    const frames = seen();
    for (const seq of [1, 2, 3]) {
      for (const [iface, ttlReq, ttlRep] of [
        ['veth1', 64, 63],
        ['cni0', 64, 63],
        ['veth2', 63, 64],
      ] as const) {
        const here = frames.filter((f) => f.iface === iface && f.node === 'node1').map(icmp);
        expect(here, `${iface} seq ${seq} request`).toContainEqual({ type: 8, seq, src: POD1, dst: POD2, ttl: ttlReq });
        expect(here, `${iface} seq ${seq} reply`).toContainEqual({ type: 0, seq, src: POD2, dst: POD1, ttl: ttlRep });
      }
    }
    for (const f of frames) {
      expect(f.ts).toMatch(/^\d+\.\d{6}000$/); // stamped on arrival, microsecond resolution
      expect(f.caplen).toBe(98);
      expect(f.len).toBe(98);
    }
    // the summary counts what was printed, per interface
    const all = jsonLines<JFrame>(p);
    expect(p.stderr).toMatch(/vxdecode: interrupted \(SIGINT\); captured: \d+ frames from 3 interfaces/);
    for (const iface of ['veth1', 'cni0', 'veth2']) {
      const n = all.filter((f) => f.iface === iface).length;
      expect(p.stderr).toMatch(new RegExp(`\\n  node1/${iface} +${n} frames`));
    }
    expect(p.stderr).toMatch(/kernel drops are not reported by the cap binding/);
    expect(p.stderr).not.toMatch(STACK_RE);
  });

  it('prints text lines, applies -f (BPF) and -Y, stops by itself with -c, and writes what it showed to a pcapng tshark reads', async () => {
    const out = join(tmp, 'cap.pcapng');
    const p = vxdecodeIn(lab, lab.node, ['live', '-i', 'veth1,veth2', '--node', 'node1', '-f', 'icmp', '-Y', 'icmp.type == 8', '-c', '12', '-w', out]);
    await started(p);
    await lab.ping(3, 0.2);
    // 3 pings = 12 ICMP frames on the two interfaces (the BPF filter keeps ARP out), 6 of them requests
    const status = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(status, p.stderr).toBe(0);
    const lines = p.lines();
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} node1/veth[12] .*${POD1.replace(/\./g, '\\.')} > ${POD2.replace(/\./g, '\\.')}.*echo request`));
    expect(p.stderr).toMatch(/stopped after 12 frames/);
    expect(p.stderr).toMatch(/6 matched -Y; 6 written to /);
    expect(p.stderr).toMatch(/peak memory \d+ MB/);
    const t = tsharkFields(out, ['frame.interface_name', 'frame.time_epoch', 'ip.src', 'ip.dst', 'icmp.type', 'ip.ttl', 'frame.len']);
    expect(t).toHaveLength(6);
    expect(t.filter((r) => r[0] === 'node1/veth1').map((r) => r.slice(2))).toEqual(Array(3).fill([POD1, POD2, '8', '64', '98']));
    expect(t.filter((r) => r[0] === 'node1/veth2').map((r) => r.slice(2))).toEqual(Array(3).fill([POD1, POD2, '8', '63', '98']));
    // the timestamps in the file are the ones printed (text shows µs of the same clock)
    const printed = lines.map((l) => l.slice(0, 15));
    const written = t.map((r) => {
      const [sec, frac] = r[1].split('.');
      const d = Number(sec) % 86400;
      const hh = String(Math.floor(d / 3600)).padStart(2, '0');
      const mm = String(Math.floor(d / 60) % 60).padStart(2, '0');
      const ss = String(d % 60).padStart(2, '0');
      return `${hh}:${mm}:${ss}.${frac.slice(0, 6)}`;
    });
    expect(written).toEqual(printed);
  });

  it('--trace prints each packet once its window closes, while capturing; --write comments every frame with its packet and hop', async () => {
    const out = join(tmp, 'trace.pcapng');
    const p = vxdecodeIn(lab, lab.node, ['live', '-i', 'veth1,cni0,veth2', '--node', 'node1', '--trace', '--json', '--window', '300ms', '-f', 'icmp', '-w', out]);
    await started(p);
    expect(p.stderr).toMatch(/cap stamps each frame when vxdecode receives it/);
    await lab.ping(2, 0.3);
    type JTrace = { packet: number; hops: { node: string; iface: string }[]; verdict: { status: string } };
    const traces = (): JTrace[] => jsonLines<JTrace>(p).filter((j) => 'hops' in j);
    // the traces come out while vxdecode still runs: windows close by the clock, not by new frames
    await p.until('4 traces', () => traces().length >= 4, 10_000);
    expect(p.child.exitCode).toBeNull();
    expect(await p.interrupt()).toBe(0);
    const ts = traces();
    expect(ts).toHaveLength(4);
    for (const t of ts) {
      expect(t.hops.map((h) => h.iface).sort()).toEqual(['cni0', 'veth1', 'veth2']);
      expect(t.hops.every((h) => h.node === 'node1')).toBe(true);
    }
    const summary = jsonLines<{ summary?: { packets: number; frames: number } }>(p).find((j) => typeof j.summary === 'object');
    expect(summary?.summary).toMatchObject({ packets: 4, frames: 12 });
    // every frame of the file carries "pkt N hop K/3 node1 IFACE +..." matching the traces
    const rows = tsharkFields(out, ['frame.interface_name', 'frame.comment']);
    expect(rows).toHaveLength(12);
    for (const [name, comment] of rows) {
      const m = /^pkt (\d+) hop (\d)\/3 node1 (\S+) \+\d+(\.\d+)? (ns|µs|ms)/.exec(comment);
      expect(m, comment).not.toBeNull();
      expect(name).toBe(`node1/${m![3]}`);
      const t = ts.find((x) => x.packet === Number(m![1]))!;
      expect(t.hops[Number(m![2]) - 1].iface).toBe(m![3]);
    }
  });
});

describe('vxdecode live --backend tcpdump', () => {
  it('orders each packet\'s hops by kernel timestamps and reports kernel drops', async () => {
    const out = join(tmp, 'tcpdump.pcapng');
    const p = vxdecodeIn(lab, lab.node, ['live', '--backend', 'tcpdump', '-i', 'veth1', '-i', 'cni0', '-i', 'veth2', '--node', 'node1', '--trace', '--json', '-f', 'icmp', '--window', '300ms', '-w', out]);
    await started(p);
    await lab.ping(2, 0.3);
    type JTrace = { packet: number; summary: string; hops: { iface: string; ts: string }[]; verdict: { status: string } };
    const traces = (): JTrace[] => jsonLines<JTrace>(p).filter((j) => 'hops' in j);
    await p.until('4 traces', () => traces().length >= 4, 10_000);
    expect(await p.interrupt()).toBe(0);
    for (const t of traces()) {
      const order = t.hops.map((h) => h.iface);
      if (/echo request/.test(t.summary)) expect(order).toEqual(['veth1', 'cni0', 'veth2']);
      else expect(order).toEqual(['veth2', 'cni0', 'veth1']);
      expect(t.verdict.status).toBe('delivered');
      expect(t.hops[0].ts).toMatch(/^\d+\.\d{9}$/);
    }
    expect(p.stderr).toMatch(/\n  node1\/veth1 +4 frames, 0 dropped by the kernel/);
    // kernel timestamps, nanoseconds, preserved in the file
    const t = tsharkFields(out, ['frame.interface_name', 'frame.time_epoch', 'frame.comment']);
    expect(t).toHaveLength(12);
    const hopTs = traces().flatMap((x) => x.hops.map((h) => `${h.ts}`));
    for (const r of t) expect(hopTs).toContain(r[1]);
  });
});

describe('a capture that fails to open', () => {
  it('leaves nothing that crashes when the garbage collector runs (bad filter, interface down)', () => {
    execFileSync('ip', ['-n', lab.node, 'link', 'add', 'vgc0', 'type', 'veth', 'peer', 'name', 'vgc1']);
    // cap's destructor on a handle whose open failed stops a poll handle that was never started
    const script = `
      const { loadCap, LiveCapture } = await import(${JSON.stringify(join(ROOT, 'dist/capture/live.js'))});
      const { SourceRegistry } = await import(${JSON.stringify(join(ROOT, 'dist/capture/input.js'))});
      const l = loadCap();
      if (!l.ok) process.exit(0);
      for (let i = 0; i < 20; i++) {
        for (const [ifaces, filter] of [[['veth1'], 'tcp port'], [['vgc0'], undefined]]) {
          try { LiveCapture.open(l.cap, new SourceRegistry(), { ifaces, filter, node: 'n' }); process.exit(2); } catch {}
        }
        globalThis.gc();
      }
      process.exit(0);`;
    const r = spawnSync('ip', ['netns', 'exec', lab.node, process.execPath, '--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('vxdecode live: what goes wrong is said in one line', () => {
  it('no such interface, interface down, bad capture filter', async () => {
    execFileSync('ip', ['-n', lab.node, 'link', 'add', 'vdown0', 'type', 'veth', 'peer', 'name', 'vdown1']);
    for (const [args, re] of [
      [['-i', 'nosuch0'], /^vxdecode live: no interface named "nosuch0" in this network namespace \(interfaces here: .*veth1/m],
      [['-i', 'vdown0'], /^vxdecode live: interface vdown0 is down/m],
      [['-i', 'veth1', '-f', 'tcp port'], /^vxdecode live: -f "tcp port": not a valid capture \(BPF\) filter: /m],
      [['-i', 'veth1', '--backend', 'tcpdump', '-i', 'nosuch0'], /^vxdecode live: no interface named "nosuch0"/m],
    ] as const) {
      const p = vxdecodeIn(lab, lab.node, ['live', ...args]);
      expect(await p.exited, `${args.join(' ')}: ${p.stderr}`).toBe(1);
      expect(p.stderr).toMatch(re);
      expect(p.stderr).not.toMatch(STACK_RE);
      expect(p.stdout).toBe('');
    }
  });

  it('a --write file that cannot take more (/dev/full) stops the capture with the reason', async () => {
    const p = vxdecodeIn(lab, lab.node, ['live', '-i', 'veth1', '-w', '/dev/full']);
    await started(p);
    await lab.ping(2, 0.2);
    const status = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    if (status === 'still running') await p.interrupt();
    expect(status).toBe(1);
    expect(p.stderr).toMatch(/^vxdecode: cannot write \/dev\/full: no space left on device \(ENOSPC\); the file is incomplete$/m);
    expect(p.stderr).toMatch(/stopped: the --write file cannot be written/);
    expect(p.stderr).not.toMatch(STACK_RE);
  });

  it('without permission to capture: root or CAP_NET_RAW, not a stack trace', async () => {
    if (spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0) throw new Error('needs setpriv (util-linux)');
    for (const backend of ['cap', 'tcpdump']) {
      const r = spawnSync(
        'ip',
        ['netns', 'exec', lab.node, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, 'bin/vxdecode.js', 'live', '--backend', backend, '-i', 'veth1'],
        { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
      );
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^vxdecode live: cannot capture on veth1: permission denied .*Live capture needs root or the CAP_NET_RAW capability/m);
      expect(r.stderr).not.toMatch(STACK_RE);
    }
  });

  it('without the cap addon: how to get it, and that tcpdump -U -w - | vxdecode - works meanwhile', () => {
    // an installation of vxdecode whose node_modules lacks cap, and one where cap was never built
    // a folder with no node_modules/cap above it (Node looks for packages in every parent)
    const base = ['/var/tmp', '/dev/shm', tmpdir()].find((d) => existsSync(d) && !ancestorHasCap(d));
    if (!base) throw new Error('no temporary folder without a node_modules/cap above it');
    for (const variant of ['missing', 'unbuilt']) {
      const dir = mkdtempSync(join(base, `vxdecode-nocap-${variant}-`));
      cleanup.push(dir);
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      mkdirSync(join(dir, 'node_modules'));
      for (const m of readdirSync(join(ROOT, 'node_modules'))) {
        if (m === 'cap' || m === '.bin') continue;
        symlinkSync(join(ROOT, 'node_modules', m), join(dir, 'node_modules', m));
      }
      if (variant === 'unbuilt') {
        mkdirSync(join(dir, 'node_modules/cap/lib'), { recursive: true });
        cpSync(join(ROOT, 'node_modules/cap/package.json'), join(dir, 'node_modules/cap/package.json'));
        writeFileSync(join(dir, 'node_modules/cap/lib/Cap.js'), "module.exports = require('../build/Release/cap.node');\n");
      }
      const r = spawnSync(process.execPath, [join(dir, 'bin/vxdecode.js'), 'live', '-i', 'lo'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(variant === 'missing' ? /"cap" \(libpcap binding\) is not installed/ : /"cap" is installed but its native part was never built/);
      expect(r.stderr).toMatch(/apt-get install libpcap-dev/);
      expect(r.stderr).toMatch(/npm rebuild cap/);
      expect(r.stderr).toMatch(/tcpdump -U -i eth0 -w - \| vxdecode -/);
      expect(r.stderr).not.toMatch(STACK_RE);
      // the rest of vxdecode works without it
      const d = spawnSync(process.execPath, [join(dir, 'bin/vxdecode.js'), '--count', join(ROOT, 'captures/vxlan-ping/node1-eth0.pcap')], { encoding: 'utf8' });
      expect(d.status, d.stderr).toBe(0);
    }
  });
});

describe('vxdecode live: bounded memory', () => {
  it('a flood three times as long does not need more memory', async () => {
    const flood = async (seconds: number): Promise<{ frames: number; mem: number; traced: number }> => {
      const p = vxdecodeIn(lab, lab.node, ['live', '-i', 'veth1,cni0,veth2', '--node', 'node1', '--trace', '-f', 'icmp', '--seconds', String(seconds + 2)]);
      await started(p);
      // 500 pings a second with 1000-byte payloads: 3000 frames a second on the three interfaces
      spawnSync('ip', ['netns', 'exec', lab.pod1, 'timeout', String(seconds), 'ping', '-q', '-i', '0.002', '-s', '1000', POD2], { stdio: 'ignore' });
      expect(await p.exited).toBe(0);
      return {
        frames: Number(/captured: (\d+) frames/.exec(p.stderr)?.[1]),
        mem: Number(/peak memory (\d+) MB/.exec(p.stderr)?.[1]),
        traced: Number(/(\d+) packets traced from/.exec(p.stdout)?.[1]),
      };
    };
    const short = await flood(2);
    const long = await flood(6);
    expect(short.frames).toBeGreaterThan(3000);
    expect(long.frames).toBeGreaterThan(2 * short.frames);
    expect(long.traced).toBeGreaterThan(long.frames / 6);
    expect(short.mem).toBeGreaterThan(0);
    // what the window and the capped queue hold, not what the run has seen
    expect(long.mem).toBeLessThan(short.mem + 120);
    expect(long.mem).toBeLessThan(800);
  });
});
