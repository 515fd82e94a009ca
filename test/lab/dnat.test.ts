// kube-proxy: a pod talks to a ClusterIP; node1 DNATs it to a pod on node2.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProbePath, checkReplyPath } from './checks.js';
import { ip, isSyn, isSynAck, useLab } from './lab.js';

describe('TCP to a ClusterIP (kube-proxy DNAT), VXLAN', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'tcp', '--to', 'service', '--bytes', '32768']);

  it('installs kube-proxy style chains on the nodes', () => {
    const state = readFileSync(lab.file('node1.state.txt'), 'utf8');
    expect(state).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(state).toContain('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(state).toMatch(/-A KUBE-SERVICES -d 10\.96\.0\.10\/32 -p tcp .*--dport 80 -j KUBE-SVC-/);
    expect(state).toMatch(/-A KUBE-SEP-\S+ -p tcp .*-j DNAT --to-destination 10\.10\.2\.6:8080/);
    expect(lab.topo.service).toMatchObject({ cluster_ip: '10.96.0.10', port: 80, endpoint: { pod: 'pod2', ip: '10.10.2.6', port: 8080 }, endpoint_exists: true });
  });

  it('the SYN leaves the pod for 10.96.0.10:80 and arrives at 10.10.2.6:8080, same source and sequence', () => {
    checkProbePath(lab);
    const sent = lab.framesOn('node1', 'pod1.eth0').filter(isSyn);
    const got = lab.framesOn('node2', 'pod2.eth0').filter(isSyn);
    expect(sent.length).toBe(1);
    expect(got.length).toBe(1);
    expect([ip(sent[0], 'dst'), sent[0].f['tcp.dstport'][0]]).toEqual(['10.96.0.10', '80']);
    expect([ip(got[0], 'dst'), got[0].f['tcp.dstport'][0]]).toEqual(['10.10.2.6', '8080']);
    expect(got[0].f['tcp.srcport'][0]).toBe(sent[0].f['tcp.srcport'][0]);
    expect(got[0].f['tcp.seq_raw'][0]).toBe(sent[0].f['tcp.seq_raw'][0]);
  });

  it('the pod only ever sees the ClusterIP; the reply is un-DNATed on node1', () => {
    const pod1 = lab.framesOn('node1', 'pod1.eth0').filter((f) => f.f['tcp.flags'].length > 0);
    for (const f of pod1) expect([ip(f, 'src'), ip(f, 'dst')]).toContain('10.96.0.10');
    const synack = pod1.filter(isSynAck);
    expect(synack.length).toBe(1);
    expect([ip(synack[0], 'src'), synack[0].f['tcp.srcport'][0]]).toEqual(['10.96.0.10', '80']);
    checkReplyPath(lab);
  });

  it('all the bytes arrive at the endpoint', () => {
    const pod2 = lab.framesOn('node2', 'pod2.eth0').filter((f) => ip(f, 'dst') === '10.10.2.6');
    const bytes = pod2.reduce((n, f) => n + Number(f.f['tcp.len'][0] ?? 0), 0);
    expect(bytes).toBe(32768);
  });
});
