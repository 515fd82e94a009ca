/**
 * The decoders' public face: `dissect(frame)` turns a frame into a Packet (a stack of layers,
 * outermost first, plus the first problem met), and a few helpers over the result for the
 * formatters and the analysis.
 *
 * Every protocol registers itself in its own file; importing them here is what fills the tables.
 */
import type { Frame } from '../capture/frame.js';
import type { Layer, LayerName, Packet } from './layer.js';
import { decodeRaw, Dissection, linkTypeDecoder, type Prefs } from './registry.js';
import type { ArpLayer } from './arp.js';
import type { EthLayer } from './ethernet.js';
import type { IcmpLayer } from './icmp.js';
import type { Icmp6Layer } from './icmp6.js';
import type { Ipv4Layer } from './ipv4.js';
import type { Ipv6Layer } from './ipv6.js';
import type { LlcLayer } from './llc.js';
import type { NullLayer } from './null.js';
import type { Sll2Layer, SllLayer } from './sll.js';
import type { TcpLayer } from './tcp.js';
import type { UdpLayer } from './udp.js';
import type { VlanLayer } from './vlan.js';
import { decodeVxlan, type VxlanLayer } from './vxlan.js';
import './ethernet.js';
import './vlan.js';
import './llc.js';
import './sll.js';
import './null.js';
import './rawip.js';
import './arp.js';
import './ipv4.js';
import './ipv6.js';
import './icmp.js';
import './icmp6.js';
import './tcp.js';
import './udp.js';
import './flannel-udp.js';

export interface DecodeOptions {
  /** UDP ports decoded as VXLAN besides 4789 and 8472. */
  vxlanPorts?: readonly number[];
  /** Recognise VXLAN on other UDP ports by its header (default true). */
  heuristics?: boolean;
  /** Encapsulations decoded one inside the other before the rest is left raw (default 4). */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 4;
/** A bound on layers per frame, against frames made of nothing but VLAN tags. */
const MAX_LAYERS = 64;

export type RawLayer = {
  readonly layer: 'raw';
  readonly offset: number;
  readonly header_length: 0;
  /** Captured bytes no decoder claims. */
  readonly length: number;
};

/** The layer type for each layer name. */
export interface LayerMap {
  eth: EthLayer;
  vlan: VlanLayer;
  llc: LlcLayer;
  sll: SllLayer;
  sll2: Sll2Layer;
  null: NullLayer;
  arp: ArpLayer;
  ipv4: Ipv4Layer;
  ipv6: Ipv6Layer;
  icmp: IcmpLayer;
  icmp6: Icmp6Layer;
  tcp: TcpLayer;
  udp: UdpLayer;
  vxlan: VxlanLayer;
  raw: RawLayer;
}

function resolve(o: DecodeOptions): Prefs {
  const userUdpPorts = new Map((o.vxlanPorts ?? []).map((p) => [p, decodeVxlan]));
  return { userUdpPorts, heuristics: o.heuristics !== false, maxDepth: o.maxDepth ?? DEFAULT_MAX_DEPTH };
}

/** Options are resolved once per options object: callers pass the same one for every frame. */
const resolved = new WeakMap<DecodeOptions, Prefs>();
const NO_OPTIONS: DecodeOptions = Object.freeze({});

let lastOptions: DecodeOptions | undefined;
let lastPrefs: Prefs | undefined;

export function prefsFor(o: DecodeOptions): Prefs {
  if (o === lastOptions) return lastPrefs!;
  let prefs = resolved.get(o);
  if (prefs === undefined) {
    prefs = resolve(o);
    resolved.set(o, prefs);
  }
  lastOptions = o;
  lastPrefs = prefs;
  return prefs;
}

/** Decode one frame. Never throws on packet bytes: problems are in `error`. */
export function dissect(frame: Frame, opts?: DecodeOptions): Packet {
  const d = new Dissection(frame.bytes, prefsFor(opts ?? NO_OPTIONS));
  const source = frame.source;
  // The FCS is on the wire but not part of the packet; it may or may not have been captured.
  const wire = Math.max(0, Math.max(frame.len, frame.caplen) - source.fcsLength);
  const end = Math.min(frame.bytes.length, wire);
  const link = linkTypeDecoder(source.linkType);
  if (link !== undefined) d.handOn(link, 0, end, wire);
  else {
    d.handOn(decodeRaw, 0, end, wire);
    d.note('unsupported', 'link', 0, 0, end, `link type ${source.linkType} is not decoded`);
  }
  while (d.next !== undefined) {
    const next = d.next;
    d.next = undefined;
    if (d.layers.length >= MAX_LAYERS) {
      d.note('malformed', 'raw', d.off, 0, d.end - d.off, `more than ${MAX_LAYERS} layers`);
      d.raw();
      break;
    }
    next(d);
  }
  return { frame, layers: d.layers, error: d.error };
}

/** Narrow a layer to its type by name. */
export function isLayer<N extends LayerName>(l: Layer, name: N): l is Layer & LayerMap[N] {
  return l.layer === name;
}

/** The first layer with that name. */
export function findLayer<N extends LayerName>(layers: readonly Layer[], name: N): LayerMap[N] | undefined {
  for (const l of layers) if (isLayer(l, name)) return l;
  return undefined;
}

/** The last layer with that name (the innermost). */
export function findLastLayer<N extends LayerName>(layers: readonly Layer[], name: N): LayerMap[N] | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (isLayer(l, name)) return l;
  }
  return undefined;
}

/** Is this layer a tunnel, whose payload is another packet? (VXLAN, flannel's UDP backend) */
export function isEncapsulation(l: Layer): boolean {
  return l.layer === 'vxlan' || (l.layer === 'udp' && l.encap !== undefined);
}

/**
 * Split at the last encapsulation: `outer` up to and including the last VXLAN layer (or UDP
 * layer of flannel's UDP backend), `inner` after it. Without a tunnel, outer is empty and
 * inner is every layer: the packet itself is the one of interest.
 */
export function tunnelSplit(packet: Packet): { outer: Layer[]; inner: Layer[] } {
  const layers = packet.layers;
  for (let i = layers.length - 1; i >= 0; i--) {
    if (isEncapsulation(layers[i])) return { outer: layers.slice(0, i + 1), inner: layers.slice(i + 1) };
  }
  return { outer: [], inner: layers };
}

/** Layers cut at every encapsulation: the outermost packet first, the innermost last. */
export function encapsulationLevels(layers: readonly Layer[]): Layer[][] {
  const out: Layer[][] = [[]];
  for (const l of layers) {
    out[out.length - 1].push(l);
    if (isEncapsulation(l)) out.push([]);
  }
  return out;
}

/** The innermost IPv4 layer (the packet inside the last tunnel, or the only one). */
export function innerIpv4(packet: Packet): Ipv4Layer | undefined {
  return findLastLayer(packet.layers, 'ipv4');
}

/** Offset of the innermost IPv4 header in the frame, -1 if none. */
export function innerIpv4Offset(packet: Packet): number {
  return innerIpv4(packet)?.offset ?? -1;
}

/**
 * A layer's payload as a view of the frame (never a copy): the captured bytes after its header,
 * up to its end on the wire when the layer knows its payload length, else up to the frame's end
 * (FCS excluded). For a raw layer, its own bytes.
 */
export function layerPayload(packet: Packet, layer: Layer): Uint8Array {
  const f = packet.frame;
  const frameEnd = Math.max(0, Math.min(f.bytes.length, Math.max(f.len, f.caplen) - f.source.fcsLength));
  if (layer.layer === 'raw') return f.bytes.subarray(layer.offset, layer.offset + (layer.length as number));
  const start = layer.offset + layer.header_length;
  const end = typeof layer.payload_length === 'number' ? start + layer.payload_length : frameEnd;
  return f.bytes.subarray(start, Math.max(start, Math.min(end, frameEnd)));
}

export type { Layer, LayerName, Packet, DecodeError, DecodeErrorKind } from './layer.js';
export type {
  ArpLayer,
  EthLayer,
  IcmpLayer,
  Icmp6Layer,
  Ipv4Layer,
  Ipv6Layer,
  LlcLayer,
  NullLayer,
  SllLayer,
  Sll2Layer,
  TcpLayer,
  UdpLayer,
  VlanLayer,
  VxlanLayer,
};
export type { IcmpQuoted } from './icmp.js';
export type { Ipv4Option } from './ipv4.js';
export type { TcpOption } from './tcp.js';
export type { ChecksumStatus } from './bytes.js';
