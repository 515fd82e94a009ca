/** What the reader thread and the main thread say to each other (reader-thread.ts). */
import type { Source } from './frame.js';
import type { InputSpec } from './input.js';
import type { CaptureProblem, Format, InterfaceStats } from './parser.js';
import type { ExtractOptions } from '../analysis/extract.js';
import type { SkewCollectorState } from '../analysis/skew.js';

/** Numbers per frame in a batch's meta column: source id, number, tsSec, tsNsec, caplen, len, offset, start of its bytes, no-timestamp flag. */
export const META = 9;
/** A batch holds at most this many frames and bytes. */
export const BATCH_FRAMES = 2048;
export const BATCH_BYTES = 4 << 20;
/**
 * Batches the reader may be ahead of the main thread: 3 left the main thread waiting 7 % of the
 * time; with extraction on the reader too, 16 instead of 8 gave trace −0.1 s (both threads stall
 * less on each other's garbage collections) for at most 16 × BATCH_BYTES in flight.
 */
export const CREDITS = 16;
/**
 * Credits are given back GRANT at a time: a message wakes the reader thread, and one per batch
 * cost the main thread ~40 µs each (50 ms of trace on the bench corpus).
 */
export const GRANT = 4;

export interface ReaderData {
  specs: InputSpec[];
  names: [string, number, string][];
  chunkSize?: number;
  /** Also run the trace's extractor on every frame, with these options (analysis/extract.ts). */
  extract?: ExtractOptions;
  /** Post the frames' bytes (false: only their sightings are used: reader-thread.ts threadedSightings). */
  bytes: boolean;
  /**
   * First make the clock-skew prescan of these input arguments (analysis/prescan.ts
   * prescanSkew, with the `extract` options and these --role overrides) and post it.
   */
  prescan?: { files: string[]; roles: [string, string][] };
}

export interface InputReport {
  error: CaptureProblem | undefined;
  warnings: CaptureProblem[];
  count: number;
  bytesRead: number;
  format: Format | undefined;
  interfaces: { source: number; stats: InterfaceStats }[];
}

export type ReaderMessage =
  | {
      kind: 'frames';
      meta: Float64Array;
      /** The frames' bytes (absent when ReaderData.bytes is false). */
      bytes?: Uint8Array;
      /** Sources first seen in this batch (in id order). */
      sources?: Source[];
      /** Comments of frames that have some: [index in batch, comments]. */
      comments?: [number, readonly string[]][];
      /** Bytes read so far from each input (in input order). */
      read: number[];
      /** With ReaderData.extract: the sightings, a row per frame (analysis/sighting-columns.ts). */
      sightings?: { key: string; ints: Int32Array; nums: Float64Array };
    }
  | { kind: 'skew'; nodes: string[]; state: SkewCollectorState }
  | { kind: 'end'; reports: InputReport[]; sources?: Source[] }
  | { kind: 'fail'; message: string };
