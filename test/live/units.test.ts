// The pieces of live capture that need no root: the live merge (never blocked by a quiet input,
// strict order otherwise, ends on abort), the tick generator, timestamp shifting, the trace
// writer's order and comments, and the classification of libpcap's errors.
import { describe, expect, it } from 'vitest';
import { mergeBatchesLive, ticking } from '../../src/capture/live-merge.js';
import { classifyOpenError, linkTypeOf } from '../../src/capture/live.js';
import type { Frame, Source } from '../../src/capture/frame.js';
import { shiftTs, hopComment } from '../../src/cli/write.js';
import { summaryLines } from '../../src/cli/signals.js';

function source(id: number, node = 'n', iface = `if${id}`): Source {
  return { file: 'x', node, iface, ifId: id, section: 0, linkType: 1, fcsLength: 0, snaplen: 65535, tsUnitsPerSec: 1e9, id };
}

function frame(s: Source, number: number, sec: number, nsec = 0): Frame {
  return { source: s, number, tsSec: sec, tsNsec: nsec, caplen: 1, len: 1, bytes: new Uint8Array(1), offset: 0 };
}

/** A source driven by the test: push batches, end it, or leave it silent. */
class Feed implements AsyncIterable<Frame[]> {
  private queue: (Frame[] | null)[] = [];
  private wake: (() => void) | undefined;
  push(b: Frame[] | null): void {
    this.queue.push(b);
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Frame[]> {
    for (;;) {
      while (!this.queue.length) await new Promise<void>((r) => (this.wake = r));
      const b = this.queue.shift()!;
      if (b === null) return;
      yield b;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function collect(it: AsyncGenerator<Frame[]>, out: Frame[], times: number[], t0: number): Promise<void> {
  for await (const b of it) for (const f of b) {
    out.push(f);
    times.push(performance.now() - t0);
  }
}

describe('live merge', () => {
  it('keeps strict timestamp order while every input delivers', async () => {
    const a = new Feed();
    const b = new Feed();
    const sa = source(0);
    const sb = source(1);
    const out: Frame[] = [];
    const done = collect(mergeBatchesLive([a, b], { holdMs: 5000 }), out, [], performance.now());
    a.push([frame(sa, 1, 10), frame(sa, 2, 13)]);
    b.push([frame(sb, 1, 11), frame(sb, 2, 12)]);
    a.push([frame(sa, 3, 14)]);
    b.push([frame(sb, 3, 14)]);
    a.push(null);
    b.push(null);
    await done;
    expect(out.map((f) => `${f.source.id}:${f.tsSec}`)).toEqual(['0:10', '1:11', '1:12', '0:13', '0:14', '1:14']);
  });

  it('hands a frame on after the hold when another input stays silent, and not before', async () => {
    const a = new Feed();
    const b = new Feed(); // never delivers
    const sa = source(0);
    const out: Frame[] = [];
    const times: number[] = [];
    const t0 = performance.now();
    const ctl = new AbortController();
    const done = collect(mergeBatchesLive([a, b], { holdMs: 600, signal: ctl.signal, graceMs: 50 }), out, times, t0);
    a.push([frame(sa, 1, 10)]);
    await sleep(150);
    expect(out).toHaveLength(0); // held: b might still deliver something earlier
    await sleep(850);
    expect(out).toHaveLength(1); // not blocked forever by b
    expect(times[0]).toBeGreaterThanOrEqual(590);
    // a later frame waits at most the hold too
    a.push([frame(sa, 2, 11)]);
    await sleep(900);
    expect(out).toHaveLength(2);
    ctl.abort();
    await done; // ends although b is still pending
  });

  it('ends on abort after the grace period, handing on what it holds, even with a pending input', async () => {
    const a = new Feed();
    const b = new Feed();
    const sa = source(0);
    const out: Frame[] = [];
    const ctl = new AbortController();
    const t0 = performance.now();
    const done = collect(mergeBatchesLive([a, b], { holdMs: 60_000, signal: ctl.signal, graceMs: 100 }), out, [], t0);
    a.push([frame(sa, 1, 10), frame(sa, 2, 11)]);
    await sleep(50);
    expect(out).toHaveLength(0);
    ctl.abort();
    await done;
    expect(out.map((f) => f.number)).toEqual([1, 2]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('an input that ends lets the others flow at once', async () => {
    const a = new Feed();
    const b = new Feed();
    const sa = source(0);
    const out: Frame[] = [];
    const done = collect(mergeBatchesLive([a, b], { holdMs: 60_000 }), out, [], performance.now());
    a.push([frame(sa, 1, 10)]);
    b.push(null);
    await sleep(50);
    expect(out).toHaveLength(1);
    a.push(null);
    await done;
  });

  it('ticking yields an empty batch while its input is quiet', async () => {
    const a = new Feed();
    const sa = source(0);
    const seen: number[] = [];
    const it = ticking(a[Symbol.asyncIterator]() as AsyncGenerator<Frame[]>, 40);
    const done = (async () => {
      for await (const b of it) seen.push(b.length);
    })();
    await sleep(130);
    a.push([frame(sa, 1, 1)]);
    await sleep(20);
    a.push(null);
    await done;
    expect(seen.filter((n) => n === 0).length).toBeGreaterThanOrEqual(2);
    expect(seen).toContain(1);
  });
});

describe('timestamps and comments', () => {
  it('shifts timestamps by a clock offset exactly, across second boundaries', () => {
    expect(shiftTs(100, 0, -1_500_000_250)).toEqual([101, 500_000_250]);
    expect(shiftTs(100, 999_999_999, 1)).toEqual([100, 999_999_998]);
    expect(shiftTs(100, 0, 1)).toEqual([99, 999_999_999]);
    expect(shiftTs(1795429289, 505_136_790, -1_500_000_233)).toEqual([1795429291, 5_137_023]);
    expect(shiftTs(5, 5, 0)).toEqual([5, 5]);
  });

  it('names packet and hop in each frame comment', () => {
    const hop = (node: string, name: string, since: number) => ({ iface: { node, name }, sinceFirstNs: since, frames: [1], obs: { source: source(0) } });
    const t = { id: 12, hops: [hop('node1', 'veth1', 0), hop('node1', 'cni0', 207), hop('node1', 'flannel.1', 23_400)] } as never;
    expect(hopComment(t, 0)).toBe('pkt 12 hop 1/3 node1 veth1 +0 µs');
    expect(hopComment(t, 1)).toBe('pkt 12 hop 2/3 node1 cni0 +207 ns');
    expect(hopComment(t, 2)).toBe('pkt 12 hop 3/3 node1 flannel.1 +23 µs');
  });

  it('summarises frames per interface, escaping names from captures', () => {
    expect(summaryLines('interrupted (SIGINT); read', [{ label: 'node1/eth0', frames: 3, dropped: 0 }, { label: 'n\x1b[2J', frames: 1, lost: 2 }])).toEqual([
      'vxdecode: interrupted (SIGINT); read: 4 frames from 2 interfaces',
      '  node1/eth0  3 frames, 0 dropped by the kernel',
      '  n\\x1b[2J    1 frames, 2 let go by vxdecode (output too slow)',
    ]);
  });
});

describe('libpcap errors', () => {
  it('names the cause of a failed open', () => {
    expect(classifyOpenError('eth0', undefined, 'socket: Operation not permitted').kind).toBe('permission');
    expect(classifyOpenError('eth0', undefined, 'socket: Operation not permitted').message).toMatch(/root or the CAP_NET_RAW capability/);
    expect(classifyOpenError('lo', undefined, "lo: You don't have permission to perform this capture on that device; (socket: Operation not permitted)").kind).toBe('permission');
    const nd = classifyOpenError('eth9', undefined, 'No such device exists', () => ['eth0', 'lo']);
    expect(nd.kind).toBe('no-device');
    expect(nd.message).toBe('no interface named "eth9" in this network namespace (interfaces here: eth0, lo)');
    expect(classifyOpenError('veth1', undefined, 'That device is not up').kind).toBe('down');
    const f = classifyOpenError('lo', 'tcp port', "can't parse filter expression: syntax error");
    expect(f.kind).toBe('filter');
    expect(f.message).toMatch(/^-f "tcp port": not a valid capture \(BPF\) filter/);
    expect(classifyOpenError('lo', 'ip and foo', 'syntax error in filter expression').kind).toBe('filter');
  });

  it("maps cap's link type names to link type numbers", () => {
    expect(linkTypeOf('ETHERNET')).toBe(1);
    expect(linkTypeOf('LINKTYPE_LINUX_SLL')).toBe(113);
    expect(linkTypeOf('RAW')).toBe(101);
    expect(linkTypeOf('NULL')).toBe(0);
    expect(linkTypeOf('Unknown linktype 276')).toBe(276);
    expect(linkTypeOf('Unknown linktype 12')).toBe(101);
  });
});
