/**
 * Literal values of the filter language and the cheap conversions applied to decoded field values
 * on the hot path. Nothing here allocates per packet except the IPv6 fallback (rare).
 */

/** Integer literal: decimal or 0x hex (no sign). undefined when not one. */
export function parseNumberLiteral(s: string): number | undefined {
  if (/^[0-9]+$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  return undefined;
}

/** Dotted quad to an unsigned 32-bit number, undefined when not exactly one. */
export function parseIpv4Literal(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    v = v * 256 + o;
  }
  return v;
}

/**
 * A decoded IPv4 value (a dotted-quad string, or already a number) as an unsigned 32-bit number;
 * -1 when it is neither. Hand-rolled so that a per-packet comparison allocates nothing.
 */
export function ipv4Value(v: unknown): number {
  if (typeof v === 'number') return v >= 0 && v <= 0xffffffff ? v : -1;
  if (typeof v !== 'string') return -1;
  const n = v.length;
  if (n < 7 || n > 15) return -1;
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + octet;
}

/** MAC literal (aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff) to lower-case colon form. */
export function parseMacLiteral(s: string): string | undefined {
  let hex: string | undefined;
  const sep = /^([0-9a-f]{1,2})([:-])([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})\2([0-9a-f]{1,2})$/i.exec(s);
  if (sep) hex = [sep[1], sep[3], sep[4], sep[5], sep[6], sep[7]].map((x) => x.padStart(2, '0')).join('');
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(s)) hex = s.replace(/\./g, '');
  if (!hex) return undefined;
  hex = hex.toLowerCase();
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** A decoded MAC value (string, or a 48-bit number) in lower-case colon form, '' if neither. */
export function macValue(v: unknown): string {
  if (typeof v === 'string') {
    // Decoders write lower-case colon form; only fix the case when needed.
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x41 && c <= 0x46) return v.toLowerCase().replace(/-/g, ':');
      if (c === 0x2d) return v.toLowerCase().replace(/-/g, ':');
    }
    return v;
  }
  if (typeof v === 'number' && v >= 0 && v <= 0xffffffffffff) {
    return v.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
  }
  return '';
}

/**
 * IPv6 text to 8 hextets, written into `out` (no allocation); false when not an IPv6 address.
 * Accepts "::" compression and a trailing dotted quad (::ffff:10.0.0.1).
 */
export function parseIpv6Into(s: string, out: Uint16Array | number[]): boolean {
  if (typeof s !== 'string' || s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return false;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const res: number[] = [];
    const bits = part.split(':');
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      if (i === bits.length - 1 && b.includes('.')) {
        const v4 = parseIpv4Literal(b);
        if (v4 === undefined) return undefined;
        res.push(Math.floor(v4 / 65536), v4 % 65536);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(b)) return undefined;
        res.push(parseInt(b, 16));
      }
    }
    return res;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return false;
  if (dbl === -1 ? h.length !== 8 : h.length + t.length > 7) return false;
  let k = 0;
  for (const x of h) out[k++] = x;
  for (let z = 8 - h.length - t.length; z > 0; z--) out[k++] = 0;
  for (const x of t) out[k++] = x;
  return true;
}

/** IPv6 text in RFC 5952 canonical form (as the decoders write it), undefined when not an address. */
export function canonicalIpv6(s: string): string | undefined {
  const g = new Uint16Array(8);
  if (!parseIpv6Into(s, g)) return undefined;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 §5), as the decoders write them.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  }
  const hex = Array.from(g, (x) => x.toString(16));
  if (bestAt === -1) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** A decoded numeric value as a number (NaN when it is not one): numbers, "0x..." strings, booleans. */
export function numberValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = parseNumberLiteral(v);
    return n === undefined ? NaN : n;
  }
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

/** A prefix length (0..max) after "/", or undefined. */
export function parsePrefixLength(s: string, max: number): number | undefined {
  if (!/^[0-9]{1,3}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}
