/**
 * `vxdecode trace FILE...`: one hop timeline per inner packet, correlated across every input,
 * then a per-flow summary and per-hop latency statistics (text), or one JSON object per packet
 * and a final summary object (`--json`; docs/trace.md).
 */
import type { Frame } from '../capture/frame.js';
import { UsageError } from '../capture/input.js';
import { dissect } from '../decoders/index.js';
import type { PacketFilter } from '../filter/index.js';
import { parseIp } from '../analysis/addr.js';
import { Ports } from '../analysis/extract.js';
import { skewText, summaryJson, summaryText, traceJson, writeTrace, type TextContext } from '../analysis/format.js';
import { RoleOverrides } from '../analysis/roles.js';
import { parseDurationNs, parseSkewOption, runPipeline, type PipelineResult, type SkewMode } from '../analysis/run.js';
import type { Trace, VerdictStatus } from '../analysis/timeline.js';
import { protoName } from '../analysis/stats.js';
import { escapeText } from './escape.js';
import { openInputs, reportInputs, type InputOptions } from './inputs.js';
import type { Output } from './output.js';
import { PcapngFile, TraceWriter } from './write.js';
import { onInterrupt } from './signals.js';

export interface AnalysisArgs extends InputOptions {
  json?: boolean;
  decode: { vxlanPorts: number[]; heuristics: boolean };
  window?: string;
  skew?: string;
  role?: string[];
  reorder?: string;
  /** `-Y`: only frames the display filter keeps are traced. */
  filter?: PacketFilter;
}

export interface TraceArgs extends AnalysisArgs {
  flow?: string[];
  packet?: (string | number)[];
  verdict?: string[];
  quiet?: boolean;
  /** `--write FILE.pcapng`: the frames read, each traced one commented with its packet and hop. */
  write?: string;
}

/** Shared option parsing of trace and analyze. */
export function pipelineSettings(a: AnalysisArgs, checksums: boolean): {
  ports: Ports;
  roles: RoleOverrides;
  windowNs: number;
  skew: SkewMode;
  reorderNs?: number;
  frameFilter?: (f: Frame) => boolean;
} {
  const roles = new RoleOverrides();
  for (const r of a.role ?? []) roles.add(r);
  let windowNs: number;
  let skew: SkewMode;
  try {
    windowNs = parseDurationNs(a.window ?? '1s');
  } catch (e) {
    throw new UsageError(`--window: ${(e as Error).message}`);
  }
  if (!(windowNs > 0)) throw new UsageError('--window must be more than 0');
  try {
    skew = parseSkewOption(a.skew);
  } catch (e) {
    throw new UsageError(`--skew: ${(e as Error).message}; or off, auto`);
  }
  let reorderNs: number | undefined;
  if (a.reorder !== undefined) {
    try {
      reorderNs = parseDurationNs(a.reorder);
    } catch (e) {
      throw new UsageError(`--reorder: ${(e as Error).message}`);
    }
  }
  const keep = a.filter;
  const frameFilter = keep && ((f: Frame) => keep(dissect(f, a.decode)));
  return { ports: new Ports({ vxlanPorts: a.decode.vxlanPorts, heuristics: a.decode.heuristics, checksums }), roles, windowNs, skew, reorderNs, frameFilter };
}

type FlowTerm = (t: Trace) => boolean;

/** `--flow`: terms that must all match: tcp|udp|icmp, IP, IP:PORT, :PORT, A>B (each side IP[:PORT]). */
export function parseFlow(spec: string): FlowTerm {
  const terms: FlowTerm[] = [];
  for (const raw of spec.split(/[\s,]+/).filter(Boolean)) {
    const term = raw.toLowerCase();
    if (term === 'tcp' || term === 'udp' || term === 'icmp') {
      terms.push((t) => protoName(t.hops[0].obs.proto) === term);
      continue;
    }
    const gt = term.indexOf('>');
    if (gt >= 0) {
      const a = endpoint(term.slice(0, gt), raw);
      const b = endpoint(term.slice(gt + 1), raw);
      terms.push((t) => t.hops.some((h) => a(h.obs.src, h.obs.sport)) && t.hops.some((h) => b(h.obs.dst, h.obs.dport)));
      continue;
    }
    const e = endpoint(term, raw);
    terms.push((t) => t.hops.some((h) => e(h.obs.src, h.obs.sport) || e(h.obs.dst, h.obs.dport)));
  }
  return (t) => terms.every((f) => f(t));
}

function endpoint(s: string, raw: string): (ip: number, port: number) => boolean {
  if (s === '' || s === '*') return () => true;
  const m = /^([\d.]*)(?::(\d+))?$/.exec(s);
  const ip = m && m[1] ? parseIp(m[1]) : undefined;
  if (!m || (m[1] && ip === undefined) || (!m[1] && !m[2])) throw new UsageError(`--flow: "${raw}" is not tcp|udp|icmp, IP, IP:PORT, :PORT or A>B`);
  const port = m[2] !== undefined ? Number(m[2]) : undefined;
  return (a, p) => (ip === undefined || a === ip) && (port === undefined || p === port);
}

export function parsePackets(list: (string | number)[]): Set<number> {
  const s = new Set<number>();
  for (const item of list) {
    for (const part of String(item).split(',')) {
      const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
      if (!m) throw new UsageError(`--packet: "${part}" is not a packet number or range (12, 3-7)`);
      const a = Number(m[1]);
      const b = m[2] ? Number(m[2]) : a;
      if (b - a > 1e6) throw new UsageError(`--packet: range ${part} is too large`);
      for (let k = a; k <= b; k++) s.add(k);
    }
  }
  return s;
}

export async function runTrace(a: TraceArgs, out: Output, stderr: (l: string) => void): Promise<number> {
  const settings = pipelineSettings(a, false);
  const flow = (a.flow ?? []).map(parseFlow);
  const packets = a.packet?.length ? parsePackets(a.packet) : undefined;
  const verdicts = new Set<VerdictStatus>();
  for (const v of a.verdict ?? []) {
    for (const x of v.split(',')) {
      if (x !== 'delivered' && x !== 'lost' && x !== 'incomplete') throw new UsageError(`--verdict: "${x}" is not delivered, lost or incomplete`);
      verdicts.add(x);
    }
  }
  const file = a.write ? PcapngFile.open(a.write, { inputs: a.files }) : undefined;
  const tw = file ? new TraceWriter(file, { windowNs: settings.windowNs }) : undefined;
  let opened: ReturnType<typeof openInputs>;
  try {
    opened = openInputs(a, stderr);
  } catch (e) {
    await file?.close();
    throw e;
  }
  const intr = onInterrupt(stderr);
  let offsets: ReadonlyMap<string, number> = new Map();
  let ctxText: TextContext = { offsets };
  let shown = 0;
  let headerDone = false;
  const header = (skew: PipelineResult['skew']): void => {
    if (headerDone) return;
    headerDone = true;
    if (!a.json) for (const l of skewText(skew)) out.line(l);
  };
  let pendingSkew: PipelineResult['skew'] = [];
  const result = await runPipeline(
    opened.inputs,
    opened.registry,
    {
      files: a.files,
      ifnames: a.ifnames,
      links: a.links,
      ...settings,
      stopped: () => out.closed,
      signal: intr.signal,
      afterBatch: (live) => {
        tw?.afterBatch();
        return live ? out.flush() : out.maybeFlush();
      },
    },
    {
      onFrame: tw ? (f, x) => tw.frame(f, x !== undefined && x.kind === 1) : undefined,
      // a trace is printed and forgotten (-w keeps them a while)
      reuse: !tw,
      onTrace: (t) => {
        const keep =
          (!packets || packets.has(t.id)) &&
          (!verdicts.size || verdicts.has(t.verdict.status)) &&
          (!flow.length || flow.every((f) => f(t)));
        tw?.trace(t, keep);
        if (!keep) return;
        shown++;
        if (a.quiet) return;
        header(pendingSkew);
        if (a.json) out.line(JSON.stringify(traceJson(t, offsets)));
        else {
          writeTrace(t, ctxText, out);
          out.line('');
        }
      },
    },
    (skew, offs) => {
      pendingSkew = skew;
      offsets = offs;
      ctxText = { offsets };
      tw?.setOffsets(offs);
      header(skew);
    },
  );
  tw?.finish();
  const writeError = file ? await file.close() : undefined;
  header(result.skew);
  if (a.json) out.line(JSON.stringify(summaryJson(result.engine, result.skew)));
  else for (const l of summaryText(result.engine, shown)) out.line(l);
  await out.end();
  intr.dispose();
  if (intr.received) stderr(`vxdecode: interrupted (${intr.received}): ${result.engine.frames} frames read, ${result.engine.traced} packets traced`);
  if (out.failure) {
    stderr(`vxdecode: cannot write output: ${escapeText(out.failure.message)}`);
    return 1;
  }
  lateWarning(result, stderr);
  if (writeError) {
    stderr(file!.failureLine() ?? `vxdecode: cannot write ${escapeText(a.write!)}: ${escapeText(writeError.message)}`);
    return 1;
  }
  return reportInputs(opened, stderr) ? 1 : 0;
}

/** Frames too far out of timestamp order to be put back: say so, and how to fix it. */
export function lateWarning(r: PipelineResult, stderr: (l: string) => void): void {
  const e = r.engine;
  if (!e.late) return;
  const ms = Math.ceil(e.maxLateNs / 1e6);
  stderr(
    `vxdecode: warning: ${e.late} frames arrived up to ${ms} ms out of timestamp order (a pcapng with several interfaces?); ` +
      `their timelines may be split: try --reorder ${Math.max(2, Math.ceil((ms * 2) / 1000))}s`,
  );
}
