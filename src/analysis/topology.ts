/**
 * What the captures teach about the cluster, learned as frames stream by: each interface's role
 * and activity, which pod address lives behind which pod/veth interface, which node owns which
 * underlay address and pod subnet, the VTEP MACs, recent ARP exchanges and ICMP errors. The
 * timeline builder asks it where a packet should have gone next.
 */
import type { Source } from '../capture/frame.js';
import { LinkType } from '../capture/frame.js';
import { isGroupMac } from './addr.js';
import { ENC_NONE, ENC_VXLAN, type ArpObs, type Obs } from './extract.js';
import { ROLE_RANK, roleFromName, type Role, type RoleOverrides } from './roles.js';
import type { HopPrefix, PartsMemo, SummaryMemo } from './format.js';
import type { IfaceChanges } from './timeline.js';

/**
 * What the timeline builder and the text writer remember per interface (timeline.ts,
 * format.ts): kept on the interface, so that a hop reaches them through a field, not a
 * WeakMap lookup (several per hop, millions per trace run).
 */
export class IfaceMemo {
  /** Escaped node and interface names. */
  names: { node: string; iface: string } | undefined = undefined;
  /** A hop line's start (names and role, padded) as bytes. */
  prefix: HopPrefix | undefined = undefined;
  /** A hop line's end, by slot (first hop, outbound, inbound). */
  parts: PartsMemo[] | undefined = undefined;
  /** The last packet summary written for a trace starting here. */
  summary: SummaryMemo | undefined = undefined;
  /** The last MAC and encapsulation changes made here (reused while they repeat). */
  changes: IfaceChanges | undefined = undefined;
  /** `node iface` and `reached node iface`. */
  place: { at: string; reached: string } | undefined = undefined;
}

/** ARP history kept per interface (ns). */
const ARP_KEEP_NS = 10e9;
const ARP_KEEP_MAX = 512;
/** Frames per interface used to learn which pod address is behind it. */
const LEARN_FRAMES = 2000;

const NONE: readonly IfaceInfo[] = [];
const NONE_ICMP: readonly IcmpError[] = [];

export class IfaceInfo {
  frames = 0;
  ipv4 = 0;
  /** Corrected times of the first and last frame. */
  firstT = Infinity;
  lastT = -Infinity;
  encFrames = 0;
  vtepMacFrames = 0;
  readonly srcMacs = new Set<number>();
  /** Address → frames carrying it (either side), for pod/veth interfaces. */
  private readonly ipCounts = new Map<number, number>();
  private learned = 0;
  private podIpCache: number | undefined;
  private podIpAt = -1;
  readonly arps: ArpObs[] = [];
  /** ARP replies not yet followed by a packet to the resolved address. */
  private readonly pending: ArpObs[] = [];
  private cachedRole: Role | undefined;
  /** The last MAC pair looked up in the topology's VTEP MACs (which only grow: their count is their version), and the answer. */
  private seenMacSrc = -2;
  private seenMacDst = -2;
  private seenVtepMacs = -1;
  private seenVtepMac = false;
  /** The last source MAC added to srcMacs. */
  private lastSrcMac = -2;
  private roleAt = -1;
  /** Captured with `-i any` (SLL/SLL2): the node's every interface is in the capture. */
  readonly any: boolean;
  readonly memo = new IfaceMemo();

  constructor(
    readonly source: Source,
    readonly topo: Topology,
    readonly nameRole: Role | undefined,
    readonly override: Role | undefined,
  ) {
    this.any = source.linkType === LinkType.LINUX_SLL2 || source.linkType === LinkType.LINUX_SLL;
  }

  get node(): string {
    return this.source.node;
  }
  get name(): string {
    return this.source.iface;
  }

  /** The interface's role: override, name, else what it carried. */
  role(): Role {
    if (this.override) return this.override;
    if (this.nameRole) return this.nameRole;
    if (this.cachedRole && (this.roleAt >= 1000 || this.roleAt === this.frames)) return this.cachedRole;
    this.roleAt = this.frames;
    const r = this.contentRole();
    if (r !== this.cachedRole) this.topo.version++;
    this.cachedRole = r;
    return r;
  }

  private contentRole(): Role {
    if (this.encFrames > 0) return 'underlay';
    if (this.ipv4 > 0 && this.vtepMacFrames * 2 >= this.ipv4) return 'vtep';
    if (this.srcMacs.size >= 3) return 'bridge';
    if (this.ipv4 > 0) return 'veth';
    return 'other';
  }

  observe(o: Obs): void {
    if (this.pending.length) this.usePending(o);
    this.frames++;
    this.ipv4++;
    if (o.t < this.firstT) this.firstT = o.t;
    if (o.t > this.lastT) this.lastT = o.t;
    if (o.enc !== ENC_NONE) this.encFrames++;
    else {
      // the same MAC pair comes frame after frame: look it up again only when it or the set changed
      const vm = this.topo.vtepMacs;
      if (o.macSrc !== this.seenMacSrc || o.macDst !== this.seenMacDst || vm.size !== this.seenVtepMacs) {
        this.seenMacSrc = o.macSrc;
        this.seenMacDst = o.macDst;
        this.seenVtepMacs = vm.size;
        this.seenVtepMac = vm.has(o.macSrc) || vm.has(o.macDst);
      }
      if (this.seenVtepMac) this.vtepMacFrames++;
    }
    if (o.macSrc >= 0 && o.macSrc !== this.lastSrcMac && !isGroupMac(o.macSrc) && this.srcMacs.size < 16) {
      this.srcMacs.add(o.macSrc);
      this.lastSrcMac = o.macSrc;
    }
    // the pod behind a pod/veth interface is the one that sends from it: sources of packets
    // with an initial TTL (not yet routed), to unicast destinations
    if (this.learned < LEARN_FRAMES && o.enc === ENC_NONE && (o.ttl === 64 || o.ttl === 128 || o.ttl === 255) && o.dst >>> 28 !== 14) {
      const r = this.override ?? this.nameRole;
      if (r === undefined || r === 'pod' || r === 'veth') {
        this.learned++;
        this.topo.podsDirty = true;
        this.ipCounts.set(o.src, (this.ipCounts.get(o.src) ?? 0) + 1);
      }
    }
  }

  /** The first packet after an ARP reply that goes to the address it resolved is the one that waited. */
  private usePending(o: Obs): void {
    const p = this.pending;
    const enc = o.enc !== ENC_NONE;
    const mac = enc ? o.oMacDst : o.macDst;
    const ip = enc ? o.oDst : o.dst;
    for (let k = p.length - 1; k >= 0; k--) {
      const r = p[k];
      if (o.t - r.t > 1e9) {
        p.splice(k, 1);
        continue;
      }
      if (o.t < r.t) continue;
      if (mac >= 0 ? mac === r.sha : ip === r.spa) {
        r.usedBy = o.frame;
        o.arp = r;
        p.splice(k, 1);
      }
    }
  }

  observeOther(t: number): void {
    this.frames++;
    if (t < this.firstT) this.firstT = t;
    if (t > this.lastT) this.lastT = t;
  }

  observeArp(a: ArpObs): void {
    this.observeOther(a.t);
    const list = this.arps;
    list.push(a);
    if (list.length > ARP_KEEP_MAX || a.t - list[0].t > ARP_KEEP_NS) {
      let k = 0;
      while (k < list.length - 1 && (list.length - k > ARP_KEEP_MAX || a.t - list[k].t > ARP_KEEP_NS)) k++;
      list.splice(0, k);
    }
    if (a.op === 2 && !a.encap) {
      this.pending.push(a);
      if (this.pending.length > 16) this.pending.shift();
    }
  }

  /** The pod address behind a pod or veth interface: the source of most not-yet-routed packets. */
  podIp(): number | undefined {
    if (this.podIpAt === this.learned) return this.podIpCache;
    this.podIpAt = this.learned;
    let best = -1;
    let bestN = 0;
    let second = 0;
    for (const [ip, n] of this.ipCounts) {
      if (n > bestN) {
        second = bestN;
        bestN = n;
        best = ip;
      } else if (n > second) second = n;
    }
    this.podIpCache = bestN > 0 && bestN > second ? best : undefined;
    return this.podIpCache;
  }

  /** Was the interface capturing at corrected time t (give or take `grace`)? */
  covers(t: number, grace: number): boolean {
    if (this.frames === 0) return true;
    return this.firstT - grace <= t && t <= this.lastT + grace;
  }
}

export class NodeInfo {
  readonly ifaces: IfaceInfo[] = [];
  /** Some interface of this node was captured with `-i any`. */
  any = false;
  anyFirstT = Infinity;
  anyLastT = -Infinity;
  constructor(readonly name: string) {}

  byRole(role: Role): IfaceInfo[] {
    return this.ifaces.filter((i) => i.role() === role);
  }
}

export interface IcmpError {
  readonly obs: Obs;
  readonly iface: IfaceInfo;
}

export class Topology {
  readonly ifaces: (IfaceInfo | undefined)[] = [];
  readonly nodes = new Map<string, NodeInfo>();
  /** Inner MACs of VXLAN frames: the VTEPs. */
  readonly vtepMacs = new Set<number>();
  /** The MACs last added to vtepMacs (added again only when they change). */
  private lastVtepSrc = -2;
  private lastVtepDst = -2;
  /** Votes: address → node → count, for underlay addresses (outer src/dst of tunnels). */
  private readonly underlayVotes = new Map<number, Map<string, number>>();
  /** Recent ICMP errors by the quoted packet (src, id, proto). */
  private readonly icmpErrors = new Map<string, IcmpError[]>();
  private icmpCount = 0;
  hasVtep = false;
  /** Bumped when an interface appears or a learned role changes (invalidates role lookups). */
  version = 0;
  /** Some pod/veth interface learned more (invalidates the pod index). */
  podsDirty = true;
  /** Bumped each time the pod index is rebuilt. */
  podEpoch = 0;
  private roleCache = new Map<string, IfaceInfo[]>();
  private roleCacheVersion = -1;
  private podIndex = new Map<number, IfaceInfo[]>();
  private subnetIndex = new Map<number, string>();

  constructor(private readonly overrides?: RoleOverrides) {}

  iface(s: Source): IfaceInfo {
    let i = this.ifaces[s.id];
    if (!i) {
      i = new IfaceInfo(s, this, roleFromName(s.iface), this.overrides?.get(s.node, s.iface));
      this.ifaces[s.id] = i;
      this.version++;
      this.podsDirty = true;
      let n = this.nodes.get(s.node);
      if (!n) this.nodes.set(s.node, (n = new NodeInfo(s.node)));
      n.ifaces.push(i);
      if (i.any) n.any = true;
    }
    return i;
  }

  /** Make every known source an interface (so an empty capture still counts as captured). */
  registerSources(sources: readonly Source[]): void {
    for (const s of sources) {
      // An `-i any` capture stands for the whole node; its interfaces appear with their frames.
      if (s.linkType === LinkType.LINUX_SLL2 || s.linkType === LinkType.LINUX_SLL) {
        let n = this.nodes.get(s.node);
        if (!n) this.nodes.set(s.node, (n = new NodeInfo(s.node)));
        n.any = true;
        continue;
      }
      this.iface(s);
    }
  }

  observe(o: Obs, i: IfaceInfo): void {
    if (o.enc === ENC_VXLAN) {
      if (o.macSrc >= 0 && o.macSrc !== this.lastVtepSrc) {
        this.vtepMacs.add(o.macSrc);
        this.lastVtepSrc = o.macSrc;
      }
      if (o.macDst >= 0 && o.macDst !== this.lastVtepDst && !isGroupMac(o.macDst)) {
        this.vtepMacs.add(o.macDst);
        this.lastVtepDst = o.macDst;
      }
      this.hasVtep = true;
      // `-i any` tells the direction: outgoing means the outer source is this node's address
      if (o.pktType === 4) this.voteUnderlay(o.oSrc, i.node, 1);
      else if (o.pktType === 0) this.voteUnderlay(o.oDst, i.node, 1);
    }
    if (i.role() === 'vtep') this.hasVtep = true;
    i.observe(o);
    this.noteAny(i, o.t);
    if (o.qSrc >= 0 && o.icmpType !== 0 && o.icmpType !== 8) {
      const k = `${o.qSrc}/${o.qId}/${o.qProto}`;
      let l = this.icmpErrors.get(k);
      if (!l) this.icmpErrors.set(k, (l = []));
      if (l.length < 8) l.push({ obs: o.keep(), iface: i });
      if (++this.icmpCount > 100000) {
        this.icmpErrors.clear();
        this.icmpCount = 0;
      }
    }
  }

  observeArp(a: ArpObs, i: IfaceInfo): void {
    i.observeArp(a);
    this.noteAny(i, a.t);
  }

  private noteAny(i: IfaceInfo, t: number): void {
    if (!i.any) return;
    const n = this.nodes.get(i.node)!;
    if (t < n.anyFirstT) n.anyFirstT = t;
    if (t > n.anyLastT) n.anyLastT = t;
  }

  voteUnderlay(ip: number, node: string, n: number): void {
    let m = this.underlayVotes.get(ip);
    if (!m) this.underlayVotes.set(ip, (m = new Map()));
    m.set(node, (m.get(node) ?? 0) + n);
  }

  /** The node that owns an underlay address, by the votes so far. */
  underlayNode(ip: number): string | undefined {
    const m = this.underlayVotes.get(ip);
    if (!m) return undefined;
    let best: string | undefined;
    let bestN = 0;
    for (const [node, n] of m) if (n > bestN) [best, bestN] = [node, n];
    return best;
  }

  private indexPods(): void {
    if (!this.podsDirty) return;
    this.podsDirty = false;
    this.podEpoch++;
    this.podIndex.clear();
    this.subnetIndex.clear();
    for (const i of this.ifaces) {
      if (!i) continue;
      const r = i.role();
      if (r !== 'pod' && r !== 'veth') continue;
      const ip = i.podIp();
      if (ip === undefined) continue;
      const l = this.podIndex.get(ip);
      if (l) l.push(i);
      else this.podIndex.set(ip, [i]);
      if (!this.subnetIndex.has(ip >>> 8)) this.subnetIndex.set(ip >>> 8, i.node);
    }
  }

  /** Node and interfaces of a pod address (from pod/veth interfaces that carry it). */
  podIfaces(ip: number): readonly IfaceInfo[] {
    this.indexPods();
    return this.podIndex.get(ip) ?? NONE;
  }

  /** The node a pod address lives on: its pod/veth interface, else a node whose pods share its /24. */
  nodeOfIp(ip: number): string | undefined {
    this.indexPods();
    const p = this.podIndex.get(ip);
    if (p) return p[0].node;
    return this.subnetIndex.get(ip >>> 8) ?? this.underlayNode(ip);
  }

  /** Some ICMP error was seen (most captures have none: nothing to look up per packet). */
  get hasIcmpErrors(): boolean {
    return this.icmpErrors.size > 0;
  }

  icmpErrorsFor(o: Obs): readonly IcmpError[] {
    if (!this.icmpErrors.size) return NONE_ICMP;
    return this.icmpErrors.get(`${o.src}/${o.id}/${o.proto}`) ?? NONE_ICMP;
  }

  /** Nodes in the order they were first seen. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Interfaces of a node with a role. */
  roleIfaces(node: string, role: Role): readonly IfaceInfo[] {
    if (this.roleCacheVersion !== this.version) {
      this.roleCache.clear();
      this.roleCacheVersion = this.version;
    }
    const k = `${node}\u0000${role}`;
    let l = this.roleCache.get(k);
    if (!l) {
      const before = this.version;
      l = this.nodes.get(node)?.byRole(role) ?? [];
      // byRole may have settled a learned role: then everything cached before is stale
      if (this.version !== before) this.roleCache.clear();
      this.roleCacheVersion = this.version;
      this.roleCache.set(k, l);
    }
    return l;
  }

  /** Does the node's capture include every interface (`-i any`)? */
  nodeAny(node: string): NodeInfo | undefined {
    const n = this.nodes.get(node);
    return n?.any ? n : undefined;
  }
}

export { ROLE_RANK };
