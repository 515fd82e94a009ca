/**
 * What a capture reader hands on: one Frame per captured packet, each pointing at the Source
 * (file + interface) it came from. Frames are views over the reader's chunk buffers, never
 * copies; a chunk is never reused, so a view stays valid for as long as it is referenced.
 */

/** Link-layer header types (https://www.tcpdump.org/linktypes.html) that matter here. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_101: 101,
  LINUX_SLL: 113,
  RAW: 228,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** One interface of one input: a classic pcap file has one, a pcapng section one per IDB. */
export interface Source {
  /** Path as given on the command line, `-` for standard input. */
  readonly file: string;
  /** Node name from the label, the file name, or `--node`. */
  node: string;
  /** Interface name: label, pcapng `if_name`, `--ifnames`/`--links`, or the file name. May be ''. */
  iface: string;
  /** Interface id within its pcapng section (0 for classic pcap). */
  readonly ifId: number;
  /** pcapng section number (0-based), 0 for classic pcap. */
  readonly section: number;
  /** Link type with the FCS bits of a pcap header masked off. */
  readonly linkType: number;
  /** Bytes of frame check sequence at the end of each frame (pcap FCS bits), 0 if none. */
  readonly fcsLength: number;
  readonly snaplen: number;
  /** Timestamp resolution: units per second (1e6 for µs pcap, 1e9 for ns, 2^n for binary tsresol). */
  readonly tsUnitsPerSec: number;
  /** pcapng if_description, if_os etc. Raw text from the capture: escape before printing. */
  readonly description?: string;
  /** Index of this source in the order sources were first seen in the whole run. */
  id: number;
}

export interface Frame {
  readonly source: Source;
  /** 1-based frame number within its input (counting every packet record). */
  readonly number: number;
  /** Whole seconds since the epoch (may exceed 2^32). */
  readonly tsSec: number;
  /** Nanoseconds within the second, 0..999 999 999. */
  readonly tsNsec: number;
  /** Captured length (= bytes.length). */
  readonly caplen: number;
  /** Length on the wire. */
  readonly len: number;
  /** The captured bytes. (A FrameRecord's is a getter: `{ ...f }` does not copy it; name it.) */
  readonly bytes: Uint8Array;
  /** Byte offset of the record (pcap record header / pcapng block) in its input. */
  readonly offset: number;
  /** True for a pcapng Simple Packet Block, which carries no timestamp (ts is then 0). */
  readonly noTimestamp?: boolean;
  /** pcapng opt_comment values, raw text from the capture: escape before printing. */
  readonly comments?: readonly string[];
}

/** A timestamp as the exact JSON string "SECONDS.NANOSECONDS". */
export function formatTs(sec: number, nsec: number): string {
  const f = String(nsec);
  return `${sec}.${'000000000'.slice(f.length)}${f}`;
}

/** Difference a - b in nanoseconds (safe while |a - b| < ~104 days). */
export function tsDiffNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (aSec - bSec) * 1e9 + (aNsec - bNsec);
}

/** Compare two frames' timestamps. */
export function compareTs(a: Frame, b: Frame): number {
  return a.tsSec - b.tsSec || a.tsNsec - b.tsNsec;
}

/** Columns of extracted sightings made by the reader thread (analysis/sighting-columns.ts). */
export interface SightingColumnsRef {
  /** The extraction options they were made with (analysis Ports.key). */
  readonly key: string;
  readonly ints: Int32Array;
  readonly nums: Float64Array;
}

/**
 * Frames known only by their numbers and sightings (reader-thread.ts threadedSightings): per
 * frame META numbers (reader-protocol.ts: source id, number, tsSec, tsNsec, caplen, len, …)
 * and a row of sighting columns (analysis/sighting-columns.ts) made with the options `key`.
 */
export interface SightingBatch extends SightingColumnsRef {
  readonly meta: Float64Array;
}

/**
 * The one concrete Frame every reader builds (a fixed shape, which V8 keeps fast). The bytes
 * are a view made when first asked for: a frame that is only counted, merged or skipped costs
 * no typed-array object (readers make frames a chunk ahead of their use, so they outlive
 * V8's young generation and every object in them is copied twice).
 */
export class FrameRecord implements Frame {
  private view: Uint8Array | undefined = undefined;
  /** What the trace's extractor said about this frame, when the reader thread already ran it (analysis/sighting-columns.ts), and its row. */
  sightings: SightingColumnsRef | undefined = undefined;
  sightingRow = 0;
  constructor(
    readonly source: Source,
    readonly number: number,
    readonly tsSec: number,
    readonly tsNsec: number,
    readonly caplen: number,
    readonly len: number,
    /** The buffer holding the frame, and where in it the frame starts. */
    readonly chunk: Uint8Array,
    readonly start: number,
    readonly offset: number,
    readonly comments: readonly string[] | undefined = undefined,
    readonly noTimestamp: boolean = false,
  ) {}

  get bytes(): Uint8Array {
    return (this.view ??= this.chunk.subarray(this.start, this.start + this.caplen));
  }
}
