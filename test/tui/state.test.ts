// The reducer, without rendering: navigation, scrolling, filtering, expansion, views, with the
// frames of a real lab capture in the store.
import { beforeAll, describe, expect, it } from 'vitest';
import { Input, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { merged } from '../../src/capture/read.js';
import type { Frame } from '../../src/capture/frame.js';
import { dissect } from '../../src/decoders/index.js';
import {
  frameAt,
  initialState,
  isMatch,
  listRows,
  mode,
  reducer,
  rowCount,
  selRow,
  selectedFrame,
  type Action,
  type State,
} from '../../src/tui/state.js';
import { FrameStore } from '../../src/tui/store.js';
import { scenario } from './helpers.js';

let frames: Frame[] = [];

beforeAll(async () => {
  const registry = new SourceRegistry();
  const inputs = scenario('vxlan-ping').map((f) => new Input(parseInputArg(f), { registry }));
  for await (const b of merged(inputs)) frames.push(...b);
});

function loaded(size = { cols: 160, rows: 50 }): State {
  const store = new FrameStore();
  store.append(frames);
  let s = initialState({ frames: store, size });
  s = reducer(s, { type: 'frames', total: store.length });
  return reducer(s, { type: 'load', load: { done: true } });
}

function run(s: State, ...actions: Action[]): State {
  for (const a of actions) s = reducer(s, a);
  return s;
}

/** Scan the store with the state's filter, as the session does, and report it. */
function scan(s: State): State {
  const f = s.filter!;
  for (let i = 0; i < s.total; i++) if (f.predicate(dissect(s.frames.get(i)))) f.rows.push(i);
  return reducer(s, { type: 'filterProgress', gen: f.gen, matched: f.rows.length, scanned: s.total });
}

const isEchoRequest = (i: number): boolean => {
  const p = dissect(frames[i]);
  return p.layers.some((l) => l.layer === 'icmp' && l.type === 8);
};

describe('navigation', () => {
  it('starts on the first frame and moves row by row, by page, and to either end', () => {
    let s = loaded();
    expect(frames.length).toBeGreaterThan(80);
    expect(selectedFrame(s)).toBe(0);
    s = run(s, { type: 'move', pane: 'list', delta: 1 }, { type: 'move', pane: 'list', delta: 1 });
    expect(selectedFrame(s)).toBe(2);
    s = reducer(s, { type: 'move', pane: 'list', delta: -5 });
    expect(selectedFrame(s)).toBe(0);
    const h = listRows(s);
    expect(h).toBeGreaterThan(5);
    s = reducer(s, { type: 'page', pane: 'list', dir: 1 });
    expect(selectedFrame(s)).toBe(h - 1);
    s = reducer(s, { type: 'move', pane: 'list', delta: Infinity });
    expect(selectedFrame(s)).toBe(frames.length - 1);
    // the last row is on screen, and the list is scrolled no further than needed
    expect(s.top).toBe(frames.length - h);
    s = reducer(s, { type: 'move', pane: 'list', delta: -Infinity });
    expect(selectedFrame(s)).toBe(0);
    expect(s.top).toBe(0);
  });

  it('keeps the selection on screen when the terminal shrinks', () => {
    let s = run(loaded(), { type: 'move', pane: 'list', delta: 30 });
    expect(s.top).toBeLessThanOrEqual(30);
    s = reducer(s, { type: 'resize', size: { cols: 80, rows: 14 } });
    const h = listRows(s);
    expect(h).toBeLessThan(10);
    expect(selRow(s)).toBeGreaterThanOrEqual(s.top);
    expect(selRow(s)).toBeLessThan(s.top + h);
  });

  it('follows new frames of a stream until the user moves up', () => {
    const store = new FrameStore();
    let s = initialState({ frames: store, size: { cols: 120, rows: 40 }, stream: true });
    store.append(frames.slice(0, 10));
    s = reducer(s, { type: 'frames', total: 10 });
    expect(selectedFrame(s)).toBe(9);
    store.append(frames.slice(10, 50));
    s = reducer(s, { type: 'frames', total: 50 });
    expect(selectedFrame(s)).toBe(49);
    expect(selRow(s)).toBeLessThan(s.top + listRows(s));
    s = reducer(s, { type: 'move', pane: 'list', delta: -3 });
    expect(selectedFrame(s)).toBe(46);
    store.append(frames.slice(50, 60));
    s = reducer(s, { type: 'frames', total: 60 });
    expect(selectedFrame(s)).toBe(46);
    // G while reading follows again
    s = reducer(s, { type: 'move', pane: 'list', delta: Infinity });
    expect(s.follow).toBe(true);
  });

  it('cycles the focus through the panes of the view, and views come and go', () => {
    let s = loaded();
    expect(s.focus).toBe('list');
    s = run(s, { type: 'cycleFocus', dir: 1 });
    expect(s.focus).toBe('tree');
    s = run(s, { type: 'cycleFocus', dir: 1 });
    expect(s.focus).toBe('hex');
    s = run(s, { type: 'cycleFocus', dir: 1 });
    expect(s.focus).toBe('list');
    s = run(s, { type: 'cycleFocus', dir: -1 });
    expect(s.focus).toBe('hex');
    s = run(s, { type: 'view', view: 'timeline' });
    expect(s.focus).toBe('list');
    s = run(s, { type: 'cycleFocus', dir: 1 });
    expect(s.focus).toBe('timeline');
    s = run(s, { type: 'help' });
    expect(mode(s)).toBe('help');
    s = run(s, { type: 'help' });
    expect(s.view).toBe('timeline');
    s = run(s, { type: 'view', view: 'findings' });
    expect(s.focus).toBe('findings');
    s = run(s, { type: 'quit' });
    expect(s.quit).toBe(true);
  });
});

describe('filtering', () => {
  it('reports a bad expression at its column and keeps the prompt open', () => {
    let s = run(loaded(), { type: 'openPrompt' }, { type: 'promptSet', text: 'ip.srcc == 10.10.1.5', cursor: 20 });
    expect(mode(s)).toBe('filter-input');
    s = reducer(s, { type: 'applyFilter' });
    expect(mode(s)).toBe('filter-input');
    expect(s.prompt?.error?.column).toBe(1);
    expect(s.prompt?.error?.message).toMatch(/ip\.src/);
    expect(s.filter).toBeUndefined();
  });

  it('shows only the matching frames, keeps the place, and clears', () => {
    let s = run(loaded(), { type: 'move', pane: 'list', delta: 3 });
    s = run(s, { type: 'openPrompt' }, { type: 'promptSet', text: 'inner.icmp.type == echo-request', cursor: 31 }, { type: 'applyFilter' });
    expect(mode(s)).toBe('list');
    expect(s.filter?.expr).toBe('inner.icmp.type == echo-request');
    expect(rowCount(s)).toBe(0);
    s = scan(s);
    const expected = frames.map((_, i) => i).filter(isEchoRequest);
    // four pings, each seen on the ten interfaces of the path
    expect(expected.length).toBe(40);
    expect(rowCount(s)).toBe(40);
    for (let r = 0; r < rowCount(s); r++) expect(frameAt(s, r)).toBe(expected[r]);
    // the selection settled on the first match after the frame selected before
    expect(selectedFrame(s)).toBe(expected.find((i) => i >= 3));
    s = reducer(s, { type: 'move', pane: 'list', delta: 1 });
    expect(selectedFrame(s)).toBe(expected[1]);
    expect(s.history).toEqual(['inner.icmp.type == echo-request']);
    s = run(s, { type: 'openPrompt' }, { type: 'promptSet', text: '', cursor: 0 }, { type: 'applyFilter' });
    expect(s.filter).toBeUndefined();
    expect(rowCount(s)).toBe(frames.length);
    expect(selectedFrame(s)).toBe(expected[1]);
  });

  it('n / N jump between matches when all frames are shown, wrapping at the ends', () => {
    let s = run(loaded(), { type: 'applyFilter', expr: 'node==node2 && icmp' });
    s = scan(s);
    s = reducer(s, { type: 'toggleHide' });
    expect(s.filter?.hide).toBe(false);
    expect(rowCount(s)).toBe(frames.length);
    const matches = frames.map((_, i) => i).filter((i) => isMatch(s, i));
    expect(matches.length).toBeGreaterThan(10);
    for (const i of matches) expect(frames[i].source.node).toBe('node2');
    s = reducer(s, { type: 'move', pane: 'list', delta: -Infinity });
    s = reducer(s, { type: 'nextMatch', dir: 1 });
    expect(selectedFrame(s)).toBe(matches[0]);
    s = reducer(s, { type: 'nextMatch', dir: 1 });
    expect(selectedFrame(s)).toBe(matches[1]);
    s = reducer(s, { type: 'nextMatch', dir: -1 });
    s = reducer(s, { type: 'nextMatch', dir: -1 });
    expect(selectedFrame(s)).toBe(matches[matches.length - 1]);
    expect(s.message?.text).toMatch(/TOP/);
  });

  it('jumping to a frame the filter hides shows every frame, with a word about it', () => {
    let s = scan(run(loaded(), { type: 'applyFilter', expr: 'arp' }));
    const notArp = frames.findIndex((f) => !dissect(f).layers.some((l) => l.layer === 'arp'));
    s = reducer(s, { type: 'select', frame: notArp });
    expect(s.filter?.hide).toBe(false);
    expect(selectedFrame(s)).toBe(notArp);
    expect(s.message?.text).toMatch(/does not match/);
  });

  it('ignores the progress of a filter that has been replaced', () => {
    let s = run(loaded(), { type: 'applyFilter', expr: 'arp' });
    const old = s.filter!.gen;
    s = reducer(s, { type: 'applyFilter', expr: 'icmp' });
    const after = reducer(s, { type: 'filterProgress', gen: old, matched: 5, scanned: 10 });
    expect(after).toBe(s);
  });
});

describe('layers', () => {
  it('expands and collapses layers by key, one at a time or all', () => {
    let s = reducer(loaded(), { type: 'toggleLayer', key: 'ipv4#0' });
    expect(s.expanded.has('ipv4#0')).toBe(true);
    s = reducer(s, { type: 'toggleLayer', key: 'ipv4#0' });
    expect(s.expanded.has('ipv4#0')).toBe(false);
    s = reducer(s, { type: 'toggleLayer', key: 'eth#0', open: true });
    expect(reducer(s, { type: 'toggleLayer', key: 'eth#0', open: true })).toBe(s);
    s = reducer(s, { type: 'setLayers', keys: ['frame', 'eth#0', 'ipv4#0', 'icmp#0'], open: true });
    expect([...s.expanded].sort()).toEqual(['eth#0', 'frame', 'icmp#0', 'ipv4#0']);
    s = reducer(s, { type: 'setLayers', keys: ['frame', 'eth#0', 'ipv4#0', 'icmp#0'], open: false });
    expect(s.expanded.size).toBe(0);
  });

  it('the tree cursor stays within the rows the handler says there are', () => {
    let s = loaded();
    s = reducer(s, { type: 'move', pane: 'tree', delta: 10, count: 4 });
    expect(s.treeRow).toBe(3);
    s = reducer(s, { type: 'move', pane: 'tree', delta: -Infinity, count: 4 });
    expect(s.treeRow).toBe(0);
  });

  it('the per-frame cursors start over when another frame is selected', () => {
    let s = run(loaded(), { type: 'move', pane: 'hex', delta: 2, count: 5 }, { type: 'move', pane: 'timeline', delta: 3, count: 10, current: 0 });
    expect(s.hexTop).toBe(2);
    expect(s.hop).toBe(3);
    s = reducer(s, { type: 'move', pane: 'list', delta: 1 });
    expect(s.hexTop).toBe(0);
    expect(s.hop).toBeUndefined();
  });
});
