/**
 * Colours, or none: NO_COLOR (https://no-color.org: set and not empty) turns every colour off.
 * What must stay visible without colour (selection, focus, highlighted bytes, matches) uses
 * inverse video, bold and markers, which NO_COLOR leaves alone.
 */
import { createContext, useContext } from 'react';

export interface Theme {
  readonly color: boolean;
  /** Colour names for Ink's `color` prop, or undefined when colours are off. */
  readonly accent?: string;
  readonly dim?: string;
  readonly error?: string;
  readonly warning?: string;
  readonly ok?: string;
  readonly arp?: string;
  readonly icmp?: string;
  readonly tcp?: string;
  readonly udp?: string;
  readonly tunnel?: string;
  readonly highlight?: string;
}

export const COLOR_THEME: Theme = {
  color: true,
  accent: 'cyan',
  dim: 'gray',
  error: 'red',
  warning: 'yellow',
  ok: 'green',
  arp: 'yellow',
  icmp: 'cyan',
  tcp: 'green',
  udp: 'blue',
  tunnel: 'magenta',
  highlight: 'yellow',
};

export const PLAIN_THEME: Theme = { color: false };

/** The theme the environment asks for. */
export function themeFromEnv(env: NodeJS.ProcessEnv = process.env): Theme {
  const no = env.NO_COLOR;
  return no !== undefined && no !== '' ? PLAIN_THEME : COLOR_THEME;
}

export const ThemeContext = createContext<Theme>(COLOR_THEME);

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
