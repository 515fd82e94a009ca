// Helpers for the lab tests: run scripts/lab/run.sh into a fresh temporary folder, read
// topology.json, and read captures with tshark (one tshark run per file, cached) so that many
// assertions can share one lab run.  Every scenario exposes `lab.dir` (the capture folder) and
// `lab.topo` (its topology.json); vxdecode.test.ts checks vxdecode's reading against them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RUN_SH = path.join(ROOT, 'scripts/lab/run.sh');
export const CAPTURES = path.join(ROOT, 'captures');

// ------------------------------------------------------------------------------------ topology

export type Role = 'pod' | 'veth' | 'bridge' | 'vtep' | 'underlay';

export interface Hop {
  node: string;
  iface: string;
  role: Role;
  file: string;
  ttl: number;
  src: string;
  dst: string;
  dport?: number | null;
  sport?: number | null;
  encap?: { type: 'vxlan'; vni: number; outer_src: string; outer_dst: string; outer_dport: number; outer_ttl: number };
}

export interface CaptureInfo {
  file: string;
  node: string;
  iface: string | null;
  role: Role | null;
  pod: string | null;
  style: 'per-iface' | 'pcapng' | 'any';
  format: 'pcap' | 'pcapng';
  link_type: 'EN10MB' | 'LINUX_SLL2';
  ts_precision: 'nano' | 'micro';
  links: string | null;
  clock_shifted: boolean;
  packets: number | null;
  kernel_drops: number;
  interfaces: { iface: string; role: string; ifindex?: number | null }[];
}

export interface Topology {
  schema: string;
  run_id: string;
  mode: 'vxlan' | 'host-gw';
  vxlan: { iface: string; vni: number; port: number; mtu: number; learning: boolean } | null;
  vni: number | null;
  port: number | null;
  fault: string;
  fault_detail: string;
  clock_shift: { node: string; seconds: string; ns: number; applied_with: string; unshifted: string | null } | null;
  br_netfilter: boolean;
  capture: { style: string; ts: string; ts_type: string; snaplen: number };
  nodes: {
    name: string;
    netns: string;
    underlay: { iface: string; ip: string; prefix: number; mac: string; mtu: number };
    vtep: { iface: string; ip: string; mac: string; mtu: number; vni: number; port: number } | null;
    bridge: { iface: string; ip: string; mac: string; mtu: number };
    pod_subnet: string;
    links: string;
    state: string;
  }[];
  pods: {
    name: string; node: string; ip: string; mac: string; iface: string; mtu: number; gateway: string;
    host_veth: string; host_veth_mac: string; deleted: boolean;
  }[];
  service: {
    name: string; cluster_ip: string; port: number; proto: string;
    endpoint: { pod: string; node: string; ip: string; port: number };
    endpoint_exists: boolean; chains: string[];
  };
  captures: CaptureInfo[];
  traffic: { kind: string; flows: Record<string, unknown>[] };
  probe: {
    proto: 'icmp' | 'tcp' | 'udp'; what: string; src: string; dst: string; dport?: number;
    dst_after_nat?: string; dport_after_nat?: number; ip_len?: number; count?: number; df?: boolean;
    from_pod: string; to_pod: string;
  } | null;
  expected: {
    delivered: boolean;
    stops_after: { node: string; iface: string } | null;
    summary: string;
    hops: Hop[];
    absent: { node: string; iface: string; role: Role }[];
    reply_hops: Hop[];
    arp_unanswered: { node: string; iface: string; target: string; answered: boolean }[];
    icmp_errors: {
      from: string; to: string; type: number; code: number; mtu?: number; count: number;
      seen_on: { node: string; iface: string; src: string }[];
    }[];
  };
}

// ------------------------------------------------------------------------------------ preflight

let preflight: string | null | undefined;

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

function checkLab(): string | null {
  if (process.platform !== 'linux') return 'the lab needs Linux network namespaces';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'the lab tests must run as root: they create network namespaces, veth pairs, bridges, ' +
      'VXLAN devices and iptables rules (inside namespaces only). Run: sudo npx vitest run --config vitest.lab.config.ts';
  }
  const missing = ['ip', 'bridge', 'iptables-restore', 'tcpdump', 'tshark', 'dumpcap', 'editcap', 'capinfos',
    'ping', 'nc', 'iperf3', 'ss', 'timeout'].filter((t) => !which(t));
  if (missing.length) {
    return `the lab needs these tools: ${missing.join(', ')} (Debian: iproute2 iptables tcpdump tshark ` +
      'wireshark-common iputils-ping netcat-openbsd iperf3 coreutils)';
  }
  const ns = `vxl-preflight-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    return `'ip netns add' does not work here (${(r.error?.message ?? r.stderr ?? '').trim()}); ` +
      'the lab needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN';
  }
  spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
  return null;
}

/** Throws a clear error when the lab cannot run here (not root, no netns, missing tools). */
export function labPreflight(): void {
  if (preflight === undefined) preflight = checkLab();
  if (preflight) throw new Error(`lab unavailable: ${preflight}`);
}

// ------------------------------------------------------------------------------------ running

export interface LabRun {
  dir: string;
  topo: Topology;
  stdout: string;
  args: string[];
}

export function runLab(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): LabRun {
  labPreflight();
  const dir = mkdtempSync(path.join(tmpdir(), 'vxdecode-lab-'));
  const r = spawnSync('bash', [RUN_SH, '--out', dir, ...args], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, ...opts.env },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`lab run failed (${r.status ?? r.signal}): run.sh ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  }
  const topo = JSON.parse(readFileSync(path.join(dir, 'topology.json'), 'utf8')) as Topology;
  return { dir, topo, stdout: r.stdout, args };
}

export function removeLabDir(dir: string | undefined): void {
  if (!dir || process.env.VXDECODE_LAB_KEEP) return;
  if (dir.startsWith(path.join(tmpdir(), 'vxdecode-lab-'))) rmSync(dir, { recursive: true, force: true });
}

/**
 * Build the lab once for a describe block.  Returns an object filled in by beforeAll, so that
 * every test (and later vxdecode checks) in the block reads the same captures.
 */
export function useLab(args: string[]): Lab {
  const lab = new Lab();
  beforeAll(() => {
    lab.attach(runLab(args));
  }, 180_000);
  afterAll(() => removeLabDir(lab.run?.dir));
  return lab;
}

/** Namespaces of a run that still exist (should always be none after run.sh returns). */
export function leftoverNamespaces(runId: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`vxl-${runId}-`));
}

// ------------------------------------------------------------------------------------ frames

export interface Frame {
  n: number;
  ts: bigint; // nanoseconds since the epoch, exact
  len: number;
  ifname: string; // pcapng interface name ('' otherwise)
  ifindex: number | null; // SLL2 interface index
  f: Record<string, string[]>; // every occurrence of each field, outer first
}

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.len', 'frame.interface_name', 'sll.ifindex',
  'eth.src', 'eth.dst', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip.src', 'ip.dst', 'ip.ttl', 'ip.len', 'ip.flags.df', 'ip.proto', 'ip.id',
  'udp.srcport', 'udp.dstport', 'udp.length', 'vxlan.vni',
  'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmp.mtu',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw', 'tcp.len',
] as const;

const frameCache = new Map<string, Frame[]>();

export function parseTs(text: string): bigint {
  const [s, frac = ''] = text.split('.');
  return BigInt(s) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

/** All frames of a capture file, decoded by tshark (VXLAN also on the given UDP ports). */
export function readFrames(file: string, vxlanPorts: number[] = [8472]): Frame[] {
  const key = `${file}|${vxlanPorts.join(',')}`;
  const hit = frameCache.get(key);
  if (hit) return hit;
  const args = ['-r', file, '-n'];
  for (const p of vxlanPorts) args.push('-d', `udp.port==${p},vxlan`);
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,');
  for (const f of FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const frames: Frame[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const f: Record<string, string[]> = {};
    FIELDS.forEach((name, i) => {
      const v = cols[i] ?? '';
      f[name] = v === '' ? [] : v.split(',');
    });
    frames.push({
      n: Number(f['frame.number'][0]),
      ts: parseTs(f['frame.time_epoch'][0]),
      len: Number(f['frame.len'][0]),
      ifname: f['frame.interface_name'][0] ?? '',
      ifindex: f['sll.ifindex'][0] ? Number(f['sll.ifindex'][0]) : null,
      f,
    });
  }
  frameCache.set(key, frames);
  return frames;
}

export const isVxlan = (fr: Frame) => fr.f['vxlan.vni'].length > 0;
/** Index of the packet's own IP header: the inner one when VXLAN-encapsulated. */
const l3 = (fr: Frame) => (isVxlan(fr) ? 1 : 0);
export const ip = (fr: Frame, field: 'src' | 'dst' | 'ttl' | 'len' | 'id' | 'flags.df' | 'proto') =>
  fr.f[`ip.${field}`][l3(fr)];
export const outerIp = (fr: Frame, field: 'src' | 'dst' | 'ttl') => (isVxlan(fr) ? fr.f[`ip.${field}`][0] : undefined);
export const lastOf = (fr: Frame, field: string) => fr.f[field][fr.f[field].length - 1];
export const isEchoRequest = (fr: Frame) => fr.f['icmp.type'][0] === '8';
export const isEchoReply = (fr: Frame) => fr.f['icmp.type'][0] === '0';
export const tcpFlags = (fr: Frame) => (fr.f['tcp.flags'][0] ? parseInt(fr.f['tcp.flags'][0], 16) : 0);
/** TCP segments themselves, not the TCP header quoted inside an ICMP error */
export const isTcp = (fr: Frame) => fr.f['tcp.flags'].length > 0 && fr.f['icmp.type'].length === 0;
export const isSyn = (fr: Frame) => isTcp(fr) && (tcpFlags(fr) & 0x12) === 0x02;
export const isSynAck = (fr: Frame) => isTcp(fr) && (tcpFlags(fr) & 0x12) === 0x12;
export const isArpRequest = (fr: Frame, target: string) =>
  fr.f['arp.opcode'][0] === '1' && fr.f['arp.dst.proto_ipv4'][0] === target;
export const isArpReplyFrom = (fr: Frame, ipAddr: string) =>
  fr.f['arp.opcode'][0] === '2' && fr.f['arp.src.proto_ipv4'][0] === ipAddr;

// ------------------------------------------------------------------------------------ the lab

export class Lab {
  run?: LabRun;

  attach(run: LabRun): void {
    this.run = run;
  }

  get dir(): string {
    if (!this.run) throw new Error('lab not built (beforeAll failed)');
    return this.run.dir;
  }

  get topo(): Topology {
    if (!this.run) throw new Error('lab not built (beforeAll failed)');
    return this.run.topo;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  vxlanPorts(): number[] {
    return [...new Set([8472, this.topo.port ?? 8472])];
  }

  /** The capture that holds (node, iface), or undefined when nobody captured there. */
  captureOf(node: string, iface: string): CaptureInfo | undefined {
    return this.topo.captures.find((c) => c.node === node && c.interfaces.some((i) => i.iface === iface));
  }

  /** Frames captured on one interface of one node, whatever the capture style. */
  framesOn(node: string, iface: string): Frame[] {
    const cap = this.captureOf(node, iface);
    if (!cap) throw new Error(`no capture covers ${node} ${iface}`);
    const frames = readFrames(this.file(cap.file), this.vxlanPorts());
    if (cap.format === 'pcapng') return frames.filter((fr) => fr.ifname === iface);
    if (cap.link_type === 'LINUX_SLL2') {
      const idx = cap.interfaces.find((i) => i.iface === iface)?.ifindex;
      return frames.filter((fr) => fr.ifindex === idx);
    }
    return frames;
  }

  /** Timestamp on the reference clock: undo the known clock shift of node2's captures. */
  trueTs(node: string, iface: string, fr: Frame): bigint {
    const cap = this.captureOf(node, iface);
    const shift = this.topo.clock_shift;
    if (cap?.clock_shifted && shift) return fr.ts - BigInt(shift.ns);
    return fr.ts;
  }

  /** Does the frame look like the probe (protocol, source, kind), ignoring the destination? */
  looksLikeProbe(fr: Frame): boolean {
    const p = this.topo.probe;
    if (!p || ip(fr, 'src') !== p.src) return false;
    switch (p.proto) {
      case 'icmp': return isEchoRequest(fr) && (p.ip_len === undefined || Number(ip(fr, 'len')) === p.ip_len);
      case 'tcp': return isSyn(fr);
      case 'udp': return lastOf(fr, 'udp.dstport') === String(p.dport) && fr.f['icmp.type'].length === 0;
    }
  }

  /** The probe as it must look at this hop (destination after NAT where applicable). */
  matchesHop(fr: Frame, hop: Hop): boolean {
    if (!this.looksLikeProbe(fr) || ip(fr, 'dst') !== hop.dst) return false;
    const p = this.topo.probe!;
    if (p.proto === 'tcp') return fr.f['tcp.dstport'][0] === String(hop.dport);
    return true;
  }

  /** Identity of one probe packet, stable across hops (what NAT and routing leave alone). */
  probeKey(fr: Frame): string {
    switch (this.topo.probe!.proto) {
      case 'icmp': return `${fr.f['icmp.ident'][0]}/${fr.f['icmp.seq'][0]}`;
      case 'tcp': return `${fr.f['tcp.srcport'][0]}/${fr.f['tcp.seq_raw'][0]}`;
      case 'udp': return `${lastOf(fr, 'udp.srcport')}/${ip(fr, 'id')}`;
    }
  }

  /** Frames of the probe at one expected hop. */
  probeAt(hop: Hop): Frame[] {
    return this.framesOn(hop.node, hop.iface).filter((fr) => this.matchesHop(fr, hop));
  }
}

export function hopLabel(h: { node: string; iface: string }): string {
  return `${h.node} ${h.iface}`;
}

/** Pcap magic of a classic pcap file: 'micro' or 'nano' (either byte order). */
export function pcapPrecision(file: string): 'micro' | 'nano' | 'other' {
  const b = readFileSync(file).subarray(0, 4);
  const le = b.readUInt32LE(0);
  if (le === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b2c3d4) return 'micro';
  if (le === 0xa1b23c4d || b.readUInt32BE(0) === 0xa1b23c4d) return 'nano';
  return 'other';
}

/** Link type from a classic pcap header. */
export function pcapLinkType(file: string): number {
  const b = readFileSync(file).subarray(0, 24);
  const magicLe = b.readUInt32LE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  return le ? b.readUInt32LE(20) : b.readUInt32BE(20);
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
