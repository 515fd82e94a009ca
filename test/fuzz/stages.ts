/** The stages every fuzz case goes through after the reader, with the invariants they keep. */
import type { Frame } from '../../src/capture/frame.js';
import { dissect } from '../../src/decoders/index.js';
import type { Packet } from '../../src/decoders/layer.js';
import { packetDetail, packetLine } from '../../src/cli/packet-text.js';
import { frameJson } from '../../src/cli/decode.js';
import type { Stage } from './harness.js';
import { TraceEngine } from '../../src/analysis/engine.js';
import { Analyzer } from '../../src/analysis/findings.js';
import { Ports } from '../../src/analysis/extract.js';
import { traceJson, traceText } from '../../src/analysis/format.js';
import type { Trace } from '../../src/analysis/timeline.js';

/** A layer stays inside its frame, and no number is NaN (a read past the captured bytes). */
export function checkPacket(p: Packet): string | undefined {
  const caplen = p.frame.caplen;
  for (const l of p.layers) {
    if (!(l.offset >= 0 && l.offset + l.header_length <= caplen)) {
      return `${l.layer} layer at ${l.offset}+${l.header_length} lies outside the ${caplen} captured bytes`;
    }
    if (l.layer === 'raw' && !(l.offset + (l.length as number) <= caplen)) {
      return `raw layer at ${l.offset}+${String(l.length)} lies outside the ${caplen} captured bytes`;
    }
    const bad = findNaN(l);
    if (bad) return `${l.layer}.${bad} is not a number (read past the captured bytes?)`;
  }
  if (p.error && !(p.error.offset >= 0 && p.error.offset <= caplen)) return `error offset ${p.error.offset} outside the frame`;
  return undefined;
}

function findNaN(o: unknown, depth = 0): string | undefined {
  if (depth > 6 || o === null || typeof o !== 'object') return undefined;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (typeof v === 'number' && Number.isNaN(v)) return k;
    if (typeof v === 'string' && v.includes('undefined')) return k;
    const inner = findNaN(v, depth + 1);
    if (inner) return `${k}.${inner}`;
  }
  return undefined;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export const decodeStage: Stage = {
  name: 'decoders',
  frame(f: Frame) {
    const p = dissect(f);
    const bad = checkPacket(p);
    if (bad) return bad;
    const text = [packetLine(p), ...packetDetail(p)].join('\n');
    if (CONTROL.test(text)) return 'text output holds a control character';
    JSON.parse(JSON.stringify(frameJson(p)));
    return undefined;
  },
};

/**
 * trace and analyze over the case's frames: the correlation engine, every timeline formatted
 * as text and JSON, and the findings at the end.
 */
export function analysisStage(): Stage {
  let engine: TraceEngine;
  let analyzer: Analyzer;
  let seen: Set<number>;
  let lost: Trace[];
  let problem: string | undefined;
  const check = (t: Trace): void => {
    analyzer.onTrace(t);
    if (t.verdict.status === 'lost') lost.push(t);
    const text = traceText(t, { offsets: new Map() }).join('\n');
    if (CONTROL.test(text)) problem ??= 'trace text holds a control character';
    JSON.parse(JSON.stringify(traceJson(t, new Map())));
  };
  return {
    name: 'trace+analyze',
    reset() {
      seen = new Set();
      lost = [];
      problem = undefined;
      engine = new TraceEngine({
        windowNs: 1e9,
        ports: new Ports({ checksums: true }),
        onTrace: check,
        onObs: (o, i) => analyzer.onObs(o, i),
        onArp: (x, i) => analyzer.onArp(x, i),
      });
      analyzer = new Analyzer(engine.topo);
    },
    frame(f: Frame) {
      if (!seen.has(f.source.id)) {
        seen.add(f.source.id);
        engine.registerSources([f.source]);
      }
      engine.push(f);
      return problem;
    },
    end() {
      engine.finish();
      const findings = analyzer.finish([], engine.latency.rows(), lost);
      JSON.parse(JSON.stringify(findings));
      return problem;
    },
  };
}
