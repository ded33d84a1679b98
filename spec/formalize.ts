// Making a KAPI spec executable: the causes an error's text states ("Returned when: a; b; c"),
// the capability conditions and the parameter ranges become predicates over the call and the
// environment where they are written as C-style conditions, "X not in {…}" lists, "missing CAP_X"
// or a family guard ("AF_UNIX: …"); everything else stays informal prose, counted for the author.
// Sources: the KAPI RFC posting (test/fixtures/kapi-socket-rfc-v2.eml); model/constants.ts for the names the texts use.

import { AF_NAMES, CAP_NAMES, IPPROTO, MAX_LINKS, NETLINK, NPROTO, SOCK_CLOEXEC, SOCK_MAX, SOCK_NONBLOCK, SOCK_TYPE_MASK, SOCK_TYPE_NAMES } from '../model';
import type { Item, ParsedSpec } from './parse';

/** The inputs a spec predicate can read: the call as the kernel sees it and the capabilities held. */
export interface SpecInput {
  readonly family: number;
  readonly type: number;
  readonly protocol: number;
  readonly hasCap: (name: string) => boolean;
  /** Whether the kernel registers the family (`net_families[family]`): configuration, not logic. */
  readonly registered: (family: number) => boolean;
  /** Whether an `inetsw[type]` entry of the family (AF_INET or AF_INET6) accepts the protocol: configuration. */
  readonly inetswAccepts: (family: number, type: number, protocol: number) => boolean;
  /** Whether the family's `inetsw[type]` has any entry: configuration. */
  readonly inetswHas: (family: number, type: number) => boolean;
  /** The call entered through i386 socketcall with an argument block the kernel cannot read: it never sees family, type or protocol. */
  readonly unreadableBlock: boolean;
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
  /** The capability the predicate reads, if any. */
  readonly capability?: string;
  /** Whether the text says in which user namespace the capability counts. */
  readonly namespaced?: boolean;
  /** The cause is about the socketcall argument block, not the arguments behind it. */
  readonly block?: true;
  /** Where the spec states it: an error's text (the default), a KAPI_CAPABILITY, or a parameter's constraint. */
  readonly source?: 'capability' | 'parameter';
}

export const NAMES: Readonly<Record<string, number>> = {
  ...Object.fromEntries(AF_NAMES.map((n, i) => [n, i])),
  ...Object.fromEntries(AF_NAMES.map((n, i) => [n.replace(/^AF_/, 'PF_'), i])),
  ...Object.fromEntries(Object.entries(SOCK_TYPE_NAMES).map(([v, n]) => [n, Number(v)])),
  ...IPPROTO, ...NETLINK, NPROTO, SOCK_MAX, SOCK_TYPE_MASK, SOCK_CLOEXEC, SOCK_NONBLOCK, MAX_LINKS, IPPROTO_MAX: 263, AF_MAX: NPROTO,
  // include/uapi/linux/if_ether.h and include/net/bluetooth/bluetooth.h, for the examples' protocols.
  ETH_P_ALL: 0x0003, ETH_P_IP: 0x0800, ETH_P_ARP: 0x0806, ETH_P_IPV6: 0x86dd,
  BTPROTO_L2CAP: 0, BTPROTO_HCI: 1, BTPROTO_SCO: 2, BTPROTO_RFCOMM: 3, BTPROTO_BNEP: 4, BTPROTO_CMTP: 5, BTPROTO_HIDP: 6, BTPROTO_AVDTP: 7, BTPROTO_ISO: 8,
};

/** `htons(NAME)` as its value, so the examples' protocols parse as numbers. */
function htonsInline(text: string): string {
  return text.replace(/\bhtons\s*\(\s*([A-Za-z_][A-Za-z0-9_]*|0x[0-9a-fA-F]+|\d+)\s*\)/g, (all, v: string) => {
    const n = NAMES[v] ?? (/^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : undefined);
    return n === undefined ? all : String(((n & 0xff) << 8) | ((n >> 8) & 0xff));
  });
}

type Expr = (x: SpecInput) => number;

/** A small C expression parser (precedence climbing) over family, type, protocol and constants. */
export function parseExpr(src: string): Expr | undefined {
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

/** A family guard: `AF_UNIX:`, `AF_INET/AF_INET6:`, `AF_INET/AF_INET6 with SOCK_RAW:`, `AF_INET with type != SOCK_PACKET:`. */
export function guardOf(text: string): { rest: string; guard?: Predicate; formal?: string } {
  const m = /^((?:AF_[A-Z0-9]+)(?:\/AF_[A-Z0-9]+)*)(?:\s+with\s+(type != )?(SOCK_[A-Z]+))?\s*:\s*(.*)$/s.exec(text.trim());
  if (m === null) return { rest: text.trim() };
  const fams = m[1].split('/').map((n) => NAMES[n]);
  const type = m[3] === undefined ? undefined : NAMES[m[3]];
  const not = m[2] !== undefined;
  if (fams.some((f) => f === undefined) || (m[3] !== undefined && type === undefined)) return { rest: text.trim() };
  const formal = `family ∈ {${m[1].replace(/\//g, ', ')}}${m[3] ? ` ∧ (type & 0xf) ${not ? '!=' : '=='} ${m[3]}` : ''}`;
  return { rest: m[4], formal, guard: (x) => fams.includes(x.family) && (type === undefined || ((x.type & SOCK_TYPE_MASK) === type) !== not) };
}

/** One cause text as a predicate, or undefined when it is prose. */
export function formalizeCause(text: string): { predicate: Predicate; formal: string; block?: true } | undefined {
  const { rest, guard, formal: gf } = guardOf(text.replace(/\.$/, ''));
  const both = (p: Predicate, f: string): { predicate: Predicate; formal: string } => ({
    predicate: guard === undefined ? p : (x) => guard(x) && p(x), formal: gf === undefined ? f : `${gf} ∧ (${f})`,
  });
  // The i386 socketcall entry copying its argument block from user memory (net/compat.c).
  if (/^(the )?(i386 )?socketcall(\(\))?( entry)?('s)? argument block (is unreadable|cannot be read)$/i.test(rest.trim())) {
    return { ...both((x) => x.unreadableBlock, 'entry = i386 socketcall ∧ its argument block is unreadable'), block: true };
  }
  // An LSM denial is a cause the model's environments never contain (no LSM policy is modelled).
  if (/Security Module|security_socket_(post_)?create/.test(rest)) return both(() => false, 'an LSM denies (no LSM policy in this environment)');
  if (/^protocol family not registered in net_families\[\]$/.test(rest.trim())) {
    return both((x) => x.family >= 0 && x.family < NPROTO && !x.registered(x.family), 'family ∈ [0, NPROTO) ∧ ¬net_families[family]');
  }
  // "protocol not found in inetsw[]" / "no matching (type, protocol) in inetsw[]": the lookup of
  // inet_create over inetsw[type], whose lists are the kernel's configuration (the profile).
  if (/^(protocol not found in inetsw\[\]( array)?|no matching \(type, protocol\) in inetsw\[\])$/.test(rest.trim()) && guard !== undefined) {
    return both((x) => !x.inetswAccepts(x.family, x.type & SOCK_TYPE_MASK, x.protocol), '¬inetsw[type & 0xf] accepts protocol (the lists of the kernel profile)');
  }
  // "no protocol registered for the type in inetsw[]": inetsw[type & 0xf] is empty (inet_create's ESOCKTNOSUPPORT).
  if (/^no protocol registered for the type in inetsw\[\]$/.test(rest.trim()) && guard !== undefined) {
    return both((x) => !x.inetswHas(x.family, x.type & SOCK_TYPE_MASK), 'inetsw[type & 0xf] is empty (the lists of the kernel profile)');
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
  const cap = /^missing (CAP_[A-Z_]+)(?: in the user namespace (?:that owns|owning) the network namespace)?$/.exec(rest.trim());
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
      // "Not directly returned by socket() …": a cause that never holds.
      const never = m === null && /^not (directly )?returned by socket\(\)/i.test(part.trim()) ? { predicate: () => false, formal: 'never: the spec says socket() does not return it' } : undefined;
      const f = never ?? (m === null && !/Security Module/.test(part) ? undefined : formalizeCause(part));
      out.push({ errno, text: part, line: e.line, ...(f ? { predicate: f.predicate, formal: f.formal } : {}), ...(f !== undefined && 'block' in f ? { block: true as const } : {}), ...capabilityOf(part) });
    }
  }
  for (const c of spec.capabilities) {
    const cond = String(c.condition ?? '');
    const f = parseExpr(cond);
    const errnos = String(c.without ?? '').match(/\bE[A-Z0-9]{2,}\b/g) ?? [];
    const cap = String(c.name);
    for (const errno of errnos) {
      out.push({
        errno, text: `${cond} without ${cap}`, line: c.line, source: 'capability', capability: cap, namespaced: /namespace/i.test(`${cond} ${String(c.allows ?? '')}`),
        ...(f ? { predicate: (x: SpecInput) => f(x) !== 0 && !x.hasCap(cap), formal: `(${cond}) ∧ ¬${cap}` } : {}),
      });
    }
  }
  for (const p of spec.params) {
    for (const part of constraintParts(p)) {
      const m = /^(.*?)\s+returns?\s+(E[A-Z0-9]+)$/.exec(part);
      if (m === null) continue;
      const cond = paramCondition(String(p.name), m[1]);
      out.push({ errno: m[2], text: part, line: p.line, source: 'parameter', ...(cond ? { predicate: (x: SpecInput) => cond.e(x) !== 0, formal: cond.formal } : {}) });
    }
  }
  return out;
}

/** One KAPI_CAPABILITY entry: the capability, its condition over the call (formalized where it parses), its action. */
export interface CapabilityEntry {
  readonly name: string;
  readonly line: number;
  readonly condition: string;
  /** Whether the call is one the entry speaks of; undefined where the condition is prose. */
  readonly covers?: Predicate;
  readonly action: string;
}

/** The spec's KAPI_CAPABILITY list, in order. */
export function capabilityEntries(spec: ParsedSpec): CapabilityEntry[] {
  return spec.capabilities.map((c) => {
    const condition = String(c.condition ?? '');
    const f = parseExpr(condition);
    const action = c.action !== null && typeof c.action === 'object' && 'expr' in c.action ? String(c.action.expr) : String(c.action ?? '');
    return { name: String(c.name), line: c.line, condition, action, ...(f ? { covers: (x: SpecInput) => f(x) !== 0 } : {}) };
  });
}

function capabilityOf(text: string): { capability?: string; namespaced?: boolean } {
  const m = /\b(CAP_[A-Z_]+)\b/.exec(text);
  return m === null ? {} : { capability: m[1], namespaced: /namespace/i.test(text) };
}

/** A parameter's constraint text split into its sentences and clauses. */
function constraintParts(p: Item): string[] {
  if (typeof p.constraint !== 'string') return [];
  return p.constraint.split(/\.\s+(?=[A-Z])|;\s*/).map((x) => x.trim().replace(/\.$/, '')).filter((x) => x !== '');
}

/** "Negative or >= 46", "11-15", ">= 0 and < IPPROTO_MAX" about one parameter, as an expression. */
function paramCondition(name: string, text: string): { e: Expr; formal: string } | undefined {
  if (!['family', 'type', 'protocol'].includes(name)) return undefined;
  const c = text.trim()
    .replace(/^(-?\d+)\s*-\s*(-?\d+)$/, `${name} >= $1 && ${name} <= $2`)
    .replace(/\bNegative\b/gi, `${name} < 0`)
    .replace(/\s+or\s+/g, ' || ').replace(/\s+and\s+/g, ' && ')
    .replace(/(^|\|\||&&)\s*(>=|<=|<|>|==|!=)/g, `$1 ${name} $2`).replace(/\s+/g, ' ').trim();
  const e = parseExpr(c);
  return e === undefined ? undefined : { e, formal: c };
}

/** One constraint a parameter's text or range states: the call is valid only where `predicate` holds. */
export interface ParamConstraint {
  readonly param: string;
  readonly text: string;
  readonly line: number;
  readonly predicate?: Predicate;
  readonly formal?: string;
}

/**
 * The parameters' constraints: KAPI_PARAM_RANGE, KAPI_PARAM_VALID_MASK and the normative sentences
 * of the constraint text ("Range: 0-10", "Must be >= 0 and < IPPROTO_MAX", "For AF_UNIX: only 0 or
 * PF_UNIX (1) accepted", "For AF_NETLINK: … (0-31)"). Sentences that state an errno are causes
 * (see errorCauses); descriptive ones are neither.
 */
export function paramConstraints(spec: ParsedSpec): ParamConstraint[] {
  const out: ParamConstraint[] = [];
  for (const p of spec.params) {
    const name = String(p.name);
    const readable = ['family', 'type', 'protocol'].includes(name);
    const v = (x: SpecInput): number => x[name as 'family' | 'type' | 'protocol'];
    const push = (text: string, predicate: Predicate | undefined, formal: string | undefined): void => {
      out.push({ param: name, text, line: p.line, ...(readable && predicate ? { predicate, formal } : {}) });
    };
    if (typeof p.min === 'number' && typeof p.max === 'number') {
      const [lo, hi] = [p.min, p.max];
      push(`KAPI_PARAM_RANGE(${lo}, ${hi})`, (x) => v(x) >= lo && v(x) <= hi, `${name} ∈ [${lo}, ${hi}]`);
    }
    const maskText = typeof p.validMask === 'object' && p.validMask !== null && 'expr' in p.validMask ? String((p.validMask as { expr: string }).expr) : typeof p.validMask === 'number' ? `0x${p.validMask.toString(16)}` : undefined;
    if (maskText !== undefined) {
      const e = parseExpr(maskText);
      push(`KAPI_PARAM_VALID_MASK(${maskText})`, e && ((x) => ((v(x) >>> 0) & ~(e(x) >>> 0)) === 0), `(${name} & ~(${maskText})) == 0`);
    }
    for (const part of constraintParts(p)) {
      if (/\s+returns?\s+E[A-Z0-9]+$/.test(part)) continue;
      const range = /^Range:\s*(-?\d+)\s*-\s*(-?\d+)(?:\s*\(.*\))?$/.exec(part);
      if (range !== null) {
        const [lo, hi] = [Number(range[1]), Number(range[2])];
        if (lo === p.min && hi === p.max) continue;
        push(part, (x) => v(x) >= lo && v(x) <= hi, `${name} ∈ [${lo}, ${hi}]`);
        continue;
      }
      const must = /^Must be (.+)$/.exec(part);
      if (must !== null) {
        const e = paramCondition(name, must[1]);
        push(part, e && ((x) => e.e(x) !== 0), e?.formal);
        continue;
      }
      const only = /^For ((?:AF_[A-Z0-9]+)(?:\/AF_[A-Z0-9]+)*):\s*only (.+?) accepted$/.exec(part);
      const inRange = /^For ((?:AF_[A-Z0-9]+)(?:\/AF_[A-Z0-9]+)*):.*\((-?\d+)\s*-\s*(-?\d+)\)$/.exec(part);
      if (only !== null || inRange !== null) {
        const g = guardOf(`${(only ?? inRange)?.[1]}: x`);
        if (g.guard === undefined) { push(part, undefined, undefined); continue; }
        const guard = g.guard;
        if (only !== null) {
          const vals = only[2].split(/\s+or\s+|,\s*/).map((s) => s.replace(/\s*\(\d+\)$/, '').trim()).map((s) => NAMES[s] ?? (/^\d+$/.test(s) ? Number(s) : undefined));
          if (vals.some((x) => x === undefined)) { push(part, undefined, undefined); continue; }
          push(part, (x) => !guard(x) || vals.includes(v(x)), `${g.formal} → ${name} ∈ {${vals.join(', ')}}`);
        } else if (inRange !== null) {
          const [lo, hi] = [Number(inRange[2]), Number(inRange[3])];
          push(part, (x) => !guard(x) || (v(x) >= lo && v(x) <= hi), `${g.formal} → ${name} ∈ [${lo}, ${hi}]`);
        }
        continue;
      }
      if (/\b(must|only|range|accepted|invalid|required|rejected)\b/i.test(part)) push(part, undefined, undefined);
    }
  }
  return out;
}

/** One claim the spec makes about every successful call (the fd it returns, its flags). */
export interface SuccessClaim {
  readonly text: string;
  readonly line: number;
  /** Holds for a successful call returning `fd` with these flags, when `lowest` was the lowest free fd. */
  readonly holds: (x: SpecInput, r: { readonly fd: number; readonly cloexec: boolean; readonly nonblock: boolean }, lowest: number) => boolean;
  readonly formal: string;
  /** What the reproducer expects of the result for the claim to hold (see repro/c-source.ts). */
  readonly expect: (x: SpecInput, lowest: number) => string;
}

/** The success claims of KAPI_RETURN's text: the lowest free fd, and the flags SOCK_CLOEXEC and SOCK_NONBLOCK set. */
export function successClaims(spec: ParsedSpec): SuccessClaim[] {
  const r = spec.return;
  if (r === undefined || typeof r.description !== 'string') return [];
  const out: SuccessClaim[] = [];
  for (const sentence of r.description.split(/\.\s+(?=[A-Z])/).map((x) => x.trim().replace(/\.$/, ''))) {
    if (/\blowest(-numbered)?\b.*\bfile descriptor\b/i.test(sentence)) {
      out.push({ text: sentence, line: r.line, formal: 'fd == min{n ≥ 0 : n not open}', holds: (_x, o, lowest) => o.fd === lowest, expect: (_x, lowest) => `ok,fd=${lowest}` });
      continue;
    }
    const flag = /^If (SOCK_CLOEXEC|SOCK_NONBLOCK) is set, (FD_CLOEXEC|O_CLOEXEC|O_NONBLOCK) is set on the (?:descriptor|file)$/.exec(sentence);
    if (flag !== null) {
      const bit = flag[1] === 'SOCK_CLOEXEC' ? SOCK_CLOEXEC : SOCK_NONBLOCK;
      const field: 'cloexec' | 'nonblock' = flag[2] === 'O_NONBLOCK' ? 'nonblock' : 'cloexec';
      out.push({
        text: sentence, line: r.line, formal: `(type & ${flag[1]}) → ${field}`,
        holds: (x, o) => (x.type & bit) === 0 || o[field], expect: (x) => ((x.type & bit) === 0 ? 'ok' : `ok,${field}=1`),
      });
    }
  }
  return out;
}

/** A call the spec shows as working: its examples and its "valid combinations". */
export interface ExampleCall {
  readonly text: string;
  readonly line: number;
  readonly family: number;
  readonly type: number;
  readonly protocol: number;
}

const ZERO: SpecInput = { family: 0, type: 0, protocol: 0, hasCap: () => true, registered: () => true, inetswAccepts: () => true, inetswHas: () => true, unreadableBlock: false };

/** The calls of KAPI_EXAMPLES (`socket(A, B, C)` assigned or tested) and of constraints listing valid combinations. */
export function exampleCalls(spec: ParsedSpec): ExampleCall[] {
  const out: ExampleCall[] = [];
  const value = (s: string): number | undefined => parseExpr(htonsInline(s))?.(ZERO);
  const add = (args: string[], line: number, text: string): void => {
    const [f, t, p] = args.map(value);
    if (args.length === 3 && f !== undefined && t !== undefined && p !== undefined) out.push({ text, line, family: f, type: t, protocol: p });
  };
  const args = (s: string): string[] => s.split(/,(?![^()]*\))/).map((x) => x.trim());
  if (typeof spec.examples === 'string') {
    for (const m of spec.examples.matchAll(/\bsocket\s*\(((?:[^()]|\([^()]*\))*)\)/g)) add(args(m[1]), spec.lines.examples ?? spec.line, `socket(${m[1]})`);
  }
  for (const c of spec.constraints) {
    const text = Object.values(c).filter((v): v is string => typeof v === 'string').join(' ');
    if (!/valid combinations/i.test(text)) continue;
    for (const m of text.matchAll(/\((AF_[A-Z0-9]+\s*,(?:[^()]|\([^()]*\))*)\)/g)) add(args(m[1]), c.line, `(${m[1]})`);
  }
  return out;
}

/** How much of the spec's normative text is executable: error causes, capability conditions and parameter constraints. */
export function formalizationCoverage(causes: readonly Cause[], constraints: readonly ParamConstraint[] = []): { formalized: number; informal: number } {
  const all = [...causes, ...constraints];
  const formalized = all.filter((c) => c.predicate !== undefined).length;
  return { formalized, informal: all.length - formalized };
}
