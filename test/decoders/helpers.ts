/**
 * Oracles for the decoder tests: tshark's JSON (`FILE.tshark.json`) and tcpdump's text
 * (`FILE.tcpdump.txt`) next to each third-party capture.
 *
 * tshark -T json writes the same key more than once in one object (a VXLAN frame has `eth`,
 * `ip`, `udp` twice in `_source.layers`; TCP options repeat `tcp.option_kind`), and JSON.parse
 * keeps only the last. So the JSON is read with the small parser below, which keeps every entry
 * in order.
 */
import { readFileSync, existsSync } from 'node:fs';
import type { Frame, Source } from '../../src/capture/frame.js';
import type { PublicCapture } from '../support/public.js';

export type JValue = string | number | boolean | null | JValue[] | JObject;

/** A JSON object as its entries in order, duplicates kept. */
export class JObject {
  constructor(readonly entries: [string, JValue][]) {}
  get(key: string): JValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
}

/** JSON text to JValue, with objects as JObject (every duplicate key kept). */
export function parseJsonKeepingDuplicates(text: string): JValue {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at ${i}`);
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let simple = true;
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated string');
      if (text[i] === '\\') {
        simple = false;
        i++;
      }
      i++;
    }
    i++;
    const raw = text.slice(start, i);
    return simple ? raw.slice(1, -1) : (JSON.parse(raw) as string);
  };
  const value = (): JValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, JValue][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return new JObject(entries);
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i++] !== ':') fail('expected :');
        entries.push([k, value()]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return new JObject(entries);
        } else fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const items: JValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return items;
        } else fail('expected , or ]');
      }
    }
    if (c === '"') return str();
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 40));
    if (!m) fail('unexpected character');
    i += m![0].length;
    return JSON.parse(m![0]) as JValue;
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return v;
}

/** One tshark protocol subtree flattened: every leaf key with all its values, in order. */
export class TsharkLayer {
  readonly fields = new Map<string, string[]>();
  /** Nested protocol subtrees (ICMP's quoted `ip` and `udp`), by name. */
  readonly nested = new Map<string, TsharkLayer>();
  constructor(
    readonly name: string,
    tree: JValue,
  ) {
    if (tree instanceof JObject) this.walk(tree);
  }
  private walk(o: JObject): void {
    for (const [k, v] of o.entries) {
      if (v instanceof JObject) {
        // `ip`, `udp`, `data` inside a protocol are other protocols; `*_tree`, `Options: ...` are its own.
        if (/^[a-z0-9]+$/.test(k)) this.nested.set(k, new TsharkLayer(k, v));
        else this.walk(v);
      } else if (typeof v === 'string') {
        const list = this.fields.get(k);
        if (list) list.push(v);
        else this.fields.set(k, [v]);
      }
    }
  }
  /** The first value of a field, if present. */
  str(key: string): string | undefined {
    return this.fields.get(key)?.[0];
  }
  /** The first value of a field as a number (tshark writes hex as 0x...). */
  num(key: string): number | undefined {
    const s = this.str(key);
    return s === undefined ? undefined : Number(s);
  }
  all(key: string): string[] {
    return this.fields.get(key) ?? [];
  }
}

export interface TsharkFrame {
  readonly number: number;
  readonly protocols: string;
  /** `_source.layers` in order, `frame` left out, duplicates kept. */
  readonly layers: TsharkLayer[];
}

/** tshark's frames for a capture (custom blocks, which have no interface, left out). */
export function tsharkOracle(pc: PublicCapture): TsharkFrame[] {
  const text = readFileSync(pc.path + '.tshark.json', 'utf8');
  if (!text.trim()) return [];
  const all = parseJsonKeepingDuplicates(text) as JValue[];
  const out: TsharkFrame[] = [];
  for (const p of all) {
    const layers = ((p as JObject).get('_source') as JObject).get('layers') as JObject;
    const frame = new TsharkLayer('frame', layers.get('frame')!);
    const protocols = frame.str('frame.protocols') ?? '';
    if (frame.str('frame.interface_id') === undefined && protocols.startsWith('data')) continue;
    out.push({
      number: Number(frame.str('frame.number')),
      protocols,
      layers: layers.entries.filter(([k]) => k !== 'frame').map(([k, v]) => new TsharkLayer(k, v)),
    });
  }
  return out;
}

/** tcpdump -nn -e -v output, one entry per frame (the frame's first line and its continuation lines). */
export function tcpdumpOracle(pc: PublicCapture): string[] | undefined {
  const path = pc.path + '.tcpdump.txt';
  if (!existsSync(path)) return undefined;
  const frames: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
    if (/^\d\d:\d\d:\d\d\.\d{6} /.test(line)) frames.push(line);
    else if (frames.length && line.trim()) frames[frames.length - 1] += `\n${line}`;
  }
  return frames;
}

/** A Frame over given bytes, for slicing and mutating real frames. */
export function frameOf(bytes: Uint8Array, source: Source, len = bytes.length): Frame {
  return { source, number: 1, tsSec: 0, tsNsec: 0, caplen: bytes.length, len, bytes, offset: 0 };
}
