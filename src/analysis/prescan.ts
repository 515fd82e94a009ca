/**
 * The clock-skew prescan: before the main pass over files, their underlay frames are read once
 * to estimate each node's clock offset (skew.ts), stopping once every node pair is well
 * measured. Also the sampler a stream's prefix is estimated with (driver.ts). Kept apart from
 * the engine so that the reader thread, which may run the prescan, loads only this.
 */
import { LinkType, type Frame, type Source } from '../capture/frame.js';
import { Input, InterfaceNames, SourceRegistry, parseInputArg } from '../capture/input.js';
import { merged } from '../capture/read.js';
import { extract, ENC_NONE, Obs, type Ports } from './extract.js';
import { roleFromName, type Role, type RoleOverrides } from './roles.js';
import { SkewCollector } from './skew.js';

/** What a prescan needs: the input arguments, the extractor's options, the --role overrides. */
export interface PrescanSettings {
  readonly files: readonly string[];
  readonly ports: Ports;
  readonly roles?: RoleOverrides;
}

/** What a prescan found: the samples, and the nodes of the captures it read. */
export interface Prescan {
  collector: SkewCollector;
  nodes: string[];
}

/** Frames a prescan reads at most (those it samples: interfaces that may be underlays). */
const PRESCAN_FRAMES = 4_000_000;

/**
 * A skew estimator fed from a stream: every node, and the frames that are worth it, until it
 * has enough (`done`). Where it stops depends only on the frames it was given, one by one, not
 * on how reading cut them into batches (chunk sizes, a merge's hand-overs).
 */
export class SkewSampler {
  readonly collector = new SkewCollector();
  /** Every node pair is well measured (SkewCollector.enough), or PRESCAN_FRAMES were sampled. */
  done = false;
  private frames = 0;
  private base = -1;
  /** Each source's role by name or --role (null: none), by source id: looked up once. */
  private readonly roleOf: (Role | null)[] = [];
  /** The sighting extract refills (the collector copies what it keeps). */
  private readonly scratch = new Obs(undefined as unknown as Source, 0, 0, 0, 0);

  constructor(
    private readonly ports: Ports,
    private readonly roles: RoleOverrides | undefined,
  ) {
    this.scratch.scratch = true;
  }

  /** Tunnelled frames (necessarily on an underlay), or frames on an underlay by name. */
  add(f: Frame): void {
    if (this.done) return;
    if (this.base < 0) this.base = f.tsSec;
    const s = f.source;
    let r = this.roleOf[s.id];
    if (r === undefined) {
      this.collector.noteNode(s.node);
      r = this.roleOf[s.id] = this.roles?.get(s.node, s.iface) ?? roleFromName(s.iface) ?? null;
    }
    if (r !== null && r !== 'underlay') return;
    if (++this.frames >= PRESCAN_FRAMES) this.done = true;
    const x = extract(f, this.ports, this.scratch);
    if (!x || x.kind !== 1) return;
    if (x.enc === ENC_NONE && r !== 'underlay') return;
    const c = this.collector;
    const before = c.samples;
    c.add(x, (f.tsSec - this.base) * 1e9 + f.tsNsec);
    if (c.samples !== before && c.enough()) this.done = true;
  }
}

/** The nodes of the sources read so far (what a prescan reports). */
function nodesOf(sources: readonly Source[]): string[] {
  const nodes: string[] = [];
  for (const s of sources) if (!nodes.includes(s.node)) nodes.push(s.node);
  return nodes;
}

/** First pass over files (opened again): underlay frames only, stopping once every node pair is well measured. */
export async function prescanSkew(o: PrescanSettings, names: InterfaceNames): Promise<Prescan> {
  const registry = new SourceRegistry();
  const inputs: Input[] = [];
  for (const arg of o.files) {
    const spec = parseInputArg(arg);
    if (Input.check(spec)) continue;
    inputs.push(new Input(spec, { registry, names }));
  }
  const sampler = new SkewSampler(o.ports, o.roles);
  const stream = merged(inputs.map((input) => ({ batches: () => underlayBatches(input, o.roles) })));
  try {
    for await (const batch of stream) {
      for (let i = 0; i < batch.length && !sampler.done; i++) sampler.add(batch[i]);
      if (sampler.done) break;
    }
  } finally {
    await stream.return(undefined);
  }
  return { collector: sampler.collector, nodes: nodesOf(registry.sources) };
}

/**
 * An input's batches for the prescan, which samples only underlays: a classic pcap holds one
 * interface, so once its name (or --role) says it is a pod, veth, bridge or VTEP it is not read
 * further. (A pcapng may hold several interfaces, an SLL2 capture all of a node's: read whole.)
 */
async function* underlayBatches(input: Input, roles: RoleOverrides | undefined): AsyncGenerator<Frame[]> {
  for await (const batch of input.batches()) {
    const s = batch[0].source;
    if (input.parser.format === 'pcap' && s.linkType !== LinkType.LINUX_SLL2 && s.linkType !== LinkType.LINUX_SLL) {
      const r = roles?.get(s.node, s.iface) ?? roleFromName(s.iface);
      if (r !== undefined && r !== 'underlay') return;
    }
    yield batch;
  }
}

