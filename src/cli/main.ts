/**
 * The `vxdecode` command line: yargs commands over the readers, decoders and analysis.
 * Exit status: 0 ok, 1 input or usage error, 2 analyze found an error-severity finding.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../capture/input.js';
import { runDecode } from './decode.js';
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
    .option('links', {
      type: 'string',
      array: true,
      describe: 'NODE=FILE with `ip -o link` output of that node, to name SLL2 interface indexes',
    });
}

function decodeOptions(a: { vxlanPort?: number[]; heuristics?: boolean }) {
  for (const p of a.vxlanPort ?? []) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new UsageError(`--vxlan-port ${p}: not a UDP port`);
  }
  return { vxlanPorts: a.vxlanPort ?? [], heuristics: a.heuristics !== false };
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<number> {
  const out = new Output();
  let status = 0;
  const parser = yargs(argv)
    .scriptName('vxdecode')
    .usage('vxdecode: decode and trace packets through Kubernetes overlay networks (flannel VXLAN, host-gw, UDP)')
    .command(
      '$0 [files..]',
      'decode every frame: one line each, outer and inner layers',
      (y) =>
        inputOptions(y)
          .option('count', { type: 'boolean', describe: 'print only the number of frames per interface' })
          .option('verbose', { alias: 'v', type: 'boolean', describe: 'every field of every layer' })
          .option('hex', { alias: 'x', type: 'boolean', describe: 'hex dump of each frame' })
          .example('vxdecode node1-eth0.pcap', 'decode one capture')
          .example('vxdecode node1/eth0=n1.pcap node2/eth0=n2.pcap', 'two labelled captures, merged by time')
          .example('tcpdump -U -i eth0 -w - | vxdecode -', 'decode a live tcpdump as packets arrive')
          .example('vxdecode --json capture.pcapng | jq .layers', 'one JSON object per frame')
          .example('vxdecode --count node1.pcapng', 'frames per interface'),
      async (a) => {
        status = await runDecode(
          {
            files: a.files as string[],
            ifnames: a.ifnames,
            links: a.links,
            json: a.json,
            count: a.count,
            verbose: a.verbose,
            hex: a.hex,
            decode: decodeOptions(a),
          },
          out,
          stderr,
        );
      },
    )
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
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
