/**
 * `vxdecode analyze FILE...`: findings (src/analysis/findings.ts) ordered by severity, each with
 * its evidence, then the clock offsets and the per-hop latency. `--json` prints one object:
 * {"findings": [...], "skew": [...], "latency": [...], "summary": {...}} (docs/trace.md).
 * Exit status 2 when an error-severity finding exists.
 */
import { Analyzer, SEVERITY_RANK, type Finding, type Severity } from '../analysis/findings.js';
import { latencyText, skewText } from '../analysis/format.js';
import { runPipeline } from '../analysis/run.js';
import type { Trace } from '../analysis/timeline.js';
import type { TraceEngine } from '../analysis/engine.js';
import { escapeText } from './escape.js';
import { onInterrupt } from './signals.js';
import { openInputs, reportInputs } from './inputs.js';
import type { Output } from './output.js';
import { lateWarning, pipelineSettings, type AnalysisArgs } from './trace.js';

export interface AnalyzeArgs extends AnalysisArgs {
  minSeverity?: Severity;
}

function evidenceText(f: Finding): string {
  const parts: string[] = [];
  if (f.packets.length) parts.push(`packets ${f.packets.join(', ')}`);
  const byFile = new Map<string, number[]>();
  for (const e of f.frames) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e.frame]);
  for (const [file, frames] of byFile) parts.push(`${escapeText(file)} frame${frames.length > 1 ? 's' : ''} ${frames.join(', ')}`);
  return parts.join('; ');
}

export function findingText(f: Finding): string[] {
  const path = f.kind === 'drop' || f.kind === 'vxlan-no-encap' || f.kind === 'latency' || (f.kind === 'checksum' && f.severity === 'error');
  const where = f.ifaces.length > 1 ? f.ifaces.map(escapeText).join(path ? ' → ' : ', ') : f.iface ? escapeText(f.iface) : '';
  const lines = [`${f.severity.padEnd(7)} ${f.kind}  ${escapeText(f.node)}${where ? `  ${where}` : ''}`];
  const msg = f.message.endsWith(`Check: ${f.check}`) ? f.message.slice(0, -(f.check.length + 8)).trimEnd() : f.message;
  lines.push(`  ${escapeText(msg)}`);
  if (!f.message.endsWith(`Check: ${f.check}`) || f.check) lines.push(`  Check: ${escapeText(f.check)}`);
  const ev = evidenceText(f);
  if (ev) lines.push(`  Evidence: ${ev}`);
  return lines;
}

export interface AnalysisResult {
  findings: Finding[];
  engine: TraceEngine;
  skew: import('../analysis/skew.js').SkewEstimate[];
}

/** Run the analysis (shared with the tests). */
export async function analyzeInputs(a: AnalyzeArgs, stderr: (l: string) => void, stopped?: () => boolean, signal?: AbortSignal) {
  const settings = pipelineSettings(a, true);
  const opened = openInputs(a, stderr);
  let analyzer: Analyzer | undefined;
  const lost: Trace[] = [];
  const result = await runPipeline(
    opened.inputs,
    opened.registry,
    { files: a.files, ifnames: a.ifnames, links: a.links, ...settings, stopped, signal },
    {
      onObs: (o, i) => analyzer!.onObs(o, i),
      onArp: (x, i) => analyzer!.onArp(x, i),
      onTrace: (t) => {
        if (t.verdict.status === 'lost' && lost.length < 10000) lost.push(t);
        analyzer!.onTrace(t);
      },
    },
    undefined,
    (engine) => {
      analyzer = new Analyzer(engine.topo);
    },
  );
  const findings = analyzer ? analyzer.finish(result.skew, result.engine.latency.rows(), lost) : [];
  return { findings, result, opened };
}

export async function runAnalyze(a: AnalyzeArgs, out: Output, stderr: (l: string) => void): Promise<number> {
  const intr = onInterrupt(stderr);
  const { findings: all, result, opened } = await analyzeInputs(a, stderr, () => out.closed, intr.signal);
  const min = SEVERITY_RANK[a.minSeverity ?? 'info'];
  const findings = all.filter((f) => SEVERITY_RANK[f.severity] <= min);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of all) counts[f.severity]++;
  const e = result.engine;
  const summary = {
    frames: e.frames,
    packets: e.traced,
    delivered: e.verdicts.delivered,
    lost: e.verdicts.lost,
    incomplete: e.verdicts.incomplete,
    errors: counts.error,
    warnings: counts.warning,
    info: counts.info,
  };
  if (a.json) {
    out.line(JSON.stringify({ findings, skew: result.skew, latency: e.latency.rows(), summary }));
  } else {
    for (const f of findings) {
      for (const l of findingText(f)) out.line(l);
      out.line('');
    }
    out.line(
      `${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, ${counts.info} info` +
        ` (${e.traced} packets traced from ${e.frames} frames: ${e.verdicts.delivered} delivered, ${e.verdicts.lost} lost, ${e.verdicts.incomplete} incomplete)`,
    );
    const sk = skewText(result.skew);
    if (sk.length) {
      out.line('');
      for (const l of sk) out.line(l.replace(/^# /, ''));
    }
    for (const l of latencyText(e.latency.rows())) out.line(l);
  }
  await out.end();
  intr.dispose();
  if (intr.received) stderr(`vxdecode: interrupted (${intr.received}): analysed what was read (${e.frames} frames)`);
  if (out.failure) {
    stderr(`vxdecode: cannot write output: ${escapeText(out.failure.message)}`);
    return 1;
  }
  lateWarning(result, stderr);
  if (reportInputs(opened, stderr)) return 1;
  return counts.error ? 2 : 0;
}
