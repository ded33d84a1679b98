// Shared helpers for laws: a property definition with a stable id, and matchers that explain a
// failure in strace lines rather than saying "false".
// Sources: ARCHITECTURE.md "Style to follow" (LTP/gVisor-style diagnostics).

import type fc from 'fast-check';
import { formatStrace, resultString, type Call, type Decision } from '../model';

/** One invariant of the socket() contract. */
export interface PropertyDef {
  /** Stable id, `P-…`; the CLI and jest select properties by it. */
  readonly id: string;
  readonly title: string;
  /** A fresh fast-check property (built lazily so listing properties costs nothing). */
  readonly build: () => fc.IProperty<unknown>;
}

/** Thrown by a law with a human-readable diagnosis. */
export class LawViolation extends Error {}

/** Throws a LawViolation. */
export function violated(message: string): never {
  throw new LawViolation(message);
}

function describe(call: Call, d: Decision): string {
  return `${formatStrace(call, d.outcome)}\n    via ${d.trace.join(' → ')}`;
}

/** The two decisions must agree in outcome (and trace, when `withTrace`). */
export function sameDecision(why: string, a: { call: Call; d: Decision }, b: { call: Call; d: Decision }, withTrace = true): void {
  const same = JSON.stringify(a.d.outcome) === JSON.stringify(b.d.outcome)
    && (!withTrace || a.d.trace.join() === b.d.trace.join());
  if (!same) violated(`${why}\n  first:  ${describe(a.call, a.d)}\n  second: ${describe(b.call, b.d)}`);
}

/** The decision must end in `errno` decided by clause `clause` (if given). */
export function decidedBy(why: string, call: Call, d: Decision, errno: string, clause?: string): void {
  const last = d.trace[d.trace.length - 1];
  if (resultString(d.outcome) !== errno || (clause !== undefined && last !== clause)) {
    violated(`${why}: expected ${errno}${clause ? ` from ${clause}` : ''}\n  got: ${describe(call, d)}`);
  }
}
