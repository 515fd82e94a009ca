/**
 * Traces as text (a compact timeline per packet) and as JSON (docs/trace.md defines every key).
 * Everything taken from a capture (interface and node names) is escaped before printing.
 */
import { formatTs } from '../capture/frame.js';
import { escapeText } from '../cli/escape.js';
import { TextBuffer } from '../cli/text-buffer.js';
import { endpointText, ipText, macText } from './addr.js';
import { ENC_NONE, ENC_VXLAN, type Obs } from './extract.js';
import type { TraceEngine } from './engine.js';
import type { SkewEstimate } from './skew.js';
import { protoName, type FlowRow, type LatencyRow } from './stats.js';
import { packetSummary, tcpFlags, type Change, type Hop, type Trace } from './timeline.js';

/** `507 ns`, `51.2 µs`, `2.35 ms`, `1.500 s` (sign kept). */
export function fmtNs(ns: number): string {
  const a = ns < 0 ? -ns : ns;
  const sign = ns < 0 ? '-' : '';
  // integer arithmetic, not toFixed: this runs for every hop printed
  if (a < 1000) return `${sign}${Math.round(a)} ns`;
  if (a < 9995) return `${sign}${dec(Math.round(a / 10), 100)} µs`;
  if (a < 999950) return `${sign}${dec(Math.round(a / 100), 10)} µs`;
  if (a < 9995000) return `${sign}${dec(Math.round(a / 1e4), 100)} ms`;
  if (a < 999950000) return `${sign}${dec(Math.round(a / 1e5), 10)} ms`;
  return `${sign}${(a / 1e9).toFixed(a < 1e10 ? 6 : 3)} s`;
}

/** x / scale with the fraction digits of scale (100 → 2, 10 → 1). */
function dec(x: number, scale: number): string {
  const i = Math.floor(x / scale);
  const f = x - i * scale;
  return scale === 100 ? `${i}.${f < 10 ? '0' : ''}${f}` : `${i}.${f}`;
}

/** A signed offset with nanosecond precision: `-1.500000250 s`, `+2.750 ms`. */
export function fmtOffset(ns: number): string {
  const sign = ns < 0 ? '-' : '+';
  const a = Math.abs(ns);
  if (a >= 1e9) return `${sign}${(a / 1e9).toFixed(9)} s`;
  if (a >= 1e6) return `${sign}${(a / 1e6).toFixed(6)} ms`;
  if (a >= 1e3) return `${sign}${(a / 1e3).toFixed(3)} µs`;
  return `${sign}${a} ns`;
}

function pad(s: string, w: number): string {
  return padTo(s, w);
}

/** A change in words, as trace prints it (the TUI timeline too). */
export function changeText(c: Change): string {
  switch (c.type) {
    case 'routed':
      return `routed: ttl ${c.ttl_from}→${c.ttl_to}`;
    case 'ttl-increased':
      return `TTL went up ${c.ttl_from}→${c.ttl_to}?`;
    case 'mac':
      return c.dst >= 0 ? `MAC ${macText(c.src) || '?'} > ${macText(c.dst)}` : `MAC from ${macText(c.src)}`;
    case 'encap':
      return `encap ${c.tunnel === 'vxlan' ? `VXLAN vni ${c.vni}` : 'UDP'} ${ipText(c.src)}:${c.sport} > ${ipText(c.dst)}:${c.dport}`;
    case 'decap':
      return `decap ${c.tunnel === 'vxlan' ? 'VXLAN' : 'UDP'}`;
    case 'nat':
      return `${c.field === 'dst' ? 'DNAT' : 'SNAT'} ${c.from} → ${c.to}`;
    case 'fragmented':
      return `fragmented: ${c.from_len} B → ${c.ip_len} B fragments`;
    case 'segmented':
      return `segmented into ${c.segments}`;
    case 'merged':
      return `merged from ${c.from_segments} segments`;
    case 'arp':
      return `waited ${fmtNs(c.wait_ns)} for ARP ${c.target} (answered)`;
  }
}

export interface TextContext {
  /** Nodes whose clocks were corrected, by offset. */
  readonly offsets: ReadonlyMap<string, number>;
}

/** Escaped names per interface (capture text is escaped once, not per line). */
export function names(h: Hop): { node: string; iface: string } {
  const m = h.iface.memo;
  let n = m.names;
  if (!n) {
    const src = h.iface.source;
    m.names = n = { node: esc(src.node), iface: esc(src.iface) };
  }
  return n;
}

const SPACES = ' '.repeat(64);
function padTo(s: string, w: number): string {
  return s.length >= w ? s : s + SPACES.slice(0, Math.min(64, w - s.length));
}

/** The lines of one trace. */
export function traceText(t: Trace, ctx: TextContext): string[] {
  const tb = new TextBuffer(4096);
  writeTrace(t, ctx, tb);
  const lines = tb.text().split('\n');
  lines.pop();
  return lines;
}

/** What a hop line starts with (names and role, padded), as bytes, per interface and widths. */
export interface HopPrefix {
  wn: number;
  wi: number;
  role: string;
  bytes: Buffer;
}
function hopPrefix(h: Hop, wn: number, wi: number): Buffer {
  const m = h.iface.memo;
  let p = m.prefix;
  if (!p || p.wn !== wn || p.wi !== wi || p.role !== h.role) {
    const n = names(h);
    m.prefix = p = { wn, wi, role: h.role, bytes: hopPrefixBytes(n.node, n.iface, h.role, wn, wi) };
  }
  return p.bytes;
}

/** A hop line's start: node and interface (escaped) padded to the trace's widths, and the role. */
export function hopPrefixBytes(node: string, iface: string, role: string, wn: number, wi: number): Buffer {
  return Buffer.from(`  ${padTo(node, wn)}  ${padTo(iface, wi)}  ${padTo(role, 8)}  `);
}

const SP = 32;

/** `n` spaces (at most 64, as padTo). */
function spaces(tb: TextBuffer, n: number): void {
  if (n > 64) n = 64;
  const b = tb.buf;
  let p = tb.pos;
  for (let i = 0; i < n; i++) b[p++] = SP;
  tb.pos = p;
}

/** A non-negative integer's digits; returns how many. */
function digits(tb: TextBuffer, n: number): number {
  const b = tb.buf;
  const start = tb.pos;
  if (n < 10) {
    b[tb.pos++] = 48 + n;
    return 1;
  }
  // the times of a trace are mostly written as up to three digits before and after the point
  if (n < 1000) {
    if (n < 100) {
      const t = (n / 10) | 0;
      b[start] = 48 + t;
      b[start + 1] = 48 + n - t * 10;
      tb.pos = start + 2;
      return 2;
    }
    const h = (n / 100) | 0;
    const r = n - h * 100;
    const t = (r / 10) | 0;
    b[start] = 48 + h;
    b[start + 1] = 48 + t;
    b[start + 2] = 48 + r - t * 10;
    tb.pos = start + 3;
    return 3;
  }
  let len = 0;
  for (let x = n; x >= 1; x = Math.floor(x / 10)) len++;
  let p = start + len;
  for (let x = n; p > start; x = Math.floor(x / 10)) b[--p] = 48 + (x % 10);
  tb.pos = start + len;
  return len;
}

/** x / scale with the fraction digits of scale (100 → 2, 10 → 1), as dec() in fmtNs. */
function decimal(tb: TextBuffer, x: number, scale: number): number {
  const i = Math.floor(x / scale);
  const f = x - i * scale;
  let n = digits(tb, i);
  tb.buf[tb.pos++] = 46;
  if (scale === 100 && f < 10) {
    tb.buf[tb.pos++] = 48;
    n++;
  }
  return n + 1 + digits(tb, f);
}

/** fmtNs(ns) written in place (room for 32 bytes reserved by the caller); returns its length in characters. */
export function putNs(tb: TextBuffer, ns: number): number {
  const a = ns < 0 ? -ns : ns;
  const b = tb.buf;
  let n = 0;
  if (!(a < 999950000)) {
    const s = fmtNs(ns);
    tb.str(s);
    return s.length;
  }
  if (ns < 0) {
    b[tb.pos++] = 45;
    n = 1;
  }
  let unit: number;
  if (a < 1000) {
    n += digits(tb, Math.round(a));
    unit = 0;
  } else if (a < 9995) {
    n += decimal(tb, Math.round(a / 10), 100);
    unit = 1;
  } else if (a < 999950) {
    n += decimal(tb, Math.round(a / 100), 10);
    unit = 1;
  } else if (a < 9995000) {
    n += decimal(tb, Math.round(a / 1e4), 100);
    unit = 2;
  } else {
    n += decimal(tb, Math.round(a / 1e5), 10);
    unit = 2;
  }
  b[tb.pos++] = SP;
  if (unit === 0) {
    b[tb.pos++] = 110; // n
  } else if (unit === 1) {
    b[tb.pos++] = 0xc2; // µ
    b[tb.pos++] = 0xb5;
  } else b[tb.pos++] = 109; // m
  b[tb.pos++] = 115; // s
  return n + 3;
}

/**
 * What a hop line says after its times, remembered per interface and side (the first hop, an
 * outbound one, an inbound one): the packets of a flow repeat it hop after hop, so it is made
 * once and copied as bytes while its inputs stay the same (changes are shared objects, see
 * timeline.ts, compared by identity).
 */
export class PartsMemo {
  /** A number for this memo, and how many times its text was made (trace-records.ts sends each text once). */
  readonly slot = nextPartsSlot++;
  made = 0;
  sent = 0;
  macSrc = -2;
  macDst = -2;
  ttl = -1;
  changes: Change[] = [];
  gso = false;
  ipLen = -1;
  count = 1;
  clock = false;
  text = '';
  bytes: Buffer | undefined = undefined;
}

let nextPartsSlot = 0;

function sameChanges(a: readonly Change[], b: readonly Change[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The text after a hop's times ('' for none). */
export function hopParts(h: Hop, k: number, clock: boolean, ctx: TextContext): PartsMemo {
  const slots = (h.iface.memo.parts ??= []);
  const slot = k === 0 ? 0 : h.outbound ? 1 : 2;
  let m = slots[slot];
  const o = h.obs;
  const first = k === 0;
  const count = h.count;
  if (
    m &&
    (!first || (m.macSrc === o.macSrc && m.macDst === o.macDst && m.ttl === o.ttl)) &&
    m.gso === h.gso &&
    (!h.gso || m.ipLen === o.ipLen) &&
    m.count === count &&
    m.clock === clock &&
    sameChanges(m.changes, h.changes)
  )
    return m;
  if (!m) slots[slot] = m = new PartsMemo();
  let parts = '';
  if (first) {
    if (o.macSrc >= 0 && o.macDst >= 0) parts = `${macText(o.macSrc)} > ${macText(o.macDst)}; `;
    else if (o.macSrc >= 0) parts = `from ${macText(o.macSrc)}; `;
    parts += `ttl ${o.ttl}`;
  }
  const ch = h.changes;
  for (let c = 0; c < ch.length; c++) parts = parts ? `${parts}; ${changeText(ch[c])}` : changeText(ch[c]);
  if (h.gso) parts = parts ? `${parts}; GSO ${o.ipLen} B` : `GSO ${o.ipLen} B`;
  if (h.more && !ch.some((c) => c.type === 'segmented')) parts = `${parts ? parts + '; ' : ''}${count} segments`;
  if (clock) {
    const off = ctx.offsets.get(h.iface.node);
    if (off) parts += ` [${names(h).node} clock corrected by ${fmtOffset(-off)}]`;
  }
  m.macSrc = o.macSrc;
  m.macDst = o.macDst;
  m.ttl = o.ttl;
  m.changes = ch.slice();
  m.gso = h.gso;
  m.ipLen = o.ipLen;
  m.count = count;
  m.clock = clock;
  m.text = parts;
  m.bytes = undefined;
  m.made++;
  return m;
}

/** The first line's packet summary, remembered per interface while the packets look alike. */
export interface SummaryMemo {
  o: Obs;
  bytes: Buffer;
}

/** a and b print the same summary (packetSummary). */
function sameSummary(a: Obs, b: Obs): boolean {
  return (
    a.src === b.src &&
    a.dst === b.dst &&
    a.proto === b.proto &&
    a.ipLen === b.ipLen &&
    a.frag === b.frag &&
    a.mf === b.mf &&
    (a.frag === 0 || a.id === b.id) &&
    a.sport === b.sport &&
    a.dport === b.dport &&
    a.l4len === b.l4len &&
    a.flags === b.flags &&
    a.seq === b.seq &&
    a.ack === b.ack &&
    a.icmpType === b.icmpType &&
    a.icmpCode === b.icmpCode &&
    a.icmpId === b.icmpId &&
    a.icmpSeq === b.icmpSeq &&
    a.icmpMtu === b.icmpMtu
  );
}

/** The packet summary of a trace starting at hop h, as bytes (the same object while it stays the same). */
export function summaryOf(h: Hop): SummaryMemo {
  const o = h.obs;
  const memo = h.iface.memo;
  const m = memo.summary;
  if (m && sameSummary(m.o, o)) return m;
  // (a copy: the trace's sightings may be reused once it is written)
  return (memo.summary = { o: o.copy(), bytes: Buffer.from(packetSummary(o)) });
}

const PACKET = Buffer.from('packet ');
const DELIVERED_IN = Buffer.from('  delivered in ');

/** `packet N  SUMMARY`, and for a delivered packet `  delivered in D` and the newline. */
export function putTraceHead(tb: TextBuffer, id: number, summary: Buffer, delivered: boolean, durationNs: number): void {
  tb.bytes(PACKET);
  tb.reserve(24);
  digits(tb, id);
  tb.buf[tb.pos++] = SP;
  tb.buf[tb.pos++] = SP;
  tb.bytes(summary);
  if (!delivered) return;
  tb.bytes(DELIVERED_IN);
  tb.reserve(40);
  putNs(tb, durationNs);
  tb.buf[tb.pos++] = 10;
}

/**
 * One hop line: its start (hopPrefixBytes), the time since the first hop padded to 11, the
 * step from the previous one padded to 12 (neither for the first hop), and what it says.
 */
export function putHopLine(tb: TextBuffer, prefix: Buffer, first: boolean, sinceFirstNs: number, deltaNs: number, parts: Buffer | undefined): void {
  tb.bytes(prefix);
  tb.reserve(2 * 64 + 2);
  const b = tb.buf;
  let w: number;
  if (first) {
    b[tb.pos++] = 43;
    b[tb.pos++] = 48;
    w = 2;
  } else {
    b[tb.pos++] = 43;
    w = 1 + putNs(tb, sinceFirstNs);
  }
  if (first && !parts) {
    tb.line('');
    return;
  }
  if (w < 11) spaces(tb, 11 - w);
  tb.buf[tb.pos++] = SP;
  if (first) {
    spaces(tb, 12);
    tb.buf[tb.pos++] = SP;
  } else {
    tb.buf[tb.pos++] = 40;
    w = 1;
    if (deltaNs >= 0) {
      tb.buf[tb.pos++] = 43;
      w++;
    }
    w += putNs(tb, deltaNs) + 1;
    tb.buf[tb.pos++] = 41;
    if (!parts) {
      tb.line('');
      return;
    }
    if (w < 12) spaces(tb, 12 - w);
    tb.buf[tb.pos++] = SP;
  }
  tb.bytes(parts!);
  tb.reserve(1);
  tb.buf[tb.pos++] = 10;
}

/**
 * One trace as text, written into `tb`: a line per hop whose fixed part (names, role) is
 * copied as bytes and whose times are written as digits (this runs for every hop of every
 * packet of `vxdecode trace`).
 */
export function writeTrace(t: Trace, ctx: TextContext, tb: TextBuffer): void {
  const v = t.verdict;
  putTraceHead(tb, t.id, summaryOf(t.hops[0]).bytes, v.status === 'delivered', t.durationNs);
  if (v.status !== 'delivered') tb.line(v.status === 'lost' ? `  LOST after ${esc(v.after!.iface.node)} ${esc(v.after!.iface.name)}` : `  incomplete`);
  const hops = t.hops;
  let wn = 0;
  let wi = 0;
  for (const h of hops) {
    const n = names(h);
    if (n.node.length > wn) wn = n.node.length;
    if (n.iface.length > wi) wi = n.iface.length;
  }
  for (let k = 0; k < hops.length; k++) {
    const h = hops[k];
    const clock = ctx.offsets.size > 0 && (k === 0 || hops[k - 1].iface.node !== h.iface.node);
    const pm = hopParts(h, k, clock, ctx);
    putHopLine(tb, hopPrefix(h, wn, wi), k === 0, h.sinceFirstNs, h.deltaNs, pm.text ? (pm.bytes ??= Buffer.from(pm.text)) : undefined);
  }
  if (v.status !== 'delivered' || v.skipped.length) {
    tb.line(`  → ${v.status}: ${esc(v.reason)}`);
    if (v.skipped.length) tb.line(`  → not seen on ${v.skipped.map((p) => `${esc(p.node)} ${esc(p.iface)}`).join(', ')} (captured) although seen after it`);
  }
}

function esc(s: string): string {
  return escapeText(s);
}

/** The JSON form of a change (docs/trace.md). */
export function changeJson(c: Change): Record<string, unknown> {
  switch (c.type) {
    case 'mac':
      return { type: 'mac', src: c.src >= 0 ? macText(c.src) : null, dst: c.dst >= 0 ? macText(c.dst) : null };
    case 'encap':
      return {
        type: 'encap',
        tunnel: c.tunnel,
        ...(c.tunnel === 'vxlan' ? { vni: c.vni } : {}),
        outer_src: ipText(c.src),
        outer_dst: ipText(c.dst),
        outer_sport: c.sport,
        outer_dport: c.dport,
        outer_ttl: c.ttl,
      };
    default:
      return c as unknown as Record<string, unknown>;
  }
}

function flowJson(o: Obs): Record<string, unknown> {
  return {
    proto: protoName(o.proto),
    src: ipText(o.src),
    dst: ipText(o.dst),
    sport: o.sport >= 0 ? o.sport : null,
    dport: o.dport >= 0 ? o.dport : null,
  };
}

function hopJson(h: Hop, offsets: ReadonlyMap<string, number>): Record<string, unknown> {
  const o = h.obs;
  const j: Record<string, unknown> = {
    node: h.iface.node,
    iface: h.iface.name,
    role: h.role,
    ts: formatTs(o.sec, o.nsec),
    delta_ns: h.deltaNs,
    since_first_ns: h.sinceFirstNs,
    file: o.source.file,
    frame: o.frame,
  };
  const off = offsets.get(h.iface.node);
  if (off) j.clock_offset_ns = off;
  if (h.more) j.frames = h.frames;
  j.mac_src = o.macSrc >= 0 ? macText(o.macSrc) : null;
  j.mac_dst = o.macDst >= 0 ? macText(o.macDst) : null;
  j.ttl = o.ttl;
  j.src = endpointText(o.src, -1);
  j.dst = endpointText(o.dst, -1);
  if (o.sport >= 0) j.sport = o.sport;
  if (o.dport >= 0) j.dport = o.dport;
  j.ip_len = o.ipLen;
  if (o.enc !== ENC_NONE) {
    j.encap = {
      type: o.enc === ENC_VXLAN ? 'vxlan' : 'udp',
      ...(o.enc === ENC_VXLAN ? { vni: o.vni } : {}),
      outer_src: ipText(o.oSrc),
      outer_dst: ipText(o.oDst),
      outer_sport: o.oSport,
      outer_dport: o.oDport,
      outer_ttl: o.oTtl,
      outer_mac_src: o.oMacSrc >= 0 ? macText(o.oMacSrc) : null,
      outer_mac_dst: o.oMacDst >= 0 ? macText(o.oMacDst) : null,
    };
  }
  if (h.gso) j.gso = true;
  if (o.mf || o.frag > 0) j.fragment = { offset: o.frag, more: o.mf };
  j.changes = h.changes.map(changeJson);
  return j;
}

export function traceJson(t: Trace, offsets: ReadonlyMap<string, number>): Record<string, unknown> {
  const first = t.hops[0].obs;
  const last = t.hops[t.hops.length - 1].obs;
  const v = t.verdict;
  const flow = flowJson(first);
  const j: Record<string, unknown> = {
    packet: t.id,
    summary: packetSummary(first),
    ts: formatTs(first.sec, first.nsec),
    flow,
  };
  const nat = flowJson(last);
  if (nat.src !== flow.src || nat.dst !== flow.dst || nat.sport !== flow.sport || nat.dport !== flow.dport) j.nat_flow = nat;
  j.ip_id = first.id;
  j.ip_len = first.ipLen;
  if (first.proto === 6) {
    j.tcp = { seq: first.seq, ack: first.ack, flags: first.flags, flags_text: tcpFlags(first.flags), len: Math.max(0, first.l4len) };
  } else if (first.proto === 1) {
    j.icmp = { type: first.icmpType, code: first.icmpCode, ...(first.icmpId >= 0 ? { id: first.icmpId, seq: first.icmpSeq } : {}) };
  }
  j.sender = t.sender;
  j.receiver = t.receiver ?? null;
  j.duration_ns = t.durationNs;
  j.hops = t.hops.map((h) => hopJson(h, offsets));
  const vj: Record<string, unknown> = { status: v.status, reason: v.reason };
  if (v.after) vj.after = { node: v.after.iface.node, iface: v.after.iface.name, role: v.after.role };
  if (v.missing) vj.missing = v.missing;
  if (v.skipped.length) vj.skipped = v.skipped;
  if (v.arpUnanswered) vj.arp_unanswered = v.arpUnanswered;
  if (v.icmp) vj.icmp = v.icmp;
  j.verdict = vj;
  return j;
}

/** Text of the clock corrections, printed before the traces. */
export function skewText(skew: readonly SkewEstimate[]): string[] {
  const out: string[] = [];
  for (const e of skew) {
    if (e.node === e.reference) continue;
    const how =
      e.method === 'given'
        ? 'given with --skew'
        : e.method === 'none'
          ? 'no packets shared with it on the underlays: not estimated'
          : e.method === 'one-way'
            ? `from ${e.samples_from_ref + e.samples_to_ref} packets in one direction only (a bound, not a measurement)`
            : `± ${fmtNs(e.uncertainty_ns ?? 0)}, from ${e.samples_from_ref} packets ${e.reference}→${e.node} and ${e.samples_to_ref} ${e.node}→${e.reference}`;
    const applied = e.applied_ns ? 'corrected' : e.method === 'none' ? 'not corrected' : 'not significant, not corrected';
    out.push(`# clock: ${esc(e.node)} is ${fmtOffset(e.offset_ns)} relative to ${esc(e.reference)} (${how}); ${applied}`);
  }
  return out;
}

export function flowText(rows: readonly FlowRow[]): string[] {
  if (!rows.length) return [];
  const out = ['', 'flows:'];
  for (const f of rows) {
    const nat = f.nat_dst ? ` (→ ${f.nat_dst})` : f.nat_src ? ` (from ${f.nat_src})` : '';
    const lost = Object.entries(f.lost_after)
      .map(([w, n]) => `${n} after ${esc(w)}`)
      .join(', ');
    out.push(
      `  ${f.proto.toUpperCase()} ${f.src} > ${f.dst}${nat}: ${f.packets} packets, ${f.delivered} delivered` +
        (f.lost ? `, ${f.lost} lost (${lost})` : '') +
        (f.incomplete ? `, ${f.incomplete} incomplete` : '') +
        (f.delivered ? `; p50 ${fmtNs(f.p50_duration_ns)}, max ${fmtNs(f.max_duration_ns)}` : ''),
    );
  }
  return out;
}

export function latencyText(rows: readonly LatencyRow[]): string[] {
  if (!rows.length) return [];
  const out = ['', 'hop latency (from → to: count  min / p50 / p90 / p99 / max):'];
  const label = (x: LatencyRow['from']): string => `${esc(x.node)} ${esc(x.iface)}`;
  let w = 0;
  for (const r of rows) w = Math.max(w, `${label(r.from)} → ${label(r.to)}`.length);
  for (const r of rows) {
    out.push(
      `  ${pad(`${label(r.from)} → ${label(r.to)}`, w)}  ${String(r.count).padStart(6)}  ${fmtNs(r.min_ns)} / ${fmtNs(r.p50_ns)} / ${fmtNs(
        r.p90_ns,
      )} / ${fmtNs(r.p99_ns)} / ${fmtNs(r.max_ns)}${r.outliers ? `  (${r.outliers} outliers, slowest packet ${r.slowest[0].packet})` : ''}`,
    );
  }
  return out;
}

/** The final `{"summary", "latency", "skew"}` object of `trace --json` (`live --trace --json`: no skew). */
export function summaryJson(e: TraceEngine, skew?: readonly SkewEstimate[]): Record<string, unknown> {
  return {
    summary: {
      frames: e.frames,
      packets: e.traced,
      delivered: e.verdicts.delivered,
      lost: e.verdicts.lost,
      incomplete: e.verdicts.incomplete,
      flows: e.flows.rows(),
    },
    latency: e.latency.rows(),
    ...(skew ? { skew } : {}),
  };
}

/** The closing lines of `trace` text: totals (and how many were shown, if not all), flows, hop latency. */
export function summaryText(e: TraceEngine, shown = e.traced): string[] {
  return [
    `${e.traced} packets traced from ${e.frames} frames: ${e.verdicts.delivered} delivered, ${e.verdicts.lost} lost, ${e.verdicts.incomplete} incomplete` +
      (shown !== e.traced ? ` (${shown} shown)` : ''),
    ...flowText(e.flows.rows()),
    ...latencyText(e.latency.rows()),
  ];
}
