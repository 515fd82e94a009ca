/**
 * Text that comes from a capture (interface names, descriptions, comments) may hold escape
 * sequences meant to take over a terminal. Nothing from a capture reaches the terminal raw.
 */

// C0 controls, DEL, C1 controls, and the backslash itself (so that escapes stay unambiguous).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\\\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/** `eth0\x1b[2J` → `eth0\x1b[2J` written as visible characters. */
export function escapeText(s: string): string {
  return s.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`.replace(/^\\u00/, '\\x'));
}
