/**
 * Where each pane goes for a terminal size and a view: pure arithmetic shared by the reducer
 * (page sizes, scrolling) and the components (how many rows to draw). Every pane's height
 * includes its one-line title; its content is `height - 1` rows.
 */

export interface Size {
  readonly cols: number;
  readonly rows: number;
}

/** What fills the body of the screen. */
export type View = 'list' | 'timeline' | 'findings' | 'flows' | 'help';

export interface Box {
  readonly width: number;
  readonly height: number;
}

export interface Layout {
  readonly cols: number;
  /** Body rows (between the header line and the footer). */
  readonly body: number;
  /** Footer rows: 1 (status line) or 2 (filter prompt and its diagnostics). */
  readonly footer: number;
  readonly list?: Box;
  readonly tree?: Box;
  readonly hex?: Box;
  /** Tree and hex side by side (wide terminals) rather than stacked. */
  readonly sideBySide: boolean;
  readonly timeline?: Box;
  readonly findings?: Box;
  readonly flows?: Box;
  readonly help?: Box;
}

export const MIN_COLS = 40;
export const MIN_ROWS = 10;
/** Tree and hex go side by side from this width. */
export const SIDE_BY_SIDE_COLS = 120;

export function layout(size: Size, view: View, prompt: boolean): Layout {
  const cols = Math.max(MIN_COLS, size.cols);
  const rows = Math.max(MIN_ROWS, size.rows);
  const footer = prompt ? 2 : 1;
  // one header line, the footer, and one spare line so that Ink never fills the last row
  // (a full screen makes it clear the terminal on every render)
  const body = rows - 1 - footer - 1;
  switch (view) {
    case 'list': {
      const list = Math.max(4, Math.floor(body * 0.5));
      const rest = body - list;
      if (cols >= SIDE_BY_SIDE_COLS) {
        const tw = Math.floor(cols * 0.48);
        return {
          cols,
          body,
          footer,
          sideBySide: true,
          list: { width: cols, height: list },
          tree: { width: tw, height: rest },
          hex: { width: cols - tw - 1, height: rest },
        };
      }
      const tree = Math.max(2, Math.ceil(rest * 0.55));
      return {
        cols,
        body,
        footer,
        sideBySide: false,
        list: { width: cols, height: list },
        tree: { width: cols, height: tree },
        hex: { width: cols, height: rest - tree },
      };
    }
    case 'timeline': {
      const list = Math.max(4, Math.floor(body * 0.4));
      return {
        cols,
        body,
        footer,
        sideBySide: false,
        list: { width: cols, height: list },
        timeline: { width: cols, height: body - list },
      };
    }
    case 'findings':
      return { cols, body, footer, sideBySide: false, findings: { width: cols, height: body } };
    case 'flows':
      return { cols, body, footer, sideBySide: false, flows: { width: cols, height: body } };
    case 'help':
      return { cols, body, footer, sideBySide: false, help: { width: cols, height: body } };
  }
}

/** Content rows of a pane box (its height less the title line), at least 1. */
export function contentRows(b: Box | undefined): number {
  return b ? Math.max(1, b.height - 1) : 1;
}
