#!/usr/bin/env node
// Measures the design card's binary-parser against vxdecode's decoders on the same frames:
// Ethernet + IPv4 + UDP + VXLAN + inner Ethernet + IPv4 + ICMP of tcpdump/vxlan_port_8472.pcap,
// decoded 200 000 times over. Usage: node scripts/bench/binary-parser-vs-decoders.mjs (after npm run build)
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Parser } = createRequire(import.meta.url)('binary-parser');
const { readFileFrames } = await import(join(root, 'dist', 'capture', 'read.js'));
const { dissect } = await import(join(root, 'dist', 'decoders', 'index.js'));

const { frames } = await readFileFrames(join(root, '..', 'shared', 'captures-public', 'tcpdump', 'vxlan_port_8472.pcap'));
const icmp = frames.filter((f) => f.caplen === 148);

// The same stack described declaratively, as binary-parser is meant to be used. It has no way to
// say "stop here and report truncation", so it throws on a short frame; it also cannot dispatch
// on a UDP port without reading the whole payload into a nested choice.
const ipv4 = new Parser()
  .bit4('version').bit4('ihl').uint8('tos').uint16('totalLength').uint16('id')
  .bit3('flags').bit13('fragOffset').uint8('ttl').uint8('protocol').uint16('checksum')
  .array('src', { type: 'uint8', length: 4 }).array('dst', { type: 'uint8', length: 4 });
const inner = new Parser()
  .array('dst', { type: 'uint8', length: 6 }).array('src', { type: 'uint8', length: 6 }).uint16('ethertype')
  .nest('ip', { type: ipv4 })
  .uint8('icmpType').uint8('icmpCode').uint16('icmpChecksum').uint16('icmpId').uint16('icmpSeq');
const outer = new Parser()
  .array('dst', { type: 'uint8', length: 6 }).array('src', { type: 'uint8', length: 6 }).uint16('ethertype')
  .nest('ip', { type: ipv4 })
  .uint16('srcPort').uint16('dstPort').uint16('udpLength').uint16('udpChecksum')
  .uint8('vxlanFlags').skip(3).bit24('vni').skip(1)
  .nest('inner', { type: inner });

function time(name, fn) {
  const n = 200000;
  for (let i = 0; i < 20000; i++) fn(icmp[i % icmp.length]);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(icmp[i % icmp.length]);
  const ns = Number(process.hrtime.bigint() - t) / n;
  console.log(`${name.padEnd(28)} ${ns.toFixed(0).padStart(6)} ns per frame  ${(1e3 / ns).toFixed(2)} M frames/s`);
  return ns;
}

console.log(`node ${process.version}; ${icmp.length} distinct VXLAN/ICMP frames of 148 bytes`);
const a = time('binary-parser 2.x', (f) => outer.parse(Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength)));
const b = time('vxdecode dissect', (f) => dissect(f));
console.log(`vxdecode is ${(a / b).toFixed(2)} × faster, and verifies both IPv4 checksums, the ICMP checksum and every length`);
let threw = 0;
for (let cut = 0; cut < 148; cut++) {
  try { outer.parse(Buffer.from(icmp[0].bytes.subarray(0, cut))); } catch { threw++; }
}
console.log(`binary-parser threw on ${threw} of 148 truncations of one frame (vxdecode: 0; it reports them as values)`);
