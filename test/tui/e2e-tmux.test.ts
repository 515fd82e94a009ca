// End to end: the built `vxdecode tui` on the lab's vxlan-ping captures, inside a real terminal
// (tmux, 160x50): select an echo request, open its timeline and see all ten hops with their node
// and interface names, apply a filter, quit with q, and find the shell usable (normal screen,
// cursor shown, terminal settings as they were).
//
// Needs tmux and a build (`npm run build`; `npm test` builds first). Neither is skipped over
// silently: without them this test fails and says why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CAPTURES, ROOT } from './helpers.js';

/**
 * One tmux server (socket) and session per test: a server whose last session was just killed is
 * still exiting, and a new session on the same socket can die with it.
 */
let SOCKET = '';
let SESSION = '';

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);
const sendText = (text: string): string => tmux('send-keys', '-t', SESSION, '-l', text);
const sendKey = (...keys: string[]): string => tmux('send-keys', '-t', SESSION, ...keys);
const flags = (): string => tmux('display-message', '-p', '-t', SESSION, '#{alternate_on} #{cursor_flag}').trim();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: (s: string) => boolean, ms = 30000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
    await sleep(50);
  }
}

/** Newest modification time under a directory (ms). */
function newest(dir: string, ext: RegExp): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (ext.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function preconditions(): void {
  const v = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    throw new Error(
      'tmux is not available, and the end-to-end test of `vxdecode tui` needs a real terminal to run in: install tmux (apt-get install tmux)',
    );
  }
  const built = path.join(ROOT, 'dist/tui/components/App.js');
  if (!existsSync(built) || !existsSync(path.join(ROOT, 'dist/cli/tui.js'))) {
    throw new Error('vxdecode is not built: run `npm run build` before this test (npm test does)');
  }
  const src = Math.max(newest(path.join(ROOT, 'src/tui'), /\.tsx?$/), statSync(path.join(ROOT, 'src/cli/tui.ts')).mtimeMs);
  const dist = Math.min(statSync(built).mtimeMs, statSync(path.join(ROOT, 'dist/cli/tui.js')).mtimeMs);
  if (dist < src) throw new Error('the build in dist/ is older than src/tui: run `npm run build` before this test (npm test does)');
}

interface Hop {
  node: string;
  iface: string;
}

describe('vxdecode tui in a terminal (tmux)', () => {
  let tmp = '';

  beforeAll(() => {
    preconditions();
    tmp = mkdtempSync(path.join(tmpdir(), 'vxdecode-tui-'));
  });

  let n = 0;
  beforeEach(() => {
    SESSION = `t${++n}`;
    SOCKET = `vxdecode-e2e-${process.pid}-${n}`;
    tmux(
      'new-session', '-d', '-s', SESSION, '-x', '160', '-y', '50',
      // a plain shell; CI=false: Ink draws only the final frame when it thinks it runs in CI
      "env CI=false TERM=xterm-256color PS1='$ ' bash --norc --noprofile",
    );
  });

  afterEach(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('select an echo request, see its ten hops, filter, quit with q, and the shell is usable', async () => {
    const topo = JSON.parse(readFileSync(path.join(CAPTURES, 'vxlan-ping/topology.json'), 'utf8')) as { expected: { hops: Hop[] } };
    const hops = topo.expected.hops;
    expect(hops.length).toBe(10);

    await waitFor('the shell prompt', (s) => s.trim() === '$');
    sendText(`cd '${ROOT}' && stty -g > '${tmp}/before' && clear`);
    sendKey('Enter');
    await waitFor('the shell to be ready', (s) => s.trim() === '$');
    expect(flags()).toBe('0 1');

    sendText('node bin/vxdecode.js tui captures/vxlan-ping/*.pcap');
    sendKey('Enter');
    let s = await waitFor('the session with every frame read and analysed', (x) => /100%/.test(x) && /packets traced/.test(x));
    expect(s).toMatch(/vxdecode +10 inputs +\d+ frames/);
    // the TUI is on the alternate screen with the cursor hidden
    expect(flags()).toBe('1 0');
    const frames = Number(/(\d+) frames/.exec(s)![1]);
    expect(frames).toBeGreaterThan(80);

    // select the first echo request: down until the selected row is one
    const selected = (x: string): string => x.split('\n').find((l) => /^> +\d+ \d\d:/.test(l)) ?? '';
    for (let k = 0; k < 40 && !/ICMP echo request/.test(selected(screen())); k++) {
      const before = selected(screen());
      sendKey('j');
      await waitFor('the selection to move', (x) => selected(x) !== before);
    }
    s = screen();
    expect(selected(s)).toMatch(/node1\/pod1\.eth0 +10\.10\.1\.5 > 10\.10\.2\.6 ICMP echo request id \d+ seq 1/);

    // its timeline: all ten hops, in path order, with node and interface names
    sendKey('t');
    s = await waitFor('the timeline', (x) => x.includes('Timeline  packet'));
    expect(s).toMatch(/ICMP echo request 10\.10\.1\.5 > 10\.10\.2\.6 id \d+ seq 1 \(84 B\)/);
    expect(s).toMatch(/node1 → node2: delivered in/);
    const lines = s.split('\n');
    let at = -1;
    hops.forEach((h, k) => {
      const row = lines.findIndex((l) => new RegExp(`^[ >•] *${k + 1}  ${h.node} +${h.iface.replace(/\./g, '\\.')} `).test(l));
      expect(row, `hop ${k + 1}: ${h.node} ${h.iface}\n${s}`).toBeGreaterThan(at);
      at = row;
    });
    expect(s).toMatch(/10 hops/);

    // a display filter: only node2's ICMP frames remain
    sendKey('/');
    await waitFor('the filter prompt', (x) => /^\/( |$)/m.test(x));
    sendText('node==node2 && icmp');
    sendKey('Enter');
    s = await waitFor('the filter to apply', (x) => /filter node==node2 && icmp: [1-9]\d* match/.test(x) && !x.includes('scanned'));
    const rows = s.split('\n').filter((l) => /^[> ][ ●] *\d+ \d\d:\d\d:\d\d\./.test(l));
    expect(rows.length, s).toBeGreaterThan(5);
    for (const r of rows) expect(r).toMatch(/ node2\/\S+ .*ICMP/);
    // the timeline follows the selection
    expect(s).toContain('Timeline  packet');

    // q: back to the shell, on the normal screen, cursor visible, settings as before
    sendKey('q');
    s = await waitFor('the shell prompt after quitting', (x) => /^\$ *$/m.test(x.split('\n').filter((l) => l.trim()).pop() ?? ''));
    expect(flags()).toBe('0 1');
    expect(s).toContain('node bin/vxdecode.js tui captures/vxlan-ping/*.pcap');
    expect(s).not.toContain('Frames');
    sendText(`echo "exit=$?"; stty -g > '${tmp}/after'; cmp -s '${tmp}/before' '${tmp}/after' && echo "terminal-ok-$((6*7))"`);
    sendKey('Enter');
    s = await waitFor('the shell to answer', (x) => x.includes('terminal-ok-42') || /\$ *\n(.*\n)*\$ *$/.test(x.trimEnd()));
    expect(s).toContain('exit=0');
    expect(s).toContain('terminal-ok-42');
  }, 180_000);

  it('a capture on standard input: keys come from the terminal; Ctrl-C quits cleanly', async () => {
    await waitFor('the shell prompt', (s) => s.trim() === '$');
    sendText(`cd '${ROOT}' && stty -g > '${tmp}/before2' && clear`);
    sendKey('Enter');
    await waitFor('the shell', (s) => s.trim() === '$');
    sendText('cat captures/vxlan-ping/node1-eth0.pcap | node bin/vxdecode.js tui node1/eth0=-');
    sendKey('Enter');
    let s = await waitFor('the stream to end', (x) => x.includes('(stream ended)'));
    expect(s).toMatch(/vxdecode +1 input +\d+ frames/);
    expect(flags()).toBe('1 0');
    // a stream is followed from the bottom; k moves up, from the keyboard (/dev/tty), not the pipe
    const sel = (x: string): string => x.split('\n').find((l) => /^> +\d+ \d\d:/.test(l)) ?? '';
    const last = Number(/^> +(\d+) /.exec(sel(s))![1]);
    expect(last).toBeGreaterThan(5);
    sendKey('k');
    s = await waitFor('the selection to move up', (x) => new RegExp(`^> +${last - 1} `).test(sel(x)));
    expect(sel(s)).toContain('node1/eth0');
    sendKey('C-c');
    s = await waitFor('the shell after Ctrl-C', (x) => /^\$ *$/m.test(x.split('\n').filter((l) => l.trim()).pop() ?? ''));
    expect(flags()).toBe('0 1');
    sendText(`stty -g > '${tmp}/after2'; cmp -s '${tmp}/before2' '${tmp}/after2' && echo "stdin-ok-$((6*7))"`);
    sendKey('Enter');
    s = await waitFor('the shell to answer', (x) => x.includes('stdin-ok-42'));
  }, 180_000);
});
