// The committed captures/ set: every scenario folder is there with its topology.json, the files
// it lists, and a README entry.  Needs no root.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIcmpErrors, checkProbePath } from './checks.js';
import { CAPTURES, Lab, type Topology } from './lab.js';

const SCENARIOS = [
  'vxlan-ping', 'vxlan-ping-micro', 'vxlan-vni42-port4789', 'vxlan-no-fdb', 'vxlan-no-neigh',
  'vxlan-forward-drop', 'vxlan-mtu', 'vxlan-dnat-tcp', 'vxlan-stale-endpoint', 'vxlan-clock-skew',
  'vxlan-pcapng', 'vxlan-any', 'vxlan-udp', 'vxlan-multi', 'hostgw-ping', 'hostgw-forward-drop',
];

describe('committed captures/', () => {
  it('has every scenario folder and nothing unexpected', () => {
    const dirs = readdirSync(CAPTURES).filter((d) => statSync(path.join(CAPTURES, d)).isDirectory());
    expect(dirs.sort()).toEqual([...SCENARIOS].sort());
  });

  it.each(SCENARIOS)('%s has a topology.json whose captures all exist', (name) => {
    const dir = path.join(CAPTURES, name);
    const topo = JSON.parse(readFileSync(path.join(dir, 'topology.json'), 'utf8')) as Topology;
    expect(topo.schema).toBe('vxdecode-lab-topology/1');
    expect(topo.captures.length).toBeGreaterThan(0);
    expect(topo.expected.hops.length).toBeGreaterThan(0);
    expect(topo.expected.summary.length).toBeGreaterThan(0);
    for (const c of topo.captures) {
      expect(existsSync(path.join(dir, c.file)), c.file).toBe(true);
      expect(statSync(path.join(dir, c.file)).size).toBeGreaterThanOrEqual(24); // a pcap header alone is a valid, empty capture
      if (c.links) expect(existsSync(path.join(dir, c.links))).toBe(true);
    }
    for (const n of topo.nodes) expect(existsSync(path.join(dir, n.state))).toBe(true);
  });

  it('is described in captures/README.md', () => {
    const readme = readFileSync(path.join(CAPTURES, 'README.md'), 'utf8');
    for (const name of SCENARIOS) expect(readme, name).toContain(`\`${name}/\``);
  });

  it('stays small (a few MB in total)', () => {
    let total = 0;
    for (const name of SCENARIOS) {
      const dir = path.join(CAPTURES, name);
      const walk = (d: string): void => {
        for (const f of readdirSync(d)) {
          const p = path.join(d, f);
          const s = statSync(p);
          if (s.isDirectory()) walk(p); else total += s.size;
        }
      };
      walk(dir);
    }
    expect(total).toBeLessThan(4 * 1024 * 1024);
  });
});

// The committed captures read correctly too (tshark only, no root): the same checks as the live
// lab runs, against each folder's own topology.json.
describe.each(SCENARIOS)('committed %s reads as its topology.json says', (name) => {
  const lab = new Lab();
  const dir = path.join(CAPTURES, name);
  lab.attach({ dir, topo: JSON.parse(readFileSync(path.join(dir, 'topology.json'), 'utf8')) as Topology, stdout: '', args: [] });

  it('probe path, order and drop point', () => {
    checkProbePath(lab);
    if (lab.topo.expected.icmp_errors.length) checkIcmpErrors(lab);
  });
});
