// pcapng written by vxdecode (`--write` on decode and trace, `vxdecode merge`), read back by
// tshark and by vxdecode's own reader: the same frames (bytes), one interface per source named
// NODE/IFACE, link types and timestamp resolution as captured, clock-corrected timestamps and a
// comment per frame naming its packet and hop; and every way writing can fail, reported.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { InterfaceNames } from '../../src/capture/input.js';
import { formatTs, type Frame } from '../../src/capture/frame.js';
import { BIN, ROOT, STACK_RE, tsharkFields } from './netns.js';

const CAP = join(ROOT, 'captures');
let tmp = '';
let mnt = '';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const files = (dir: string): string[] =>
  readdirSync(join(CAP, dir))
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => join(CAP, dir, f));

const key = (f: Frame): string => `${formatTs(f.tsSec, f.tsNsec)} ${f.len} ${Buffer.from(f.bytes).toString('hex')}`;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/write.js'))) throw new Error('build first: npm run build');
  tmp = mkdtempSync(join(tmpdir(), 'vxwrite-'));
});

afterAll(() => {
  if (mnt) spawnSync('umount', [mnt]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('decode --write', () => {
  it('writes every frame of several captures, time-ordered, one interface per NODE/IFACE, link types and resolutions kept', async () => {
    const inputs = [join(CAP, 'vxlan-ping/node1-eth0.pcap'), join(CAP, 'vxlan-ping/node1-flannel.1.pcap'), join(CAP, 'vxlan-ping-micro/node2-eth0.pcap')];
    const out = join(tmp, 'decode.pcapng');
    const r = run(['-w', out, ...inputs]);
    expect(r.status, r.stderr).toBe(0);
    const orig = await Promise.all(inputs.map((p) => readFileFrames(p)));
    const back = await readFileFrames(out);
    expect(back.error).toBeUndefined();
    // the same frames, bytes and timestamps, in time order
    const want = orig.flatMap((o) => o.frames).map(key).sort();
    expect(back.frames.map(key)).toEqual(want);
    // interfaces named as the inputs' sources, with their link types and resolutions
    expect(back.sources.map((s) => `${s.iface} link ${s.linkType} units ${s.tsUnitsPerSec}`).sort()).toEqual([
      'node1/eth0 link 1 units 1000000000',
      'node1/flannel.1 link 1 units 1000000000',
      'node2/eth0 link 1 units 1000000',
    ]);
    // tshark agrees: names, timestamps, lengths
    const t = tsharkFields(out, ['frame.interface_name', 'frame.time_epoch', 'frame.len']);
    expect(t.map((x) => `${x[1]} ${x[2]}`)).toEqual(back.frames.map((f) => `${formatTs(f.tsSec, f.tsNsec)} ${f.len}`));
    expect(new Set(t.map((x) => x[0]))).toEqual(new Set(['node1/eth0', 'node1/flannel.1', 'node2/eth0']));
    // tshark decodes the same packets from the copy as from the originals
    const proto = (file: string): string[] => tsharkFields(file, ['frame.time_epoch', 'frame.protocols', 'ip.src', 'ip.dst'], ['-d', 'udp.port==8472,vxlan']).map((x) => x.join(' '));
    expect(proto(out).sort()).toEqual(inputs.flatMap(proto).sort());
  });

  it('with -Y, writes only the frames the filter keeps, as tshark\'s filter would', () => {
    const inputs = files('vxlan-ping');
    const out = join(tmp, 'decode-icmp.pcapng');
    const r = run(['-Y', 'icmp', '-w', out, ...inputs]);
    expect(r.status, r.stderr).toBe(0);
    const f = ['frame.time_epoch', 'frame.len', 'icmp.type'];
    const mine = tsharkFields(out, f, ['-d', 'udp.port==8472,vxlan']).map((x) => x.join(' '));
    const want = inputs.flatMap((p) => tsharkFields(p, f, ['-d', 'udp.port==8472,vxlan', '-Y', 'icmp'])).map((x) => x.join(' '));
    expect(mine.length).toBe(r.stdout.trim().split('\n').length);
    expect(mine.length).toBeGreaterThan(20);
    expect([...mine].sort()).toEqual([...want].sort());
  });

  it('names the interfaces of a `tcpdump -i any` (SLL2) capture and keeps its link type', async () => {
    const dir = join(CAP, 'vxlan-any');
    const out = join(tmp, 'any.pcapng');
    const r = run(['-w', out, `node1=${join(dir, 'node1-any.pcap')}`, '--links', `node1=${join(dir, 'node1.links.txt')}`]);
    expect(r.status, r.stderr).toBe(0);
    const names = new InterfaceNames();
    names.addLinksFile(`node1=${join(dir, 'node1.links.txt')}`);
    const t = tsharkFields(out, ['frame.interface_name', 'sll.ifindex', 'frame.encap_type']);
    expect(t.length).toBeGreaterThan(10);
    for (const [name, ifindex, encap] of t) {
      expect(name).toBe(`node1/${names.get('node1', Number(ifindex))}`);
      expect(encap).toBe('210'); // Wireshark's encapsulation number for Linux cooked v2
    }
    expect(new Set(t.map((x) => x[0])).size).toBeGreaterThan(2);
  });
});

describe('trace --write', () => {
  it('comments each frame with its packet and hop, and writes clock-corrected timestamps', async () => {
    const inputs = files('vxlan-clock-skew');
    const out = join(tmp, 'trace.pcapng');
    const r = run(['trace', '--json', '-w', out, ...inputs]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    type Hop = { node: string; iface: string };
    const traces = lines.filter((j) => Array.isArray(j.hops)) as { packet: number; hops: Hop[] }[];
    const summary = lines.at(-1) as { skew: { node: string; applied_ns: number }[] };
    const applied = summary.skew.find((s) => s.node === 'node2')!.applied_ns;
    expect(Math.abs(applied)).toBeGreaterThan(1e9); // the capture's node2 clock is 1.5 s off
    const rows = tsharkFields(out, ['frame.interface_name', 'frame.time_epoch', 'frame.comment', 'frame.len']);
    const orig = (await Promise.all(inputs.map((p) => readFileFrames(p)))).flatMap((o) => o.frames);
    expect(rows).toHaveLength(orig.length);
    // every hop of every trace is a commented frame on that interface
    const comments = rows.map((x) => [x[0], ...x[2].split(',')]);
    for (const t of traces) {
      t.hops.forEach((h, k) => {
        const want = `pkt ${t.packet} hop ${k + 1}/${t.hops.length} ${h.node} ${h.iface} +`;
        const hit = comments.find((c) => c.slice(1).some((x) => x.startsWith(want)));
        expect(hit, want).toBeDefined();
        expect(hit![0]).toBe(`${h.node}/${h.iface}`);
      });
    }
    // node2's timestamps moved by the applied correction, node1's kept, to the nanosecond
    const shift = (f: Frame): string => {
      if (f.source.node !== 'node2') return formatTs(f.tsSec, f.tsNsec);
      const ns = BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec) - BigInt(applied);
      return formatTs(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n));
    };
    expect(rows.map((x) => `${x[1]} ${x[3]}`).sort()).toEqual(orig.map((f) => `${shift(f)} ${f.len}`).sort());
    // written in corrected time order
    const ts = rows.map((x) => x[1]);
    expect([...ts].sort()).toEqual(ts);
    const descr = execFileSync('capinfos', [out], { encoding: 'utf8' });
    expect(descr).toMatch(/Description = vxdecode: timestamps corrected by \d+ ns \(clock offset of node2\)/);
  });
});

describe('vxdecode merge', () => {
  it('merges like mergecap, in time order, with NODE/IFACE interface names', async () => {
    const inputs = files('vxlan-ping');
    const out = join(tmp, 'merged.pcapng');
    const ref = join(tmp, 'mergecap.pcapng');
    const r = run(['merge', '-w', out, ...inputs]);
    expect(r.status, r.stderr).toBe(0);
    execFileSync('mergecap', ['-w', ref, ...inputs]);
    const fields = ['frame.time_epoch', 'frame.len', 'frame.protocols', 'eth.src', 'ip.id'];
    const mine = tsharkFields(out, fields).map((x) => x.join(' '));
    const theirs = tsharkFields(ref, fields).map((x) => x.join(' '));
    expect(mine.length).toBeGreaterThan(50);
    expect([...mine].sort()).toEqual([...theirs].sort());
    const ts = tsharkFields(out, ['frame.time_epoch']).map((x) => x[0]);
    expect([...ts].sort()).toEqual(ts);
    const names = new Set(tsharkFields(out, ['frame.interface_name']).map((x) => x[0]));
    expect(names).toEqual(new Set(inputs.map((p) => p.replace(/^.*\/(node\d)-(.*)\.pcap$/, '$1/$2'))));
    expect(r.stderr).toMatch(new RegExp(`wrote .*merged\\.pcapng: ${mine.length} frames from ${inputs.length} interfaces`));
    // the copy decodes like the originals
    const back = await readFileFrames(out);
    const orig = (await Promise.all(inputs.map((p) => readFileFrames(p)))).flatMap((o) => o.frames);
    expect(back.frames.map(key).sort()).toEqual(orig.map(key).sort());
  });

  it('-Y writes only the frames the display filter keeps (the same ones tshark\'s filter keeps)', () => {
    const inputs = files('vxlan-ping');
    const out = join(tmp, 'merged-arp.pcapng');
    const r = run(['merge', '-q', '-Y', 'arp', '-w', out, ...inputs]);
    expect(r.status, r.stderr).toBe(0);
    const mine = tsharkFields(out, ['frame.time_epoch', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4']).map((x) => x.join(' '));
    const want = inputs.flatMap((p) => tsharkFields(p, ['frame.time_epoch', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4'], ['-Y', 'arp'])).map((x) => x.join(' '));
    expect(mine.length).toBeGreaterThan(0);
    expect([...mine].sort()).toEqual([...want].sort());
  });

  it('keeps the interfaces of pcapng inputs and labels them by node', async () => {
    const out = join(tmp, 'merged-ng.pcapng');
    const r = run(['merge', '-q', '-w', out, ...files('vxlan-pcapng')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const names = new Set(tsharkFields(out, ['frame.interface_name']).map((x) => x[0]));
    expect([...names].sort()).toEqual(expect.arrayContaining(['node1/eth0', 'node1/cni0', 'node1/flannel.1', 'node2/eth0', 'node2/flannel.1']));
  });
});

describe('writing fails: said in one line, exit status 1', () => {
  it('a full device (/dev/full), for decode, trace and merge', () => {
    const input = join(CAP, 'vxlan-ping/node1-eth0.pcap');
    for (const args of [['-w', '/dev/full', input], ['trace', '-w', '/dev/full', input], ['merge', '-w', '/dev/full', input]]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^vxdecode: cannot write \/dev\/full: no space left on device \(ENOSPC\); the file is incomplete$/m);
      expect(r.stderr).not.toMatch(STACK_RE);
    }
  });

  it('a small tmpfs that fills up while writing', () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root, as CI does');
    mnt = join(tmp, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    const inputs = files('vxlan-multi'); // about 500 kB
    const out = join(mnt, 'big.pcapng');
    const r = run(['merge', '-w', out, ...inputs]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot write .*big\.pcapng: no space left on device \(ENOSPC\); the file is incomplete/);
    expect(r.stderr).not.toMatch(STACK_RE);
    const d = run(['-w', join(mnt, 'big2.pcapng'), ...inputs]);
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/no space left on device \(ENOSPC\)/);
  });

  it('a path that cannot be created, or one of the inputs', () => {
    const input = join(CAP, 'vxlan-ping/node1-eth0.pcap');
    const r = run(['-w', '/nonexistent-dir/x.pcapng', input]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--write \/nonexistent-dir\/x\.pcapng: cannot create it: no such directory \(ENOENT\)/);
    expect(r.stdout).toBe('');
    const copy = join(tmp, 'node1-eth0.pcap');
    copyFileSync(input, copy);
    for (const args of [['merge', '-w', copy, copy], ['-w', copy, `node1/eth0=${copy}`]]) {
      const x = run(args);
      expect(x.status).toBe(1);
      expect(x.stderr).toMatch(/that is one of the inputs; writing it would destroy it before it is read/);
      expect(readFileSync(copy)).toEqual(readFileSync(input));
    }
    expect(run(['merge', input]).stderr).toMatch(/-w OUT\.pcapng/);
  });
});
