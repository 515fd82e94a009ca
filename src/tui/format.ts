/**
 * Text for the panes, as pure functions of decoded data: layer titles and field values for the
 * layer tree, hex rows with a highlighted range, timeline rows with proportional bars, padding
 * and truncation to a width. Everything that comes from a capture (node and interface names,
 * strings in layers, comments) goes through escapeText here, before it reaches a component.
 */
import type { Frame } from '../capture/frame.js';
import { escapeText } from '../cli/escape.js';
import { timeOfDay } from '../cli/time.js';
import type { Layer, Packet } from '../decoders/layer.js';
import { changeText, fmtNs } from '../analysis/format.js';
import type { Hop, Trace } from '../analysis/timeline.js';
import { byteRange } from './fields.js';

// ---------------------------------------------------------------- widths

/** `s` cut or padded to exactly `w` columns (an ellipsis marks a cut). */
export function fit(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? '…' : s.slice(0, w - 1) + '…';
  return s + ' '.repeat(w - s.length);
}

/** Word-wrap `s` to `w` columns; continuation lines get `indent` spaces. */
export function wrap(s: string, w: number, indent = 4): string[] {
  if (s.length <= w || w < 20) return [s];
  const lead = /^ */.exec(s)![0].length;
  const out: string[] = [];
  let line = '';
  for (const word of s.trim().split(/ +/)) {
    const pre = out.length || line ? ' '.repeat(out.length ? lead + indent : lead) : ' '.repeat(lead);
    if (!line) line = pre + word;
    else if (line.length + 1 + word.length <= w) line += ' ' + word;
    else {
      out.push(line);
      line = ' '.repeat(lead + indent) + word;
    }
  }
  if (line) out.push(line);
  return out;
}

export function padLeft(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

// ---------------------------------------------------------------- frames

/** `node1/flannel.1`, escaped. */
export function whereText(f: Frame): string {
  const s = f.source;
  return escapeText(s.iface ? `${s.node}/${s.iface}` : s.node);
}

/** `MB`-style sizes for the progress line. */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function frameTime(f: Frame): string {
  return timeOfDay(f);
}

// ---------------------------------------------------------------- layers

const NAMES: Readonly<Record<string, string>> = {
  eth: 'Ethernet',
  vlan: '802.1Q VLAN',
  llc: 'LLC',
  sll: 'Linux cooked (SLL)',
  sll2: 'Linux cooked (SLL2)',
  null: 'BSD loopback',
  arp: 'ARP',
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  icmp: 'ICMP',
  icmp6: 'ICMPv6',
  tcp: 'TCP',
  udp: 'UDP',
  vxlan: 'VXLAN',
  raw: 'Data',
};

const IP_PROTOCOLS: Readonly<Record<number, string>> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP' };
const ETHERTYPES: Readonly<Record<number, string>> = { 0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x8100: '802.1Q', 0x88a8: '802.1ad' };
const ICMP_TYPES: Readonly<Record<number, string>> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp',
  14: 'timestamp reply',
};
const PKT_TYPES: Readonly<Record<number, string>> = { 0: 'to us', 1: 'broadcast', 2: 'multicast', 3: 'to another host', 4: 'sent by us' };

function str(v: unknown): string {
  return typeof v === 'string' ? escapeText(v) : String(v);
}

function hex(v: unknown, digits = 4): string {
  return typeof v === 'number' ? `0x${v.toString(16).padStart(digits, '0')}` : str(v);
}

function icmpText(l: Layer): string {
  const t = typeof l.type === 'number' ? l.type : -1;
  let s = ICMP_TYPES[t] ?? `type ${t}`;
  if (t === 3 && l.code === 4) s = 'fragmentation needed';
  else if (t === 3 && l.code === 3) s = 'port unreachable';
  else if (t === 3 || t === 11) s += ` code ${str(l.code)}`;
  if (l.id !== undefined) s += ` id ${str(l.id)} seq ${str(l.seq)}`;
  if (typeof l.mtu === 'number' && l.mtu > 0) s += ` mtu ${l.mtu}`;
  return s;
}

/** One line per layer: its name and the fields that matter most. */
export function layerTitle(l: Layer): string {
  const name = NAMES[l.layer] ?? escapeText(String(l.layer));
  switch (l.layer) {
    case 'eth':
      return `${name}  ${str(l.src)} > ${str(l.dst)}  ${l.ethertype !== undefined ? `type ${hex(l.ethertype)}${ETHERTYPES[l.ethertype as number] ? ` (${ETHERTYPES[l.ethertype as number]})` : ''}` : `802.3 length ${str(l.length)}`}`;
    case 'vlan':
      return `${name}  id ${str(l.vid)} pcp ${str(l.pcp)}  type ${hex(l.ethertype)}`;
    case 'sll':
    case 'sll2':
      return `${name}  ${l.layer === 'sll2' ? `ifindex ${str(l.ifindex)} ` : ''}${PKT_TYPES[l.packet_type as number] ?? `packet type ${str(l.packet_type)}`}  from ${str(l.address)}  protocol ${hex(l.protocol)}`;
    case 'arp':
      return l.op === 1
        ? `${name}  request: who has ${str(l.target_proto)}? tell ${str(l.sender_proto)}`
        : l.op === 2
          ? `${name}  reply: ${str(l.sender_proto)} is at ${str(l.sender_hw)}`
          : `${name}  op ${str(l.op)}  ${str(l.sender_proto)} > ${str(l.target_proto)}`;
    case 'ipv4':
      return `${name}  ${str(l.src)} > ${str(l.dst)}  ttl ${str(l.ttl)} id ${str(l.id)} ${IP_PROTOCOLS[l.protocol as number] ?? `proto ${str(l.protocol)}`} len ${str(l.total_length)}${l.df ? ' DF' : ''}${l.mf ? ' MF' : ''}${l.frag_offset ? ` frag ${str(l.frag_offset)}` : ''}`;
    case 'ipv6':
      return `${name}  ${str(l.src)} > ${str(l.dst)}  hlim ${str(l.hop_limit)} next ${IP_PROTOCOLS[l.next_header as number] ?? str(l.next_header)}`;
    case 'icmp':
    case 'icmp6':
      return `${name}  ${l.layer === 'icmp' ? icmpText(l) : `type ${str(l.type)} code ${str(l.code)}`}`;
    case 'tcp':
      return `${name}  ${str(l.src_port)} > ${str(l.dst_port)} [${str(l.flags)}] seq ${str(l.seq)} ack ${str(l.ack)} win ${str(l.window)} len ${str(l.payload_length)}`;
    case 'udp':
      return `${name}  ${str(l.src_port)} > ${str(l.dst_port)} len ${str(l.length)}${l.encap ? `  (${str(l.encap)})` : ''}`;
    case 'vxlan':
      return `${name}  vni ${str(l.vni)} flags ${hex(l.flags, 2)}${l.heuristic ? ' (recognised by its header)' : ''}`;
    case 'raw':
      return `${name}  ${str(l.length)} bytes`;
    default:
      return name;
  }
}

const HEX_KEYS = new Set(['ethertype', 'checksum', 'proto_type', 'tpid', 'protocol_sll', 'flags_value', 'family_hex']);

/** A field value as text: numbers (hex where people read hex), strings escaped, objects as JSON. */
export function fieldValue(l: Layer, key: string, v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') {
    if (HEX_KEYS.has(key) || ((l.layer === 'sll' || l.layer === 'sll2') && key === 'protocol')) return `${hex(v)} (${v})`;
    if (key === 'protocol' && l.layer === 'ipv4') return `${v}${IP_PROTOCOLS[v] ? ` (${IP_PROTOCOLS[v]})` : ''}`;
    if (key === 'flags' && l.layer === 'vxlan') return hex(v, 2);
    if (key === 'type' && l.layer === 'icmp') return `${v} (${ICMP_TYPES[v] ?? 'unknown'})`;
    if (key === 'packet_type') return `${v} (${PKT_TYPES[v] ?? 'unknown'})`;
    return String(v);
  }
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v instanceof Uint8Array) return Array.from(v.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join(' ') + (v.length > 32 ? ' …' : '');
  try {
    return escapeText(JSON.stringify(v));
  } catch {
    return escapeText(String(v));
  }
}

/** Stable key of a layer in its packet: name and occurrence (`ipv4#1` = the inner IPv4). */
export function layerKey(layers: readonly Layer[], index: number): string {
  const name = layers[index].layer;
  let k = 0;
  for (let i = 0; i < index; i++) if (layers[i].layer === name) k++;
  return `${name}#${k}`;
}

export interface TreeRow {
  /** -1: the frame row; else the layer's index. */
  readonly layer: number;
  readonly key: string;
  /** A field of the layer (undefined on the layer's own row). */
  readonly field?: string;
  readonly text: string;
  readonly expandable: boolean;
  readonly expanded: boolean;
  /** Bytes of the frame this row stands for [start, end), for the hex highlight. */
  readonly range?: readonly [number, number];
  readonly error?: boolean;
}

const SKIP_FIELDS = new Set(['layer', 'offset', 'header_length']);

/** The layer tree of a packet: a frame row, one row per layer and, when expanded, its fields. */
export function treeRows(p: Packet, expanded: ReadonlySet<string>): TreeRow[] {
  const f = p.frame;
  const expandedFrame = expanded.has('frame');
  const rows: TreeRow[] = [
    {
      layer: -1,
      key: 'frame',
      text: `Frame ${f.number} of ${escapeText(f.source.file)}: ${f.len} bytes on the wire, ${f.caplen} captured, ${whereText(f)}`,
      expandable: true,
      expanded: expandedFrame,
      range: [0, f.caplen],
    },
  ];
  if (expandedFrame) {
    const s = f.source;
    const push = (field: string, value: string): void => {
      rows.push({ layer: -1, key: 'frame', field, text: `${field}: ${value}`, expandable: false, expanded: false, range: [0, f.caplen] });
    };
    push('time', `${frameTime(f)} UTC (${f.tsSec}.${String(f.tsNsec).padStart(9, '0')})`);
    push('node', escapeText(s.node));
    push('interface', escapeText(s.iface || '(unnamed)'));
    push('file', escapeText(s.file));
    push('link type', String(s.linkType));
    if (s.description) push('description', escapeText(s.description));
    for (const c of f.comments ?? []) push('comment', escapeText(c));
  }
  p.layers.forEach((l, i) => {
    const key = layerKey(p.layers, i);
    const open = expanded.has(key);
    rows.push({ layer: i, key, text: layerTitle(l), expandable: true, expanded: open, range: byteRange(l) });
    if (!open) return;
    const len = l.layer === 'raw' ? Number(l.length) : l.header_length;
    rows.push({ layer: i, key, field: 'header_length', text: `bytes ${l.offset}–${l.offset + Math.max(0, len - 1)} (${len})`, expandable: false, expanded: false, range: byteRange(l) });
    for (const [k, v] of Object.entries(l)) {
      if (SKIP_FIELDS.has(k)) continue;
      rows.push({ layer: i, key, field: k, text: `${k}: ${fieldValue(l, k, v)}`, expandable: false, expanded: false, range: byteRange(l, k) });
    }
  });
  if (p.error) {
    const e = p.error;
    rows.push({
      layer: p.layers.length,
      key: 'error',
      text: `⚠ ${e.kind}: ${escapeText(String(e.layer))} at byte ${e.offset}: ${escapeText(e.message)}${e.needed ? ` (needs ${e.needed} bytes, ${e.present} present)` : ''}`,
      expandable: false,
      expanded: false,
      range: [e.offset, Math.max(e.offset + 1, Math.min(f.caplen, e.offset + Math.max(1, e.present)))],
      error: true,
    });
  }
  return rows;
}

/** Keys of every expandable row (for expand all / collapse all). */
export function treeKeys(p: Packet): string[] {
  return ['frame', ...p.layers.map((_, i) => layerKey(p.layers, i))];
}

// ---------------------------------------------------------------- hex

export interface HexSegment {
  readonly text: string;
  readonly hl: boolean;
}

export function bytesPerLine(width: number): number {
  // "0000  " + 3 per byte + 1 gap + 1 per byte
  return width >= 6 + 16 * 4 + 2 ? 16 : 8;
}

/** Hex dump rows of `bytes`, each as segments with the bytes in [hl0, hl1) highlighted. */
export function hexRows(bytes: Uint8Array, range: readonly [number, number] | undefined, perLine: number, first: number, count: number): HexSegment[][] {
  const out: HexSegment[][] = [];
  const lines = Math.ceil(bytes.length / perLine);
  const [h0, h1] = range ?? [-1, -1];
  for (let line = first; line < Math.min(lines, first + count); line++) {
    const start = line * perLine;
    const segs: HexSegment[] = [];
    let cur = '';
    let curHl = false;
    const emit = (text: string, hl: boolean): void => {
      if (hl !== curHl && cur) {
        segs.push({ text: cur, hl: curHl });
        cur = '';
      }
      curHl = hl;
      cur += text;
    };
    emit(start.toString(16).padStart(4, '0') + '  ', false);
    for (let k = 0; k < perLine; k++) {
      const i = start + k;
      if (i < bytes.length) {
        const hl = i >= h0 && i < h1;
        emit(bytes[i].toString(16).padStart(2, '0'), hl);
        // the space after a byte is highlighted only inside a highlighted run
        emit(' ', hl && i + 1 < h1 && k + 1 < perLine);
      } else emit('   ', false);
      if (k === 7 && perLine === 16) emit(' ', false);
    }
    emit(' ', false);
    for (let k = 0; k < perLine; k++) {
      const i = start + k;
      if (i >= bytes.length) break;
      const b = bytes[i];
      emit(b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.', i >= h0 && i < h1);
    }
    if (cur) segs.push({ text: cur, hl: curHl });
    out.push(segs);
  }
  return out;
}

// ---------------------------------------------------------------- timeline


/** What happened at a hop, for its row. */
export function hopChanges(h: Hop, first: boolean): string {
  const parts: string[] = [];
  if (first) parts.push(`ttl ${h.obs.ttl}`);
  for (const c of h.changes) parts.push(changeText(c));
  if (h.gso) parts.push(`GSO ${h.obs.ipLen} B`);
  if (h.count > 1 && !h.changes.some((c) => c.type === 'segmented')) parts.push(`${h.count} segments`);
  return parts.join('; ');
}

/**
 * A bar `width` wide marking the stretch of the packet's journey from the previous hop to this
 * one: `····███·····`; a hop at the same instant as the previous one gets a single `│`.
 */
export function hopBar(prevNs: number, atNs: number, totalNs: number, width: number): string {
  if (width <= 0) return '';
  if (totalNs <= 0) return '│' + '·'.repeat(width - 1);
  const pos = (ns: number): number => Math.min(width - 1, Math.max(0, Math.round((ns / totalNs) * (width - 1))));
  const a = pos(prevNs);
  const b = pos(atNs);
  let s = '';
  for (let k = 0; k < width; k++) s += k >= a && k <= b ? (a === b ? '│' : '█') : '·';
  return s;
}

/** Verdict of a trace in a few words. */
export function verdictText(t: Trace): string {
  const v = t.verdict;
  if (v.status === 'delivered') return `delivered in ${fmtNs(t.durationNs)}`;
  if (v.status === 'lost') return v.after ? `LOST after ${escapeText(v.after.iface.node)} ${escapeText(v.after.iface.name)}` : 'LOST';
  return 'incomplete';
}

export { fmtNs };
