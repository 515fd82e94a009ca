/**
 * `vxdecode trace` as scripts see it: the JSON contract (docs/trace.md), the filters, the text
 * layout, GSO super-packets, and an SLL2 `-i any` capture named with --links.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runTrace, type TraceArgs } from '../../src/cli/trace.js';
import { Output } from '../../src/cli/output.js';
import { scenario, traceScenario, type Scenario } from './lab.js';
import { vxdecode } from '../support/cli.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
async function run(s: Scenario, extra: Partial<TraceArgs> = {}): Promise<{ status: number; text: string; err: string[] }> {
  let text = '';
  const sink = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  });
  const err: string[] = [];
  const status = await runTrace(
    { files: s.files, links: s.links, decode: { vxlanPorts: [], heuristics: true }, ...extra } as TraceArgs,
    new Output(sink),
    (l) => err.push(l),
  );
  return { status, text, err };
}

const ping = scenario('vxlan-ping');
const dnat = scenario('vxlan-dnat-tcp');
const any = scenario('vxlan-any');
const drop = scenario('vxlan-forward-drop');

describe.runIf(ping)('trace --json', () => {
  it('prints one object per packet with the documented keys, then one summary object', async () => {
    const { status, text } = await run(ping!, { json: true });
    expect(status).toBe(0);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    const last = lines.pop();
    expect(Object.keys(last)).toEqual(['summary', 'latency', 'skew']);
    expect(last.summary.packets).toBe(lines.length);
    expect(last.summary.delivered + last.summary.lost + last.summary.incomplete).toBe(lines.length);
    for (const p of lines) {
      for (const k of ['packet', 'summary', 'ts', 'flow', 'ip_id', 'ip_len', 'sender', 'receiver', 'duration_ns', 'hops', 'verdict']) expect(p).toHaveProperty(k);
      expect(p.ts).toMatch(/^\d+\.\d{9}$/);
      expect(Object.keys(p.flow)).toEqual(['proto', 'src', 'dst', 'sport', 'dport']);
      let since = 0;
      for (const h of p.hops) {
        for (const k of ['node', 'iface', 'role', 'ts', 'delta_ns', 'since_first_ns', 'file', 'frame', 'mac_src', 'mac_dst', 'ttl', 'src', 'dst', 'ip_len', 'changes'])
          expect(h).toHaveProperty(k);
        expect(Number.isInteger(h.delta_ns)).toBe(true);
        since += h.delta_ns;
        expect(h.since_first_ns).toBe(since);
        for (const c of h.changes) expect(typeof c.type).toBe('string');
      }
      expect(['delivered', 'lost', 'incomplete']).toContain(p.verdict.status);
    }
    const req = lines.find((p) => p.icmp?.type === 8)!;
    const enc = req.hops.find((h: any) => h.encap);
    expect(enc.encap).toMatchObject({ type: 'vxlan', vni: ping!.topo.vni, outer_dport: ping!.topo.port });
    expect(enc.changes.find((c: any) => c.type === 'encap')).toMatchObject({ tunnel: 'vxlan', vni: ping!.topo.vni, outer_src: '192.168.2.16' });
    const routed = req.hops.find((h: any) => h.changes.some((c: any) => c.type === 'routed'));
    expect(routed.changes.find((c: any) => c.type === 'mac').src).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  });

  it('filters by flow, packet number and verdict', async () => {
    const all = (await run(ping!, { json: true })).text.trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.hops);
    const req = (await run(ping!, { json: true, flow: ['icmp 10.10.1.5>10.10.2.6'] })).text.trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.hops);
    expect(req.length).toBe(ping!.topo.probe.count);
    expect(req.every((p) => p.flow.src === '10.10.1.5')).toBe(true);
    const one = (await run(ping!, { json: true, packet: ['2'] })).text.trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.hops);
    expect(one.map((p) => p.packet)).toEqual([2]);
    expect(one[0]).toEqual(all.find((p) => p.packet === 2));
    const lost = (await run(ping!, { json: true, verdict: ['lost'] })).text.trim().split('\n').map((l) => JSON.parse(l)).filter((p) => p.hops);
    expect(lost).toEqual([]);
  });
});

describe.runIf(drop)('trace text', () => {
  it('names the verdict and where a lost packet stopped, then the flows and the hop latency', async () => {
    const { text } = await run(drop!);
    expect(text).toMatch(/^packet \d+ {2}ICMP echo request 10\.10\.1\.5 > 10\.10\.2\.6 id \d+ seq 1 \(84 B\) {2}LOST after node2 flannel\.1$/m);
    expect(text).toMatch(/^ {2}→ lost: seen up to node2 flannel\.1, never on node2 cni0 \(captured\)$/m);
    expect(text).toMatch(/^ {2}ICMP 10\.10\.1\.5 > 10\.10\.2\.6: 4 packets, 0 delivered, 4 lost \(4 after node2 flannel\.1\)$/m);
    expect(text).toMatch(/^hop latency/m);
  });
});

describe.runIf(dnat)('GSO super-packets', () => {
  it('are traced as one packet across every hop and flagged as offload', async () => {
    const r = await traceScenario(dnat!);
    const gso = r.traces.filter((t) => t.hops.some((h) => h.gso));
    expect(gso.length).toBeGreaterThan(0);
    for (const t of gso) {
      expect(t.verdict.status).toBe('delivered');
      expect(t.hops.length).toBe(dnat!.topo.expected.hops.length);
      // bigger than every MTU on the path: offload, not fragmentation
      expect(t.hops[0].obs.ipLen).toBeGreaterThan(1500);
      expect(t.hops.some((h) => h.changes.some((c) => c.type === 'fragmented'))).toBe(false);
    }
  });
});

describe.runIf(any)('tcpdump -i any (SLL2)', () => {
  it('names interfaces from --links and has no destination MACs outside tunnels', async () => {
    const r = await traceScenario(any!);
    const names = new Set(r.traces.flatMap((t) => t.hops.map((h) => `${h.iface.node} ${h.iface.name}`)));
    expect(names).toContain('node1 flannel.1');
    expect(names).toContain('node2 cni0');
    expect([...names].some((n) => /ifindex/.test(n))).toBe(false);
    // SLL2 records the sender's address only (a tunnelled frame still has its inner Ethernet header)
    const sll = r.traces.flatMap((t) => t.hops).filter((h) => h.iface.any && h.obs.enc === 0);
    expect(sll.length).toBeGreaterThan(0);
    expect(sll.every((h) => h.obs.macDst === -1 && h.obs.macSrc >= 0)).toBe(true);
  });
});

const skewed = scenario('vxlan-clock-skew');

describe('trace with the reader thread (its clock-skew prescan, sightings as columns)', () => {
  afterEach(() => {
    delete process.env.VXDECODE_READER_THREAD;
  });
  const both = async (s: Scenario, extra: Partial<TraceArgs>): Promise<[string, string]> => {
    process.env.VXDECODE_READER_THREAD = '0';
    const here = await run(s, extra);
    process.env.VXDECODE_READER_THREAD = '1';
    const there = await run(s, extra);
    expect(there.status).toBe(here.status);
    expect(there.err).toEqual(here.err);
    return [here.text, there.text];
  };
  it.each([ping, drop, skewed].filter((s) => s !== undefined).map((s) => [s!.name, s!] as const))(
    '%s: the same text, the clock line first, as reading here',
    async (_n, s) => {
      for (const extra of [{}, { quiet: true }, { json: true }, { verdict: ['delivered'] }] as Partial<TraceArgs>[]) {
        const [here, there] = await both(s, extra);
        expect(there).toBe(here);
        if (!extra.json) expect(there.split('\n')[0]).toMatch(/^# clock: /);
      }
    },
  );
});

describe('the vxdecode command, with its reader thread started while the command line loads', () => {
  afterEach(() => {
    delete process.env.VXDECODE_READER_THREAD;
  });
  it.each([ping, skewed].filter((s) => s !== undefined).map((s) => [s!.name, s!] as const))('%s: trace and analyze print the same as without the thread', (_n, s) => {
    for (const cmd of [['trace'], ['trace', '--json'], ['analyze']]) {
      const args = [...cmd, ...s.links.flatMap((l) => ['--links', l]), ...s.files];
      process.env.VXDECODE_READER_THREAD = '0';
      const here = vxdecode(args);
      process.env.VXDECODE_READER_THREAD = '1';
      const there = vxdecode(args);
      expect(here.stdout.length).toBeGreaterThan(0);
      expect(there.stdout).toBe(here.stdout);
      expect(there.stderr).toBe(here.stderr);
      expect(there.status).toBe(here.status);
    }
  });
});
