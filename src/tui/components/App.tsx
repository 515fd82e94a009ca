/**
 * The whole screen: header, the panes of the current view, footer. State comes from the
 * session's store; each mode has its own useInput, active only in that mode.
 */
import { Box, useApp, useInput, useStdout, type Key } from 'ink';
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import { selectedTrace, selectedTree, treeCursor } from '../derive.js';
import { HANDLERS, splitKeys, type Handler } from '../keys.js';
import type { Session } from '../session.js';
import { currentLayout, mode, selectedFrame, type Mode, type Size, type State } from '../state.js';
import { ThemeContext, themeFromEnv, type Theme } from '../theme.js';
import { Footer, Header } from './Bars.js';
import { HexPane, LayerTree } from './Detail.js';
import { FrameList } from './FrameList.js';
import { Findings, Flows, Help } from './Lists.js';
import { Timeline } from './Timeline.js';

export interface AppProps {
  readonly session: Session;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  readonly size?: Size;
  readonly theme?: Theme;
}

/** One mode's keys: active only while that mode has them. */
function useModeInput(m: Mode, current: Mode, session: Session, handler: Handler): void {
  const onKey = useCallback(
    (input: string, key: Key) => {
      if (mode(session.state) !== m) return;
      // keys typed faster than they are read arrive together, as if pasted: one at a time,
      // each to the mode it lands in (in the prompt, a run of text stays together)
      if (input.length <= 1 || key.ctrl || key.meta || (m === 'filter-input' && !/[\r\n\t\x7f\b]/.test(input))) {
        for (const a of handler(session.state, input, key, session)) session.dispatch(a);
        return;
      }
      for (const [text, k] of splitKeys(input, () => mode(session.state) === 'filter-input')) {
        const s = session.state;
        for (const a of HANDLERS[mode(s)](s, text, k, session)) session.dispatch(a);
      }
    },
    [m, session, handler],
  );
  useInput(onKey, { isActive: current === m });
}

function timelineNote(session: Session, s: State): string {
  const i = selectedFrame(s);
  if (i < 0) return 'no frame selected';
  if (!session.analysis) return 'no analysis in this session';
  if (s.analysis.error) return `the analysis failed: ${s.analysis.error}`;
  if (!s.analysis.done && s.analysis.analyzed <= i) return `analysing… (${s.analysis.analyzed} of ${s.total} frames so far)`;
  if (!s.analysis.done) return 'this frame\'s packet is still being traced (its sightings may not all be in yet)';
  return `frame ${i + 1} is not part of a traced IPv4 packet (ARP, IPv6, or not decodable): nothing to follow across hops`;
}

function Body({ state, session }: { readonly state: State; readonly session: Session }) {
  const l = currentLayout(state);
  switch (state.view) {
    case 'list': {
      const rows = selectedTree(session, state);
      const row = rows[treeCursor(state, rows)];
      return (
        <Box flexDirection="column">
          <FrameList state={state} session={session} box={l.list!} />
          <Box flexDirection={l.sideBySide ? 'row' : 'column'}>
            <LayerTree state={state} rows={rows} box={l.tree!} />
            {l.sideBySide ? <Box width={1} /> : null}
            <HexPane state={state} session={session} row={row} box={l.hex!} />
          </Box>
        </Box>
      );
    }
    case 'timeline':
      return (
        <Box flexDirection="column">
          <FrameList state={state} session={session} box={l.list!} />
          <Timeline state={state} trace={selectedTrace(session, state)} box={l.timeline!} note={timelineNote(session, state)} />
        </Box>
      );
    case 'findings':
      return <Findings state={state} session={session} box={l.findings!} />;
    case 'flows':
      return <Flows state={state} session={session} box={l.flows!} />;
    case 'help':
      return <Help state={state} box={l.help!} />;
  }
}

export function App({ session, size, theme }: AppProps) {
  const state = useSyncExternalStore(session.store.subscribe, session.store.getState);
  const { stdout } = useStdout();
  const { exit } = useApp();

  // terminal size: given (tests) or the terminal's, following resizes
  useEffect(() => {
    if (size) {
      session.dispatch({ type: 'resize', size });
      return;
    }
    const onResize = (): void => session.dispatch({ type: 'resize', size: { cols: stdout.columns || 100, rows: stdout.rows || 30 } });
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [session, size, stdout]);

  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);

  const m = mode(state);
  // always active: keeps the terminal in raw mode while the mode hooks hand over
  useInput(() => {});
  useModeInput('list', m, session, HANDLERS.list);
  useModeInput('timeline', m, session, HANDLERS.timeline);
  useModeInput('findings', m, session, HANDLERS.findings);
  useModeInput('flows', m, session, HANDLERS.flows);
  useModeInput('help', m, session, HANDLERS.help);
  useModeInput('filter-input', m, session, HANDLERS['filter-input']);

  return (
    <ThemeContext.Provider value={theme ?? themeFromEnv()}>
      <Box flexDirection="column" width={state.size.cols}>
        <Header state={state} analysis={!!session.analysis} />
        <Body state={state} session={session} />
        <Footer state={state} />
      </Box>
    </ThemeContext.Provider>
  );
}
