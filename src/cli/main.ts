/**
 * The `vxdecode` command line: yargs commands over the readers, decoders and analysis.
 * Exit status: 0 ok, 1 input or usage error, 2 analyze found an error-severity finding.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../capture/input.js';
import { STDIN_TOKEN } from './inputs.js';
import type { PacketFilter } from '../filter/index.js';
import { Output } from './output.js';

const stderr = (line: string): void => {
  process.stderr.write(line + '\n');
};

/** Options every command that reads captures shares. */
function inputOptions<T>(y: Argv<T>) {
  return y
    .positional('files', {
      describe: 'captures: PATH, - (standard input), NODE/IFACE=PATH or NODE=PATH',
      type: 'string',
      array: true,
      default: [] as string[],
    })
    .option('json', { type: 'boolean', describe: 'one JSON object per line' })
    .option('filter', {
      alias: 'Y',
      type: 'string',
      describe: 'display filter: inner.ip.src==10.10.1.5 && vxlan.vni==1, arp, node==node2 (see docs/filter.md)',
    })
    .option('vxlan-port', {
      type: 'number',
      array: true,
      describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)',
    })
    .option('heuristics', {
      type: 'boolean',
      default: true,
      describe: 'recognise VXLAN on other ports by its header (--no-heuristics to turn off)',
    })
    .option('ifnames', {
      type: 'string',
      array: true,
      describe: 'names of `-i any` (SLL2) interface indexes: node1:3=cni0,node1:4=flannel.1',
    })
    .option('stats', { type: 'boolean', describe: 'on standard error at the end: frames, bytes, time, peak memory' })
    .option('links', {
      type: 'string',
      array: true,
      describe: 'NODE=FILE with `ip -o link` output of that node, to name SLL2 interface indexes',
    });
}

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

/** Options trace and analyze share (src/cli/trace.ts). */
function analysisOptions<T>(y: Argv<T>) {
  return y
    .option('window', {
      type: 'string',
      default: '1s',
      describe: 'sightings of one packet may be this far apart (1s, 500ms); also how long a trace waits before it is printed',
    })
    .option('skew', {
      type: 'string',
      default: 'auto',
      describe: 'clock correction: auto (estimate from the underlays), off, or NODE=OFFSET,... (node2=+2.75ms)',
    })
    .option('role', {
      type: 'string',
      array: true,
      describe: 'interface role override: [NODE/]IFACE=pod|veth|bridge|vtep|underlay|other (node1/br0=bridge)',
    })
    .option('reorder', {
      type: 'string',
      describe: 'put frames back in time order within this horizon (default 1s for multi-interface pcapng, else 0)',
    });
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

/** `--write FILE.pcapng` (decode, trace, live; src/cli/write.ts). */
function writeOption<T>(y: Argv<T>) {
  return y.option('write', {
    alias: 'w',
    type: 'string',
    describe: 'also write the frames read (those the filter keeps) to this pcapng, one interface per NODE/IFACE',
  });
}

export async function main(rawArgv: string[] = hideBin(process.argv)): Promise<number> {
  const argv = rawArgv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const out = new Output();
  let status = 0;
  const parser = yargs(argv)
    .scriptName('vxdecode')
    .usage('vxdecode: decode and trace packets through Kubernetes overlay networks (flannel VXLAN, host-gw, UDP)')
    .command(
      '$0 [files..]',
      'decode every frame: one line each, outer and inner layers',
      (y) =>
        writeOption(inputOptions(y))
          .option('count', { type: 'boolean', describe: 'print only the number of frames per interface' })
          .option('verbose', { alias: 'v', type: 'boolean', describe: 'every field of every layer' })
          .option('hex', { alias: 'x', type: 'boolean', describe: 'hex dump of each frame' })
          .example('vxdecode node1-eth0.pcap', 'decode one capture')
          .example('vxdecode node1/eth0=n1.pcap node2/eth0=n2.pcap', 'two labelled captures, merged by time')
          .example('tcpdump -U -i eth0 -w - | vxdecode -', 'decode a live tcpdump as packets arrive')
          .example('vxdecode node1=<(ssh node1 tcpdump -U -w - -i any) node2=<(ssh node2 tcpdump -U -w - -i any)', 'two live pipes at once; Ctrl-C ends with a summary')
          .example('vxdecode -w both.pcapng node1-*.pcap node2-*.pcap', 'also write what was read to one pcapng, interfaces named NODE/IFACE')
          .example('vxdecode --json capture.pcapng | jq .layers', 'one JSON object per frame')
          .example('vxdecode --count node1.pcapng', 'frames per interface')
          .example("vxdecode -Y 'inner.icmp && node==node2' captures/vxlan-ping/*.pcap", 'only the pings, as node2 saw them'),
      async (a) => {
        const { runDecode } = await import('./decode.js');
        status = await runDecode(
          {
            files: a.files as string[],
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
      },
    )
    // --- trace and analyze (src/cli/trace.ts, src/cli/analyze.ts) ---
    .command(
      'trace [files..]',
      'one hop timeline per inner packet, correlated across every capture and node',
      (y) =>
        writeOption(analysisOptions(inputOptions(y)))
          .option('flow', {
            type: 'string',
            array: true,
            describe: 'only packets of this flow: tcp|udp|icmp, IP, IP:PORT, :PORT, A>B (terms combine)',
          })
          .option('packet', { type: 'string', array: true, describe: 'only these packet numbers: 12, 3-7' })
          .option('verdict', { type: 'string', array: true, describe: 'only packets with this verdict: delivered, lost, incomplete' })
          .option('quiet', { alias: 'q', type: 'boolean', describe: 'no timelines: only the flow summary and hop latency' })
          .example('vxdecode trace captures/vxlan-ping/*.pcap', 'every packet of a ping across both nodes')
          .example('vxdecode trace --flow "icmp 10.10.1.5>10.10.2.6" *.pcap', 'one direction of one flow')
          .example('vxdecode trace --verdict lost node1*.pcap node2*.pcap', 'only the packets that vanished')
          .example('vxdecode trace --skew node2=-1.5s n1.pcapng n2.pcapng', "correct node2's clock by a known offset")
          .example('vxdecode trace node1=n1-any.pcap --links node1=n1.links.txt', 'a tcpdump -i any capture')
          .example('vxdecode trace -w traced.pcapng *.pcap', 'also one pcapng, each frame commented with its packet and hop'),
      async (a) => {
        const { runTrace } = await import('./trace.js');
        status = await runTrace(
          {
            ...(await analysisArgs(a)),
            flow: a.flow,
            packet: a.packet,
            verdict: a.verdict,
            quiet: a.quiet,
            write: a.write,
          },
          out,
          stderr,
        );
      },
    )
    .command(
      'analyze [files..]',
      'findings (drops, missing FDB/neighbour, MTU, NAT, checksums, VXLAN, retransmissions, clock skew) with evidence',
      (y) =>
        analysisOptions(inputOptions(y))
          .option('min-severity', {
            choices: ['info', 'warning', 'error'] as const,
            default: 'info' as const,
            describe: 'leave out findings below this severity',
          })
          .example('vxdecode analyze captures/vxlan-no-fdb/*.pcap', 'what is wrong, where, and how to confirm it')
          .example('vxdecode analyze --json *.pcap | jq .findings', 'findings as JSON')
          .example('vxdecode analyze *.pcap || echo "errors found"', 'exit status 2 when an error-severity finding exists'),
      async (a) => {
        const { runAnalyze } = await import('./analyze.js');
        status = await runAnalyze(
          {
            ...(await analysisArgs(a)),
            minSeverity: a.minSeverity,
          },
          out,
          stderr,
        );
      },
    )
    // --- live and merge (src/cli/live.ts, src/cli/merge.ts; docs/live.md) ---
    .command(
      'live',
      'capture on interfaces of this host (libpcap) and decode or trace packets as they arrive',
      (y) =>
        writeOption(y)
          .option('interface', {
            alias: 'i',
            type: 'string',
            array: true,
            demandOption: 'name at least one interface: -i eth0 [-i cni0 ...]',
            describe: 'interface to capture on (repeat, or a comma-separated list)',
          })
          .option('capture-filter', { alias: 'f', type: 'string', describe: 'capture (BPF) filter, as tcpdump takes it: "udp port 8472 or icmp"' })
          .option('filter', { alias: 'Y', type: 'string', describe: 'display filter on the decoded frames (inner.ip.src==10.10.1.5, arp, ...)' })
          .option('node', { type: 'string', describe: 'node name for the interfaces (default: the host name)' })
          .option('json', { type: 'boolean', describe: 'one JSON object per line' })
          .option('trace', { type: 'boolean', describe: 'hop timelines across the interfaces instead of one line per frame' })
          .option('window', { type: 'string', default: '1s', describe: 'with --trace: sightings of one packet may be this far apart; a trace prints this long after its last sighting' })
          .option('role', { type: 'string', array: true, describe: 'interface role override: IFACE=pod|veth|bridge|vtep|underlay|other' })
          .option('verbose', { alias: 'v', type: 'boolean', describe: 'every field of every layer' })
          .option('hex', { alias: 'x', type: 'boolean', describe: 'hex dump of each frame' })
          .option('max-frames', { alias: 'c', type: 'number', describe: 'stop after this many frames' })
          .option('seconds', { type: 'number', describe: 'stop after this many seconds' })
          .option('buffer-size', { alias: 'B', type: 'number', describe: 'libpcap buffer per interface, MiB (default 16; 32 with tcpdump)' })
          .option('backend', {
            choices: ['cap', 'tcpdump'] as const,
            default: 'cap' as const,
            describe: 'cap: the libpcap addon, in process (frames stamped on arrival); tcpdump: one tcpdump per interface (kernel timestamps, drop counts)',
          })
          .option('vxlan-port', { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)' })
          .option('heuristics', { type: 'boolean', default: true, describe: 'recognise VXLAN on other ports by its header (--no-heuristics to turn off)' })
          .example('sudo vxdecode live -i eth0 -i flannel.1 -i cni0', 'decode three interfaces of this node as packets arrive')
          .example('sudo vxdecode live -i eth0,flannel.1,cni0 --trace', 'hop timelines through the node, printed as each completes')
          .example('sudo vxdecode live --backend tcpdump -i eth0,cni0 --trace', 'the same with kernel timestamps (tcpdump captures)')
          .example('sudo vxdecode live -i eth0 -f "udp port 8472" -w vxlan.pcapng', 'only VXLAN, also written to a pcapng')
          .example('sudo ip netns exec NS vxdecode live -i veth0 --seconds 10', 'inside a network namespace, for ten seconds')
          .example('tcpdump -U -i eth0 -w - | vxdecode -', 'without the libpcap addon: tcpdump captures, vxdecode decodes'),
      async (a) => {
        const { runLive } = await import('./live.js');
        status = await runLive(
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
      },
    )
    .command(
      'merge [files..]',
      'merge captures in time order into one pcapng, one interface per NODE/IFACE (like mergecap, with names)',
      (y) =>
        y
          .positional('files', {
            describe: 'captures: PATH, - (standard input), NODE/IFACE=PATH or NODE=PATH',
            type: 'string',
            array: true,
            default: [] as string[],
          })
          .option('write', { alias: 'w', type: 'string', demandOption: 'give the output file: -w OUT.pcapng', describe: 'the pcapng to write' })
          .option('filter', { alias: 'Y', type: 'string', describe: 'display filter: only the frames it keeps are written' })
          .option('ifnames', { type: 'string', array: true, describe: 'names of `-i any` (SLL2) interface indexes: node1:3=cni0' })
          .option('links', { type: 'string', array: true, describe: 'NODE=FILE with `ip -o link` output, to name SLL2 interface indexes' })
          .option('quiet', { alias: 'q', type: 'boolean', describe: 'no summary on standard error' })
          .example('vxdecode merge -w all.pcapng node1-*.pcap node2-*.pcap', 'one file for Wireshark, interfaces named node1/eth0, ...')
          .example('vxdecode merge -w n.pcapng node1/eth0=a.pcap node2/eth0=b.pcap', 'labelled inputs')
          .example('vxdecode merge -Y "vxlan.vni==1" -w vni1.pcapng node*.pcap', 'only what the display filter keeps')
          .example('vxdecode merge -w both.pcapng n1=<(ssh n1 tcpdump -U -w -) n2=<(ssh n2 tcpdump -U -w -)', 'live pipes until Ctrl-C'),
      async (a) => {
        const { runMerge } = await import('./merge.js');
        status = await runMerge(
          { files: a.files as string[], ifnames: a.ifnames, links: a.links, write: a.write, quiet: a.quiet, filter: await displayFilter(a.filter) },
          stderr,
        );
      },
    )
    // --- the interactive session (src/cli/tui.ts, src/tui/; docs/tui.md) ---
    .command(
      'tui [files..]',
      'interactive session: frame list, layers, hex, hop timelines, flows and findings (keys: ? for help)',
      (y) =>
        analysisOptions(inputOptions(y))
          .option('analysis', {
            type: 'boolean',
            default: true,
            describe: 'trace packets and diagnose in the background (--no-analysis: frames, layers and hex only)',
          })
          .option('interface', { alias: 'i', type: 'string', array: true, describe: 'capture live on this interface of this host instead of reading files (repeat, or a comma-separated list)' })
          .option('capture-filter', { alias: 'f', type: 'string', describe: 'with -i: capture (BPF) filter, as tcpdump takes it' })
          .option('node', { type: 'string', describe: 'with -i: node name for the interfaces (default: the host name)' })
          .option('backend', { choices: ['cap', 'tcpdump'] as const, default: 'cap' as const, describe: 'with -i: libpcap addon (cap) or one tcpdump per interface (kernel timestamps)' })
          .example('vxdecode tui captures/vxlan-ping/*.pcap', 'browse a ping across both nodes; t on a frame shows its hops')
          .example('vxdecode tui node1=n1.pcapng node2=n2.pcapng', 'one pcapng per node')
          .example('tcpdump -U -i eth0 -w - | vxdecode tui -', 'a live capture from a pipe (keys come from the terminal)')
          .example('sudo vxdecode tui -i eth0,flannel.1,cni0 --backend tcpdump', 'capture live on three interfaces of this node'),
      async (a) => {
        if (a.json) throw new UsageError('tui: --json is for the other commands; the session is interactive');
        const { runTui } = await import('./tui.js');
        status = await runTui(
          {
            files: a.files as string[],
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
      },
    )
    // `--links A --links B FILE...`: each occurrence takes one value, the rest are captures
    .parserConfiguration({ 'greedy-arrays': false })
    // yargs drops a lone `-`; it was carried through as STDIN_TOKEN and is `-` again from here on
    .middleware((a) => {
      if (Array.isArray(a.files)) a.files = a.files.map((f) => (f === STDIN_TOKEN ? '-' : f));
    })
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  skipHelpCache(parser);
  try {
    await parser.parseAsync();
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(`vxdecode: ${e.message}`);
      stderr('Try vxdecode --help for usage and examples.');
      return 1;
    }
    throw e;
  }
  return status;
}

/**
 * yargs lays out the whole help text each time it starts a command, to keep it for a failure
 * that would print it (~20 ms of every run, on the thread that then does the work). A failure
 * here prints one line and never that text (`fail` above), so that step is made a no-op; with a
 * yargs that does not have it, nothing changes.
 */
function skipHelpCache(parser: unknown): void {
  const internals = (parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}
