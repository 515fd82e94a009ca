/**
 * The command line's grammar (src/cli/args.ts): what each form of option means, what is an
 * error, and the help made from the same tables; then the built command as a user runs it.
 */
import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine, type CommandSpec } from '../../src/cli/args.js';
import { vxdecode } from '../support/cli.js';

const COMMANDS: CommandSpec[] = [
  {
    name: '',
    describe: 'decode',
    files: true,
    options: {
      json: { type: 'boolean', describe: 'json' },
      heuristics: { type: 'boolean', default: true, describe: 'heuristics' },
      verbose: { alias: 'v', type: 'boolean', describe: 'verbose' },
      hex: { alias: 'x', type: 'boolean', describe: 'hex' },
      filter: { alias: 'Y', type: 'string', describe: 'filter' },
      links: { type: 'string', array: true, describe: 'links' },
      'vxlan-port': { type: 'number', array: true, describe: 'ports' },
    },
    examples: [['vxdecode a.pcap', 'decode one capture']],
  },
  {
    name: 'live',
    describe: 'live',
    files: false,
    options: {
      interface: { alias: 'i', type: 'string', array: true, demand: 'name at least one interface', describe: 'iface' },
      backend: { type: 'string', choices: ['cap', 'tcpdump'], default: 'cap', describe: 'backend' },
      'max-frames': { alias: 'c', type: 'number', describe: 'max' },
    },
    examples: [],
  },
];

const run = (argv: string[]): Record<string, unknown> => {
  const p = parseCommandLine(argv, COMMANDS);
  if (p.kind !== 'run') throw new Error(`not a run: ${p.kind}`);
  return { command: p.command.name, ...p.args };
};

describe('parsing', () => {
  it('takes every form of an option, anywhere among the captures', () => {
    expect(run(['a.pcap', '--json', '-Y', 'icmp', 'b.pcap'])).toEqual({ command: '', files: ['a.pcap', 'b.pcap'], json: true, filter: 'icmp', heuristics: true });
    expect(run(['--filter=arp', '-Y=udp', 'a'])).toMatchObject({ filter: 'udp', files: ['a'] });
    expect(run(['-vx', 'a'])).toMatchObject({ verbose: true, hex: true });
    expect(run(['--no-heuristics', 'a'])).toMatchObject({ heuristics: false });
    expect(run(['--json=false', 'a'])).toMatchObject({ json: false });
  });

  it('gives an array option one value per occurrence; the rest are captures', () => {
    expect(run(['--links', 'n1=a', '--links', 'n2=b', 'x.pcap', 'y.pcap'])).toMatchObject({ links: ['n1=a', 'n2=b'], files: ['x.pcap', 'y.pcap'] });
    expect(run(['--vxlan-port', '4790', '--vxlan-port=9000', 'a'])).toMatchObject({ vxlanPort: [4790, 9000] });
  });

  it('keeps `-` (standard input) and what follows `--` as captures', () => {
    expect(run(['-'])).toMatchObject({ files: ['-'] });
    expect(run(['--', '--json', '-x'])).toMatchObject({ files: ['--json', '-x'] });
  });

  it('picks a command by its first word, with defaults and camelCase keys', () => {
    expect(run(['live', '-i', 'eth0', '-i', 'cni0', '-c', '10'])).toEqual({ command: 'live', interface: ['eth0', 'cni0'], maxFrames: 10, backend: 'cap' });
  });

  it('refuses what it does not know, with one line saying what', () => {
    const err = (argv: string[]): string => {
      try {
        parseCommandLine(argv, COMMANDS);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err(['--frobnicate', 'a'])).toBe('Unknown argument: frobnicate');
    expect(err(['-q', 'a'])).toBe('Unknown argument: q');
    expect(err(['live', '-i', 'eth0', 'stray'])).toBe('Unknown argument: stray');
    expect(err(['live'])).toBe('name at least one interface');
    expect(err(['live', '-i', 'eth0', '--backend', 'pf'])).toBe('--backend: "pf" is not one of cap, tcpdump');
    expect(err(['-Y'])).toBe('--filter needs a value');
    expect(err(['--json=maybe', 'a'])).toMatch(/--json takes no value/);
    expect(err(['--vxlan-port', 'abc', 'a'])).toBe('--vxlan-port: "abc" is not a number');
    expect(err(['-vq', 'a'])).toBe('Unknown argument: q');
    expect(err(['--=x'])).toBe('Unknown argument: --=x');
  });

  it('asks for help or the version instead of running', () => {
    expect(parseCommandLine(['--help'], COMMANDS)).toEqual({ kind: 'help', command: undefined });
    expect(parseCommandLine(['live', '-h'], COMMANDS)).toEqual({ kind: 'help', command: COMMANDS[1] });
    expect(parseCommandLine(['--version'], COMMANDS)).toEqual({ kind: 'version' });
  });
});

describe('help', () => {
  it('lists the commands, the options with their defaults and choices, and the examples', () => {
    const all = helpText('vxdecode: test', COMMANDS, undefined, 80);
    expect(all).toMatch(/^vxdecode: test\n\nCommands:\n {2}vxdecode \[files\.\.\] +decode \(the default\)\n {2}vxdecode live \[options\] +live\n/);
    expect(all).toMatch(/-Y, --filter X +filter\n/);
    expect(all).toMatch(/# decode one capture\n {2}vxdecode a\.pcap\n$/);
    const live = helpText('vxdecode: test', COMMANDS, COMMANDS[1], 80);
    expect(live).toMatch(/--backend X +backend \[one of: cap, tcpdump; default: cap\]/);
    expect(live).toMatch(/-i, --interface X\.\.\. +iface \[required\]/);
    for (const l of all.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('the vxdecode command line', () => {
  it('prints its version and each command\'s help', () => {
    const v = vxdecode(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    for (const c of ['trace', 'analyze', 'live', 'merge', 'tui']) {
      const h = vxdecode([c, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^vxdecode ${c} `));
      expect(h.stdout).toMatch(/Examples:/);
    }
  });

  it('a usage error is one line and the pointer to --help, exit 1', () => {
    const r = vxdecode(['analyze', '--min-severity', 'loud', 'x.pcap']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('vxdecode: --min-severity: "loud" is not one of info, warning, error\nTry vxdecode --help for usage and examples.\n');
  });
});
