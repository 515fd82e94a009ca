/** pcapng written by vxdecode reads back the same, in vxdecode and in tshark. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { formatTs } from '../../src/capture/frame.js';
import { PUBLIC_DIR } from '../support/public.js';

describe('pcapng writer', () => {
  it('round-trips frames, interface names, ns timestamps and comments through vxdecode and tshark', async () => {
    const a = await readFileFrames(join(PUBLIC_DIR, 'tcpdump/vxlan.pcap'));
    const b = await readFileFrames(join(PUBLIC_DIR, 'tcpdump/tcp-handshake-nano.pcap'));
    const blocks: Uint8Array[] = [];
    const w = new PcapngWriter((blk) => blocks.push(blk));
    for (const f of [...a.frames, ...b.frames]) {
      const s = f.source;
      w.packet(s, { name: `${s.node === 'vxlan' ? 'node1' : 'node2'}/eth0`, linkType: s.linkType, tsUnitsPerSec: s.tsUnitsPerSec }, {
        ...f,
        bytes: f.bytes,
        comments: [`frame ${f.number} of ${s.node}`],
      });
    }
    const file = join(mkdtempSync(join(tmpdir(), 'vxw-')), 'out.pcapng');
    writeFileSync(file, Buffer.concat(blocks));

    const back = await readFileFrames(file);
    expect(back.error).toBeUndefined();
    expect(back.frames.length).toBe(13);
    expect(back.sources.map((s) => s.iface)).toEqual(['node1/eth0', 'node2/eth0']);
    expect(back.frames.map((f) => formatTs(f.tsSec, f.tsNsec))).toEqual(
      [...a.frames, ...b.frames].map((f) => formatTs(f.tsSec, f.tsNsec)),
    );
    expect(back.frames[12].comments).toEqual(['frame 3 of tcp']);
    expect(Buffer.from(back.frames[4].bytes)).toEqual(Buffer.from(a.frames[4].bytes));

    const tshark = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.interface_name', '-e', 'frame.comment', '-e', 'frame.len'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(tshark.length).toBe(13);
    expect(tshark[0]).toEqual([formatTs(a.frames[0].tsSec, a.frames[0].tsNsec), 'node1/eth0', 'frame 1 of vxlan', String(a.frames[0].len)]);
    expect(tshark[12]).toEqual([formatTs(b.frames[2].tsSec, b.frames[2].tsNsec), 'node2/eth0', 'frame 3 of tcp', String(b.frames[2].len)]);
  });
});
