/**
 * What `extract` says about each frame, packed into two typed-array columns, so that the reader
 * thread can extract while it reads and the main thread only rebuilds the objects: parsing the
 * headers and hashing the payload move to the second core (capture/reader-worker.ts writes
 * these columns; TraceEngine.push reads them when the frame carries them).
 *
 * A row per frame: INTS 32-bit numbers and NUMS doubles (48-bit MACs and unsigned 32-bit
 * addresses). Obs fields that are already packed words (extract.ts) are copied as they are.
 */
import type { Frame, Source } from '../capture/frame.js';
import { ArpObs, Obs, Outer, Quoted } from './extract.js';

export const INTS = 36;
export const NUMS = 6;

const KIND_NONE = 0;
const KIND_IP = 1;
const KIND_ARP = 2;

/** A batch's columns and the extraction options they were made with (Ports.key). */
export class SightingColumns {
  constructor(
    readonly key: string,
    readonly ints: Int32Array,
    readonly nums: Float64Array,
  ) {}
}

/** Write what extract returned for one frame into row `r`. */
export function writeSighting(x: Obs | ArpObs | undefined, ints: Int32Array, nums: Float64Array, r: number): void {
  const i = r * INTS;
  const n = r * NUMS;
  if (!x) {
    ints[i] = KIND_NONE;
    return;
  }
  if (x.kind === 2) {
    ints[i] = KIND_ARP;
    ints[i + 1] = x.pktType;
    ints[i + 2] = x.op;
    ints[i + 3] = x.encap ? 1 : 0;
    nums[n] = x.macSrc;
    nums[n + 1] = x.macDst;
    nums[n + 2] = x.sha;
    nums[n + 3] = x.tha;
    nums[n + 4] = x.spa;
    nums[n + 5] = x.tpa;
    return;
  }
  ints[i] = KIND_IP;
  ints[i + 1] = x.pktType;
  ints[i + 2] = x.src32;
  ints[i + 3] = x.dst32;
  ints[i + 4] = x.bits;
  ints[i + 5] = x.idFrag;
  ints[i + 6] = x.l4bits;
  ints[i + 7] = x.sport;
  ints[i + 8] = x.dport;
  ints[i + 9] = x.l4a;
  ints[i + 10] = x.l4b;
  ints[i + 11] = x.ipLen;
  ints[i + 12] = x.l4len;
  ints[i + 13] = x.hash;
  nums[n] = x.macSrc;
  nums[n + 1] = x.macDst;
  const o = x.out;
  ints[i + 14] = o ? 1 : 0;
  if (o) {
    ints[i + 15] = o.src32;
    ints[i + 16] = o.dst32;
    ints[i + 17] = o.sport;
    ints[i + 18] = o.dport;
    ints[i + 19] = o.ttl;
    ints[i + 20] = o.id;
    ints[i + 21] = o.len;
    ints[i + 22] = o.df ? 1 : 0;
    ints[i + 23] = o.vni;
    ints[i + 24] = o.flags;
    ints[i + 25] = o.reserved ? 1 : 0;
    ints[i + 26] = o.heuristic ? 1 : 0;
    ints[i + 27] = o.udpCk;
    ints[i + 28] = o.ipCk;
    ints[i + 29] = o.depth;
    nums[n + 2] = o.macSrc;
    nums[n + 3] = o.macDst;
  }
  const q = x.q;
  ints[i + 30] = q ? 1 : 0;
  if (q) {
    ints[i + 31] = q.proto;
    ints[i + 32] = q.id;
    ints[i + 33] = q.sport;
    ints[i + 34] = q.dport;
    ints[i + 35] = q.mtu;
    nums[n + 4] = q.src;
    nums[n + 5] = q.dst;
  }
}

/** Rebuild what extract would return for frame `f` from row `r` (the frame gives its identity and time). */
export function readSighting(f: Frame, ints: Int32Array, nums: Float64Array, r: number): Obs | ArpObs | undefined {
  return readRow(f.source, f.number, f.tsSec, f.tsNsec, f.len, ints, nums, r);
}

/**
 * Refill `x` (the engine's scratch sighting) from row `r`, when the row is an IPv4 sighting;
 * returns false for the other kinds (nothing, or ARP: read those with readSighting).
 */
export function fillRow(x: Obs, f: Frame, ints: Int32Array, nums: Float64Array, r: number): boolean {
  return fillRowOf(x, f.source, f.number, f.tsSec, f.tsNsec, f.len, ints, nums, r);
}

/** The same, given the frame's source, number, timestamp and length on the wire. */
export function fillRowOf(x: Obs, source: Source, frame: number, sec: number, nsec: number, wireLen: number, ints: Int32Array, nums: Float64Array, r: number): boolean {
  if (ints[r * INTS] !== KIND_IP) return false;
  x.reset(source, frame, sec, nsec, wireLen);
  fillIp(x, ints, nums, r, scratchOuter);
  return true;
}

/** Refill `x`, a sighting of no one's (not the scratch one), from IPv4 row r: its outer header its own. */
export function refillRow(x: Obs, source: Source, frame: number, sec: number, nsec: number, wireLen: number, ints: Int32Array, nums: Float64Array, r: number): Obs {
  x.reset(source, frame, sec, nsec, wireLen);
  return fillIp(x, ints, nums, r);
}

/** An IPv4 sighting's fields from row r (its Outer refilled into `outer` when given). */
function fillIp(x: Obs, ints: Int32Array, nums: Float64Array, r: number, outer?: Outer): Obs {
  const i = r * INTS;
  const n = r * NUMS;
  x.macSrc = nums[n];
  x.macDst = nums[n + 1];
  x.pktType = ints[i + 1];
  x.src32 = ints[i + 2];
  x.dst32 = ints[i + 3];
  x.bits = ints[i + 4];
  x.idFrag = ints[i + 5];
  x.l4bits = ints[i + 6];
  x.sport = ints[i + 7];
  x.dport = ints[i + 8];
  x.l4a = ints[i + 9];
  x.l4b = ints[i + 10];
  x.ipLen = ints[i + 11];
  x.l4len = ints[i + 12];
  x.hash = ints[i + 13];
  x.out = ints[i + 14] !== 0 ? readOuter(ints, nums, i, n, outer) : undefined;
  x.q = ints[i + 30] !== 0 ? readQuoted(ints, nums, i, n) : undefined;
  return x;
}

/** The same, given the frame's source, number, timestamp and length on the wire. */
export function readRow(
  source: Source,
  frame: number,
  sec: number,
  nsec: number,
  wireLen: number,
  ints: Int32Array,
  nums: Float64Array,
  r: number,
): Obs | ArpObs | undefined {
  const i = r * INTS;
  const n = r * NUMS;
  const kind = ints[i];
  if (kind === KIND_NONE) return undefined;
  if (kind === KIND_ARP) {
    const a = new ArpObs(source, frame, sec, nsec, ints[i + 2], nums[n + 2], nums[n + 4], nums[n + 3], nums[n + 5]);
    a.pktType = ints[i + 1];
    a.encap = ints[i + 3] !== 0;
    a.macSrc = nums[n];
    a.macDst = nums[n + 1];
    return a;
  }
  return fillIp(new Obs(source, frame, sec, nsec, wireLen), ints, nums, r);
}

/** The scratch sighting's Outer (fillRow), refilled like it: `keep()` copies both. */
const scratchOuter = new Outer();

function readOuter(ints: Int32Array, nums: Float64Array, i: number, n: number, into?: Outer): Outer {
  const o = into ?? new Outer();
  o.src32 = ints[i + 15];
  o.dst32 = ints[i + 16];
  o.sport = ints[i + 17];
  o.dport = ints[i + 18];
  o.ttl = ints[i + 19];
  o.id = ints[i + 20];
  o.len = ints[i + 21];
  o.df = ints[i + 22] !== 0;
  o.vni = ints[i + 23];
  o.flags = ints[i + 24];
  o.reserved = ints[i + 25] !== 0;
  o.heuristic = ints[i + 26] !== 0;
  o.udpCk = ints[i + 27];
  o.ipCk = ints[i + 28];
  o.depth = ints[i + 29];
  o.macSrc = nums[n + 2];
  o.macDst = nums[n + 3];
  return o;
}

function readQuoted(ints: Int32Array, nums: Float64Array, i: number, n: number): Quoted {
  const q = new Quoted();
  q.proto = ints[i + 31];
  q.id = ints[i + 32];
  q.sport = ints[i + 33];
  q.dport = ints[i + 34];
  q.mtu = ints[i + 35];
  q.src = nums[n + 4];
  q.dst = nums[n + 5];
  return q;
}
