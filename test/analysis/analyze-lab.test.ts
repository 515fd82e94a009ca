/**
 * `analyze` on every committed lab capture: each injected fault gives its finding at the right
 * node and interface, with evidence; healthy captures give no warnings or errors; the exit
 * status and the JSON shape scripts rely on.
 */
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeInputs, runAnalyze } from '../../src/cli/analyze.js';
import { Output } from '../../src/cli/output.js';
import type { Finding } from '../../src/analysis/findings.js';
import { scenarios, type Scenario } from './lab.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** A test that exists only where it applies (a scenario without DNAT has no DNAT test). */
const itIf = (cond: unknown): typeof it | ((..._a: unknown[]) => void) => (cond ? it : () => undefined);
const all = scenarios();

function args(s: Scenario, extra: Record<string, unknown> = {}) {
  const vx = s.topo.vxlan?.port;
  return {
    files: s.files,
    links: s.links,
    decode: { vxlanPorts: vx && vx !== 4789 && vx !== 8472 ? [vx] : [], heuristics: true },
    ...extra,
  };
}

function nodeInfo(s: Scenario, name: string): any {
  return (s.topo.nodes as any[]).find((n) => n.name === name);
}

async function runCli(s: Scenario, extra: Record<string, unknown> = {}): Promise<{ status: number; text: string }> {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const out = new Output(sink);
  const status = await runAnalyze(args(s, extra) as any, out, () => {});
  return { status, text };
}

describe.each(all.map((s) => [s.name, s] as const))('%s', (_n, s) => {
  let findings: Finding[];
  const fault: string = s.topo.fault;
  const exp = s.topo.expected;
  beforeAll(async () => {
    findings = (await analyzeInputs(args(s) as any, () => {})).findings;
  });
  const of = (kind: string) => findings.filter((f) => f.kind === kind);
  const serious = () => findings.filter((f) => f.severity !== 'info');

  itIf(fault === 'none')('finds nothing wrong with a healthy capture', () => {
    expect(serious().map((f) => f.message)).toEqual([]);
  });

  itIf(fault === 'clock-skew')('reports the clock offset (and nothing else), within ±50 µs', () => {
    expect(serious().map((f) => f.kind)).toEqual(['clock-skew']);
    const f = of('clock-skew')[0];
    expect(f.node).toBe(s.topo.clock_shift.node);
    expect(f.severity).toBe('warning');
    expect(Math.abs((f.data as any).offset_ns - s.topo.clock_shift.ns)).toBeLessThanOrEqual(50_000);
    expect(f.frames.length).toBeGreaterThan(0);
  });

  itIf(fault === 'forward-drop')('finds the drop on the receiving node, between the interfaces it was seen on and never reached', () => {
    const d = of('drop');
    expect(d).toHaveLength(1);
    const f = d[0];
    expect(f.severity).toBe('error');
    expect(f.node).toBe(exp.stops_after.node);
    expect(f.ifaces).toEqual([exp.stops_after.iface, exp.absent[0].iface]);
    expect(f.message).toMatch(/FORWARD/);
    expect(f.check).toMatch(/iptables -L FORWARD/);
    expect(f.count).toBe(s.topo.probe.count);
    expect(f.frames.every((e) => e.node === exp.stops_after.node && e.iface === exp.stops_after.iface)).toBe(true);
    expect(serious().filter((x) => x.kind !== 'drop')).toEqual([]);
  });

  itIf(fault === 'no-fdb')('finds the missing FDB entry on the VTEP and names the MAC it needs', () => {
    const d = of('vxlan-no-encap');
    expect(d).toHaveLength(1);
    const f = d[0];
    expect(f.severity).toBe('error');
    expect(f.node).toBe(exp.stops_after.node);
    expect(f.iface).toBe(exp.stops_after.iface);
    expect((f.data as any).vtep_mac).toBe(nodeInfo(s, 'node2').vtep.mac);
    expect(f.check).toMatch(/bridge fdb show dev flannel\.1/);
    expect(f.count).toBe(s.topo.probe.count);
    expect(serious().filter((x) => x.kind !== 'vxlan-no-encap')).toEqual([]);
  });

  itIf(fault === 'no-neigh')('finds the VTEP ARPing for the remote VTEP', () => {
    const d = of('vtep-arp');
    expect(d).toHaveLength(1);
    const f = d[0];
    const want = exp.arp_unanswered[0];
    expect(f.severity).toBe('error');
    expect(f.node).toBe(want.node);
    expect(f.iface).toBe(want.iface);
    expect((f.data as any).target).toBe(want.target);
    expect(f.check).toMatch(/ip neigh show dev flannel\.1/);
    expect(f.packets.length).toBe(s.topo.probe.count);
    expect(serious().filter((x) => x.kind !== 'vtep-arp')).toEqual([]);
  });

  itIf(fault === 'mtu')('finds the ICMP fragmentation-needed with its MTU and sender, and no drop besides', () => {
    const d = of('mtu').filter((f) => f.severity === 'error');
    expect(d).toHaveLength(1);
    const f = d[0];
    const want = exp.icmp_errors[0];
    expect(f.node).toBe(exp.stops_after.node);
    expect((f.data as any).mtu).toBe(want.mtu);
    expect((f.data as any).from).toBe(want.from);
    expect((f.data as any).refused.src).toBe(s.topo.probe.src);
    expect(serious().filter((x) => x.kind !== 'mtu')).toEqual([]);
  });

  itIf(fault === 'stale-endpoint')('finds the stale endpoint behind the DNAT: unanswered ARP at the right place, and the SYN retries', () => {
    const d = of('arp-unanswered').filter((f) => f.severity === 'error');
    expect(d).toHaveLength(1);
    const f = d[0];
    const want = exp.arp_unanswered[0];
    expect(f.node).toBe(want.node);
    expect(f.iface).toBe(want.iface);
    expect((f.data as any).target).toBe(want.target);
    expect((f.data as any).service).toBe(`${s.topo.service.cluster_ip}:${s.topo.service.port}`);
    expect(f.message).toMatch(/stale service endpoint/);
    expect(of('retransmission').length).toBe(1);
    expect(of('drop')).toEqual([]);
    expect(of('nat').some((n) => (n.data as any).to === `${want.target}:${s.topo.service.endpoint.port}`)).toBe(true);
  });

  itIf(s.topo.probe?.dst_after_nat && s.topo.probe.dst_after_nat !== s.topo.probe.dst)('reports the DNAT as information', () => {
    const p = s.topo.probe;
    const n = of('nat').find((f) => (f.data as any).field === 'dst');
    expect(n).toBeDefined();
    expect(n!.severity).toBe('info');
    expect(n!.node).toBe(exp.hops[0].node);
    expect((n!.data as any).from).toBe(`${p.dst}:${p.dport}`);
    expect((n!.data as any).to).toBe(`${p.dst_after_nat}:${p.dport_after_nat}`);
  });

  it('gives every finding a kind, severity, node, one-line message with its check, and evidence', () => {
    for (const f of findings) {
      expect(f.kind).toMatch(/^[a-z-]+$/);
      expect(['error', 'warning', 'info']).toContain(f.severity);
      expect(f.node).toBeTruthy();
      expect(f.message).not.toContain('\n');
      expect(f.message).toContain(f.check);
      expect(f.frames.length + f.packets.length).toBeGreaterThan(0);
    }
  });

  it('exits 2 exactly when an error-severity finding exists; --json is one object with findings, skew and latency', async () => {
    const r = await runCli(s);
    expect(r.status).toBe(findings.some((f) => f.severity === 'error') ? 2 : 0);
    const j = await runCli(s, { json: true });
    const lines = j.text.trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]);
    expect(Object.keys(o)).toEqual(['findings', 'skew', 'latency', 'summary']);
    expect(o.findings.map((f: Finding) => f.kind)).toEqual(findings.map((f) => f.kind));
    expect(o.skew.length).toBeGreaterThan(0);
  });
});
