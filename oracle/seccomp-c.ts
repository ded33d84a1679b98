// A C file that builds a seccomp filter with libseccomp calls, read into the same CompilePlan as an
// OCI profile (oracle/oci.ts) so the executor can build the filter with the real libseccomp. Only
// straight-line calls of the one function that calls seccomp_init are read, in textual order; the
// success path is assumed (an `if (rc < 0) goto out;` is not taken). Anything sockspec cannot
// reproduce exactly is a ProfileError `FILE:LINE: detail`. Datums are evaluated with C's integer
// types (int, unsigned, long, unsigned long on LP64) and converted to `scmp_datum_t` as C does.
// Sources: docs/seccomp.md §11; seccomp/libseccomp v2.5.4 include/seccomp.h.in, src/api.c, src/db.c.

import { AF_NAMES, errnoNumber, IPPROTO, NETLINK, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_NAMES } from '../model/constants';
import { NR_SOCKET_X86_64, NR_SOCKETPAIR_X86_64 } from '../model/seccomp/asm';
import { MAX_ERRNO, SECCOMP_RET_ERRNO } from '../model/seccomp/actions';
import { actionValue, type CompilePlan, ProfileError, SCMP_ARCH, SCMP_CMP } from './oci';

/** A CompilePlan read from C source, with where each rule and call came from. */
export interface SeccompCPlan extends CompilePlan {
  /** The 1-based source line of each rule, parallel to `rules`. */
  readonly lines: number[];
  /** Per rule: the C tests the call's return value, so a negative rc takes the program's error path. */
  readonly checked: boolean[];
  /** The line of seccomp_init. */
  readonly initLine: number;
  /** The line of seccomp_load; undefined when the file never loads the filter. */
  readonly loadLine?: number;
  /** Calls read and found not to change the exported program (attributes, exports, release). */
  readonly notes: string[];
}

/** libseccomp 2.5.4's enum scmp_filter_attr. */
export const SCMP_FLTATR: Readonly<Record<string, number>> = {
  SCMP_FLTATR_ACT_DEFAULT: 1, SCMP_FLTATR_ACT_BADARCH: 2, SCMP_FLTATR_CTL_NNP: 3, SCMP_FLTATR_CTL_TSYNC: 4,
  SCMP_FLTATR_API_TSKIP: 5, SCMP_FLTATR_CTL_LOG: 6, SCMP_FLTATR_CTL_SSB: 7, SCMP_FLTATR_CTL_OPTIMIZE: 8,
  SCMP_FLTATR_API_SYSRAWRC: 9,
};

/** Attributes that only change how the filter is loaded or how libseccomp reports errors. */
const HARMLESS_ATTR: Readonly<Record<number, string>> = {
  3: 'SCMP_FLTATR_CTL_NNP (no_new_privs at load)', 4: 'SCMP_FLTATR_CTL_TSYNC (a load flag)',
  5: 'SCMP_FLTATR_API_TSKIP (only for syscall -1 rules)', 6: 'SCMP_FLTATR_CTL_LOG (a load flag)',
  7: 'SCMP_FLTATR_CTL_SSB (a load flag)', 9: 'SCMP_FLTATR_API_SYSRAWRC (return codes only)',
};

/** Calls that never change the filter; read anywhere and ignored. */
const HARMLESS_CALLS = new Set([
  'seccomp_release', 'seccomp_export_bpf', 'seccomp_export_pfc', 'seccomp_version', 'seccomp_api_get',
  'seccomp_arch_native', 'seccomp_arch_exist', 'seccomp_arch_resolve_name', 'seccomp_attr_get',
  'seccomp_syscall_resolve_name', 'seccomp_syscall_resolve_name_arch', 'seccomp_syscall_resolve_name_rewrite',
  'seccomp_syscall_resolve_num_arch', 'seccomp_notify_alloc', 'seccomp_notify_free', 'seccomp_notify_receive',
  'seccomp_notify_respond', 'seccomp_notify_id_valid', 'seccomp_notify_fd',
]);

/** Calls that change the filter and must be straight-line code of the seccomp_init function. */
const FILTER_CALLS = new Set([
  'seccomp_init', 'seccomp_reset', 'seccomp_rule_add', 'seccomp_rule_add_exact', 'seccomp_rule_add_array',
  'seccomp_rule_add_exact_array', 'seccomp_arch_add', 'seccomp_arch_remove', 'seccomp_attr_set', 'seccomp_load',
]);

/** Known libseccomp calls sockspec refuses, with the reason. */
const REFUSED_CALLS: Readonly<Record<string, string>> = {
  seccomp_merge: 'merges a second filter into this one; sockspec reads one filter',
  seccomp_syscall_priority: 'reorders the syscalls of the exported program, which the executor cannot reproduce',
  seccomp_api_set: 'forces libseccomp\'s API level, which sockspec does not model',
};

// ---------------------------------------------------------------------------------------------
// Tokens

interface Tok {
  readonly k: 'id' | 'num' | 'str' | 'chr' | 'p';
  readonly v: string;
  readonly line: number;
  /** The line of the innermost open #if/#ifdef/#ifndef around the token, 0 when none. */
  readonly pp: number;
}

interface Define {
  readonly toks: Tok[];
  readonly line: number;
  readonly fnLike: boolean;
}

const PUNCT3 = ['<<=', '>>=', '...'];
const PUNCT2 = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '##'];

/** Comments become spaces (newlines kept), so every token keeps its line. */
function stripComments(text: string, file: string): string {
  let out = '';
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') line++;
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new ProfileError(`${file}:${line}: unterminated comment`);
      const body = text.slice(i, end + 2);
      out += body.replace(/[^\n]/g, ' ');
      line += body.split('\n').length - 1;
      i = end + 2;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') { out += ' '; i++; }
    } else if (c === '"' || c === '\'') {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Splits one line of code into tokens. */
function lexLine(s: string, line: number, pp: number, file: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    const rest = s.slice(i);
    let m = /^[A-Za-z_]\w*/.exec(rest);
    if (m) { toks.push({ k: 'id', v: m[0], line, pp }); i += m[0].length; continue; }
    m = /^(?:0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)(?:\.\d*)?[A-Za-z]*/.exec(rest) ?? /^\.\d+[A-Za-z]*/.exec(rest);
    if (m) { toks.push({ k: 'num', v: m[0], line, pp }); i += m[0].length; continue; }
    if (c === '"' || c === '\'') {
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) throw new ProfileError(`${file}:${line}: unterminated ${c === '"' ? 'string' : 'character'} literal`);
      toks.push({ k: c === '"' ? 'str' : 'chr', v: s.slice(i + 1, j), line, pp });
      i = j + 1;
      continue;
    }
    const p = PUNCT3.find((x) => rest.startsWith(x)) ?? PUNCT2.find((x) => rest.startsWith(x)) ?? c;
    toks.push({ k: 'p', v: p, line, pp });
    i += p.length;
  }
  return toks;
}

/** Tokens of the code and the file's #define lines; #include and other directives are dropped. */
function tokenize(text: string, file: string): { toks: Tok[]; defines: Map<string, Define> } {
  const lines = stripComments(text.replace(/\r\n?/g, '\n'), file).split('\n');
  const toks: Tok[] = [];
  const defines = new Map<string, Define>();
  const ppStack: number[] = [];
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let s = lines[n];
    // Line continuations: the logical line keeps the number of its first physical line.
    while (s.endsWith('\\') && n + 1 < lines.length) s = s.slice(0, -1) + ' ' + lines[++n];
    const pp = ppStack.length > 0 ? ppStack[ppStack.length - 1] : 0;
    const d = /^\s*#\s*(\w*)(.*)$/.exec(s);
    if (!d) {
      toks.push(...lexLine(s, lineNo, pp, file));
      continue;
    }
    const [, directive, body] = d;
    if (directive === 'if' || directive === 'ifdef' || directive === 'ifndef') ppStack.push(lineNo);
    else if (directive === 'endif') ppStack.pop();
    else if (directive === 'define') {
      const m = /^\s+([A-Za-z_]\w*)(\()?(.*)$/.exec(body);
      if (!m) throw new ProfileError(`${file}:${lineNo}: unreadable #define`);
      const value = lexLine(m[3], lineNo, pp, file);
      if (m[2] && value.some((t) => t.k === 'id' && t.v.startsWith('seccomp_'))) {
        throw new ProfileError(`${file}:${lineNo}: macro ${m[1]}() calls libseccomp; sockspec does not expand function-like macros`);
      }
      defines.set(m[1], { toks: value, line: lineNo, fnLike: m[2] !== undefined });
    } else if (directive === 'undef') defines.delete(body.trim());
  }
  return { toks, defines };
}

// ---------------------------------------------------------------------------------------------
// Statements: which calls run on the straight-line path of which function

interface Frame {
  readonly kind: 'loop' | 'cond';
  readonly what: string;
  readonly line: number;
}

interface CallSite {
  readonly name: string;
  readonly args: Tok[][];
  readonly line: number;
  readonly fn: string;
  readonly frames: readonly Frame[];
  /** The line of the innermost preprocessor condition around the call, 0 when none. */
  readonly pp: number;
  /** The call is in an if condition, or its result is assigned and tested by the next statement. */
  checked: boolean;
  /** The variable the call's result is assigned to, if any. */
  assigned?: string;
  /** The token index just after the call's closing parenthesis. */
  readonly after: number;
}

const ASSIGN = new Set(['=', '|=', '+=', '&=']);

/** The recursive statement reader of one file. */
class Reader {
  readonly calls: CallSite[] = [];
  private fn = '';

  constructor(private readonly toks: Tok[], private readonly file: string) {}

  /** An error at the line of token `i` (or the last line). */
  err(i: number, detail: string): ProfileError {
    const t = this.toks[Math.min(i, this.toks.length - 1)];
    return new ProfileError(`${this.file}:${t ? t.line : 1}: ${detail}`);
  }

  /** The index of the bracket closing the one at `i`. */
  close(i: number): number {
    const open = this.toks[i].v;
    const want = open === '(' ? ')' : open === '[' ? ']' : '}';
    const stack: string[] = [];
    for (let j = i; j < this.toks.length; j++) {
      const v = this.toks[j].k === 'p' ? this.toks[j].v : '';
      if (v === '(' || v === '[' || v === '{') stack.push(v);
      else if (v === ')' || v === ']' || v === '}') {
        const o = stack.pop();
        if ((o === '(' && v !== ')') || (o === '[' && v !== ']') || (o === '{' && v !== '}')) throw this.err(j, `unbalanced parentheses: ${v} closes ${o}`);
        if (stack.length === 0) {
          if (v !== want) throw this.err(j, `unbalanced parentheses: ${v} closes ${open}`);
          return j;
        }
      }
    }
    throw this.err(i, `unbalanced parentheses: ${open} is never closed`);
  }

  private is(i: number, v: string): boolean {
    return i < this.toks.length && this.toks[i].v === v && this.toks[i].k !== 'str' && this.toks[i].k !== 'chr';
  }

  /** Reads the top level: function bodies are read as statements, everything else skipped. */
  readFile(): void {
    let i = 0;
    while (i < this.toks.length) {
      const t = this.toks[i];
      if (t.k === 'p' && (t.v === ')' || t.v === ']' || t.v === '}')) throw this.err(i, `unbalanced parentheses: unexpected ${t.v}`);
      if (t.k === 'id' && this.is(i + 1, '(')) {
        const end = this.close(i + 1);
        if (this.is(end + 1, '{')) {
          this.fn = t.v;
          i = this.block(end + 1, []);
          continue;
        }
        i = end + 1;
        continue;
      }
      if (t.k === 'p' && (t.v === '{' || t.v === '(' || t.v === '[')) {
        i = this.close(i) + 1;
        continue;
      }
      i++;
    }
  }

  /** A `{ … }` block at `i`; returns the index after it. */
  private block(i: number, frames: readonly Frame[]): number {
    const end = this.close(i);
    let j = i + 1;
    while (j < end) j = this.statement(j, frames);
    return end + 1;
  }

  /** The calls of tokens [from, to) under `frames`; returns them. */
  private scan(from: number, to: number, frames: readonly Frame[]): CallSite[] {
    const found: CallSite[] = [];
    for (let j = from; j < to; j++) {
      const t = this.toks[j];
      if (t.k !== 'id' || !t.v.startsWith('seccomp_') || !this.is(j + 1, '(')) continue;
      const end = this.close(j + 1);
      const args: Tok[][] = [];
      let cur: Tok[] = [];
      let depth = 0;
      for (let k = j + 2; k < end; k++) {
        const v = this.toks[k].k === 'p' ? this.toks[k].v : '';
        if (v === '(' || v === '[' || v === '{') depth++;
        if (v === ')' || v === ']' || v === '}') depth--;
        if (v === ',' && depth === 0) { args.push(cur); cur = []; } else cur.push(this.toks[k]);
      }
      if (cur.length > 0 || args.length > 0) args.push(cur);
      const site: CallSite = { name: t.v, args, line: t.line, fn: this.fn, frames, pp: t.pp, checked: false, after: end + 1 };
      // `x = seccomp_…(…)`, `type x = …` or `x |= …`: remember x for the check that follows.
      if (j - 2 >= from && this.toks[j - 1].k === 'p' && ASSIGN.has(this.toks[j - 1].v) && this.toks[j - 2].k === 'id') site.assigned = this.toks[j - 2].v;
      found.push(site);
      this.calls.push(site);
      j = end;
    }
    return found;
  }

  /** The index of the `;` ending a simple statement at `i` (brackets skipped). */
  private semi(i: number): number {
    let j = i;
    while (j < this.toks.length && !this.is(j, ';')) {
      const v = this.toks[j].k === 'p' ? this.toks[j].v : '';
      if (v === '(' || v === '[' || v === '{') j = this.close(j) + 1;
      else if (v === ')' || v === ']' || v === '}') throw this.err(j, `unbalanced parentheses: unexpected ${v}`);
      else j++;
    }
    if (j >= this.toks.length) throw this.err(i, 'missing ; at the end of a statement');
    return j;
  }

  /** The `( … )` after a keyword at `i`: its bounds. */
  private parens(i: number, what: string): { open: number; end: number } {
    if (!this.is(i + 1, '(')) throw this.err(i, `expected ( after ${what}`);
    return { open: i + 1, end: this.close(i + 1) };
  }

  /** One statement at `i`; returns the index after it. */
  private statement(i: number, frames: readonly Frame[]): number {
    const t = this.toks[i];
    const line = t.line;
    if (this.is(i, '{')) return this.block(i, frames);
    if (this.is(i, ';')) return i + 1;
    if (t.k === 'id') {
      switch (t.v) {
        case 'if': {
          const { open, end } = this.parens(i, 'if');
          const inCond = this.scan(open + 1, end, frames);
          for (const c of inCond) c.checked = true;
          let j = this.statement(end + 1, [...frames, { kind: 'cond', what: 'if', line }]);
          if (this.is(j, 'else')) j = this.statement(j + 1, [...frames, { kind: 'cond', what: 'else', line: this.toks[j].line }]);
          return j;
        }
        case 'switch': {
          const { open, end } = this.parens(i, 'switch');
          this.scan(open + 1, end, frames);
          return this.statement(end + 1, [...frames, { kind: 'cond', what: 'switch', line }]);
        }
        case 'for': case 'while': {
          const loop: Frame = { kind: 'loop', what: t.v, line };
          const { open, end } = this.parens(i, t.v);
          this.scan(open + 1, end, [...frames, loop]);
          return this.statement(end + 1, [...frames, loop]);
        }
        case 'do': {
          const loop: Frame = { kind: 'loop', what: 'do', line };
          const j = this.statement(i + 1, [...frames, loop]);
          if (!this.is(j, 'while')) throw this.err(j, 'expected while after a do body');
          const { open, end } = this.parens(j, 'while');
          this.scan(open + 1, end, [...frames, loop]);
          if (!this.is(end + 1, ';')) throw this.err(end, 'expected ; after do … while (…)');
          return end + 2;
        }
        case 'else': throw this.err(i, 'else without if');
        case 'case': {
          let j = i + 1;
          while (j < this.toks.length && !this.is(j, ':')) j++;
          return j + 1;
        }
        case 'default':
          if (this.is(i + 1, ':')) return i + 2;
          break;
        default:
          // A label (`out:`): the statements after it run on the straight-line path too.
          if (this.is(i + 1, ':')) return i + 2;
      }
    }
    const end = this.semi(i);
    this.scan(i, end, frames);
    return end + 1;
  }

  /**
   * Marks calls whose assigned result a later `if` tests before the variable is overwritten or
   * the filter loaded (`rc = …; if (rc < 0) goto out;`, `rc |= …; … if (rc) …`).
   */
  markChecked(): void {
    for (const c of this.calls) {
      if (c.assigned === undefined || c.checked) continue;
      for (let j = c.after; j < this.toks.length; j++) {
        const t = this.toks[j];
        if (t.k !== 'id') continue;
        if (t.v === 'seccomp_load' || (t.v === c.assigned && this.is(j + 1, '='))) break;
        if (t.v === 'if' && this.is(j + 1, '(')) {
          const end = this.close(j + 1);
          if (this.toks.slice(j + 2, end).some((x) => x.k === 'id' && x.v === c.assigned)) {
            c.checked = true;
            break;
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Integer expressions with C's types (LP64)

interface CType {
  readonly bits: 32 | 64;
  readonly signed: boolean;
}

interface CVal {
  readonly v: bigint;
  readonly t: CType;
}

const INT: CType = { bits: 32, signed: true };
const UINT: CType = { bits: 32, signed: false };
const LONG: CType = { bits: 64, signed: true };
const ULONG: CType = { bits: 64, signed: false };

/** `v` converted to type `t` (two's complement wrap, as GCC does). */
function conv(v: bigint, t: CType): CVal {
  return { v: t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v), t };
}

/** C's usual arithmetic conversions for two operands of rank int or above. */
function common(a: CType, b: CType): CType {
  if (a.bits === b.bits) return { bits: a.bits, signed: a.signed && b.signed };
  // The 64-bit type wins either way: a signed long holds every unsigned int.
  return a.bits > b.bits ? a : b;
}

/** Integer typedefs and keywords a cast may name; narrow ones are promoted to int after the cast. */
const TYPEDEFS: Readonly<Record<string, { bits: number; signed: boolean }>> = {
  uint8_t: { bits: 8, signed: false }, int8_t: { bits: 8, signed: true }, uint16_t: { bits: 16, signed: false },
  int16_t: { bits: 16, signed: true }, uint32_t: { bits: 32, signed: false }, int32_t: { bits: 32, signed: true },
  uint64_t: { bits: 64, signed: false }, int64_t: { bits: 64, signed: true }, scmp_datum_t: { bits: 64, signed: false },
  size_t: { bits: 64, signed: false }, ssize_t: { bits: 64, signed: true }, uintptr_t: { bits: 64, signed: false },
  intptr_t: { bits: 64, signed: true }, __u32: { bits: 32, signed: false }, __u64: { bits: 64, signed: false },
  __s32: { bits: 32, signed: true }, __s64: { bits: 64, signed: true }, pid_t: { bits: 32, signed: true },
  uid_t: { bits: 32, signed: false }, gid_t: { bits: 32, signed: false },
};
const TYPE_WORDS = new Set(['unsigned', 'signed', 'int', 'long', 'short', 'char', 'const', 'enum', 'volatile']);

/** The C type a type-name token list spells, or undefined when it is not one. */
function castType(names: string[]): { bits: number; signed: boolean } | undefined {
  if (names.length === 1 && TYPEDEFS[names[0]]) return TYPEDEFS[names[0]];
  if (names[0] === 'enum' && names.length === 2) return { bits: 32, signed: true };
  if (names.length === 0 || !names.every((n) => TYPE_WORDS.has(n))) return undefined;
  const w = names.filter((n) => n !== 'const' && n !== 'volatile');
  const signed = !w.includes('unsigned');
  if (w.includes('char')) return { bits: 8, signed };
  if (w.includes('short')) return { bits: 16, signed };
  if (w.includes('long')) return { bits: 64, signed };
  return { bits: 32, signed };
}

/** A C integer literal with its type (C11 6.4.4.1 on LP64). */
function literal(text: string): CVal | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9]\d*)([uU]?(?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU])$/.exec(text);
  if (!m) return undefined;
  const digits = m[1];
  const v = /^0[bB]/.test(digits) ? BigInt(digits) : /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const suffix = m[2].toLowerCase();
  const unsigned = suffix.includes('u');
  const long = suffix.includes('l');
  const decimal = /^[1-9]/.test(digits) || digits === '0';
  const candidates: CType[] = unsigned ? (long ? [ULONG] : [UINT, ULONG])
    : long ? (decimal ? [LONG] : [LONG, ULONG]) : decimal ? [INT, LONG] : [INT, UINT, LONG, ULONG];
  for (const t of candidates) {
    const max = (1n << BigInt(t.signed ? t.bits - 1 : t.bits)) - 1n;
    if (v <= max) return { v, t };
  }
  // GCC: a decimal constant too large for long is unsigned long ("so large that it is unsigned").
  return v <= 0xffffffffffffffffn ? { v, t: ULONG } : undefined;
}

/** Names the C headers define, as ints (the family, type, protocol and errno constants). */
function headerNames(): Map<string, number> {
  const m = new Map<string, number>();
  AF_NAMES.forEach((n, i) => { m.set(n, i); m.set(`PF_${n.slice(3)}`, i); });
  for (const [k, v] of [['AF_LOCAL', 1], ['PF_LOCAL', 1], ['AF_FILE', 1], ['PF_FILE', 1], ['AF_ROUTE', 16], ['PF_ROUTE', 16]] as const) m.set(k, v);
  for (const [v, n] of Object.entries(SOCK_TYPE_NAMES)) m.set(n, Number(v));
  m.set('SOCK_CLOEXEC', SOCK_CLOEXEC);
  m.set('SOCK_NONBLOCK', SOCK_NONBLOCK);
  for (const [k, v] of Object.entries(IPPROTO)) m.set(k, v);
  for (const [k, v] of Object.entries(NETLINK)) m.set(k, v);
  for (const [k, v] of Object.entries(SCMP_CMP)) m.set(k, v);
  for (const [k, v] of Object.entries(SCMP_FLTATR)) m.set(k, v);
  // glibc's errno aliases.
  for (const [k, v] of [['EWOULDBLOCK', 11], ['EDEADLOCK', 35], ['ENOTSUP', 95]] as const) m.set(k, v);
  return m;
}
const HEADER_NAMES = headerNames();

/** The SCMP_ACT_* constants without an argument (unsigned int, as seccomp.h writes them). */
const ACTION_NAMES = ['SCMP_ACT_ALLOW', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];

/** SCMP_ARCH_* tokens an x86_64 host can add; SCMP_ARCH_NATIVE (0) is the host's own. */
const ARCH_TOKENS: Readonly<Record<string, number>> = { ...SCMP_ARCH, SCMP_ARCH_NATIVE: 0 };

/** Evaluates token lists as C integer constant expressions, expanding the file's #defines. */
class Evaluator {
  constructor(private readonly file: string, private readonly defines: Map<string, Define>) {}

  /** An error at `line`. */
  err(line: number, detail: string): ProfileError {
    return new ProfileError(`${this.file}:${line}: ${detail}`);
  }

  /** The value of `toks` as C computes it; `line` names the call for errors. */
  value(toks: Tok[], line: number, seen: ReadonlySet<string> = new Set()): CVal {
    if (toks.length === 0) throw this.err(line, 'an empty expression');
    const p = { toks, i: 0, line, seen };
    const v = this.or(p);
    if (p.i < toks.length) throw this.err(line, `unexpected ${JSON.stringify(toks[p.i].v)} in an expression`);
    return v;
  }

  /** The value converted to scmp_datum_t (uint64_t). */
  datum(toks: Tok[], line: number): bigint {
    return BigInt.asUintN(64, this.value(toks, line).v);
  }

  /** A single identifier's #define, expanded (recursively) to its tokens; else the tokens unchanged. */
  expand(toks: Tok[]): Tok[] {
    let cur = toks;
    const seen = new Set<string>();
    while (cur.length === 1 && cur[0].k === 'id' && this.defines.has(cur[0].v) && !seen.has(cur[0].v)) {
      seen.add(cur[0].v);
      const d = this.defines.get(cur[0].v) as Define;
      if (d.fnLike) break;
      cur = d.toks;
    }
    return cur;
  }

  private binary(p: P, ops: string[], next: (p: P) => CVal, apply: (op: string, a: CVal, b: CVal) => CVal): CVal {
    let a = next(p);
    while (p.i < p.toks.length && p.toks[p.i].k === 'p' && ops.includes(p.toks[p.i].v)) {
      const op = p.toks[p.i++].v;
      a = apply(op, a, next(p));
    }
    return a;
  }

  private arith = (p: P) => (op: string, a: CVal, b: CVal): CVal => {
    if (op === '<<' || op === '>>') {
      if (b.v < 0n || b.v >= BigInt(a.t.bits)) throw this.err(p.line, `shift by ${b.v} is undefined for a ${a.t.bits}-bit operand`);
      return conv(op === '<<' ? a.v << b.v : a.v >> b.v, a.t);
    }
    const t = common(a.t, b.t);
    const x = conv(a.v, t).v, y = conv(b.v, t).v;
    switch (op) {
      case '|': return conv(x | y, t);
      case '^': return conv(x ^ y, t);
      case '&': return conv(x & y, t);
      case '+': return conv(x + y, t);
      case '-': return conv(x - y, t);
      case '*': return conv(x * y, t);
      default:
        if (y === 0n) throw this.err(p.line, 'division by zero');
        return conv(op === '/' ? x / y : x % y, t);
    }
  };

  private or = (p: P): CVal => this.binary(p, ['|'], this.xor, this.arith(p));
  private xor = (p: P): CVal => this.binary(p, ['^'], this.and, this.arith(p));
  private and = (p: P): CVal => this.binary(p, ['&'], this.shift, this.arith(p));
  private shift = (p: P): CVal => this.binary(p, ['<<', '>>'], this.add, this.arith(p));
  private add = (p: P): CVal => this.binary(p, ['+', '-'], this.mul, this.arith(p));
  private mul = (p: P): CVal => this.binary(p, ['*', '/', '%'], this.unary, this.arith(p));

  private unary = (p: P): CVal => {
    const t = p.toks[p.i];
    if (t === undefined) throw this.err(p.line, 'an expression ends too early');
    if (t.k === 'p' && (t.v === '-' || t.v === '+' || t.v === '~' || t.v === '!')) {
      p.i++;
      const a = this.unary(p);
      if (t.v === '-') return conv(-a.v, a.t);
      if (t.v === '~') return conv(~a.v, a.t);
      if (t.v === '!') return { v: a.v === 0n ? 1n : 0n, t: INT };
      return a;
    }
    if (t.k === 'p' && t.v === '(') {
      const names: string[] = [];
      let j = p.i + 1;
      while (j < p.toks.length && p.toks[j].k === 'id') names.push(p.toks[j++].v);
      const ct = j < p.toks.length && p.toks[j].v === ')' ? castType(names) : undefined;
      if (ct) {
        p.i = j + 1;
        const a = this.unary(p);
        // A char or short result is promoted back to int; int and long keep the cast's type.
        if (ct.bits < 32) return { v: ct.signed ? BigInt.asIntN(ct.bits, a.v) : BigInt.asUintN(ct.bits, a.v), t: INT };
        return conv(a.v, { bits: ct.bits === 64 ? 64 : 32, signed: ct.signed });
      }
      p.i++;
      const v = this.or(p);
      if (p.toks[p.i]?.v !== ')') throw this.err(p.line, 'unbalanced parentheses in an expression');
      p.i++;
      return v;
    }
    return this.primary(p);
  };

  private primary(p: P): CVal {
    const t = p.toks[p.i++];
    if (t.k === 'num') {
      const v = literal(t.v);
      if (!v) throw this.err(p.line, `${t.v} is not an integer constant`);
      return v;
    }
    if (t.k === 'chr') {
      const esc: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, '\'': 39, '"': 34 };
      const c = t.v.length === 1 ? t.v.charCodeAt(0) : t.v.length === 2 && t.v[0] === '\\' ? esc[t.v[1]] : undefined;
      if (c === undefined) throw this.err(p.line, `character constant '${t.v}' is not supported`);
      return { v: BigInt(c), t: INT };
    }
    if (t.k !== 'id') throw this.err(p.line, `unexpected ${JSON.stringify(t.v)} in an expression`);
    const call = p.toks[p.i]?.v === '(';
    if (call && (t.v === 'SCMP_ACT_ERRNO' || t.v === 'SCMP_ACT_TRACE')) {
      const end = this.closeIn(p.toks, p.i, p.line);
      const x = this.value(p.toks.slice(p.i + 1, end), p.line, p.seen);
      p.i = end + 1;
      // seccomp.h: (0x00050000U | ((x) & 0x0000ffffU)); actionValue keeps the same 16 bits.
      return { v: BigInt(actionValue(t.v, Number(BigInt.asUintN(16, x.v)), `${this.file}:${p.line}`)), t: UINT };
    }
    const d = this.defines.get(t.v);
    if (d && !p.seen.has(t.v)) {
      if (d.fnLike) throw this.err(p.line, `${t.v} is a function-like macro; sockspec does not expand those`);
      return this.value(d.toks, p.line, new Set([...p.seen, t.v]));
    }
    if (call) throw this.err(p.line, `${t.v}(…) in an expression: ${this.unknown(t.v)}`);
    if (ACTION_NAMES.includes(t.v)) return { v: BigInt(actionValue(t.v, undefined, `${this.file}:${p.line}`)), t: UINT };
    if (t.v in ARCH_TOKENS) return { v: BigInt(ARCH_TOKENS[t.v]), t: UINT };
    const h = HEADER_NAMES.get(t.v);
    if (h !== undefined) return { v: BigInt(h), t: INT };
    const e = /^E[A-Z0-9]+$/.test(t.v) ? errnoNumber(t.v) : undefined;
    if (e !== undefined) return { v: BigInt(e), t: INT };
    if (t.v === 'NULL') return { v: 0n, t: LONG };
    throw this.err(p.line, this.unknown(t.v));
  }

  /** The words of the error for an identifier nobody defines. */
  private unknown(name: string): string {
    if (name.startsWith('SCMP_CMP_')) return `unknown comparison ${name}`;
    if (name.startsWith('SCMP_ACT_')) return `unknown action ${name}`;
    if (name.startsWith('SCMP_ARCH_')) return `unknown or non-x86 architecture ${name} (sockspec audits x86_64 hosts: SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_NATIVE)`;
    if (name.startsWith('SCMP_')) return `unknown libseccomp macro ${name}`;
    return `unknown name ${name} (not a family, type, protocol or errno constant sockspec knows, nor a #define of this file)`;
  }

  /** The index of the `)` closing the `(` at `i` inside an argument's tokens. */
  closeIn(toks: Tok[], i: number, line: number): number {
    let depth = 0;
    for (let j = i; j < toks.length; j++) {
      if (toks[j].k !== 'p') continue;
      if (toks[j].v === '(') depth++;
      if (toks[j].v === ')' && --depth === 0) return j;
    }
    throw this.err(line, 'unbalanced parentheses in an argument');
  }
}

interface P {
  toks: Tok[];
  i: number;
  line: number;
  seen: ReadonlySet<string>;
}

// ---------------------------------------------------------------------------------------------
// The libseccomp calls, in order

/** Splits the tokens inside `NAME( … )` at top-level commas. */
function macroArgs(toks: Tok[], ev: Evaluator, line: number): { name: string; args: Tok[][] } | undefined {
  if (toks.length < 3 || toks[0].k !== 'id' || toks[1].v !== '(') return undefined;
  const end = ev.closeIn(toks, 1, line);
  if (end !== toks.length - 1) return undefined;
  const args: Tok[][] = [];
  let cur: Tok[] = [];
  let depth = 0;
  for (const t of toks.slice(2, end)) {
    if (t.k === 'p' && t.v === '(') depth++;
    if (t.k === 'p' && t.v === ')') depth--;
    if (t.k === 'p' && t.v === ',' && depth === 0) { args.push(cur); cur = []; } else cur.push(t);
  }
  args.push(cur);
  return { name: toks[0].v, args };
}

/** One SCMP_A0..SCMP_A5 or SCMP_CMP condition as libseccomp receives it (the _32 forms cast each datum to uint32_t). */
function condition(raw: Tok[], ev: Evaluator, line: number): { arg: number; op: number; a: bigint; b: bigint } {
  const toks = ev.expand(raw);
  const m = macroArgs(toks, ev, line);
  const what = toks.map((t) => t.v).join('');
  if (!m) throw ev.err(line, `argument ${JSON.stringify(what)} is not an SCMP_A0..SCMP_A5 or SCMP_CMP condition`);
  const a = /^SCMP_A([0-5])(_64|_32)?$/.exec(m.name);
  const c = /^SCMP_CMP(64|32)?$/.exec(m.name);
  if (!a && !c) {
    if (m.name.startsWith('SCMP_')) throw ev.err(line, `unknown libseccomp macro ${m.name}`);
    throw ev.err(line, `argument ${m.name}(…) is not an SCMP_A0..SCMP_A5 or SCMP_CMP condition`);
  }
  let args = m.args;
  let index: number;
  if (a) index = Number(a[1]);
  else {
    const i = ev.value(args[0], line).v;
    if (i < 0n || i > 5n) throw ev.err(line, `${m.name} on argument ${i}: libseccomp accepts 0..5 (the rule would fail with -EINVAL)`);
    index = Number(i);
    args = args.slice(1);
  }
  const is32 = (a?.[2] ?? (c?.[1] === '32' ? '_32' : '')) === '_32';
  if (args.length === 0 || (args.length === 1 && args[0].length === 0)) throw ev.err(line, `${m.name} needs a comparison`);
  const datums = args.slice(1);
  // The _32 forms dispatch on one or two data; SCMP_CMP64 is a compound literal (missing data are 0).
  if (datums.length > 2 || (is32 && datums.length === 0)) throw ev.err(line, `${m.name} takes ${is32 ? 'one or two' : 'at most two'} data, got ${datums.length}`);
  const opv = ev.value(args[0], line).v;
  const op = Number(opv);
  if (!Object.values(SCMP_CMP).includes(op)) throw ev.err(line, `comparison ${opv} is not a libseccomp operator (libseccomp returns -EINVAL)`);
  const d = datums.map((x) => {
    const v = ev.value(x, line).v;
    return is32 ? BigInt.asUintN(32, v) : BigInt.asUintN(64, v);
  });
  return { arg: index, op, a: d[0] ?? 0n, b: d[1] ?? 0n };
}

/** Syscall numbers sockspec can name on x86_64 without a table (the socket calls it audits). */
const NR_NAMES: Readonly<Record<number, string>> = { [NR_SOCKET_X86_64]: 'socket', [NR_SOCKETPAIR_X86_64]: 'socketpair' };

/** The syscall name of a rule's third argument. */
function syscallName(raw: Tok[], ev: Evaluator, line: number): string {
  const toks = ev.expand(raw);
  const m = macroArgs(toks, ev, line);
  if (m && m.name === 'SCMP_SYS') {
    if (m.args.length !== 1 || m.args[0].length !== 1 || m.args[0][0].k !== 'id') throw ev.err(line, 'SCMP_SYS takes one syscall name');
    return m.args[0][0].v;
  }
  if (m && m.name === 'seccomp_syscall_resolve_name') {
    if (m.args.length !== 1 || m.args[0].length !== 1 || m.args[0][0].k !== 'str') throw ev.err(line, 'seccomp_syscall_resolve_name takes one string literal');
    return m.args[0][0].v;
  }
  if (toks.length === 1 && toks[0].k === 'id') {
    const n = /^(?:__NR_|__SNR_|SYS_)(\w+)$/.exec(toks[0].v);
    if (n) return n[1];
  }
  const nr = ev.value(toks, line).v;
  const name = NR_NAMES[Number(nr)];
  if (name === undefined) throw ev.err(line, `syscall number ${nr}: write SCMP_SYS(name) (sockspec names only socket and socketpair by number)`);
  return name;
}

/** The action argument as the uint32_t libseccomp receives; refuses what it would refuse. */
function action(raw: Tok[], ev: Evaluator, line: number): number {
  const v = Number(BigInt.asUintN(32, ev.value(raw, line).v));
  const base = (v & 0xffff0000) >>> 0;
  const ok = v === 0x80000000 || v === 0 || v === 0x00030000 || v === 0x7fc00000 || v === 0x7ffc0000 || v === 0x7fff0000
    || base === 0x7ff00000 || (base === SECCOMP_RET_ERRNO && (v & 0xffff) < MAX_ERRNO);
  if (!ok) {
    throw ev.err(line, base === SECCOMP_RET_ERRNO
      ? `SCMP_ACT_ERRNO(${v & 0xffff}): libseccomp refuses errno values of ${MAX_ERRNO} and above (src/system.c sys_chk_seccomp_action)`
      : `0x${v.toString(16)} is not a libseccomp action`);
  }
  return v;
}

/** The printable source of an argument. */
function text(toks: Tok[]): string {
  return toks.map((t) => (t.k === 'str' ? JSON.stringify(t.v) : t.v)).join(' ').replace(/ ?([(),]) ?/g, '$1');
}

/**
 * Reads the libseccomp calls of a C file into the filter it builds. Throws ProfileError
 * `FILE:LINE: detail` for anything outside the subset of docs/seccomp.md §11.
 * @example parseSeccompC(fs.readFileSync('policy.c', 'utf8'), 'policy.c').rules[0].name  // 'socket'
 */
export function parseSeccompC(source: string, file: string): SeccompCPlan {
  const { toks, defines } = tokenize(source, file);
  const reader = new Reader(toks, file);
  reader.readFile();
  reader.markChecked();
  const ev = new Evaluator(file, defines);
  const calls = reader.calls;
  const where = (c: CallSite): string => `${file}:${c.line}`;
  const fail = (c: CallSite, detail: string): ProfileError => new ProfileError(`${where(c)}: ${detail}`);

  for (const c of calls) {
    if (!FILTER_CALLS.has(c.name) && !HARMLESS_CALLS.has(c.name)) {
      throw fail(c, REFUSED_CALLS[c.name] ? `${c.name}: ${REFUSED_CALLS[c.name]}` : `unknown libseccomp function ${c.name}`);
    }
  }
  const inits = calls.filter((c) => c.name === 'seccomp_init');
  const firstFilterCall = calls.find((c) => FILTER_CALLS.has(c.name));
  if (inits.length === 0) {
    if (firstFilterCall) throw fail(firstFilterCall, `${firstFilterCall.name} with no seccomp_init in the file`);
    throw new ProfileError(`${file}:1: no seccomp_init in the file`);
  }
  if (inits.length > 1) throw fail(inits[1], `a second seccomp_init (line ${inits[0].line} made the first filter); sockspec reads one filter`);
  const init = inits[0];

  let defaultAction = 0;
  let badArchAction: number | undefined;
  let optimize: number | undefined;
  let arches: number[] = [];
  const rules: SeccompCPlan['rules'] = [];
  const origin: string[] = [];
  const lines: number[] = [];
  const checked: boolean[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  let loadLine: number | undefined;
  let releaseLine: number | undefined;
  let ctxVar: string | undefined;
  let started = false;

  for (const c of calls) {
    const filterCall = FILTER_CALLS.has(c.name);
    if (!filterCall) {
      if (c.name === 'seccomp_release' && c.fn === init.fn && c.frames.length === 0 && c.pp === 0 && started) releaseLine ??= c.line;
      if (c.name.startsWith('seccomp_export_') && c.fn === init.fn) notes.push(`${where(c)} ${c.name}: exports the filter, changes nothing`);
      continue;
    }
    if (c.fn !== init.fn) throw fail(c, `${c.name} in function ${c.fn || '(top level)'}, not in ${init.fn} which calls seccomp_init (line ${init.line}); sockspec reads the straight-line code of one function`);
    const loop = c.frames.find((f) => f.kind === 'loop');
    if (loop) throw fail(c, `${c.name} inside a ${loop.what} loop (line ${loop.line}); sockspec reads straight-line code only`);
    const cond = c.frames[c.frames.length - 1];
    if (cond) throw fail(c, `${c.name} under a condition (${cond.what} at line ${cond.line}); sockspec reads straight-line code only`);
    if (c.pp !== 0) throw fail(c, `${c.name} under a preprocessor condition (line ${c.pp}); sockspec does not evaluate #if`);
    if (!started && c !== init) throw fail(c, `${c.name} before seccomp_init (line ${init.line})`);
    if (releaseLine !== undefined) throw fail(c, `${c.name} after seccomp_release (line ${releaseLine}) freed the filter`);
    const args = c.args;
    const want = (n: number, alt = n): void => {
      if (args.length < n || args.length > alt) throw fail(c, `${c.name} takes ${n === alt ? n : `${n} to ${alt}`} arguments, got ${args.length}`);
    };
    if (c !== init && ctxVar !== undefined && args[0]?.length === 1 && args[0][0].k === 'id' && args[0][0].v !== ctxVar && args[0][0].v !== 'NULL') {
      throw fail(c, `${c.name} on ${args[0][0].v}, not on ${ctxVar} from seccomp_init (line ${init.line}); sockspec reads one filter`);
    }
    const afterLoad = loadLine !== undefined ? `after seccomp_load (line ${loadLine}): not in the loaded filter` : '';
    switch (c.name) {
      case 'seccomp_init':
        want(1);
        defaultAction = action(args[0], ev, c.line);
        ctxVar = c.assigned;
        started = true;
        break;
      case 'seccomp_reset': {
        want(2);
        const nullCtx = args[0].length === 1 && (args[0][0].v === 'NULL' || args[0][0].v === '0');
        if (nullCtx) { notes.push(`${where(c)} seccomp_reset(NULL): resets libseccomp's global state, not the filter`); break; }
        if (afterLoad) { notes.push(`${where(c)} seccomp_reset ${afterLoad}`); break; }
        // src/db.c db_col_reset: every arch, rule and attribute goes; only the native arch is left.
        defaultAction = action(args[1], ev, c.line);
        rules.forEach((r, i) => skipped.push(`${origin[i]}: dropped by seccomp_reset at line ${c.line}`));
        rules.length = 0; origin.length = 0; lines.length = 0; checked.length = 0;
        arches = []; badArchAction = undefined; optimize = undefined;
        break;
      }
      case 'seccomp_rule_add': case 'seccomp_rule_add_exact': case 'seccomp_rule_add_array': case 'seccomp_rule_add_exact_array': {
        const array = c.name.endsWith('_array');
        if (args.length < 4) throw fail(c, `${c.name} takes at least 4 arguments, got ${args.length}`);
        const act = action(args[1], ev, c.line);
        const name = syscallName(args[2], ev, c.line);
        const n = ev.value(args[3], c.line).v;
        let conds: Array<{ arg: number; op: number; a: bigint; b: bigint }>;
        if (array) {
          want(5);
          const nullArr = args[4].length === 1 && (args[4][0].v === 'NULL' || args[4][0].v === '0');
          if (n !== 0n || !nullArr) throw fail(c, `${c.name} with a condition array: the array is data sockspec cannot read; write seccomp_rule_add with SCMP_A* arguments`);
          conds = [];
        } else {
          if (n !== BigInt(args.length - 4)) throw fail(c, `${c.name} says ${n} conditions but passes ${args.length - 4}; libseccomp would read ${n > BigInt(args.length - 4) ? 'garbage from the stack' : 'only the first ones'}`);
          if (n > 6n) throw fail(c, `${c.name} with ${n} conditions: libseccomp accepts at most 6 (-EINVAL)`);
          conds = args.slice(4).map((a) => condition(a, ev, c.line));
        }
        const exact = c.name.includes('_exact');
        const label = `${where(c)} ${c.name}(${name})`;
        if (afterLoad) { skipped.push(`${label}: ${afterLoad}`); break; }
        rules.push({ name, action: act, conds, ...(exact ? { exact: true } : {}) });
        origin.push(label);
        lines.push(c.line);
        checked.push(c.checked);
        break;
      }
      case 'seccomp_arch_add': case 'seccomp_arch_remove': {
        want(2);
        const raw = Number(BigInt.asUintN(32, ev.value(args[1], c.line).v));
        const token = raw === 0 ? SCMP_ARCH.SCMP_ARCH_X86_64 : raw;
        if (!Object.values(SCMP_ARCH).includes(token)) throw fail(c, `architecture 0x${raw.toString(16)} is not one sockspec models on x86_64`);
        const native = token === SCMP_ARCH.SCMP_ARCH_X86_64;
        const present = native || arches.includes(token);
        if (afterLoad) { notes.push(`${where(c)} ${c.name} ${afterLoad}`); break; }
        if (c.name === 'seccomp_arch_add') {
          if (present) { notes.push(`${where(c)} seccomp_arch_add(${text(args[1])}): already in the filter (-EEXIST), no change`); break; }
          // src/db.c db_col_db_new → _db_init: the new arch starts empty; earlier rules are not copied into it.
          if (rules.length > 0) throw fail(c, `seccomp_arch_add after ${rules.length} rule(s): libseccomp gives the new arch an empty filter without the earlier rules (src/db.c db_col_db_new), which the executor (arches before rules) cannot build; add the arch before the first rule`);
          arches.push(token);
        } else {
          if (native) throw fail(c, 'seccomp_arch_remove of the native arch: the executor always keeps it');
          if (!present) { notes.push(`${where(c)} seccomp_arch_remove(${text(args[1])}): not in the filter (-EEXIST), no change`); break; }
          if (rules.length > 0) throw fail(c, 'seccomp_arch_remove after rules were added: sockspec only models removing an arch before the first rule');
          arches = arches.filter((a) => a !== token);
        }
        break;
      }
      case 'seccomp_attr_set': {
        want(3);
        const attr = Number(ev.value(args[1], c.line).v);
        const name = Object.keys(SCMP_FLTATR).find((k) => SCMP_FLTATR[k] === attr);
        if (name === undefined) throw fail(c, `unknown filter attribute ${text(args[1])}`);
        if (afterLoad) { notes.push(`${where(c)} seccomp_attr_set(${name}) ${afterLoad}`); break; }
        if (attr === SCMP_FLTATR.SCMP_FLTATR_ACT_DEFAULT) throw fail(c, 'SCMP_FLTATR_ACT_DEFAULT is read-only: libseccomp returns -EACCES (src/db.c db_col_attr_set)');
        if (attr === SCMP_FLTATR.SCMP_FLTATR_ACT_BADARCH) badArchAction = action(args[2], ev, c.line);
        else if (attr === SCMP_FLTATR.SCMP_FLTATR_CTL_OPTIMIZE) {
          const level = ev.value(args[2], c.line).v;
          if (level !== 1n && level !== 2n) throw fail(c, `SCMP_FLTATR_CTL_OPTIMIZE ${level}: libseccomp accepts 1 or 2 and returns -EOPNOTSUPP otherwise`);
          optimize = Number(level);
        } else {
          ev.value(args[2], c.line);
          notes.push(`${where(c)} seccomp_attr_set(${HARMLESS_ATTR[attr]}): does not change the exported program`);
        }
        break;
      }
      case 'seccomp_load':
        want(1);
        if (loadLine !== undefined) throw fail(c, `a second seccomp_load (the first at line ${loadLine}) stacks a second filter; sockspec reads one`);
        loadLine = c.line;
        break;
    }
  }
  if (loadLine === undefined) notes.push(`${file}: the file never calls seccomp_load; the plan is the filter it builds`);
  return {
    defaultAction, ...(badArchAction === undefined ? {} : { badArchAction }), arches, ...(optimize === undefined ? {} : { optimize }),
    rules, origin, skipped, lines, checked, initLine: init.line, ...(loadLine === undefined ? {} : { loadLine }), notes,
  };
}

/** What libseccomp made of each rule, and whether the C program reaches seccomp_load. */
export interface SeccompCOutcome {
  /** Rules libseccomp refused (negative rc) or could not resolve (nr -1), with the reason. */
  readonly failures: Array<{ readonly rule: number; readonly line: number; readonly rc: number; readonly text: string }>;
  /** False when a refused rule's rc is tested by the C: the program takes its error path first. */
  readonly reachesLoad: boolean;
  readonly why: string;
}

const RC_TEXT: Readonly<Record<number, string>> = {
  [-13]: 'EACCES: the action is the filter\'s default action (src/api.c seccomp_rule_add_array)',
  [-17]: 'EEXIST: a rule with the same conditions and another action is already there (src/db.c _db_tree_add)',
  [-22]: 'EINVAL: two conditions on one argument, or an invalid operator (src/db.c db_col_rule_add)',
  [-95]: 'EOPNOTSUPP: seccomp_rule_add_exact on a filter with more than one arch (src/api.c)',
};

/**
 * Reads the executor's rcs for a plan from C: the rules libseccomp refused, and whether the C
 * program (which stops at a tested failure) would get to seccomp_load at all.
 */
export function seccompCOutcome(plan: SeccompCPlan, rcs: ReadonlyArray<{ readonly rc: number; readonly nr: number }>): SeccompCOutcome {
  const failures: Array<{ rule: number; line: number; rc: number; text: string }> = [];
  rcs.forEach((r, i) => {
    if (r.nr === -1) failures.push({ rule: i, line: plan.lines[i], rc: r.rc, text: `${plan.origin[i]}: libseccomp knows no syscall ${plan.rules[i].name} (the C would not compile)` });
    else if (r.rc < 0) failures.push({ rule: i, line: plan.lines[i], rc: r.rc, text: `${plan.origin[i]}: rc ${r.rc} (${RC_TEXT[r.rc] ?? 'refused'})` });
  });
  const stop = failures.find((f) => f.rc < 0 && plan.checked[f.rule]);
  if (plan.loadLine === undefined) return { failures, reachesLoad: false, why: 'the file never calls seccomp_load' };
  if (stop) return { failures, reachesLoad: false, why: `${stop.text}; the program tests that rc and takes its error path before seccomp_load (line ${plan.loadLine})` };
  return { failures, reachesLoad: true, why: failures.length > 0 ? 'the refused rules are not tested, so the program loads the filter without them' : 'every rule was accepted' };
}
