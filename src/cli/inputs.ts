/**
 * Shared by every command: turn the file arguments and naming options into open Inputs, and
 * report what went wrong with them on standard error, escaped, one line each.
 */
import { Input, SourceRegistry, UsageError, parseInputArg, sourceLabel } from '../capture/input.js';
import type { CaptureProblem } from '../capture/parser.js';
import { interfaceNames } from '../analysis/run.js';
import { escapeText } from './escape.js';

export interface InputOptions {
  files: string[];
  ifnames?: string[];
  links?: string[];
}

export interface OpenedInputs {
  inputs: Input[];
  registry: SourceRegistry;
  /** Inputs that could not be opened at all. */
  failed: number;
}

export function problemLine(p: CaptureProblem): string {
  return `${escapeText(p.file)}: byte ${p.offset}: ${escapeText(p.message)}`;
}

export function openInputs(o: InputOptions, stderr: (line: string) => void): OpenedInputs {
  if (!o.files.length) throw new UsageError('no capture given: name one or more files, or - for standard input');
  const names = interfaceNames(o);
  const registry = new SourceRegistry();
  const inputs: Input[] = [];
  let failed = 0;
  let stdin = 0;
  for (const given of o.files) {
    const spec = parseInputArg(given);
    if (spec.path === '-' && ++stdin > 1) throw new UsageError('standard input (-) can be read only once');
    const problem = Input.check(spec);
    if (problem) {
      stderr(`vxdecode: ${problemLine(problem)}`);
      failed++;
      continue;
    }
    inputs.push(new Input(spec, { registry, names }));
  }
  return { inputs, registry, failed };
}

/** Report fatal problems, warnings and capture drops of every input; returns the fatal count. */
export function reportInputs(opened: OpenedInputs, stderr: (line: string) => void): number {
  let fatal = opened.failed;
  for (const input of opened.inputs) {
    for (const w of input.parser.warnings) stderr(`vxdecode: warning: ${problemLine(w)}`);
    const p = input.problem();
    if (p) {
      fatal++;
      const n = input.parser.count;
      stderr(`vxdecode: ${problemLine(p)}${n === 0 ? '' : n === 1 ? ' (the 1 frame before it was read)' : ` (the ${n} frames before it were read)`}`);
    }
    for (const { source, stats } of input.parser.allInterfaces) {
      if (stats.dropped) {
        stderr(
          `vxdecode: warning: ${escapeText(sourceLabel(source))}: the capture itself dropped ${stats.dropped} packets ` +
            `(pcapng interface statistics): a missing packet may never have been captured`,
        );
      }
    }
  }
  return fatal;
}
