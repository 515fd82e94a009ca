/** The header line (inputs, reading progress, analysis) and the footer (status or filter prompt). */
import { Box, Text } from 'ink';
import { bytesText, fit } from '../format.js';
import { completions } from '../keys.js';
import type { State } from '../state.js';
import { useTheme } from '../theme.js';
import { Line } from './common.js';

const SPIN = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

function progressBar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** What the header says about reading. */
export function loadText(s: State): string {
  const l = s.load;
  const frames = `${s.total} frame${s.total === 1 ? '' : 's'}`;
  if (l.stream) {
    const spin = l.done ? '' : `${SPIN[s.total % SPIN.length]} `;
    return `${spin}${frames}, ${bytesText(l.bytes)}${l.done ? ' (stream ended)' : ' live'}`;
  }
  const size = l.size ?? 0;
  const fraction = l.done ? 1 : size ? l.bytes / size : 0;
  return `${frames}  ${progressBar(fraction, 10)} ${Math.floor(fraction * 100)}% ${bytesText(l.done ? Math.max(l.bytes, size) : l.bytes)}/${bytesText(size)}`;
}

function analysisText(s: State): string {
  const a = s.analysis;
  if (a.error) return `analysis failed: ${a.error}`;
  if (!a.done) return `analysing ${a.analyzed}/${s.total}, ${a.traced} packets traced`;
  return `${a.traced} packets traced, ${a.findings} finding${a.findings === 1 ? '' : 's'}`;
}

export function Header({ state, analysis }: { readonly state: State; readonly analysis: boolean }) {
  const theme = useTheme();
  const w = state.size.cols;
  const inputs = `${state.load.inputs} input${state.load.inputs === 1 ? '' : 's'}`;
  const text = `vxdecode  ${inputs}  ${loadText(state)}${analysis ? `  ·  ${analysisText(state)}` : ''}`;
  return (
    <Text bold color={theme.accent} wrap="truncate">
      {fit(text, w)}
    </Text>
  );
}

const HINTS: Record<string, string> = {
  list: 'q quit  ? help  / filter  n/N match  t timeline  f findings  F flows  Tab pane  Enter layers',
  tree: 'q quit  ? help  Enter/Space expand  ←→ collapse/expand  e/c all  Tab pane  t timeline',
  hex: 'q quit  ? help  j/k scroll  Tab pane',
  timeline: 'q quit  ? help  j/k hop  Enter go to the hop\'s frame  Tab pane  t/Esc back',
  findings: 'q quit  ? help  j/k finding  Enter go to the evidence  f/Esc back',
  flows: 'q quit  ? help  j/k flow  Enter open its first packet  F/Esc back',
  help: 'q, ? or Esc: back  j/k scroll',
};

export function Footer({ state }: { readonly state: State }) {
  const theme = useTheme();
  const w = state.size.cols;
  const p = state.prompt;
  if (p) {
    const before = `/ ${p.text.slice(0, p.cursor)}`;
    const at = p.text[p.cursor] ?? ' ';
    const after = p.text.slice(p.cursor + 1);
    let second: string;
    let color: string | undefined;
    if (p.error) {
      const col = Math.max(1, p.error.column);
      second = `${' '.repeat(col + 1)}${'^'.repeat(Math.max(1, Math.min(p.error.length, 40)))} ${p.error.message}`;
      color = theme.error;
    } else {
      const c = completions(p.text, p.cursor);
      second = c.names.length ? `  Tab: ${c.names.slice(0, 12).join('  ')}${c.names.length > 12 ? '  …' : ''}` : '  Enter apply · Esc cancel · Tab complete · ↑↓ history · empty Enter clears the filter';
      color = theme.dim;
    }
    return (
      <Box flexDirection="column">
        <Text wrap="truncate">
          <Text bold>{before}</Text>
          <Text inverse>{at}</Text>
          <Text>{fit(after, Math.max(0, w - before.length - 1))}</Text>
        </Text>
        <Line text={second} width={w} color={color} />
      </Box>
    );
  }
  if (state.message) return <Line text={state.message.text} width={w} color={state.message.kind === 'error' ? theme.error : theme.warning} bold />;
  if (state.load.problems.length) return <Line text={`⚠ ${state.load.problems[state.load.problems.length - 1]}`} width={w} color={theme.error} />;
  return <Line text={HINTS[state.view === 'list' || state.view === 'timeline' ? state.focus : state.view] ?? HINTS.list} width={w} color={theme.dim} />;
}
