// vxdecode on captures the lab has just made (not the committed samples): the probe echo request
// is traced across exactly the hops topology.json says the kernel took, in that order, with the
// verdict the lab expects; analyze names the injected fault where it was injected.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useLab, type Lab } from './lab.js';

const BIN = fileURLToPath(new URL('../../bin/vxdecode.js', import.meta.url));

function vxdecode(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every capture of a run, with `--links` for the `-i any` style. */
function inputs(lab: Lab): string[] {
  const dir = lab.dir;
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
  const links = readdirSync(dir)
    .filter((f) => f.endsWith('.links.txt'))
    .flatMap((f) => ['--links', `${f.slice(0, f.indexOf('.'))}=${path.join(dir, f)}`]);
  return [...links, ...files];
}

interface TraceJson {
  icmp?: { type: number; seq: number };
  flow: { src: string; dst: string };
  hops: { node: string; iface: string }[];
  verdict: { status: string; after?: { node: string; iface: string } };
}

function probeTraces(lab: Lab): TraceJson[] {
  const r = vxdecode(['trace', '--json', ...inputs(lab)]);
  expect(r.status, r.stderr).toBe(0);
  const first = lab.topo.expected.hops[0];
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((t) => t.icmp?.type === 8 && t.flow.src === first.src && t.flow.dst === first.dst);
}

function expectProbePath(lab: Lab): void {
  const traces = probeTraces(lab);
  expect(traces.length).toBeGreaterThan(0);
  const want = lab.topo.expected.hops.map((h) => `${h.node} ${h.iface}`);
  for (const t of traces) {
    expect(t.hops.map((h) => `${h.node} ${h.iface}`)).toEqual(want);
    expect(t.verdict.status).toBe(lab.topo.expected.delivered ? 'delivered' : 'lost');
  }
}

describe('vxdecode on a fresh VXLAN lab run (a pcap per interface)', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'ping', '--count', '3']);
  it('traces every echo request across the ten hops in kernel order, delivered', () => {
    expect(lab.topo.expected.hops.length).toBe(10);
    expectProbePath(lab);
  });
  it('analyze finds nothing wrong', () => {
    const r = vxdecode(['analyze', '--json', ...inputs(lab)]);
    expect(r.status).toBe(0);
    const findings = JSON.parse(r.stdout).findings as { severity: string }[];
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

describe('vxdecode on a fresh lab run with a FORWARD drop on node2', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'forward-drop', '--traffic', 'ping', '--count', '3']);
  it('traces the requests up to node2 flannel.1 and calls them lost there', () => {
    expectProbePath(lab);
    for (const t of probeTraces(lab)) expect(t.verdict.after).toMatchObject(lab.topo.expected.stops_after!);
  });
  it('analyze reports the drop at node2 flannel.1 → cni0 and exits 2', () => {
    const r = vxdecode(['analyze', '--json', ...inputs(lab)]);
    expect(r.status).toBe(2);
    const drop = (JSON.parse(r.stdout).findings as { kind: string; node: string; ifaces: string[] }[]).find((f) => f.kind === 'drop');
    expect(drop).toMatchObject({ node: 'node2', ifaces: ['flannel.1', 'cni0'] });
  });
});

describe('vxdecode on fresh dumpcap pcapng and tcpdump -i any runs', () => {
  const pcapng = useLab(['--mode', 'vxlan', '--style', 'pcapng', '--traffic', 'ping', '--count', '2']);
  const any = useLab(['--mode', 'vxlan', '--style', 'any', '--traffic', 'ping', '--count', '2']);
  it('one pcapng per node: the same ten hops', () => expectProbePath(pcapng));
  it('-i any with the nodes\' ip -o link: the same ten hops, named', () => expectProbePath(any));
});
