/**
 * `vxdecode merge -w OUT.pcapng FILE...`: every frame of every input, in timestamp order, in one
 * pcapng with one interface block per source named NODE/IFACE (mergecap keeps only the
 * interface names the files had; classic pcap files have none). Inputs may be pipes.
 */
import { mergeInputs } from '../capture/live-merge.js';
import { sourceLabel, UsageError } from '../capture/input.js';
import { dissect, type DecodeOptions } from '../decoders/index.js';
import type { Packet } from '../decoders/layer.js';
import { escapeText } from './escape.js';
import { openInputs, reportInputs, type InputOptions } from './inputs.js';
import { onInterrupt, summaryLines } from './signals.js';
import { PcapngFile } from './write.js';

export interface MergeArgs extends InputOptions {
  /** Output file (required). */
  write?: string;
  /** Display filter (-Y): only the frames it keeps are written. */
  filter?: (p: Packet) => boolean;
  decode?: DecodeOptions;
  /** Print a per-interface summary on standard error. */
  quiet?: boolean;
}

export async function runMerge(a: MergeArgs, stderr: (l: string) => void): Promise<number> {
  if (!a.write) throw new UsageError('merge needs -w OUT.pcapng');
  if (a.write === '-') throw new UsageError('merge writes a file: -w OUT.pcapng (not standard output)');
  const opened = openInputs(a, stderr);
  const file = PcapngFile.open(a.write, { inputs: opened.inputs.map((i) => i.spec.path) });
  const intr = onInterrupt(stderr);
  const perSource = new Map<number, number>();
  const stream = mergeInputs(opened.inputs, { signal: intr.signal });
  try {
    for await (const batch of stream) {
      for (const f of batch) {
        if (a.filter && !a.filter(dissect(f, a.decode))) continue;
        file.frame(f);
        perSource.set(f.source.id, (perSource.get(f.source.id) ?? 0) + 1);
      }
      await file.drain();
      if (file.failure) break;
    }
  } finally {
    await stream.return(undefined);
    intr.dispose();
  }
  const err = await file.close();
  let status = reportInputs(opened, stderr) ? 1 : 0;
  if (err) {
    stderr(file.failureLine()!);
    status = 1;
  }
  if (!a.quiet || intr.interrupted) {
    const rows = opened.registry.sources
      .filter((s) => perSource.has(s.id))
      .map((s) => ({ label: sourceLabel(s), frames: perSource.get(s.id)! }));
    const head = `${intr.interrupted ? `interrupted (${intr.received}); ` : ''}wrote ${escapeText(a.write)}`;
    for (const l of summaryLines(head, rows)) stderr(l);
  }
  return status;
}
