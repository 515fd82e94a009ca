/**
 * `analyze`: turn traces, sightings and ARP exchanges into findings, each with a stable kind, a
 * severity, the node and interface(s) where it applies, a one-line message naming the likely
 * cause and the command that confirms it, and the frames that show it.
 *
 * Kinds: drop, vxlan-no-encap, vtep-arp, arp-unanswered, mtu, nat, checksum, vxlan,
 * retransmission, ttl, clock-skew, latency (docs/trace.md).
 */
import { endpointText, ipText, macText } from './addr.js';
import {
  CK_BAD,
  CK_PARTIAL,
  ENC_NONE,
  ENC_VXLAN,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  type ArpObs,
  type Obs,
} from './extract.js';
import { fmtNs, fmtOffset } from './format.js';
import type { SkewEstimate } from './skew.js';
import { protoName, type LatencyRow } from './stats.js';
import { icmpName, isGso, type Trace } from './timeline.js';
import type { IfaceInfo, Topology } from './topology.js';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export interface Evidence {
  file: string;
  frame: number;
  node: string;
  iface: string;
}

export interface Finding {
  kind: string;
  severity: Severity;
  node: string;
  /** The interface, or the first of a pair (`iface` → `to_iface`). */
  iface: string | null;
  ifaces: string[];
  /** One line: what, where, the likely cause, and the command that confirms it. */
  message: string;
  /** The likely cause, on its own. */
  cause: string;
  /** The command to confirm it. */
  check: string;
  /** Packets (or events) behind the finding. */
  count: number;
  /** Trace packet numbers (as `trace` numbers them), up to 20. */
  packets: number[];
  /** Frames that show it, up to 20. */
  frames: Evidence[];
  /** Kind-specific details. */
  data?: Record<string, unknown>;
}

const MAX_EVIDENCE = 20;

function ev(o: { source: { file: string; node: string; iface: string }; frame: number }): Evidence {
  return { file: o.source.file, frame: o.frame, node: o.source.node, iface: o.source.iface };
}

/** What a packet is, for messages: `ICMP echo requests`, `TCP SYNs`, `UDP datagrams`. */
function what(o: Obs, n: number): string {
  const s = n === 1 ? '' : 's';
  if (o.proto === PROTO_ICMP) return `ICMP ${icmpName(o)}${n === 1 ? '' : o.icmpType === 8 || o.icmpType === 0 ? 's' : ' messages'}`;
  if (o.proto === PROTO_TCP) {
    if ((o.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) return `TCP SYN${s}`;
    if (o.flags & TCP_SYN) return `TCP SYN-ACK${s}`;
    return `TCP segment${s}`;
  }
  if (o.proto === PROTO_UDP) return `UDP datagram${s}`;
  return `${protoName(o.proto)} packet${s}`;
}

function flowText(o: Obs): string {
  return `${endpointText(o.src, o.sport)} > ${endpointText(o.dst, o.dport)}`;
}

interface DropGroup {
  traces: Trace[];
  total: number;
}

interface ArpTally {
  iface: IfaceInfo;
  target: number;
  requests: ArpObs[];
  lastReplyT: number;
  unanswered: ArpObs[];
  lastRequestT: number;
}

interface CkTally {
  iface: IfaceInfo;
  kind: 'ip' | 'l4' | 'outer-udp' | 'partial';
  count: number;
  frames: Evidence[];
}

interface TcpFlowState {
  /** seq → first trace number that carried it (SYN or data). */
  seen: Map<number, number>;
  retrans: number;
  synRetries: number;
  packets: number[];
  frames: Evidence[];
  first: Obs;
}

export class Analyzer {
  private readonly drops = new Map<string, DropGroup>();
  private readonly flowTotals = new Map<string, number>();
  private readonly noEncap = new Map<string, Trace[]>();
  private readonly arps = new Map<string, ArpTally>();
  private readonly mtu = new Map<string, { obs: Obs; iface: IfaceInfo; count: number; frames: Evidence[]; victims: Set<string> }>();
  private readonly tooBig = new Map<string, Trace[]>();
  private readonly fragmented = new Map<string, Trace[]>();
  private readonly outerFrag = new Map<string, { iface: IfaceInfo; count: number; frames: Evidence[] }>();
  private readonly nat = new Map<string, { node: string; iface: string; field: string; from: string; to: string; packets: number[]; frames: Evidence[]; count: number }>();
  private readonly ck = new Map<string, CkTally>();
  private readonly ckCorrupt = new Map<string, { from: string; to: string; node: string; count: number; packets: number[]; frames: Evidence[] }>();
  private readonly vx = {
    noI: new Map<string, { iface: IfaceInfo; count: number; frames: Evidence[] }>(),
    reserved: new Map<string, { iface: IfaceInfo; count: number; frames: Evidence[] }>(),
    heur: new Map<string, { iface: IfaceInfo; port: number; count: number; frames: Evidence[] }>(),
    /** (outer src → outer dst) → VNIs and destination ports used */
    dirs: new Map<string, { src: number; dst: number; vnis: Map<number, number>; dports: Map<number, number>; frames: Evidence[] }>(),
  };
  private readonly tcp = new Map<string, TcpFlowState>();
  private readonly ttlExceeded = new Map<string, { iface: IfaceInfo; from: number; count: number; frames: Evidence[] }>();
  private readonly loops: Trace[] = [];
  private lastT = -Infinity;

  constructor(private readonly topo: Topology) {}

  onObs(o: Obs, i: IfaceInfo): void {
    if (o.t > this.lastT) this.lastT = o.t;
    // checksums
    if (o.ipCk === CK_BAD) this.tallyCk(i, 'ip', o);
    if (o.l4Ck === CK_PARTIAL) this.tallyCk(i, 'partial', o);
    // an inner checksum left to offload makes the outer one (computed as if it were done) look bad
    if (o.oUdpCk === CK_BAD && o.l4Ck !== CK_PARTIAL) this.tallyCk(i, 'outer-udp', o);
    if (o.enc === ENC_VXLAN) {
      if ((o.vxFlags & 0x08) === 0) this.tally(this.vx.noI, i, o);
      if (o.vxReserved) this.tally(this.vx.reserved, i, o);
      if (o.vxHeuristic) {
        const k = `${i.source.id}/${o.oDport}`;
        const t = this.vx.heur.get(k) ?? { iface: i, port: o.oDport, count: 0, frames: [] };
        t.count++;
        if (t.frames.length < MAX_EVIDENCE) t.frames.push(ev(o));
        this.vx.heur.set(k, t);
      }
      const dk = `${o.oSrc}>${o.oDst}`;
      let d = this.vx.dirs.get(dk);
      if (!d) this.vx.dirs.set(dk, (d = { src: o.oSrc, dst: o.oDst, vnis: new Map(), dports: new Map(), frames: [] }));
      d.vnis.set(o.vni, (d.vnis.get(o.vni) ?? 0) + 1);
      d.dports.set(o.oDport, (d.dports.get(o.oDport) ?? 0) + 1);
      if (d.frames.length < 4) d.frames.push(ev(o));
    }
    // outer fragmentation of tunnelled packets: a UDP first fragment to a VXLAN port, or a later fragment between nodes
    if (o.enc === ENC_NONE && o.proto === PROTO_UDP && o.mf && (o.dport === 8472 || o.dport === 4789) && i.role() === 'underlay') {
      const t = this.outerFrag.get(i.node + '/' + i.name) ?? { iface: i, count: 0, frames: [] };
      t.count++;
      if (t.frames.length < MAX_EVIDENCE) t.frames.push(ev(o));
      this.outerFrag.set(i.node + '/' + i.name, t);
    }
    if (o.proto === PROTO_ICMP) {
      if (o.icmpType === 3 && o.icmpCode === 4) {
        const k = `${o.src}/${o.icmpMtu}/${o.id}`;
        let m = this.mtu.get(k);
        if (!m) this.mtu.set(k, (m = { obs: o, iface: i, count: 0, frames: [], victims: new Set() }));
        if (o.t < m.obs.t) {
          m.obs = o;
          m.iface = i;
        }
        m.count++;
        if (m.frames.length < MAX_EVIDENCE) m.frames.push(ev(o));
        if (o.qSrc >= 0) m.victims.add(ipText(o.qSrc));
      } else if (o.icmpType === 11) {
        const k = `${o.src}`;
        const t = this.ttlExceeded.get(k) ?? { iface: i, from: o.src, count: 0, frames: [] };
        t.count++;
        if (t.frames.length < MAX_EVIDENCE) t.frames.push(ev(o));
        this.ttlExceeded.set(k, t);
      }
    }
  }

  onArp(a: ArpObs, i: IfaceInfo): void {
    if (a.t > this.lastT) this.lastT = a.t;
    if (a.encap) return;
    if (a.op === 1) {
      // gratuitous ARP (sender = target) asks nobody
      if (a.spa === a.tpa || a.spa === 0) return;
      const k = `${i.source.id}/${a.tpa}`;
      let t = this.arps.get(k);
      if (!t) this.arps.set(k, (t = { iface: i, target: a.tpa, requests: [], lastReplyT: -Infinity, unanswered: [], lastRequestT: -Infinity }));
      if (t.requests.length < 1000) t.requests.push(a);
      t.lastRequestT = a.t;
    } else if (a.op === 2) {
      const k = `${i.source.id}/${a.spa}`;
      const t = this.arps.get(k);
      if (t) t.lastReplyT = a.t;
    }
  }

  onTrace(tr: Trace): void {
    const first = tr.hops[0].obs;
    const fk = `${first.proto} ${flowText(first)} ${first.icmpType}`;
    this.flowTotals.set(fk, (this.flowTotals.get(fk) ?? 0) + 1);
    const v = tr.verdict;
    // NAT (information)
    for (const h of tr.hops) {
      for (const c of h.changes) {
        if (c.type !== 'nat') continue;
        const k = `${h.iface.node}/${c.field}/${c.from}/${c.to}`;
        let n = this.nat.get(k);
        if (!n) this.nat.set(k, (n = { node: h.iface.node, iface: h.iface.name, field: c.field, from: c.from, to: c.to, packets: [], frames: [], count: 0 }));
        n.count++;
        if (n.packets.length < MAX_EVIDENCE) n.packets.push(tr.id);
        if (n.frames.length < MAX_EVIDENCE) n.frames.push(ev(h.obs));
      }
      if (h.changes.some((c) => c.type === 'fragmented')) {
        const k = `${h.iface.node}/${h.iface.name}`;
        this.fragmented.set(k, [...(this.fragmented.get(k) ?? []).slice(0, 999), tr]);
      }
    }
    // checksums along the path: good before, bad after = corrupted in between
    for (let i = 1; i < tr.hops.length; i++) {
      const a = tr.hops[i - 1].obs;
      const b = tr.hops[i].obs;
      const bad = (o: Obs): boolean => o.l4Ck === CK_BAD || o.ipCk === CK_BAD;
      if (bad(b) && !bad(a) && a.l4Ck !== CK_PARTIAL) {
        const k = `${tr.hops[i - 1].iface.source.id}>${tr.hops[i].iface.source.id}`;
        let c = this.ckCorrupt.get(k);
        if (!c)
          this.ckCorrupt.set(
            k,
            (c = { from: `${tr.hops[i - 1].iface.node} ${tr.hops[i - 1].iface.name}`, to: `${tr.hops[i].iface.node} ${tr.hops[i].iface.name}`, node: tr.hops[i].iface.node, count: 0, packets: [], frames: [] }),
          );
        c.count++;
        if (c.packets.length < MAX_EVIDENCE) c.packets.push(tr.id);
        if (c.frames.length < MAX_EVIDENCE) c.frames.push(ev(b));
      }
    }
    for (const h of tr.hops) if (h.obs.l4Ck === CK_BAD && !isGso(h.obs)) this.tallyCk(h.iface, 'l4', h.obs);
    // loops: the same packet through one interface again and again, TTL falling
    const perIface = new Map<IfaceInfo, number>();
    for (const h of tr.hops) perIface.set(h.iface, (perIface.get(h.iface) ?? 0) + 1);
    if ([...perIface.values()].some((n) => n >= 3)) this.loops.push(tr);
    // TCP retransmissions (at the first hop of each packet: where the sender put it on the wire)
    if (first.proto === PROTO_TCP && ((first.flags & (TCP_SYN | TCP_FIN)) !== 0 || first.l4len > 0) && !(first.flags & TCP_RST)) {
      const k = `${flowText(first)}`;
      let s = this.tcp.get(k);
      if (!s) this.tcp.set(k, (s = { seen: new Map(), retrans: 0, synRetries: 0, packets: [], frames: [], first }));
      const seqKey = first.seq;
      if (s.seen.has(seqKey)) {
        if ((first.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) s.synRetries++;
        else s.retrans++;
        if (s.packets.length < MAX_EVIDENCE) s.packets.push(tr.id);
        if (s.frames.length < MAX_EVIDENCE) s.frames.push(ev(first));
      } else if (s.seen.size < 100000) s.seen.set(seqKey, tr.id);
    }
    if (v.status !== 'lost' || !v.after || !v.missing?.length) return;
    // lost: attribute it to the most specific cause
    const after = v.after;
    const frag = v.icmp?.find((e) => e.type === 3 && e.code === 4);
    if (frag) return; // the mtu finding tells it
    if (v.arpUnanswered?.length) return; // the vtep-arp / arp-unanswered finding tells it
    if (!first.mf && first.df && !isGso(first) && first.ipLen > 1450 && tr.hops.every((h) => h.obs.enc === ENC_NONE) && after.role !== 'vtep') {
      const k = `${after.iface.node}/${after.iface.name}`;
      this.tooBig.set(k, [...(this.tooBig.get(k) ?? []).slice(0, 999), tr]);
      return;
    }
    const miss = v.missing[0];
    if (after.role === 'vtep' && after.outbound && miss.role === 'underlay' && miss.node === after.iface.node) {
      const k = `${after.iface.source.id}/${after.obs.macDst}`;
      this.noEncap.set(k, [...(this.noEncap.get(k) ?? []).slice(0, 999), tr]);
      return;
    }
    const k = `${after.iface.node}/${after.iface.name}>${miss.node}/${miss.iface}|${fk}`;
    let d = this.drops.get(k);
    if (!d) this.drops.set(k, (d = { traces: [], total: 0 }));
    if (d.traces.length < 1000) d.traces.push(tr);
  }

  private tally(m: Map<string, { iface: IfaceInfo; count: number; frames: Evidence[] }>, i: IfaceInfo, o: Obs): void {
    const k = `${i.source.id}`;
    const t = m.get(k) ?? { iface: i, count: 0, frames: [] };
    t.count++;
    if (t.frames.length < MAX_EVIDENCE) t.frames.push(ev(o));
    m.set(k, t);
  }

  private tallyCk(i: IfaceInfo, kind: CkTally['kind'], o: Obs): void {
    const k = `${i.source.id}/${kind}`;
    const t = this.ck.get(k) ?? { iface: i, kind, count: 0, frames: [] };
    t.count++;
    if (t.frames.length < MAX_EVIDENCE) t.frames.push(ev(o));
    this.ck.set(k, t);
  }

  /** All findings, by severity then kind. */
  finish(skew: readonly SkewEstimate[], latency: readonly LatencyRow[], lostTraces: readonly Trace[]): Finding[] {
    const out: Finding[] = [];
    const push = (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }): void => {
      out.push({ ...f, ifaces: f.ifaces ?? (f.iface ? [f.iface] : []) });
    };
    this.findDrops(push);
    this.findNoEncap(push);
    this.findArp(push, lostTraces);
    this.findMtu(push);
    this.findNat(push);
    this.findChecksums(push);
    this.findVxlan(push);
    this.findTcp(push);
    this.findTtl(push);
    this.findSkew(push, skew);
    this.findLatency(push, latency);
    out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.kind.localeCompare(b.kind) || a.node.localeCompare(b.node));
    return out;
  }

  private findDrops(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const [k, d] of this.drops) {
      const t0 = d.traces[0];
      const first = t0.hops[0].obs;
      const fk = k.slice(k.indexOf('|') + 1);
      const total = this.flowTotals.get(fk) ?? d.traces.length;
      const after = t0.verdict.after!;
      const miss = t0.verdict.missing![0];
      const node = miss.node;
      const { cause, check } = dropCause(after.iface.node, after.role, miss.node, miss.role, after.outbound, miss.iface);
      const at = `${after.iface.node} ${after.iface.name}`;
      const never = `${miss.node} ${miss.iface}`;
      push({
        kind: 'drop',
        severity: 'error',
        node,
        iface: after.iface.node === node ? after.iface.name : miss.iface,
        ifaces: after.iface.node === node ? [after.iface.name, miss.iface] : [`${after.iface.node}/${after.iface.name}`, `${miss.node}/${miss.iface}`],
        message: `${d.traces.length} of ${total} ${what(first, total)} ${flowText(first)} reached ${at} and never ${never} (captured on both): ${cause}. Check: ${check}`,
        cause,
        check,
        count: d.traces.length,
        packets: d.traces.slice(0, MAX_EVIDENCE).map((t) => t.id),
        frames: d.traces.slice(0, MAX_EVIDENCE).map((t) => ev(t.verdict.after!.obs)),
        data: { from: { node: after.iface.node, iface: after.iface.name, role: after.role }, to: miss, flow: flowJson(first) },
      });
    }
  }

  private findNoEncap(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const ts of this.noEncap.values()) {
      const after = ts[0].verdict.after!;
      const mac = macText(after.obs.macDst);
      const node = after.iface.node;
      const dev = after.iface.name;
      const receiver = ts[0].receiver ?? this.topo.nodeOfIp(after.obs.dst);
      const remoteIp = receiver ? this.underlayIpOf(receiver) : undefined;
      const cause = `no VXLAN forwarding (FDB) entry on ${node} for the remote VTEP MAC ${mac}, so ${dev} has no underlay address to send to`;
      const check = `bridge fdb show dev ${dev} on ${node} (flanneld adds ${mac} dst ${remoteIp ?? '<remote node IP>'} self permanent)`;
      const first = ts[0].hops[0].obs;
      push({
        kind: 'vxlan-no-encap',
        severity: 'error',
        node,
        iface: dev,
        ifaces: [dev, ...(ts[0].verdict.missing ?? []).map((m) => m.iface)],
        message: `${ts.length} ${what(first, ts.length)} entered ${node} ${dev} and never left encapsulated on ${node}'s underlay: ${cause}. Check: ${check}`,
        cause,
        check,
        count: ts.length,
        packets: ts.slice(0, MAX_EVIDENCE).map((t) => t.id),
        frames: ts.slice(0, MAX_EVIDENCE).map((t) => ev(t.verdict.after!.obs)),
        data: { vtep_mac: mac, remote_node: receiver ?? null, remote_ip: remoteIp ?? null },
      });
    }
  }

  private underlayIpOf(node: string): string | undefined {
    // the outer destination of tunnelled packets the topology attributes to that node
    for (const d of this.vx.dirs.values()) {
      if (this.topo.underlayNode(d.dst) === node) return ipText(d.dst);
      if (this.topo.underlayNode(d.src) === node) return ipText(d.src);
    }
    return undefined;
  }

  private findArp(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void, lost: readonly Trace[]): void {
    // a broadcast request floods every port of a bridge: keep the interface that saw it first
    // (where the asking host sent it) and name the others
    const groups = new Map<string, ArpTally[]>();
    for (const t of this.arps.values()) {
      const k = `${t.iface.node}/${t.target}/${t.iface.role() === 'vtep' ? t.iface.name : ''}`;
      groups.set(k, [...(groups.get(k) ?? []), t]);
    }
    const firsts = new Map<ArpTally, string[]>();
    for (const g of groups.values()) {
      g.sort((a, b) => (a.requests[0]?.t ?? 0) - (b.requests[0]?.t ?? 0) || rolePrio(a.iface) - rolePrio(b.iface));
      firsts.set(g[0], g.map((t) => t.iface.name));
    }
    for (const [t, names] of firsts) {
      // a request is unanswered when no reply from its target came within 3 s (and the capture went on that long)
      const un = t.requests.filter((r) => !(t.lastReplyT >= r.t && t.lastReplyT - r.t <= 3e9) && this.lastT - r.t > 1e9);
      if (!un.length) continue;
      const i = t.iface;
      const target = ipText(t.target);
      const frames = un.slice(0, MAX_EVIDENCE).map(ev);
      const victims = lost.filter((tr) => tr.verdict.arpUnanswered?.some((a) => a.node === i.node && names.includes(a.iface) && a.target === target));
      if (i.role() === 'vtep') {
        const cause = `${i.node} has no neighbour entry for the remote VTEP ${target}, and a VXLAN device without learning cannot resolve it`;
        const check = `ip neigh show dev ${i.name} on ${i.node} (flanneld adds ${target} lladdr <remote VTEP MAC> nud permanent)`;
        push({
          kind: 'vtep-arp',
          severity: 'error',
          node: i.node,
          iface: i.name,
          message: `${un.length} ARP request${un.length > 1 ? 's' : ''} for ${target} on ${i.node} ${i.name}, unanswered${victims.length ? `; ${victims.length} packets waiting for it were lost` : ''}: ${cause}. Check: ${check}`,
          cause,
          check,
          count: un.length,
          packets: victims.slice(0, MAX_EVIDENCE).map((v) => v.id),
          frames,
          data: { target, requests: t.requests.length, unanswered: un.length },
        });
        continue;
      }
      if (!victims.length && un.length < 2) continue;
      // behind a DNAT: the address came from a service rule
      const nat = victims
        .flatMap((v) => v.hops.flatMap((h) => h.changes))
        .find((c) => c.type === 'nat' && c.field === 'dst' && c.to.split(':')[0] === target) as { from: string; to: string } | undefined;
      const cause = nat
        ? `${target} is a stale service endpoint: ${nat.from} is DNATed to ${nat.to}, and nothing at ${target} answers (the pod is gone, the kube-proxy rules still point at it)`
        : `nothing at ${target} answers on ${i.node} ${i.name} (the host or pod is down or gone)`;
      const check = nat
        ? `kubectl get endpointslices -A | grep ${target}; iptables -t nat -S | grep ${target} on the sending node`
        : `ip neigh show ${target} on ${i.node}; is ${target} still assigned?`;
      push({
        kind: 'arp-unanswered',
        severity: victims.length ? 'error' : 'warning',
        node: i.node,
        iface: i.name,
        ifaces: names,
        message: `${un.length} ARP request${un.length > 1 ? 's' : ''} for ${target} on ${i.node} ${i.name}, unanswered${victims.length ? `; ${victims.length} packets for it were lost there` : ''}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: un.length,
        packets: victims.slice(0, MAX_EVIDENCE).map((v) => v.id),
        frames,
        data: { target, requests: t.requests.length, unanswered: un.length, ...(nat ? { service: nat.from, endpoint: nat.to } : {}) },
      });
    }
  }

  private findMtu(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const m of this.mtu.values()) {
      const o = m.obs;
      const node = m.iface.node;
      const from = ipText(o.src);
      const to = ipText(o.dst);
      const cause = `${node} (${from}) cannot forward ${o.qDst >= 0 ? `packets to ${ipText(o.qDst)}` : 'them'} larger than ${o.icmpMtu} bytes with DF set: the sender's MTU exceeds the tunnel's (VXLAN takes 50 bytes of the underlay's MTU)`;
      const check = `ip link show on ${node} (flannel.1 and cni0 MTU) and in the pod (eth0 MTU); /run/flannel/subnet.env FLANNEL_MTU`;
      push({
        kind: 'mtu',
        severity: 'error',
        node,
        iface: m.iface.name,
        message: `ICMP fragmentation needed (next-hop MTU ${o.icmpMtu}) from ${from} to ${to} (${m.count} sighting${m.count > 1 ? 's' : ''}): ${cause}. Check: ${check}`,
        cause,
        check,
        count: 1,
        packets: [],
        frames: m.frames,
        data: { mtu: o.icmpMtu, from, to, refused: o.qSrc >= 0 ? { src: ipText(o.qSrc), dst: ipText(o.qDst), proto: protoName(o.qProto), ip_id: o.qId } : null },
      });
    }
    for (const [k, ts] of this.tooBig) {
      const after = ts[0].verdict.after!;
      const first = ts[0].hops[0].obs;
      const cause = `DF packets of ${first.ipLen} bytes do not fit the VXLAN tunnel (underlay MTU minus 50 bytes), and no ICMP fragmentation-needed came back`;
      const check = `ip link show flannel.1 on ${after.iface.node}; the pod's eth0 MTU must not exceed it`;
      push({
        kind: 'mtu',
        severity: 'error',
        node: after.iface.node,
        iface: after.iface.name,
        message: `${ts.length} ${what(first, ts.length)} of ${first.ipLen} B with DF (${flowText(first)}) stopped at ${k.replace('/', ' ')}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: ts.length,
        packets: ts.slice(0, MAX_EVIDENCE).map((t) => t.id),
        frames: ts.slice(0, MAX_EVIDENCE).map((t) => ev(t.verdict.after!.obs)),
        data: { ip_len: first.ipLen },
      });
    }
    for (const [k, ts] of this.fragmented) {
      const h = ts[0].hops.find((x) => x.changes.some((c) => c.type === 'fragmented'))!;
      const c = h.changes.find((x) => x.type === 'fragmented') as { ip_len: number; from_len: number };
      const cause = `packets of ${c.from_len} B are fragmented because the path MTU is smaller (VXLAN adds 50 bytes)`;
      const check = `ip link show on ${h.iface.node} (MTUs of the pod, cni0 and flannel.1)`;
      push({
        kind: 'mtu',
        severity: 'warning',
        node: h.iface.node,
        iface: h.iface.name,
        message: `${ts.length} packets fragmented at ${k.replace('/', ' ')}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: ts.length,
        packets: ts.slice(0, MAX_EVIDENCE).map((t) => t.id),
        frames: ts.slice(0, MAX_EVIDENCE).map((t) => ev(t.hops.find((x) => x.iface === h.iface)!.obs)),
        data: { ip_len: c.ip_len, from_len: c.from_len },
      });
    }
    for (const f of this.outerFrag.values()) {
      const cause = 'tunnelled packets are fragmented on the underlay: the inner MTU is too large for the underlay MTU minus the 50-byte VXLAN overhead';
      const check = `ip link show on ${f.iface.node} (eth0 vs flannel.1 MTU)`;
      push({
        kind: 'mtu',
        severity: 'warning',
        node: f.iface.node,
        iface: f.iface.name,
        message: `${f.count} VXLAN packets fragmented on ${f.iface.node} ${f.iface.name}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: f.count,
        packets: [],
        frames: f.frames,
      });
    }
  }

  private findNat(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const n of this.nat.values()) {
      const kind = n.field === 'dst' ? 'DNAT' : 'SNAT';
      const cause = n.field === 'dst' ? 'a service (kube-proxy) rule rewrote the destination' : 'the source was rewritten (masquerade, or the reply to a DNAT)';
      const check = `iptables -t nat -S on ${n.node} | grep ${n.from.split(':')[0]}`;
      push({
        kind: 'nat',
        severity: 'info',
        node: n.node,
        iface: n.iface,
        message: `${kind} ${n.from} → ${n.to} on ${n.node} (seen at ${n.iface}), ${n.count} packet${n.count > 1 ? 's' : ''}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: n.count,
        packets: n.packets,
        frames: n.frames,
        data: { field: n.field, from: n.from, to: n.to },
      });
    }
  }

  private findChecksums(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const c of this.ckCorrupt.values()) {
      const cause = `checksums good on ${c.from} and bad on ${c.to}: the packets were corrupted in between`;
      const check = `ethtool -S on the interfaces between them; ip -s link (errors)`;
      push({
        kind: 'checksum',
        severity: 'error',
        node: c.node,
        iface: c.to.split(' ')[1],
        ifaces: [c.from, c.to],
        message: `${c.count} packets became corrupt between ${c.from} and ${c.to}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: c.count,
        packets: c.packets,
        frames: c.frames,
      });
    }
    // offload: one note per node, naming its interfaces
    const partial = new Map<string, CkTally[]>();
    for (const t of this.ck.values()) if (t.kind === 'partial') partial.set(t.iface.node, [...(partial.get(t.iface.node) ?? []), t]);
    for (const [node, ts] of partial) {
      const names = ts.map((t) => t.iface.name);
      const count = ts.reduce((a, t) => a + t.count, 0);
      const cause = 'checksum offload: the kernel leaves the checksum for the NIC to complete (a veth never does), normal on the sending host, not corruption';
      const check = `ethtool -k ${names[0]} | grep checksum on ${node}`;
      push({
        kind: 'checksum',
        severity: 'info',
        node,
        iface: names[0],
        ifaces: names,
        message: `${count} TCP/UDP checksums on ${node} (${names.join(', ')}) hold only the pseudo-header sum: ${cause}. Check: ${check}`,
        cause,
        check,
        count,
        packets: [],
        frames: ts.flatMap((t) => t.frames.slice(0, 4)).slice(0, MAX_EVIDENCE),
        data: { offload: true },
      });
    }
    for (const t of this.ck.values()) {
      const i = t.iface;
      if (t.kind === 'partial') {
        continue;
      } else if (t.kind === 'outer-udp') {
        const cause = 'the outer UDP checksum of VXLAN packets is wrong: the receiver drops them (a known flannel/kernel VXLAN checksum-offload fault)';
        const check = `ethtool -K flannel.1 tx-checksum-ip-generic off on ${i.node}; ethtool -k ${i.name}`;
        push({
          kind: 'checksum',
          severity: 'error',
          node: i.node,
          iface: i.name,
          message: `${t.count} VXLAN packets on ${i.node} ${i.name} with a bad outer UDP checksum: ${cause}. Check: ${check}`,
          cause,
          check,
          count: t.count,
          packets: [],
          frames: t.frames,
        });
      } else {
        const rx = i.role() === 'underlay' || i.role() === 'vtep';
        const cause = rx
          ? 'bad checksums arriving from elsewhere: corruption on the way, or offload on a host that was not captured'
          : 'bad checksums where the packets start: usually checksum offload on the sending host, not corruption';
        push({
          kind: 'checksum',
          severity: rx ? 'warning' : 'info',
          node: i.node,
          iface: i.name,
          message: `${t.count} ${t.kind === 'ip' ? 'IPv4 header' : 'TCP/UDP'} checksums bad on ${i.node} ${i.name}: ${cause}. Check: ethtool -k ${i.name} on ${i.node}`,
          cause,
          check: `ethtool -k ${i.name} on ${i.node}`,
          count: t.count,
          packets: [],
          frames: t.frames,
        });
      }
    }
  }

  private findVxlan(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const t of this.vx.noI.values()) {
      const cause = 'VXLAN headers without the I flag (VNI not valid): a misconfigured or non-VXLAN sender on the port';
      push({
        kind: 'vxlan',
        severity: 'warning',
        node: t.iface.node,
        iface: t.iface.name,
        message: `${t.count} VXLAN packets on ${t.iface.node} ${t.iface.name} without the I flag: ${cause}. Check: ip -d link show flannel.1 on both nodes`,
        cause,
        check: 'ip -d link show flannel.1 on both nodes',
        count: t.count,
        packets: [],
        frames: t.frames,
        data: { problem: 'flags' },
      });
    }
    for (const t of this.vx.reserved.values()) {
      const cause = 'VXLAN reserved fields are not zero: a VXLAN extension (GBP, GPE) or another protocol on the port';
      push({
        kind: 'vxlan',
        severity: 'info',
        node: t.iface.node,
        iface: t.iface.name,
        message: `${t.count} VXLAN packets on ${t.iface.node} ${t.iface.name} with reserved bits set: ${cause}. Check: ip -d link show flannel.1`,
        cause,
        check: 'ip -d link show flannel.1',
        count: t.count,
        packets: [],
        frames: t.frames,
        data: { problem: 'reserved' },
      });
    }
    for (const t of this.vx.heur.values()) {
      const cause = `VXLAN on UDP ${t.port}, neither 4789 (IANA) nor 8472 (Linux/flannel default): recognised by its header`;
      const check = `ip -d link show flannel.1 (dstport) on ${t.iface.node}; decode with --vxlan-port ${t.port}`;
      push({
        kind: 'vxlan',
        severity: 'warning',
        node: t.iface.node,
        iface: t.iface.name,
        message: `${t.count} VXLAN packets on non-standard port ${t.port} on ${t.iface.node} ${t.iface.name}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: t.count,
        packets: [],
        frames: t.frames,
        data: { problem: 'port', port: t.port },
      });
    }
    // per direction: several VNIs, and ports or VNIs that differ between the two directions
    const dirs = [...this.vx.dirs.values()];
    const main = (m: Map<number, number>): number => [...m.entries()].sort((a, b) => b[1] - a[1])[0][0];
    for (const d of dirs) {
      const a = `${ipText(d.src)} → ${ipText(d.dst)}`;
      if (d.vnis.size > 1) {
        const cause = `more than one VNI (${[...d.vnis.keys()].join(', ')}) between the same two VTEPs: an unexpected VNI from a second overlay or a misconfigured node`;
        push({
          kind: 'vxlan',
          severity: 'warning',
          node: this.topo.underlayNode(d.src) ?? ipText(d.src),
          iface: null,
          message: `VXLAN ${a} uses VNIs ${[...d.vnis.keys()].join(', ')}: ${cause}. Check: ip -d link show type vxlan on both nodes`,
          cause,
          check: 'ip -d link show type vxlan on both nodes',
          count: d.vnis.size,
          packets: [],
          frames: d.frames,
          data: { problem: 'vni', vnis: [...d.vnis.keys()] },
        });
      }
      const back = this.vx.dirs.get(`${d.dst}>${d.src}`);
      if (back && d.src < d.dst) {
        const p1 = main(d.dports);
        const p2 = main(back.dports);
        const v1 = main(d.vnis);
        const v2 = main(back.vnis);
        if (p1 !== p2 || v1 !== v2) {
          const cause =
            p1 !== p2
              ? `the nodes disagree on the VXLAN port (${ipText(d.dst)} is sent to on ${p1}, ${ipText(d.src)} on ${p2}): each drops what the other sends`
              : `the nodes disagree on the VNI (${v1} one way, ${v2} the other)`;
          push({
            kind: 'vxlan',
            severity: 'error',
            node: this.topo.underlayNode(d.src) ?? ipText(d.src),
            iface: null,
            message: `asymmetric VXLAN between ${ipText(d.src)} and ${ipText(d.dst)}: ${cause}. Check: ip -d link show flannel.1 on both nodes (dstport, id)`,
            cause,
            check: 'ip -d link show flannel.1 on both nodes (dstport, id)',
            count: 2,
            packets: [],
            frames: [...d.frames.slice(0, 2), ...back.frames.slice(0, 2)],
            data: { problem: p1 !== p2 ? 'asymmetric-port' : 'asymmetric-vni', ports: [p1, p2], vnis: [v1, v2] },
          });
        }
      }
    }
  }

  private findTcp(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const s of this.tcp.values()) {
      if (!s.retrans && !s.synRetries) continue;
      const o = s.first;
      const node = s.frames[0]?.node ?? o.source.node;
      const iface = s.frames[0]?.iface ?? o.source.iface;
      const parts = [];
      if (s.synRetries) parts.push(`${s.synRetries} SYN retransmission${s.synRetries > 1 ? 's' : ''}`);
      if (s.retrans) parts.push(`${s.retrans} data retransmission${s.retrans > 1 ? 's' : ''}`);
      const cause = s.synRetries ? 'the connection was not answered: see the drop/arp findings for where the SYNs went' : 'segments or their ACKs were lost or delayed';
      push({
        kind: 'retransmission',
        severity: 'warning',
        node,
        iface,
        message: `TCP ${flowText(o)}: ${parts.join(', ')}: ${cause}. Check: vxdecode trace --flow "tcp ${endpointText(o.src, o.sport)}>${endpointText(o.dst, o.dport)}"`,
        cause,
        check: `vxdecode trace --flow "tcp ${endpointText(o.src, o.sport)}>${endpointText(o.dst, o.dport)}"`,
        count: s.retrans + s.synRetries,
        packets: s.packets,
        frames: s.frames,
        data: { flow: flowJson(o), syn_retries: s.synRetries, retransmissions: s.retrans },
      });
    }
  }

  private findTtl(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void): void {
    for (const t of this.ttlExceeded.values()) {
      const cause = 'packets ran out of TTL: a routing loop, or a traceroute';
      push({
        kind: 'ttl',
        severity: 'warning',
        node: t.iface.node,
        iface: t.iface.name,
        message: `${t.count} ICMP time exceeded from ${ipText(t.from)} seen on ${t.iface.node} ${t.iface.name}: ${cause}. Check: ip route get <destination> on the nodes involved`,
        cause,
        check: 'ip route get <destination> on the nodes involved',
        count: t.count,
        packets: [],
        frames: t.frames,
      });
    }
    if (this.loops.length) {
      const tr = this.loops[0];
      const h = tr.hops[0];
      const cause = 'the same packet crossed one interface three times or more with falling TTL: a routing loop';
      push({
        kind: 'ttl',
        severity: 'error',
        node: h.iface.node,
        iface: h.iface.name,
        message: `${this.loops.length} packets looped (e.g. packet ${tr.id}): ${cause}. Check: ip route on ${[...new Set(tr.hops.map((x) => x.iface.node))].join(', ')}`,
        cause,
        check: 'ip route on the nodes involved',
        count: this.loops.length,
        packets: this.loops.slice(0, MAX_EVIDENCE).map((t) => t.id),
        frames: this.loops.slice(0, MAX_EVIDENCE).map((t) => ev(t.hops[0].obs)),
      });
    }
  }

  private findSkew(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void, skew: readonly SkewEstimate[]): void {
    for (const e of skew) {
      if (e.node === e.reference || e.method === 'none') continue;
      const a = Math.abs(e.offset_ns);
      const measured = e.method === 'measured' || e.method === 'given';
      if (measured && e.uncertainty_ns !== null && a <= Math.max(e.uncertainty_ns, 1000)) continue;
      if (!measured && a < 1e6) continue;
      const dir = e.offset_ns < 0 ? 'behind' : 'ahead of';
      const how =
        e.method === 'given'
          ? 'as given with --skew'
          : e.method === 'measured'
            ? `± ${fmtNs(e.uncertainty_ns ?? 0)}, from ${e.samples_from_ref} packets ${e.reference}→${e.node} and ${e.samples_to_ref} back`
            : 'a bound from packets in one direction only';
      const cause = `${e.node}'s clock is ${fmtNs(a)} ${dir} ${e.reference}'s (${how})${e.applied_ns ? '; timestamps corrected' : ''}`;
      const check = `chronyc tracking (or timedatectl timesync-status) on ${e.node} and ${e.reference}`;
      push({
        kind: 'clock-skew',
        severity: a >= 1e6 ? 'warning' : 'info',
        node: e.node,
        iface: null,
        message: `${e.node} clock offset ${fmtOffset(e.offset_ns)} relative to ${e.reference}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: e.samples_from_ref + e.samples_to_ref,
        packets: [],
        frames: e.frames ?? [],
        data: { ...e, frames: undefined },
      });
    }
  }

  private findLatency(push: (f: Omit<Finding, 'ifaces'> & { ifaces?: string[] }) => void, rows: readonly LatencyRow[]): void {
    for (const r of rows) {
      if (!r.outliers || r.count < 5) continue;
      const cause = `${r.outliers} of ${r.count} packets took over max(10 × p50, p50 + 1 ms) (p50 ${fmtNs(r.p50_ns)}, max ${fmtNs(r.max_ns)})`;
      const check = `vxdecode trace --packet ${r.slowest.map((s) => s.packet).join(',')}`;
      push({
        kind: 'latency',
        severity: r.max_ns >= 100e6 ? 'warning' : 'info',
        node: r.to.node,
        iface: r.to.iface,
        ifaces: [`${r.from.node}/${r.from.iface}`, `${r.to.node}/${r.to.iface}`],
        message: `slow hops ${r.from.node} ${r.from.iface} → ${r.to.node} ${r.to.iface}: ${cause}. Check: ${check}`,
        cause,
        check,
        count: r.outliers,
        packets: r.slowest.map((s) => s.packet),
        frames: [],
        data: { p50_ns: r.p50_ns, p99_ns: r.p99_ns, max_ns: r.max_ns },
      });
    }
  }
}

/** Where a node itself sends from sorts first among interfaces that saw the same request. */
function rolePrio(i: IfaceInfo): number {
  const r = i.role();
  return r === 'bridge' || r === 'vtep' || r === 'underlay' ? 0 : 1;
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

/** The likely cause of a drop between two places, by their roles. */
function dropCause(fromNode: string, fromRole: string, toNode: string, toRole: string, outbound: boolean, toIface: string): { cause: string; check: string } {
  if (fromNode !== toNode)
    return {
      cause: `lost on the network between ${fromNode} and ${toNode} (a firewall or security group blocking the tunnel's UDP port, or the underlay)`,
      check: `tcpdump -ni ${toIface} udp port 8472 on ${toNode}; the cloud security groups / iptables INPUT on ${toNode}`,
    };
  if (fromRole === 'underlay' && toRole === 'vtep')
    return {
      cause: `${toNode} received the tunnelled packet but did not decapsulate it (VXLAN port or VNI mismatch, or iptables INPUT dropping UDP 8472)`,
      check: `ip -d link show ${toIface} on ${toNode} (id, dstport); iptables -L INPUT -v -n on ${toNode}`,
    };
  if (!outbound && (toRole === 'bridge' || (fromRole === 'underlay' && toRole !== 'vtep')))
    return {
      cause: `dropped while ${toNode} routed it to the pod network: a netfilter FORWARD rule or rp_filter on ${toNode}`,
      check: `iptables -L FORWARD -v -n on ${toNode}; sysctl net.ipv4.conf.all.rp_filter`,
    };
  if (!outbound && (toRole === 'veth' || toRole === 'pod'))
    return {
      cause: `the bridge on ${toNode} did not deliver it to the pod (pod interface down, wrong MAC, or a bridge filter)`,
      check: `bridge link; bridge fdb show br cni0 on ${toNode}; ip neigh on ${toNode}`,
    };
  if (outbound && toRole === 'vtep')
    return {
      cause: `${toNode} did not route it into the tunnel (no route to the remote pod subnet, FORWARD drop, or no neighbour for the remote VTEP)`,
      check: `ip route get <destination> on ${toNode}; iptables -L FORWARD -v -n; ip neigh show dev flannel.1`,
    };
  if (outbound && toRole === 'underlay')
    return {
      cause: `${toNode} did not send it out (FORWARD drop, routing, or the underlay interface)`,
      check: `ip route get <destination> on ${toNode}; iptables -L FORWARD -v -n on ${toNode}`,
    };
  return {
    cause: `dropped on ${toNode} between ${fromRole} and ${toRole}`,
    check: `ip -s link; iptables -L -v -n on ${toNode}`,
  };
}

