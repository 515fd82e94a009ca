#!/usr/bin/env node
// Summarise a V8 .cpuprofile (from `node --cpu-prof`): self time and total time per function,
// and where the time goes by module (vxdecode's own src/ files, Node internals, GC, ...).
// Locations in dist/*.js are mapped back to src/*.ts through the source maps tsc writes.
//
//   node scripts/bench/cpuprofile.mjs FILE.cpuprofile [--top N] [--json] [--root DIR]
//
// Also imported by scripts/bench/run.mjs (summarise, markdown).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// the tree whose dist/ ran (the project, or the bench's snapshot of it): see summarise({root})
let ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ------------------------------------------------------------------ source maps (VLQ, no deps)
const B64 = Object.fromEntries([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** decode one "mappings" string into per-generated-line arrays of [genCol, srcIdx, srcLine, srcCol] */
function decodeMappings(mappings) {
  const lines = [];
  let srcIdx = 0, srcLine = 0, srcCol = 0;
  for (const lineText of mappings.split(';')) {
    const segs = [];
    let genCol = 0;
    if (lineText) {
      for (const seg of lineText.split(',')) {
        const vals = [];
        let shift = 0, value = 0;
        for (const ch of seg) {
          const d = B64[ch];
          value += (d & 31) << shift;
          if (d & 32) shift += 5;
          else {
            vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0; shift = 0;
          }
        }
        genCol += vals[0];
        if (vals.length >= 4) {
          srcIdx += vals[1]; srcLine += vals[2]; srcCol += vals[3];
          segs.push([genCol, srcIdx, srcLine, srcCol]);
        }
      }
    }
    lines.push(segs);
  }
  return lines;
}

const mapCache = new Map();
function sourceMapFor(jsFile) {
  if (mapCache.has(jsFile)) return mapCache.get(jsFile);
  let m = null;
  try {
    const raw = JSON.parse(readFileSync(jsFile + '.map', 'utf8'));
    m = { sources: raw.sources.map((s) => path.resolve(path.dirname(jsFile), raw.sourceRoot ?? '', s)), lines: decodeMappings(raw.mappings) };
  } catch { /* no map */ }
  mapCache.set(jsFile, m);
  return m;
}

/** generated (0-based line, col) -> {file, line (1-based)} in the original source, or null */
function originalPosition(jsFile, line, col) {
  const m = sourceMapFor(jsFile);
  if (!m) return null;
  for (let l = line; l >= 0 && l > line - 3; l--) {
    const segs = m.lines[l];
    if (!segs || !segs.length) continue;
    let best = segs[0];
    if (l === line) for (const s of segs) { if (s[0] <= col) best = s; else break; }
    else best = segs[segs.length - 1];
    return { file: m.sources[best[1]], line: best[2] + 1 };
  }
  return null;
}

// ------------------------------------------------------------------ function extents
const srcCache = new Map();
/**
 * Last line (1-based) of the function that starts at (line, col) (0-based) in a compiled file, by
 * matching braces (strings, template literals and comments skipped; good enough for tsc output).
 * null when it cannot tell.
 */
function functionEndLine(jsFile, line, col) {
  let text = srcCache.get(jsFile);
  if (text === undefined) {
    try { text = readFileSync(jsFile, 'utf8'); } catch { text = null; }
    srcCache.set(jsFile, text);
  }
  if (!text) return null;
  let i = 0;
  for (let l = 0; l < line && i >= 0; l++) i = text.indexOf('\n', i) + 1;
  if (i < 0) return null;
  i += col;
  let depth = 0;
  let ln = line + 1;
  const tmpl = []; // brace depth at which each open template literal's ${ started
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { ln++; continue; }
    if (c === '/' && text[i + 1] === '/') { i = text.indexOf('\n', i) - 1; if (i < 0) return null; continue; }
    if (c === '/' && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); if (e < 0) return null; for (let k = i; k < e; k++) if (text[k] === '\n') ln++; i = e + 1; continue; }
    if (c === '"' || c === "'" || (c === '`') || (c === '}' && tmpl.length && tmpl[tmpl.length - 1] === depth)) {
      // a string, or the rest of a template literal after a `${...}`
      let q = c;
      if (c === '}') { tmpl.pop(); q = '`'; } else if (c === '`') q = '`';
      for (i++; i < text.length; i++) {
        const d = text[i];
        if (d === '\\') { i++; continue; }
        if (d === '\n') ln++;
        if (d === q) break;
        if (q === '`' && d === '$' && text[i + 1] === '{') { tmpl.push(depth); i++; break; }
      }
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return ln;
      if (depth < 0) return null;
    }
  }
  return null;
}

// ------------------------------------------------------------------ naming
function classify(cf) {
  const name = cf.functionName || '(anonymous)';
  const url = cf.url || '';
  if (name === '(garbage collector)') return { key: 'GC', fn: 'GC', where: '', module: '(garbage collector)' };
  if (name === '(program)') return { key: 'program', fn: '(program)', where: '', module: '(program: V8/native, outside JS)' };
  if (name === '(idle)') return { key: 'idle', fn: '(idle)', where: '', module: '(idle: waiting for I/O)' };
  if (name === '(root)') return { key: 'root', fn: '(root)', where: '', module: '(root)' };
  let file = url.startsWith('file://') ? fileURLToPath(url) : url;
  let line = cf.lineNumber + 1;
  let jsFile = null; // compiled file whose line numbers positionTicks use (mapped when shown)
  let genStart = null, genEnd = null; // the function's extent there (1-based lines)
  if (file.endsWith('.js') && file.startsWith(path.join(ROOT, 'dist') + path.sep)) {
    const o = originalPosition(file, cf.lineNumber, cf.columnNumber);
    if (o && existsSync(o.file)) {
      jsFile = file; file = o.file; line = o.line;
      genStart = cf.lineNumber + 1;
      genEnd = functionEndLine(jsFile, cf.lineNumber, cf.columnNumber);
    }
  }
  let module;
  if (!file) module = '(native / builtins)';
  else if (file.startsWith('node:')) module = file;
  else if (file.startsWith(ROOT + path.sep)) {
    const rel = path.relative(ROOT, file);
    module = rel.startsWith('node_modules') ? rel.split(path.sep).slice(0, rel.split(path.sep)[1].startsWith('@') ? 3 : 2).join('/') : rel;
    file = rel;
  } else module = file;
  const where = file ? `${file}:${line}` : '';
  return { key: `${name}@${where}`, fn: name, where, module, file, jsFile, genStart, genEnd };
}

// ------------------------------------------------------------------ summary
/**
 * summarise(profile) -> {total_ms, samples, functions: [{fn, where, module, self_ms, self_pct,
 * total_ms, total_pct}], modules: [{module, self_ms, self_pct}]}, sorted by self time.
 */
export function summarise(profile, { root } = {}) {
  if (root) ROOT = path.resolve(root);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const info = new Map(profile.nodes.map((n) => [n.id, classify(n.callFrame)]));

  // time per sample: timeDeltas[i] is the time since the previous sample; attribute the interval
  // that ends at sample i+1 to sample i (what Chrome DevTools does)
  const { samples, timeDeltas } = profile;
  const selfUs = new Map();
  const totalUs = new Map();
  let totalTime = 0;
  const stackKeys = new Map(); // node id -> unique function keys on its stack (cached)
  const keysOf = (id) => {
    let s = stackKeys.get(id);
    if (s) return s;
    s = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) s.add(info.get(cur).key);
    stackKeys.set(id, s);
    return s;
  };
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? Math.max(0, timeDeltas[i + 1]) : 0;
    totalTime += dt;
    const id = samples[i];
    const k = info.get(id).key;
    selfUs.set(k, (selfUs.get(k) ?? 0) + dt);
    for (const key of keysOf(id)) totalUs.set(key, (totalUs.get(key) ?? 0) + dt);
  }
  const meta = new Map();
  const lineTicks = new Map(); // function key -> Map(source line -> ticks)
  for (const n of profile.nodes) {
    const i = info.get(n.id);
    if (!meta.has(i.key)) meta.set(i.key, i);
    if (!n.positionTicks?.length || !i.file) continue;
    let m = lineTicks.get(i.key);
    if (!m) lineTicks.set(i.key, (m = new Map()));
    for (const { line, ticks } of n.positionTicks) {
      let at = line;
      // positionTicks of code inlined from another file carry that file's line numbers: only
      // lines inside the function's own extent are kept (the rest still count in the total)
      if (i.genEnd != null && (line < i.genStart || line > i.genEnd)) {
        m.set('elsewhere', (m.get('elsewhere') ?? 0) + ticks);
        continue;
      }
      if (i.jsFile) {
        const o = originalPosition(i.jsFile, line - 1, 0);
        if (o) at = o.line;
      }
      m.set(at, (m.get(at) ?? 0) + ticks);
    }
  }
  /** the lines of a function where its self time was spent: [{line, pct of the function's ticks}] */
  // 'elsewhere': ticks in inlined callees (other functions' code), shown as such
  const hotLines = (key) => {
    const m = lineTicks.get(key);
    if (!m) return [];
    const sum = [...m.values()].reduce((a, b) => a + b, 0);
    return [...m].sort((a, b) => b[1] - a[1]).slice(0, 3)
      .map(([line, t]) => ({ line, pct: (100 * t) / sum })).filter((l) => l.pct >= 10);
  };
  const pct = (us) => (totalTime ? (100 * us) / totalTime : 0);
  const functions = [...meta.values()]
    .filter((m) => m.key !== 'root')
    .map((m) => ({
      fn: m.fn, where: m.where, module: m.module,
      self_ms: (selfUs.get(m.key) ?? 0) / 1000, self_pct: pct(selfUs.get(m.key) ?? 0),
      total_ms: (totalUs.get(m.key) ?? 0) / 1000, total_pct: pct(totalUs.get(m.key) ?? 0),
      hot_lines: hotLines(m.key),
    }))
    .filter((f) => f.self_ms > 0 || f.total_ms > 0)
    .sort((a, b) => b.self_ms - a.self_ms);
  const mods = new Map();
  for (const f of functions) mods.set(f.module, (mods.get(f.module) ?? 0) + f.self_ms);
  const modules = [...mods].map(([module, ms]) => ({ module, self_ms: ms, self_pct: pct(ms * 1000) }))
    .sort((a, b) => b.self_ms - a.self_ms);
  void byId;
  return { total_ms: totalTime / 1000, samples: samples.length, functions, modules };
}

const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const esc = (s) => String(s).replace(/\|/g, '\\|');

/** markdown: top functions by self time, and self time by module */
export function markdown(summary, { top = 15, modulesTop = 10 } = {}) {
  const out = [];
  out.push(`${summary.samples} samples, ${fmtMs(summary.total_ms)} ms profiled.`, '');
  out.push('| self ms | self % | total % | function | where | hot lines (share of its self time) |', '|---:|---:|---:|---|---|---|');
  for (const f of summary.functions.slice(0, top)) {
    const hot = (f.hot_lines ?? []).map((l) => `${l.line === 'elsewhere' ? 'inlined callees' : l.line} (${l.pct.toFixed(0)} %)`).join(', ');
    out.push(`| ${fmtMs(f.self_ms)} | ${f.self_pct.toFixed(1)} | ${f.total_pct.toFixed(1)} | \`${esc(f.fn)}\` | ${f.where ? `\`${esc(f.where)}\`` : ''} | ${hot} |`);
  }
  out.push('', '| self % | module |', '|---:|---|');
  for (const m of summary.modules.slice(0, modulesTop)) out.push(`| ${m.self_pct.toFixed(1)} | \`${esc(m.module)}\` |`);
  return out.join('\n');
}

// ------------------------------------------------------------------ CLI
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top' && args[i - 1] !== '--root');
  if (!file) {
    process.stderr.write('usage: node scripts/bench/cpuprofile.mjs FILE.cpuprofile [--top N] [--json] [--root DIR]\n'
      + '  --root DIR: the tree whose dist/ and src/ ran (default: this project; the bench keeps a snapshot next to its profiles)\n');
    process.exit(1);
  }
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args[ti + 1]) : 20;
  const ri = args.indexOf('--root');
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), { root: ri >= 0 ? args[ri + 1] : undefined });
  if (args.includes('--json')) process.stdout.write(JSON.stringify({ ...s, functions: s.functions.slice(0, top) }, null, 1) + '\n');
  else process.stdout.write(markdown(s, { top }) + '\n');
}
