/**
 * Keys to actions, one handler per mode (list, timeline, findings, flows, help, filter input).
 * A handler reads the state and the session (to know what the cursor is on) and returns the
 * actions to dispatch; it changes nothing itself, so tests can call it with a fake Key.
 */
import type { Key } from 'ink';
import { filterNames } from '../filter/index.js';
import { contentRows } from './layout.js';
import { helpLines, hopCursor, selectedPacket, selectedTrace, selectedTree, treeCursor } from './derive.js';
import { bytesPerLine, treeKeys, treeRows } from './format.js';
import type { Session } from './session.js';
import { currentLayout, selectedFrame, type Action, type Mode, type Pane, type State } from './state.js';

export type Handler = (s: State, input: string, key: Key, session: Session) => Action[];

/** A Key with every flag false, and some set (tests, and handlers that synthesise keys). */
export function keyOf(flags: Partial<Key> = {}): Key {
  return {
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageDown: false,
    pageUp: false,
    home: false,
    end: false,
    return: false,
    escape: false,
    ctrl: false,
    shift: false,
    tab: false,
    backspace: false,
    delete: false,
    meta: false,
    super: false,
    hyper: false,
    capsLock: false,
    numLock: false,
    ...flags,
  };
}

/** Up/down/page/home/end as a cursor movement, or undefined. */
function motion(input: string, key: Key): { delta: number } | { page: 1 | -1 } | undefined {
  if (key.upArrow || (input === 'k' && !key.ctrl)) return { delta: -1 };
  if (key.downArrow || (input === 'j' && !key.ctrl)) return { delta: 1 };
  if (key.pageUp || (key.ctrl && input === 'b')) return { page: -1 };
  if (key.pageDown || (key.ctrl && input === 'f')) return { page: 1 };
  if (key.home || (input === 'g' && !key.ctrl)) return { delta: -Infinity };
  if (key.end || input === 'G') return { delta: Infinity };
  return undefined;
}

function moveAction(pane: Pane, m: { delta: number } | { page: 1 | -1 }, count?: number, current?: number): Action {
  return 'page' in m ? { type: 'page', pane, dir: m.page, count, current } : { type: 'move', pane, delta: m.delta, count, current };
}

/** Keys that work in every view except the prompt and help. */
function common(s: State, input: string, key: Key): Action[] | undefined {
  if (key.ctrl) return undefined;
  if (key.tab) return [{ type: 'cycleFocus', dir: key.shift ? -1 : 1 }];
  switch (input) {
    case 'q':
      return [{ type: 'quit' }];
    case '?':
      return [{ type: 'help' }];
    case '/':
      return [{ type: 'openPrompt' }];
    case 't':
      return [{ type: 'view', view: s.view === 'timeline' ? 'list' : 'timeline' }];
    case 'f':
      return [{ type: 'view', view: s.view === 'findings' ? 'list' : 'findings' }];
    case 'F':
      return [{ type: 'view', view: s.view === 'flows' ? 'list' : 'flows' }];
    case 'm':
      return [{ type: 'toggleHide' }];
    case 'n':
      return [{ type: 'nextMatch', dir: 1 }];
    case 'N':
      return [{ type: 'nextMatch', dir: -1 }];
  }
  if (key.escape) return s.view !== 'list' ? [{ type: 'view', view: 'list' }] : s.message ? [{ type: 'message' }] : [];
  return undefined;
}

function treeKeysFor(s: State, input: string, key: Key, session: Session): Action[] {
  const rows = selectedTree(session, s);
  const m = motion(input, key);
  if (m) return [moveAction('tree', m, rows.length, treeCursor(s, rows))];
  const row = rows[treeCursor(s, rows)];
  if (!row) return [];
  const p = selectedPacket(session, s);
  if ((input === 'e' || input === 'c') && p) {
    // every layer open or closed, the cursor staying on its layer's row
    const open = input === 'e';
    const keys = treeKeys(p);
    const expanded = new Set(s.expanded);
    for (const k of keys) {
      if (open) expanded.add(k);
      else expanded.delete(k);
    }
    const after = treeRows(p, expanded);
    const at = Math.max(0, after.findIndex((r) => r.key === row.key && !r.field));
    return [
      { type: 'setLayers', keys, open },
      { type: 'move', pane: 'tree', delta: at - treeCursor(s, rows), count: after.length, current: treeCursor(s, rows) },
    ];
  }
  if (!row.expandable && !row.field) return [];
  if (key.return || input === ' ') return row.field ? [] : [{ type: 'toggleLayer', key: row.key }];
  if (key.rightArrow || input === 'l') return row.field ? [] : [{ type: 'toggleLayer', key: row.key, open: true }];
  if (key.leftArrow || input === 'h') {
    if (!row.field) return [{ type: 'toggleLayer', key: row.key, open: false }];
    // on a field: go up to its layer's row
    const k = rows.findIndex((r) => r.key === row.key && !r.field);
    return [{ type: 'move', pane: 'tree', delta: k - treeCursor(s, rows), count: rows.length, current: treeCursor(s, rows) }];
  }
  return [];
}

function hexKeysFor(s: State, input: string, key: Key, session: Session): Action[] {
  const m = motion(input, key);
  if (!m) return [];
  const i = selectedFrame(s);
  if (i < 0) return [];
  const l = currentLayout(s);
  const per = bytesPerLine(l.hex?.width ?? 80);
  const lines = Math.ceil(session.frame(i).caplen / per);
  const count = Math.max(1, lines - contentRows(l.hex) + 1);
  return [moveAction('hex', m, count)];
}

function listKeysFor(s: State, input: string, key: Key): Action[] {
  const m = motion(input, key);
  if (m) return [moveAction('list', m)];
  if (key.return) return [{ type: 'focus', pane: s.view === 'timeline' ? 'timeline' : 'tree' }];
  return [];
}

function timelineKeysFor(s: State, input: string, key: Key, session: Session): Action[] {
  const ref = selectedTrace(session, s);
  if (!ref) return [];
  const m = motion(input, key);
  const cur = hopCursor(s, ref);
  if (m) return [moveAction('timeline', m, ref.trace.hops.length, cur)];
  if (key.return) {
    const h = ref.trace.hops[cur];
    const i = session.analysis?.frameIndex(h.source, h.frame);
    if (i === undefined) return [{ type: 'message', message: { kind: 'error', text: 'that frame is not in the list' } }];
    return [{ type: 'select', frame: i }];
  }
  return [];
}

/** Frame-list and timeline views. */
export const viewKeys: Handler = (s, input, key, session) => {
  const c = common(s, input, key);
  if (c) return c;
  switch (s.focus) {
    case 'list':
      return listKeysFor(s, input, key);
    case 'tree':
      return treeKeysFor(s, input, key, session);
    case 'hex':
      return hexKeysFor(s, input, key, session);
    case 'timeline':
      return timelineKeysFor(s, input, key, session);
    default:
      return [];
  }
};

export const findingsKeys: Handler = (s, input, key, session) => {
  const c = common(s, input, key);
  if (c) return c;
  const a = session.analysis;
  const list = a?.findings ?? [];
  const m = motion(input, key);
  if (m) return [moveAction('findings', m, list.length)];
  if (key.return) {
    const f = list[Math.min(s.finding, list.length - 1)];
    if (!f) return [];
    if (!f.frames.length) return [{ type: 'message', message: { kind: 'info', text: 'this finding names no frame' } }];
    const k = s.evidence % f.frames.length;
    return [
      { type: 'nextEvidence', count: f.frames.length },
      {
        type: 'select',
        frame: f.frames[k],
        view: 'list',
        focus: 'list',
        message: { kind: 'info', text: `evidence ${k + 1} of ${f.frames.length} for ${f.finding.kind} (f, Enter: the next one)` },
      },
    ];
  }
  return [];
};

export const flowsKeys: Handler = (s, input, key, session) => {
  const c = common(s, input, key);
  if (c) return c;
  const rows = session.analysis?.flows() ?? [];
  const m = motion(input, key);
  if (m) return [moveAction('flows', m, rows.length)];
  if (key.return) {
    const r = rows[Math.min(s.flow, rows.length - 1)];
    if (!r) return [];
    const i = session.analysis?.packetFrame(r.first_packet);
    if (i === undefined) return [];
    return [{ type: 'select', frame: i, view: 'timeline', focus: 'list' }];
  }
  return [];
};

export const helpKeys: Handler = (s, input, key) => {
  if (input === 'q' || input === '?' || key.escape) return [{ type: 'help' }];
  const m = motion(input, key);
  if (m) return [moveAction('help', m, Math.max(1, helpLines().length - contentRows(currentLayout(s).help) + 1))];
  return [];
};

const NAMES = filterNames(true);

/** The word being typed at the cursor: [start, end). */
function wordAt(text: string, cursor: number): [number, number] {
  let a = cursor;
  while (a > 0 && /[\w.-]/.test(text[a - 1])) a--;
  return [a, cursor];
}

/** Names that complete the word at the cursor (for Tab and the hint line). */
export function completions(text: string, cursor: number): { start: number; word: string; names: string[] } {
  const [a, b] = wordAt(text, cursor);
  const word = text.slice(a, b).toLowerCase();
  if (!word) return { start: a, word, names: [] };
  return { start: a, word, names: NAMES.filter((n) => n.startsWith(word) && n !== word) };
}

function commonPrefix(names: readonly string[]): string {
  if (!names.length) return '';
  let p = names[0];
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export const promptKeys: Handler = (s, input, key) => {
  const p = s.prompt;
  if (!p) return [];
  const { text, cursor } = p;
  const set = (t: string, c: number): Action[] => [{ type: 'promptSet', text: t, cursor: c }];
  if (key.return) return [{ type: 'applyFilter' }];
  if (key.escape) return [{ type: 'promptCancel' }];
  if (key.upArrow) return [{ type: 'promptHistory', dir: -1 }];
  if (key.downArrow) return [{ type: 'promptHistory', dir: 1 }];
  if (key.leftArrow) return set(text, cursor - 1);
  if (key.rightArrow) return set(text, cursor + 1);
  if (key.home || (key.ctrl && input === 'a')) return set(text, 0);
  if (key.end || (key.ctrl && input === 'e')) return set(text, text.length);
  if (key.ctrl && input === 'u') return set(text.slice(cursor), 0);
  if (key.ctrl && input === 'k') return set(text.slice(0, cursor), cursor);
  if (key.ctrl && input === 'w') {
    let a = cursor;
    while (a > 0 && text[a - 1] === ' ') a--;
    while (a > 0 && text[a - 1] !== ' ') a--;
    return set(text.slice(0, a) + text.slice(cursor), a);
  }
  // most terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`
  if (key.backspace || key.delete) return cursor > 0 ? set(text.slice(0, cursor - 1) + text.slice(cursor), cursor - 1) : [];
  if (key.tab) {
    const c = completions(text, cursor);
    if (!c.names.length) return [];
    const add = c.names.length === 1 ? c.names[0] : commonPrefix(c.names);
    if (add.length <= c.word.length) return [];
    return set(text.slice(0, c.start) + add + text.slice(cursor), c.start + add.length);
  }
  if (key.ctrl || key.meta) return [];
  if (!input) return [];
  // typed or pasted text, without control characters (a paste may carry a newline)
  // eslint-disable-next-line no-control-regex
  const clean = input.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return set(text.slice(0, cursor) + clean + text.slice(cursor), cursor + clean.length);
};

/**
 * Several keys read at once (typed fast, sent by a script): one [input, key] per key, Enter,
 * Tab and Backspace recognised; while `text()` says the prompt is open, printable runs stay
 * together as typed text.
 */
export function* splitKeys(input: string, text: () => boolean): Generator<[string, Key]> {
  const chars = [...input];
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k];
    if (c === '\r' || c === '\n') yield ['', keyOf({ return: true })];
    else if (c === '\t') yield ['', keyOf({ tab: true })];
    else if (c === '\x7f') yield ['', keyOf({ delete: true })];
    else if (c === '\b') yield ['', keyOf({ backspace: true })];
    else if (text()) {
      let run = c;
      while (k + 1 < chars.length && !/[\r\n\t\x7f\b]/.test(chars[k + 1])) run += chars[++k];
      yield [run, keyOf()];
    } else yield [c, keyOf({ shift: /^[A-Z]$/.test(c) })];
  }
}

export const HANDLERS: Readonly<Record<Mode, Handler>> = {
  list: viewKeys,
  timeline: viewKeys,
  findings: findingsKeys,
  flows: flowsKeys,
  help: helpKeys,
  'filter-input': promptKeys,
};
