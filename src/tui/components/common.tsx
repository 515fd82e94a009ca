/** Small building blocks shared by the panes. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { fit } from '../format.js';
import { useTheme } from '../theme.js';

export interface TitleProps {
  readonly text: string;
  readonly focused: boolean;
  readonly width: number;
  /** Right-aligned part (counts, progress). */
  readonly right?: string;
}

/** A pane's title line: inverse when the pane has the keys, underlined otherwise. */
export function Title({ text, focused, width, right }: TitleProps) {
  const r = right ? ` ${right} ` : '';
  const left = fit(`${focused ? '▶ ' : '  '}${text}`, Math.max(0, width - r.length));
  const theme = useTheme();
  return (
    <Text inverse={focused} bold={focused} underline={!focused} color={focused ? undefined : theme.accent} wrap="truncate">
      {left + r}
    </Text>
  );
}

export interface LineProps {
  readonly text: string;
  readonly width: number;
  readonly color?: string;
  readonly inverse?: boolean;
  readonly bold?: boolean;
  readonly dim?: boolean;
}

/** One row of text, cut or padded to the width. */
export function Line({ text, width, color, inverse, bold, dim }: LineProps) {
  return (
    <Text color={color} inverse={inverse} bold={bold} dimColor={dim} wrap="truncate">
      {fit(text, width)}
    </Text>
  );
}

export interface PaneProps {
  readonly width: number;
  readonly height: number;
  readonly children?: ReactNode;
}

/** A fixed-size column. */
export function Pane({ width, height, children }: PaneProps) {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {children}
    </Box>
  );
}

/** Blank rows to fill a pane to its height. */
export function Filler({ rows, width }: { readonly rows: number; readonly width: number }) {
  if (rows <= 0) return null;
  const blank = ' '.repeat(Math.max(0, width));
  return (
    <>
      {Array.from({ length: rows }, (_, k) => (
        <Text key={`f${k}`} wrap="truncate">
          {blank}
        </Text>
      ))}
    </>
  );
}
