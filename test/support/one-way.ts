/**
 * One-way VXLAN traffic made from a real capture: the first VXLAN frame each node's eth0 saw in
 * the lab's vxlan-ping scenario, copied as `n` distinct packets (inner IP id 0..n-1, header
 * checksum made right again) sent every 100 µs. Also a classic pcap writer to put them in files.
 */
import { writeFileSync } from 'node:fs';
import type { Frame } from '../../src/capture/frame.js';
import { Input, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { extract, Ports } from '../../src/analysis/extract.js';

/** The first frame of `file` that `keep` accepts. */
export async function firstFrame(file: string, keep: (f: Frame) => boolean): Promise<Frame> {
  const input = new Input(parseInputArg(file), { registry: new SourceRegistry() });
  for await (const batch of input.batches()) for (const f of batch) if (keep(f)) return f;
  throw new Error(`no such frame in ${file}`);
}

/** `f` as another packet (inner IP id `id`) at `ns` since the epoch. */
export function copyAs(f: Frame, id: number, ns: number): Frame {
  const inner = 14 + 20 + 8 + 8 + 14;
  const bytes = Uint8Array.from(f.bytes);
  bytes[inner + 4] = id >> 8;
  bytes[inner + 5] = id & 0xff;
  // the inner IPv4 header checksum, made right again
  bytes[inner + 10] = bytes[inner + 11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (bytes[inner + i] << 8) | bytes[inner + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  bytes[inner + 10] = c >> 8;
  bytes[inner + 11] = c & 0xff;
  return { ...f, bytes, tsSec: Math.floor(ns / 1e9), tsNsec: ns % 1e9 };
}

/**
 * `n` packets node1 → node2 as seen on both eth0s (`files`: the vxlan-ping scenario's); one-way
 * delays of 50-90 µs, and 40 µs (the smallest) at packet 700.
 */
export async function oneWay(files: string[], n: number): Promise<{ a: Frame; b: Frame }[]> {
  const ports = new Ports();
  const vxlan = (f: Frame): boolean => !!extract(f, ports)?.enc;
  const a = await firstFrame(files.find((f) => f.endsWith('/node1-eth0.pcap'))!, vxlan);
  const b = await firstFrame(files.find((f) => f.endsWith('/node2-eth0.pcap'))!, vxlan);
  const out: { a: Frame; b: Frame }[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1_000_000_000 * 1000 + i * 100_000;
    out.push({ a: copyAs(a, i, t), b: copyAs(b, i, t + (i === 700 ? 40_000 : 50_000 + ((i * 7919) % 40_000))) });
  }
  return out;
}

/** Write frames as a classic pcap (Ethernet, nanosecond timestamps). */
export function writePcap(path: string, frames: readonly Frame[]): void {
  let size = 24;
  for (const f of frames) size += 16 + f.bytes.length;
  const buf = Buffer.alloc(size);
  buf.writeUInt32LE(0xa1b23c4d, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  let at = 24;
  for (const f of frames) {
    buf.writeUInt32LE(f.tsSec, at);
    buf.writeUInt32LE(f.tsNsec, at + 4);
    buf.writeUInt32LE(f.bytes.length, at + 8);
    buf.writeUInt32LE(f.len, at + 12);
    buf.set(f.bytes, at + 16);
    at += 16 + f.bytes.length;
  }
  writeFileSync(path, buf);
}
