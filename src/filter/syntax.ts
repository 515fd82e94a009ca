/**
 * Display-filter syntax: a tokenizer and a recursive-descent parser that turn an expression into
 * an AST with the column of every token, so that every error can point at what is wrong. The
 * parser knows nothing of fields or value types; compile.ts resolves those (and reports unknown
 * fields with a suggestion).
 *
 *   expr     := or
 *   or       := and (("||" | "or") and)*
 *   and      := not (("&&" | "and") not)*
 *   not      := ("!" | "not") not | primary
 *   primary  := "(" expr ")" | FIELD [relation]
 *   relation := RELOP value | "contains" value | "in" "{" value ([","] value)* "}"
 *   RELOP    := "==" | "!=" | "<" | "<=" | ">" | ">=" | eq | ne | lt | le | gt | ge
 *   value    := WORD | STRING
 */

/** A bad expression. `column` is 1-based; the message already names it ("... at column 4"). */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    message: string,
    /** 1-based column of the offending text in the expression. */
    readonly column: number,
    /** Length of the offending text (at least 1), for underlining it. */
    readonly length: number,
    /** The whole expression. */
    readonly expr: string,
  ) {
    super(message);
  }

  /** The expression and a caret line under the problem, for a terminal or the TUI. */
  pointer(): string {
    return `${this.expr}\n${' '.repeat(this.column - 1)}${'^'.repeat(Math.max(1, this.length))}`;
  }
}

export type RelOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Op = RelOp | 'contains' | 'in';

export interface ValueNode {
  /** The text of the value, with quotes removed and escapes resolved for a string. */
  readonly text: string;
  /** True when it was written as a quoted string. */
  readonly quoted: boolean;
  /** 1-based column of the value's first character (the quote for a string). */
  readonly column: number;
  /** Length in the expression (including quotes). */
  readonly length: number;
}

export interface FieldNode {
  readonly name: string;
  readonly column: number;
}

export type Node =
  | { readonly kind: 'or' | 'and'; readonly left: Node; readonly right: Node }
  | { readonly kind: 'not'; readonly expr: Node }
  /** A bare field or protocol: existence test (truth test for a boolean field). */
  | { readonly kind: 'test'; readonly field: FieldNode }
  | {
      readonly kind: 'compare';
      readonly field: FieldNode;
      readonly op: Op;
      /** 1-based column of the operator. */
      readonly opColumn: number;
      /** One value, or the members of an `in { }` set. */
      readonly values: readonly ValueNode[];
    };

type TokKind = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'comma' | 'and' | 'or' | 'not' | 'end';

interface Token {
  readonly kind: TokKind;
  /** Raw text (for a word or op) or the decoded string contents. */
  readonly text: string;
  /** 0-based start offset. */
  readonly start: number;
  /** Length in the source. */
  readonly length: number;
}

const WORD_OPS: Record<string, RelOp | 'contains' | 'in'> = {
  eq: '==',
  ne: '!=',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  contains: 'contains',
  in: 'in',
};

/** Characters of a bare word: field names, numbers, addresses, CIDR, node/interface names. */
function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x3a || // :
    c === 0x2f || // /
    c === 0x2d || // -
    c === 0x40 || // @
    c === 0x2b || // +
    c >= 0x80 // non-ASCII names
  );
}

function quote(s: string): string {
  return JSON.stringify(s);
}

export function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  const n = expr.length;
  let i = 0;
  const fail = (msg: string, at: number, len = 1): never => {
    throw new FilterError(`${msg} at column ${at + 1}`, at + 1, len, expr);
  };
  while (i < n) {
    const c = expr.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    const two = expr.slice(i, i + 2);
    const start = i;
    switch (two) {
      case '&&':
        out.push({ kind: 'and', text: two, start, length: 2 });
        i += 2;
        continue;
      case '||':
        out.push({ kind: 'or', text: two, start, length: 2 });
        i += 2;
        continue;
      case '==':
      case '!=':
      case '<=':
      case '>=':
        if (expr[i + 2] === '=' && (two === '==' || two === '!=')) {
          // Wireshark's "===" / "!==" mean the same as "==" / "!=" for single-valued fields.
          out.push({ kind: 'op', text: two, start, length: 3 });
          i += 3;
          continue;
        }
        out.push({ kind: 'op', text: two, start, length: 2 });
        i += 2;
        continue;
    }
    switch (c) {
      case 0x28:
        out.push({ kind: 'lparen', text: '(', start, length: 1 });
        i++;
        continue;
      case 0x29:
        out.push({ kind: 'rparen', text: ')', start, length: 1 });
        i++;
        continue;
      case 0x7b:
        out.push({ kind: 'lbrace', text: '{', start, length: 1 });
        i++;
        continue;
      case 0x7d:
        out.push({ kind: 'rbrace', text: '}', start, length: 1 });
        i++;
        continue;
      case 0x2c:
        out.push({ kind: 'comma', text: ',', start, length: 1 });
        i++;
        continue;
      case 0x21: // !
        out.push({ kind: 'not', text: '!', start, length: 1 });
        i++;
        continue;
      case 0x3c: // <
      case 0x3e: // >
        out.push({ kind: 'op', text: expr[i], start, length: 1 });
        i++;
        continue;
      case 0x3d: // a single =
        fail('"=" is not an operator; did you mean "=="?', i);
        break;
      case 0x26: // a single &
        fail('"&" is not an operator; did you mean "&&"?', i);
        break;
      case 0x7c: // a single |
        fail('"|" is not an operator; did you mean "||"?', i);
        break;
      case 0x22: // "
      case 0x27: {
        // '
        const q = c;
        let s = '';
        let j = i + 1;
        for (;;) {
          if (j >= n) fail('unterminated string', start, n - start);
          const d = expr.charCodeAt(j);
          if (d === q) break;
          if (d === 0x5c) {
            // backslash escape
            const e = expr[j + 1];
            if (e === undefined) fail('unterminated string', start, n - start);
            if (e === 'n') s += '\n';
            else if (e === 't') s += '\t';
            else if (e === 'r') s += '\r';
            else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(expr.slice(j + 2, j + 4))) {
              s += String.fromCharCode(parseInt(expr.slice(j + 2, j + 4), 16));
              j += 4;
              continue;
            } else s += e;
            j += 2;
            continue;
          }
          s += expr[j];
          j++;
        }
        out.push({ kind: 'string', text: s, start, length: j + 1 - start });
        i = j + 1;
        continue;
      }
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(expr.charCodeAt(j))) j++;
      const text = expr.slice(i, j);
      const lower = text.toLowerCase();
      if (lower === 'and') out.push({ kind: 'and', text, start, length: j - i });
      else if (lower === 'or') out.push({ kind: 'or', text, start, length: j - i });
      else if (lower === 'not') out.push({ kind: 'not', text, start, length: j - i });
      else out.push({ kind: 'word', text, start, length: j - i });
      i = j;
      continue;
    }
    fail(`unexpected character ${quote(expr[i])}`, i);
  }
  out.push({ kind: 'end', text: '', start: n, length: 0 });
  return out;
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'end of expression';
  if (t.kind === 'string') return `string ${quote(t.text)}`;
  return quote(t.text);
}

/** Parse an expression into its AST; undefined for an empty (all-blank) expression. */
export function parseFilter(expr: string): Node | undefined {
  const toks = tokenize(expr);
  let pos = 0;
  const peek = (): Token => toks[pos];
  const next = (): Token => toks[pos++];
  const fail = (msg: string, t: Token, hint?: string): never => {
    const col = Math.min(t.start, expr.length) + 1;
    throw new FilterError(`${msg} at column ${col}${hint ? `; ${hint}` : ''}`, col, Math.max(1, t.length), expr);
  };

  if (peek().kind === 'end') return undefined;

  const parseOr = (): Node => {
    let left = parseAnd();
    while (peek().kind === 'or') {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseNot();
    while (peek().kind === 'and') {
      next();
      left = { kind: 'and', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Node => {
    if (peek().kind === 'not') {
      next();
      return { kind: 'not', expr: parseNot() };
    }
    return parsePrimary();
  };
  const parseValue = (what: string): ValueNode => {
    const t = next();
    if (t.kind === 'word' || t.kind === 'string') {
      return { text: t.text, quoted: t.kind === 'string', column: t.start + 1, length: t.length };
    }
    // `node == and` etc.: a keyword where a value belongs must be quoted.
    if (t.kind === 'and' || t.kind === 'or' || t.kind === 'not') {
      return fail(`expected ${what}, found keyword ${quote(t.text)} (quote it to use it as a value)`, t);
    }
    return fail(`expected ${what}, found ${describe(t)}`, t);
  };
  const parsePrimary = (): Node => {
    const t = next();
    if (t.kind === 'lparen') {
      const inner = parseOr();
      const close = next();
      if (close.kind !== 'rparen') {
        if (close.kind === 'end') fail('missing ")"', close, `the "(" at column ${t.start + 1} is not closed`);
        fail(`expected ")" or an operator, found ${describe(close)}`, close);
      }
      return inner;
    }
    if (t.kind !== 'word') {
      if (t.kind === 'end') fail('expected a field or protocol, found end of expression', t);
      if (t.kind === 'string') fail(`expected a field or protocol, found string ${quote(t.text)}`, t);
      if (t.kind === 'op' || t.kind === 'rparen' || t.kind === 'and' || t.kind === 'or')
        fail(`expected a field or protocol before ${describe(t)}`, t);
      fail(`expected a field or protocol, found ${describe(t)}`, t);
    }
    const field: FieldNode = { name: t.text, column: t.start + 1 };
    const o = peek();
    let op: Op | undefined;
    if (o.kind === 'op') op = o.text.slice(0, 2) as RelOp;
    else if (o.kind === 'word' && WORD_OPS[o.text.toLowerCase()]) op = WORD_OPS[o.text.toLowerCase()];
    if (!op) {
      if (o.kind === 'word' || o.kind === 'string')
        fail(`expected an operator (==, !=, <, <=, >, >=, contains, in), "&&", "||" or ")" after ${quote(t.text)}, found ${describe(o)}`, o);
      return { kind: 'test', field };
    }
    next();
    if (op === 'in') {
      const open = next();
      if (open.kind !== 'lbrace') fail(`expected "{" after "in", found ${describe(open)}`, open);
      const values: ValueNode[] = [];
      for (;;) {
        const p = peek();
        if (p.kind === 'rbrace') {
          if (values.length === 0) fail('empty set "{}"', p);
          next();
          break;
        }
        if (p.kind === 'end') fail('missing "}"', p, `the "{" at column ${open.start + 1} is not closed`);
        values.push(parseValue('a value or "}"'));
        if (peek().kind === 'comma') next();
      }
      return { kind: 'compare', field, op, opColumn: o.start + 1, values };
    }
    return { kind: 'compare', field, op, opColumn: o.start + 1, values: [parseValue(`a value after ${quote(o.text)}`)] };
  };

  const root = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') {
    if (rest.kind === 'rparen') fail('unbalanced ")"', rest);
    fail(`expected "&&", "||" or end of expression, found ${describe(rest)}`, rest);
  }
  return root;
}
