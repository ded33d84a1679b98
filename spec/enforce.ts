// What KAPI's runtime checks would do to socket() if this spec were enforced. With
// CONFIG_KAPI_RUNTIME_CHECKS the syscall wrapper (SYSCALL_DEFINEx, arch/x86/include/asm/
// syscall_wrapper.h in the KAPI series) hands the arguments, each as `(s64)` of its C type, to
// kapi_validate_syscall_params() (kernel/api/kernel_api_spec.c) before the syscall body runs: a
// parameter count other than the spec's KAPI_PARAM_COUNT, or a parameter outside its
// constraint_type (RANGE: min..max, or only min when max < min; MASK: no bit outside valid_mask;
// ENUM; NONZERO; POWER_OF_TWO; ALIGNMENT), returns -EINVAL for a `sys_` spec, the first failing
// parameter deciding. A parameter whose constraint type is NONE (or not given: 0) is not checked.
// Seccomp runs before the wrapper; the i386 socketcall entry calls __sys_socket() directly
// (net/compat.c), past the wrapper, so neither changes.
// Sources: kernel/api/kernel_api_spec.c (kapi_validate_param_checks, kapi_validate_syscall_params).

import { NAMES, parseExpr } from './formalize';
import type { ParsedSpec } from './parse';

/** One check the wrapper makes. */
export interface RuntimeCheck {
  /** `param-count`, or the parameter's name. */
  readonly id: string;
  readonly line: number;
  /** The spec's words for it, e.g. `family: KAPI_CONSTRAINT_RANGE(0, 45)`. */
  readonly text: string;
  /** Whether the wrapper rejects these arguments (each the value of its int, as the s64 the wrapper passes). */
  readonly rejects: (args: readonly number[]) => boolean;
}

const exprOf = (v: unknown): string | undefined => (v !== null && typeof v === 'object' && 'expr' in v ? String((v as { expr: unknown }).expr) : typeof v === 'number' ? String(v) : undefined);

/** A constant the spec writes as a number or an expression of known names. */
function constant(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  const text = exprOf(v);
  if (text === undefined) return undefined;
  const e = parseExpr(text);
  if (e === undefined) return undefined;
  return BigInt(e({ family: 0, type: 0, protocol: 0, hasCap: () => false, registered: () => false, inetswAccepts: () => false, inetswHas: () => false, unreadableBlock: false }));
}

/** The enum values of KAPI_PARAM_ENUM_VALUES(a, b, …) or of a `{a, b}` initializer, where each is a known constant. */
function enumValues(v: unknown): bigint[] | undefined {
  const text = exprOf(v);
  if (text === undefined) return undefined;
  const parts = text.replace(/^\(?\s*(const\s+s64\s*\[\s*\]\s*\))?\s*\{?|\}?\s*\)?$/g, '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const vals = parts.map((p) => (/^-?(0x[0-9a-f]+|\d+)$/i.test(p) ? BigInt(p) : NAMES[p] !== undefined ? BigInt(NAMES[p]) : undefined));
  return vals.every((x): x is bigint => x !== undefined) && vals.length > 0 ? vals : undefined;
}

/** The checks KAPI's wrapper makes for this spec, in its order; socket() passes 3 arguments. */
export function runtimeChecks(spec: ParsedSpec): RuntimeCheck[] {
  const out: RuntimeCheck[] = [];
  const count = spec.counts.PARAM;
  const stated = count === undefined ? 0 : count.value;
  if (stated !== 3) {
    out.push({
      id: 'param-count', line: count?.line ?? spec.line, rejects: () => true,
      text: count === undefined ? 'no KAPI_PARAM_COUNT: param_count is 0, socket() passes 3' : `KAPI_PARAM_COUNT(${stated}): socket() passes 3`,
    });
  }
  const byIndex = [...spec.params].sort((a, b) => Number(a.index) - Number(b.index));
  byIndex.forEach((p, i) => {
    if (i > 2) return;
    const kind = exprOf(p.constraintType) ?? '';
    const name = String(p.name);
    const at = (args: readonly number[]): bigint => BigInt(args[i]);
    let check: ((v: bigint) => boolean) | undefined;
    let text = '';
    if (kind === 'KAPI_CONSTRAINT_RANGE' && typeof p.min === 'number') {
      const lo = BigInt(p.min);
      const hi = typeof p.max === 'number' ? BigInt(p.max) : undefined;
      check = hi !== undefined && hi >= lo ? (v) => v < lo || v > hi : (v) => v < lo;
      text = `${name}: KAPI_CONSTRAINT_RANGE(${p.min}, ${p.max ?? '-'})`;
    } else if (kind === 'KAPI_CONSTRAINT_MASK') {
      const mask = constant(p.validMask);
      if (mask === undefined) return;
      check = (v) => (v & ~mask) !== 0n;
      text = `${name}: KAPI_CONSTRAINT_MASK(${exprOf(p.validMask)} = 0x${mask.toString(16)})`;
    } else if (kind === 'KAPI_CONSTRAINT_ENUM') {
      const vals = enumValues(p.enumValues);
      if (vals === undefined) return;
      check = (v) => !vals.includes(v);
      text = `${name}: KAPI_CONSTRAINT_ENUM(${vals.join(', ')})`;
    } else if (kind === 'KAPI_CONSTRAINT_NONZERO') {
      check = (v) => v === 0n;
      text = `${name}: KAPI_CONSTRAINT_NONZERO`;
    } else if (kind === 'KAPI_CONSTRAINT_POWER_OF_TWO') {
      check = (v) => v === 0n || (v & (v - 1n)) !== 0n;
      text = `${name}: KAPI_CONSTRAINT_POWER_OF_TWO`;
    } else if (kind === 'KAPI_CONSTRAINT_ALIGNMENT' && typeof p.alignment === 'number' && p.alignment > 0) {
      const a = BigInt(p.alignment);
      check = (a & (a - 1n)) !== 0n ? () => true : (v) => (v & (a - 1n)) !== 0n;
      text = `${name}: KAPI_CONSTRAINT_ALIGNMENT(${p.alignment})`;
    }
    if (check === undefined) return;
    const c = check;
    out.push({ id: name, line: p.line, text, rejects: (args) => c(at(args)) });
  });
  return out;
}

/** The first check that rejects these arguments, or undefined where the wrapper lets the call through. */
export function firstRejecting(checks: readonly RuntimeCheck[], args: readonly number[]): RuntimeCheck | undefined {
  return checks.find((c) => c.rejects(args));
}
