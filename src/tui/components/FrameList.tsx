/**
 * The frame list, virtualised: only the rows on screen are decoded and drawn, whatever the
 * number of frames. Columns: number (position in the merged list), time of day, node/interface,
 * and the summary (outer packet | inner packet).
 */
import { Text } from 'ink';
import { contentRows, type Box as PaneBox } from '../layout.js';
import { fit, frameTime, padLeft, whereText } from '../format.js';
import type { Session } from '../session.js';
import { frameAt, isMatch, rowCount, selRow, type State } from '../state.js';
import { useTheme, type Theme } from '../theme.js';
import { Filler, Line, Pane, Title } from './common.js';

export interface FrameListProps {
  readonly state: State;
  readonly session: Session;
  readonly box: PaneBox;
}

function rowColor(theme: Theme, summary: string): string | undefined {
  if (!theme.color) return undefined;
  if (summary.includes('[malformed') || summary.includes('[truncated')) return theme.error;
  const inner = summary.slice(summary.lastIndexOf(' | ') + 1);
  if (inner.includes('ARP')) return theme.arp;
  if (inner.includes('ICMP')) return theme.icmp;
  if (inner.includes(' TCP') || inner.includes('Flags [')) return theme.tcp;
  if (inner.includes('UDP')) return theme.udp;
  return undefined;
}

export function FrameList({ state, session, box }: FrameListProps) {
  const theme = useTheme();
  const h = contentRows(box);
  const w = box.width;
  const n = rowCount(state);
  const r = selRow(state);
  const focused = state.focus === 'list';
  const numW = Math.max(3, String(state.total).length);
  const whereW = session.whereWidth(state.top, Math.min(n, state.top + h), (row) => frameAt(state, row));
  const f = state.filter;
  const title = f
    ? `Frames  filter ${f.expr}: ${f.matched} match${f.matched === 1 ? '' : 'es'}${f.scanned < state.total ? ` (${Math.floor((100 * f.scanned) / Math.max(1, state.total))}% scanned)` : ''}${f.hide ? '' : ', all shown ●'}`
    : 'Frames';
  const right = n ? `${r + 1}/${n}${state.follow && !state.load.done ? ' following' : ''}` : state.load.done ? 'no frames' : 'reading…';
  const rows = [];
  const end = Math.min(n, state.top + h);
  for (let row = state.top; row < end; row++) {
    const i = frameAt(state, row);
    const fr = session.frame(i);
    const summary = session.line(i);
    const selected = row === r;
    const mark = f && !f.hide && isMatch(state, i) ? '●' : ' ';
    const text = `${selected ? '>' : ' '}${mark}${padLeft(String(i + 1), numW)} ${frameTime(fr)} ${fit(whereText(fr), whereW)} ${summary}`;
    rows.push(
      <Line
        key={row}
        text={text}
        width={w}
        inverse={selected && focused}
        bold={selected && !focused}
        color={selected && focused ? undefined : rowColor(theme, summary)}
      />,
    );
  }
  return (
    <Pane width={w} height={box.height}>
      <Title text={title} focused={focused} width={w} right={right} />
      {rows}
      {n === 0 ? (
        <Text wrap="truncate">{fit(state.load.done ? (f ? '  no frame matches the filter' : '  no frames in the input') : '  reading…', w)}</Text>
      ) : null}
      <Filler rows={h - rows.length - (n === 0 ? 1 : 0)} width={w} />
    </Pane>
  );
}
