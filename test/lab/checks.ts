// Assertions shared by the lab scenarios: the probe's journey in the captures must be exactly
// what topology.json says the kernel did.
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { hopLabel, ip, isVxlan, Lab, outerIp, readFrames } from './lab.js';

/** Every capture listed is there, complete (no kernel drops) and holds the packets it claims. */
export function checkCaptureFiles(lab: Lab): void {
  for (const c of lab.topo.captures) {
    expect(existsSync(lab.file(c.file)), c.file).toBe(true);
    expect(c.kernel_drops, `kernel drops in ${c.file}`).toBe(0);
    expect(readFrames(lab.file(c.file), lab.vxlanPorts()).length, `packets in ${c.file}`).toBe(c.packets);
  }
}

/** Every expected hop shows the probe with the expected addresses, TTL and encapsulation. */
export function checkHopsPresent(lab: Lab): void {
  const { topo } = lab;
  checkCaptureFiles(lab);
  expect(topo.expected.hops.length).toBeGreaterThan(0);
  for (const hop of topo.expected.hops) {
    const frames = lab.probeAt(hop);
    expect(frames.length, `probe (${topo.probe!.what} ${topo.probe!.src} > ${hop.dst}) on ${hopLabel(hop)}`).toBeGreaterThan(0);
    const fr = frames[0];
    expect(Number(ip(fr, 'ttl')), `inner TTL on ${hopLabel(hop)}`).toBe(hop.ttl);
    if (hop.encap) {
      expect(isVxlan(fr), `VXLAN on ${hopLabel(hop)}`).toBe(true);
      expect(fr.f['udp.dstport'][0], `outer UDP port on ${hopLabel(hop)}`).toBe(String(hop.encap.outer_dport));
      expect(fr.f['vxlan.vni'][0], `VNI on ${hopLabel(hop)}`).toBe(String(hop.encap.vni));
      expect(outerIp(fr, 'src')).toBe(hop.encap.outer_src);
      expect(outerIp(fr, 'dst')).toBe(hop.encap.outer_dst);
      expect(Number(outerIp(fr, 'ttl'))).toBe(hop.encap.outer_ttl);
    } else {
      expect(isVxlan(fr), `no VXLAN on ${hopLabel(hop)}`).toBe(false);
    }
  }
}

/** The same probe packets (by identity) are seen at every expected hop, in hop order. */
export function checkHopOrder(lab: Lab): void {
  const { topo } = lab;
  const hops = topo.expected.hops;
  const first = lab.probeAt(hops[0]);
  const keys = [...new Set(first.map((fr) => lab.probeKey(fr)))];
  expect(keys.length).toBeGreaterThan(0);
  for (const hop of hops) {
    const seen = new Set(lab.probeAt(hop).map((fr) => lab.probeKey(fr)));
    expect([...seen].sort(), `probe packets seen on ${hopLabel(hop)}`).toEqual([...keys].sort());
  }
  for (const key of keys) {
    let prev: bigint | undefined;
    let prevHop = '';
    for (const hop of hops) {
      const fr = lab.probeAt(hop).find((f) => lab.probeKey(f) === key)!;
      const ts = lab.trueTs(hop.node, hop.iface, fr);
      if (prev !== undefined) {
        expect(ts >= prev, `packet ${key}: ${hopLabel(hop)} (${ts}) not before ${prevHop} (${prev})`).toBe(true);
      }
      prev = ts;
      prevHop = hopLabel(hop);
    }
  }
}

/** The probe never appears on the hops after the point where it stops. */
export function checkAbsent(lab: Lab): void {
  for (const a of lab.topo.expected.absent) {
    if (!lab.captureOf(a.node, a.iface)) continue; // e.g. the veth of a deleted pod: nothing to capture
    const frames = lab.framesOn(a.node, a.iface).filter((fr) => lab.looksLikeProbe(fr));
    expect(frames.length, `probe must not reach ${hopLabel(a)}`).toBe(0);
  }
}

/** All three, for delivered or dropped probes alike. */
export function checkProbePath(lab: Lab): void {
  checkHopsPresent(lab);
  checkHopOrder(lab);
  checkAbsent(lab);
}

/** Replies (when delivered) walk the reverse path. */
export function checkReplyPath(lab: Lab): void {
  const { topo } = lab;
  expect(topo.expected.delivered).toBe(true);
  for (const hop of topo.expected.reply_hops) {
    const frames = lab.framesOn(hop.node, hop.iface).filter((fr) =>
      ip(fr, 'src') === hop.src && ip(fr, 'dst') === hop.dst &&
      (topo.probe!.proto !== 'icmp' || fr.f['icmp.type'][0] === '0'));
    expect(frames.length, `reply on ${hopLabel(hop)}`).toBeGreaterThan(0);
    expect(Number(ip(frames[0], 'ttl')), `reply TTL on ${hopLabel(hop)}`).toBe(hop.ttl);
  }
}

/** ICMP errors the kernel must have produced (frag needed, host unreachable), hop by hop. */
export function checkIcmpErrors(lab: Lab): void {
  const errors = lab.topo.expected.icmp_errors;
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    for (const at of e.seen_on) {
      const frames = lab.framesOn(at.node, at.iface).filter((f) =>
        f.f['icmp.type'][0] === String(e.type) && f.f['icmp.code'][0] === String(e.code) &&
        ip(f, 'src') === at.src && ip(f, 'dst') === e.to);
      expect(frames.length, `ICMP ${e.type}/${e.code} from ${at.src} on ${hopLabel(at)}`).toBe(e.count);
      if (e.mtu !== undefined) expect(frames[0].f['icmp.mtu'][0]).toBe(String(e.mtu));
    }
  }
}
