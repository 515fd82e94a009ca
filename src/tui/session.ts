/**
 * One TUI session: the frame store filled from the inputs as they are read, the state store
 * and its reducer, the background work (display filter scan, trace engine), and the lazily
 * decoded packets the panes show. Components read from it; keys turn into actions on its store.
 *
 * Responsiveness: reading, filtering and analysis all run in slices of a few milliseconds with
 * a return to the event loop in between, so a key press waits at most one slice. Updates to the
 * state are coalesced (at most one per UPDATE_MS) so that a fast reader does not re-render per
 * batch.
 */
import type { Frame, Source } from '../capture/frame.js';
import { dissect, type DecodeOptions } from '../decoders/index.js';
import type { Packet } from '../decoders/layer.js';
import { packetLine } from '../cli/packet-text.js';
import { escapeText } from '../cli/escape.js';
import { whereText } from './format.js';
import { Analysis, yieldToLoop, type AnalysisSettings } from './analysis.js';
import { initialState, reducer, type Action, type FilterState, type Size, type State, type View } from './state.js';
import { FrameStore, StateStore } from './store.js';

const UPDATE_MS = 40;
const SLICE_MS = 8;
const CACHE = 4096;

export interface SessionOptions {
  readonly size: Size;
  readonly decode?: DecodeOptions;
  /** Trace engine settings; without them there is no timeline, flows or findings. */
  readonly analysis?: AnalysisSettings;
  /** Reading a stream (stdin/live): live counter, follow the tail. */
  readonly stream?: boolean;
  /** Total bytes of the input files, for the progress bar. */
  readonly fileSize?: number;
  readonly inputs?: number;
  /** Every Source seen so far (the registry's list), for the trace engine. */
  readonly sources?: () => readonly Source[];
  /** One-line summary of a packet (default: the decode command's). */
  readonly summary?: (p: Packet) => string;
  readonly view?: View;
}

/** Resolves waiters when something they may wait for happened. */
class Wakeup {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

export class Session {
  readonly frames = new FrameStore();
  readonly store: StateStore<State, Action>;
  readonly analysis: Analysis | undefined;
  private readonly packets = new Map<number, Packet>();
  private readonly lines = new Map<number, string>();
  private readonly decode: DecodeOptions;
  private readonly summary: (p: Packet) => string;
  private readonly wakeup = new Wakeup();
  private loaded = false;
  private stopped = false;
  private bytesRead: () => number = () => 0;
  private timer: NodeJS.Timeout | undefined;
  private analysisTask: Promise<void> | undefined;
  private loadTask: Promise<void> | undefined;
  /** Filter generation being scanned and how far. */
  private scan: { gen: number; scanned: number } = { gen: -1, scanned: 0 };
  private problems: string[] = [];

  constructor(readonly options: SessionOptions) {
    this.decode = options.decode ?? {};
    this.summary = options.summary ?? packetLine;
    this.store = new StateStore(
      reducer,
      initialState({
        frames: this.frames,
        size: options.size,
        stream: options.stream,
        inputs: options.inputs,
        fileSize: options.fileSize,
        view: options.view,
      }),
    );
    this.analysis = options.analysis ? new Analysis(this.frames, options.analysis, options.sources ?? (() => [])) : undefined;
    // a new filter wakes the scanner
    let filter: FilterState | undefined;
    this.store.subscribe(() => {
      const f = this.store.getState().filter;
      if (f !== filter) {
        const gen = filter?.gen;
        filter = f;
        if (f?.gen !== gen) this.wakeup.wake();
      }
    });
  }

  get state(): State {
    return this.store.getState();
  }

  readonly dispatch = (a: Action): void => this.store.dispatch(a);

  /** The decoded packet of frame `i` (cached: only what is on screen is decoded). */
  packet(i: number): Packet {
    let p = this.packets.get(i);
    if (p) return p;
    p = dissect(this.frames.get(i), this.decode);
    if (this.packets.size >= CACHE) this.packets.delete(this.packets.keys().next().value as number);
    this.packets.set(i, p);
    return p;
  }

  /** The one-line summary of frame `i`, escaped. */
  line(i: number): string {
    let s = this.lines.get(i);
    if (s !== undefined) return s;
    try {
      s = compactSummary(escapeSummary(this.summary(this.packet(i))));
    } catch (e) {
      s = `(cannot summarise: ${escapeText((e as Error).message ?? String(e))})`;
    }
    if (this.lines.size >= CACHE) this.lines.delete(this.lines.keys().next().value as number);
    this.lines.set(i, s);
    return s;
  }

  frame(i: number): Frame {
    return this.frames.get(i);
  }

  /** Width of the node/interface column: the longest label of any input (else of the rows shown), 8–28. */
  whereWidth(from: number, to: number, frameOf: (row: number) => number): number {
    let w = 0;
    const sources = this.options.sources?.() ?? [];
    if (sources.length) for (const s of sources) w = Math.max(w, escapeText(s.iface ? `${s.node}/${s.iface}` : s.node).length);
    else for (let r = from; r < to; r++) w = Math.max(w, whereText(this.frames.get(frameOf(r))).length);
    return Math.max(8, Math.min(28, w));
  }

  /**
   * Start reading `batches` and the filter scanner, and (unless `deferAnalysis`) the analysis;
   * a deferred analysis starts with startAnalysis().
   */
  start(batches: AsyncIterable<Frame[]>, bytesRead: () => number = () => 0, problems: () => string[] = () => [], deferAnalysis = false): void {
    this.bytesRead = bytesRead;
    this.loadTask = this.load(batches, problems);
    void this.filterLoop();
    if (!deferAnalysis) this.startAnalysis();
  }

  /** Start the trace engine over the frames (once). */
  startAnalysis(): void {
    if (!this.analysis || this.analysisTask) return;
    this.analysisTask = this.analysis.run(
      () => this.loaded,
      () => this.wakeup.wait(),
      () => this.schedule(),
      () => this.stopped,
    );
  }

  /** Stop all background work (on quit); reading stops at the next batch. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeup.wake();
  }

  /** Resolves when reading, filtering and analysis have all finished (tests). */
  async idle(): Promise<void> {
    await this.loadTask;
    await this.analysisTask;
    for (;;) {
      const f = this.state.filter;
      if (!f || (this.scan.gen === f.gen && this.scan.scanned >= this.frames.length)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    this.flush();
  }

  private async load(batches: AsyncIterable<Frame[]>, problems: () => string[]): Promise<void> {
    try {
      for await (const batch of batches) {
        this.frames.append(batch);
        this.wakeup.wake();
        this.schedule();
        if (this.stopped) break;
        // give keys, the filter and the analysis a turn between batches
        await yieldToLoop();
        if (this.stopped) break;
      }
    } catch (e) {
      this.problems.push(`reading stopped: ${escapeText((e as Error).message ?? String(e))}`);
    }
    this.problems.push(...problems());
    this.loaded = true;
    this.wakeup.wake();
    this.flush();
  }

  private async filterLoop(): Promise<void> {
    while (!this.stopped) {
      const f = this.state.filter;
      if (!f) {
        await this.wakeup.wait();
        continue;
      }
      if (this.scan.gen !== f.gen) this.scan = { gen: f.gen, scanned: 0 };
      if (this.scan.scanned >= this.frames.length) {
        this.schedule();
        await this.wakeup.wait();
        continue;
      }
      const until = performance.now() + SLICE_MS;
      let n = 0;
      const scan = this.scan;
      while (scan.scanned < this.frames.length) {
        const i = scan.scanned;
        const p = this.packets.get(i) ?? dissect(this.frames.get(i), this.decode);
        let ok = false;
        try {
          ok = f.predicate(p);
        } catch {
          ok = false;
        }
        if (ok) f.rows.push(i);
        scan.scanned++;
        if ((++n & 127) === 0 && performance.now() > until) break;
      }
      this.schedule();
      await yieldToLoop();
    }
  }

  /** Coalesce progress into one state update every UPDATE_MS. */
  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, UPDATE_MS);
  }

  /** Hand every counter to the state now. */
  flush(): void {
    const d = this.dispatch;
    d({ type: 'frames', total: this.frames.length });
    const load = this.state.load;
    const bytes = this.bytesRead();
    if (bytes !== load.bytes || this.loaded !== load.done || this.problems.length !== load.problems.length) {
      d({ type: 'load', load: { bytes, done: this.loaded, problems: [...this.problems] } });
    }
    const f = this.state.filter;
    if (f && this.scan.gen === f.gen) d({ type: 'filterProgress', gen: f.gen, matched: f.rows.length, scanned: this.scan.scanned });
    const a = this.analysis;
    if (a) {
      const s = this.state.analysis;
      const flows = a.done ? a.flows().length : s.flows;
      if (s.analyzed !== a.analyzed || s.traced !== a.traces.length || s.done !== a.done || s.findings !== a.findings.length || s.error !== a.error || s.flows !== flows || s.findingsNote !== a.findingsNote) {
        d({
          type: 'analysis',
          analysis: { analyzed: a.analyzed, traced: a.traces.length, done: a.done, findings: a.findings.length, findingsNote: a.findingsNote, error: a.error, flows },
        });
      }
    }
  }
}

const MACS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5} > [0-9a-f]{2}(?::[0-9a-f]{2}){5}(?:, |$)/;

/**
 * The list row's summary: the decode command's line without the Ethernet addresses of each
 * level (the layer tree has them), so that the outer and inner packets fit on one row.
 */
export function compactSummary(s: string): string {
  return s
    .split(' | ')
    .map((level) => level.replace(MACS, '') || level)
    .join(' | ');
}

/** A summary made by the decoders holds addresses and numbers; control characters never pass. */
function escapeSummary(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(s) ? escapeText(s) : s;
}
