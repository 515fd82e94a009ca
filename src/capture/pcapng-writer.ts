/**
 * Writes pcapng (little-endian, one section) that Wireshark and tshark open: one Interface
 * Description Block per source, named NODE/IFACE, with its link type and timestamp resolution,
 * and one Enhanced Packet Block per frame, optionally with comments.
 */
const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;

export interface WriterInterface {
  readonly name: string;
  readonly linkType: number;
  readonly snaplen?: number;
  /** 1e6 (µs) or 1e9 (ns); other resolutions are written as ns. */
  readonly tsUnitsPerSec: number;
  readonly description?: string;
}

export interface WriterPacket {
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly len: number;
  readonly bytes: Uint8Array;
  readonly comments?: readonly string[];
}

const enc = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Options area: each option code, length, value padded to 4, then opt_endofopt. */
function options(opts: [number, Uint8Array][]): Uint8Array {
  if (!opts.length) return new Uint8Array(0);
  let size = 4;
  for (const [, v] of opts) size += 4 + pad4(v.length);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (const [code, v] of opts) {
    dv.setUint16(p, code, true);
    dv.setUint16(p + 2, v.length, true);
    out.set(v, p + 4);
    p += 4 + pad4(v.length);
  }
  return out; // the final 4 zero bytes are opt_endofopt
}

function block(type: number, body: Uint8Array): Uint8Array {
  const len = 12 + body.length;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, len, true);
  out.set(body, 8);
  dv.setUint32(len - 4, len, true);
  return out;
}

export function sectionHeader(userAppl = 'vxdecode'): Uint8Array {
  const opts = options([[4, enc.encode(userAppl)]]);
  const body = new Uint8Array(16 + opts.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, 0x1a2b3c4d, true);
  dv.setUint16(4, 1, true);
  dv.setUint16(6, 0, true);
  dv.setInt32(8, -1, true); // section length unknown
  dv.setInt32(12, -1, true);
  body.set(opts, 16);
  return block(SHB, body);
}

export function interfaceDescription(i: WriterInterface): Uint8Array {
  const o: [number, Uint8Array][] = [[IF_NAME, enc.encode(i.name)]];
  if (i.description) o.push([IF_DESCRIPTION, enc.encode(i.description)]);
  o.push([IF_TSRESOL, Uint8Array.of(i.tsUnitsPerSec === 1e6 ? 6 : 9)]);
  const opts = options(o);
  const body = new Uint8Array(8 + opts.length);
  const dv = new DataView(body.buffer);
  dv.setUint16(0, i.linkType, true);
  dv.setUint32(4, i.snaplen ?? 262144, true);
  body.set(opts, 8);
  return block(IDB, body);
}

export function enhancedPacket(ifId: number, i: WriterInterface, p: WriterPacket): Uint8Array {
  const units = i.tsUnitsPerSec === 1e6 ? 1_000_000n : 1_000_000_000n;
  const frac = i.tsUnitsPerSec === 1e6 ? BigInt(Math.floor(p.tsNsec / 1000)) : BigInt(p.tsNsec);
  const ts = BigInt(p.tsSec) * units + frac;
  const opts = options((p.comments ?? []).map((c) => [OPT_COMMENT, enc.encode(c)]));
  const body = new Uint8Array(20 + pad4(p.bytes.length) + opts.length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, ifId, true);
  dv.setUint32(4, Number(ts >> 32n), true);
  dv.setUint32(8, Number(ts & 0xffffffffn), true);
  dv.setUint32(12, p.bytes.length, true);
  dv.setUint32(16, p.len, true);
  body.set(p.bytes, 20);
  body.set(opts, 20 + pad4(p.bytes.length));
  return block(EPB, body);
}

/**
 * Streams a pcapng: interfaces are declared as they are first used, so frames can be written
 * as they arrive. `write` receives each block.
 */
export class PcapngWriter {
  private readonly ids = new Map<unknown, { id: number; iface: WriterInterface }>();

  constructor(private readonly write: (block: Uint8Array) => void) {
    write(sectionHeader());
  }

  /** Write a packet of the interface identified by `key` (described by `iface` on first use). */
  packet(key: unknown, iface: WriterInterface, p: WriterPacket): void {
    let i = this.ids.get(key);
    if (!i) {
      i = { id: this.ids.size, iface };
      this.ids.set(key, i);
      this.write(interfaceDescription(iface));
    }
    this.write(enhancedPacket(i.id, i.iface, p));
  }
}
