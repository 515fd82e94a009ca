/**
 * Clock skew: the lab's clock-skew scenario (node2's captures shifted with editcap) is detected
 * within ±50 µs and corrected so that every probe is in path order again; shifting a healthy
 * capture in memory by other offsets gives the same; the estimator itself on synthetic classes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { Input, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { TraceEngine } from '../../src/analysis/engine.js';
import { ENC_NONE, extract, Ports } from '../../src/analysis/extract.js';
import { roleFromName } from '../../src/analysis/roles.js';
import { SkewCollector, estimatePair, parseSkewSpec, significant } from '../../src/analysis/skew.js';
import type { Trace } from '../../src/analysis/timeline.js';
import { hopNames, scenario, traceFiles, traceScenario } from './lab.js';
import { oneWay as oneWayFrames } from '../support/one-way.js';

const skewLab = scenario('vxlan-clock-skew');
const ping = scenario('vxlan-ping');

function expectedNames(s: NonNullable<typeof skewLab>): string[] {
  return s.topo.expected.hops.map((h: { node: string; iface: string }) => `${h.node} ${h.iface}`);
}

function probes(traces: Trace[], s: NonNullable<typeof skewLab>): Trace[] {
  return traces.filter((t) => t.hops[0].obs.icmpType === 8 && t.hops[0].obs.ipLen === s.topo.probe.ip_len);
}

describe.runIf(skewLab)('the lab clock-skew capture', () => {
  const s = skewLab!;
  const shift: number = s.topo.clock_shift.ns;

  it('estimates node2 within ±50 µs of the shift the lab applied, and corrects it', async () => {
    const r = await traceScenario(s);
    const e = r.result.skew.find((x) => x.node === 'node2')!;
    expect(e.reference).toBe('node1');
    expect(e.method).toBe('measured');
    expect(Math.abs(e.offset_ns - shift)).toBeLessThanOrEqual(50_000);
    expect(e.uncertainty_ns).not.toBeNull();
    expect(e.uncertainty_ns!).toBeLessThan(50_000);
    expect(e.samples_from_ref).toBeGreaterThan(0);
    expect(e.samples_to_ref).toBeGreaterThan(0);
    expect(e.applied_ns).toBe(e.offset_ns);
    const ps = probes(r.traces, s);
    expect(ps).toHaveLength(s.topo.probe.count);
    for (const t of ps) {
      expect(hopNames(t)).toEqual(expectedNames(s));
      expect(t.verdict.status).toBe('delivered');
      // corrected: the crossing between the nodes takes a plausible, positive time
      const cross = t.hops.findIndex((h) => h.iface.node === 'node2');
      expect(t.hops[cross].deltaNs).toBeGreaterThanOrEqual(0);
      expect(t.hops[cross].deltaNs).toBeLessThan(1e6);
    }
  });

  it('without correction the timelines fall apart (the test can fail)', async () => {
    const r = await traceScenario(s, { skew: { mode: 'off' } });
    const ok = probes(r.traces, s).filter((t) => hopNames(t).join() === expectedNames(s).join() && t.verdict.status === 'delivered');
    expect(ok).toHaveLength(0);
  });

  it('a given --skew corrects it the same way', async () => {
    const r = await traceScenario(s, { skew: { mode: 'given', offsets: parseSkewSpec(`node2=${shift}ns`) } });
    for (const t of probes(r.traces, s)) expect(hopNames(t)).toEqual(expectedNames(s));
  });

  it.runIf(existsSync(join(s.dir, 'unshifted')))('corrected deltas agree with the unshifted captures', async () => {
    const unshifted = s.files.map((f) => (f.includes('/node2-') ? f.replace(/\/(node2-[^/]+)$/, '/unshifted/$1') : f));
    const a = await traceScenario(s);
    const b = await traceFiles(unshifted, { skew: { mode: 'off' } });
    const pa = probes(a.traces, s);
    const pb = probes(b.traces, s);
    expect(pa.length).toBe(pb.length);
    const e = a.result.skew.find((x) => x.node === 'node2')!;
    for (let i = 0; i < pa.length; i++) {
      expect(hopNames(pa[i])).toEqual(hopNames(pb[i]));
      for (let k = 0; k < pa[i].hops.length; k++) {
        expect(Math.abs(pa[i].hops[k].sinceFirstNs - pb[i].hops[k].sinceFirstNs)).toBeLessThanOrEqual((e.uncertainty_ns ?? 0) + 1000);
      }
    }
  });
});

/** Every frame of the given files through one registry, node2's shifted by `shift` ns, merged by time. */
async function shiftedFrames(files: string[], node: string, shift: number): Promise<Frame[]> {
  const registry = new SourceRegistry();
  const frames: Frame[] = [];
  for (const f of files) {
    const input = new Input(parseInputArg(f), { registry });
    for await (const batch of input.batches()) {
      for (const fr of batch) {
        if (fr.source.node !== node) frames.push(fr);
        else {
          const ns = fr.tsSec * 1e9 + fr.tsNsec + shift;
          const sec = Math.floor(ns / 1e9);
          frames.push({ ...fr, bytes: fr.bytes, source: fr.source, tsSec: sec, tsNsec: Math.round(ns - sec * 1e9) });
        }
      }
    }
  }
  return frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
}

describe.runIf(ping)('a healthy capture shifted in memory', () => {
  const s = ping!;
  const ports = new Ports();
  it.each([2_750_000, -300_000, 800_000_000, -7_000_000_123, 40_000])('detects a shift of %i ns and puts every hop back in path order', async (shift) => {
    const frames = await shiftedFrames(s.files, 'node2', shift);
    const c = new SkewCollector();
    const base = frames[0].tsSec;
    for (const f of frames) {
      c.noteNode(f.source.node);
      const r = roleFromName(f.source.iface);
      if (r !== undefined && r !== 'underlay') continue;
      const x = extract(f, ports);
      if (x?.kind === 1 && (x.enc !== ENC_NONE || r === 'underlay')) c.add(x, (f.tsSec - base) * 1e9 + f.tsNsec);
    }
    const est = c.estimate(['node1', 'node2']);
    const e = est.find((x) => x.node === 'node2')!;
    expect(e.method).toBe('measured');
    expect(Math.abs(e.offset_ns - shift)).toBeLessThanOrEqual(50_000);
    expect(significant(e)).toBe(true);
    const traces: Trace[] = [];
    const engine = new TraceEngine({ offsets: new Map([['node2', e.offset_ns]]), onTrace: (t) => traces.push(t) });
    for (const f of frames) {
      engine.push(f);
      engine.endBatch();
    }
    engine.finish();
    const ps = probes(traces, s);
    expect(ps).toHaveLength(s.topo.probe.count);
    for (const t of ps) expect(hopNames(t)).toEqual(expectedNames(s));
  });
});

describe('the estimator', () => {
  const L = (text: string, min: number, max: number, n = 10, dir = 0) => ({ text, min, max, n, dir });

  it('takes the middle of [max(B→A), min(A→B)] and finds which class is which', () => {
    // θ = +1000: A→B differences ≥ 1000 + 300, B→A ≤ 1000 − 500
    const e = estimatePair('a', 'b', [L('ip 1', 1300, 5000), L('ip 2', -9000, 500)])!;
    expect(e.method).toBe('measured');
    expect(e.theta).toBe(900);
    expect(e.unc).toBe(400);
    expect(e.ab).toBe(10);
    expect(e.ba).toBe(10);
    // the same classes given the other way round
    const f = estimatePair('a', 'b', [L('ip 2', -9000, 500), L('ip 1', 1300, 5000)])!;
    expect(f.theta).toBe(900);
  });

  it('uses the direction `-i any` records', () => {
    const e = estimatePair('a', 'b', [L('x', 1300, 5000, 5, 5), L('y', -9000, 500, 5, -5)])!;
    expect(e.theta).toBe(900);
  });

  it('gives only a bound when one direction was seen', () => {
    const e = estimatePair('a', 'b', [L('x', 1300, 5000)])!;
    expect(e.method).toBe('one-way');
    expect(e.unc).toBeNull();
  });

  it('parses --skew offsets with units', () => {
    expect([...parseSkewSpec('node2=+2.75ms,node3=-1.500000250,node4=300us,node5=12ns')]).toEqual([
      ['node2', 2_750_000],
      ['node3', -1_500_000_250],
      ['node4', 300_000],
      ['node5', 12],
    ]);
    expect(() => parseSkewSpec('node2')).toThrow();
  });
});

describe.runIf(ping)('stopping a prescan on one-way traffic', () => {
  const s = ping!;
  const ports = new Ports();

  const oneWay = (n: number): ReturnType<typeof oneWayFrames> => oneWayFrames(s.files, n);

  it('stops once the one class\'s bounds have not moved for 10 000 samples, with the same estimate', async () => {
    const pkts = await oneWay(40_000);
    const c = new SkewCollector();
    let stoppedAt = -1;
    for (let i = 0; i < pkts.length; i++) {
      for (const f of [pkts[i].a, pkts[i].b]) c.add(extract(f, ports)!, (f.tsSec - 1_000_000) * 1e9 + f.tsNsec);
      if (stoppedAt < 0 && c.enough()) stoppedAt = i;
    }
    // the max moves until late (the delays cycle), so "steady" needs the max to settle too
    expect(c.samples).toBe(pkts.length);
    expect(stoppedAt).toBeGreaterThanOrEqual(20_000 - 1);
    expect(stoppedAt).toBeLessThan(pkts.length - 1);
    const e = c.estimate(['node1', 'node2']).find((x) => x.node === 'node2')!;
    expect(e.method).toBe('one-way');
    expect(e.offset_ns).toBe(40_000);
  });

  it('does not stop while the bounds keep moving', async () => {
    const pkts = await oneWay(25_000);
    const c = new SkewCollector();
    // delays that shrink with every packet: the min moves every time
    for (let i = 0; i < pkts.length; i++) {
      const { a, b } = pkts[i];
      const late = { ...b, tsNsec: a.tsNsec + 1_000_000 - i * 10, tsSec: a.tsSec };
      c.add(extract(a, ports)!, (a.tsSec - 1_000_000) * 1e9 + a.tsNsec);
      c.add(extract(late, ports)!, (late.tsSec - 1_000_000) * 1e9 + late.tsNsec);
      expect(c.enough()).toBe(false);
    }
  });
});
