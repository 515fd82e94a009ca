/** docs/filter.md stays true: its examples compile and its reference lists every field. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFilter, FIELDS, PROTOCOLS } from '../../src/filter/index.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/filter.md', import.meta.url)), 'utf8');

describe('docs/filter.md', () => {
  it('has examples that compile', () => {
    const examples = [...doc.matchAll(/```filter\n([\s\S]*?)```/g)].flatMap((m) => m[1].split('\n').filter((l) => l.trim()));
    expect(examples).toContain('inner.ip.src==10.10.1.5 && vxlan.vni==1');
    expect(examples.length).toBeGreaterThanOrEqual(7);
    for (const e of examples) expect(checkFilter(e), e).toBeUndefined();
  });

  it('quotes the errors the compiler really gives', () => {
    const block = /```\n(unknown field[\s\S]*?)```/.exec(doc)![1].split('\n').filter(Boolean);
    const exprs = [
      'ip.sorce == 10.0.0.1',
      'udp.bogus == 1',
      'ip.src == 10.0.0.256',
      'arp.op == reqest',
      'ip.ttl = 64',
      '(arp',
      'ip.ttl contains 6',
      'ip == 10.0.0.1',
    ];
    expect(block).toEqual(exprs.map((e) => checkFilter(e)?.message));
  });

  it('lists every field, alias and protocol', () => {
    for (const f of FIELDS) {
      expect(doc, f.name).toContain(`| \`${f.name}\` | ${f.type} |`);
      for (const a of f.aliases ?? []) expect(doc, a).toContain(`\`${a}\``);
    }
    for (const p of PROTOCOLS) expect(doc, p.name).toContain(`### \`${p.name}\``);
  });
});
