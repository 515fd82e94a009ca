/**
 * A push parser for classic pcap and pcapng: feed it chunks as they arrive, take the complete
 * frames it has found, and at the end ask whether the input stopped in the middle of a record.
 *
 * Frames are views over the chunks they arrived in (no copy); only a record that straddles two
 * chunks is assembled in a buffer of its own, allocated once at its validated size. Every
 * length field is checked against what can exist before anything is sized by it.
 */
import { u16, u32, u64, i64, text } from './bytes.js';
import { FrameRecord, type Frame, type Source } from './frame.js';

/** A problem with the capture file itself (not with a packet in it). */
export interface CaptureProblem {
  readonly file: string;
  /** Byte offset in the input where the problem is. */
  readonly offset: number;
  readonly message: string;
}

/** What the parser knows of an interface before the input layer names it. */
export interface InterfaceInfo {
  readonly ifId: number;
  readonly section: number;
  readonly linkType: number;
  readonly fcsLength: number;
  readonly snaplen: number;
  readonly tsUnitsPerSec: number;
  readonly ifName?: string;
  readonly description?: string;
}

/** Per-interface capture statistics from pcapng Interface Statistics Blocks. */
export interface InterfaceStats {
  received?: number;
  /** Packets the interface or the kernel dropped before the capture saw them. */
  dropped?: number;
}

/** Largest record or block accepted (Wireshark's pcapng limit; no real frame comes near it). */
export const MAX_RECORD = 16 * 1024 * 1024;
/** libpcap's largest snapshot length for most link types. */
const MAX_SNAPLEN = 262144;

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;

const enum Block {
  IDB = 1,
  PB = 2,
  SPB = 3,
  NRB = 4,
  ISB = 5,
  EPB = 6,
}

const OPT_END = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;
const ISB_IFRECV = 4;
const ISB_IFDROP = 5;

interface PcapngInterface {
  source: Source;
  info: InterfaceInfo;
  tsOffsetSec: number;
  stats: InterfaceStats;
}

export type Format = 'pcap' | 'pcapng';

export class CaptureParser {
  /** Complete frames found so far; the caller takes them (and empties the array) after feed(). */
  frames: Frame[] = [];
  /** The fatal problem that stopped parsing, if any. Frames before it were delivered. */
  error: CaptureProblem | undefined;
  /** Non-fatal problems (an option that overruns its block, a cut-off last record, ...). */
  readonly warnings: CaptureProblem[] = [];
  format: Format | undefined;
  /** Packet records seen (including ones without data). */
  count = 0;
  /** Bytes fed so far. */
  bytesRead = 0;

  // Classic pcap state.
  private pcapLe = true;
  private pcapNanos = false;
  private pcapSource: Source | undefined;
  private pcapSnaplen = 0;

  // pcapng state (per section).
  private ngLe = true;
  private section = -1;
  private interfaces: PcapngInterface[] = [];
  /** Every interface of every section, for statistics. */
  readonly allInterfaces: { source: Source; stats: InterfaceStats }[] = [];

  // A unit (header, record or block) that straddles chunks.
  private pend: Uint8Array | undefined;
  private pendLen = 0;
  private pendOffset = 0;

  constructor(
    readonly file: string,
    /** Called once per interface; the input layer names it and returns the Source frames carry. */
    private readonly makeSource: (info: InterfaceInfo) => Source,
  ) {}

  feed(chunk: Uint8Array): void {
    if (this.error) return;
    // Frames point into their chunk: a Buffer (what files and pipes give) and a Uint8Array (a
    // unit that straddles chunks, below) are two hidden classes to V8, and every decoder that
    // met both was compiled again for the second (five deoptimisations per run). Plain views only.
    if (Object.getPrototypeOf(chunk) !== Uint8Array.prototype) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const base = this.bytesRead;
    this.bytesRead += chunk.length;
    let off = 0;
    if (this.pend) {
      off = this.completePending(chunk);
      if (this.pend || this.error) return;
    }
    const stop = this.parse(chunk, off, chunk.length, base);
    if (!this.error && stop < chunk.length) {
      const rest = chunk.length - stop;
      this.pend = new Uint8Array(Math.max(rest, 64));
      this.pend.set(chunk.subarray(stop));
      this.pendLen = rest;
      this.pendOffset = base + stop;
    }
  }

  /** The input has ended: report a record cut short, or an input that was never a capture. */
  end(): void {
    if (this.error) return;
    if (this.format === undefined) {
      this.error = {
        file: this.file,
        offset: 0,
        message:
          this.bytesRead === 0
            ? 'empty input (0 bytes): not a pcap or pcapng capture'
            : `only ${this.bytesRead} bytes: too short to be a pcap or pcapng capture`,
      };
      return;
    }
    if (this.pend && this.pendLen > 0) {
      const need = this.unitLength(this.pend, 0, this.pendLen, this.pendOffset);
      if (this.error) return;
      this.warnings.push({
        file: this.file,
        offset: this.pendOffset,
        message:
          `input ends inside a ${this.unitName()}: it needs ${need} bytes, only ${this.pendLen} ` +
          `present (capture cut short?); the ${this.count} complete frames before it were read`,
      });
      this.pend = undefined;
    }
  }

  /** Append bytes from chunk to the pending unit; returns how much of chunk was used. */
  private completePending(chunk: Uint8Array): number {
    let off = 0;
    for (;;) {
      const need = this.unitLength(this.pend!, 0, this.pendLen, this.pendOffset);
      if (this.error) return off;
      if (this.pendLen >= need) {
        const unit = this.pend!;
        this.pend = undefined;
        this.unit(unit, 0, need, this.pendOffset);
        return off;
      }
      if (off === chunk.length) return off;
      if (need > this.pend!.length) {
        const grown = new Uint8Array(need);
        grown.set(this.pend!.subarray(0, this.pendLen));
        this.pend = grown;
      }
      const take = Math.min(need - this.pendLen, chunk.length - off);
      this.pend!.set(chunk.subarray(off, off + take), this.pendLen);
      this.pendLen += take;
      off += take;
    }
  }

  /** Parse complete units in b[start, end); returns where the first incomplete one starts. */
  private parse(b: Uint8Array, start: number, end: number, base: number): number {
    let o = start;
    while (o < end) {
      const need = this.unitLength(b, o, end - o, base + o);
      if (this.error || end - o < need) break;
      this.unit(b, o, need, base + o);
      if (this.error) break;
      o += need;
    }
    return o;
  }

  private unitName(): string {
    if (this.format === 'pcap') return this.pcapSource ? 'packet record' : 'pcap file header';
    return 'pcapng block';
  }

  private fail(offset: number, message: string): number {
    this.error = { file: this.file, offset, message };
    return -1;
  }

  private warn(offset: number, message: string): void {
    if (this.warnings.length < 100) this.warnings.push({ file: this.file, offset, message });
  }

  /**
   * Bytes the next unit at b[o] occupies. With fewer bytes than its header, returns the header
   * size so the caller waits for more. Validates lengths; sets this.error on a bad one.
   */
  private unitLength(b: Uint8Array, o: number, avail: number, at: number): number {
    if (this.format === undefined) {
      if (avail < 4) return 4;
      this.detect(b, o, at);
      if (this.error) return -1;
    }
    if (this.format === 'pcap') {
      if (!this.pcapSource) return PCAP_FILE_HEADER;
      if (avail < PCAP_RECORD_HEADER) return PCAP_RECORD_HEADER;
      const incl = u32(b, o + 8, this.pcapLe);
      const limit = Math.min(MAX_RECORD, Math.max(MAX_SNAPLEN, this.pcapSnaplen));
      if (incl > limit) {
        return this.fail(
          at,
          `packet record ${this.count + 1} claims a captured length of ${incl} bytes, more than ` +
            `the largest possible (${limit}): the file is corrupt`,
        );
      }
      return PCAP_RECORD_HEADER + incl;
    }
    // pcapng: a Section Header Block carries its own byte order at offset 8.
    if (avail < 8) return 8;
    const typeLe = u32(b, o, true);
    if (typeLe === PCAPNG_SHB) {
      if (avail < 12) return 12;
      const bom = u32(b, o + 8, true);
      if (bom === PCAPNG_BOM) this.ngLe = true;
      else if (bom === 0x4d3c2b1a) this.ngLe = false;
      else {
        return this.fail(
          at + 8,
          `section header block has byte-order magic 0x${bom.toString(16).padStart(8, '0')}, ` +
            `expected 0x1a2b3c4d: not a valid pcapng section`,
        );
      }
    } else if (this.section < 0) {
      return this.fail(at, 'pcapng input does not start with a Section Header Block');
    }
    const len = u32(b, o + 4, this.ngLe);
    if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
      return this.fail(
        at,
        `pcapng block (type 0x${u32(b, o, this.ngLe).toString(16)}) has total length ${len}: ` +
          (len > MAX_RECORD ? `larger than the ${MAX_RECORD}-byte limit` : 'not a multiple of 4 of at least 12'),
      );
    }
    return len;
  }

  private detect(b: Uint8Array, o: number, at: number): void {
    const magicLe = u32(b, o, true);
    const magicBe = u32(b, o, false);
    if (magicLe === PCAP_US || magicLe === PCAP_NS) {
      this.format = 'pcap';
      this.pcapLe = true;
      this.pcapNanos = magicLe === PCAP_NS;
    } else if (magicBe === PCAP_US || magicBe === PCAP_NS) {
      this.format = 'pcap';
      this.pcapLe = false;
      this.pcapNanos = magicBe === PCAP_NS;
    } else if (magicLe === PCAPNG_SHB) {
      this.format = 'pcapng';
    } else if (b[o] === 0x1f && b[o + 1] === 0x8b) {
      this.fail(at, `gzip-compressed, not a capture: decompress it first, e.g. zcat ${this.file} | vxdecode -`);
    } else if (isText(b, o, 4)) {
      this.fail(at, 'not a capture file (it looks like text); expected pcap or pcapng');
    } else {
      this.fail(
        at,
        `not a pcap or pcapng capture (magic number 0x${magicBe.toString(16).padStart(8, '0')})`,
      );
    }
  }

  /** Process one complete unit of `len` bytes at b[o]. */
  private unit(b: Uint8Array, o: number, len: number, at: number): void {
    if (this.format === 'pcap') {
      if (this.pcapSource) this.pcapRecord(b, o, len, at);
      else this.pcapHeader(b, o, at);
      return;
    }
    const trailer = u32(b, o + len - 4, this.ngLe);
    if (trailer !== len) {
      this.fail(
        at,
        `pcapng block total length in header ${len} and trailer ${trailer} don't match: the file is corrupt`,
      );
      return;
    }
    const type = u32(b, o, this.ngLe);
    switch (type) {
      case PCAPNG_SHB:
        this.sectionHeader(b, o, len, at);
        break;
      case Block.IDB:
        this.interfaceDescription(b, o, len, at);
        break;
      case Block.EPB:
        this.packetBlock(b, o, len, at, u32(b, o + 8, this.ngLe));
        break;
      case Block.PB:
        this.packetBlock(b, o, len, at, u16(b, o + 8, this.ngLe));
        break;
      case Block.SPB:
        this.simplePacket(b, o, len, at);
        break;
      case Block.ISB:
        this.interfaceStatistics(b, o, len, at);
        break;
      default:
        // Name Resolution, Custom (0xBAD / 0x40000BAD), Decryption Secrets, and blocks from a
        // newer spec: nothing here needs them, and skipping them is what the spec asks.
        break;
    }
  }

  private pcapHeader(b: Uint8Array, o: number, at: number): void {
    const le = this.pcapLe;
    const major = u16(b, o + 4, le);
    const minor = u16(b, o + 6, le);
    if (major !== 2 || minor > 4) {
      this.fail(at + 4, `unsupported pcap version ${major}.${minor} (only 2.0 to 2.4 exist)`);
      return;
    }
    const snaplen = u32(b, o + 16, le);
    const network = u32(b, o + 20, le);
    // libpcap's layout of this field: link type in the low 16 bits, bits 16-25 reserved (must
    // be zero), FCS length in the top 4 bits, valid only if bit 26 is set.
    if (network & 0x03ff0000) {
      this.fail(
        at + 20,
        `link type field 0x${network.toString(16).padStart(8, '0')} has reserved bits set: the file is corrupt`,
      );
      return;
    }
    const fcsLength = network & 0x04000000 ? ((network >>> 28) & 0xf) * 2 : 0;
    this.pcapSnaplen = snaplen;
    this.pcapSource = this.makeSource({
      ifId: 0,
      section: 0,
      linkType: network & 0xffff,
      fcsLength,
      snaplen,
      tsUnitsPerSec: this.pcapNanos ? 1e9 : 1e6,
    });
    this.allInterfaces.push({ source: this.pcapSource, stats: {} });
  }

  private pcapRecord(b: Uint8Array, o: number, len: number, at: number): void {
    const le = this.pcapLe;
    let sec = u32(b, o, le);
    const frac = u32(b, o + 4, le);
    let nsec = this.pcapNanos ? frac : frac * 1000;
    // A fraction of a second or more is invalid; carry it into the seconds rather than print
    // a timestamp that is not a time.
    if (nsec >= 1e9) {
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    const caplen = len - PCAP_RECORD_HEADER;
    const wire = u32(b, o + 12, le);
    this.count++;
    this.frames.push(
      new FrameRecord(
        this.pcapSource!,
        this.count,
        sec,
        nsec,
        caplen,
        wire,
        b,
        o + PCAP_RECORD_HEADER,
        at,
        undefined,
        false,
      ),
    );
  }

  /** Walk pcapng options in b[start, end); stops (with a warning) at one that overruns. */
  private options(
    b: Uint8Array,
    start: number,
    end: number,
    at: number,
    visit: (code: number, vo: number, vlen: number) => void,
  ): void {
    let p = start;
    while (p + 4 <= end) {
      const code = u16(b, p, this.ngLe);
      const vlen = u16(b, p + 2, this.ngLe);
      if (code === OPT_END) return;
      if (p + 4 + vlen > end) {
        this.warn(
          at + (p - start),
          `pcapng option ${code} claims ${vlen} bytes, more than its block holds; ignoring the rest of the block's options`,
        );
        return;
      }
      visit(code, p + 4, vlen);
      p += 4 + ((vlen + 3) & ~3);
    }
  }

  private sectionHeader(b: Uint8Array, o: number, len: number, at: number): void {
    const le = this.ngLe;
    if (len < 28) {
      this.fail(at, `section header block is ${len} bytes, shorter than the 28 it needs`);
      return;
    }
    const major = u16(b, o + 12, le);
    const minor = u16(b, o + 14, le);
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.fail(at + 12, `unsupported pcapng version ${major}.${minor} in section header (expected 1.0)`);
      return;
    }
    this.section++;
    this.interfaces = [];
  }

  private interfaceDescription(b: Uint8Array, o: number, len: number, at: number): void {
    const le = this.ngLe;
    if (len < 20) {
      this.fail(at, `interface description block is ${len} bytes, shorter than the 20 it needs`);
      return;
    }
    const linkType = u16(b, o + 8, le);
    const snaplen = u32(b, o + 12, le);
    let tsUnitsPerSec = 1e6;
    let tsOffsetSec = 0;
    let fcsLength = 0;
    let ifName: string | undefined;
    let description: string | undefined;
    this.options(b, o + 16, o + len - 4, at + 16, (code, vo, vlen) => {
      if (code === IF_NAME) ifName = text(b, vo, vo + vlen);
      else if (code === IF_DESCRIPTION) description = text(b, vo, vo + vlen);
      else if (code === IF_TSRESOL && vlen >= 1) {
        const r = b[vo];
        const exp = r & 0x7f;
        // Beyond 2^-63 or 10^-18 no clock exists; treat as corrupt rather than overflow.
        if ((r & 0x80 ? exp > 63 : exp > 18)) {
          this.warn(at, `if_tsresol 0x${r.toString(16)} is beyond any real clock; assuming microseconds`);
        } else tsUnitsPerSec = r & 0x80 ? 2 ** exp : 10 ** exp;
      } else if (code === IF_TSOFFSET && vlen >= 8) tsOffsetSec = i64(b, vo, le);
      else if (code === IF_FCSLEN && vlen >= 1) fcsLength = b[vo];
    });
    const info: InterfaceInfo = {
      ifId: this.interfaces.length,
      section: this.section,
      linkType,
      fcsLength,
      snaplen,
      tsUnitsPerSec,
      ifName,
      description,
    };
    const source = this.makeSource(info);
    const stats: InterfaceStats = {};
    this.interfaces.push({ source, info, tsOffsetSec, stats });
    this.allInterfaces.push({ source, stats });
  }

  private iface(id: number, at: number, what: string): PcapngInterface | undefined {
    const i = this.interfaces[id];
    if (!i) {
      this.fail(
        at,
        `${what} refers to interface ${id}, but section ${this.section} describes only ${this.interfaces.length}`,
      );
    }
    return i;
  }

  /** Enhanced (EPB) and obsolete (PB) packet blocks share the layout from offset 12 on. */
  private packetBlock(b: Uint8Array, o: number, len: number, at: number, ifId: number): void {
    const le = this.ngLe;
    const dataOff = 28;
    if (len < dataOff + 4) {
      this.fail(at, `packet block is ${len} bytes, shorter than the ${dataOff + 4} its header needs`);
      return;
    }
    const i = this.iface(ifId, at + 8, 'packet block');
    if (!i) return;
    const caplen = u32(b, o + 20, le);
    const wire = u32(b, o + 24, le);
    if (dataOff + caplen > len - 4) {
      this.fail(
        at + 20,
        `packet block claims ${caplen} captured bytes but holds only ${len - 4 - dataOff}: the file is corrupt`,
      );
      return;
    }
    let comments: string[] | undefined;
    const optStart = dataOff + ((caplen + 3) & ~3);
    if (optStart < len - 4) {
      this.options(b, o + optStart, o + len - 4, at + optStart, (code, vo, vlen) => {
        if (code === OPT_COMMENT) (comments ??= []).push(text(b, vo, vo + vlen));
      });
    }
    this.count++;
    const [sec, nsec] = this.timestamp(b, o + 12, i);
    this.frames.push(
      new FrameRecord(
        i.source,
        this.count,
        sec,
        nsec,
        caplen,
        wire,
        b,
        o + dataOff,
        at,
        comments,
        false,
      ),
    );
  }

  private simplePacket(b: Uint8Array, o: number, len: number, at: number): void {
    if (len < 16) {
      this.fail(at, `simple packet block is ${len} bytes, shorter than the 16 it needs`);
      return;
    }
    const i = this.iface(0, at, 'simple packet block');
    if (!i) return;
    const wire = u32(b, o + 8, this.ngLe);
    let caplen = Math.min(wire, len - 16);
    if (i.info.snaplen > 0) caplen = Math.min(caplen, i.info.snaplen);
    this.count++;
    // A Simple Packet Block has no timestamp; the frame says so rather than invent one.
    this.frames.push(
      new FrameRecord(i.source, this.count, 0, 0, caplen, wire, b, o + 12, at, undefined, true),
    );
  }

  private interfaceStatistics(b: Uint8Array, o: number, len: number, at: number): void {
    if (len < 24) {
      this.fail(at, `interface statistics block is ${len} bytes, shorter than the 24 it needs`);
      return;
    }
    const i = this.iface(u32(b, o + 8, this.ngLe), at + 8, 'interface statistics block');
    if (!i) return;
    this.options(b, o + 20, o + len - 4, at + 20, (code, vo, vlen) => {
      if (vlen < 8) return;
      const v = u64(b, vo, this.ngLe);
      if (code === ISB_IFRECV) i.stats.received = Number(v);
      else if (code === ISB_IFDROP) i.stats.dropped = Number(v);
    });
  }

  /** pcapng 64-bit timestamp in the interface's units → [seconds, nanoseconds]. */
  private timestamp(b: Uint8Array, o: number, i: PcapngInterface): [number, number] {
    const le = this.ngLe;
    const hi = u32(b, o, le);
    const lo = u32(b, o + 4, le);
    const ups = i.info.tsUnitsPerSec;
    if (hi < 0x200000 && ups <= 1e9 && 1e9 % ups === 0) {
      // The common case (µs or ns, decimal): exact in doubles.
      const t = hi * 4294967296 + lo;
      const sec = Math.floor(t / ups);
      return [sec + i.tsOffsetSec, (t - sec * ups) * (1e9 / ups)];
    }
    const t = (BigInt(hi) << 32n) | BigInt(lo);
    const u = BigInt(ups);
    const sec = t / u;
    const nsec = ((t - sec * u) * 1_000_000_000n) / u;
    return [Number(sec) + i.tsOffsetSec, Number(nsec)];
  }
}

function isText(b: Uint8Array, o: number, n: number): boolean {
  for (let k = o; k < o + n; k++) {
    const c = b[k];
    if (!(c === 9 || c === 10 || c === 13 || (c >= 0x20 && c < 0x7f))) return false;
  }
  return true;
}
