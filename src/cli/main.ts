/**
 * The `vxdecode` command line: commands over the readers, decoders and analysis (their grammar
 * and help text: args.ts). Exit status: 0 ok, 1 input or usage error, 2 analyze found an
 * error-severity finding.
 */
import { readFileSync } from 'node:fs';
import { UsageError, parseInputArg } from '../capture/input.js';
import { helpText, parseCommandLine, type CommandSpec, type OptionSpec } from './args.js';
import type { PacketFilter } from '../filter/index.js';
import { Output } from './output.js';

const stderr = (line: string): void => {
  process.stderr.write(line + '\n');
};

/** Options every command that reads captures shares. */
const INPUT_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', describe: 'one JSON object per line' },
  filter: {
    alias: 'Y',
    type: 'string',
    describe: 'display filter: inner.ip.src==10.10.1.5 && vxlan.vni==1, arp, node==node2 (see docs/filter.md)',
  },
  'vxlan-port': { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)' },
  heuristics: { type: 'boolean', default: true, describe: 'recognise VXLAN on other ports by its header (--no-heuristics to turn off)' },
  ifnames: { type: 'string', array: true, describe: 'names of `-i any` (SLL2) interface indexes: node1:3=cni0,node1:4=flannel.1' },
  stats: { type: 'boolean', describe: 'on standard error at the end: frames, bytes, time, peak memory' },
  links: { type: 'string', array: true, describe: 'NODE=FILE with `ip -o link` output of that node, to name SLL2 interface indexes' },
};

/** Options trace and analyze share (src/cli/trace.ts). */
const ANALYSIS_OPTIONS: Record<string, OptionSpec> = {
  window: {
    type: 'string',
    default: '1s',
    describe: 'sightings of one packet may be this far apart (1s, 500ms); also how long a trace waits before it is printed',
  },
  skew: { type: 'string', default: 'auto', describe: 'clock correction: auto (estimate from the underlays), off, or NODE=OFFSET,... (node2=+2.75ms)' },
  role: { type: 'string', array: true, describe: 'interface role override: [NODE/]IFACE=pod|veth|bridge|vtep|underlay|other (node1/br0=bridge)' },
  reorder: { type: 'string', describe: 'put frames back in time order within this horizon (default 1s for multi-interface pcapng, else 0)' },
};

/** `--write FILE.pcapng` (decode, trace, live; src/cli/write.ts). */
const WRITE_OPTION: Record<string, OptionSpec> = {
  write: { alias: 'w', type: 'string', describe: 'also write the frames read (those the filter keeps) to this pcapng, one interface per NODE/IFACE' },
};

const SUMMARY = 'vxdecode: decode and trace packets through Kubernetes overlay networks (flannel VXLAN, host-gw, UDP)';

const COMMANDS: CommandSpec[] = [
  {
    name: '',
    describe: 'decode every frame: one line each, outer and inner layers',
    files: true,
    options: {
      ...INPUT_OPTIONS,
      ...WRITE_OPTION,
      count: { type: 'boolean', describe: 'print only the number of frames per interface' },
      verbose: { alias: 'v', type: 'boolean', describe: 'every field of every layer' },
      hex: { alias: 'x', type: 'boolean', describe: 'hex dump of each frame' },
    },
    examples: [
      ['vxdecode node1-eth0.pcap', 'decode one capture'],
      ['vxdecode node1/eth0=n1.pcap node2/eth0=n2.pcap', 'two labelled captures, merged by time'],
      ['tcpdump -U -i eth0 -w - | vxdecode -', 'decode a live tcpdump as packets arrive'],
      ['vxdecode node1=<(ssh node1 tcpdump -U -w - -i any) node2=<(ssh node2 tcpdump -U -w - -i any)', 'two live pipes at once; Ctrl-C ends with a summary'],
      ['vxdecode -w both.pcapng node1-*.pcap node2-*.pcap', 'also write what was read to one pcapng, interfaces named NODE/IFACE'],
      ['vxdecode --json capture.pcapng | jq .layers', 'one JSON object per frame'],
      ['vxdecode --count node1.pcapng', 'frames per interface'],
      ["vxdecode -Y 'inner.icmp && node==node2' captures/vxlan-ping/*.pcap", 'only the pings, as node2 saw them'],
    ],
  },
  {
    name: 'trace',
    describe: 'one hop timeline per inner packet, correlated across every capture and node',
    files: true,
    options: {
      ...INPUT_OPTIONS,
      ...ANALYSIS_OPTIONS,
      ...WRITE_OPTION,
      flow: { type: 'string', array: true, describe: 'only packets of this flow: tcp|udp|icmp, IP, IP:PORT, :PORT, A>B (terms combine)' },
      packet: { type: 'string', array: true, describe: 'only these packet numbers: 12, 3-7' },
      verdict: { type: 'string', array: true, describe: 'only packets with this verdict: delivered, lost, incomplete' },
      quiet: { alias: 'q', type: 'boolean', describe: 'no timelines: only the flow summary and hop latency' },
    },
    examples: [
      ['vxdecode trace captures/vxlan-ping/*.pcap', 'every packet of a ping across both nodes'],
      ['vxdecode trace --flow "icmp 10.10.1.5>10.10.2.6" *.pcap', 'one direction of one flow'],
      ['vxdecode trace --verdict lost node1*.pcap node2*.pcap', 'only the packets that vanished'],
      ['vxdecode trace --skew node2=-1.5s n1.pcapng n2.pcapng', "correct node2's clock by a known offset"],
      ['vxdecode trace node1=n1-any.pcap --links node1=n1.links.txt', 'a tcpdump -i any capture'],
      ['vxdecode trace -w traced.pcapng *.pcap', 'also one pcapng, each frame commented with its packet and hop'],
    ],
  },
  {
    name: 'analyze',
    describe: 'findings (drops, missing FDB/neighbour, MTU, NAT, checksums, VXLAN, retransmissions, clock skew) with evidence',
    files: true,
    options: {
      ...INPUT_OPTIONS,
      ...ANALYSIS_OPTIONS,
      'min-severity': { type: 'string', choices: ['info', 'warning', 'error'], default: 'info', describe: 'leave out findings below this severity' },
    },
    examples: [
      ['vxdecode analyze captures/vxlan-no-fdb/*.pcap', 'what is wrong, where, and how to confirm it'],
      ['vxdecode analyze --json *.pcap | jq .findings', 'findings as JSON'],
      ['vxdecode analyze *.pcap || echo "errors found"', 'exit status 2 when an error-severity finding exists'],
    ],
  },
  // --- live and merge (src/cli/live.ts, src/cli/merge.ts; docs/live.md) ---
  {
    name: 'live',
    describe: 'capture on interfaces of this host (libpcap) and decode or trace packets as they arrive',
    files: false,
    options: {
      ...WRITE_OPTION,
      interface: {
        alias: 'i',
        type: 'string',
        array: true,
        demand: 'name at least one interface: -i eth0 [-i cni0 ...]',
        describe: 'interface to capture on (repeat, or a comma-separated list)',
      },
      'capture-filter': { alias: 'f', type: 'string', describe: 'capture (BPF) filter, as tcpdump takes it: "udp port 8472 or icmp"' },
      filter: { alias: 'Y', type: 'string', describe: 'display filter on the decoded frames (inner.ip.src==10.10.1.5, arp, ...)' },
      node: { type: 'string', describe: 'node name for the interfaces (default: the host name)' },
      json: { type: 'boolean', describe: 'one JSON object per line' },
      trace: { type: 'boolean', describe: 'hop timelines across the interfaces instead of one line per frame' },
      window: { type: 'string', default: '1s', describe: 'with --trace: sightings of one packet may be this far apart; a trace prints this long after its last sighting' },
      role: { type: 'string', array: true, describe: 'interface role override: IFACE=pod|veth|bridge|vtep|underlay|other' },
      verbose: { alias: 'v', type: 'boolean', describe: 'every field of every layer' },
      hex: { alias: 'x', type: 'boolean', describe: 'hex dump of each frame' },
      'max-frames': { alias: 'c', type: 'number', describe: 'stop after this many frames' },
      seconds: { type: 'number', describe: 'stop after this many seconds' },
      'buffer-size': { alias: 'B', type: 'number', describe: 'libpcap buffer per interface, MiB (default 16; 32 with tcpdump)' },
      backend: {
        type: 'string',
        choices: ['cap', 'tcpdump'],
        default: 'cap',
        describe: 'cap: the libpcap addon, in process (frames stamped on arrival); tcpdump: one tcpdump per interface (kernel timestamps, drop counts)',
      },
      'vxlan-port': { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)' },
      heuristics: { type: 'boolean', default: true, describe: 'recognise VXLAN on other ports by its header (--no-heuristics to turn off)' },
    },
    examples: [
      ['sudo vxdecode live -i eth0 -i flannel.1 -i cni0', 'decode three interfaces of this node as packets arrive'],
      ['sudo vxdecode live -i eth0,flannel.1,cni0 --trace', 'hop timelines through the node, printed as each completes'],
      ['sudo vxdecode live --backend tcpdump -i eth0,cni0 --trace', 'the same with kernel timestamps (tcpdump captures)'],
      ['sudo vxdecode live -i eth0 -f "udp port 8472" -w vxlan.pcapng', 'only VXLAN, also written to a pcapng'],
      ['sudo ip netns exec NS vxdecode live -i veth0 --seconds 10', 'inside a network namespace, for ten seconds'],
      ['tcpdump -U -i eth0 -w - | vxdecode -', 'without the libpcap addon: tcpdump captures, vxdecode decodes'],
    ],
  },
  {
    name: 'merge',
    describe: 'merge captures in time order into one pcapng, one interface per NODE/IFACE (like mergecap, with names)',
    files: true,
    options: {
      write: { alias: 'w', type: 'string', demand: 'give the output file: -w OUT.pcapng', describe: 'the pcapng to write' },
      filter: { alias: 'Y', type: 'string', describe: 'display filter: only the frames it keeps are written' },
      ifnames: { type: 'string', array: true, describe: 'names of `-i any` (SLL2) interface indexes: node1:3=cni0' },
      links: { type: 'string', array: true, describe: 'NODE=FILE with `ip -o link` output, to name SLL2 interface indexes' },
      quiet: { alias: 'q', type: 'boolean', describe: 'no summary on standard error' },
    },
    examples: [
      ['vxdecode merge -w all.pcapng node1-*.pcap node2-*.pcap', 'one file for Wireshark, interfaces named node1/eth0, ...'],
      ['vxdecode merge -w n.pcapng node1/eth0=a.pcap node2/eth0=b.pcap', 'labelled inputs'],
      ['vxdecode merge -Y "vxlan.vni==1" -w vni1.pcapng node*.pcap', 'only what the display filter keeps'],
      ['vxdecode merge -w both.pcapng n1=<(ssh n1 tcpdump -U -w -) n2=<(ssh n2 tcpdump -U -w -)', 'live pipes until Ctrl-C'],
    ],
  },
  // --- the interactive session (src/cli/tui.ts, src/tui/; docs/tui.md) ---
  {
    name: 'tui',
    describe: 'interactive session: frame list, layers, hex, hop timelines, flows and findings (keys: ? for help)',
    files: true,
    options: {
      ...INPUT_OPTIONS,
      ...ANALYSIS_OPTIONS,
      analysis: {
        type: 'boolean',
        default: true,
        describe: 'trace packets and diagnose in the background (--no-analysis: frames, layers and hex only)',
      },
      interface: { alias: 'i', type: 'string', array: true, describe: 'capture live on this interface of this host instead of reading files (repeat, or a comma-separated list)' },
      'capture-filter': { alias: 'f', type: 'string', describe: 'with -i: capture (BPF) filter, as tcpdump takes it' },
      node: { type: 'string', describe: 'with -i: node name for the interfaces (default: the host name)' },
      backend: { type: 'string', choices: ['cap', 'tcpdump'], default: 'cap', describe: 'with -i: libpcap addon (cap) or one tcpdump per interface (kernel timestamps)' },
    },
    examples: [
      ['vxdecode tui captures/vxlan-ping/*.pcap', 'browse a ping across both nodes; t on a frame shows its hops'],
      ['vxdecode tui node1=n1.pcapng node2=n2.pcapng', 'one pcapng per node'],
      ['tcpdump -U -i eth0 -w - | vxdecode tui -', 'a live capture from a pipe (keys come from the terminal)'],
      ['sudo vxdecode tui -i eth0,flannel.1,cni0 --backend tcpdump', 'capture live on three interfaces of this node'],
    ],
  },
];

/** The compiled `-Y` display filter, or undefined; a bad expression is a usage error. */
export async function displayFilter(expr: string | undefined): Promise<PacketFilter | undefined> {
  if (expr === undefined || !expr.trim()) return undefined;
  // (loaded when asked for, like each command's module: every run pays for what it loads)
  const { compileFilter, FilterError } = await import('../filter/index.js');
  try {
    return compileFilter(expr);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`-Y: ${e.message}\n  ${e.pointer().split('\n').join('\n  ')}`);
    throw e;
  }
}

function decodeOptions(a: { vxlanPort?: number[]; heuristics?: boolean }) {
  for (const p of a.vxlanPort ?? []) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`--vxlan-port ${p}: not a UDP port`);
  }
  return { vxlanPorts: a.vxlanPort ?? [], heuristics: a.heuristics !== false };
}

/** What trace and analyze take from their shared options. */
async function analysisArgs(a: {
  files?: unknown;
  ifnames?: string[];
  links?: string[];
  json?: boolean;
  vxlanPort?: number[];
  heuristics?: boolean;
  filter?: string;
  window?: string;
  skew?: string;
  role?: string[];
  reorder?: string;
}) {
  return {
    files: a.files as string[],
    ifnames: a.ifnames,
    links: a.links,
    json: a.json,
    decode: decodeOptions(a),
    filter: await displayFilter(a.filter),
    window: a.window,
    skew: a.skew,
    role: a.role,
    reorder: a.reorder,
  };
}

/** Start the reader thread while the rest loads, when the captures are worth one (reader-thread.ts). */
async function prestart(files: string[]): Promise<void> {
  const { prestartReader } = await import('../capture/reader-thread.js');
  try {
    prestartReader(files.map((f) => parseInputArg(f).path));
  } catch {
    // (a bad argument is reported where the inputs are opened)
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Run one command; its exit status. */
async function run(command: CommandSpec, a: any, out: Output): Promise<number> {
  switch (command.name) {
    case '': {
      const { runDecode } = await import('./decode.js');
      return runDecode(
        {
          files: a.files,
          ifnames: a.ifnames,
          links: a.links,
          json: a.json,
          count: a.count,
          verbose: a.verbose,
          hex: a.hex,
          stats: a.stats,
          write: a.write,
          decode: decodeOptions(a),
          filter: await displayFilter(a.filter),
        },
        out,
        stderr,
      );
    }
    // --- trace and analyze (src/cli/trace.ts, src/cli/analyze.ts) ---
    case 'trace': {
      await prestart(a.files);
      const { runTrace } = await import('./trace.js');
      return runTrace({ ...(await analysisArgs(a)), flow: a.flow, packet: a.packet, verdict: a.verdict, quiet: a.quiet, write: a.write }, out, stderr);
    }
    case 'analyze': {
      await prestart(a.files);
      const { runAnalyze } = await import('./analyze.js');
      return runAnalyze({ ...(await analysisArgs(a)), minSeverity: a.minSeverity }, out, stderr);
    }
    case 'live': {
      const { runLive } = await import('./live.js');
      return runLive(
        {
          iface: (a.interface ?? []).map(String),
          bpf: a.captureFilter,
          filter: a.filter,
          node: a.node,
          json: a.json,
          trace: a.trace,
          window: a.window,
          role: a.role,
          verbose: a.verbose,
          hex: a.hex,
          maxFrames: a.maxFrames,
          seconds: a.seconds,
          bufferMb: a.bufferSize,
          backend: a.backend,
          write: a.write,
          decode: decodeOptions(a),
        },
        out,
        stderr,
      );
    }
    case 'merge': {
      const { runMerge } = await import('./merge.js');
      return runMerge({ files: a.files, ifnames: a.ifnames, links: a.links, write: a.write, quiet: a.quiet, filter: await displayFilter(a.filter) }, stderr);
    }
    case 'tui': {
      if (a.json) throw new UsageError('tui: --json is for the other commands; the session is interactive');
      const { runTui } = await import('./tui.js');
      return runTui(
        {
          files: a.files,
          ifnames: a.ifnames,
          links: a.links,
          decode: decodeOptions(a),
          window: a.window,
          skew: a.skew,
          role: a.role,
          reorder: a.reorder,
          analysis: a.analysis,
          iface: (a.interface ?? []).map(String),
          bpf: a.captureFilter,
          node: a.node,
          backend: a.backend,
        },
        stderr,
      );
    }
  }
  throw new Error(`no command ${command.name}`);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const out = new Output();
  try {
    const p = parseCommandLine(argv, COMMANDS);
    if (p.kind === 'version') {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      out.line(pkg.version);
    } else if (p.kind === 'help') out.str(helpText(SUMMARY, COMMANDS, p.command, Math.min(110, process.stdout.columns || 100)));
    else return await run(p.command, p.args, out);
    await out.end();
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(`vxdecode: ${e.message}`);
      stderr('Try vxdecode --help for usage and examples.');
      return 1;
    }
    throw e;
  }
}
