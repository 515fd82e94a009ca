/**
 * flannel's UDP backend: UDP port 8285 carries the inner IPv4 packet itself, with no header of
 * its own. There is no layer for it: the UDP layer gets `encap: 'flannel-udp'` and the inner
 * IPv4 packet follows it, so text output and tunnelSplit treat that UDP layer as the tunnel.
 */
import { decodeIpv4 } from './ipv4.js';
import { registerUdpPort, type Decoder } from './registry.js';
import type { UdpLayer } from './udp.js';

export const FLANNEL_UDP_PORT = 8285;

export const decodeFlannelUdp: Decoder = (d) => {
  // Anything but an IPv4 header here is not flannel's traffic: leave it raw.
  if (d.end <= d.off || d.b[d.off] >> 4 !== 4) return d.raw();
  (d.layers[d.layers.length - 1] as UdpLayer).encap = 'flannel-udp';
  d.encapsulate(decodeIpv4, d.off, d.end, d.wire);
};

registerUdpPort(FLANNEL_UDP_PORT, decodeFlannelUdp);
