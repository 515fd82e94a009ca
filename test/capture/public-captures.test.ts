/**
 * Every third-party capture is read with tshark's frame count and timestamps (to the
 * nanosecond), and every file that is bad on purpose gives one clear error with an offset.
 */
import { describe, expect, it } from 'vitest';
import { readFileFrames } from '../../src/capture/read.js';
import { formatTs } from '../../src/capture/frame.js';
import { publicCaptures, tsharkFrames } from '../support/public.js';

const captures = publicCaptures();

/**
 * Frames whose tshark time is tshark's own 32-bit overflow: 2147483648 µs × 1000 wraps to 0 ns
 * in tshark 4.0. vxdecode carries the invalid fraction into the seconds (+2147.483648 s).
 */
const TSHARK_TIME_OVERFLOW: Record<string, number[]> = { 'tcpdump/timestamp_invalid_micro.pcap': [3] };

/** tshark prints an invalid fraction (>= 1 s) unnormalised; vxdecode carries it into the seconds. */
function normalise(epoch: string): string {
  const m = /^(-?\d+)\.(\d+)$/.exec(epoch)!;
  const frac = m[2].padEnd(9, '0');
  if (frac.length === 9) return epoch;
  const ns = BigInt(m[1]) * 1_000_000_000n + BigInt(frac);
  return formatTs(Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n));
}

describe('third-party captures', () => {
  it('the README lists the captures', () => {
    expect(captures.length).toBeGreaterThan(100);
    expect(captures.filter((c) => c.intent === 'corrupt').length).toBe(8);
  });

  for (const pc of captures.filter((c) => c.intent !== 'corrupt')) {
    it(`reads ${pc.name} like tshark`, async () => {
      const got = await readFileFrames(pc.path);
      expect(got.error).toBeUndefined();
      const want = tsharkFrames(pc);
      // gopacket's linux_sll_oversized_addr has 209 frames; the oracle was cut at 200.
      const n = want.length === 200 ? 200 : got.frames.length;
      expect(n).toBe(want.length);
      for (let i = 0; i < n; i++) {
        const f = got.frames[i];
        const w = want[i];
        expect(f.caplen, `frame ${i + 1} caplen`).toBe(Number(w['frame.cap_len']));
        expect(f.len, `frame ${i + 1} len`).toBe(Number(w['frame.len']));
        const epoch = w['frame.time_epoch'];
        if (epoch === undefined) {
          expect(f.noTimestamp, `frame ${i + 1} has no timestamp`).toBe(true);
        } else if (TSHARK_TIME_OVERFLOW[pc.name]?.includes(i + 1)) {
          expect(formatTs(f.tsSec, f.tsNsec)).toBe('1418147517.483648000');
        } else if (!epoch.startsWith('-')) {
          // (tshark prints a negative time for a 32-bit overflow it made itself; nothing to compare.)
          expect(formatTs(f.tsSec, f.tsNsec), `frame ${i + 1} ts`).toBe(normalise(epoch));
        }
        if (w['frame.interface_id'] !== undefined && f.source.linkType !== 276) {
          expect(f.source.ifId, `frame ${i + 1} interface`).toBe(Number(w['frame.interface_id']));
        }
      }
    });
  }

  const corrupt: Record<string, { offset: number; match: RegExp; frames: number }> = {
    'libpcap/linktype-reserved-field-not-zero.pcap': { offset: 20, match: /reserved bits/, frames: 0 },
    'libpcap/pcap-invalid-version-1.pcap': { offset: 4, match: /unsupported pcap version 1\.4/, frames: 0 },
    'libpcap/pcap-invalid-version-2.pcap': { offset: 4, match: /unsupported pcap version 2\.5/, frames: 0 },
    'libpcap/pcapng-invalid-vers-1.pcapng': { offset: 12, match: /unsupported pcapng version 0\.1/, frames: 0 },
    'libpcap/pcapng-invalid-vers-2.pcapng': { offset: 12, match: /unsupported pcapng version 1\.1/, frames: 0 },
    'libpcap/shb-option-too-long.pcapng': { offset: 0, match: /header 52 and trailer 808464432/, frames: 0 },
  };
  for (const pc of captures.filter((c) => c.intent === 'corrupt')) {
    it(`rejects ${pc.name} with the offset and the reason`, async () => {
      const got = await readFileFrames(pc.path);
      expect(got.error).toBeDefined();
      const want = corrupt[pc.name];
      if (want) {
        expect(got.error!.offset).toBe(want.offset);
        expect(got.error!.message).toMatch(want.match);
        expect(got.frames.length).toBe(want.frames);
      } else {
        // gopacket test901: a second section of version 2.0, after one good frame.
        expect(pc.name).toMatch(/test901/);
        expect(got.error!.message).toMatch(/unsupported pcapng version 2\.0/);
        expect(got.frames.length).toBe(1);
        expect(got.error!.offset).toBeGreaterThan(0);
      }
    });
  }
});
