/**
 * BSD loopback (link type NULL): a 4-byte address family in the byte order of the host that
 * wrote the capture. Families fit in 16 bits, so a value with upper bits set is byte-swapped.
 */
import { LinkType } from '../capture/frame.js';
import { u32 } from './bytes.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeRaw, registerLinkType, type Decoder } from './registry.js';

const FAMILY = 0;
const HEADER = 4;
const AF_INET = 2;
/** AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30. */
const AF_INET6 = new Set([10, 24, 28, 30]);

export type NullLayer = {
  readonly layer: 'null';
  readonly offset: number;
  readonly header_length: number;
  /** Address family: 2 IPv4; 10, 24, 28 or 30 IPv6 depending on the OS. */
  readonly family: number;
};

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

export const decodeNull: Decoder = (d) => {
  if (!d.has('null', HEADER)) return;
  const o = d.off;
  const v = u32(d.b, o + FAMILY);
  const family = v > 0xffff ? swap32(v) : v;
  d.layers.push({ layer: 'null', offset: o, header_length: HEADER, family } satisfies NullLayer);
  const next = family === AF_INET ? decodeIpv4 : AF_INET6.has(family) ? decodeIpv6 : decodeRaw;
  d.handOn(next, o + HEADER, d.end, d.wire);
};

registerLinkType(LinkType.NULL, decodeNull);
