/**
 * The command line's grammar: commands and their options as data, a parser for them and the
 * help text made from the same data. (yargs did this before; loading it cost 60 ms of every
 * run: README, "Packages".)
 *
 * What it takes: `--name value`, `--name=value`, `-n value`, `-n=value`, `-abc` for boolean
 * short options, `--no-name` for a boolean, options anywhere among the positionals, `--` to
 * end them, and `-` as a positional (standard input). An option given as an array takes one
 * value per occurrence (`--links A --links B FILE...`: the rest are captures).
 */
import { UsageError } from '../capture/input.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean' | 'number';
  readonly alias?: string;
  /** Repeatable: the values of every occurrence, in order. */
  readonly array?: boolean;
  readonly default?: string | boolean | number;
  readonly choices?: readonly string[];
  /** Required: the message when it is missing. */
  readonly demand?: string;
  readonly describe: string;
}

export interface CommandSpec {
  /** '' for the default command. */
  readonly name: string;
  readonly describe: string;
  /** Takes captures as positionals (`[files..]`). */
  readonly files: boolean;
  /** Option name (kebab-case) → spec, in the order help lists them. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly (readonly [string, string])[];
}

/** What a command line asked for. */
export type Parsed =
  | { kind: 'run'; command: CommandSpec; args: Record<string, unknown> }
  | { kind: 'help'; command: CommandSpec | undefined }
  | { kind: 'version' };

/** `capture-filter` → `captureFilter` (the key an option's value is under). */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

const FILES_DESCRIBE = 'captures: PATH, - (standard input), NODE/IFACE=PATH or NODE=PATH';

export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): Parsed {
  // the command: the first word, when it names one
  let command = commands.find((c) => c.name === '')!;
  let rest = argv;
  const named = argv.length ? commands.find((c) => c.name !== '' && c.name === argv[0]) : undefined;
  if (named) {
    command = named;
    rest = argv.slice(1);
  }
  const specs = command.options;
  const byAlias = new Map<string, string>();
  for (const [name, o] of Object.entries(specs)) if (o.alias) byAlias.set(o.alias, name);
  const args: Record<string, unknown> = {};
  const files: string[] = [];
  const set = (name: string, o: OptionSpec, raw: string | boolean): void => {
    let v: string | boolean | number = raw;
    if (o.type === 'number') {
      v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (Number.isNaN(v)) throw new UsageError(`--${name}: "${String(raw)}" is not a number`);
    }
    if (o.type === 'boolean' && typeof raw === 'string') {
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`--${name} takes no value (or true, false), not "${raw}"`);
      v = raw === 'true';
    }
    if (o.choices && !o.choices.includes(String(v))) throw new UsageError(`--${name}: "${String(v)}" is not one of ${o.choices.join(', ')}`);
    const key = camel(name);
    if (o.array) ((args[key] ??= []) as unknown[]).push(v);
    else args[key] = v;
  };
  for (let i = 0; i < rest.length; i++) {
    const tok = rest[i];
    if (tok === '--') {
      files.push(...rest.slice(i + 1));
      break;
    }
    if (tok === '-h' || tok === '--help') return { kind: 'help', command: named };
    if (tok === '--version' && !named) return { kind: 'version' };
    if (!tok.startsWith('-') || tok === '-') {
      files.push(tok);
      continue;
    }
    // --name[=value], --no-name, -n[=value], -abc
    let name: string;
    let value: string | undefined;
    const eq = tok.indexOf('=');
    if (tok.startsWith('--')) {
      name = eq > 0 ? tok.slice(2, eq) : tok.slice(2);
      value = eq > 0 ? tok.slice(eq + 1) : undefined;
      if (!specs[name] && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean' && value === undefined) {
        set(name.slice(3), specs[name.slice(3)], false);
        continue;
      }
    } else {
      const short = eq > 0 ? tok.slice(1, eq) : tok.slice(1);
      value = eq > 0 ? tok.slice(eq + 1) : undefined;
      if (short.length > 1 && value === undefined) {
        // -vx: boolean short options together
        const all = [...short].map((c) => byAlias.get(c));
        if (all.every((n) => n !== undefined && specs[n].type === 'boolean')) {
          for (const n of all) set(n!, specs[n!], true);
          continue;
        }
        const unknown = [...short].find((c) => !byAlias.has(c));
        if (unknown !== undefined) throw new UsageError(`Unknown argument: ${unknown}`);
      }
      name = byAlias.get(short) ?? short;
    }
    const o = specs[name];
    if (!o) throw new UsageError(`Unknown argument: ${name || tok}`);
    if (o.type === 'boolean') {
      set(name, o, value ?? true);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= rest.length) throw new UsageError(`--${name} needs a value`);
      value = rest[++i];
    }
    set(name, o, value);
  }
  if (files.length && !command.files) throw new UsageError(`Unknown argument: ${files.join(' ')}`);
  for (const [name, o] of Object.entries(specs)) {
    const key = camel(name);
    if (args[key] === undefined) {
      if (o.demand) throw new UsageError(o.demand);
      if (o.default !== undefined) args[key] = o.default;
    }
  }
  if (command.files) args.files = files;
  return { kind: 'run', command, args };
}

/** Text wrapped to `width` columns (at spaces; a longer word stands alone). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines;
}

/** Two columns: `left` padded to `w`, `right` wrapped beside it. */
function columns(rows: readonly (readonly [string, string])[], width: number, indent = '  '): string[] {
  const w = Math.min(Math.max(...rows.map(([l]) => l.length)), Math.floor(width / 2));
  const out: string[] = [];
  for (const [left, right] of rows) {
    const text = wrap(right, Math.max(20, width - indent.length - w - 2));
    if (left.length > w) {
      out.push(indent + left);
      for (const t of text) out.push(indent + ' '.repeat(w + 2) + t);
      continue;
    }
    out.push(indent + left.padEnd(w + 2) + text[0]);
    for (const t of text.slice(1)) out.push(indent + ' '.repeat(w + 2) + t);
  }
  return out;
}

function optionRow(name: string, o: OptionSpec): [string, string] {
  const left = `${o.alias ? `-${o.alias}, ` : '    '}--${name}${o.type === 'boolean' ? '' : o.array ? ` ${o.type === 'number' ? 'N' : 'X'}...` : ` ${o.type === 'number' ? 'N' : 'X'}`}`;
  const notes: string[] = [];
  if (o.choices) notes.push(`one of: ${o.choices.join(', ')}`);
  if (o.default !== undefined && o.type !== 'boolean') notes.push(`default: ${String(o.default)}`);
  if (o.demand) notes.push('required');
  return [left, notes.length ? `${o.describe} [${notes.join('; ')}]` : o.describe];
}

/** The help text: every command (or the one asked about), its options and examples. */
export function helpText(summary: string, commands: readonly CommandSpec[], command: CommandSpec | undefined, width: number): string {
  const usage = (c: CommandSpec): string => `vxdecode${c.name ? ` ${c.name}` : ''}${c.files ? ' [files..]' : ' [options]'}`;
  const c = command ?? commands.find((x) => x.name === '')!;
  const lines: string[] = [];
  if (command) lines.push(usage(command), '', ...wrap(command.describe, width));
  else {
    lines.push(...wrap(summary, width), '', 'Commands:');
    lines.push(...columns(commands.map((x) => [usage(x), x.name ? x.describe : `${x.describe} (the default)`] as [string, string]), width));
  }
  if (c.files) lines.push('', 'Positionals:', ...columns([['files', FILES_DESCRIBE]], width));
  lines.push('', command ? 'Options:' : 'Options (of the default command; vxdecode COMMAND --help for the others):');
  const rows: [string, string][] = Object.entries(c.options).map(([n, o]) => optionRow(n, o));
  rows.push(['-h, --help', 'this help']);
  if (!command) rows.push(['    --version', 'the version']);
  lines.push(...columns(rows, width));
  lines.push('', 'Examples:');
  for (const [cmd, what] of c.examples) lines.push(...wrap(what, width - 2).map((l) => `  # ${l}`), `  ${cmd}`);
  return lines.join('\n') + '\n';
}
