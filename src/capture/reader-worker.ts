/**
 * The reader thread (see reader-thread.ts): opens the inputs it is given, merges them in
 * timestamp order exactly as the main thread would (read.ts `merged`), and posts the frames
 * in packed batches: one buffer of frame bytes and one column of numbers per batch, the
 * Sources as they appear, and at the end what each input's parser found (problems, counts).
 * It stays at most CREDITS batches ahead of the main thread, so memory is bounded.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FrameRecord, type Frame, type Source } from './frame.js';
import { Input, InterfaceNames, SourceRegistry, type InputSpec } from './input.js';
import { merged } from './read.js';
import { BATCH_BYTES, BATCH_FRAMES, CREDITS, META, type InputReport, type ReaderData, type ReaderMessage } from './reader-protocol.js';
import { extract, Obs, Ports } from '../analysis/extract.js';
import { INTS, NUMS, writeSighting } from '../analysis/sighting-columns.js';

const port = parentPort!;
// started early (reader-thread.ts prestartReader): its work comes as the first message
const data: ReaderData = (workerData as ReaderData | undefined) ?? (await new Promise<ReaderData>((resolve) => port.once('message', (m: { start: ReaderData }) => resolve(m.start))));
const registry = new SourceRegistry();
const names = InterfaceNames.from(data.names);
const inputs = data.specs.map((spec: InputSpec) => new Input(spec, { registry, names, chunkSize: data.chunkSize }));
// the trace's extractor runs here too, beside the reading, when asked: the main thread then only
// rebuilds its objects (one sighting object refilled for every frame: it is only packed)
const ports = data.extract ? new Ports(data.extract) : undefined;
const sighting = new Obs(undefined as unknown as Source, 0, 0, 0, 0);

let credits = CREDITS;
let wake: (() => void) | undefined;
const onMore = (m: number): void => {
  if (typeof m !== 'number') return;
  credits += m;
  const w = wake;
  wake = undefined;
  w?.();
};
port.on('message', onMore);

let sentSources = 0;

async function post(frames: readonly Frame[], from: number, to: number, bytes: number): Promise<void> {
  const n = to - from;
  const meta = new Float64Array(n * META);
  const buf = data.bytes ? new Uint8Array(bytes) : undefined;
  let comments: [number, readonly string[]][] | undefined;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const f = frames[from + i];
    const m = i * META;
    meta[m] = f.source.id;
    meta[m + 1] = f.number;
    meta[m + 2] = f.tsSec;
    meta[m + 3] = f.tsNsec;
    meta[m + 4] = f.caplen;
    meta[m + 5] = f.len;
    meta[m + 6] = f.offset;
    meta[m + 7] = at;
    meta[m + 8] = f.noTimestamp ? 1 : 0;
    if (buf) {
      // a view that dies here: `f.bytes` would keep it on the frame, which is old by now (read a
      // chunk ahead), and so keep it alive into the old generation too
      buf.set(f instanceof FrameRecord ? f.chunk.subarray(f.start, f.start + f.caplen) : f.bytes, at);
      at += f.caplen;
    }
    if (f.comments) (comments ??= []).push([i, f.comments]);
  }
  const sources: Source[] | undefined = registry.sources.length > sentSources ? registry.sources.slice(sentSources) : undefined;
  sentSources = registry.sources.length;
  if (credits === 0) await new Promise<void>((r) => (wake = r));
  credits--;
  // how far each input has got, for progress shown while reading (the TUI's bar)
  const read = inputs.map((i) => i.parser.bytesRead);
  const msg: Extract<ReaderMessage, { kind: 'frames' }> = { kind: 'frames', meta, bytes: buf, sources, comments, read };
  const transfer: ArrayBuffer[] = buf ? [meta.buffer, buf.buffer] : [meta.buffer];
  if (ports) {
    const ints = new Int32Array(n * INTS);
    const nums = new Float64Array(n * NUMS);
    for (let i = 0; i < n; i++) writeSighting(extract(frames[from + i], ports, sighting), ints, nums, i);
    msg.sightings = { key: ports.key, ints, nums };
    transfer.push(ints.buffer, nums.buffer);
  }
  port.postMessage(msg, transfer);
}

async function run(): Promise<void> {
  if (data.prescan && ports) {
    // loaded only here: the plain reader does without the analysis modules
    const [{ prescanSkew }, { RoleOverrides }] = await Promise.all([import('../analysis/prescan.js'), import('../analysis/roles.js')]);
    const pre = await prescanSkew({ files: data.prescan.files, ports, roles: RoleOverrides.from(data.prescan.roles) }, names);
    const msg: ReaderMessage = { kind: 'skew', nodes: pre.nodes, state: pre.collector.state() };
    port.postMessage(msg);
  }
  for await (const batch of merged(inputs)) {
    // split what merged hands on into batches of bounded frames and bytes
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const c = batch[i].caplen;
      if (i > from && (i - from >= BATCH_FRAMES || bytes + c > BATCH_BYTES)) {
        await post(batch, from, i, bytes);
        from = i;
        bytes = 0;
      }
      bytes += c;
    }
    if (from < batch.length) await post(batch, from, batch.length, bytes);
  }
  const reports: InputReport[] = inputs.map((i) => ({
    error: i.parser.error,
    warnings: i.parser.warnings,
    count: i.parser.count,
    bytesRead: i.parser.bytesRead,
    format: i.parser.format,
    interfaces: i.parser.allInterfaces.map((x) => ({ source: x.source.id, stats: x.stats })),
  }));
  const sources = registry.sources.length > sentSources ? registry.sources.slice(sentSources) : undefined;
  const msg: ReaderMessage = { kind: 'end', reports, sources };
  port.postMessage(msg);
  // nothing left to wait for: let the thread end
  port.off('message', onMore);
}

run().catch((e: unknown) => {
  const msg: ReaderMessage = { kind: 'fail', message: e instanceof Error ? e.message : String(e) };
  port.postMessage(msg);
  port.off('message', onMore);
});
