/**
 * The selected frame in detail: the layer tree (a row per layer, expanded to every field) and
 * the hex dump with the bytes of the tree's cursor row highlighted.
 */
import { Text } from 'ink';
import { contentRows, type Box as PaneBox } from '../layout.js';
import { selectedFrame, type State } from '../state.js';
import { bytesPerLine, fit, hexRows, type TreeRow } from '../format.js';
import type { Session } from '../session.js';
import { treeCursor } from '../derive.js';
import { useTheme } from '../theme.js';
import { Filler, Line, Pane, Title } from './common.js';

export interface TreeProps {
  readonly state: State;
  readonly rows: readonly TreeRow[];
  readonly box: PaneBox;
}

export function LayerTree({ state, rows, box }: TreeProps) {
  const theme = useTheme();
  const h = contentRows(box);
  const w = box.width;
  const focused = state.focus === 'tree';
  const cur = treeCursor(state, rows);
  // keep the cursor on screen (the scroll follows the cursor, it is not state of its own)
  const top = Math.max(0, Math.min(cur - Math.floor(h / 2), rows.length - h));
  const shown = rows.slice(top, top + h);
  return (
    <Pane width={w} height={box.height}>
      <Title text="Layers" focused={focused} width={w} right={rows.length ? `${cur + 1}/${rows.length}` : ''} />
      {shown.map((row, k) => {
        const at = top + k === cur;
        const sign = row.field ? '    ' : row.expandable ? (row.expanded ? '▾ ' : '▸ ') : '  ';
        return (
          <Line
            key={`${row.key}:${row.field ?? ''}:${k}`}
            text={`${at ? '>' : ' '}${sign}${row.text}`}
            width={w}
            inverse={at && focused}
            bold={(at && !focused) || (!row.field && row.layer >= 0)}
            color={row.error ? theme.error : undefined}
          />
        );
      })}
      {rows.length === 0 ? <Text wrap="truncate">{fit('  no frame selected', w)}</Text> : null}
      <Filler rows={h - shown.length - (rows.length ? 0 : 1)} width={w} />
    </Pane>
  );
}

export interface HexProps {
  readonly state: State;
  readonly session: Session;
  readonly row: TreeRow | undefined;
  readonly box: PaneBox;
}

export function HexPane({ state, session, row, box }: HexProps) {
  const theme = useTheme();
  const h = contentRows(box);
  const w = box.width;
  const focused = state.focus === 'hex';
  const i = selectedFrame(state);
  const bytes = i >= 0 ? session.frame(i).bytes : new Uint8Array(0);
  const per = bytesPerLine(w);
  const lines = Math.ceil(bytes.length / per);
  const range = row?.range;
  let top = Math.max(0, Math.min(state.hexTop, lines - h));
  // unless the user is scrolling the dump, keep the highlighted bytes on screen
  if (!focused && range) {
    const first = Math.floor(range[0] / per);
    if (first < top || first >= top + h) top = Math.max(0, Math.min(first - 1, lines - h));
  }
  const segs = hexRows(bytes, range, per, top, h);
  const label = range && row ? `${row.field ? `${row.key.replace(/#\d+$/, '')}.${row.field}` : row.key.replace(/#\d+$/, '')} bytes ${range[0]}–${range[1] - 1}` : '';
  return (
    <Pane width={w} height={box.height}>
      <Title text="Hex" focused={focused} width={w} right={label} />
      {segs.map((line, k) => (
        <Text key={top + k} wrap="truncate">
          {line.map((s, j) =>
            s.hl ? (
              <Text key={j} inverse color={theme.highlight}>
                {s.text}
              </Text>
            ) : (
              <Text key={j}>{s.text}</Text>
            ),
          )}
        </Text>
      ))}
      <Filler rows={h - segs.length} width={w} />
    </Pane>
  );
}

