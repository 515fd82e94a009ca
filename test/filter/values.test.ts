import { describe, expect, it } from 'vitest';
import { ipv6Text } from '../../src/decoders/bytes.js';
import {
  canonicalIpv6,
  ipv4Value,
  macValue,
  numberValue,
  parseIpv4Literal,
  parseIpv6Into,
  parseMacLiteral,
  parseNumberLiteral,
} from '../../src/filter/values.js';
import { closest, editDistance } from '../../src/filter/suggest.js';

describe('literals', () => {
  it('numbers: decimal and hex only', () => {
    expect(parseNumberLiteral('8472')).toBe(8472);
    expect(parseNumberLiteral('0x88A8')).toBe(0x88a8);
    expect(parseNumberLiteral('-1')).toBeUndefined();
    expect(parseNumberLiteral('1.5')).toBeUndefined();
    expect(parseNumberLiteral('0x')).toBeUndefined();
  });

  it('IPv4 dotted quads', () => {
    expect(parseIpv4Literal('10.10.1.5')).toBe(0x0a0a0105);
    expect(parseIpv4Literal('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4Literal('10.10.1')).toBeUndefined();
    expect(parseIpv4Literal('10.10.1.256')).toBeUndefined();
  });

  it('MACs in three notations, to lower-case colon form', () => {
    expect(parseMacLiteral('AA-BB-CC-DD-EE-0F')).toBe('aa:bb:cc:dd:ee:0f');
    expect(parseMacLiteral('aabb.ccdd.ee0f')).toBe('aa:bb:cc:dd:ee:0f');
    expect(parseMacLiteral('a:b:c:d:e:f')).toBe('0a:0b:0c:0d:0e:0f');
    expect(parseMacLiteral('aa:bb-cc:dd:ee:ff')).toBeUndefined();
    expect(parseMacLiteral('aa:bb:cc:dd:ee')).toBeUndefined();
  });

  it('IPv6 text to hextets', () => {
    const g = new Uint16Array(8);
    expect(parseIpv6Into('fe80::1', g)).toBe(true);
    expect([...g]).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6Into('::ffff:10.0.0.1', g)).toBe(true);
    expect([...g]).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]);
    expect(parseIpv6Into('1:2:3:4:5:6:7:8', g)).toBe(true);
    expect(parseIpv6Into('1::2::3', g)).toBe(false);
    expect(parseIpv6Into('1:2:3:4:5:6:7', g)).toBe(false);
    expect(parseIpv6Into('1:2:3:4:5:6:7::8', g)).toBe(false);
    expect(parseIpv6Into('12345::', g)).toBe(false);
  });

  it('canonical IPv6 text is exactly what the decoders write', () => {
    const cases: number[][] = [
      [0xfe80, 0, 0, 0, 0x8c36, 0x06ff, 0xfe44, 0xacaf],
      [0, 0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0x2001, 0xdb8, 0, 1, 0, 0, 0, 1],
      [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1],
      [0x2001, 0xdb8, 0, 1, 1, 1, 1, 1],
      [0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001],
      [0xff02, 0, 0, 0, 0, 0, 0, 0xfb],
      [1, 0, 0, 0, 0, 0, 0, 0],
    ];
    // And a few hundred pseudo-random ones with runs of zeros.
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let n = 0; n < 300; n++) cases.push(Array.from({ length: 8 }, () => (rnd() % 3 === 0 ? rnd() & 0xffff : 0)));
    for (const w of cases) {
      const b = new Uint8Array(16);
      w.forEach((x, i) => {
        b[2 * i] = x >> 8;
        b[2 * i + 1] = x & 255;
      });
      const text = ipv6Text(b, 0);
      expect(canonicalIpv6(text), text).toBe(text);
      // Any other spelling of it canonicalises to the same text.
      expect(canonicalIpv6(w.map((x) => x.toString(16).toUpperCase().padStart(4, '0')).join(':'))).toBe(text);
    }
  });
});

describe('decoded values', () => {
  it('IPv4 text to a number without allocating, -1 for anything else', () => {
    expect(ipv4Value('192.168.2.15')).toBe(0xc0a8020f);
    expect(ipv4Value('0.0.0.0')).toBe(0);
    expect(ipv4Value(0x0a000001)).toBe(0x0a000001);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1..2.3', '256.1.1.1', '1.2.3.4 ', 'a.b.c.d', '0a:00:00:01', '1234.1.1.1']) {
      expect(ipv4Value(bad), bad).toBe(-1);
    }
    expect(ipv4Value(undefined)).toBe(-1);
    expect(ipv4Value(-5)).toBe(-1);
  });

  it('MAC values to lower-case colon text', () => {
    expect(macValue('a6:97:ac:c3:8a:6f')).toBe('a6:97:ac:c3:8a:6f');
    expect(macValue('A6-97-AC-C3-8A-6F')).toBe('a6:97:ac:c3:8a:6f');
    expect(macValue(0xa697acc38a6f)).toBe('a6:97:ac:c3:8a:6f');
    expect(macValue(null)).toBe('');
  });

  it('numbers from numbers, hex text and booleans', () => {
    expect(numberValue(17)).toBe(17);
    expect(numberValue('0x0800')).toBe(2048);
    expect(numberValue(true)).toBe(1);
    expect(numberValue('S.')).toBeNaN();
  });
});

describe('suggestions', () => {
  it('counts edits, a transposition as one', () => {
    expect(editDistance('ip.src', 'ip.src')).toBe(0);
    expect(editDistance('ip.sorce', 'ip.src')).toBe(2);
    expect(editDistance('tpc', 'tcp')).toBe(1);
    expect(editDistance('', 'arp')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(closest('ip.sorce', ['ip.src', 'ip.dst', 'ip.ttl'])).toBe('ip.src');
    expect(closest('ARP', ['arp', 'ip'])).toBe('arp');
    expect(closest('banana', ['arp', 'ip', 'tcp'])).toBeUndefined();
    expect(closest('x', ['ip'])).toBeUndefined();
  });
});
