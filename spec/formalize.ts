// Making a KAPI spec executable: the causes an error's text states ("Returned when: a; b; c"),
// the capability conditions and the parameter ranges become predicates over the call and the
// environment where they are written as C-style conditions, "X not in {…}" lists, "missing CAP_X"
// or a family guard ("AF_UNIX: …"); everything else stays informal prose, counted for the author.
// Sources: the KAPI RFC posting (seeds/002); model/constants.ts for the names the texts use.

import { AF_NAMES, CAP_NAMES, IPPROTO, MAX_LINKS, NETLINK, NPROTO, SOCK_CLOEXEC, SOCK_MAX, SOCK_NONBLOCK, SOCK_TYPE_MASK, SOCK_TYPE_NAMES } from '../model';
import type { ParsedSpec } from './parse';

/** The inputs a spec predicate can read: the call as the kernel sees it and the capabilities held. */
export interface SpecInput {
  readonly family: number;
  readonly type: number;
  readonly protocol: number;
  readonly hasCap: (name: string) => boolean;
  /** Whether the kernel registers the family (`net_families[family]`): configuration, not logic. */
  readonly registered: (family: number) => boolean;
}

export type Predicate = (x: SpecInput) => boolean;

/** One stated cause of an error (or a capability condition), formalized or not. */
export interface Cause {
  readonly errno: string;
  readonly text: string;
  readonly line: number;
  readonly predicate?: Predicate;
  /** The predicate in normalized form, for reports. */
  readonly formal?: string;
}

const NAMES: Readonly<Record<string, number>> = {
  ...Object.fromEntries(AF_NAMES.map((n, i) => [n, i])),
  ...Object.fromEntries(AF_NAMES.map((n, i) => [n.replace(/^AF_/, 'PF_'), i])),
  ...Object.fromEntries(Object.entries(SOCK_TYPE_NAMES).map(([v, n]) => [n, Number(v)])),
  ...IPPROTO, ...NETLINK, NPROTO, SOCK_MAX, SOCK_TYPE_MASK, SOCK_CLOEXEC, SOCK_NONBLOCK, MAX_LINKS, IPPROTO_MAX: 263, AF_MAX: NPROTO,
};

type Expr = (x: SpecInput) => number;

/** A small C expression parser (precedence climbing) over family, type, protocol and constants. */
function parseExpr(src: string): Expr | undefined {
  // "NPROTO (46)" and "SOCK_MAX (11)" restate the value: keep the name.
  const text = src.replace(/\b([A-Z][A-Z0-9_]+)\s*\(\d+\)/g, '$1');
  const toks = text.match(/\s*(0x[0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*|&&|\|\||==|!=|<=|>=|[<>()&|~!^])/gy)?.map((t) => t.trim());
  if (toks === undefined || toks.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) return undefined;
  let i = 0;
  const BIN: ReadonlyArray<[string[], number]> = [[['||'], 1], [['&&'], 2], [['|'], 3], [['^'], 4], [['&'], 5], [['==', '!='], 6], [['<', '<=', '>', '>='], 7]];
  const prec = (op: string): number => BIN.find(([ops]) => ops.includes(op))?.[1] ?? -1;
  const primary = (): Expr | undefined => {
    const t = toks[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const e = expr(0);
      if (toks[i++] !== ')') return undefined;
      return e;
    }
    if (t === '!' || t === '~') {
      const e = primary();
      if (e === undefined) return undefined;
      return t === '!' ? (x) => (e(x) ? 0 : 1) : (x) => ~e(x);
    }
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) {
      const n = Number(t);
      return () => n;
    }
    if (t === 'family' || t === 'type' || t === 'protocol') return (x) => x[t];
    const v = NAMES[t];
    return v === undefined ? undefined : () => v;
  };
  const expr = (min: number): Expr | undefined => {
    let left = primary();
    while (left !== undefined && i < toks.length && prec(toks[i]) >= min && prec(toks[i]) > 0) {
      const op = toks[i++];
      const right = expr(prec(op) + 1);
      if (right === undefined) return undefined;
      const l = left;
      left = ({
        '||': (x: SpecInput) => (l(x) || right(x) ? 1 : 0), '&&': (x: SpecInput) => (l(x) && right(x) ? 1 : 0),
        '|': (x: SpecInput) => l(x) | right(x), '^': (x: SpecInput) => l(x) ^ right(x), '&': (x: SpecInput) => l(x) & right(x),
        '==': (x: SpecInput) => (l(x) === right(x) ? 1 : 0), '!=': (x: SpecInput) => (l(x) !== right(x) ? 1 : 0),
        '<': (x: SpecInput) => (l(x) < right(x) ? 1 : 0), '<=': (x: SpecInput) => (l(x) <= right(x) ? 1 : 0),
        '>': (x: SpecInput) => (l(x) > right(x) ? 1 : 0), '>=': (x: SpecInput) => (l(x) >= right(x) ? 1 : 0),
      } as Record<string, Expr>)[op];
    }
    return left;
  };
  const e = expr(0);
  return e !== undefined && i === toks.length ? e : undefined;
}

/** A family guard: `AF_UNIX:`, `AF_INET/AF_INET6:`, `AF_INET/AF_INET6 with SOCK_RAW:`. */
function guardOf(text: string): { rest: string; guard?: Predicate; formal?: string } {
  const m = /^((?:AF_[A-Z0-9]+)(?:\/AF_[A-Z0-9]+)*)(?:\s+with\s+(SOCK_[A-Z]+))?\s*:\s*(.*)$/s.exec(text.trim());
  if (m === null) return { rest: text.trim() };
  const fams = m[1].split('/').map((n) => NAMES[n]);
  const type = m[2] === undefined ? undefined : NAMES[m[2]];
  if (fams.some((f) => f === undefined) || (m[2] !== undefined && type === undefined)) return { rest: text.trim() };
  const formal = `family ∈ {${m[1].replace(/\//g, ', ')}}${m[2] ? ` ∧ (type & 0xf) == ${m[2]}` : ''}`;
  return { rest: m[3], formal, guard: (x) => fams.includes(x.family) && (type === undefined || (x.type & SOCK_TYPE_MASK) === type) };
}

/** One cause text as a predicate, or undefined when it is prose. */
export function formalizeCause(text: string): { predicate: Predicate; formal: string } | undefined {
  const { rest, guard, formal: gf } = guardOf(text.replace(/\.$/, ''));
  const both = (p: Predicate, f: string): { predicate: Predicate; formal: string } => ({
    predicate: guard === undefined ? p : (x) => guard(x) && p(x), formal: gf === undefined ? f : `${gf} ∧ (${f})`,
  });
  // An LSM denial is a cause the model's environments never contain (no LSM policy is modelled).
  if (/Security Module|security_socket_(post_)?create/.test(rest)) return both(() => false, 'an LSM denies (no LSM policy in this environment)');
  if (/^protocol family not registered in net_families\[\]$/.test(rest.trim())) {
    return both((x) => x.family >= 0 && x.family < NPROTO && !x.registered(x.family), 'family ∈ [0, NPROTO) ∧ ¬net_families[family]');
  }
  // "invalid flags in type (EXPR)": the parenthesised C expression is the condition.
  const paren = /^[^()]*?\((.*)\)$/s.exec(rest.trim());
  if (paren !== null && /\b(family|type|protocol)\b/.test(paren[1])) {
    const e = parseExpr(paren[1]);
    if (e !== undefined) return both((x) => e(x) !== 0, paren[1].trim().replace(/\s+/g, ' '));
  }
  const notIn = /^(type|protocol|family) not in \{([^}]*)\}$/.exec(rest.trim());
  if (notIn !== null) {
    const v = notIn[1] as 'type' | 'protocol' | 'family';
    const vals = notIn[2].split(',').map((s) => s.trim()).map((s) => NAMES[s] ?? NAMES[`SOCK_${s}`]);
    if (vals.some((x) => x === undefined)) return undefined;
    return both((x) => !vals.includes(v === 'type' ? x.type & SOCK_TYPE_MASK : x[v]), `(${v}${v === 'type' ? ' & 0xf' : ''}) ∉ {${notIn[2].trim()}}`);
  }
  const cap = /^missing (CAP_[A-Z_]+)$/.exec(rest.trim());
  if (cap !== null && CAP_NAMES.includes(cap[1])) return both((x) => !x.hasCap(cap[1]), `¬${cap[1]}`);
  if (guard !== undefined && rest.trim() === '') return undefined;
  const e = parseExpr(rest);
  if (e === undefined) return undefined;
  return both((x) => e(x) !== 0, rest.trim().replace(/\s+/g, ' '));
}

/** The causes of every error in the spec, split at `Returned when:` and `;`, formalized where possible. */
export function errorCauses(spec: ParsedSpec): Cause[] {
  const out: Cause[] = [];
  for (const e of spec.errors) {
    const errno = String(e.name);
    const text = String(e.description ?? '');
    const m = /Returned when:\s*(.*)$/is.exec(text);
    const parts = m === null ? [text] : m[1].split(';').map((s) => s.trim()).filter((s) => s !== '');
    for (const part of parts) {
      const f = m === null && !/Security Module/.test(part) ? undefined : formalizeCause(part);
      out.push({ errno, text: part, line: e.line, ...(f ? { predicate: f.predicate, formal: f.formal } : {}) });
    }
  }
  for (const c of spec.capabilities) {
    const cond = String(c.condition ?? '');
    const f = parseExpr(cond);
    const errnos = String(c.without ?? '').match(/\bE[A-Z0-9]{2,}\b/g) ?? [];
    const cap = String(c.name);
    for (const errno of errnos) {
      out.push({ errno, text: `${cond} without ${cap}`, line: c.line, ...(f ? { predicate: (x: SpecInput) => f(x) !== 0 && !x.hasCap(cap), formal: `(${cond}) ∧ ¬${cap}` } : {}) });
    }
  }
  return out;
}

/** How much of the spec's error text is executable. */
export function formalizationCoverage(causes: readonly Cause[]): { formalized: number; informal: number } {
  const formalized = causes.filter((c) => c.predicate !== undefined).length;
  return { formalized, informal: causes.length - formalized };
}
