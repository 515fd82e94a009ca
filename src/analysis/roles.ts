/**
 * The role of each captured interface on the overlay path: pod (the pod's own eth0), veth (the
 * host side of a pod's veth pair), bridge (cni0), vtep (flannel.1), underlay (the node's eth0).
 * From an override, else from the name, else from what the interface carried.
 */
import { UsageError } from '../capture/input.js';

export type Role = 'pod' | 'veth' | 'bridge' | 'vtep' | 'underlay' | 'other';

export const ROLES: readonly Role[] = ['pod', 'veth', 'bridge', 'vtep', 'underlay', 'other'];

/** Position along the outbound path (pod → underlay); 'other' sorts with the bridge. */
export const ROLE_RANK: Record<Role, number> = { pod: 0, veth: 1, bridge: 2, other: 2, vtep: 3, underlay: 4 };

/** The role a name implies, if any. */
export function roleFromName(name: string): Role | undefined {
  const n = name.toLowerCase();
  if (/^(flannel[.-]|flannel\d|vxlan|vtep|flannel-wg|cilium_vxlan|genev)/.test(n)) return 'vtep';
  if (/^(cni\d|docker\d|cbr\d|br-|kube-bridge|virbr\d|bridge)/.test(n)) return 'bridge';
  if (/^[^.]+\.(eth|net)\d+$/.test(n) || /^pod[-_.]/.test(n)) return 'pod';
  if (/^(veth|cali|lxc|tap|vnet|azv|gke|eni)/.test(n)) return 'veth';
  if (/^(eth|ens|enp|eno|enx|em\d|bond|wlan|wlp|ib\d|en\d)/.test(n)) return 'underlay';
  if (n === 'flannel0') return 'vtep';
  return undefined;
}

/** `--role node1/cni0=bridge` (or `cni0=bridge` for every node), several per option. */
export class RoleOverrides {
  private readonly map = new Map<string, Role>();

  add(spec: string): void {
    for (const item of spec.split(',')) {
      const m = /^\s*(?:([^/=\s]+)\/)?([^=\s]+)=(\w+)\s*$/.exec(item);
      if (!m || !(ROLES as readonly string[]).includes(m[3]))
        throw new UsageError(`--role: "${item}" is not [NODE/]IFACE=ROLE with ROLE one of ${ROLES.join(', ')}`);
      this.map.set(`${m[1] ?? '*'}/${m[2]}`, m[3] as Role);
    }
  }

  get(node: string, iface: string): Role | undefined {
    return this.map.get(`${node}/${iface}`) ?? this.map.get(`*/${iface}`);
  }

  /** As plain data (to another thread), and back. */
  entries(): [string, Role][] {
    return [...this.map];
  }
  static from(entries: readonly [string, string][]): RoleOverrides {
    const r = new RoleOverrides();
    for (const [k, v] of entries) r.map.set(k, v as Role);
    return r;
  }
}
