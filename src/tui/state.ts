/**
 * The whole state of a TUI session and the pure reducer over it: `(state, action) → state`.
 * Nothing here renders, reads files or decodes a whole capture; the session (session.ts) feeds
 * frames and filter/analysis progress in as actions, and the key handlers (keys.ts) turn key
 * presses into actions. Tests drive it without a terminal.
 *
 * Selection is a frame index (stable whatever the filter), and what is shown selected is the
 * first visible row at or after it: applying a filter keeps the place, and while the matches
 * stream in the selection settles on the first match after the old one.
 */
import { compileFilter, FilterError, type PacketFilter } from '../filter/index.js';
import { contentRows, layout, type Size, type View } from './layout.js';
import { FrameStore, IndexList } from './store.js';

export type { Size, View } from './layout.js';

export type Pane = 'list' | 'tree' | 'hex' | 'timeline' | 'findings' | 'flows' | 'help';

/** What receives the keys: a view, or the filter prompt over it. */
export type Mode = View | 'filter-input';

export interface FilterState {
  readonly expr: string;
  /** Generation: progress reports of an older filter are ignored. */
  readonly gen: number;
  readonly predicate: PacketFilter;
  /** Indices of matching frames, ascending (append-only; `matched` of them are valid here). */
  readonly rows: IndexList;
  readonly matched: number;
  /** Frames tested so far (the first `scanned` frames of the store). */
  readonly scanned: number;
  /** true: only matching frames are listed; false: all are, matches marked (n/N jump). */
  readonly hide: boolean;
}

export interface PromptState {
  readonly text: string;
  readonly cursor: number;
  /** Position in the history while browsing it with ↑/↓ (history.length = the new line). */
  readonly histPos: number;
  readonly error?: { readonly message: string; readonly column: number; readonly length: number };
}

export interface LoadState {
  readonly done: boolean;
  /** Bytes read from the inputs so far. */
  readonly bytes: number;
  /** Total size of the input files (undefined for standard input / live). */
  readonly size?: number;
  /** Reading a stream (stdin, live): a counter rather than a percentage. */
  readonly stream: boolean;
  readonly inputs: number;
  /** Problems with the inputs (escaped one-line text). */
  readonly problems: readonly string[];
}

export interface AnalysisState {
  /** Frames handed to the trace engine so far. */
  readonly analyzed: number;
  readonly traced: number;
  readonly done: boolean;
  readonly findings: number;
  /** Set when findings are not available (no analyzer in this build, or it failed). */
  readonly findingsNote?: string;
  readonly flows: number;
  readonly error?: string;
}

export interface Message {
  readonly text: string;
  readonly kind: 'info' | 'error';
}

export interface State {
  readonly frames: FrameStore;
  /** Frames of the store this state has seen. */
  readonly total: number;
  readonly load: LoadState;
  readonly size: Size;
  readonly view: View;
  /** The view to go back to from help. */
  readonly back: View;
  readonly focus: Pane;
  readonly prompt?: PromptState;
  readonly history: readonly string[];
  /** Selected frame index (see the file comment); -1 before any frame. */
  readonly sel: number;
  /** First list row on screen. */
  readonly top: number;
  /** Keep the selection on the last row as frames arrive. */
  readonly follow: boolean;
  readonly filter?: FilterState;
  readonly filterGen: number;
  /** Expanded layers of the layer tree, by key (`ipv4#1` = the second IPv4 header). */
  readonly expanded: ReadonlySet<string>;
  readonly treeRow: number;
  readonly treeTop: number;
  readonly hexTop: number;
  /** Timeline cursor; undefined = the hop of the selected frame. */
  readonly hop?: number;
  readonly finding: number;
  /** Which evidence frame of the finding Enter goes to next. */
  readonly evidence: number;
  readonly flow: number;
  readonly helpTop: number;
  readonly analysis: AnalysisState;
  readonly message?: Message;
  readonly quit: boolean;
}

export type Action =
  | { type: 'frames'; total: number }
  | { type: 'load'; load: Partial<LoadState> }
  | { type: 'analysis'; analysis: Partial<AnalysisState> }
  | { type: 'resize'; size: Size }
  /** Move the cursor of a pane. `count` is the number of rows of panes whose content the
   * reducer cannot know (tree, hex, timeline, findings, flows, help); ±Infinity = end/home. */
  | { type: 'move'; pane: Pane; delta: number; count?: number; current?: number }
  | { type: 'page'; pane: Pane; dir: 1 | -1; count?: number; current?: number }
  /** Select a frame (jump to it); it is made visible if the filter hides it. */
  | { type: 'select'; frame: number; view?: View; focus?: Pane; message?: Message }
  | { type: 'focus'; pane: Pane }
  | { type: 'cycleFocus'; dir: 1 | -1 }
  | { type: 'view'; view: View }
  | { type: 'help' }
  | { type: 'openPrompt' }
  | { type: 'promptSet'; text: string; cursor: number }
  | { type: 'promptHistory'; dir: 1 | -1 }
  | { type: 'promptCancel' }
  | { type: 'applyFilter'; expr?: string }
  | { type: 'filterProgress'; gen: number; matched: number; scanned: number }
  | { type: 'toggleHide' }
  | { type: 'nextMatch'; dir: 1 | -1 }
  | { type: 'toggleLayer'; key: string; open?: boolean }
  | { type: 'setLayers'; keys: readonly string[]; open: boolean }
  | { type: 'nextEvidence'; count: number }
  | { type: 'message'; message?: Message }
  | { type: 'quit' };

export interface InitOptions {
  readonly frames: FrameStore;
  readonly size: Size;
  readonly stream?: boolean;
  readonly inputs?: number;
  readonly fileSize?: number;
  /** Start in this view (tests). */
  readonly view?: View;
}

export function initialState(o: InitOptions): State {
  return {
    frames: o.frames,
    total: o.frames.length,
    load: { done: false, bytes: 0, size: o.fileSize, stream: !!o.stream, inputs: o.inputs ?? 0, problems: [] },
    size: o.size,
    view: o.view ?? 'list',
    back: 'list',
    focus: paneOfView(o.view ?? 'list'),
    history: [],
    sel: 0,
    top: 0,
    // a stream fills from the bottom, like `tail -f`, until the user moves up
    follow: !!o.stream,
    filterGen: 0,
    expanded: new Set(),
    treeRow: 0,
    treeTop: 0,
    hexTop: 0,
    finding: 0,
    evidence: 0,
    flow: 0,
    helpTop: 0,
    analysis: { analyzed: 0, traced: 0, done: false, findings: 0, flows: 0 },
    quit: false,
  };
}

// ---------------------------------------------------------------- selectors

export function mode(s: State): Mode {
  return s.prompt ? 'filter-input' : s.view;
}

function hiding(s: State): boolean {
  return !!s.filter && s.filter.hide;
}

/** Rows of the frame list. */
export function rowCount(s: State): number {
  return hiding(s) ? s.filter!.matched : s.total;
}

/** Frame index shown on list row `row`. */
export function frameAt(s: State, row: number): number {
  return hiding(s) ? s.filter!.rows.get(row) : row;
}

/** List row of the selection, or -1 when the list is empty. */
export function selRow(s: State): number {
  const n = rowCount(s);
  if (!n) return -1;
  if (s.follow) return n - 1;
  if (!hiding(s)) return clamp(s.sel, 0, n - 1);
  return Math.min(s.filter!.rows.lowerBound(s.sel, n), n - 1);
}

/** Index of the selected frame, or -1. */
export function selectedFrame(s: State): number {
  const r = selRow(s);
  return r < 0 ? -1 : frameAt(s, r);
}

/** Does frame `i` match the filter (known matches only; false without a filter)? */
export function isMatch(s: State, i: number): boolean {
  const f = s.filter;
  if (!f) return false;
  const k = f.rows.lowerBound(i, f.matched);
  return k < f.matched && f.rows.get(k) === i;
}

export function currentLayout(s: State) {
  return layout(s.size, s.view, !!s.prompt);
}

/** Rows of the frame list on screen in the current view (0 when the view has no list). */
export function listRows(s: State): number {
  const l = currentLayout(s);
  return l.list ? contentRows(l.list) : 0;
}

export function panesOf(view: View): Pane[] {
  switch (view) {
    case 'list':
      return ['list', 'tree', 'hex'];
    case 'timeline':
      return ['list', 'timeline'];
    case 'findings':
      return ['findings'];
    case 'flows':
      return ['flows'];
    case 'help':
      return ['help'];
  }
}

function paneOfView(v: View): Pane {
  return v === 'timeline' ? 'list' : panesOf(v)[0];
}

// ---------------------------------------------------------------- the reducer

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Keep the selected row on screen. */
function scrolled(s: State): State {
  const h = listRows(s);
  if (!h) return s;
  const n = rowCount(s);
  const r = selRow(s);
  let top = s.top;
  if (r >= 0) {
    if (r < top) top = r;
    else if (r >= top + h) top = r - h + 1;
  }
  top = clamp(top, 0, Math.max(0, n - h));
  return top === s.top ? s : { ...s, top };
}

/** Selection moved to another frame: the per-frame cursors start over. */
function withSelection(s: State, frame: number, follow = false): State {
  if (frame === s.sel && follow === s.follow) return s;
  return { ...s, sel: frame, follow, hop: undefined, hexTop: 0 };
}

function moveCursor(cur: number, delta: number, count: number): number {
  if (count <= 0) return 0;
  if (delta === Infinity) return count - 1;
  if (delta === -Infinity) return 0;
  return clamp(cur + delta, 0, count - 1);
}

function pageSize(s: State, pane: Pane): number {
  const l = currentLayout(s);
  const box = pane === 'list' ? l.list : pane === 'tree' ? l.tree : pane === 'hex' ? l.hex : pane === 'timeline' ? l.timeline : pane === 'findings' ? l.findings : pane === 'flows' ? l.flows : l.help;
  return Math.max(1, contentRows(box) - 1);
}

function move(s: State, pane: Pane, delta: number, count = 0, current?: number): State {
  switch (pane) {
    case 'list': {
      const n = rowCount(s);
      if (!n) return s;
      const r = moveCursor(selRow(s), delta, n);
      // moving onto the last row while frames still arrive follows the tail again
      const follow = delta > 0 && r === n - 1 && !s.load.done;
      return scrolled(withSelection(s, frameAt(s, r), follow));
    }
    case 'tree': {
      const treeRow = moveCursor(current ?? Math.min(s.treeRow, Math.max(0, count - 1)), delta, count);
      return { ...s, treeRow };
    }
    case 'hex':
      return { ...s, hexTop: moveCursor(s.hexTop, delta, count) };
    case 'timeline':
      return { ...s, hop: moveCursor(current ?? s.hop ?? 0, delta, count) };
    case 'findings': {
      const finding = moveCursor(Math.min(s.finding, Math.max(0, count - 1)), delta, count);
      return finding === s.finding ? s : { ...s, finding, evidence: 0 };
    }
    case 'flows':
      return { ...s, flow: moveCursor(Math.min(s.flow, Math.max(0, count - 1)), delta, count) };
    case 'help':
      return { ...s, helpTop: moveCursor(s.helpTop, delta, count) };
  }
}

function applyFilter(s: State, expr: string): State {
  const text = expr.trim();
  const history = text && s.history[s.history.length - 1] !== text ? [...s.history, text].slice(-100) : s.history;
  if (!text) {
    const cleared: State = { ...s, prompt: undefined, history, filter: undefined, message: s.filter ? { kind: 'info', text: 'filter cleared' } : undefined };
    return scrolled(cleared);
  }
  let predicate: PacketFilter;
  try {
    predicate = compileFilter(text);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    const prompt: PromptState = {
      ...(s.prompt ?? { text, cursor: text.length, histPos: s.history.length }),
      error: { message: e.message, column: e.column, length: e.length },
    };
    return { ...s, prompt, message: undefined };
  }
  const gen = s.filterGen + 1;
  const filter: FilterState = {
    expr: text,
    gen,
    predicate,
    rows: new IndexList(),
    matched: 0,
    scanned: 0,
    hide: s.filter ? s.filter.hide : true,
  };
  // the place to come back to: the frame selected now (followers keep following)
  const sel = s.follow ? s.sel : selectedFrame(s);
  return scrolled({ ...s, prompt: undefined, history, filter, filterGen: gen, sel: sel < 0 ? 0 : sel, top: 0, message: undefined });
}

function nextMatch(s: State, dir: 1 | -1): State {
  const f = s.filter;
  if (!f) return { ...s, message: { kind: 'info', text: 'no filter: press / to set one, then n / N go from match to match' } };
  const n = rowCount(s);
  if (!f.matched || !n) return { ...s, message: { kind: 'info', text: `no frame matches ${f.expr} (yet)` } };
  if (f.hide) {
    // every row matches: the next row, wrapping
    const r = selRow(s);
    const wrapped = r + dir < 0 || r + dir >= n;
    const next = (r + dir + n) % n;
    return scrolled({
      ...withSelection(s, frameAt(s, next)),
      message: wrapped ? { kind: 'info', text: dir > 0 ? 'search hit BOTTOM, continuing at TOP' : 'search hit TOP, continuing at BOTTOM' } : undefined,
    });
  }
  const cur = selectedFrame(s);
  let k = dir > 0 ? f.rows.lowerBound(cur + 1, f.matched) : f.rows.lowerBound(cur, f.matched) - 1;
  let message: Message | undefined;
  if (k >= f.matched) {
    k = 0;
    message = { kind: 'info', text: 'search hit BOTTOM, continuing at TOP' };
  } else if (k < 0) {
    k = f.matched - 1;
    message = { kind: 'info', text: 'search hit TOP, continuing at BOTTOM' };
  }
  return scrolled({ ...withSelection(s, f.rows.get(k)), message });
}

export function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'frames': {
      if (a.total === s.total) return s;
      return scrolled({ ...s, total: a.total });
    }
    case 'load':
      return { ...s, load: { ...s.load, ...a.load } };
    case 'analysis':
      return { ...s, analysis: { ...s.analysis, ...a.analysis } };
    case 'resize':
      if (a.size.cols === s.size.cols && a.size.rows === s.size.rows) return s;
      return scrolled({ ...s, size: a.size });
    case 'move':
      return { ...move(s, a.pane, a.delta, a.count, a.current), message: undefined };
    case 'page':
      return { ...move(s, a.pane, a.dir * pageSize(s, a.pane), a.count, a.current), message: undefined };
    case 'select': {
      let t: State = s;
      if (a.view && a.view !== s.view) t = { ...t, view: a.view, focus: paneOfView(a.view) };
      if (a.focus) t = { ...t, focus: a.focus };
      // a frame the filter hides: show every frame, matches marked, so that it can be selected
      let message = a.message;
      if (t.filter && t.filter.hide && !isMatch(t, a.frame)) {
        t = { ...t, filter: { ...t.filter, hide: false } };
        message = { kind: 'info', text: `frame ${a.frame + 1} does not match the filter: showing all frames (m hides them again)` };
      }
      return scrolled({ ...withSelection(t, a.frame), message });
    }
    case 'focus':
      return panesOf(s.view).includes(a.pane) ? { ...s, focus: a.pane } : s;
    case 'cycleFocus': {
      const panes = panesOf(s.view);
      const k = panes.indexOf(s.focus);
      return { ...s, focus: panes[(k + a.dir + panes.length) % panes.length] };
    }
    case 'view': {
      if (a.view === s.view) return s;
      const back = a.view === 'help' ? s.view : s.back;
      return scrolled({ ...s, view: a.view, back, focus: paneOfView(a.view), message: undefined });
    }
    case 'help':
      return s.view === 'help' ? scrolled({ ...s, view: s.back, focus: paneOfView(s.back) }) : { ...s, view: 'help', back: s.view, focus: 'help', helpTop: 0 };
    case 'openPrompt': {
      const text = s.filter?.expr ?? '';
      return scrolled({ ...s, prompt: { text, cursor: text.length, histPos: s.history.length }, message: undefined });
    }
    case 'promptSet': {
      if (!s.prompt) return s;
      const cursor = clamp(a.cursor, 0, a.text.length);
      return { ...s, prompt: { ...s.prompt, text: a.text, cursor, error: undefined } };
    }
    case 'promptHistory': {
      if (!s.prompt || !s.history.length) return s;
      const histPos = clamp(s.prompt.histPos + a.dir, 0, s.history.length);
      const text = histPos === s.history.length ? '' : s.history[histPos];
      return { ...s, prompt: { text, cursor: text.length, histPos } };
    }
    case 'promptCancel':
      return s.prompt ? scrolled({ ...s, prompt: undefined }) : s;
    case 'applyFilter':
      return applyFilter(s, a.expr ?? s.prompt?.text ?? '');
    case 'filterProgress': {
      const f = s.filter;
      if (!f || f.gen !== a.gen) return s;
      if (f.matched === a.matched && f.scanned === a.scanned) return s;
      return scrolled({ ...s, filter: { ...f, matched: a.matched, scanned: a.scanned } });
    }
    case 'toggleHide': {
      if (!s.filter) return { ...s, message: { kind: 'info', text: 'no filter: press / to set one' } };
      const sel = selectedFrame(s);
      const filter = { ...s.filter, hide: !s.filter.hide };
      return scrolled({
        ...s,
        filter,
        sel: sel < 0 ? s.sel : sel,
        message: { kind: 'info', text: filter.hide ? 'showing matching frames only' : 'showing all frames, matches marked ● (n / N jump)' },
      });
    }
    case 'nextMatch':
      return nextMatch(s, a.dir);
    case 'toggleLayer': {
      const open = a.open ?? !s.expanded.has(a.key);
      if (open === s.expanded.has(a.key)) return s;
      const expanded = new Set(s.expanded);
      if (open) expanded.add(a.key);
      else expanded.delete(a.key);
      return { ...s, expanded };
    }
    case 'setLayers': {
      const expanded = new Set(s.expanded);
      for (const k of a.keys) {
        if (a.open) expanded.add(k);
        else expanded.delete(k);
      }
      return { ...s, expanded };
    }
    case 'nextEvidence':
      return { ...s, evidence: a.count ? (s.evidence + 1) % a.count : 0 };
    case 'message':
      return a.message === s.message ? s : { ...s, message: a.message };
    case 'quit':
      return { ...s, quit: true };
  }
}
