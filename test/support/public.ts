/** The third-party captures in ../shared/captures-public and what their README says of them. */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PUBLIC_DIR = fileURLToPath(new URL('../../../shared/captures-public/', import.meta.url));

export interface PublicCapture {
  /** Path relative to PUBLIC_DIR, e.g. `tcpdump/vxlan.pcap`. */
  readonly name: string;
  readonly path: string;
  /** 'valid', 'malformed' (bad packets in a good file) or 'corrupt' (a bad file). */
  readonly intent: 'valid' | 'malformed' | 'corrupt';
}

export function publicCaptures(): PublicCapture[] {
  const readme = readFileSync(join(PUBLIC_DIR, 'README.md'), 'utf8');
  const seen = new Map<string, PublicCapture>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 10 || !/^`[^`]+\.(pcap|pcapng)`$/.test(cells[1])) continue;
    const name = cells[1].slice(1, -1);
    const intentCell = cells[7];
    const intent = intentCell.startsWith('valid')
      ? 'valid'
      : intentCell.startsWith('malformed')
        ? 'malformed'
        : intentCell.startsWith('CORRUPT')
          ? 'corrupt'
          : undefined;
    if (!intent || !existsSync(join(PUBLIC_DIR, name))) continue;
    seen.set(name, { name, path: join(PUBLIC_DIR, name), intent });
  }
  return [...seen.values()];
}

/** tshark's frames (custom blocks, which have no interface, left out). */
export function tsharkFrames(pc: PublicCapture): Record<string, string>[] {
  const text = readFileSync(pc.path + '.tshark.json', 'utf8');
  if (!text.trim()) return [];
  const all = JSON.parse(text) as { _source: { layers: { frame: Record<string, string> } } }[];
  return all.map((p) => p._source.layers.frame).filter((f) => f['frame.interface_id'] !== undefined || !f['frame.protocols']?.startsWith('data'));
}
