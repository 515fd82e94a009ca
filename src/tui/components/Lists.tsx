/** The findings view, the flows view and the help screen. */
import { escapeText } from '../../cli/escape.js';
import { findingText } from '../../cli/analyze.js';
import { fmtNs, wrap } from '../format.js';
import { contentRows, type Box as PaneBox } from '../layout.js';
import type { Session } from '../session.js';
import type { State } from '../state.js';
import { helpLines } from '../derive.js';
import { useTheme } from '../theme.js';
import { Filler, Line, Pane, Title } from './common.js';

interface ListPaneProps {
  readonly state: State;
  readonly session: Session;
  readonly box: PaneBox;
}

/** Findings, one row each; the selected one in full below the list. */
export function Findings({ state, session, box }: ListPaneProps) {
  const theme = useTheme();
  const w = box.width;
  const h = contentRows(box);
  const a = session.analysis;
  const list = a?.findings ?? [];
  const note = !a ? 'no analysis in this session' : (state.analysis.error ?? state.analysis.findingsNote);
  if (!list.length) {
    const text = note ?? 'no findings: nothing wrong was found in these captures';
    return (
      <Pane width={w} height={box.height}>
        <Title text="Findings" focused width={w} right={state.analysis.done ? '0' : `analysing ${state.analysis.analyzed}/${state.total}`} />
        <Line text={`  ${text}`} width={w} />
        <Filler rows={h - 1} width={w} />
      </Pane>
    );
  }
  const cur = Math.min(state.finding, list.length - 1);
  const detail = findingText(list[cur].finding).flatMap((l) => wrap(l, w));
  const listRows = Math.max(1, Math.min(list.length, h - detail.length - 2));
  const top = Math.max(0, Math.min(cur - Math.floor(listRows / 2), list.length - listRows));
  const shown = list.slice(top, top + listRows);
  const sev = (s: string): string | undefined => (s === 'error' ? theme.error : s === 'warning' ? theme.warning : theme.dim);
  const ev = list[cur].frames.length;
  return (
    <Pane width={w} height={box.height}>
      <Title text="Findings" focused width={w} right={`${cur + 1}/${list.length}`} />
      {shown.map((v, k) => {
        const f = v.finding;
        const at = top + k === cur;
        const where = f.ifaces.length > 1 ? f.ifaces.map(escapeText).join(' → ') : f.iface ? escapeText(f.iface) : '';
        return (
          <Line
            key={`${top + k}`}
            text={`${at ? '>' : ' '} ${f.severity.padEnd(7)} ${f.kind.padEnd(15)} ${escapeText(f.node).padEnd(6)} ${where.padEnd(22)} ${escapeText(f.message)}`}
            width={w}
            inverse={at}
            color={at ? undefined : sev(f.severity)}
          />
        );
      })}
      <Line text="" width={w} />
      {detail.map((l, k) => (
        <Line key={`d${k}`} text={l} width={w} bold={k === 0} color={k === 0 ? sev(list[cur].finding.severity) : undefined} />
      ))}
      <Line text={ev ? `  Enter: go to the evidence (${ev} frame${ev === 1 ? '' : 's'})` : '  (no evidence frame in the list)'} width={w} dim />
      <Filler rows={h - shown.length - detail.length - 2} width={w} />
    </Pane>
  );
}

/** Flows: packets per direction and their fate. */
export function Flows({ state, session, box }: ListPaneProps) {
  const theme = useTheme();
  const w = box.width;
  const h = contentRows(box);
  const rows = session.analysis?.flows() ?? [];
  if (!rows.length) {
    return (
      <Pane width={w} height={box.height}>
        <Title text="Flows" focused width={w} />
        <Line text={`  ${session.analysis ? (state.analysis.done ? 'no IPv4 flows in these captures' : 'analysing…') : 'no analysis in this session'}`} width={w} />
        <Filler rows={h - 1} width={w} />
      </Pane>
    );
  }
  const cur = Math.min(state.flow, rows.length - 1);
  const body = h - 1;
  const top = Math.max(0, Math.min(cur - Math.floor(body / 2), rows.length - body));
  const shown = rows.slice(top, top + body);
  return (
    <Pane width={w} height={box.height}>
      <Title text="Flows" focused width={w} right={`${cur + 1}/${rows.length}${state.analysis.done ? '' : ' analysing…'}`} />
      <Line text={`  ${'proto'.padEnd(5)} ${'source > destination'.padEnd(48)} ${'packets'.padStart(7)} ${'deliv'.padStart(6)} ${'lost'.padStart(5)} ${'incompl'.padStart(7)} ${'p50'.padStart(9)} ${'max'.padStart(9)}  lost after`} width={w} bold />
      {shown.map((f, k) => {
        const at = top + k === cur;
        const nat = f.nat_dst ? ` (→ ${f.nat_dst})` : f.nat_src ? ` (from ${f.nat_src})` : '';
        const lost = Object.entries(f.lost_after)
          .map(([where, n]) => `${n} ${escapeText(where)}`)
          .join(', ');
        return (
          <Line
            key={`${top + k}`}
            text={`${at ? '>' : ' '} ${f.proto.padEnd(5)} ${`${f.src} > ${f.dst}${nat}`.padEnd(48)} ${String(f.packets).padStart(7)} ${String(f.delivered).padStart(6)} ${String(f.lost).padStart(5)} ${String(f.incomplete).padStart(7)} ${(f.delivered ? fmtNs(f.p50_duration_ns) : '-').padStart(9)} ${(f.delivered ? fmtNs(f.max_duration_ns) : '-').padStart(9)}  ${lost}`}
            width={w}
            inverse={at}
            color={at ? undefined : f.lost ? theme.error : undefined}
          />
        );
      })}
      <Filler rows={body - 1 - shown.length} width={w} />
    </Pane>
  );
}

export function Help({ state, box }: { readonly state: State; readonly box: PaneBox }) {
  const w = box.width;
  const h = contentRows(box);
  const lines = helpLines();
  const top = Math.max(0, Math.min(state.helpTop, lines.length - h));
  const shown = lines.slice(top, top + h);
  return (
    <Pane width={w} height={box.height}>
      <Title text="Help" focused width={w} right={`${top + 1}–${top + shown.length} of ${lines.length}  (q, ? or Esc: back)`} />
      {shown.map((l, k) => (
        <Line key={`${top + k}`} text={l} width={w} bold={l.endsWith(':') && !l.startsWith(' ')} />
      ))}
      <Filler rows={h - shown.length} width={w} />
    </Pane>
  );
}
