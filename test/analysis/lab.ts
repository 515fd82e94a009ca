/**
 * The lab's committed captures (captures/<scenario>/ with topology.json), and running the trace
 * pipeline over them the way the CLI does.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openInputs } from '../../src/cli/inputs.js';
import { Ports } from '../../src/analysis/extract.js';
import { RoleOverrides } from '../../src/analysis/roles.js';
import { runPipeline, type PipelineResult, type SkewMode } from '../../src/analysis/run.js';
import type { Trace } from '../../src/analysis/timeline.js';
import type { Obs, ArpObs } from '../../src/analysis/extract.js';
import type { IfaceInfo } from '../../src/analysis/topology.js';

export const CAPTURES = fileURLToPath(new URL('../../captures/', import.meta.url));

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Scenario {
  readonly name: string;
  readonly dir: string;
  readonly topo: any;
  /** Capture files, as given to the CLI (labels not needed: the lab names files NODE-IFACE). */
  readonly files: string[];
  /** `--links NODE=FILE` for `-i any` captures. */
  readonly links: string[];
}

export function scenarios(): Scenario[] {
  if (!existsSync(CAPTURES)) return [];
  const out: Scenario[] = [];
  for (const name of readdirSync(CAPTURES).sort()) {
    const dir = join(CAPTURES, name);
    const tp = join(dir, 'topology.json');
    if (!existsSync(tp)) continue;
    const topo = JSON.parse(readFileSync(tp, 'utf8'));
    const files = (topo.captures as any[]).map((c) => join(dir, c.file)).filter((f) => existsSync(f));
    const links = (topo.nodes as any[])
      .filter((n) => (topo.captures as any[]).some((c) => c.node === n.name && c.iface === 'any'))
      .map((n) => `${n.name}=${join(dir, n.links)}`);
    out.push({ name, dir, topo, files, links });
  }
  return out;
}

export function scenario(name: string): Scenario | undefined {
  return scenarios().find((s) => s.name === name);
}

export interface Traced {
  /** The traces (none with `render`: they are not kept, only what it made of each). */
  traces: Trace[];
  rendered: string[];
  result: PipelineResult;
  obs: Obs[];
  arps: ArpObs[];
  ifaces: Set<IfaceInfo>;
}

export async function traceFiles(
  files: string[],
  opts: {
    links?: string[];
    skew?: SkewMode;
    windowNs?: number;
    checksums?: boolean;
    vxlanPorts?: number[];
    keepObs?: boolean;
    /** Render each trace as it comes and keep only that; the engine may then reuse its sightings (EngineOptions.reuse). */
    render?: (t: Trace) => string[];
  } = {},
): Promise<Traced> {
  const lines: string[] = [];
  const opened = openInputs({ files, links: opts.links }, (l) => lines.push(l));
  const traces: Trace[] = [];
  const rendered: string[] = [];
  const render = opts.render;
  const obs: Obs[] = [];
  const arps: ArpObs[] = [];
  const ifaces = new Set<IfaceInfo>();
  const result = await runPipeline(
    opened.inputs,
    opened.registry,
    {
      files,
      links: opts.links,
      ports: new Ports({ checksums: opts.checksums, vxlanPorts: opts.vxlanPorts }),
      roles: new RoleOverrides(),
      windowNs: opts.windowNs ?? 1e9,
      skew: opts.skew ?? { mode: 'auto' },
    },
    {
      onTrace: render ? (t) => rendered.push(...render(t)) : (t) => traces.push(t),
      reuse: render !== undefined,
      onObs: opts.keepObs
        ? (o, i) => {
            obs.push(o);
            ifaces.add(i);
          }
        : undefined,
      onArp: opts.keepObs ? (a) => arps.push(a) : undefined,
    },
  );
  if (lines.length) throw new Error(lines.join('\n'));
  return { traces, rendered, result, obs, arps, ifaces };
}

export function traceScenario(s: Scenario, opts: Parameters<typeof traceFiles>[1] = {}): Promise<Traced> {
  const vx = s.topo.vxlan?.port;
  return traceFiles(s.files, { links: s.links, ...(vx && vx !== 4789 && vx !== 8472 ? { vxlanPorts: [vx] } : {}), ...opts });
}

/** `node iface` of each hop. */
export function hopNames(t: Trace): string[] {
  return t.hops.map((h) => `${h.iface.node} ${h.iface.name}`);
}
