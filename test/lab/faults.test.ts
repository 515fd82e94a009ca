// Faults: each one must leave the trace in the captures that the kernel really produces.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIcmpErrors, checkProbePath } from './checks.js';
import {
  ip, isArpReplyFrom, isArpRequest, isEchoReply, isEchoRequest, isSynAck, isVxlan, readFrames, useLab,
} from './lab.js';

describe('fault no-fdb: node1 has no FDB entry for node2\'s VTEP', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'no-fdb', '--count', '4']);

  it('the request reaches node1 flannel.1 and never node1 eth0', () => {
    expect(lab.topo.expected.stops_after).toEqual({ node: 'node1', iface: 'flannel.1' });
    checkProbePath(lab);
    expect(lab.framesOn('node1', 'flannel.1').filter(isEchoRequest).length).toBe(4);
    // nothing at all is encapsulated: no VXLAN frame on either underlay
    for (const node of ['node1', 'node2']) expect(lab.framesOn(node, 'eth0').filter(isVxlan).length).toBe(0);
    expect(lab.framesOn('node2', 'pod2.eth0').filter(isEchoRequest).length).toBe(0);
    expect(lab.framesOn('node1', 'pod1.eth0').filter(isEchoReply).length).toBe(0);
  });

  it('the node state shows the missing entry', () => {
    const state = readFileSync(lab.file('node1.state.txt'), 'utf8');
    const fdb = state.split('## bridge fdb show dev flannel.1')[1].split('##')[0];
    expect(fdb).not.toContain(lab.topo.nodes[1].vtep!.mac);
    expect(state).toContain(`10.10.2.0 dev flannel.1 lladdr ${lab.topo.nodes[1].vtep!.mac} PERMANENT`);
  });
});

describe('fault no-neigh: node1 has no neighbour entry for node2\'s VTEP', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'no-neigh', '--count', '4']);

  it('the request reaches node1 cni0 and never flannel.1; node1 ARPs for the VTEP on flannel.1 unanswered', () => {
    expect(lab.topo.expected.stops_after).toEqual({ node: 'node1', iface: 'cni0' });
    checkProbePath(lab);
    const vtep = lab.framesOn('node1', 'flannel.1');
    expect(vtep.filter((f) => isArpRequest(f, '10.10.2.0')).length).toBeGreaterThan(0);
    expect(vtep.filter((f) => isArpReplyFrom(f, '10.10.2.0')).length).toBe(0);
    expect(vtep.filter(isEchoRequest).length).toBe(0);
    expect(lab.framesOn('node1', 'eth0').filter(isVxlan).length).toBe(0);
    expect(lab.topo.expected.arp_unanswered).toEqual([{ node: 'node1', iface: 'flannel.1', target: '10.10.2.0', answered: false }]);
  });
});

describe('fault forward-drop: iptables DROP in FORWARD on node2', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'forward-drop', '--count', '4']);

  it('the request reaches node2 flannel.1 but not node2 cni0', () => {
    expect(lab.topo.expected.stops_after).toEqual({ node: 'node2', iface: 'flannel.1' });
    checkProbePath(lab);
    expect(lab.framesOn('node2', 'flannel.1').filter(isEchoRequest).length).toBe(4);
    expect(lab.framesOn('node2', 'cni0').filter(isEchoRequest).length).toBe(0);
    expect(lab.framesOn('node1', 'pod1.eth0').filter(isEchoReply).length).toBe(0);
    expect(readFileSync(lab.file('node2.state.txt'), 'utf8')).toMatch(/-A FORWARD -d 10\.10\.2\.0\/24 .*-j DROP/);
  });
});

describe('fault mtu: pod MTU 1500 over a 1450 tunnel', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'mtu', '--count', '4']);

  it('pods and cni0 are at 1500 while flannel.1 is 1450', () => {
    for (const p of lab.topo.pods) expect(p.mtu).toBe(1500);
    for (const n of lab.topo.nodes) {
      expect(n.bridge.mtu).toBe(1500);
      expect(n.vtep!.mtu).toBe(1450);
    }
  });

  it('the 1500-byte DF request reaches node1 cni0 and never flannel.1', () => {
    expect(lab.topo.probe).toMatchObject({ proto: 'icmp', ip_len: 1500, df: true });
    checkProbePath(lab);
    const big = lab.framesOn('node1', 'pod1.eth0').filter((f) => isEchoRequest(f) && ip(f, 'len') === '1500');
    expect(big.length).toBe(1); // later DF pings fail in the pod itself (PMTU 1450 cached)
    expect(ip(big[0], 'flags.df')).toMatch(/^(1|True|true)$/);
  });

  it('node1 answers fragmentation needed, mtu 1450, seen back at the pod', () => {
    expect(lab.topo.expected.icmp_errors).toMatchObject([{ from: '10.10.1.1', to: '10.10.1.5', type: 3, code: 4, mtu: 1450, count: 1 }]);
    checkIcmpErrors(lab);
  });

  it('small pings still work (the classic MTU symptom)', () => {
    const pod1 = lab.framesOn('node1', 'pod1.eth0');
    expect(pod1.filter((f) => isEchoReply(f) && ip(f, 'len') === '84').length).toBe(2);
    expect(readFileSync(lab.file('lab.log'), 'utf8')).toMatch(/Frag needed and DF set \(mtu = 1450\)/);
  });
});

describe('fault stale-endpoint: the ClusterIP DNATs to a deleted pod', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'stale-endpoint']);

  it('records the deleted endpoint', () => {
    const t = lab.topo;
    expect(t.service).toMatchObject({ cluster_ip: '10.96.0.10', port: 80, endpoint: { pod: 'oldpod', ip: '10.10.2.9', port: 8080 }, endpoint_exists: false });
    expect(t.pods.find((p) => p.name === 'oldpod')).toMatchObject({ deleted: true, node: 'node2' });
    expect(t.captures.some((c) => c.pod === 'oldpod')).toBe(false);
  });

  it('the SYN is DNATed on node1, crosses to node2 and dies before cni0', () => {
    expect(lab.topo.expected.stops_after).toEqual({ node: 'node2', iface: 'flannel.1' });
    checkProbePath(lab);
    expect(lab.framesOn('node1', 'pod1.eth0').filter(isSynAck).length).toBe(0);
  });

  it('node2 ARPs for the endpoint on cni0 and nobody answers', () => {
    const cni0 = lab.framesOn('node2', 'cni0');
    expect(cni0.filter((f) => isArpRequest(f, '10.10.2.9')).length).toBeGreaterThanOrEqual(2);
    expect(cni0.filter((f) => isArpReplyFrom(f, '10.10.2.9')).length).toBe(0);
  });

  it('node2 gives up after 3 s: host unreachable, rewritten by node1 to come from the ClusterIP', () => {
    expect(lab.topo.expected.icmp_errors).toMatchObject([{ from: '10.10.2.0', to: '10.10.1.5', type: 3, code: 1, count: 3 }]);
    checkIcmpErrors(lab);
  });
});

describe('fault clock-skew: node2 captures shifted after capture', () => {
  const lab = useLab(['--mode', 'vxlan', '--fault', 'clock-skew', '--count', '4', '--keep-unshifted']);

  it('records the shift, exact to the nanosecond', () => {
    expect(lab.topo.clock_shift).toMatchObject({ node: 'node2', seconds: '-1.500000250', ns: -1500000250 });
    for (const c of lab.topo.captures) expect(c.clock_shifted).toBe(c.node === 'node2');
  });

  it('every node2 frame is moved by exactly the shift, node1 files are untouched', () => {
    const shifted = lab.topo.captures.filter((c) => c.clock_shifted);
    expect(shifted.length).toBe(5);
    expect(readdirSync(lab.file('unshifted')).sort()).toEqual(shifted.map((c) => c.file).sort());
    for (const c of shifted) {
      const now = readFrames(lab.file(c.file));
      const orig = readFrames(path.join(lab.dir, 'unshifted', c.file));
      expect(now.length).toBe(orig.length);
      now.forEach((fr, i) => expect(fr.ts - orig[i].ts).toBe(-1500000250n));
    }
  });

  it('node2 appears to receive the request 1.5 s before node1 sent it; corrected, the path is in order', () => {
    const [h1, h2] = lab.topo.expected.hops.filter((h) => h.role === 'underlay');
    const t1 = lab.probeAt(h1)[0].ts;
    const t2 = lab.probeAt(h2)[0].ts;
    const d = t2 - t1 + 1500000250n; // one-way delay on the reference clock
    expect(t2 < t1).toBe(true);
    expect(d >= 0n && d < 50_000_000n, `delay ${d} ns`).toBe(true);
    checkProbePath(lab); // uses the recorded shift to undo it
  });
});
