/**
 * The tshark JSON oracle next to each public capture, read so that nothing is lost: tshark writes
 * one JSON key per protocol and repeats it for a tunnelled packet (`eth`, `ip`, `udp`, `vxlan`,
 * `eth`, `ip`, `icmp`), which JSON.parse would collapse to the last one. This reader keeps every
 * layer in order, flattening each layer's `*_tree` sub-objects into one field → values map.
 */
import { readFileSync } from 'node:fs';

export interface TsharkLayer {
  /** tshark protocol name: eth, vlan, ip, udp, vxlan, arp, icmp, tcp, ... */
  readonly name: string;
  /** Every field of the layer, sub-trees flattened, each with all its values. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
}

export interface TsharkFrame {
  readonly number: number;
  readonly len: number;
  readonly caplen: number;
  /** pcapng interface name (if_name), when the capture has one. */
  readonly iface?: string;
  /** Protocol layers after `frame`, outermost first. */
  readonly layers: readonly TsharkLayer[];
}

type Json = string | number | boolean | null | Json[] | Entries;
/** An object as its entries in order, duplicates kept. */
class Entries {
  constructor(readonly entries: [string, Json][]) {}
  get(k: string): Json | undefined {
    return this.entries.find(([key]) => key === k)?.[1];
  }
}

/** A JSON parser that keeps duplicate keys (objects become Entries). */
function parseJson(text: string): Json {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: [string, Json][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return new Entries(out);
      }
      for (;;) {
        ws();
        const k = value() as string;
        ws();
        if (text[i++] !== ':') throw new Error(`expected : at ${i}`);
        out.push([k, value()]);
        ws();
        const d = text[i++];
        if (d === '}') return new Entries(out);
        if (d !== ',') throw new Error(`expected , or } at ${i}`);
      }
    }
    if (c === '[') {
      i++;
      const out: Json[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return out;
        if (d !== ',') throw new Error(`expected , or ] at ${i}`);
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return s;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
    if (!m) throw new Error(`bad JSON at ${i}`);
    i += m[0].length;
    return JSON.parse(m[0]) as Json;
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing data at ${i}`);
  return v;
}

function flatten(e: Entries, into: Map<string, string[]>): void {
  for (const [k, v] of e.entries) {
    if (v instanceof Entries) flatten(v, into);
    else if (typeof v === 'string') {
      const list = into.get(k);
      if (list) list.push(v);
      else into.set(k, [v]);
    }
  }
}

export function readTshark(path: string): TsharkFrame[] {
  const text = readFileSync(path, 'utf8');
  if (!text.trim()) return [];
  const all = parseJson(text) as Json[];
  const frames: TsharkFrame[] = [];
  for (const pkt of all) {
    const layers = ((pkt as Entries).get('_source') as Entries).get('layers') as Entries;
    const frame = layers.get('frame') as Entries;
    const ff = new Map<string, string[]>();
    flatten(frame, ff);
    // pcapng custom blocks become frames with no interface: not packets.
    if (!ff.has('frame.interface_id') && ff.get('frame.protocols')?.[0]?.startsWith('data')) continue;
    const out: TsharkLayer[] = [];
    for (const [name, v] of layers.entries) {
      if (name === 'frame' || !(v instanceof Entries)) continue;
      const fields = new Map<string, string[]>();
      flatten(v, fields);
      out.push({ name, fields });
    }
    frames.push({
      number: Number(ff.get('frame.number')![0]),
      len: Number(ff.get('frame.len')![0]),
      caplen: Number(ff.get('frame.cap_len')![0]),
      iface: ff.get('frame.interface_name')?.[0],
      layers: out,
    });
  }
  return frames;
}

function lastVxlan(f: TsharkFrame): number {
  let last = -1;
  f.layers.forEach((l, i) => {
    if (l.name === 'vxlan') last = i;
  });
  return last;
}

/** tshark's layers after the last VXLAN header; all of them when there is none (as tunnelSplit). */
export function innerLayers(f: TsharkFrame): readonly TsharkLayer[] {
  return f.layers.slice(lastVxlan(f) + 1);
}

/** tshark's layers up to and including the last VXLAN header; none when there is none. */
export function outerLayers(f: TsharkFrame): readonly TsharkLayer[] {
  return f.layers.slice(0, lastVxlan(f) + 1);
}

/** All values of `field` in the given layers (e.g. every `ip.src`). */
export function values(layers: readonly TsharkLayer[], field: string): string[] {
  return layers.flatMap((l) => l.fields.get(field) ?? []);
}

/** tshark number text ("64", "0x0800", "0xd2c1") as a number. */
export function num(s: string): number {
  return s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s);
}
