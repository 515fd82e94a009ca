// The components, rendered (ink-testing-library) over sessions reading the lab's real captures:
// navigation, filtering, layer expansion with the hex highlight, the timeline, the findings and
// flows views, help, resizing, NO_COLOR, escaping, and keys answered while reading.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import { Input, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { merged } from '../../src/capture/read.js';
import { App } from '../../src/tui/components/App.js';
import { Session } from '../../src/tui/session.js';
import { selectedFrame } from '../../src/tui/state.js';
import { COLOR_THEME, PLAIN_THEME } from '../../src/tui/theme.js';
import { CAPTURES, loadedSession, scenario } from './helpers.js';

const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  pageDown: '\x1b[6~',
  pageUp: '\x1b[5~',
  enter: '\r',
  tab: '\t',
  shiftTab: '\x1b[Z',
  escape: '\x1b',
  backspace: '\x7f',
};

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const plain = (s: string | undefined): string => (s ?? '').replace(ANSI, '');

const SIZE = { cols: 160, rows: 50 };

interface Topology {
  expected: { hops: { node: string; iface: string; ttl: number }[] };
  probe: { count: number };
}
function topology(name: string): Topology {
  return JSON.parse(readFileSync(path.join(CAPTURES, name, 'topology.json'), 'utf8')) as Topology;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until the screen satisfies `ok` (the render after a key is asynchronous). */
async function until(screen: () => string, ok: (s: string) => boolean, what: string, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = plain(screen());
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(10);
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function mount(name: string, size = SIZE) {
  const session = await loadedSession(scenario(name), { size });
  const r = render(<App session={session} size={size} />);
  cleanups.push(() => {
    r.unmount();
    session.stop();
  });
  const screen = (): string => r.lastFrame() ?? '';
  await until(screen, (s) => s.includes('Frames'), 'the first screen');
  /** Send keys one by one, letting each be handled. */
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      r.stdin.write(k);
      await sleep(15);
    }
  };
  const type = async (text: string): Promise<void> => {
    for (const c of text) {
      r.stdin.write(c);
      await sleep(2);
    }
    await sleep(15);
  };
  return { session, r, screen, press, type };
}

/** Lines of the frame list (those starting with the selection marker column and a number). */
function listLines(screen: string): string[] {
  return screen.split('\n').filter((l) => /^[> ][ ●]\s*\d+ \d\d:\d\d:\d\d\./.test(l));
}

function selectedLine(screen: string): string {
  const l = listLines(screen).find((x) => x.startsWith('>'));
  if (!l) throw new Error(`no selected row in:\n${screen}`);
  return l;
}

function firstEchoRequest(session: Session): number {
  for (let i = 0; i < session.frames.length; i++) if (/ICMP echo request/.test(session.line(i))) return i;
  throw new Error('no echo request');
}

describe('frame list', () => {
  it('shows the frames with time, node/interface and the outer | inner summary, and the layers and hex of the first', async () => {
    const { session, screen } = await mount('vxlan-ping');
    const s = plain(screen());
    expect(s).toContain(`${session.frames.length} frames`);
    expect(s).toContain('100%');
    const rows = listLines(s);
    // as many rows as the pane has room for, no more (the list is virtualised)
    expect(rows.length).toBeGreaterThan(15);
    expect(rows.length).toBeLessThan(30);
    expect(rows[0]).toMatch(/^> +1 \d\d:\d\d:\d\d\.\d{9} node1\/pod1\.eth0 +ARP who-has 10\.10\.1\.1 tell 10\.10\.1\.5/);
    expect(s).toMatch(/192\.168\.2\.16:\d+ > 192\.168\.2\.15:8472 VXLAN vni 1 \| 10\.10\.1\.5 > 10\.10\.2\.6 ICMP echo request/);
    expect(s).toContain('Layers');
    expect(s).toMatch(/▸ Ethernet {2}[0-9a-f:]{17} > ff:ff:ff:ff:ff:ff {2}type 0x0806 \(ARP\)/);
    expect(s).toMatch(/0000 {2}ff ff ff ff ff ff/);
  });

  it('moves with j/k and the arrows, pages, and goes to either end with g/G', async () => {
    const { session, screen, press } = await mount('vxlan-ping');
    const n = session.frames.length;
    await press('j', 'j', KEY.down);
    expect(selectedLine(plain(screen()))).toMatch(/^> +4 /);
    await press('k', KEY.up);
    expect(selectedLine(plain(screen()))).toMatch(/^> +2 /);
    await press('G');
    let s = plain(screen());
    expect(selectedLine(s)).toMatch(new RegExp(`^> +${n} `));
    expect(s).toContain(`${n}/${n}`);
    await press(KEY.pageUp);
    s = plain(screen());
    const rows = listLines(s).length;
    expect(selectedLine(s)).toMatch(new RegExp(`^> +${n - (rows - 1)} `));
    await press('g');
    expect(selectedLine(plain(screen()))).toMatch(/^> +1 /);
    await press(KEY.pageDown);
    expect(selectedLine(plain(screen()))).toMatch(new RegExp(`^> +${rows} `));
  });

  it('answers keys while the captures are still being read', async () => {
    // a reader that hands the frames over slowly, a few at a time, like a big file or a pipe
    const registry = new SourceRegistry();
    const inputs = scenario('vxlan-ping').map((f) => new Input(parseInputArg(f), { registry }));
    const all: Frame[] = [];
    for await (const b of merged(inputs)) all.push(...b);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<Frame[]> {
      yield all.slice(0, 20);
      await gate;
      yield all.slice(20);
    }
    const session = new Session({ size: SIZE, inputs: 10, fileSize: 1000 });
    let bytes = 100;
    session.start(slow(), () => bytes);
    const r = render(<App session={session} size={SIZE} />);
    cleanups.push(() => {
      r.unmount();
      session.stop();
    });
    const screen = (): string => r.lastFrame() ?? '';
    let s = await until(screen, (x) => x.includes('20 frames'), 'the first batch');
    expect(s).toMatch(/20 frames +█░+ 10%/);
    r.stdin.write('j');
    await sleep(20);
    r.stdin.write('j');
    s = await until(screen, (x) => /^> +3 /m.test(x), 'the selection to move while reading');
    expect(session.state.load.done).toBe(false);
    bytes = 1000;
    release();
    await session.idle();
    s = await until(screen, (x) => x.includes(`${all.length} frames`), 'the rest');
    expect(s).toContain('100%');
    expect(selectedLine(s)).toMatch(/^> +3 /);
  });
});

describe('display filter', () => {
  it('/ opens the prompt; Enter shows only matching frames; n/N and m; an empty filter clears', async () => {
    const { session, screen, press, type } = await mount('vxlan-ping');
    const topo = topology('vxlan-ping');
    await press('/');
    await type('inner.icmp.type == echo-request');
    let s = plain(screen());
    expect(s).toContain('/ inner.icmp.type == echo-request');
    await press(KEY.enter);
    await session.idle();
    s = await until(screen, (x) => /matches/.test(x), 'the filter to apply');
    const want = topo.expected.hops.length * topo.probe.count;
    expect(s).toContain(`filter inner.icmp.type == echo-request: ${want} matches`);
    const rows = listLines(s);
    expect(rows.length).toBeGreaterThan(10);
    for (const l of rows) expect(l).toContain('ICMP echo request');
    // m: every frame again, matches marked; n jumps over the others
    await press('m');
    s = plain(screen());
    expect(listLines(s).some((l) => l.includes('ARP'))).toBe(true);
    expect(listLines(s).filter((l) => l.startsWith(' ●') || l.startsWith('>●')).every((l) => l.includes('echo request'))).toBe(true);
    await press('g', 'n');
    expect(selectedLine(plain(screen()))).toContain('echo request');
    const first = selectedFrame(session.state);
    await press('n');
    expect(selectedFrame(session.state)).toBeGreaterThan(first);
    await press('N');
    expect(selectedFrame(session.state)).toBe(first);
    // clear
    await press('/');
    await press('\x15'); // Ctrl-U
    await press(KEY.enter);
    s = await until(screen, (x) => x.includes('filter cleared'), 'the filter to clear');
    expect(s).not.toContain('matches');
  });

  it('shows where a bad expression is wrong, and Esc cancels', async () => {
    const { screen, press, type } = await mount('vxlan-ping');
    await press('/');
    await type('node == node2 && ip.srcc == 1.2.3.4');
    await press(KEY.enter);
    const s = await until(screen, (x) => x.includes('^'), 'the error');
    const lines = s.split('\n');
    const prompt = lines.findIndex((l) => l.startsWith('/ node == node2'));
    expect(prompt).toBeGreaterThan(0);
    const caret = lines[prompt + 1];
    expect(caret.indexOf('^')).toBe(lines[prompt].indexOf('ip.srcc'));
    expect(caret).toMatch(/ip\.src/);
    await press(KEY.escape);
    await until(screen, (x) => !x.includes('/ node == node2'), 'the prompt to close');
  });

  it('Tab completes field names and Backspace edits', async () => {
    const { screen, press, type } = await mount('vxlan-ping');
    await press('/');
    await type('vxlan.vn');
    expect(plain(screen())).toContain('Tab: vxlan.vni');
    await press(KEY.tab);
    expect(plain(screen())).toContain('/ vxlan.vni');
    await press(KEY.backspace, KEY.backspace);
    expect(plain(screen())).toMatch(/^\/ vxlan\.v\s*$/m);
  });
});

describe('layer tree and hex', () => {
  it('Enter expands a layer to every field; the hex pane highlights the bytes of the row', async () => {
    const { session, screen, press } = await mount('vxlan-ping');
    const target = firstEchoRequest(session);
    await press(...Array(target).fill('j'));
    expect(selectedLine(plain(screen()))).toContain('ICMP echo request');
    // Enter: from the list to the tree; rows: frame, Ethernet, IPv4, ICMP
    await press(KEY.enter, 'j', 'j');
    let s = plain(screen());
    expect(s).toMatch(/>▸ IPv4 {2}10\.10\.1\.5 > 10\.10\.2\.6 {2}ttl 64/);
    expect(s).toContain('ipv4 bytes 14–33');
    await press(KEY.enter);
    s = plain(screen());
    expect(s).toMatch(/▾ IPv4/);
    expect(s).toMatch(/ {4}ttl: 64/);
    expect(s).toMatch(/ {4}protocol: 1 \(ICMP\)/);
    expect(s).toMatch(/ {4}src: 10\.10\.1\.5/);
    // down to the ttl field: one byte, at offset 14 + 8
    const rows = s.split('\n');
    const tree = rows.findIndex((l) => l.includes('▾ IPv4'));
    const ttl = rows.findIndex((l) => /^ {5}ttl: 64/.test(l));
    await press(...Array(ttl - tree).fill('j'));
    s = plain(screen());
    expect(s).toMatch(/> {4}ttl: 64/);
    expect(s).toContain('ipv4.ttl bytes 22–22');
    // collapse again with ← (to the layer row) and Enter
    await press(KEY.left, KEY.enter);
    s = plain(screen());
    expect(s).toMatch(/>▸ IPv4/);
    expect(s).not.toMatch(/ {4}ttl: 64/);
    // e expands every layer, c collapses them
    await press('e');
    s = plain(screen());
    expect(s).toMatch(/▾ Ethernet/);
    expect([...session.state.expanded].sort()).toEqual(['eth#0', 'frame', 'icmp#0', 'ipv4#0']);
    // the cursor stays on its layer
    expect(s).toMatch(/>▾ IPv4/);
    await press('c');
    s = plain(screen());
    expect(s).not.toMatch(/▾/);
    expect(s).toMatch(/>▸ IPv4/);
  });

  it('Tab goes to the hex pane and back to the list', async () => {
    const { session, screen, press } = await mount('vxlan-ping');
    await press(KEY.tab, KEY.tab);
    expect(session.state.focus).toBe('hex');
    expect(plain(screen())).toMatch(/▶ Hex/);
    await press(KEY.tab);
    expect(session.state.focus).toBe('list');
    await press(KEY.shiftTab);
    expect(session.state.focus).toBe('hex');
  });
});

describe('timeline', () => {
  it('t shows all ten hops of an echo request with node, interface, role, time and changes; Enter jumps to a hop', async () => {
    const { session, screen, press } = await mount('vxlan-ping');
    const topo = topology('vxlan-ping');
    const target = firstEchoRequest(session);
    await press(...Array(target).fill('j'));
    await press('t');
    const s = await until(screen, (x) => x.includes('Timeline  packet'), 'the timeline');
    expect(s).toMatch(/Timeline {2}packet \d+: ICMP echo request 10\.10\.1\.5 > 10\.10\.2\.6 id \d+ seq 1 \(84 B\)/);
    expect(s).toMatch(/node1 → node2: delivered in/);
    const lines = s.split('\n');
    const hops = topo.expected.hops;
    expect(hops.length).toBe(10);
    hops.forEach((h, k) => {
      const row = lines.find((l) => new RegExp(`^[ >•] *${k + 1}  ${h.node} +${h.iface.replace(/\./g, '\\.')} `).test(l));
      expect(row, `hop ${k + 1} ${h.node} ${h.iface}`).toBeDefined();
    });
    expect(s).toMatch(/flannel\.1 +vtep +\+[\d.]+ µs .*routed: ttl 64→63/);
    expect(s).toMatch(/node1 +eth0 +underlay .*encap VXLAN vni 1 192\.168\.2\.16:\d+ > 192\.168\.2\.15:8472/);
    expect(s).toMatch(/node2 +flannel\.1 +vtep .*decap VXLAN/);
    // Tab to the timeline, down to hop 5 (node1 eth0), Enter: the list selects that frame
    await press(KEY.tab, 'g', 'j', 'j', 'j', 'j', KEY.enter);
    const after = plain(screen());
    expect(selectedLine(after)).toMatch(/node1\/eth0 +192\.168\.2\.16:\d+ > 192\.168\.2\.15:8472 VXLAN/);
    expect(after).toMatch(/^> *5  node1 +eth0 /m);
    // t again: back to the list view
    await press(KEY.tab, 't');
    expect(plain(screen())).toContain('Layers');
  });

  it('a lost packet shows where it was last seen and the hop it never reached', async () => {
    const { session, screen, press } = await mount('vxlan-forward-drop');
    const target = firstEchoRequest(session);
    await press(...Array(target).fill('j'), 't');
    const s = await until(screen, (x) => x.includes('Timeline  packet'), 'the timeline');
    expect(s).toContain('LOST after node2 flannel.1');
    expect(s).toMatch(/✗ +node2 +cni0 +bridge +never/);
  });

  it('says why there is no timeline for an ARP frame', async () => {
    const { screen, press } = await mount('vxlan-ping');
    await press('t');
    expect(plain(screen())).toMatch(/frame 1 is not part of a traced IPv4 packet/);
  });
});

describe('findings and flows', () => {
  it('f lists the findings; Enter jumps to the evidence frames in turn', async () => {
    const { session, screen, press } = await mount('vxlan-forward-drop');
    expect(session.analysis?.findings.length).toBeGreaterThan(0);
    await press('f');
    let s = await until(screen, (x) => x.includes('Findings'), 'the findings');
    expect(s).toMatch(/> error +drop +node2 +flannel\.1 → cni0 +4 of 4 ICMP echo requests/);
    expect(s).toContain('Check: iptables -L FORWARD');
    await press(KEY.enter);
    s = plain(screen());
    expect(session.state.view).toBe('list');
    expect(selectedLine(s)).toMatch(/node2\/flannel\.1 +10\.10\.1\.5 > 10\.10\.2\.6 ICMP echo request/);
    expect(s).toContain('evidence 1 of');
    const first = selectedFrame(session.state);
    await press('f', KEY.enter);
    expect(selectedFrame(session.state)).not.toBe(first);
    expect(plain(screen())).toContain('evidence 2 of');
  });

  it('a healthy capture has no error finding', async () => {
    const { session, screen, press } = await mount('vxlan-ping');
    await press('f');
    const s = plain(screen());
    expect(session.analysis?.findings.some((f) => f.finding.severity === 'error')).toBe(false);
    expect(s).not.toMatch(/^> error/m);
  });

  it('F lists the flows; Enter opens the first packet of the flow in the timeline', async () => {
    const { screen, press } = await mount('vxlan-ping');
    await press('F');
    let s = await until(screen, (x) => x.includes('Flows'), 'the flows');
    const rows = s.split('\n').filter((l) => /^[> ] (icmp|igmp|tcp|udp) /.test(l));
    const k = rows.findIndex((l) => /icmp +10\.10\.1\.5 > 10\.10\.2\.6 +4 +4 +0 +0 /.test(l));
    expect(k).toBeGreaterThanOrEqual(0);
    expect(rows.some((l) => /icmp +10\.10\.2\.6 > 10\.10\.1\.5 +4 +4 +0 +0 /.test(l))).toBe(true);
    await press(...Array(k).fill('j'));
    expect(plain(screen())).toMatch(/^> icmp +10\.10\.1\.5 > 10\.10\.2\.6/m);
    await press(KEY.enter);
    s = await until(screen, (x) => x.includes('Timeline  packet'), 'the timeline');
    expect(s).toMatch(/Timeline {2}packet \d+: ICMP echo request 10\.10\.1\.5 > 10\.10\.2\.6 id \d+ seq \d/);
    expect(selectedLine(s)).toMatch(/node1\/pod1\.eth0 +10\.10\.1\.5 > 10\.10\.2\.6 ICMP echo request/);
  });
});

describe('help, resize, colours, escaping, quit', () => {
  it('? shows the keys and the filter fields; q goes back', async () => {
    const { screen, press } = await mount('vxlan-ping');
    await press('?');
    let s = plain(screen());
    expect(s).toContain('Help');
    expect(s).toMatch(/t +hop timeline/);
    expect(s).toMatch(/\/ +type a filter/);
    await press('G');
    expect(plain(screen())).toMatch(/vxlan\.vni +number/);
    await press('q');
    s = plain(screen());
    expect(s).toContain('Frames');
    expect(s).not.toContain('Help');
  });

  it('reflows on resize: fewer rows, and tree over hex when narrow', async () => {
    const session = await loadedSession(scenario('vxlan-ping'), { size: SIZE });
    const r = render(<App session={session} size={SIZE} />);
    cleanups.push(() => {
      r.unmount();
      session.stop();
    });
    const screen = (): string => r.lastFrame() ?? '';
    let s = await until(screen, (x) => x.includes('Frames'), 'the first screen');
    const wide = s.split('\n');
    expect(wide.some((l) => l.includes('Layers') && l.includes('Hex'))).toBe(true);
    r.rerender(<App session={session} size={{ cols: 90, rows: 30 }} />);
    s = await until(screen, (x) => !x.split('\n').some((l) => l.includes('Layers') && l.includes('Hex')), 'the narrow layout');
    const narrow = s.split('\n');
    expect(narrow.length).toBeLessThan(30);
    expect(Math.max(...narrow.map((l) => l.length))).toBeLessThanOrEqual(90);
    expect(listLines(s).length).toBeLessThan(listLines(wide.join('\n')).length);
  });

  it('honours NO_COLOR: no colour codes, selection still visible (inverse)', async () => {
    const level = chalk.level;
    chalk.level = 1;
    try {
      const session = await loadedSession(scenario('vxlan-ping'), { size: SIZE });
      const colour = render(<App session={session} size={SIZE} theme={COLOR_THEME} />);
      const none = render(<App session={session} size={SIZE} theme={PLAIN_THEME} />);
      cleanups.push(() => {
        colour.unmount();
        none.unmount();
        session.stop();
      });
      await sleep(50);
      // eslint-disable-next-line no-control-regex
      const COLOR = /\x1b\[(3[0-7]|9[0-7]|38;)/;
      expect(colour.lastFrame()).toMatch(COLOR);
      expect(none.lastFrame()).not.toMatch(COLOR);
      expect(none.lastFrame()).toContain('\x1b[7m');
    } finally {
      chalk.level = level;
    }
    const { themeFromEnv } = await import('../../src/tui/theme.js');
    expect(themeFromEnv({ NO_COLOR: '1' }).color).toBe(false);
    expect(themeFromEnv({ NO_COLOR: '' }).color).toBe(true);
    expect(themeFromEnv({}).color).toBe(true);
  });

  it('shows control characters of a hostile interface name as text, never raw', async () => {
    const file = scenario('vxlan-ping').find((f) => f.endsWith('node1-eth0.pcap'))!;
    const registry = new SourceRegistry();
    const evil = `node1/e\x1b[2J\x07th0=${file}`;
    const inputs = [new Input(parseInputArg(evil), { registry })];
    const session = new Session({ size: SIZE, inputs: 1, fileSize: 1, sources: () => registry.sources });
    session.start(merged(inputs));
    await session.idle();
    const r = render(<App session={session} size={SIZE} />);
    cleanups.push(() => {
      r.unmount();
      session.stop();
    });
    const out = await until(() => r.lastFrame() ?? '', (x) => x.includes('Frames'), 'the screen');
    expect(out).toContain('node1/e\\x1b[2J\\x07th0');
    expect(out).toContain('Frame 1 of');
    expect(r.lastFrame()).not.toContain('\x1b[2J');
    expect(r.lastFrame()).not.toContain('\x07');
  });

  it('q ends the app', async () => {
    const session = await loadedSession(scenario('vxlan-ping'), { size: SIZE });
    const r = render(<App session={session} size={SIZE} />);
    cleanups.push(() => session.stop());
    await sleep(30);
    r.stdin.write('q');
    await sleep(30);
    expect(session.state.quit).toBe(true);
    // unmounted: another key changes nothing
    r.stdin.write('j');
    await sleep(30);
    expect(selectedFrame(session.state)).toBe(0);
  });
});
