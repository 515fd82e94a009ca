/**
 * From a closed Group to a Trace: the hops in the order the kernel took them, what changed at
 * each, and a verdict.
 *
 * Order. Nodes first: the sending node is the one where the packet has its highest TTL (TTL
 * only falls along the path and NAT leaves it alone); when the TTL cannot tell (only tunnel and
 * underlay hops captured), the node that owns the outer source address, then the node whose
 * pod sent it, then the earliest corrected clock. Within a node (one clock, no skew) hops are in
 * timestamp order, ties (the rule, not the exception) broken by the direction of travel through
 * the roles: outward pod → veth → bridge → vtep → underlay on the sending node, inward on the
 * receiving one.
 *
 * Verdict. The path the packet should take is rebuilt from the topology (the source pod's
 * interfaces, bridge, vtep, underlay; then the destination node's underlay, vtep, bridge and the
 * destination pod's interfaces); interfaces that were not captured drop out. Delivered: it
 * reached the last captured interface of that path. Lost after H: the next captured interface
 * after H was capturing at the time and never saw it. Incomplete: what comes after H was not
 * captured at that time (or the destination node was not captured at all).
 */
import { endpointText, ipText, macText } from './addr.js';
import { ENC_NONE, ENC_UDP, ENC_VXLAN, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type ArpObs, type Obs } from './extract.js';
import type { Group } from './correlate.js';
import { ROLE_RANK, type Role } from './roles.js';
import type { IcmpError, IfaceInfo, Topology } from './topology.js';

export type Change =
  | { type: 'routed'; ttl_from: number; ttl_to: number }
  /** MACs rewritten: the new ones (numbers here; text in JSON, -1 unknown). */
  | { type: 'mac'; src: number; dst: number }
  /** Encapsulated: the outer header (see changeJson). */
  | { type: 'encap'; tunnel: 'vxlan' | 'udp'; vni: number; src: number; dst: number; sport: number; dport: number; ttl: number }
  | { type: 'decap'; tunnel: 'vxlan' | 'udp' }
  | { type: 'nat'; field: 'dst' | 'src'; from: string; to: string }
  | { type: 'fragmented'; ip_len: number; from_len: number }
  | { type: 'segmented'; segments: number }
  | { type: 'merged'; from_segments: number }
  | { type: 'ttl-increased'; ttl_from: number; ttl_to: number }
  | { type: 'arp'; target: string; wait_ns: number; answered: true; request_frame: number; reply_frame: number };

const NO_CHANGES: Change[] = [];

export class Hop {
  /** Frames after the first at this hop (the other segments of a GSO super-packet). */
  more: number[] | undefined = undefined;
  deltaNs = 0;
  sinceFirstNs = 0;
  changes: Change[] = NO_CHANGES;
  /** On the sending side of its node (outward) or the receiving side (inward). */
  outbound = true;
  constructor(
    readonly iface: IfaceInfo,
    readonly role: Role,
    /** First sighting at this hop (the packet, or its first segment). */
    readonly obs: Obs,
    /** Corrected time of the first sighting. */
    public t: number,
  ) {}
  /** A GSO/GRO super-packet (bigger than any MTU on the path: offload, not a fault). */
  get gso(): boolean {
    return isGso(this.obs);
  }
  /** Frames at this hop (1, or the segments of a GSO super-packet). */
  get frames(): number[] {
    return this.more ? [this.obs.frame, ...this.more] : [this.obs.frame];
  }
  get count(): number {
    return this.more ? this.more.length + 1 : 1;
  }
  addChange(c: Change): void {
    if (this.changes === NO_CHANGES) this.changes = [c];
    else this.changes.push(c);
  }
}


export type VerdictStatus = 'delivered' | 'lost' | 'incomplete';

export interface PathPlace {
  readonly node: string;
  readonly iface: string;
  readonly role: Role;
}

export interface Verdict {
  status: VerdictStatus;
  /** The last hop on the path where the packet was seen. */
  after?: Hop;
  /** The captured place(s) where it should have appeared next. */
  missing?: PathPlace[];
  /** One line, for people. */
  reason: string;
  /** Places on the path that were captured but skipped (seen before and after them). */
  skipped: PathPlace[];
  /** ARP requests on the next place that nobody answered. */
  arpUnanswered?: { node: string; iface: string; target: string; requests: number; frames: number[] }[];
  /** ICMP errors about this packet. */
  icmp?: { node: string; iface: string; from: string; type: number; code: number; mtu?: number; frame: number }[];
}

export interface Trace {
  /** Packet number: order of first sighting, from 1. */
  id: number;
  readonly hops: Hop[];
  readonly verdict: Verdict;
  readonly sender: string;
  readonly receiver?: string;
  readonly durationNs: number;
}

export interface TimelineOptions {
  /** How far around a packet an interface's first/last frame may be and still count as capturing. */
  readonly graceNs: number;
}

interface NodeGroup {
  name: string;
  hops: Hop[];
  maxTtl: number;
  minTtl: number;
  minT: number;
  owner: number;
}

const OUT_ROLES: readonly Role[] = ['pod', 'veth', 'bridge', 'vtep', 'underlay'];

export function buildTrace(g: Group, topo: Topology, opts: TimelineOptions): Trace {
  // 1. one hop per interface and (TTL, addresses): GSO segments fold into their hop
  const hops: Hop[] = [];
  const obs = g.obs;
  for (let k = 0; k < obs.length; k++) {
    const o = obs[k];
    const iface = topo.iface(o.source);
    let h: Hop | undefined;
    if (g.gso) {
      for (const x of hops) {
        if (x.iface === iface && x.obs.ttl === o.ttl && x.obs.src === o.src && x.obs.dst === o.dst && x.obs.seq !== o.seq) {
          h = x;
          break;
        }
      }
    }
    if (h) {
      (h.more ??= []).push(o.frame);
      if (o.t < h.t) h.t = o.t;
      continue;
    }
    hops.push(new Hop(iface, iface.role(), o, o.t));
  }

  // 2. nodes in the direction of travel
  const nodes: NodeGroup[] = [];
  for (const h of hops) {
    const name = h.iface.node;
    let n: NodeGroup | undefined;
    for (const x of nodes) if (x.name === name) n = x;
    if (!n) nodes.push((n = { name, hops: [], maxTtl: 0, minTtl: 256, minT: Infinity, owner: 1 }));
    n.hops.push(h);
    if (h.obs.ttl > n.maxTtl) n.maxTtl = h.obs.ttl;
    if (h.obs.ttl < n.minTtl) n.minTtl = h.obs.ttl;
    if (h.t < n.minT) n.minT = h.t;
  }
  if (nodes.length > 1) {
    const rep = g.rep;
    const enc = g.obs.find((o) => o.enc !== ENC_NONE);
    const outerOwner = enc ? topo.underlayNode(enc.oSrc) : undefined;
    const srcOwner = topo.nodeOfIp(rep.src);
    for (const n of nodes) n.owner = n.name === outerOwner ? 0 : n.name === srcOwner ? 0.5 : 1;
    insertionSort(nodes, byTravel);
    // the TTL decided: teach the topology who owns the outer addresses
    if (enc && nodes[0].maxTtl > nodes[1].maxTtl) {
      topo.voteUnderlay(enc.oSrc, nodes[0].name, 1);
      topo.voteUnderlay(enc.oDst, nodes[nodes.length - 1].name, 1);
    }
  }

  // 3. within each node: time, then direction of travel through the roles
  const ordered: Hop[] = [];
  const src0 = g.rep.src;
  const lastDst = g.obs[g.obs.length - 1].dst;
  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k];
    const single = nodes.length === 1;
    if (!single) {
      const out = k === 0;
      for (const h of n.hops) h.outbound = out;
      if (n.hops.length > 1) insertionSort(n.hops, byTimeThenRank);
      for (const h of n.hops) ordered.push(h);
      continue;
    }
    // one node only: is it where the packet starts, ends, or both (routed between two of its pods)?
    const srcLocal = topo.nodeOfIp(src0) === n.name || n.hops.some((h) => (h.role === 'pod' || h.role === 'veth') && h.iface.podIp() === h.obs.src);
    const dstLocal = topo.nodeOfIp(lastDst) === n.name || n.hops.some((h) => (h.role === 'pod' || h.role === 'veth') && h.iface.podIp() === lastDst);
    // all at one TTL on one node (bridged, or sent by the node itself): a pod's own interfaces
    // are outward only when that pod sent it
    const srcIsPod = n.hops.some((h) => (h.role === 'pod' || h.role === 'veth') && h.iface.podIp() === h.obs.src);
    for (const h of n.hops) {
      if (!single) h.outbound = k === 0;
      else if (srcLocal && !dstLocal) h.outbound = true;
      else if (dstLocal && !srcLocal) h.outbound = false;
      else if (n.maxTtl !== n.minTtl) h.outbound = h.obs.ttl === n.maxTtl;
      else h.outbound = srcIsPod && !((h.role === 'pod' || h.role === 'veth') && h.iface.podIp() !== h.obs.src);
    }
    insertionSort(n.hops, byTimeThenRank);
    for (const h of n.hops) ordered.push(h);
  }

  // 4. deltas and changes
  const t0 = ordered[0].t;
  for (let i = 0; i < ordered.length; i++) {
    const h = ordered[i];
    h.sinceFirstNs = h.t - t0;
    h.deltaNs = i ? h.t - ordered[i - 1].t : 0;
    if (i) changes(ordered[i - 1], h);
    // an ARP exchange delays the hop where the frame was built, not its copies further along the
    // same wire or bridge (the same MACs, on the same node or across the underlay)
    if (h.obs.arp && !(i && sameL2Frame(ordered[i - 1].obs, h.obs))) {
      const w = arpWait(h);
      if (w) h.addChange(w);
    }
  }
  const first = ordered[0];
  const last = ordered[ordered.length - 1];
  const verdict = judge(g, ordered, nodes, topo, opts);
  return {
    id: 0,
    hops: ordered,
    verdict,
    sender: nodes[0].name,
    receiver: nodes.length > 1 ? nodes[nodes.length - 1].name : undefined,
    durationNs: last.t - first.t,
  };
}

function sameL2Frame(a: Obs, b: Obs): boolean {
  if (b.enc !== ENC_NONE) return a.enc !== ENC_NONE && a.oMacSrc === b.oMacSrc && a.oMacDst === b.oMacDst;
  return a.enc === ENC_NONE && a.macSrc === b.macSrc && (a.macDst === b.macDst || a.macDst < 0 || b.macDst < 0) && a.ttl === b.ttl;
}

function rank(h: Hop): number {
  const r = ROLE_RANK[h.role];
  return h.outbound ? r : 10 - r;
}

function byTimeThenRank(a: Hop, b: Hop): number {
  return a.t - b.t || rank(a) - rank(b);
}

function byTravel(a: NodeGroup, b: NodeGroup): number {
  return b.maxTtl - a.maxTtl || a.owner - b.owner || a.minT - b.minT;
}

/**
 * Stable in-place sort for the few hops of a packet: Array.prototype.sort allocates a work
 * array on every call, which at one call per node per packet was a tenth of trace's garbage.
 */
function insertionSort<T>(a: T[], cmp: (x: T, y: T) => number): void {
  for (let i = 1; i < a.length; i++) {
    const x = a[i];
    let j = i - 1;
    while (j >= 0 && cmp(a[j], x) > 0) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

export function isGso(o: Obs): boolean {
  return o.proto === PROTO_TCP && o.ipLen > 1500;
}

/*
 * Changes are shared, read-only objects where they repeat packet after packet (routing, MAC
 * rewrites, encapsulation and decapsulation): the same object every time, so that its text is
 * made once (format.ts) and a busy trace makes no garbage for them.
 */
const DECAP_VXLAN: Change = { type: 'decap', tunnel: 'vxlan' };
const DECAP_UDP: Change = { type: 'decap', tunnel: 'udp' };
const ROUTED: Change[] = [];
const TTL_UP: Change[] = [];

function ttlChange(from: number, to: number): Change {
  const k = (from << 8) | to;
  if (to < from) return (ROUTED[k] ??= { type: 'routed', ttl_from: from, ttl_to: to });
  return (TTL_UP[k] ??= { type: 'ttl-increased', ttl_from: from, ttl_to: to });
}

/** The last MAC and encapsulation changes made at an interface, reused while they repeat. */
export interface IfaceChanges {
  mac?: Extract<Change, { type: 'mac' }>;
  encap?: Extract<Change, { type: 'encap' }>;
}

function macChange(h: Hop, src: number, dst: number): Change {
  const m = (h.iface.memo.changes ??= {});
  const c = m.mac;
  if (c && c.src === src && c.dst === dst) return c;
  return (m.mac = { type: 'mac', src, dst });
}

function encapChange(h: Hop, o: Obs): Change {
  const m = (h.iface.memo.changes ??= {});
  const tunnel = o.enc === ENC_VXLAN ? 'vxlan' : 'udp';
  const c = m.encap;
  if (c && c.tunnel === tunnel && c.vni === o.vni && c.src === o.oSrc && c.dst === o.oDst && c.sport === o.oSport && c.dport === o.oDport && c.ttl === o.oTtl)
    return c;
  return (m.encap = { type: 'encap', tunnel, vni: o.vni, src: o.oSrc, dst: o.oDst, sport: o.oSport, dport: o.oDport, ttl: o.oTtl });
}

function changes(p: Hop, h: Hop): void {
  const a = p.obs;
  const b = h.obs;
  if (b.enc !== ENC_NONE && a.enc === ENC_NONE) h.addChange(encapChange(h, b));
  else if (b.enc === ENC_NONE && a.enc !== ENC_NONE) h.addChange(a.enc === ENC_UDP ? DECAP_UDP : DECAP_VXLAN);
  if (b.ttl !== a.ttl) h.addChange(ttlChange(a.ttl, b.ttl));
  if ((a.macSrc >= 0 && b.macSrc >= 0 && a.macSrc !== b.macSrc) || (a.macDst >= 0 && b.macDst >= 0 && a.macDst !== b.macDst))
    h.addChange(macChange(h, b.macSrc, b.macDst));
  if (a.dst !== b.dst || a.dport !== b.dport)
    h.addChange({ type: 'nat', field: 'dst', from: endpointText(a.dst, a.dport), to: endpointText(b.dst, b.dport) });
  if (a.src !== b.src || a.sport !== b.sport)
    h.addChange({ type: 'nat', field: 'src', from: endpointText(a.src, a.sport), to: endpointText(b.src, b.sport) });
  if ((b.mf || b.frag > 0) && !(a.mf || a.frag > 0)) h.addChange({ type: 'fragmented', ip_len: b.ipLen, from_len: a.ipLen });
  const hc = h.count;
  const pc = p.count;
  if (hc > pc) h.addChange({ type: 'segmented', segments: hc });
  else if (hc < pc) h.addChange({ type: 'merged', from_segments: pc });
}

/** The hop was held back by an ARP exchange on its interface: the reply just before it was for it. */
function arpWait(h: Hop): Change | undefined {
  const r = h.obs.arp;
  if (!r) return undefined;
  const arps = h.iface.arps;
  // the request it answers
  for (let j = arps.length - 1; j >= 0; j--) {
    const a = arps[j];
    if (a.t > r.t) continue;
    if (r.t - a.t > 3e9) break;
    if (a.op === 1 && a.tpa === r.spa) {
      return { type: 'arp', target: ipText(r.spa), wait_ns: h.t - a.t, answered: true, request_frame: a.frame, reply_frame: r.frame };
    }
  }
  return undefined;
}

interface Place {
  node: string;
  role: Role;
  ifaces: readonly IfaceInfo[];
  /** The node was captured with `-i any`: this place was captured even if it never carried a frame. */
  anyNode: boolean;
}

function place(topo: Topology, node: string, role: Role, only?: (i: IfaceInfo) => boolean): Place {
  let ifaces = topo.roleIfaces(node, role);
  if (only) ifaces = ifaces.filter(only);
  const n = topo.nodeAny(node);
  const anyNode = !!n && !ifaces.length && (role === 'underlay' || role === 'bridge' || (role === 'vtep' && topo.hasVtep));
  return { node, role, ifaces, anyNode };
}

function placeText(p: Place): PathPlace[] {
  if (p.ifaces.length) return p.ifaces.map((i) => ({ node: p.node, iface: i.name, role: p.role }));
  return [{ node: p.node, iface: `(${p.role})`, role: p.role }];
}

function captured(p: Place): boolean {
  return p.ifaces.length > 0 || p.anyNode;
}

function covers(p: Place, topo: Topology, t: number, grace: number): boolean {
  if (p.ifaces.length) return p.ifaces.some((i) => i.covers(t, grace));
  if (!p.anyNode) return false;
  const n = topo.nodes.get(p.node)!;
  return n.anyFirstT === Infinity || (n.anyFirstT - grace <= t && t <= n.anyLastT + grace);
}

/** The path the packet should have taken, as places (node, role, captured interfaces). */
function expectedPath(g: Group, hops: Hop[], nodeOrder: readonly NodeGroup[], topo: Topology): { path: Place[]; dstKnown: boolean; receiver?: string } {
  const first = hops[0];
  const last = hops[hops.length - 1];
  const S = nodeOrder[0].name;
  const src = first.obs.src;
  // the destination after any DNAT: the last sighting's
  const dst = last.obs.dst;
  let R: string | undefined = nodeOrder.length > 1 ? nodeOrder[nodeOrder.length - 1].name : undefined;
  if (!R) {
    R = topo.nodeOfIp(dst);
    if (!R) {
      const enc = g.obs.find((o) => o.enc !== ENC_NONE);
      if (enc) R = topo.underlayNode(enc.oDst);
    }
    if (!R && (last.role === 'vtep' || last.role === 'underlay') && !topo.podIfaces(dst).length) {
      const others = topo.nodeNames().filter((n) => n !== S);
      if (others.length === 1 && hops.every((h) => h.iface.node === S)) R = others[0];
    }
  }
  const startRank = first.outbound ? ROLE_RANK[first.role] : 0;
  let cache = pathCaches.get(topo);
  if (!cache) pathCaches.set(topo, (cache = new PathCache()));
  let path: Place[] | undefined;
  const l = cache.last;
  // consecutive packets mostly share their path: no key string for them
  if (l && l.S === S && l.R === R && l.startRank === startRank && l.src === src && l.dst === dst && l.version === topo.version && l.podEpoch === topo.podEpoch)
    path = l.path;
  else {
    const key = `${S}|${R ?? ''}|${startRank}|${src}|${dst}|${topo.version}|${topo.podEpoch}`;
    path = cache.byKey.get(key);
    if (!path) {
      if (cache.byKey.size > 4096) cache.byKey.clear();
      path = buildPath(topo, S, R, startRank, src, dst);
      cache.byKey.set(key, path);
    }
    cache.last = { S, R, startRank, src, dst, version: topo.version, podEpoch: topo.podEpoch, path };
  }
  // a pod whose address was not learned: its interfaces are the ones the packet was seen on
  let copied = false;
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (p.ifaces.length || (p.role !== 'pod' && p.role !== 'veth')) continue;
    const inbound = p.node === R && i >= path.length - 2;
    const seen = hops.filter((h) => h.iface.node === p.node && h.role === p.role && h.outbound !== inbound).map((h) => h.iface);
    if (!seen.length) continue;
    if (!copied) {
      path = [...path];
      copied = true;
    }
    path[i] = { ...p, ifaces: seen };
  }
  return { path, dstKnown: R !== undefined, receiver: R };
}

/** Expected paths per topology, by (nodes, start, addresses, topology state). */
class PathCache {
  readonly byKey = new Map<string, Place[]>();
  last:
    | { S: string; R: string | undefined; startRank: number; src: number; dst: number; version: number; podEpoch: number; path: Place[] }
    | undefined = undefined;
}
const pathCaches = new WeakMap<Topology, PathCache>();

function buildPath(topo: Topology, S: string, R: string | undefined, startRank: number, src: number, dst: number): Place[] {
  const srcPod = (i: IfaceInfo): boolean => i.podIp() === src;
  const dstPod = (i: IfaceInfo): boolean => i.podIp() === dst;
  const path: Place[] = [];
  const vtepOn = (n: string): boolean => topo.roleIfaces(n, 'vtep').length > 0 || (!!topo.nodeAny(n) && topo.hasVtep);
  if (R === S) {
    for (const r of ['pod', 'veth', 'bridge'] as Role[]) if (ROLE_RANK[r] >= startRank) path.push(place(topo, S, r, r === 'bridge' ? undefined : srcPod));
    path.push(place(topo, S, 'veth', dstPod));
    path.push(place(topo, S, 'pod', dstPod));
    return path;
  }
  for (const r of OUT_ROLES) {
    if (ROLE_RANK[r] < startRank) continue;
    if (r === 'vtep' && !vtepOn(S)) continue;
    path.push(place(topo, S, r, r === 'pod' || r === 'veth' ? srcPod : undefined));
  }
  if (R) {
    for (const r of [...OUT_ROLES].reverse()) {
      if (r === 'vtep' && !vtepOn(R)) continue;
      path.push(place(topo, R, r, r === 'pod' || r === 'veth' ? dstPod : undefined));
    }
  }
  return path;
}

function judge(g: Group, hops: Hop[], nodeOrder: readonly NodeGroup[], topo: Topology, opts: TimelineOptions): Verdict {
  const dst = hops[hops.length - 1].obs.dst;
  if (isLinkScope(dst) || hops.every((h) => h.obs.ttl <= 1)) {
    const after = hops[hops.length - 1];
    return { status: 'delivered', reason: `link-local ${ipText(dst)} (not routed): seen on ${hops.length} interface${hops.length > 1 ? 's' : ''}`, skipped: [], after };
  }
  const { path, dstKnown, receiver } = expectedPath(g, hops, nodeOrder, topo);
  // the packets of a flow mostly take the same interfaces as the one before: the same verdict
  const index = pathIndex(path);
  const memo = index.delivered;
  if (memo && !topo.hasIcmpErrors && sameHops(memo, hops)) {
    const verdict: Verdict = { status: 'delivered', reason: '', skipped: NONE_SKIPPED };
    verdict.after = hops[memo.afterIdx];
    verdict.reason = memo.reason;
    return verdict;
  }
  const seen = seenPerPlace(hops, path);
  let lastIdx = -1;
  let lastHop: Hop | undefined;
  for (let i = 0; i < path.length; i++) {
    const h = seen[i];
    if (h) {
      lastIdx = i;
      lastHop = h;
    }
  }
  let skipped = NONE_SKIPPED;
  /** Whether what was skipped depends on the time (an interface that may or may not have been capturing). */
  let timeDependent = false;
  for (let i = 0; i < lastIdx; i++) {
    const p = path[i];
    if (!captured(p) || seen[i]) continue;
    if (p.ifaces.length) timeDependent = true;
    if (p.ifaces.length && p.ifaces.some((x) => x.covers(hops[0].t, opts.graceNs))) {
      if (skipped === NONE_SKIPPED) skipped = [];
      skipped.push(...placeText(p));
    }
  }
  const verdict: Verdict = { status: 'delivered', reason: '', skipped };
  const icmp = topo.hasIcmpErrors ? icmpAbout(g, topo) : NONE_ICMP;
  if (icmp.length) verdict.icmp = icmp;
  const after = lastHop ?? hops[hops.length - 1];
  verdict.after = after;
  let next = -1;
  for (let i = lastIdx + 1; i < path.length; i++) {
    if (captured(path[i])) {
      next = i;
      break;
    }
  }
  const at = placeName(after.iface);
  if (next < 0) {
    if (receiver && !topo.nodes.has(receiver)) {
      verdict.status = 'incomplete';
      verdict.reason = `last seen on ${at}; ${receiver} was not captured`;
    } else if (!dstKnown && after.role === 'underlay') {
      verdict.reason = `left ${after.iface.node} on ${after.iface.name} (destination ${ipText(after.obs.dst)} not on a captured node)`;
    } else if (!dstKnown && after.role === 'vtep') {
      verdict.status = 'incomplete';
      verdict.reason = `last seen on ${at}; its underlay was not captured`;
    } else {
      verdict.reason = reachedText(after.iface);
      if (!timeDependent && !icmp.length && !topo.hasIcmpErrors)
        index.delivered = { ifaces: hops.map((h) => h.iface), roles: hops.map((h) => h.role), afterIdx: hops.indexOf(after), reason: verdict.reason };
    }
    return verdict;
  }
  const p = path[next];
  const missing = placeText(p);
  verdict.missing = missing;
  if (!covers(p, topo, after.t, opts.graceNs)) {
    verdict.status = 'incomplete';
    verdict.reason = `last seen on ${at}; ${missing.map((m) => `${m.node} ${m.iface}`).join(', ')} was not capturing then`;
    return verdict;
  }
  verdict.status = 'lost';
  const arp = arpUnanswered(p, after, topo);
  if (arp.length) verdict.arpUnanswered = arp;
  const why: string[] = [];
  for (const e of icmp) {
    if (e.type === 3 && e.code === 4) why.push(`${e.node} answered ICMP fragmentation needed, next-hop MTU ${e.mtu} (from ${e.from})`);
    else if (e.type === 11) why.push(`${e.node} answered ICMP time exceeded (from ${e.from})`);
    else why.push(`${e.node} answered ICMP ${icmpTypeName(e.type, e.code)} (from ${e.from})`);
  }
  for (const a of arp) why.push(`ARP who-has ${a.target} on ${a.node} ${a.iface} unanswered (${a.requests} request${a.requests > 1 ? 's' : ''})`);
  verdict.reason =
    `seen up to ${at}, never on ${missing.map((m) => `${m.node} ${m.iface}`).join(' / ')} (captured)` + (why.length ? `: ${why.join('; ')}` : '');
  return verdict;
}

/** Which places of a path an interface is (a path is shared by the packets that take it). */
interface PathIndex {
  readonly byIface: Map<IfaceInfo, number[]>;
  /** Places of nodes captured with `-i any`, matched by role. */
  readonly any: number[];
  /**
   * The last packet on this path that was delivered, by hops that do not depend on the time:
   * its hops' interfaces and roles, which of them it was last seen at and the reason. The
   * path itself is per topology state (roles, pods), so this holds while the path does.
   */
  delivered?: { ifaces: IfaceInfo[]; roles: Role[]; afterIdx: number; reason: string };
}

function sameHops(m: NonNullable<PathIndex['delivered']>, hops: readonly Hop[]): boolean {
  if (m.ifaces.length !== hops.length) return false;
  for (let k = 0; k < hops.length; k++) if (hops[k].iface !== m.ifaces[k] || hops[k].role !== m.roles[k]) return false;
  return true;
}
const pathIndexes = new WeakMap<Place[], PathIndex>();

function pathIndex(path: Place[]): PathIndex {
  let x = pathIndexes.get(path);
  if (!x) {
    x = { byIface: new Map(), any: [] };
    for (let k = 0; k < path.length; k++) {
      const p = path[k];
      for (const i of p.ifaces) {
        let l = x.byIface.get(i);
        if (!l) x.byIface.set(i, (l = []));
        l.push(k);
      }
      if (p.anyNode) x.any.push(k);
    }
    pathIndexes.set(path, x);
  }
  return x;
}

/** For each place of the path, the last hop seen there (one pass over the hops, not one per place). */
const seenScratch: (Hop | undefined)[] = [];
function seenPerPlace(hops: readonly Hop[], path: Place[]): (Hop | undefined)[] {
  const x = pathIndex(path);
  const seen = seenScratch;
  seen.length = path.length;
  seen.fill(undefined);
  for (const h of hops) {
    const node = h.iface.node;
    const l = x.byIface.get(h.iface);
    if (l) for (const k of l) if (path[k].node === node) seen[k] = h;
    for (const k of x.any) if (path[k].node === node && path[k].role === h.role) seen[k] = h;
  }
  return seen;
}

/** Shared by every verdict that skipped nothing (never added to: a new array is made first). */
const NONE_SKIPPED: PathPlace[] = [];
const NONE_ICMP: NonNullable<Verdict['icmp']> = [];

/** `node iface` and `reached node iface`, made once per interface. */
function placeNameOf(i: IfaceInfo): { at: string; reached: string } {
  let n = i.memo.place;
  if (!n) {
    const at = `${i.node} ${i.name}`;
    i.memo.place = n = { at, reached: `reached ${at}` };
  }
  return n;
}
function placeName(i: IfaceInfo): string {
  return placeNameOf(i).at;
}
function reachedText(i: IfaceInfo): string {
  return placeNameOf(i).reached;
}

/** 224.0.0.0/4 multicast or the limited broadcast. */
export function isLinkScope(ip: number): boolean {
  return ip >>> 28 === 14 || ip === 0xffffffff;
}

function icmpAbout(g: Group, topo: Topology): NonNullable<Verdict['icmp']> {
  // one entry per error (sender, type, code), at the node where it was first seen: its origin
  const best = new Map<string, { e: IcmpError; t: number }>();
  for (const o of g.obs) {
    for (const e of topo.icmpErrorsFor(o)) {
      if (e.obs.t < g.firstT - 1e6 || e.obs.t > g.lastT + 2e9) continue;
      // the same error on several interfaces (its source may be rewritten on the way back)
      const k = `${e.obs.id}/${e.obs.icmpType}/${e.obs.icmpCode}`;
      const b = best.get(k);
      if (!b || e.obs.t < b.t) best.set(k, { e, t: e.obs.t });
    }
  }
  return [...best.values()].slice(0, 4).map(({ e }) => ({
    node: e.iface.node,
    iface: e.iface.name,
    from: ipText(e.obs.src),
    type: e.obs.icmpType,
    code: e.obs.icmpCode,
    ...(e.obs.icmpMtu >= 0 ? { mtu: e.obs.icmpMtu } : {}),
    frame: e.obs.frame,
  }));
}

/** Unanswered ARP requests on the place where the packet should have appeared next. */
function arpUnanswered(p: Place, after: Hop, topo: Topology): NonNullable<Verdict['arpUnanswered']> {
  const ifaces = p.ifaces.length ? p.ifaces : (topo.nodes.get(p.node)?.ifaces ?? []);
  const out: NonNullable<Verdict['arpUnanswered']> = [];
  for (const i of ifaces) {
    const byTarget = new Map<number, ArpObs[]>();
    const answered = new Set<number>();
    for (const a of i.arps) {
      if (a.t < after.t - 1e6 || a.t > after.t + 5e9) continue;
      if (a.op === 1) {
        let l = byTarget.get(a.tpa);
        if (!l) byTarget.set(a.tpa, (l = []));
        l.push(a);
      } else if (a.op === 2) answered.add(a.spa);
    }
    for (const [target, reqs] of byTarget) {
      if (answered.has(target)) continue;
      out.push({ node: i.node, iface: i.name, target: ipText(target), requests: reqs.length, frames: reqs.map((r) => r.frame) });
    }
  }
  return out;
}

/** `ICMP echo request 10.10.1.5 > 10.10.2.6 id 2717 seq 1 (84 B)` */
export function packetSummary(o: Obs): string {
  const len = `(${o.ipLen} B)`;
  if (o.frag > 0) return `IPv4 fragment ${ipText(o.src)} > ${ipText(o.dst)} proto ${o.proto} id ${o.id} offset ${o.frag}${o.mf ? ' MF' : ''} ${len}`;
  switch (o.proto) {
    case PROTO_ICMP:
      return `ICMP ${icmpName(o)} ${ipText(o.src)} > ${ipText(o.dst)}${o.icmpId >= 0 ? ` id ${o.icmpId} seq ${o.icmpSeq}` : ''}${o.icmpMtu >= 0 ? ` mtu ${o.icmpMtu}` : ''} ${len}`;
    case PROTO_TCP: {
      const data = o.l4len > 0 ? ` seq ${o.seq}:${(o.seq + o.l4len) >>> 0}` : o.flags & 0x02 ? ` seq ${o.seq}` : '';
      const ack = o.flags & 0x10 ? ` ack ${o.ack}` : '';
      return `TCP ${endpointText(o.src, o.sport)} > ${endpointText(o.dst, o.dport)} [${tcpFlags(o.flags)}]${data}${ack} len ${Math.max(0, o.l4len)} ${len}`;
    }
    case PROTO_UDP:
      return `UDP ${endpointText(o.src, o.sport)} > ${endpointText(o.dst, o.dport)} len ${Math.max(0, o.l4len)} ${len}`;
    default:
      return `IPv4 ${ipText(o.src)} > ${ipText(o.dst)} proto ${o.proto} ${len}`;
  }
}

export function tcpFlags(f: number): string {
  let s = '';
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x20) s += 'U';
  if (f & 0x40) s += 'E';
  if (f & 0x80) s += 'W';
  if (f & 0x10) s += '.';
  return s || 'none';
}

export function icmpName(o: Obs): string {
  return icmpTypeName(o.icmpType, o.icmpCode);
}

const UNREACH = ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable', 'fragmentation needed'];

export function icmpTypeName(type: number, code: number): string {
  const o = { icmpType: type, icmpCode: code };
  switch (o.icmpType) {
    case 0:
      return 'echo reply';
    case 8:
      return 'echo request';
    case 3:
      return UNREACH[o.icmpCode] ?? `unreachable code ${o.icmpCode}`;
    case 11:
      return 'time exceeded';
    default:
      return `type ${o.icmpType} code ${o.icmpCode}`;
  }
}
