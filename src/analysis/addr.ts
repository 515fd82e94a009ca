/**
 * Addresses as numbers on the hot path, as text only when printed: an IPv4 address is an
 * unsigned 32-bit number, a MAC address a 48-bit integer (exact in a double), -1 when unknown.
 */

/** 10.10.1.5 */
export function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** '10.10.1.5' → number, or undefined when not a dotted quad. */
export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 6 bytes at `o` as a 48-bit integer. */
export function macAt(b: Uint8Array, o: number): number {
  return ((b[o] << 8) | b[o + 1]) * 0x100000000 + (((b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) >>> 0);
}

/** a6:97:ac:c3:8a:6f ('' when unknown). */
export function macText(m: number): string {
  if (m < 0) return '';
  const hi = Math.floor(m / 0x100000000);
  const lo = m >>> 0;
  return `${HEX[hi >>> 8]}:${HEX[hi & 255]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 255]}:${HEX[(lo >>> 8) & 255]}:${HEX[lo & 255]}`;
}

export function parseMac(s: string): number | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s.trim());
  if (!m) return undefined;
  const b = Uint8Array.from(m.slice(1).map((x) => parseInt(x, 16)));
  return macAt(b, 0);
}

export const BROADCAST_MAC = 0xffffffffffff;

/** Group (multicast/broadcast) bit of the first octet. */
export function isGroupMac(m: number): boolean {
  return m >= 0 && (Math.floor(m / 0x10000000000) & 1) === 1;
}

/** `addr:port` or just `addr` when the port is unknown (-1). */
export function endpointText(ip: number, port: number): string {
  return port >= 0 ? `${ipText(ip)}:${port}` : ipText(ip);
}
