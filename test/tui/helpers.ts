/** Sessions over the lab's real captures, for the reducer, key and component tests. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Input, SourceRegistry, parseInputArg } from '../../src/capture/input.js';
import { merged } from '../../src/capture/read.js';
import { Ports } from '../../src/analysis/extract.js';
import { Session } from '../../src/tui/session.js';
import type { Size, View } from '../../src/tui/state.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CAPTURES = path.join(ROOT, 'captures');

/** The pcap files of one lab scenario (captures/NAME/*.pcap), sorted. */
export function scenario(name: string): string[] {
  const dir = path.join(CAPTURES, name);
  return readdirSync(dir)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface OpenOptions {
  readonly size?: Size;
  readonly analysis?: boolean;
  readonly view?: View;
}

/** A session reading `files` (merged by time, as the command does), started, not yet idle. */
export function openSession(files: string[], o: OpenOptions = {}): Session {
  const registry = new SourceRegistry();
  const inputs = files.map((f) => new Input(parseInputArg(f), { registry }));
  const session = new Session({
    size: o.size ?? { cols: 160, rows: 50 },
    inputs: inputs.length,
    fileSize: 1,
    sources: () => registry.sources,
    view: o.view,
    analysis:
      o.analysis === false
        ? undefined
        : { files, ports: new Ports({ checksums: true }), windowNs: 1e9, skew: { mode: 'auto' }, stream: false },
  });
  session.start(merged(inputs), () => inputs.reduce((n, i) => n + i.parser.bytesRead, 0));
  return session;
}

/** A session over `files` with everything read, filtered and analysed. */
export async function loadedSession(files: string[], o: OpenOptions = {}): Promise<Session> {
  const s = openSession(files, o);
  await s.idle();
  return s;
}
