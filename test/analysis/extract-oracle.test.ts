/**
 * The trace's fast extractor against the project's decoders (which are checked against tshark):
 * every frame of every lab capture, the fields correlation and the findings rely on.
 */
import { describe, expect, it } from 'vitest';
import { Input, SourceRegistry, parseInputArg, InterfaceNames } from '../../src/capture/input.js';
import type { Frame } from '../../src/capture/frame.js';
import { dissect, findLastLayer, findLayer, tunnelSplit } from '../../src/decoders/index.js';
import { ipText, macText } from '../../src/analysis/addr.js';
import { extract, Ports, ENC_NONE, ENC_VXLAN } from '../../src/analysis/extract.js';
import { scenarios } from './lab.js';

async function framesOf(files: string[], links: string[]): Promise<Frame[]> {
  const registry = new SourceRegistry();
  const names = new InterfaceNames();
  for (const l of links) names.addLinksFile(l);
  const out: Frame[] = [];
  for (const f of files) {
    const input = new Input(parseInputArg(f), { registry, names });
    for await (const b of input.batches()) out.push(...b);
  }
  return out;
}

describe.each(scenarios().map((s) => [s.name, s] as const))('%s', (_n, s) => {
  it('extracts what the decoders decode, frame by frame', async () => {
    const vx = s.topo.vxlan?.port;
    const vxlanPorts = vx && vx !== 4789 && vx !== 8472 ? [vx] : [];
    const ports = new Ports({ vxlanPorts });
    const opts = { vxlanPorts };
    let checked = 0;
    for (const f of await framesOf(s.files, s.links)) {
      const x = extract(f, ports);
      const p = dissect(f, opts);
      const { outer, inner } = tunnelSplit(p);
      const ip = findLastLayer(p.layers, 'ipv4');
      const arp = findLastLayer(p.layers, 'arp');
      if (!x) {
        // nothing traced: then neither IPv4 nor ARP at the innermost level
        expect(inner.some((l) => l.layer === 'ipv4' || l.layer === 'arp'), `frame ${f.number} of ${f.source.file}`).toBe(false);
        continue;
      }
      checked++;
      const where = `${f.source.file} frame ${f.number}`;
      if (x.kind === 2) {
        expect(arp, where).toBeDefined();
        expect(ipText(x.spa), where).toBe(arp!.sender_proto);
        expect(ipText(x.tpa), where).toBe(arp!.target_proto);
        expect(macText(x.sha), where).toBe(arp!.sender_hw);
        continue;
      }
      expect(ip, where).toBeDefined();
      expect(ipText(x.src), where).toBe(ip!.src);
      expect(ipText(x.dst), where).toBe(ip!.dst);
      expect(x.id, where).toBe(ip!.id);
      expect(x.ttl, where).toBe(ip!.ttl);
      expect(x.proto, where).toBe(ip!.protocol);
      expect(x.frag, where).toBe(ip!.frag_offset);
      expect(x.mf, where).toBe(ip!.mf);
      const vxl = findLayer(outer, 'vxlan');
      expect(x.enc !== ENC_NONE, where).toBe(outer.length > 0);
      if (vxl) {
        expect(x.enc).toBe(ENC_VXLAN);
        expect(x.vni, where).toBe(vxl.vni);
        const oip = findLayer(outer, 'ipv4')!;
        expect(ipText(x.oSrc), where).toBe(oip.src);
        expect(ipText(x.oDst), where).toBe(oip.dst);
        expect(x.oId, where).toBe(oip.id);
      }
      const tcp = findLastLayer(inner, 'tcp');
      if (tcp) {
        expect(x.sport, where).toBe(tcp.src_port);
        expect(x.dport, where).toBe(tcp.dst_port);
        expect(x.seq, where).toBe(tcp.seq);
        expect(x.ack, where).toBe(tcp.ack);
        expect(x.flags & 0xff, where).toBe(tcp.flags_value & 0xff);
        expect(x.l4len, where).toBe(tcp.payload_length);
      }
      const udp = findLastLayer(inner, 'udp');
      if (udp) {
        expect(x.sport, where).toBe(udp.src_port);
        expect(x.udpLen, where).toBe(udp.length);
      }
      const icmp = findLastLayer(inner, 'icmp');
      if (icmp) {
        expect(x.icmpType, where).toBe(icmp.type);
        expect(x.icmpCode, where).toBe(icmp.code);
        if (icmp.id !== undefined) {
          expect(x.icmpId, where).toBe(icmp.id);
          expect(x.icmpSeq, where).toBe(icmp.seq);
        }
        if (icmp.type === 3 && icmp.code === 4) expect(x.icmpMtu, where).toBe(icmp.mtu);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
