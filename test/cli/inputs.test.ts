/** What a user sees for good, bad and odd inputs: one clear line, a documented exit status. */
import { mkdtempSync, writeFileSync, readFileSync, chmodSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { PUBLIC_DIR } from '../support/public.js';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT, STACK, vxdecode, vxdecodeStreaming } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'vxcli-'));
const vxlan = join(PUBLIC_DIR, 'tcpdump/vxlan.pcap');

describe('arguments and files', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a missing file', () => [join(tmp, 'nope.pcap')], /nope\.pcap: byte 0: no such file/],
    ['a directory', () => [tmp], /byte 0: is a directory/],
    ['an empty file', () => { const p = join(tmp, 'empty.pcap'); writeFileSync(p, ''); return [p]; }, /empty input \(0 bytes\)/],
    ['a text file', () => { const p = join(tmp, 'notes.txt'); writeFileSync(p, 'hello world\n'); return [p]; }, /looks like text/],
    ['a gzip-compressed capture', () => { const p = join(tmp, 'c.pcap.gz'); writeFileSync(p, gzipSync(readFileSync(vxlan))); return [p]; }, /gzip-compressed.*zcat .*c\.pcap\.gz \| vxdecode -/],
    ['an unknown option', () => ['--frobnicate', vxlan], /Unknown argument: frobnicate/],
    ['no file at all', () => [], /no capture given/],
    ['two standard inputs', () => ['-', '-'], /standard input \(-\) can be read only once/],
    ['a bad --vxlan-port', () => ['--vxlan-port', '70000', vxlan], /--vxlan-port 70000: not a UDP port/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one clear line, exit 1, no stack trace`, () => {
      const r = vxdecode(args());
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    });
  }

  it('an unreadable file (when not root, permission denied; as root, read anyway)', () => {
    const p = join(tmp, 'secret.pcap');
    writeFileSync(p, readFileSync(vxlan));
    chmodSync(p, 0);
    const r = vxdecode(['--count', p]);
    if (process.getuid?.() === 0) expect(r.status).toBe(0);
    else expect(r.stderr).toMatch(/permission denied/);
  });

  it('a corrupt file after good frames: the good frames, then the error with its offset, exit 1', () => {
    const r = vxdecode([join(PUBLIC_DIR, 'gopacket/le/test901.pcapng')]);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n').length).toBe(1);
    expect(r.stderr).toMatch(/test901\.pcapng: byte \d+: unsupported pcapng version 2\.0 .*\(the 1 frame before it was read\)/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('help shows examples', () => {
    const r = vxdecode(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/tcpdump -U -i eth0 -w - \| vxdecode -/);
  });

  it('a repeated option takes one value each; the rest are captures (--links A --links B FILE...)', () => {
    const dir = join(ROOT, 'captures', 'vxlan-any');
    const r = vxdecode(['trace', '--json', '--links', `node1=${dir}/node1.links.txt`, '--links', `node2=${dir}/node2.links.txt`, `${dir}/node1-any.pcap`, `${dir}/node2-any.pcap`]);
    expect(r.status).toBe(0);
    const first = JSON.parse(r.stdout.split('\n')[0]);
    const ifaces = first.hops.map((h: { iface: string }) => h.iface);
    expect(ifaces).toContain('flannel.1');
    expect(ifaces).toContain('cni0');
    expect(ifaces.join(' ')).not.toMatch(/ifindex/);
  });

  it('standard input is `-` for trace too (no placeholder leaks into names)', () => {
    const r = vxdecode(['trace', '--json', '-'], readFileSync(join(ROOT, 'captures', 'vxlan-ping', 'node1-eth0.pcap')));
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\\u0000/);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).summary.packets).toBe(8);
  });

  it('labels name the node and interface', () => {
    const r = vxdecode(['--json', `node7/flannel.1=${vxlan}`]);
    const first = JSON.parse(r.stdout.split('\n')[0]);
    expect(first).toMatchObject({ node: 'node7', iface: 'flannel.1', frame: 1, ts: '1368908504.837063000', caplen: 148, len: 148 });
  });
});

describe('standard input and pipes', () => {
  it('a stream cut inside a record yields every complete frame and a warning', () => {
    const bytes = readFileSync(vxlan);
    const r = vxdecode(['--json', '-'], bytes.subarray(0, bytes.length - 30));
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(9);
    expect(r.stderr).toMatch(/warning: -: byte \d+: input ends inside a packet record: it needs \d+ bytes, only \d+ present/);
  });

  it('reads pcapng from standard input too', () => {
    const r = vxdecode(['--count', '--json', '-'], readFileSync(join(PUBLIC_DIR, 'pcapng-test-generator/output_be/difficult/test202.pcapng')));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).frames).toBe(8);
  });

  it('exits quietly with status 0 when the reader of its output goes away (| head)', () => {
    const bytes = readFileSync(vxlan);
    const big = join(tmp, 'big.pcap');
    writeFileSync(big, Buffer.concat([bytes.subarray(0, 24), ...Array(20000).fill(bytes.subarray(24))]));
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${BIN} ${big} | head -3`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(3);
    expect(r.stderr).toBe('');
  });

  it('reports a full disk on standard output (decode, trace, analyze), exit 1', () => {
    for (const cmd of ['', 'trace', 'analyze']) {
      const r = spawnSync('bash', ['-c', `node ${BIN} ${cmd} ${vxlan} > /dev/full`], { encoding: 'utf8' });
      expect(r.status, cmd).toBe(1);
      expect(r.stderr).toMatch(/cannot write output: ENOSPC: no space left on device/);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('streams 1 GB through --count - in bounded memory', async () => {
    const bytes = readFileSync(vxlan);
    const records = bytes.subarray(24);
    const block = Buffer.concat(Array(1000).fill(records));
    const n = Math.ceil(1e9 / block.length);
    const r = await vxdecodeStreaming(['--count', '--json', '--stats', '-'], async (stdin) => {
      stdin.write(bytes.subarray(0, 24));
      for (let i = 0; i < n; i++) {
        if (!stdin.write(block)) await new Promise((res) => stdin.once('drain', res));
      }
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).frames).toBe(n * 1000 * 10);
    const rss = Number(/peak memory (\d+) MB/.exec(r.stderr)?.[1]);
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(100);
  }, 120_000);
});

describe('terminal safety', () => {
  it('prints a hostile pcapng if_name escaped, and JSON stays valid', () => {
    const frame = readFileSync(vxlan).subarray(40, 40 + 148);
    const blocks: Uint8Array[] = [];
    const w = new PcapngWriter((b) => blocks.push(b));
    w.packet(1, { name: 'eth0\x1b]0;pwned\x07\x1b[2J', linkType: 1, tsUnitsPerSec: 1e6 }, { tsSec: 1, tsNsec: 0, len: 148, bytes: frame, comments: ['\x1b[31mred'] });
    mkdirSync(join(tmp, 'h'), { recursive: true });
    const p = join(tmp, 'h', 'hostile.pcapng');
    writeFileSync(p, Buffer.concat(blocks));
    for (const args of [[p], ['--count', p], ['-v', p]]) {
      const r = vxdecode(args);
      expect(r.status).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(r.stdout).toContain('eth0\\x1b]0;pwned\\x07\\x1b[2J');
    }
    const j = vxdecode(['--json', p]);
    expect(JSON.parse(j.stdout).iface).toBe('eth0\x1b]0;pwned\x07\x1b[2J');
    expect(j.stdout).not.toMatch(/\x1b/);
  });
});
