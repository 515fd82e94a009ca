// flannel VXLAN mode, no fault: the lab's captures must show the packet path of DESIGN.md §1.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProbePath, checkReplyPath } from './checks.js';
import { ip, isEchoRequest, isVxlan, lastOf, leftoverNamespaces, pcapPrecision, readFrames, useLab } from './lab.js';

const TEN = ['pod', 'veth', 'bridge', 'vtep', 'underlay', 'underlay', 'vtep', 'bridge', 'veth', 'pod'];

describe('vxlan ping (per-interface tcpdump, nanosecond)', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'ping', '--count', '4']);

  it('describes the topology it built', () => {
    const t = lab.topo;
    expect(t.schema).toBe('vxdecode-lab-topology/1');
    expect(t).toMatchObject({ mode: 'vxlan', vni: 1, port: 8472, fault: 'none', clock_shift: null });
    expect(t.vxlan).toMatchObject({ iface: 'flannel.1', vni: 1, port: 8472, mtu: 1450, learning: false });
    const [n1, n2] = t.nodes;
    expect(n1).toMatchObject({ name: 'node1', underlay: { iface: 'eth0', ip: '192.168.2.16' }, pod_subnet: '10.10.1.0/24' });
    expect(n2).toMatchObject({ name: 'node2', underlay: { iface: 'eth0', ip: '192.168.2.15' }, pod_subnet: '10.10.2.0/24' });
    expect(n1.vtep).toMatchObject({ iface: 'flannel.1', ip: '10.10.1.0', mtu: 1450 });
    expect(n1.bridge).toMatchObject({ iface: 'cni0', ip: '10.10.1.1' });
    for (const p of t.pods) {
      expect(p.host_veth).toMatch(/^veth[0-9a-f]{8}$/);
      expect(p.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(p.mtu).toBe(1450);
    }
    expect(t.captures.map((c) => c.file).sort()).toEqual([
      'node1-cni0.pcap', 'node1-eth0.pcap', 'node1-flannel.1.pcap', `node1-${t.pods[0].host_veth}.pcap`, 'node1-pod1.eth0.pcap',
      'node2-cni0.pcap', 'node2-eth0.pcap', 'node2-flannel.1.pcap', `node2-${t.pods[1].host_veth}.pcap`, 'node2-pod2.eth0.pcap',
    ].sort());
    // the naming contract: node = file name up to the first '-', iface = the rest minus extension
    for (const c of t.captures) {
      const base = c.file.replace(/\.pcap$/, '');
      expect(base.slice(0, base.indexOf('-'))).toBe(c.node);
      expect(base.slice(base.indexOf('-') + 1)).toBe(c.iface);
    }
    expect(t.expected.hops.map((h) => h.role)).toEqual(TEN);
  });

  it('programs flannel.1 the way flanneld does', () => {
    const state = readFileSync(lab.file('node1.state.txt'), 'utf8');
    const n2 = lab.topo.nodes[1];
    expect(state).toMatch(/vxlan id 1 local 192\.168\.2\.16 dev eth0 .*dstport 8472 nolearning/);
    expect(state).toContain(`10.10.2.0/24 via 10.10.2.0 dev flannel.1 onlink`);
    expect(state).toMatch(new RegExp(`10\\.10\\.2\\.0 dev flannel\\.1 lladdr ${n2.vtep!.mac} PERMANENT`));
    expect(state).toMatch(new RegExp(`${n2.vtep!.mac} dst 192\\.168\\.2\\.15 self permanent`));
  });

  it('the echo request appears on all ten interfaces, in order, with TTL and VXLAN as expected', () => {
    checkProbePath(lab);
  });

  it('all four echo requests and replies made it', () => {
    const pod1 = lab.framesOn('node1', 'pod1.eth0');
    expect(pod1.filter(isEchoRequest).length).toBe(4);
    expect(pod1.filter((f) => f.f['icmp.type'][0] === '0').length).toBe(4);
    checkReplyPath(lab);
  });

  it('ties: veth and cni0 share a timestamp, so do eth0 and flannel.1 after decapsulation', () => {
    const hops = lab.topo.expected.hops;
    const ts = hops.map((h) => lab.probeAt(h)[0].ts);
    expect(ts[1]).toBe(ts[2]); // node1 veth -> cni0 (same skb entering the bridge)
    expect(ts[5]).toBe(ts[6]); // node2 eth0 -> flannel.1 (decapsulated in the same softirq)
  });

  it('the underlay carries only VXLAN to port 8472 between the nodes, with hashed source ports', () => {
    const under = lab.framesOn('node1', 'eth0').filter((f) => f.f['ip.src'].length > 0);
    expect(under.length).toBeGreaterThan(0);
    for (const f of under) {
      expect(isVxlan(f)).toBe(true);
      expect(f.f['udp.dstport'][0]).toBe('8472');
      expect([f.f['ip.src'][0], f.f['ip.dst'][0]].sort()).toEqual(['192.168.2.15', '192.168.2.16']);
      expect(Number(f.f['udp.srcport'][0])).toBeGreaterThanOrEqual(1024);
    }
  });

  it('captures have nanosecond pcap timestamps', () => {
    for (const c of lab.topo.captures) {
      expect(pcapPrecision(lab.file(c.file)), c.file).toBe('nano');
      expect(c.ts_precision).toBe('nano');
    }
    expect(lab.topo.capture.ts).toBe('nano');
  });

  it('left no namespaces behind', () => {
    expect(leftoverNamespaces(lab.topo.run_id)).toEqual([]);
  });
});

describe('vxlan ping, microsecond timestamps', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'ping', '--count', '3', '--ts', 'micro']);

  it('writes microsecond pcaps and the path still reads right', () => {
    for (const c of lab.topo.captures) {
      expect(pcapPrecision(lab.file(c.file)), c.file).toBe('micro');
      for (const fr of readFrames(lab.file(c.file))) expect(fr.ts % 1000n).toBe(0n);
    }
    checkProbePath(lab);
  });
});

describe('vxlan with VNI 4242 on UDP port 4789', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'ping', '--count', '2', '--vni', '4242', '--port', '4789']);

  it('encapsulates with the configured VNI and port, never 8472', () => {
    expect(lab.topo).toMatchObject({ vni: 4242, port: 4789 });
    checkProbePath(lab);
    for (const node of ['node1', 'node2']) {
      const udp = lab.framesOn(node, 'eth0').filter((f) => f.f['udp.dstport'].length > 0);
      expect(udp.length).toBeGreaterThan(0);
      for (const f of udp) {
        expect(f.f['udp.dstport'][0]).toBe('4789');
        expect(f.f['vxlan.vni'][0]).toBe('4242');
      }
    }
  });
});

describe('vxlan UDP load (iperf3 -u)', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'udp']);

  it('every datagram is seen on all ten interfaces, in order', () => {
    expect(lab.topo.probe).toMatchObject({ proto: 'udp', dport: 5201 });
    checkProbePath(lab);
    const data = lab.framesOn('node2', 'pod2.eth0').filter(
      (f) => lab.looksLikeProbe(f) && lastOf(f, 'udp.length') === '1008');
    expect(data.length).toBe(20);
  });
});

describe('vxlan, several pods, concurrent flows', () => {
  const lab = useLab(['--mode', 'vxlan', '--traffic', 'multi', '--count', '4', '--bytes', '16384']);

  it('has two pods per node, each with its own veth and capture', () => {
    const t = lab.topo;
    expect(t.pods.map((p) => `${p.name}@${p.node}:${p.ip}`)).toEqual([
      'pod1@node1:10.10.1.5', 'pod2@node2:10.10.2.6', 'pod3@node1:10.10.1.6', 'pod4@node2:10.10.2.7']);
    expect(t.captures.length).toBe(14);
    expect(t.traffic.flows.length).toBe(4);
  });

  it('the pod1 -> pod2 echo request takes the ten-hop path', () => {
    checkProbePath(lab);
  });

  it('each flow shows up on its own pods and veths, and the flows overlap in time', () => {
    const t = lab.topo;
    const podIp = Object.fromEntries(t.pods.map((p) => [p.name, p.ip]));
    const spans: [bigint, bigint][] = [];
    const pingEnds: bigint[] = [];
    for (const flow of t.traffic.flows as { kind: string; from: string; to: string; proto: string }[]) {
      const from = t.pods.find((p) => p.name === flow.from)!;
      const to = t.pods.find((p) => p.name === flow.to)!;
      const match = (f: ReturnType<typeof readFrames>[number]) =>
        ip(f, 'src') === podIp[flow.from] && ip(f, 'dst') === podIp[flow.to] &&
        (flow.proto === 'icmp' ? isEchoRequest(f) : flow.proto === 'tcp' ? f.f['tcp.flags'].length > 0 : f.f['udp.dstport'].length > 0);
      const src = lab.framesOn(from.node, `${from.name}.eth0`).filter(match);
      const veth = lab.framesOn(from.node, from.host_veth).filter(match);
      const dst = lab.framesOn(to.node, `${to.name}.eth0`).filter(match);
      expect(src.length, `${flow.kind} ${flow.from}->${flow.to} at the source pod`).toBeGreaterThan(0);
      expect(veth.length, `${flow.kind} ${flow.from}->${flow.to} on the source veth`).toBeGreaterThan(0);
      expect(dst.length, `${flow.kind} ${flow.from}->${flow.to} at the destination pod`).toBeGreaterThan(0);
      // never on the other pod of the source node
      const other = t.pods.find((p) => p.node === from.node && p.name !== from.name)!;
      expect(lab.framesOn(other.node, `${other.name}.eth0`).filter(match).length).toBe(0);
      spans.push([src[0].ts, src[src.length - 1].ts]);
      if (flow.proto === 'icmp') pingEnds.push(src[src.length - 1].ts);
    }
    // the TCP and UDP flows start while both ping flows (600 ms each) are still running
    const latestStart = spans.reduce((m, s) => (s[0] > m ? s[0] : m), 0n);
    const firstPingEnd = pingEnds.reduce((m, e) => (e < m ? e : m));
    expect(latestStart < firstPingEnd, 'the four flows run at the same time').toBe(true);
  });
});
