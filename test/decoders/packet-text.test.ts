/** The text forms of a packet: the one-line summary, the -v detail, the -x hex dump. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { hexDump, packetDetail, packetLine } from '../../src/cli/packet-text.js';
import { dissect } from '../../src/decoders/index.js';
import { PUBLIC_DIR, publicCaptures } from '../support/public.js';
import { frameOf } from './helpers.js';

async function lines(path: string): Promise<string[]> {
  const r = await readFileFrames(path);
  return r.frames.map((f) => packetLine(dissect(f)));
}
const pub = (name: string) => lines(join(PUBLIC_DIR, name));

describe('packetLine', () => {
  it('a flannel VXLAN frame from the lab: outer | inner, MACs in front as tcpdump -e does', async () => {
    const l = await lines(fileURLToPath(new URL('../../captures/vxlan-ping/node1-eth0.pcap', import.meta.url)));
    expect(l[2]).toMatch(
      /^([0-9a-f]{2}:){5}[0-9a-f]{2} > ([0-9a-f]{2}:){5}[0-9a-f]{2}, 192\.168\.2\.16:\d+ > 192\.168\.2\.15:8472 VXLAN vni 1 \| ([0-9a-f]{2}:){5}[0-9a-f]{2} > ([0-9a-f]{2}:){5}[0-9a-f]{2}, 10\.10\.1\.5 > 10\.10\.2\.6 ICMP echo request id \d+ seq 1 ttl 63$/,
    );
  });

  it('VXLAN with inner ICMP and ARP (tcpdump vxlan.pcap)', async () => {
    const l = await pub('tcpdump/vxlan.pcap');
    expect(l[0]).toBe(
      '36:dc:85:1e:b3:40 > 00:16:3e:08:71:cf, 192.168.203.1:45149 > 192.168.202.1:4789 VXLAN vni 100 | 00:16:3e:37:f6:04 > 00:30:88:01:00:02, 192.168.203.3 > 192.168.203.5 ICMP echo request id 1292 seq 1 ttl 64',
    );
    expect(l[1]).toBe(
      '00:16:3e:08:71:cf > 36:dc:85:1e:b3:40, 192.168.202.1:42710 > 192.168.203.1:4789 VXLAN vni 100 | 00:30:88:01:00:02 > ff:ff:ff:ff:ff:ff, ARP who-has 192.168.203.3 tell 192.168.203.5',
    );
    expect(l[2]).toBe(
      '36:dc:85:1e:b3:40 > 00:16:3e:08:71:cf, 192.168.203.1:52102 > 192.168.202.1:4789 VXLAN vni 100 | 00:16:3e:37:f6:04 > 00:30:88:01:00:02, ARP reply 192.168.203.3 is-at 00:16:3e:37:f6:04',
    );
  });

  it('one | per level of nested tunnels; flags shown when not 0x08', async () => {
    const [l] = await pub('zeek/tunnels/vxlan-triple-v2.pcap');
    expect(l.split(' | ')).toHaveLength(4);
    expect(l).toContain('1.1.1.1:4789 > 1.1.1.9:4789 VXLAN vni 1 flags 0x0c | ');
    expect(l.endsWith('4.4.4.4:53 > 4.4.4.9:53 UDP len 29 ttl 64')).toBe(true);
  });

  it('VLAN tags: vid, then priority and DEI when set', async () => {
    expect((await pub('tcpdump/802.1ad_QinQ.pcap'))[0]).toBe('00:20:d2:5a:fb:3f > ff:ff:ff:ff:ff:ff, vlan 200, vlan 2001, ARP who-has 172.21.79.100 tell 172.21.79.97');
    expect((await pub('zeek/vlan-pcp-dei.pcapng'))[0]).toBe(
      '16:4b:df:50:b2:93 > ff:ff:ff:ff:ff:ff, vlan 10 p 7, vlan 20 p 5 dei, 192.168.1.100:12345 > 192.168.1.200:80 TCP [S] seq 1000 win 8192 len 0 ttl 64',
    );
  });

  it('TCP as tcpdump writes flags; ack only with the ACK flag', async () => {
    const l = await pub('zeek/tcp/options.pcap');
    expect(l[0]).toBe('00:0b:db:63:58:a6 > 00:19:e3:e7:5d:23, 192.168.1.102:36861 > 193.1.193.64:80 TCP [S] seq 3750886907 win 5840 len 0 ttl 64');
    expect(l[1]).toBe('00:19:e3:e7:5d:23 > 00:0b:db:63:58:a6, 193.1.193.64:80 > 192.168.1.102:36861 TCP [S.] seq 724047884 ack 3750886908 win 5792 len 0 ttl 51');
  });

  it('ICMP errors show the packet they quote', async () => {
    expect((await pub('zeek/icmp/icmp-destunreach-udp.pcap'))[0]).toBe(
      '00:0b:db:63:58:a6 > 00:19:e3:e7:5d:23, 192.168.1.102 > 192.168.1.1 ICMP unreachable port (192.168.1.1:53 > 192.168.1.102:59207 UDP) ttl 128',
    );
  });

  it('cooked captures, IPv6, loopback, 802.3/SNAP', async () => {
    const sll2 = await pub('zeek/linux_dlt_sll2.pcap');
    expect(sll2[2]).toBe('ifindex 1 In 00:00:00:00:00:00, fe80::8c36:6ff:fe44:acaf > fe80::8c36:6ff:fe44:acaf ICMP6 echo request id 9 seq 1 hlim 64');
    expect(sll2[4]).toBe('ifindex 26 Out 8e:36:06:44:ac:af, ARP who-has 192.0.2.2 tell 192.0.2.1');
    expect((await pub('zeek/ldap/modify-request.pcapng'))[0]).toBe(
      '00:0c:29:c3:7f:eb > 3c:fa:30:03:12:30, vlan 81, [2a00:6020:ad0b:8381:c8c2:18f1:4b9d:7524]:49695 > [2a00:6020:ad0b:8380::10]:389 TCP [S] seq 2903845870 win 64800 len 0 hlim 64',
    );
    expect((await pub('pcapng-test-generator/output_le/basic/test006.pcapng'))[1]).toBe('AF 2, 192.168.1.139:17500 > 255.255.255.255:17500 UDP len 136 ttl 64');
    expect((await pub('zeek/snap-arp.pcapng'))[0]).toBe('c2:3d:19:6c:00:01 > ff:ff:ff:ff:ff:ff, 802.3 length 36, llc snap, ARP who-has 10.0.0.2 tell 10.0.0.1');
  });

  it('undecoded payloads, fragments, VXLAN-GPE', async () => {
    expect((await pub('tcpdump/IGMP_V2.pcap'))[0]).toBe('00:1b:11:10:26:11 > 01:00:5e:00:00:01, 192.168.1.2 > 224.0.0.1 proto IGMP len 8 ttl 1');
    const frag = await pub('zeek/ipv4/fragmented-1.pcap');
    expect(frag[0]).toBe('00:20:af:ba:78:65 > 00:60:97:12:2f:58, 164.1.123.163:123 > 164.1.123.61:137 UDP len 10 frag id 242 off 0 MF ttl 64');
    expect(frag[1]).toBe('00:20:af:ba:78:65 > 00:60:97:12:2f:58, 164.1.123.163 > 164.1.123.61 proto UDP len 116 frag id 242 off 48 ttl 64');
    expect((await pub('tcpdump/nsh-over-vxlan-gpe.pcap'))[0]).toBe('00:00:00:00:00:00 > 00:00:00:00:00:00, 127.0.0.1:4790 > 127.0.0.1:4790 UDP len 64 ttl 64');
  });

  it('errors at the end: kind, layer, offset, and what was needed', async () => {
    expect((await pub('zeek/trunc/ip4-trunc.pcap'))[0]).toBe('c8:bc:c8:96:d2:a0 > 00:10:db:88:d2:ef [truncated ipv4 at 14: need 20, have 6]');
    expect((await pub('tcpdump/ipv4_invalid_hdr_length.pcap'))[0]).toBe('f0:4d:a2:3d:5d:a3 > c0:d6:82:36:03:2b [malformed ipv4 at 14: header length 16 < 20]');
    expect((await pub('zeek/trunc/trunc-hdr.pcap'))[0]).toBe('[truncated eth at 0: need 14, have 8]');
    expect((await pub('tcpdump/udp-length-heapoverflow.pcap'))[0]).toBe(
      '30:30:30:30:30:30 > 30:30:30:30:30:30, 48.48.48.48 > 48.48.48.48 proto UDP len 12316 ttl 48 [truncated udp at 34: need 8, have 4]',
    );
    const [f] = (await readFileFrames(join(PUBLIC_DIR, 'tcpdump/vxlan.pcap'))).frames;
    expect(packetLine(dissect(frameOf(f.bytes, { ...f.source, linkType: 147 })))).toBe('148 bytes [unsupported link at 0: link type 147 is not decoded]');
  });

  it('no control characters, whatever the capture', async () => {
    for (const pc of publicCaptures().filter((c) => c.intent !== 'corrupt')) {
      for (const f of (await readFileFrames(pc.path)).frames) {
        const p = dissect(f);
        for (const s of [packetLine(p), ...packetDetail(p), ...hexDump(f.bytes)]) {
          // eslint-disable-next-line no-control-regex
          expect(/[\u0000-\u001f\u007f-\u009f]/.test(s), `${pc.name} #${f.number}`).toBe(false);
        }
      }
    }
  });
});

describe('packetDetail', () => {
  it('every field of every layer, one line per layer, options and quoted headers below', async () => {
    for (const name of ['zeek/icmp/icmp-destunreach-udp.pcap', 'zeek/tcp/options.pcap', 'tcpdump/IGMP_V2.pcap', 'tcpdump/vxlan.pcap', 'zeek/linux_dlt_sll2.pcap', 'zeek/snap-arp.pcapng']) {
      for (const f of (await readFileFrames(join(PUBLIC_DIR, name))).frames) {
        const p = dissect(f);
        const text = packetDetail(p).join('\n');
        for (const l of p.layers) {
          expect(text).toContain(`${l.layer} @${l.offset}+${l.header_length}:`);
          for (const [k, v] of Object.entries(l)) {
            if (['layer', 'offset', 'header_length'].includes(k) || (Array.isArray(v) && v.length === 0)) continue;
            expect(text, `${name} ${l.layer}.${k}`).toMatch(new RegExp(`(^| )${k}[=:]`, 'm'));
          }
        }
      }
    }
  });

  it('reads like this', async () => {
    const [f] = (await readFileFrames(join(PUBLIC_DIR, 'zeek/icmp/icmp-destunreach-udp.pcap'))).frames;
    expect(packetDetail(dissect(f))).toEqual([
      'eth @0+14: dst=00:19:e3:e7:5d:23 src=00:0b:db:63:58:a6 ethertype=0x0800',
      'ipv4 @14+20: version=4 dscp=0 ecn=0 total_length=176 id=10270 flags=0 df=false mf=false frag_offset=0 ttl=128 protocol=1 checksum=0x8e77 checksum_status=good src=192.168.1.102 dst=192.168.1.1 payload_length=156 length_from_frame=false',
      'icmp @34+8: type=3 code=3 checksum=0x03bb checksum_status=good payload_length=148',
      '  quoted: src=192.168.1.1 dst=192.168.1.102 protocol=17 id=14097 ttl=64 total_length=163 header_length=20 src_port=53 dst_port=59207 length=143',
    ]);
    const [t] = (await readFileFrames(join(PUBLIC_DIR, 'zeek/trunc/icmp-header-trunc.pcap'))).frames;
    expect(packetDetail(dissect(t)).at(-1)).toBe('error: truncated icmp at 34: need 8, have 6');
    const [m] = (await readFileFrames(join(PUBLIC_DIR, 'tcpdump/ipv4_invalid_total_length.pcap'))).frames;
    expect(packetDetail(dissect(m)).at(-1)).toBe('error: malformed ipv4 at 14: total length 85 > 84 bytes in the frame (needed 85, present 84)');
  });
});

describe('hexDump', () => {
  it('offset, 16 bytes in two groups of 8, printable ASCII', async () => {
    const frames = (await readFileFrames(join(PUBLIC_DIR, 'zeek/arp-who-has.pcap'))).frames;
    expect(hexDump(frames[1].bytes)).toEqual([
      '0000  78 31 c1 c6 3f c2 f8 ed  a5 c0 a4 f1 08 06 00 01  x1..?...........',
      '0010  08 00 06 04 00 02 f8 ed  a5 c0 a4 f1 0a 00 00 01  ................',
      '0020  78 31 c1 c6 3f c2 0a 00  00 02 00 00 00 00 00 00  x1..?...........',
      '0030  00 00 00 00 00 00 00 00  1f 0b 60 ce              ..........`.',
    ]);
    expect(hexDump(new Uint8Array(0))).toEqual([]);
  });

  it('offsets widen past 64 KiB', async () => {
    const [f] = (await readFileFrames(join(PUBLIC_DIR, 'tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap'))).frames;
    const d = hexDump(f.bytes);
    expect(d).toHaveLength(Math.ceil(80116 / 16));
    expect(d.at(-1)!.startsWith('138f0  ')).toBe(true);
    expect(d[0].startsWith('00000  ')).toBe(true);
  });
});
