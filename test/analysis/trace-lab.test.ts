/**
 * `trace` on every committed lab capture (captures/<scenario>/), checked against what the lab
 * itself knows (topology.json): the probe's hops in kernel order with their TTLs and tunnel
 * headers, the reply's, the verdict and where a packet stopped; every pod-to-pod packet crosses
 * the whole path in role order; DNAT is one timeline with the NAT hop named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ipText } from '../../src/analysis/addr.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN } from '../../src/analysis/extract.js';
import type { Trace } from '../../src/analysis/timeline.js';
import { hopNames, scenarios, traceScenario, type Scenario, type Traced } from './lab.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** A test that exists only where it applies (a scenario without DNAT has no DNAT test). */
const itIf = (cond: unknown): typeof it | ((..._a: unknown[]) => void) => (cond ? it : () => undefined);
const all = scenarios();

function isProbe(t: Trace, s: Scenario): boolean {
  const p = s.topo.probe;
  const o = t.hops[0].obs;
  if (ipText(o.src) !== p.src) return false;
  switch (p.proto) {
    case 'icmp':
      return o.proto === PROTO_ICMP && o.icmpType === 8 && ipText(o.dst) === p.dst && o.ipLen === p.ip_len;
    case 'tcp':
      return o.proto === PROTO_TCP && (o.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && ipText(o.dst) === p.dst && o.dport === p.dport;
    case 'udp':
      return o.proto === PROTO_UDP && ipText(o.dst) === p.dst && o.dport === p.dport;
    default:
      return false;
  }
}

function isProbeReply(t: Trace, s: Scenario): boolean {
  const p = s.topo.probe;
  const o = t.hops[0].obs;
  if (p.proto !== 'icmp') return false;
  return o.proto === PROTO_ICMP && o.icmpType === 0 && ipText(o.src) === p.dst && ipText(o.dst) === p.src && o.ipLen === p.ip_len;
}

function expectHops(t: Trace, hops: any[]): void {
  expect(hopNames(t)).toEqual(hops.map((h) => `${h.node} ${h.iface}`));
  t.hops.forEach((h, i) => {
    const e = hops[i];
    expect(h.role, `${e.node} ${e.iface} role`).toBe(e.role);
    expect(h.obs.ttl, `${e.node} ${e.iface} ttl`).toBe(e.ttl);
    if (e.encap) {
      expect(h.obs.enc, `${e.node} ${e.iface} encapsulated`).toBe(1);
      expect(h.obs.vni).toBe(e.encap.vni);
      expect(ipText(h.obs.oSrc)).toBe(e.encap.outer_src);
      expect(ipText(h.obs.oDst)).toBe(e.encap.outer_dst);
      expect(h.obs.oDport).toBe(e.encap.outer_dport);
    } else expect(h.obs.enc, `${e.node} ${e.iface} not encapsulated`).toBe(0);
  });
  // one node's clock: never backwards within a node
  for (let i = 1; i < t.hops.length; i++) {
    if (t.hops[i].iface.node === t.hops[i - 1].iface.node) expect(t.hops[i].deltaNs).toBeGreaterThanOrEqual(0);
  }
}

function podIps(s: Scenario): Set<string> {
  return new Set((s.topo.pods as any[]).filter((p) => !p.deleted).map((p) => p.ip as string));
}

const FULL: Record<string, string[]> = {
  vxlan: ['pod', 'veth', 'bridge', 'vtep', 'underlay', 'underlay', 'vtep', 'bridge', 'veth', 'pod'],
  'host-gw': ['pod', 'veth', 'bridge', 'underlay', 'underlay', 'bridge', 'veth', 'pod'],
};

it('has lab captures to test against', () => {
  expect(all.length).toBeGreaterThan(0);
});

describe.each(all.map((s) => [s.name, s] as const))('%s', (_name, s) => {
  let r: Traced;
  const exp = s.topo.expected;
  const probe = s.topo.probe;
  beforeAll(async () => {
    r = await traceScenario(s);
  });

  itIf(probe)('traces the probe across every captured hop in kernel order, with the right verdict', () => {
    const ts = r.traces.filter((t) => isProbe(t, s));
    expect(ts.length).toBeGreaterThan(0);
    if (exp.delivered && probe.proto === 'icmp') expect(ts.length).toBe(probe.count);
    for (const t of ts) {
      expectHops(t, exp.hops);
      if (exp.delivered) expect(t.verdict.status).toBe('delivered');
      else {
        expect(t.verdict.status).toBe('lost');
        expect(`${t.verdict.after!.iface.node} ${t.verdict.after!.iface.name}`).toBe(`${exp.stops_after.node} ${exp.stops_after.iface}`);
        // the place it should have reached next is named, and was captured
        expect(t.verdict.missing?.length).toBeGreaterThan(0);
      }
    }
  });

  itIf(probe?.proto === 'icmp' && exp.delivered)('traces every echo reply back along the reverse path', () => {
    const ts = r.traces.filter((t) => isProbeReply(t, s));
    expect(ts.length).toBe(probe.count);
    for (const t of ts) {
      expectHops(t, exp.reply_hops);
      expect(t.verdict.status).toBe('delivered');
    }
  });

  it('traces every pod-to-pod packet of a delivered flow across the whole path, in role order, TTL never rising', () => {
    const pods = podIps(s);
    const full = FULL[s.topo.mode];
    const podToPod = r.traces.filter((t) => {
      const a = t.hops[0].obs;
      const z = t.hops[t.hops.length - 1].obs;
      return pods.has(ipText(a.src)) && pods.has(ipText(z.dst)) && (a.proto === PROTO_ICMP || a.proto === PROTO_TCP || a.proto === PROTO_UDP);
    });
    if (s.topo.fault === 'none' || s.topo.fault === 'clock-skew') expect(podToPod.length).toBeGreaterThan(0);
    for (const t of podToPod) {
      for (let i = 1; i < t.hops.length; i++) expect(t.hops[i].obs.ttl).toBeLessThanOrEqual(t.hops[i - 1].obs.ttl);
      if (t.verdict.status !== 'delivered') continue;
      const a = t.hops[0].obs;
      const z = t.hops[t.hops.length - 1].obs;
      const sameNode = (s.topo.pods as any[]).find((p) => p.ip === ipText(a.src))?.node === (s.topo.pods as any[]).find((p) => p.ip === ipText(z.dst))?.node;
      if (sameNode) continue;
      expect(t.hops.map((h) => h.role), t.hops.map((h) => `${h.iface.node} ${h.iface.name}`).join(', ')).toEqual(full);
      expect(t.hops[0].iface.node).not.toBe(t.hops[t.hops.length - 1].iface.node);
    }
    // every TCP segment of a healthy capture is delivered (GSO super-packets included)
    if (s.topo.fault === 'none') {
      const tcp = podToPod.filter((t) => t.hops[0].obs.proto === PROTO_TCP);
      for (const t of tcp) expect(t.verdict.status, t.verdict.reason).toBe('delivered');
    }
  });

  itIf(s.topo.fault === 'none' || s.topo.fault === 'clock-skew')('loses nothing in a healthy capture', () => {
    expect(r.result.engine.verdicts.lost).toBe(0);
    expect(r.result.engine.verdicts.incomplete).toBe(0);
  });

  itIf(probe?.dst_after_nat && probe.dst_after_nat !== probe.dst)('shows DNAT through the ClusterIP as one timeline with the NAT hop named', () => {
    const ts = r.traces.filter((t) => isProbe(t, s));
    expect(ts.length).toBeGreaterThan(0);
    for (const t of ts) {
      const nat = t.hops.flatMap((h) => h.changes.map((c) => ({ h, c }))).filter(({ c }) => c.type === 'nat');
      expect(nat).toHaveLength(1);
      const { h, c } = nat[0];
      expect(c).toMatchObject({ field: 'dst', from: `${probe.dst}:${probe.dport}`, to: `${probe.dst_after_nat}:${probe.dport_after_nat}` });
      // DNAT happens on the sending node, before the packet leaves it
      expect(h.iface.node).toBe(exp.hops[0].node);
      expect(['bridge', 'vtep', 'underlay']).toContain(h.role);
    }
    if (exp.delivered) {
      // the replies come back un-NATed: one timeline each, source rewritten to the ClusterIP
      const replies = r.traces.filter((t) => ipText(t.hops[0].obs.src) === probe.dst_after_nat && t.hops[0].obs.sport === probe.dport_after_nat);
      expect(replies.length).toBeGreaterThan(0);
      for (const t of replies) {
        expect(t.verdict.status).toBe('delivered');
        const last = t.hops[t.hops.length - 1].obs;
        expect(ipText(last.src)).toBe(probe.dst);
        expect(last.sport).toBe(probe.dport);
      }
    }
  });

  itIf(exp?.arp_unanswered?.length)('names the unanswered ARP where the packet stopped', () => {
    const ts = r.traces.filter((t) => isProbe(t, s));
    const want = exp.arp_unanswered[0];
    expect(
      ts.some((t) => t.verdict.arpUnanswered?.some((a) => a.node === want.node && a.iface === want.iface && a.target === want.target)),
    ).toBe(true);
  });

  itIf(exp?.icmp_errors?.length)('names the ICMP error that refused the packet', () => {
    const ts = r.traces.filter((t) => isProbe(t, s));
    const want = exp.icmp_errors[0];
    expect(ts.some((t) => t.verdict.icmp?.some((e) => e.from === want.from && e.type === want.type && e.code === want.code && e.mtu === want.mtu))).toBe(true);
  });
});
