/** Link types with no link header: raw IPv4 (228), raw IPv6 (229), and raw IP (101: either). */
import { LinkType } from '../capture/frame.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { registerLinkType, type Decoder } from './registry.js';

/** LINKTYPE_RAW: the version nibble says which. Anything else is left to IPv4 to report. */
const decodeRawIp: Decoder = (d) => {
  if (d.end > d.off && d.b[d.off] >> 4 === 6) decodeIpv6(d);
  else decodeIpv4(d);
};

registerLinkType(LinkType.RAW_101, decodeRawIp);
registerLinkType(LinkType.IPV4, decodeIpv4);
registerLinkType(LinkType.IPV6, decodeIpv6);
