// flannel host-gw: no tunnel; the node is the next hop, so only MACs and TTL change.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProbePath, checkReplyPath } from './checks.js';
import { ip, isEchoRequest, isVxlan, readFrames, useLab } from './lab.js';

describe('host-gw ping', () => {
  const lab = useLab(['--mode', 'host-gw', '--traffic', 'ping', '--count', '4']);

  it('has no VXLAN device, no tunnel and routes via the other node', () => {
    const t = lab.topo;
    expect(t).toMatchObject({ mode: 'host-gw', vxlan: null, vni: null, port: null });
    for (const n of t.nodes) expect(n.vtep).toBeNull();
    expect(t.captures.some((c) => c.iface === 'flannel.1')).toBe(false);
    expect(t.pods.every((p) => p.mtu === 1500)).toBe(true);
    expect(readFileSync(lab.file('node1.state.txt'), 'utf8')).toContain('10.10.2.0/24 via 192.168.2.15 dev eth0');
    expect(readFileSync(lab.file('node1.state.txt'), 'utf8')).not.toContain('vxlan id');
  });

  it('the echo request crosses eight interfaces, TTL 64 -> 63 -> 62', () => {
    expect(lab.topo.expected.hops.map((h) => `${h.node}/${h.role}/${h.ttl}`)).toEqual([
      'node1/pod/64', 'node1/veth/64', 'node1/bridge/64', 'node1/underlay/63',
      'node2/underlay/63', 'node2/bridge/62', 'node2/veth/62', 'node2/pod/62']);
    checkProbePath(lab);
    checkReplyPath(lab);
  });

  it('nothing is encapsulated anywhere; the underlay carries the pod addresses themselves', () => {
    for (const c of lab.topo.captures) {
      for (const f of readFrames(lab.file(c.file))) {
        expect(isVxlan(f), c.file).toBe(false);
        expect(f.f['udp.dstport'].includes('8472')).toBe(false);
        expect(f.f['ip.src'].length <= 1).toBe(true);
      }
    }
    const under = lab.framesOn('node1', 'eth0').filter(isEchoRequest);
    expect(under.length).toBe(4);
    expect(ip(under[0], 'src')).toBe('10.10.1.5');
    expect(ip(under[0], 'dst')).toBe('10.10.2.6');
    // routed hop: the MACs on the underlay are the nodes' own
    expect(under[0].f['eth.src'][0]).toBe(lab.topo.nodes[0].underlay.mac);
    expect(under[0].f['eth.dst'][0]).toBe(lab.topo.nodes[1].underlay.mac);
  });
});

describe('host-gw forward-drop', () => {
  const lab = useLab(['--mode', 'host-gw', '--fault', 'forward-drop', '--count', '3']);

  it('the request reaches node2 eth0 but not node2 cni0', () => {
    expect(lab.topo.expected.stops_after).toEqual({ node: 'node2', iface: 'eth0' });
    checkProbePath(lab);
    expect(lab.framesOn('node2', 'eth0').filter(isEchoRequest).length).toBe(3);
    expect(lab.framesOn('node2', 'cni0').filter(isEchoRequest).length).toBe(0);
  });
});
