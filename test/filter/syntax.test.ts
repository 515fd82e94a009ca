import { describe, expect, it } from 'vitest';
import { FilterError, parseFilter, tokenize } from '../../src/filter/syntax.js';

/** The FilterError thrown by fn. */
function errorOf(fn: () => unknown): FilterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FilterError);
    return e as FilterError;
  }
  throw new Error('expected a FilterError');
}

describe('tokenize', () => {
  it('splits operators, words, strings and keywords with their offsets', () => {
    const t = tokenize('inner.ip.src==10.10.1.5&&!(iface eq "flannel.1")');
    expect(t.map((x) => [x.kind, x.text, x.start])).toEqual([
      ['word', 'inner.ip.src', 0],
      ['op', '==', 12],
      ['word', '10.10.1.5', 14],
      ['and', '&&', 23],
      ['not', '!', 25],
      ['lparen', '(', 26],
      ['word', 'iface', 27],
      ['word', 'eq', 33],
      ['string', 'flannel.1', 36],
      ['rparen', ')', 47],
      ['end', '', 48],
    ]);
  });

  it('reads CIDR blocks, MACs and dashed names as one word', () => {
    expect(tokenize('10.10.2.0/24 aa:bb:cc:dd:ee:ff kind-worker2').map((x) => x.text)).toEqual([
      '10.10.2.0/24',
      'aa:bb:cc:dd:ee:ff',
      'kind-worker2',
      '',
    ]);
  });

  it('decodes string escapes and accepts single quotes', () => {
    expect(tokenize(String.raw`"a\"b\\c\x41\n" 'x y'`).slice(0, 2).map((x) => x.text)).toEqual(['a"b\\cA\n', 'x y']);
  });

  it('knows keywords in any case', () => {
    expect(tokenize('a AND b Or not c').map((x) => x.kind)).toEqual(['word', 'and', 'word', 'or', 'not', 'word', 'end']);
  });

  it('rejects a single =, & and | with a hint and the column', () => {
    const e = errorOf(() => tokenize('ip.ttl = 64'));
    expect(e.message).toBe('"=" is not an operator; did you mean "=="? at column 8');
    expect(e.column).toBe(8);
    expect(errorOf(() => tokenize('arp & icmp')).message).toBe('"&" is not an operator; did you mean "&&"? at column 5');
    expect(errorOf(() => tokenize('arp | icmp')).column).toBe(5);
  });

  it('rejects an unterminated string at its opening quote', () => {
    const e = errorOf(() => tokenize('node == "node2'));
    expect(e.message).toBe('unterminated string at column 9');
    expect(e.column).toBe(9);
    expect(e.length).toBe(6);
  });

  it('rejects stray characters', () => {
    expect(errorOf(() => tokenize('ip.ttl == 64 ; arp')).message).toBe('unexpected character ";" at column 14');
  });
});

describe('parseFilter', () => {
  it('returns undefined for a blank expression', () => {
    expect(parseFilter('')).toBeUndefined();
    expect(parseFilter('   \t')).toBeUndefined();
  });

  it('binds not tighter than and, and tighter than or', () => {
    expect(parseFilter('a || b && !c')).toEqual({
      kind: 'or',
      left: { kind: 'test', field: { name: 'a', column: 1 } },
      right: {
        kind: 'and',
        left: { kind: 'test', field: { name: 'b', column: 6 } },
        right: { kind: 'not', expr: { kind: 'test', field: { name: 'c', column: 12 } } },
      },
    });
  });

  it('is left-associative and honours parentheses', () => {
    const n = parseFilter('(a or b) and c and d');
    expect(n).toMatchObject({
      kind: 'and',
      left: { kind: 'and', left: { kind: 'or' }, right: { kind: 'test', field: { name: 'c' } } },
      right: { kind: 'test', field: { name: 'd' } },
    });
  });

  it('parses comparisons with symbolic and word operators', () => {
    expect(parseFilter('ip.ttl >= 0x40')).toEqual({
      kind: 'compare',
      field: { name: 'ip.ttl', column: 1 },
      op: '>=',
      opColumn: 8,
      values: [{ text: '0x40', quoted: false, column: 11, length: 4 }],
    });
    expect(parseFilter('ip.ttl ne 64')).toMatchObject({ op: '!=' });
    expect(parseFilter('node contains "ode"')).toMatchObject({ op: 'contains', values: [{ text: 'ode', quoted: true, column: 15, length: 5 }] });
    expect(parseFilter('ip.ttl === 1')).toMatchObject({ op: '==' });
  });

  it('parses set membership with or without commas', () => {
    const n = parseFilter('udp.port in {4789, 8472 8285}');
    expect(n).toMatchObject({ kind: 'compare', op: 'in', values: [{ text: '4789' }, { text: '8472' }, { text: '8285' }] });
  });

  const cases: [string, string, number][] = [
    ['(arp', 'missing ")" at column 5; the "(" at column 1 is not closed', 5],
    ['((arp) || (icmp)', 'missing ")" at column 17; the "(" at column 1 is not closed', 17],
    ['arp)', 'unbalanced ")" at column 4', 4],
    ['arp icmp', 'expected an operator (==, !=, <, <=, >, >=, contains, in), "&&", "||" or ")" after "arp", found "icmp" at column 5', 5],
    ['ip.ttl ==', 'expected a value after "==", found end of expression at column 10', 10],
    ['ip.ttl == )', 'expected a value after "==", found ")" at column 11', 11],
    ['node == and', 'expected a value after "==", found keyword "and" (quote it to use it as a value) at column 9', 9],
    ['arp &&', 'expected a field or protocol, found end of expression at column 7', 7],
    ['&& arp', 'expected a field or protocol before "&&" at column 1', 1],
    ['== 3', 'expected a field or protocol before "==" at column 1', 1],
    ['"x" == 3', 'expected a field or protocol, found string "x" at column 1', 1],
    ['udp.port in 53', 'expected "{" after "in", found "53" at column 13', 13],
    ['udp.port in {}', 'empty set "{}" at column 14', 14],
    ['udp.port in {53', 'missing "}" at column 16; the "{" at column 13 is not closed', 16],
    ['()', 'expected a field or protocol before ")" at column 2', 2],
  ];
  it.each(cases)('rejects %j', (expr, message, column) => {
    const e = errorOf(() => parseFilter(expr));
    expect(e.message).toBe(message);
    expect(e.column).toBe(column);
    expect(e.expr).toBe(expr);
  });

  it('points at the problem with a caret line', () => {
    const e = errorOf(() => parseFilter('arp && && icmp'));
    expect(e.pointer()).toBe('arp && && icmp\n       ^^');
  });
});
