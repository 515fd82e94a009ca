/**
 * The hop timeline of the selected frame's packet: one row per hop (node, interface, role, time
 * since the first sighting, what changed), a bar drawn to scale for the stretch from the previous
 * hop, and the places the packet should have reached but never did.
 */
import { escapeText } from '../../cli/escape.js';
import type { HopRef } from '../analysis.js';
import { contentRows, type Box as PaneBox } from '../layout.js';
import { fmtNs, hopBar } from '../format.js';
import { hopCursor } from '../derive.js';
import type { State } from '../state.js';
import { useTheme } from '../theme.js';
import { Filler, Line, Pane, Title } from './common.js';

export interface TimelineProps {
  readonly state: State;
  readonly trace: HopRef | undefined;
  readonly box: PaneBox;
  /** Why there is no trace, when there is none. */
  readonly note: string;
}

interface Row {
  readonly text: string;
  readonly hop?: number;
  readonly kind: 'hop' | 'missing' | 'skipped' | 'verdict';
}

const BAR = 24;

/** The rows of a trace's timeline, `width` wide. */
export function timelineRows(ref: HopRef, width: number): Row[] {
  const t = ref.trace;
  const hops = t.hops;
  const nodes = hops.map((h) => escapeText(h.node));
  const ifaces = hops.map((h) => escapeText(h.iface));
  const missing = t.missing;
  const wn = Math.max(4, ...nodes.map((s) => s.length), ...missing.map((m) => escapeText(m.node).length));
  const wi = Math.max(5, ...ifaces.map((s) => s.length), ...missing.map((m) => escapeText(m.iface).length));
  const total = t.durationNs;
  const bar = width >= 110 ? BAR : width >= 80 ? 12 : 0;
  const rows: Row[] = hops.map((h, k) => {
    const time = k === 0 ? '+0' : `+${fmtNs(h.sinceFirstNs)}`;
    const prev = k === 0 ? 0 : hops[k - 1].sinceFirstNs;
    const b = bar ? ` ${hopBar(prev, h.sinceFirstNs, total, bar)} ` : ' ';
    return {
      kind: 'hop',
      hop: k,
      text: `${String(k + 1).padStart(2)}  ${nodes[k].padEnd(wn)}  ${ifaces[k].padEnd(wi)}  ${h.role.padEnd(8)} ${time.padStart(10)}${b}${h.changes}`,
    };
  });
  for (const m of missing) {
    rows.push({
      kind: 'missing',
      text: ` ✗  ${escapeText(m.node).padEnd(wn)}  ${escapeText(m.iface).padEnd(wi)}  ${m.role.padEnd(8)} ${'never'.padStart(10)} ${t.status === 'lost' ? 'captured there, never seen: lost before it' : 'not captured at the time'}`,
    });
  }
  for (const p of t.skipped) {
    rows.push({ kind: 'skipped', text: ` ?  ${escapeText(p.node).padEnd(wn)}  ${escapeText(p.iface).padEnd(wi)}  ${p.role.padEnd(8)} ${'skipped'.padStart(10)} captured, not seen, although seen after it` });
  }
  if (t.status !== 'delivered') rows.push({ kind: 'verdict', text: ` →  ${t.status}: ${escapeText(t.reason)}` });
  return rows;
}

export function Timeline({ state, trace, box, note }: TimelineProps) {
  const theme = useTheme();
  const h = contentRows(box);
  const w = box.width;
  const focused = state.focus === 'timeline';
  if (!trace) {
    return (
      <Pane width={w} height={box.height}>
        <Title text="Timeline" focused={focused} width={w} />
        <Line text={`  ${note}`} width={w} />
        <Filler rows={h - 1} width={w} />
      </Pane>
    );
  }
  const t = trace.trace;
  const cur = hopCursor(state, trace);
  const rows = timelineRows(trace, w);
  const top = Math.max(0, Math.min(cur - Math.floor((h - 1) / 2), rows.length - (h - 1)));
  const shown = rows.slice(top, top + h - 1);
  const color = t.status === 'delivered' ? theme.ok : t.status === 'lost' ? theme.error : theme.warning;
  return (
    <Pane width={w} height={box.height}>
      <Title text={`Timeline  packet ${t.id}: ${t.summary}`} focused={focused} width={w} right={`${t.hops.length} hop${t.hops.length === 1 ? '' : 's'}`} />
      <Line text={`  ${escapeText(t.sender)}${t.receiver ? ` → ${escapeText(t.receiver)}` : ''}: ${t.verdict}`} width={w} color={color} bold />
      {shown.map((r) => {
        const at = r.hop !== undefined && r.hop === cur;
        const here = r.hop !== undefined && r.hop === trace.hop;
        return (
          <Line
            key={r.text}
            text={`${at ? '>' : here ? '•' : ' '}${r.text}`}
            width={w}
            inverse={at && focused}
            bold={at && !focused}
            color={r.kind === 'missing' || r.kind === 'verdict' ? theme.error : r.kind === 'skipped' ? theme.warning : undefined}
          />
        );
      })}
      <Filler rows={h - 1 - shown.length} width={w} />
    </Pane>
  );
}

