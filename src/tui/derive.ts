/**
 * What the panes show, derived from the state and the session's data: the selected packet and
 * its layer tree, the trace of the selected frame, the rows of the help screen. Shared by the
 * components (to draw) and the key handlers (to know what a key acts on).
 */
import type { Packet } from '../decoders/layer.js';
import { FIELDS, PROTOCOLS } from '../filter/index.js';
import type { HopRef } from './analysis.js';
import { treeRows, type TreeRow } from './format.js';
import type { Session } from './session.js';
import { selectedFrame, type State } from './state.js';

export function selectedPacket(session: Session, s: State): Packet | undefined {
  const i = selectedFrame(s);
  return i < 0 ? undefined : session.packet(i);
}

export function selectedTree(session: Session, s: State): TreeRow[] {
  const p = selectedPacket(session, s);
  return p ? treeRows(p, s.expanded) : [];
}

/** The tree cursor, within the rows there are. */
export function treeCursor(s: State, rows: readonly TreeRow[]): number {
  return Math.max(0, Math.min(s.treeRow, rows.length - 1));
}

export function selectedTrace(session: Session, s: State): HopRef | undefined {
  const i = selectedFrame(s);
  return i < 0 ? undefined : session.analysis?.traceOf(i);
}

/** The timeline cursor: the user's, or the hop of the selected frame. */
export function hopCursor(s: State, ref: HopRef): number {
  const n = ref.trace.hops.length;
  return Math.max(0, Math.min(s.hop ?? ref.hop, n - 1));
}

export const KEY_HELP: readonly (readonly [string, string])[] = [
  ['', 'Moving'],
  ['↑ ↓  j k', 'previous / next row of the focused pane'],
  ['PgUp PgDn  Ctrl-B Ctrl-F', 'a page up / down'],
  ['g G  Home End', 'first / last row (G follows new frames while reading)'],
  ['Tab  Shift-Tab', 'next / previous pane: frames → layers → hex (timeline view: frames → timeline)'],
  ['Enter', 'frames: go to the layer tree; layers: expand or collapse; timeline: jump to the hop\'s frame;'],
  ['', '  findings: jump to the evidence (again: the next evidence frame); flows: open the flow\'s first packet'],
  ['→ ← l h  Space', 'layers: expand / collapse (Space toggles); e / c expand / collapse every layer'],
  ['', 'Views'],
  ['t', 'hop timeline of the selected frame\'s packet, across interfaces and nodes (again: back)'],
  ['f', 'findings of the analysis (again: back)'],
  ['F', 'flows: per-flow packets, delivered, lost, duration'],
  ['?', 'this help (again, q or Esc: back)'],
  ['Esc', 'back to the frame list'],
  ['q  Ctrl-C', 'quit (the terminal is restored)'],
  ['', 'Display filter'],
  ['/', 'type a filter: Enter applies (an empty one clears), Esc cancels, Tab completes, ↑ ↓ history'],
  ['m', 'show only matching frames, or all frames with matches marked ●'],
  ['n N', 'next / previous match (wraps)'],
];

export const FILTER_EXAMPLES: readonly (readonly [string, string])[] = [
  ['ip.src==10.10.1.5 && vxlan.vni==1', 'tunnelled packets from a pod'],
  ['inner.icmp', 'ICMP inside a tunnel'],
  ['inner.icmp.type == echo-request', 'echo requests inside a tunnel'],
  ['node==node2', 'frames captured on node2'],
  ['iface==flannel.1', 'frames captured on the VTEPs'],
  ['arp || icmp.type==3', 'ARP and ICMP unreachables'],
  ['tcp.flags.syn && !tcp.flags.ack', 'connection attempts'],
];

/** Lines of the help screen. */
export function helpLines(): string[] {
  const out: string[] = ['vxdecode tui — every frame, every layer, and each packet\'s journey across the nodes', ''];
  for (const [k, d] of KEY_HELP) out.push(k ? `  ${k.padEnd(26)} ${d}` : d ? `${d}:` : '');
  out.push('', 'Filter examples:');
  for (const [e, d] of FILTER_EXAMPLES) out.push(`  ${e.padEnd(40)} ${d}`);
  out.push('', 'Filter protocols (prefix inner. or outer. for one side of the tunnel):');
  for (const p of PROTOCOLS) out.push(`  ${p.name.padEnd(8)} ${p.description}`);
  out.push('', 'Filter fields:');
  for (const f of FIELDS) out.push(`  ${f.name.padEnd(22)} ${f.type.padEnd(7)} ${f.description}`);
  return out;
}
