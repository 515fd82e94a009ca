// Capture styles: one pcapng per node (dumpcap -i a -i b ...) and tcpdump -i any (SLL2 + links).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkProbePath } from './checks.js';
import { pcapLinkType, pcapPrecision, readFrames, useLab } from './lab.js';

describe('dumpcap: one pcapng per node with all its interfaces', () => {
  const lab = useLab(['--mode', 'vxlan', '--style', 'pcapng', '--traffic', 'ping', '--count', '3']);

  it('writes node1.pcapng and node2.pcapng with one interface block per interface, nanosecond resolution', () => {
    const t = lab.topo;
    for (const node of ['node1', 'node2']) {
      const cap = t.captures.find((c) => c.file === `${node}.pcapng`)!;
      expect(cap).toMatchObject({ node, format: 'pcapng', style: 'pcapng', iface: null, ts_precision: 'nano' });
      const veth = t.pods.find((p) => p.node === node)!.host_veth;
      expect(cap.interfaces.map((i) => `${i.iface}:${i.role}`).sort()).toEqual(
        ['eth0:underlay', 'flannel.1:vtep', 'cni0:bridge', `${veth}:veth`].sort());
      const info = execFileSync('capinfos', ['-M', lab.file(cap.file)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const i of cap.interfaces) expect(info).toContain(`Name = ${i.iface}`);
      expect(info).toMatch(/Time precision = nanoseconds/);
      // pods are captured inside their namespace, one classic pcap each
      expect(t.captures.some((c) => c.file === `${node}-${t.pods.find((p) => p.node === node)!.name}.eth0.pcap`)).toBe(true);
    }
  });

  it('the echo request path reads the same from interface blocks', () => {
    checkProbePath(lab);
  });
});

describe('tcpdump -i any: Linux cooked SLL2 with interface indexes', () => {
  const lab = useLab(['--mode', 'vxlan', '--style', 'any', '--traffic', 'ping', '--count', '3']);

  it('writes NODE-any.pcap as LINUX_SLL2 and NODE.links.txt naming the indexes', () => {
    for (const node of ['node1', 'node2']) {
      const cap = lab.topo.captures.find((c) => c.file === `${node}-any.pcap`)!;
      expect(cap).toMatchObject({ node, iface: 'any', role: null, link_type: 'LINUX_SLL2', links: `${node}.links.txt` });
      expect(pcapLinkType(lab.file(cap.file))).toBe(276);
      expect(pcapPrecision(lab.file(cap.file))).toBe('nano');
      const links = readFileSync(lab.file(cap.links!), 'utf8');
      for (const i of cap.interfaces) {
        expect(i.ifindex, i.iface).toBeTypeOf('number');
        expect(links).toMatch(new RegExp(`^${i.ifindex}: ${i.iface.replace('.', '\\.')}[@:]`, 'm'));
      }
      const seen = new Set(readFrames(lab.file(cap.file)).map((f) => f.ifindex));
      for (const i of cap.interfaces) expect(seen.has(i.ifindex!), `${node} ifindex ${i.ifindex} (${i.iface})`).toBe(true);
    }
  });

  it('the echo request path reads the same from interface indexes', () => {
    checkProbePath(lab);
  });
});
