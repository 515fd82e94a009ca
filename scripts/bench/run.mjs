#!/usr/bin/env node
// vxdecode performance benchmark: `npm run bench`.
//
// 1. installs what it needs if missing (Debian: tcpdump, tshark, wireshark-common, iperf3, time,
//    and the lab's tools), builds vxdecode if dist/ is older than src/;
// 2. generates a corpus with the lab (UDP load pod1 -> pod2 through the VXLAN path, captured on
//    all ten interfaces, one pcap each) into a cache folder, reused while its parameters and the
//    lab scripts are unchanged (--regen to force), plus a "half" corpus (the first half of every
//    file) for the memory-is-flat check;
// 3. times, interleaved repetitions, median reported, the same files for every command: tcpdump,
//    tshark (text, each file), tshark -T json (one file), mergecap, and vxdecode --count, text,
//    --json, trace, analyze; peak RSS of each from /usr/bin/time;
// 4. prints each ratio against its reference with PASS/FAIL and writes bench/results.md and
//    bench/results.json (with the machine they were measured on);
// 5. profiles vxdecode (node --cpu-prof) and writes the summary into docs/bench.md.
//
// A vxdecode command that fails (not finished yet, crashes, times out) is reported as
// "not available" with the reason; the bench goes on.  See docs/bench.md.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdown as profileMarkdown, summarise } from './cpuprofile.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// VXDECODE_BENCH_BIN: measure another entry point (a build elsewhere; the bench's own tests).
// Otherwise the bench measures a snapshot of bin/, dist/ and src/ taken after the build (see
// snapshotBuild), so that a rebuild in the working tree during the run changes nothing.
let BIN = process.env.VXDECODE_BENCH_BIN ? path.resolve(process.env.VXDECODE_BENCH_BIN) : path.join(ROOT, 'bin', 'vxdecode.js');
let BUILD_ROOT = ROOT;
const LAB = path.join(ROOT, 'scripts', 'lab', 'run.sh');

// ------------------------------------------------------------------------------ options
const HELP = `usage: npm run bench -- [options]      (or: node scripts/bench/run.mjs [options])

  --reps N            repetitions of every command, interleaved; the median is reported (default 5;
                      tshark, 20 x slower than the rest, at most 3)
  --regen             regenerate the corpus even if a cached one with the same parameters exists
  --corpus DIR        cache folder for corpora and profiles (default $VXDECODE_BENCH_DIR or
                      <tmpdir>/vxdecode-bench)
  --datagrams N       UDP datagrams of the lab load (default 140000: 1.4 M frames on 10 interfaces)
  --udp-size N        UDP payload bytes (default 64: about 180 MB of pcap)
  --udp-rate R        iperf3 rate, bit/s with K/M (default 5120K: 10 000 datagrams/s)
  --timeout S         give up on one run of a command after S seconds (default 300)
  --budget MIN        reduce the repetitions if the timings would not fit (default 13 minutes)
  --no-profile        skip the --cpu-prof runs (docs/bench.md is left alone)
  --profile-only      only the --cpu-prof runs and the profile section of docs/bench.md
                      (bench/results.* are left alone)
  --no-install        do not apt-get install missing tools
  --no-write          print only; do not write bench/results.* or docs/bench.md
  --strict            exit 1 when a target is not met (default: exit 0 whenever the bench ran)
  -h, --help          this text
`;

function parseArgs(argv) {
  const o = {
    reps: 5, regen: false, corpus: process.env.VXDECODE_BENCH_DIR || path.join(os.tmpdir(), 'vxdecode-bench'),
    datagrams: 140000, udpSize: 64, udpRate: '5120K', timeout: 300, budget: 13, profile: true, profileOnly: false, install: true, write: true, strict: false,
  };
  const num = (name, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) die(`${name} needs a whole number >= ${min}, not ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--reps': o.reps = num(a, val(), 1); break;
      case '--regen': o.regen = true; break;
      case '--corpus': o.corpus = path.resolve(val()); break;
      case '--datagrams': o.datagrams = num(a, val(), 1); break;
      case '--udp-size': o.udpSize = num(a, val(), 16); break;
      case '--udp-rate': o.udpRate = val(); if (!/^[1-9][0-9]*[KM]?$/.test(o.udpRate)) die('--udp-rate: like 5120K or 20M'); break;
      case '--timeout': o.timeout = num(a, val(), 1); break;
      case '--budget': o.budget = Number(val()); if (!(o.budget > 0)) die('--budget needs minutes > 0'); break;
      case '--no-profile': o.profile = false; break;
      case '--profile-only': o.profileOnly = true; o.profile = true; break;
      case '--no-install': o.install = false; break;
      case '--no-write': o.write = false; break;
      case '--strict': o.strict = true; break;
      case '-h': case '--help': process.stdout.write(HELP); process.exit(0); break;
      default: die(`unknown option ${a}\n${HELP}`);
    }
  }
  return o;
}

// ------------------------------------------------------------------------------ small helpers
const T0 = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - T0) / 1e9;
function log(msg) { process.stderr.write(`[bench ${elapsed().toFixed(0).padStart(4)}s] ${msg}\n`); }
function die(msg) { process.stderr.write(`bench: error: ${msg}\n`); process.exit(1); }
const isRoot = process.getuid?.() === 0;
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const firstLine = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return ((r.stdout || '') + (r.stderr || '')).split('\n').find((l) => l.trim()) ?? '';
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmtS = (ms) => (ms == null || !Number.isFinite(ms) ? '—' : ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtMB = (kb) => (kb == null ? '—' : `${(kb / 1024).toFixed(0)} MB`);
const fmtN = (n) => (n == null ? '—' : n.toLocaleString('en-US'));
const fmtRate = (frames, ms) => (frames && ms ? `${(frames / (ms / 1000) / 1e6).toFixed(2)} M/s` : '—');

// ------------------------------------------------------------------------------ 1. tools, build
const TOOLS = {
  // command: Debian package
  tcpdump: 'tcpdump', tshark: 'tshark', mergecap: 'wireshark-common', editcap: 'wireshark-common',
  capinfos: 'wireshark-common', dumpcap: 'wireshark-common', iperf3: 'iperf3', '/usr/bin/time': 'time',
  ip: 'iproute2', bridge: 'iproute2', ss: 'iproute2', 'iptables-restore': 'iptables', ping: 'iputils-ping',
  nc: 'netcat-openbsd', timeout: 'coreutils',
};

function ensureTools(opts) {
  const missing = Object.keys(TOOLS).filter((t) => !have(t));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((t) => TOOLS[t]))];
  log(`missing: ${missing.join(', ')} (Debian packages: ${pkgs.join(' ')})`);
  if (!opts.install) die(`install them: apt-get install -y --no-install-recommends ${pkgs.join(' ')}`);
  if (!have('apt-get')) die(`no apt-get here; install the equivalents of: ${pkgs.join(' ')}`);
  const sudo = isRoot ? [] : ['sudo', '-n'];
  if (!isRoot && !have('sudo')) die(`not root and no sudo; as root: apt-get install -y ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs]]) {
    log(`$ ${[...sudo, ...args].join(' ')}`);
    const [cmd, ...rest] = [...sudo, ...args];
    const r = spawnSync(cmd, rest, { stdio: ['ignore', 2, 2], env });
    if (r.status !== 0) die(`${args.join(' ')} failed (exit ${r.status})`);
  }
  const still = Object.keys(TOOLS).filter((t) => !have(t));
  if (still.length) die(`still missing after install: ${still.join(', ')}`);
}

function walk(dir, ext, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, ext, out);
    else if (ext.some((x) => e.name.endsWith(x))) out.push(p);
  }
  return out;
}

/** dist/ is stale if any src file is newer than its compiled .js (or has none), or the config changed */
function distStale() {
  const src = walk(path.join(ROOT, 'src'), ['.ts', '.tsx']).filter((f) => !f.endsWith('.d.ts'));
  const cfg = Math.max(...['tsconfig.json', 'package.json'].map((f) => statSync(path.join(ROOT, f)).mtimeMs));
  for (const f of src) {
    const js = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), f)).replace(/\.tsx?$/, '.js');
    if (!existsSync(js)) return `${path.relative(ROOT, js)} missing`;
    const t = statSync(js).mtimeMs;
    if (t < statSync(f).mtimeMs) return `${path.relative(ROOT, f)} is newer than its build`;
    if (t < cfg) return 'tsconfig.json or package.json is newer than the build';
  }
  return null;
}

function ensureBuild() {
  const why = distStale();
  const result = { built: false, reason: why, errors: null };
  if (!why) { log('dist/ is up to date'); return result; }
  log(`building vxdecode (${why}): npm run build`);
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  result.built = true;
  if (r.status !== 0) {
    // tsc still emits on type errors; benchmark what it emitted, and say so
    result.errors = `${(r.stdout + r.stderr).trim().split('\n').filter((l) => /error TS/.test(l)).length} type errors`;
    log(`warning: npm run build exited ${r.status} (${result.errors}); benchmarking what tsc emitted`);
    process.stderr.write((r.stdout + r.stderr).split('\n').slice(0, 20).join('\n') + '\n');
  }
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) die('dist/cli/main.js missing after the build');
  return result;
}

/**
 * Copy bin/, dist/ and src/ (for the source maps) into DIR/build and measure that copy: other
 * work in the same tree (npm test runs `npm run build`) must not swap the code under a run.
 */
function snapshotBuild(dir) {
  if (process.env.VXDECODE_BENCH_BIN) return;
  const snap = path.join(dir, 'build');
  rmSync(snap, { recursive: true, force: true });
  mkdirSync(snap, { recursive: true });
  for (const d of ['bin', 'dist', 'src']) cpSync(path.join(ROOT, d), path.join(snap, d), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(snap, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(snap, 'node_modules'), 'dir');
  BIN = path.join(snap, 'bin', 'vxdecode.js');
  BUILD_ROOT = snap;
  log(`measuring a snapshot of the build: ${snap}`);
}

// ------------------------------------------------------------------------------ 2. corpus
function labHash() {
  const h = createHash('sha256');
  for (const f of readdirSync(path.dirname(LAB)).filter((f) => f.endsWith('.sh')).sort()) {
    h.update(f).update(readFileSync(path.join(path.dirname(LAB), f)));
  }
  return h.digest('hex').slice(0, 12);
}

function capinfos(files) {
  const r = spawnSync('capinfos', ['-T', '-t', '-c', '-M', ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`capinfos failed: ${r.stderr}`);
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  const head = rows.shift();
  const col = (name) => head.findIndex((h) => h.trim() === name);
  const [cf, ct, cn] = [col('File name'), col('File type'), col('Number of packets')];
  return new Map(rows.map((r) => [path.resolve(r[cf]), { type: r[ct], frames: Number(r[cn]) }]));
}

function runLab(out, opts) {
  const args = ['bash', LAB, '--out', out, '--traffic', 'udp', '--udp-datagrams', String(opts.datagrams),
    '--udp-size', String(opts.udpSize), '--udp-rate', opts.udpRate, '--run-id', `bench${process.pid}`];
  const cmd = isRoot ? args : ['sudo', '-n', ...args];
  log(`$ ${cmd.join(' ').replace(ROOT + '/', '')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    const fwd = (sig) => child.kill(sig);
    process.on('SIGINT', fwd); process.on('SIGTERM', fwd);
    child.on('close', (code, sig) => {
      process.off('SIGINT', fwd); process.off('SIGTERM', fwd);
      if (sig) { log(`lab stopped by ${sig}`); process.exit(130); }
      resolve(code);
    });
  });
}

async function ensureCorpus(opts) {
  const params = { datagrams: opts.datagrams, udp_size: opts.udpSize, udp_rate: opts.udpRate, lab: labHash(), layout: 2 };
  const dir = path.join(opts.corpus, `udp-${opts.datagrams}x${opts.udpSize}-${opts.udpRate}`);
  const full = path.join(dir, 'full');
  const half = path.join(dir, 'half');
  const manifestFile = path.join(dir, 'corpus.json');
  let manifest = null;
  if (!opts.regen && existsSync(manifestFile)) {
    try {
      const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
      const complete = m.files.every((f) => existsSync(path.join(full, f.file)) && existsSync(path.join(half, f.file))
        && statSync(path.join(full, f.file)).size === f.bytes);
      if (JSON.stringify(m.params) === JSON.stringify(params) && complete) manifest = m;
      else log('cached corpus is stale or incomplete; regenerating');
    } catch { /* regenerate */ }
  }
  if (manifest) {
    log(`reusing corpus ${dir} (made ${manifest.created}; --regen to make a new one)`);
  } else {
    if (!isRoot && !have('sudo')) die('generating the corpus needs root (the lab builds network namespaces)');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(full, { recursive: true });
    mkdirSync(half, { recursive: true });
    const t = Date.now();
    const code = await runLab(full, opts);
    if (code !== 0) die(`the lab failed (exit ${code}); see ${path.join(full, 'lab.log')}`);
    const topo = JSON.parse(readFileSync(path.join(full, 'topology.json'), 'utf8'));
    const caps = topo.captures.filter((c) => c.format === 'pcap' || c.format === 'pcapng');
    const info = capinfos(caps.map((c) => path.join(full, c.file)));
    const files = caps.map((c) => {
      const i = info.get(path.join(full, c.file));
      return {
        file: c.file, node: c.node, iface: c.iface, role: c.role, frames: i.frames, type: i.type,
        bytes: statSync(path.join(full, c.file)).size, kernel_drops: c.kernel_drops, lab_packets: c.packets,
      };
    });
    // half corpus: the first half of every file, in the same format (editcap keeps the order)
    for (const f of files) {
      const n = Math.max(1, Math.floor(f.frames / 2));
      const r = spawnSync('editcap', ['-F', f.type, '-r', path.join(full, f.file), path.join(half, f.file), `1-${n}`], { encoding: 'utf8' });
      if (r.status !== 0) die(`editcap failed on ${f.file}: ${r.stderr}`);
    }
    const hinfo = capinfos(files.map((f) => path.join(half, f.file)));
    for (const f of files) {
      f.half_frames = hinfo.get(path.join(half, f.file)).frames;
      f.half_bytes = statSync(path.join(half, f.file)).size;
    }
    manifest = {
      params, created: new Date().toISOString(), seconds: Math.round((Date.now() - t) / 1000), dir,
      lab_command: topo.command, kernel: topo.kernel, ts_precision: topo.capture?.ts_precision ?? topo.capture?.ts,
      files,
    };
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 1) + '\n');
    log(`corpus ready in ${manifest.seconds} s`);
  }
  manifest.full = manifest.files.map((f) => path.join(full, f.file));
  manifest.half = manifest.files.map((f) => path.join(half, f.file));
  const sum = (k) => manifest.files.reduce((n, f) => n + f[k], 0);
  manifest.total = { frames: sum('frames'), bytes: sum('bytes'), kernel_drops: sum('kernel_drops'),
    half_frames: sum('half_frames'), half_bytes: sum('half_bytes') };
  const expected = opts.datagrams * manifest.files.length;
  manifest.total.expected_frames = expected;
  log(`corpus: ${manifest.files.length} files, ${fmtN(manifest.total.frames)} frames, ${(manifest.total.bytes / 1e6).toFixed(1)} MB, `
    + `kernel drops ${manifest.total.kernel_drops} (load: ${fmtN(opts.datagrams)} datagrams x ${manifest.files.length} interfaces = ${fmtN(expected)})`);
  if (manifest.total.kernel_drops > 0) log(`warning: the captures dropped ${manifest.total.kernel_drops} packets (reported, not hidden)`);
  return manifest;
}

// ------------------------------------------------------------------------------ 3. timing
let current = null; // the running child, to stop it on Ctrl-C
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) try { process.kill(-current.pid, 'SIGKILL'); } catch { /* gone */ }
    process.stderr.write(`\nbench: interrupted (${sig})\n`);
    process.exit(130);
  });
}

/**
 * Run argv once under /usr/bin/time with stdout to /dev/null (or a file); wall time from this
 * process, peak RSS (KiB, %M) and CPU time (user + system, %U + %S) from time.
 * Resolves {ok, ms, cpu_ms, rss_kb, code, stderr, reason}.
 */
function runOnce(argv, { timeoutS, okCodes = [0], stdoutFile = '/dev/null', env } = {}) {
  const rssFile = path.join(os.tmpdir(), `vxdecode-bench-rss.${process.pid}`);
  const out = openSync(stdoutFile, 'w');
  return new Promise((resolve) => {
    const t = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, ...argv], {
      stdio: ['ignore', out, 'pipe'], detached: true, env: env ?? process.env,
    });
    current = child;
    let err = '';
    child.stderr.on('data', (d) => { err = (err + d).slice(-8192); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutS * 1000);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      clearTimeout(timer);
      current = null;
      closeSync(out);
      let rss = null, cpu = null;
      try {
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        const [m, u, sy] = lines[lines.length - 1].split(' ').map(Number);
        if (Number.isFinite(m)) rss = m;
        if (Number.isFinite(u) && Number.isFinite(sy)) cpu = (u + sy) * 1000;
        rmSync(rssFile, { force: true });
      } catch { /* none */ }
      const ok = !timedOut && okCodes.includes(code);
      const reason = timedOut ? `timed out after ${timeoutS} s` : ok ? null
        : `exit ${code}: ${err.trim().split('\n').filter((l) => !/Running as user "root"/.test(l)).slice(-2).join(' / ') || '(no message)'}`;
      resolve({ ok, ms, cpu_ms: cpu, rss_kb: rss, code, stderr: err, reason });
    });
  });
}

/** the commands, each over the same files: per-file ones are run once per file and summed */
function commands(corpus) {
  const node = process.execPath;
  const vx = (...a) => [node, BIN, ...a];
  const full = corpus.full, half = corpus.half;
  const frames = corpus.total.frames, halfFrames = corpus.total.half_frames;
  // tshark -T json on one file: the node1 underlay, whose frames have the most layers (VXLAN)
  const oneIdx = Math.max(0, corpus.files.findIndex((f) => f.node === 'node1' && f.role === 'underlay'));
  const one = full[oneIdx], oneFrames = corpus.files[oneIdx].frames, oneName = corpus.files[oneIdx].file;
  const VX = ['-d', 'udp.port==8472,vxlan'];
  // order: each vxdecode command runs next to its reference, so that a burst of load from
  // elsewhere on the machine hits both rather than one
  return [
    { id: 'mergecap', label: 'mergecap -w /dev/null (all files)', group: 'reference', frames, runs: [['mergecap', '-w', '/dev/null', ...full]] },
    { id: 'vx_count', label: 'vxdecode --count (all files)', group: 'vxdecode', frames, runs: [vx('--count', ...full)] },
    { id: 'tcpdump', label: 'tcpdump -nn -e -r FILE (each file)', group: 'reference', frames, runs: full.map((f) => ['tcpdump', '-nn', '-e', '-r', f]) },
    { id: 'vx_text', label: 'vxdecode (text, all files)', group: 'vxdecode', frames, runs: [vx(...full)] },
    { id: 'vx_trace', label: 'vxdecode trace (all files, every timeline)', group: 'vxdecode', frames, runs: [vx('trace', ...full)] },
    { id: 'vx_analyze', label: 'vxdecode analyze (all files)', group: 'vxdecode', frames, runs: [vx('analyze', ...full)], okCodes: [0, 2], keepSummary: /packets traced from/ },
    { id: 'vx_json', label: 'vxdecode --json (all files)', group: 'vxdecode', frames, runs: [vx('--json', ...full)] },
    { id: 'tshark_json', label: `tshark -n -T json -d udp.port==8472,vxlan -r ${oneName}`, group: 'reference', frames: oneFrames, runs: [['tshark', '-n', '-T', 'json', '-r', one, ...VX]], maxReps: 3 },
    { id: 'vx_json_one', label: `vxdecode --json ${oneName}`, group: 'vxdecode', frames: oneFrames, runs: [vx('--json', one)] },
    { id: 'tshark', label: 'tshark -n -r FILE -d udp.port==8472,vxlan (each file)', group: 'reference', frames, runs: full.map((f) => ['tshark', '-n', '-r', f, ...VX]), maxReps: 3 },
    { id: 'vx_count_half', label: 'vxdecode --count (half corpus)', group: 'memory', frames: halfFrames, runs: [vx('--count', ...half)] },
    { id: 'vx_text_half', label: 'vxdecode (text, half corpus)', group: 'memory', frames: halfFrames, runs: [vx(...half)] },
  ];
}

/** quick check on a small bundled capture: does each vxdecode command work and print something? */
async function preflight(cmds) {
  const sample = path.join(ROOT, 'captures', 'vxlan-ping');
  const files = existsSync(sample) ? readdirSync(sample).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(sample, f)) : [];
  if (!files.length) return;
  const tmpOut = path.join(os.tmpdir(), `vxdecode-bench-pre.${process.pid}`);
  const sub = { vx_count: ['--count'], vx_text: [], vx_json: ['--json'], vx_trace: ['trace'], vx_analyze: ['analyze'] };
  for (const c of cmds) {
    const args = sub[c.id];
    if (!args) continue;
    const r = await runOnce([process.execPath, BIN, ...args, ...files], { timeoutS: 60, okCodes: c.okCodes ?? [0], stdoutFile: tmpOut });
    const printed = existsSync(tmpOut) ? statSync(tmpOut).size : 0;
    if (!r.ok || printed === 0) {
      c.unavailable = !r.ok ? r.reason : 'printed nothing on captures/vxlan-ping';
      log(`not available: ${c.label}: ${c.unavailable}`);
      // the same command on the half corpus follows the full one
      for (const d of cmds) if (d.id.startsWith(c.id + '_')) d.unavailable = c.unavailable;
    }
  }
  rmSync(tmpOut, { force: true });
}

async function timeAll(cmds, opts) {
  for (const c of cmds) { c.samples = []; }
  const load = [];
  opts.load = load;
  let reps = opts.reps;
  for (let rep = 1; rep <= reps; rep++) {
    const repStart = elapsed();
    load.push(os.loadavg()[0]);
    for (const c of cmds) {
      if (c.unavailable || rep > (c.maxReps ?? Infinity)) continue;
      let ms = 0, cpu = 0, rss = 0;
      // analyze prints little: keep its output (in a file instead of /dev/null) for its summary line
      const outFile = c.keepSummary ? path.join(os.tmpdir(), `vxdecode-bench-out.${process.pid}`) : undefined;
      for (const argv of c.runs) {
        const r = await runOnce(argv, { timeoutS: opts.timeout, okCodes: c.okCodes ?? [0], stdoutFile: outFile });
        if (outFile) {
          const text = readFileSync(outFile, 'utf8');
          c.summary = text.split('\n').find((l) => c.keepSummary.test(l)) ?? null;
          c.output_bytes = text.length;
          rmSync(outFile, { force: true });
        }
        if (!r.ok) { c.unavailable = r.reason; break; }
        ms += r.ms;
        cpu += r.cpu_ms ?? NaN;
        rss = Math.max(rss, r.rss_kb ?? 0);
      }
      if (c.unavailable) { log(`not available: ${c.label}: ${c.unavailable}`); continue; }
      c.samples.push({ ms, cpu_ms: Number.isFinite(cpu) ? cpu : null, rss_kb: rss || null });
      log(`rep ${rep}/${reps}  ${c.label.padEnd(58).slice(0, 58)} ${fmtS(ms).padStart(8)} (cpu ${fmtS(cpu).padStart(8)})  ${fmtMB(rss).padStart(7)}`);
    }
    if (rep === 1 && reps > 1) {
      // fit the remaining repetitions and the profiles (about 1.3 x text + json + trace + count)
      // in the budget; tshark (capped at 3 repetitions) drops out of the later ones
      const full = elapsed() - repStart;
      const capped = cmds.filter((c) => c.maxReps && c.samples.length).reduce((t, c) => t + c.samples[0].ms / 1000, 0);
      const prof = opts.profile ? 1.3 * ['vx_text', 'vx_json', 'vx_trace', 'vx_count']
        .map((id) => cmds.find((c) => c.id === id)).filter((c) => c && c.samples.length).reduce((t, c) => t + c.samples[0].ms / 1000, 0) : 0;
      const left = opts.budget * 60 - elapsed() - prof;
      const need = (r) => Math.max(0, Math.min(r, 3) - 1) * full + Math.max(0, r - 3) * (full - capped);
      let fit = reps;
      while (fit > 1 && need(fit) > left) fit--;
      if (fit < reps) {
        log(`one repetition takes ${full.toFixed(0)} s: ${fit} repetitions fit the ${opts.budget}-minute budget (asked for ${reps})`);
        opts.repsReduced = { asked: reps, ran: fit };
        reps = fit;
      }
    }
  }
  opts.repsRan = reps;
  for (const c of cmds) {
    if (!c.samples.length) continue;
    c.ms = median(c.samples.map((s) => s.ms));
    const cpus = c.samples.map((s) => s.cpu_ms).filter((x) => x != null);
    c.cpu_ms = cpus.length ? median(cpus) : null;
    const rs = c.samples.map((s) => s.rss_kb).filter((x) => x != null);
    c.rss_kb = rs.length ? Math.max(...rs) : null;
    c.rss_median_kb = rs.length ? median(rs) : null;
  }
}

// ------------------------------------------------------------------------------ 4. ratios
function targets(cmds) {
  const C = Object.fromEntries(cmds.map((c) => [c.id, c]));
  const ok = (c) => c && c.ms != null && !c.unavailable;
  const why = (...cs) => cs.filter((c) => !ok(c)).map((c) => `${c.label}: not available (${c.unavailable ?? 'not run'})`).join('; ');
  const perFrame = (c) => c.ms / c.frames;
  const T = [];
  const ratio = (name, a, b, op, limit, extra = {}) => {
    if (!ok(a) || !ok(b)) { T.push({ name, value: null, target: `${op} ${limit}`, result: 'N/A', note: why(a, b), ...extra }); return; }
    const v = extra.perFrame ? perFrame(a) / perFrame(b) : a.ms / b.ms;
    const cpu = a.cpu_ms && b.cpu_ms ? (a.cpu_ms / b.cpu_ms) * (extra.perFrame ? b.frames / a.frames : 1) : null;
    const pass = op === '≤' ? v <= limit : v >= limit;
    T.push({ name, value: v, cpu_ratio: cpu, unit: '×', detail: extra.detail?.(a, b) ?? `${fmtS(a.ms)} / ${fmtS(b.ms)}`, target: `${op} ${limit}${extra.aim ? ` (aim ${extra.aim})` : ''}`, result: pass ? 'PASS' : 'FAIL' });
  };
  ratio('vxdecode --count / mergecap', C.vx_count, C.mergecap, '≤', 4);
  ratio('vxdecode (text) / tcpdump -nn -e', C.vx_text, C.tcpdump, '≤', 1.0);
  ratio('vxdecode trace / tcpdump -nn -e', C.vx_trace, C.tcpdump, '≤', 1.0, { aim: 0.5 });
  ratio('tshark -T json / vxdecode --json, per frame', C.tshark_json, C.vx_json, '≥', 50, {
    perFrame: true,
    detail: (a, b) => `${(1000 * perFrame(a)).toFixed(1)} µs / ${(1000 * perFrame(b)).toFixed(2)} µs per frame`,
  });
  for (const c of [C.vx_trace, C.vx_analyze]) {
    const name = `peak RSS, ${c.label.replace(/ \(.*/, '')}`;
    if (!ok(c) || c.rss_kb == null) T.push({ name, value: null, target: '≤ 300 MB', result: 'N/A', note: why(c) });
    else T.push({ name, value: c.rss_kb / 1024, unit: 'MB', detail: fmtMB(c.rss_kb), target: '≤ 300 MB', result: c.rss_kb / 1024 <= 300 ? 'PASS' : 'FAIL' });
  }
  for (const [h, f] of [[C.vx_count_half, C.vx_count], [C.vx_text_half, C.vx_text]]) {
    const name = `peak RSS flat, ${f.label.replace(/ \(.*/, '')}: full / half corpus`;
    if (!ok(h) || !ok(f) || h.rss_kb == null || f.rss_kb == null) { T.push({ name, value: null, target: '≤ 1.10', result: 'N/A', note: why(h, f) }); continue; }
    // memory that follows the input would double with it; flat means within 10 %
    const v = f.rss_median_kb / h.rss_median_kb;
    T.push({ name, value: v, unit: '×', detail: `${fmtMB(f.rss_median_kb)} / ${fmtMB(h.rss_median_kb)} (input ${(f.frames / h.frames).toFixed(2)} ×)`, target: '≤ 1.10', result: v <= 1.1 ? 'PASS' : 'FAIL' });
  }
  // context, no target
  const info = [];
  const inf = (name, a, b, perF) => { if (ok(a) && ok(b)) info.push({ name, value: perF ? perFrame(a) / perFrame(b) : a.ms / b.ms }); };
  inf('vxdecode analyze / tcpdump -nn -e', C.vx_analyze, C.tcpdump);
  inf('tshark (text) / vxdecode (text)', C.tshark, C.vx_text);
  inf('tshark -T json / vxdecode --json on the same file, per frame', C.tshark_json, C.vx_json_one, true);
  inf('vxdecode --json / vxdecode (text)', C.vx_json, C.vx_text);
  return { targets: T, info };
}

// ------------------------------------------------------------------------------ 5. profiles
async function profiles(cmds, corpus, opts) {
  const dir = path.join(path.dirname(corpus.full[0]), '..', 'profiles');
  rmSync(dir, { recursive: true, force: true });
  const want = [
    ['vx_text', 'text decode', []],
    ['vx_json', '--json', ['--json']],
    ['vx_trace', 'trace', ['trace']],
    ['vx_count', '--count', ['--count']],
  ];
  const out = [];
  for (const [id, title, args] of want) {
    const c = cmds.find((x) => x.id === id);
    if (!c || c.unavailable) { out.push({ id, title, unavailable: c?.unavailable ?? 'not run' }); continue; }
    const pdir = path.join(dir, id);
    mkdirSync(pdir, { recursive: true });
    log(`profiling ${title}: node --cpu-prof ${path.relative(BUILD_ROOT, BIN)} ${args.join(' ')} <all files>`);
    const r = await runOnce([process.execPath, '--cpu-prof', '--cpu-prof-dir', pdir, BIN, ...args, ...corpus.full],
      { timeoutS: opts.timeout * 2, okCodes: c.okCodes ?? [0] });
    const files = existsSync(pdir) ? readdirSync(pdir).filter((f) => f.endsWith('.cpuprofile')) : [];
    if (!r.ok || !files.length) { out.push({ id, title, unavailable: r.reason ?? 'no .cpuprofile written' }); continue; }
    const file = path.join(pdir, files[0]);
    const s = summarise(JSON.parse(readFileSync(file, 'utf8')), { root: BUILD_ROOT });
    out.push({ id, title, file, ms: r.ms, summary: s });
  }
  return out;
}

// ------------------------------------------------------------------------------ machine, report
function machine() {
  const cpu = os.cpus();
  const git = (a) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean).length;
  return {
    date: new Date().toISOString(),
    cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, ram_gb: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`, node: process.version,
    tcpdump: firstLine('tcpdump', ['--version']), libpcap: (spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).stdout || '').split('\n')[1] ?? '',
    tshark: firstLine('tshark', ['--version']), mergecap: firstLine('mergecap', ['--version']),
    vxdecode: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ` + ${dirty} uncommitted changes` : ''}`,
    loadavg_start: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

function report(M, corpus, cmds, T, opts, build, profs) {
  const L = [];
  const ratioTxt = (t) => (t.value == null ? '—' : t.unit === 'MB' ? t.detail : `${t.value.toFixed(t.value >= 10 ? 0 : 2)} ×`);
  L.push('# vxdecode benchmark results', '');
  L.push(`Written by \`npm run bench\` (scripts/bench/run.mjs; method in [docs/bench.md](../docs/bench.md)). `
    + `Every command read the same files in one run; ${opts.repsRan} interleaved repetitions, median shown`
    + `${opts.repsReduced ? ` (asked for ${opts.repsReduced.asked}, reduced to fit the time budget)` : ''}.`, '');
  L.push(`- **Date**: ${M.date}`);
  L.push(`- **Machine**: ${M.cpu}, ${M.cores} cores, ${M.ram_gb} GiB RAM, ${M.kernel}; 1-minute load average ${M.load_range} during the timings (other work on the machine shows up here)`);
  L.push(`- **Software**: Node ${M.node}; ${M.tcpdump} (${M.libpcap}); ${M.tshark}; ${M.mergecap}`);
  L.push(`- **vxdecode**: ${M.vxdecode}${build.errors ? ` (build had ${build.errors})` : ''}`);
  L.push(`- **Corpus**: lab UDP load pod1 → pod2 through the VXLAN path (\`${corpus.lab_command}\`), one nanosecond pcap per interface: `
    + `${corpus.files.length} files, ${fmtN(corpus.total.frames)} frames (capinfos), ${(corpus.total.bytes / 1e6).toFixed(1)} MB, `
    + `kernel drops ${fmtN(corpus.total.kernel_drops)}; half corpus (first half of each file) ${fmtN(corpus.total.half_frames)} frames, ${(corpus.total.half_bytes / 1e6).toFixed(1)} MB`, '');
  L.push('## Targets', '', 'Wall-clock medians decide; the CPU-time ratio (user + system, all threads) is shown because it is less '
    + 'sensitive to other load on the machine.', '',
    '| target | measured (wall, median) | ratio | CPU-time ratio | goal | result |', '|---|---|---:|---:|---|---|');
  for (const t of T.targets) {
    const cpu = t.cpu_ratio == null ? '' : `${t.cpu_ratio.toFixed(t.cpu_ratio >= 10 ? 0 : 2)} ×`;
    L.push(`| ${t.name} | ${t.value == null ? t.note : t.detail} | ${ratioTxt(t)} | ${cpu} | ${t.target} | **${t.result}** |`);
  }
  if (T.info.length) {
    L.push('', 'Context (no target):', '');
    for (const i of T.info) L.push(`- ${i.name}: ${i.value.toFixed(i.value >= 10 ? 0 : 2)} ×`);
  }
  L.push('', '## Timings', '', '| command | frames | median | runs | frames/s | CPU time | peak RSS |', '|---|---:|---:|---|---:|---:|---:|');
  for (const c of cmds) {
    if (c.unavailable && !c.samples?.length) { L.push(`| \`${c.label}\` | ${fmtN(c.frames)} | not available | ${c.unavailable.replace(/\|/g, '\\|')} | | | |`); continue; }
    if (c.unavailable) { L.push(`| \`${c.label}\` | ${fmtN(c.frames)} | failed | ${c.unavailable.replace(/\|/g, '\\|')} | | | |`); continue; }
    L.push(`| \`${c.label}\` | ${fmtN(c.frames)} | ${fmtS(c.ms)} | ${c.samples.map((s) => fmtS(s.ms)).join(', ')} | ${fmtRate(c.frames, c.ms)} | ${fmtS(c.cpu_ms)} | ${fmtMB(c.rss_kb)} |`);
  }
  L.push('', 'Per-file commands (tcpdump, tshark) are the sum over the ten files, peak RSS the largest; '
    + 'output goes to /dev/null (analyze: to a file, for its summary line); peak RSS is `/usr/bin/time -f %M`, CPU time `%U + %S`.', '');
  const an = cmds.find((c) => c.id === 'vx_analyze');
  if (an?.summary) L.push(`vxdecode analyze on the corpus: \`${an.summary.trim()}\``, '');
  L.push('## Corpus', '', '| file | node | interface | role | frames | kernel drops | MB |', '|---|---|---|---|---:|---:|---:|');
  for (const f of corpus.files) L.push(`| ${f.file} | ${f.node} | ${f.iface} | ${f.role} | ${fmtN(f.frames)} | ${f.kernel_drops} | ${(f.bytes / 1e6).toFixed(1)} |`);
  L.push(`| **total** | | | | **${fmtN(corpus.total.frames)}** | **${corpus.total.kernel_drops}** | **${(corpus.total.bytes / 1e6).toFixed(1)}** |`, '');
  L.push(`${fmtN(opts.datagrams)} datagrams of ${opts.udpSize} B were sent at ${opts.udpRate}bit/s; each crosses ten interfaces, so a loss-free capture has ${fmtN(corpus.total.expected_frames)} frames of load plus a few of iperf3's control connection and ARP. `
    + `${corpus.vx_counted != null ? `vxdecode --count read ${fmtN(corpus.vx_counted)} frames.` : ''}`);
  if (profs?.length) {
    L.push('', '## Profile (node --cpu-prof), top self time', '');
    for (const p of profs) {
      if (p.unavailable) { L.push(`- ${p.title}: not available (${p.unavailable})`); continue; }
      const top = p.summary.functions.slice(0, 5).map((f) => `\`${f.fn}\` ${f.self_pct.toFixed(0)} %`).join(', ');
      L.push(`- ${p.title}: ${top}`);
    }
    L.push('', 'Full tables and what to change: [docs/bench.md](../docs/bench.md).');
  }
  return L.join('\n') + '\n';
}

const PROFILE_BEGIN = '<!-- bench:profile:begin (written by npm run bench; edit outside these markers) -->';
const PROFILE_END = '<!-- bench:profile:end -->';

function writeProfileDoc(profs, M, corpus) {
  const file = path.join(ROOT, 'docs', 'bench.md');
  const block = [PROFILE_BEGIN, '',
    `Measured ${M.date} on ${M.cpu} (${M.cores} cores), Node ${M.node}, vxdecode ${M.vxdecode}; `
    + `each profile is one run over the whole corpus (${fmtN(corpus.total.frames)} frames), output to /dev/null. `
    + `"self" is time in the function itself, "total" includes what it calls; locations are mapped back to src/ through the source maps. `
    + 'The .cpuprofile files stay in the corpus cache (`<corpus>/profiles/`) for Chrome DevTools or speedscope, next to the build they profiled '
    + '(`<corpus>/build/`; `node scripts/bench/cpuprofile.mjs FILE --root <corpus>/build`).', ''];
  for (const p of profs) {
    block.push(`#### ${p.title}`, '');
    if (p.unavailable) { block.push(`not available: ${p.unavailable}`, ''); continue; }
    block.push(`Wall time under the profiler: ${fmtS(p.ms)}. `, profileMarkdown(p.summary, { top: 15, modulesTop: 8 }), '');
  }
  block.push(PROFILE_END);
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# vxdecode benchmark\n\n## Profile\n\n' + PROFILE_BEGIN + '\n' + PROFILE_END + '\n';
  const a = doc.indexOf(PROFILE_BEGIN), b = doc.indexOf(PROFILE_END);
  if (a < 0 || b < a) doc += `\n## Profile\n\n${block.join('\n')}\n`;
  else doc = doc.slice(0, a) + block.join('\n') + doc.slice(b + PROFILE_END.length);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, doc);
}

// ------------------------------------------------------------------------------ main
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  log(`vxdecode bench: ${opts.reps} repetitions, corpus cache ${opts.corpus}`);
  ensureTools(opts);
  const build = ensureBuild();
  const corpus = await ensureCorpus(opts);
  snapshotBuild(path.join(path.dirname(corpus.full[0]), '..'));
  const M = machine();

  // warm the page cache so that no command pays for the first read
  for (const f of [...corpus.full, ...corpus.half]) readFileSync(f);
  const cmds = commands(corpus);
  await preflight(cmds);
  // actual frame count as vxdecode sees it (the capture files, not what the load should have made)
  const cnt = cmds.find((c) => c.id === 'vx_count');
  if (!cnt.unavailable) {
    const r = spawnSync(process.execPath, [BIN, '--count', '--json', ...corpus.full], { encoding: 'utf8' });
    try { corpus.vx_counted = JSON.parse(r.stdout).frames; } catch { corpus.vx_counted = null; }
    if (corpus.vx_counted != null && corpus.vx_counted !== corpus.total.frames) {
      log(`warning: vxdecode --count read ${corpus.vx_counted} frames, capinfos ${corpus.total.frames}`);
    }
  }

  if (opts.profileOnly) {
    const profs = await profiles(cmds, corpus, opts);
    if (opts.write) writeProfileDoc(profs, M, corpus);
    for (const p of profs) process.stdout.write(`\n## ${p.title}\n\n${p.unavailable ? `not available: ${p.unavailable}` : profileMarkdown(p.summary)}\n`);
    log(`done in ${Math.round(elapsed())} s${opts.write ? ': wrote the profile section of docs/bench.md' : ''}`);
    return 0;
  }
  log(`timing ${cmds.filter((c) => !c.unavailable).length} commands x ${opts.reps} repetitions (interleaved)`);
  await timeAll(cmds, opts);
  const T = targets(cmds);
  const profs = opts.profile ? await profiles(cmds, corpus, opts) : null;
  M.loadavg_end = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  M.load_range = opts.load?.length ? `${Math.min(...opts.load).toFixed(1)}–${Math.max(...opts.load, os.loadavg()[0]).toFixed(1)}` : M.loadavg_end;
  M.seconds = Math.round(elapsed());

  const md = report(M, corpus, cmds, T, opts, build, profs);
  process.stdout.write('\n' + md);
  if (opts.write) {
    mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results.md'), md);
    const json = {
      schema: 'vxdecode-bench/1', machine: M, reps: opts.repsRan, load_per_rep: opts.load, reps_reduced: opts.repsReduced ?? null, build,
      corpus: { ...corpus, full: undefined, half: undefined, dir: undefined },
      commands: cmds.map((c) => ({ id: c.id, label: c.label, frames: c.frames, median_ms: c.ms ?? null,
        runs_ms: c.samples.map((s) => +s.ms.toFixed(1)), median_cpu_ms: c.cpu_ms ?? null, runs_cpu_ms: c.samples.map((s) => s.cpu_ms), peak_rss_kb: c.rss_kb ?? null, runs_rss_kb: c.samples.map((s) => s.rss_kb),
        unavailable: c.unavailable ?? null, summary: c.summary ?? undefined })),
      targets: T.targets, context: T.info,
      profiles: profs?.map((p) => (p.unavailable ? { id: p.id, unavailable: p.unavailable }
        : { id: p.id, ms: p.ms, total_ms: p.summary.total_ms, top: p.summary.functions.slice(0, 20), modules: p.summary.modules.slice(0, 12) })) ?? null,
    };
    writeFileSync(path.join(ROOT, 'bench', 'results.json'), JSON.stringify(json, null, 1) + '\n');
    if (profs) writeProfileDoc(profs, M, corpus);
    log(`wrote bench/results.md, bench/results.json${profs ? ', docs/bench.md (profile section)' : ''}`);
  }
  const fails = T.targets.filter((t) => t.result !== 'PASS');
  log(`done in ${M.seconds} s: ${T.targets.length - fails.length} of ${T.targets.length} targets met`
    + (fails.length ? ` (${fails.map((t) => `${t.name}: ${t.result}`).join('; ')})` : ''));
  // the bench measures; it succeeds when it ran, whatever the ratios (they are in the report)
  return opts.strict && fails.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`bench: internal error: ${e?.stack ?? e}\n`);
  process.exitCode = 3;
});
