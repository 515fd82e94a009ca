/**
 * Compile a display-filter expression once into a predicate over decoded packets. Every name and
 * value is resolved and parsed at compile time (errors carry the column); what runs per packet is
 * a tree of small closures that compare numbers and strings already in the layer objects, with no
 * string building and no allocation (IPv4 addresses are compared as unsigned 32-bit numbers).
 *
 * Matching follows Wireshark: a protocol field matches when ANY occurrence satisfies the relation
 * (`ip.src == X` looks at every IPv4 header, outer and inner); `!=` is "present, and no occurrence
 * equals", i.e. `f != v` is `f && !(f == v)`. `inner.` / `outer.` restrict a protocol or field to
 * the layers after / before the last tunnel encapsulation (decoders' tunnelSplit).
 */
import type { Layer, Packet } from '../decoders/layer.js';
import { isEncapsulation } from '../decoders/index.js';
import {
  FIELD_BY_NAME,
  FIELDS,
  PROTOCOL_BY_NAME,
  PROTOCOLS,
  SCOPES,
  protocolFields,
  type FieldDef,
  type FieldType,
  type FrameKey,
  type ProtocolDef,
  type Scope,
} from './fields.js';
import { closest } from './suggest.js';
import { FilterError, parseFilter, type FieldNode, type Node, type Op, type RelOp, type ValueNode } from './syntax.js';
import {
  canonicalIpv6,
  ipv4Value,
  macValue,
  numberValue,
  parseIpv4Literal,
  parseIpv6Into,
  parseMacLiteral,
  parseNumberLiteral,
  parsePrefixLength,
} from './values.js';

export type PacketFilter = (p: Packet) => boolean;

/** Compile `expr`; throws FilterError (with column) on a bad expression. Blank matches everything. */
export function compileFilter(expr: string): PacketFilter {
  const ast = parseFilter(expr);
  if (!ast) return () => true;
  return new Compiler(expr).node(ast);
}

/** Check an expression without keeping the predicate: the error, or undefined when it is valid. */
export function checkFilter(expr: string): FilterError | undefined {
  try {
    compileFilter(expr);
    return undefined;
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
}

/** Where a field is read from, once resolved. */
type Resolved =
  | { readonly kind: 'protocol'; readonly proto: ProtocolDef; readonly scope: Scope; readonly name: string }
  | { readonly kind: 'field'; readonly def: FieldDef; readonly scope: Scope; readonly name: string };

/** A test of one decoded value (present: never undefined/null). */
type ValueTest = (v: unknown) => boolean;

/** Reads the value(s) of a field from a layer: one getter per key. */
type Getter = (l: Layer) => unknown;

/**
 * Per-compiled-filter cache of where the packet being tested splits at its last tunnel, as the
 * decoders' tunnelSplit does (outer = up to and including the last encapsulation layer, inner =
 * the rest; no tunnel: all inner), but as two indexes instead of two new arrays per packet.
 */
export class SplitCache {
  private packet: Packet | undefined;
  /** Index of the first inner layer (0 when there is no tunnel). */
  innerStart = 0;
  /** Index after the last outer layer (0 when there is no tunnel). */
  outerEnd = 0;
  update(p: Packet): void {
    if (this.packet === p) return;
    this.packet = p;
    const ls = p.layers;
    let i = ls.length - 1;
    while (i >= 0 && !isEncapsulation(ls[i])) i--;
    this.innerStart = i + 1;
    this.outerEnd = i + 1;
  }
}

const TYPE_NAMES: Record<FieldType, string> = {
  number: 'a number',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  mac: 'a MAC address',
  string: 'text',
  bool: 'a boolean',
};

function quote(s: string): string {
  return JSON.stringify(s);
}

class Compiler {
  private readonly split = new SplitCache();
  private readonly hextets = new Uint16Array(8);
  constructor(private readonly expr: string) {}

  private fail(msg: string, column: number, length: number): never {
    throw new FilterError(`${msg} at column ${column}`, column, Math.max(1, length), this.expr);
  }

  /** Like fail, with a trailing hint after the column ("...; did you mean ..."). */
  private failHint(msg: string, column: number, length: number, hint: string | undefined): never {
    const text = hint ? `${msg} at column ${column}; ${hint}` : `${msg} at column ${column}`;
    throw new FilterError(text, column, Math.max(1, length), this.expr);
  }

  node(n: Node): PacketFilter {
    switch (n.kind) {
      case 'or': {
        const a = this.node(n.left);
        const b = this.node(n.right);
        return (p) => a(p) || b(p);
      }
      case 'and': {
        const a = this.node(n.left);
        const b = this.node(n.right);
        return (p) => a(p) && b(p);
      }
      case 'not': {
        const a = this.node(n.expr);
        return (p) => !a(p);
      }
      case 'test':
        return this.test(this.resolve(n.field));
      case 'compare':
        return this.compare(this.resolve(n.field), n.field, n.op, n.opColumn, n.values);
    }
  }

  // ---- names -------------------------------------------------------------------------------

  /** A name as a protocol or field, or undefined when unknown (no error). */
  private lookup(full: string): Resolved | undefined {
    const { scope, name } = splitScope(full);
    const def = FIELD_BY_NAME.get(name);
    if (def) return scope !== 'any' && !def.proto ? undefined : { kind: 'field', def, scope, name: full };
    const proto = PROTOCOL_BY_NAME.get(name);
    return proto ? { kind: 'protocol', proto, scope, name: full } : undefined;
  }

  /** A name as a protocol or field, or a FilterError saying what is wrong with it. */
  private resolve(f: FieldNode): Resolved {
    const full = f.name;
    const { scope, name } = splitScope(full);
    const prefix = scope === 'any' ? '' : `${scope}.`;
    if (scope !== 'any' && name === '') this.fail(`${quote(full)} needs a protocol after it`, f.column, full.length);
    const def = FIELD_BY_NAME.get(name);
    if (def && scope !== 'any' && !def.proto)
      this.fail(`${def.name} is a frame field; "${scope}." applies only to protocols and their fields`, f.column, full.length);
    const known = this.lookup(full);
    if (known) return known;

    // Unknown: suggest the closest name (keeping the scope), else list the protocol's fields.
    const candidates =
      scope === 'any'
        ? [...FIELD_BY_NAME.keys(), ...PROTOCOL_BY_NAME.keys()]
        : [...[...FIELD_BY_NAME].filter(([, d]) => d.proto).map(([k]) => k), ...PROTOCOL_BY_NAME.keys()];
    const best = closest(name, candidates);
    const dot = name.indexOf('.');
    const userProto = dot === -1 ? undefined : name.slice(0, dot);
    const protoDef = userProto === undefined ? undefined : PROTOCOL_BY_NAME.get(userProto);
    let hint: string | undefined;
    if (best) {
      // Keep the user's spelling of the protocol (ipv4.x stays ipv4.x), else the canonical name.
      const canon = FIELD_BY_NAME.get(best)?.name ?? PROTOCOL_BY_NAME.get(best)?.name ?? best;
      hint = `did you mean ${prefix}${userProto !== undefined && best.startsWith(`${userProto}.`) ? best : canon}?`;
    } else if (protoDef) {
      hint = `${protoDef.name} fields: ${protocolFields(protoDef.name).map((d) => d.name.slice(protoDef.name.length + 1)).join(', ')}`;
    } else if (/^[0-9]/.test(name) || name.includes(':')) {
      hint = 'a comparison has the field on its left, e.g. ip.src == 10.0.0.1';
    }
    return this.failHint(`unknown field ${quote(full)}`, f.column, full.length, hint);
  }

  // ---- layer iteration ---------------------------------------------------------------------

  /** True when some layer of `layer` within the scope satisfies `test`. */
  private anyLayer(layer: string, scope: Scope, test: (l: Layer) => boolean): PacketFilter {
    if (scope === 'any') {
      return (p) => {
        const ls = p.layers;
        for (let i = 0; i < ls.length; i++) {
          const l = ls[i];
          if (l.layer === layer && test(l)) return true;
        }
        return false;
      };
    }
    const split = this.split;
    const inner = scope === 'inner';
    return (p) => {
      split.update(p);
      const ls = p.layers;
      const lo = inner ? split.innerStart : 0;
      const hi = inner ? ls.length : split.outerEnd;
      for (let i = lo; i < hi; i++) {
        const l = ls[i];
        if (l.layer === layer && test(l)) return true;
      }
      return false;
    };
  }

  private getters(def: FieldDef): Getter[] {
    const keys = def.keys ?? [];
    if (def.mask !== undefined) {
      const key = keys[0];
      const mask = def.mask;
      return [
        (l) => {
          const v = l[key];
          if (v === undefined || v === null) return undefined;
          return (numberValue(v) & mask) !== 0;
        },
      ];
    }
    return keys.map((k): Getter => {
      const dot = k.indexOf('.');
      if (dot === -1) return (l) => l[k];
      // A key of a nested object (icmp quoted.src): absent when the object is.
      const outer = k.slice(0, dot);
      const inner = k.slice(dot + 1);
      return (l) => {
        const o = l[outer];
        return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[inner] : undefined;
      };
    });
  }

  /** A predicate true when the field has a value satisfying `vt` (any occurrence, any key). */
  private fieldMatches(r: Resolved & { kind: 'field' }, vt: ValueTest): PacketFilter {
    const def = r.def;
    if (def.frame) {
      const get = frameGetter(def.frame);
      return (p) => {
        const v = get(p);
        return v !== undefined && v !== null && vt(v);
      };
    }
    const layer = PROTOCOL_BY_NAME.get(def.proto!)!.layer;
    const gs = this.getters(def);
    if (gs.length === 1) {
      const g = gs[0];
      return this.anyLayer(layer, r.scope, (l) => {
        const v = g(l);
        return v !== undefined && v !== null && vt(v);
      });
    }
    return this.anyLayer(layer, r.scope, (l) => {
      for (let i = 0; i < gs.length; i++) {
        const v = gs[i](l);
        if (v !== undefined && v !== null && vt(v)) return true;
      }
      return false;
    });
  }

  // ---- bare names --------------------------------------------------------------------------

  private test(r: Resolved): PacketFilter {
    if (r.kind === 'protocol') return this.anyLayer(r.proto.layer, r.scope, () => true);
    // A boolean field alone is a truth test (tcp.flags.syn: SYN set), anything else existence.
    if (r.def.type === 'bool') return this.fieldMatches(r, truthy);
    return this.fieldMatches(r, () => true);
  }

  // ---- relations ---------------------------------------------------------------------------

  private compare(r: Resolved, f: FieldNode, op: Op, opColumn: number, values: readonly ValueNode[]): PacketFilter {
    const opLen = op === 'contains' ? 8 : op === 'in' ? 2 : op.length;
    if (r.kind === 'protocol') {
      const example = protocolFields(r.proto.name)[0]?.name;
      this.failHint(
        `${r.name} is a protocol, not a field: it can only be tested alone`,
        f.column,
        f.name.length,
        example ? `compare one of its fields, e.g. ${r.name.slice(0, r.name.length - r.proto.name.length)}${example}` : undefined,
      );
    }
    const def = r.def;
    // `frame.caplen < frame.len`: an unquoted word that is no value of this type but is a field.
    const v0 = values[0];
    if (op !== 'in' && op !== 'contains' && !v0.quoted && def.type !== 'string' && !isLiteral(def, v0.text)) {
      const other = this.lookup(v0.text);
      if (other?.kind === 'field') return this.fieldPair(r, op, opColumn, other, v0);
    }
    let vt: ValueTest;
    if (op === 'in') {
      const tests = values.map((v) => this.valueTest(def, r.name, '==', opColumn, opLen, v));
      vt = tests.length === 1 ? tests[0] : (v) => tests.some((t) => t(v));
    } else vt = this.valueTest(def, r.name, op, opColumn, opLen, values[0]);
    const matches = this.fieldMatches(r, vt);
    if (op !== '!=') return matches;
    // present and no occurrence equal
    const eq = this.fieldMatches(r, this.valueTest(def, r.name, '==', opColumn, opLen, values[0]));
    const present = this.fieldMatches(r, () => true);
    return (p) => present(p) && !eq(p);
  }

  /**
   * `a op b` between two fields: true when some value of a and some value of b are in the relation
   * (`!=`: both present and no pair equal). Values are gathered into buffers made once, here.
   */
  private fieldPair(a: Resolved & { kind: 'field' }, op: RelOp, opColumn: number, b: Resolved & { kind: 'field' }, at: ValueNode): PacketFilter {
    const t = a.def.type;
    if (b.def.type !== t) {
      this.fail(`cannot compare ${a.name} (${TYPE_NAMES[t]}) with ${b.name} (${TYPE_NAMES[b.def.type]})`, at.column, at.length);
    }
    if (t === 'bool' && op !== '==' && op !== '!=')
      this.failHint(`${a.name} is a boolean; it takes only == and !=`, opColumn, op.length, `use it alone (${a.name}) or negated (!${a.name})`);
    const ga = this.collector(a);
    const gb = this.collector(b);
    const bufA: unknown[] = [];
    const bufB: unknown[] = [];
    const cmp = pairCompare(t);
    const rel = relation(op === '!=' ? '==' : op);
    const any = (p: Packet): boolean => {
      const na = ga(p, bufA);
      if (na === 0) return false;
      const nb = gb(p, bufB);
      for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) if (rel(cmp(bufA[i], bufB[j]))) return true;
      return false;
    };
    if (op !== '!=') return any;
    return (p) => ga(p, bufA) > 0 && gb(p, bufB) > 0 && !any(p);
  }

  /** Fills `out` with every present value of a field in the packet; returns how many. */
  private collector(r: Resolved & { kind: 'field' }): (p: Packet, out: unknown[]) => number {
    const def = r.def;
    if (def.frame) {
      const get = frameGetter(def.frame);
      return (p, out) => {
        const v = get(p);
        if (v === undefined || v === null) return 0;
        out[0] = v;
        return 1;
      };
    }
    const layer = PROTOCOL_BY_NAME.get(def.proto!)!.layer;
    const gs = this.getters(def);
    const split = this.split;
    const scope = r.scope;
    return (p, out) => {
      const ls = p.layers;
      let lo = 0;
      let hi = ls.length;
      if (scope !== 'any') {
        split.update(p);
        if (scope === 'inner') lo = split.innerStart;
        else hi = split.outerEnd;
      }
      let n = 0;
      for (let i = lo; i < hi; i++) {
        const l = ls[i];
        if (l.layer !== layer) continue;
        for (let k = 0; k < gs.length; k++) {
          const v = gs[k](l);
          if (v !== undefined && v !== null) out[n++] = v;
        }
      }
      return n;
    };
  }

  /** The test one decoded value must pass for `field op value`, its literal parsed by type. */
  private valueTest(def: FieldDef, name: string, op: Op, opColumn: number, opLen: number, val: ValueNode): ValueTest {
    const t = def.type;
    if (op === 'contains' && t !== 'string')
      this.fail(`"contains" needs a text field, and ${name} is ${TYPE_NAMES[t]}`, opColumn, opLen);
    const badValue = (what: string, hint?: string): never => {
      // `frame.caplen < frame.lne`: perhaps a misspelt field on the right.
      if (!hint && !val.quoted && /^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/i.test(val.text)) {
        const near = closest(val.text, FIELD_BY_NAME.keys());
        if (near) hint = `did you mean ${near}?`;
      }
      return this.failHint(`${name} is ${TYPE_NAMES[t]}; ${quote(val.text)} is not ${what}`, val.column, val.length, hint);
    };
    switch (t) {
      case 'number': {
        let n = parseNumberLiteral(val.text);
        if (n === undefined && def.names) n = def.names[val.text.toLowerCase()];
        if (n === undefined) {
          const names = def.names ? Object.keys(def.names) : [];
          const near = names.length ? closest(val.text, names) : undefined;
          badValue(
            'a number (decimal or 0x hex)',
            near ? `did you mean ${near}?` : names.length ? `names: ${names.join(', ')}` : undefined,
          );
        }
        return numberTest(op, n!);
      }
      case 'bool': {
        if (op !== '==' && op !== '!=')
          this.failHint(`${name} is a boolean; it takes only == and !=`, opColumn, opLen, `use it alone (${name}) or negated (!${name})`);
        const s = val.text.toLowerCase();
        const b = s === '1' || s === 'true' ? true : s === '0' || s === 'false' ? false : undefined;
        if (b === undefined) badValue('a boolean (1, 0, true, false)');
        return b ? truthy : falsy;
      }
      case 'ipv4': {
        const slash = val.text.indexOf('/');
        const addrText = slash === -1 ? val.text : val.text.slice(0, slash);
        const a = parseIpv4Literal(addrText);
        if (a === undefined) badValue('an IPv4 address or CIDR block (10.10.1.0/24)');
        if (slash === -1) return numberTestOf(ipv4Value, op, a!);
        const bits = parsePrefixLength(val.text.slice(slash + 1), 32);
        if (bits === undefined) badValue('a CIDR block: the prefix length must be 0 to 32');
        if (op !== '==' && op !== '!=') this.fail(`a CIDR block takes only == and != (in the block or not)`, opColumn, opLen);
        const size = 2 ** (32 - bits!);
        const lo = a! - (a! % size);
        const hi = lo + size - 1;
        return (v) => {
          const x = ipv4Value(v);
          return x >= lo && x <= hi;
        };
      }
      case 'ipv6': {
        const slash = val.text.indexOf('/');
        const addrText = slash === -1 ? val.text : val.text.slice(0, slash);
        const want = new Uint16Array(8);
        if (!parseIpv6Into(addrText, want)) badValue('an IPv6 address or prefix (fe80::/10)');
        let bits = 128;
        if (slash !== -1) {
          const b = parsePrefixLength(val.text.slice(slash + 1), 128);
          if (b === undefined) badValue('a prefix: the prefix length must be 0 to 128');
          bits = b!;
          if (op !== '==' && op !== '!=') this.fail(`a prefix takes only == and != (in the prefix or not)`, opColumn, opLen);
        }
        const canon = canonicalIpv6(addrText)!;
        // Decoders write RFC 5952 text, so an address equals exactly when its text does.
        if (bits === 128 && (op === '==' || op === '!=' || op === 'in')) return (v) => v === canon;
        const g = this.hextets;
        const cmp = (v: unknown): number => {
          if (typeof v !== 'string' || !parseIpv6Into(v, g)) return NaN;
          let left = bits;
          for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
            const m = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
            const d = (g[i] & m) - (want[i] & m);
            if (d !== 0) return d;
          }
          return 0;
        };
        return orderTest(op, cmp);
      }
      case 'mac': {
        const m = parseMacLiteral(val.text);
        if (m === undefined) badValue('a MAC address (aa:bb:cc:dd:ee:ff)');
        switch (op) {
          case '==':
          case '!=':
            // Decoders write lower-case colon form: a string compares as it is.
            return (v) => (typeof v === 'string' ? v === m : macValue(v) === m);
          default:
            return orderTest(op, (v) => {
              const s = macValue(v);
              return s === '' ? NaN : s < m! ? -1 : s > m! ? 1 : 0;
            });
        }
      }
      case 'string': {
        const s = val.text;
        switch (op) {
          case '==':
          case '!=':
            return (v) => (typeof v === 'string' ? v === s : String(v) === s);
          case 'contains':
            return (v) => (typeof v === 'string' ? v : String(v)).includes(s);
          default:
            return orderTest(op, (v) => {
              const x = typeof v === 'string' ? v : String(v);
              return x < s ? -1 : x > s ? 1 : 0;
            });
        }
      }
    }
  }
}

/** `inner.ip.src` → scope inner, name ip.src (lower case). */
function splitScope(full: string): { scope: Scope; name: string } {
  const lower = full.toLowerCase();
  for (const s of SCOPES) if (lower.startsWith(`${s}.`)) return { scope: s, name: lower.slice(s.length + 1) };
  return { scope: 'any', name: lower };
}

/** Does `text` parse as a literal of the field's type (or one of its symbolic names)? */
function isLiteral(def: FieldDef, text: string): boolean {
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  switch (def.type) {
    case 'number':
      return parseNumberLiteral(text) !== undefined || (def.names !== undefined && def.names[text.toLowerCase()] !== undefined);
    case 'bool':
      return /^(1|0|true|false)$/i.test(text);
    case 'ipv4':
      return parseIpv4Literal(addr) !== undefined;
    case 'ipv6':
      return parseIpv6Into(addr, new Uint16Array(8));
    case 'mac':
      return parseMacLiteral(text) !== undefined;
    case 'string':
      return true;
  }
}

/** Three-way comparison of two decoded values of one type (NaN: incomparable). */
function pairCompare(t: FieldType): (a: unknown, b: unknown) => number {
  switch (t) {
    case 'number':
      return (a, b) => numberValue(a) - numberValue(b);
    case 'ipv4':
      return (a, b) => {
        const x = ipv4Value(a);
        const y = ipv4Value(b);
        return x < 0 || y < 0 ? NaN : x - y;
      };
    case 'bool':
      return (a, b) => (truthy(a) === truthy(b) ? 0 : 1);
    case 'mac':
    case 'string': {
      const norm = t === 'mac' ? macValue : (v: unknown) => (typeof v === 'string' ? v : String(v));
      return (a, b) => {
        const x = norm(a);
        const y = norm(b);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    }
    case 'ipv6': {
      const ga = new Uint16Array(8);
      const gb = new Uint16Array(8);
      return (a, b) => {
        if (a === b) return 0;
        if (typeof a !== 'string' || typeof b !== 'string' || !parseIpv6Into(a, ga) || !parseIpv6Into(b, gb)) return NaN;
        for (let i = 0; i < 8; i++) if (ga[i] !== gb[i]) return ga[i] - gb[i];
        return 0;
      };
    }
  }
}

/** The relation as a test of a three-way comparison result. */
function relation(op: RelOp): (c: number) => boolean {
  switch (op) {
    case '==':
    case '!=':
      return (c) => c === 0;
    case '<':
      return (c) => c < 0;
    case '<=':
      return (c) => c <= 0;
    case '>':
      return (c) => c > 0;
    case '>=':
      return (c) => c >= 0;
  }
}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'number' && v !== 0) || (typeof v === 'string' && v !== '' && v !== '0');
}

function falsy(v: unknown): boolean {
  return !truthy(v);
}

/** Relation of a number field to a literal. '!=' gets the '==' test (compare() negates). */
function numberTest(op: Op, n: number): ValueTest {
  switch (op) {
    case '==':
    case '!=':
    case 'in':
      return (v) => (typeof v === 'number' ? v === n : numberValue(v) === n);
    case '<':
      return (v) => (typeof v === 'number' ? v : numberValue(v)) < n;
    case '<=':
      return (v) => (typeof v === 'number' ? v : numberValue(v)) <= n;
    case '>':
      return (v) => (typeof v === 'number' ? v : numberValue(v)) > n;
    case '>=':
      return (v) => (typeof v === 'number' ? v : numberValue(v)) >= n;
    case 'contains':
      return () => false;
  }
}

/** Like numberTest over a converted value (-1 = not convertible, never matches). */
function numberTestOf(conv: (v: unknown) => number, op: Op, n: number): ValueTest {
  switch (op) {
    case '==':
    case '!=':
    case 'in':
      return (v) => conv(v) === n;
    case '<':
      return (v) => {
        const x = conv(v);
        return x >= 0 && x < n;
      };
    case '<=':
      return (v) => {
        const x = conv(v);
        return x >= 0 && x <= n;
      };
    case '>':
      return (v) => conv(v) > n;
    case '>=':
      return (v) => conv(v) >= n;
    case 'contains':
      return () => false;
  }
}

/** Relation from a three-way comparison (NaN = incomparable, never matches). */
function orderTest(op: Op, cmp: (v: unknown) => number): ValueTest {
  switch (op) {
    case '==':
    case '!=':
    case 'in':
      return (v) => cmp(v) === 0;
    case '<':
      return (v) => cmp(v) < 0;
    case '<=':
      return (v) => cmp(v) <= 0;
    case '>':
      return (v) => cmp(v) > 0;
    case '>=':
      return (v) => cmp(v) >= 0;
    case 'contains':
      return () => false;
  }
}

function frameGetter(k: FrameKey): (p: Packet) => unknown {
  switch (k) {
    case 'node':
      return (p) => p.frame.source.node;
    case 'iface':
      return (p) => p.frame.source.iface;
    case 'file':
      return (p) => p.frame.source.file;
    case 'number':
      return (p) => p.frame.number;
    case 'len':
      return (p) => p.frame.len;
    case 'caplen':
      return (p) => p.frame.caplen;
    case 'error':
      return (p) => p.error !== undefined;
    case 'error.kind':
      return (p) => p.error?.kind;
    case 'error.layer':
      return (p) => p.error?.layer;
    case 'error.message':
      return (p) => p.error?.message;
    case 'truncated':
      return (p) => p.error?.kind === 'truncated';
    case 'malformed':
      return (p) => p.error?.kind === 'malformed';
    case 'unsupported':
      return (p) => p.error?.kind === 'unsupported';
  }
}

/** Every field definition (re-exported for callers that import only the compiler). */
export { FIELDS, PROTOCOLS };
