#!/usr/bin/env node
// Measures the design card's pcap-parser against vxdecode's own reader on the same classic
// pcap: frames per second and peak RSS, each in a child process of its own.
// Usage: node scripts/bench/pcap-parser-vs-reader.mjs [MB]   (needs `npm run build` first)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mb = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'vxdecode-bench-'));
const file = join(dir, 'big.pcap');

// A large µs pcap made of the records of a real capture, repeated.
const seed = readFileSync(join(root, '..', 'shared', 'captures-public', 'tcpdump', 'vxlan.pcap'));
const header = seed.subarray(0, 24);
const records = seed.subarray(24);
const copies = Math.ceil((mb * 1e6) / records.length);
writeFileSync(file, Buffer.concat([header, ...Array(copies).fill(records)]));
const frames = copies * 10;

const programs = {
  'pcap-parser': `
    const pcapp = require(${JSON.stringify(join(root, 'node_modules', 'pcap-parser'))});
    let n = 0; const t = process.hrtime.bigint();
    const p = pcapp.parse(process.argv[1]);
    p.on('packet', () => { n++; });
    p.on('end', () => { console.log(JSON.stringify({ n, ms: Number(process.hrtime.bigint() - t) / 1e6, rss: process.resourceUsage().maxRSS })); });`,
  'vxdecode reader': `
    import(${JSON.stringify(join(root, 'dist', 'capture', 'read.js'))}).then(async ({ sequential }) => {
      const { Input, SourceRegistry, parseInputArg } = await import(${JSON.stringify(join(root, 'dist', 'capture', 'input.js'))});
      let n = 0; const t = process.hrtime.bigint();
      const input = new Input(parseInputArg(process.argv[1]), { registry: new SourceRegistry() });
      for await (const batch of sequential([input])) n += batch.length;
      console.log(JSON.stringify({ n, ms: Number(process.hrtime.bigint() - t) / 1e6, rss: process.resourceUsage().maxRSS }));
    });`,
};

console.log(`${(copies * records.length / 1e6).toFixed(0)} MB, ${frames} frames, node ${process.version}`);
for (const [name, code] of Object.entries(programs)) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ['--no-deprecation', '-e', code, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout));
  }
  runs.sort((a, b) => a.ms - b.ms);
  const m = runs[1];
  console.log(`${name.padEnd(16)} ${m.n} frames  median ${m.ms.toFixed(0)} ms  ${(m.n / m.ms / 1000).toFixed(2)} M frames/s  peak RSS ${(m.rss / 1024).toFixed(0)} MB`);
}
rmSync(dir, { recursive: true, force: true });
