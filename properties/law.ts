// Shared helpers for laws: a property definition with a stable id, and matchers that explain a
// failure in strace lines rather than saying "false".
// Sources: docs/architecture.md "Style to follow" (LTP/gVisor-style diagnostics).

import type fc from 'fast-check';
import { formatStrace, reference618, resultString, type Call, type Decision, type Env, type KernelProfile } from '../model';
import type { KernelOracle } from '../oracle/oracle';
import { Coverage } from './coverage';

/**
 * What a property may use besides its arbitraries: the kernel profile, the kernel itself (for the
 * differential), the coverage so far (for the exploration), and a hook told of every decision.
 */
export interface PropertyContext {
  readonly profile: KernelProfile;
  /** A kernel (the running one through the executor, or an image in QEMU); properties of kind `kernel` need it. */
  readonly oracle?: KernelOracle;
  /** The clauses decided so far (the exploration records into it, and steers by it unless `steer` is given). */
  readonly coverage: Coverage;
  /**
   * What the exploration steers by, where not `coverage`: a campaign passes the coverage of the
   * exploration's own earlier rounds, which is the same in every shard and worker.
   */
  readonly steer?: Coverage;
  /**
   * Told of each decision: the call, its environment, the trace, and the environment as a kernel
   * can replay it exactly (the campaign keeps coverage and its corpus with it).
   */
  readonly record?: (call: Call, env: Env, trace: readonly string[], replayable: () => Env) => void;
}

/** A context on the reference profile with fresh coverage, for running a property alone. */
export function defaultContext(over: Partial<PropertyContext> = {}): PropertyContext {
  return { profile: reference618, coverage: new Coverage(), ...over };
}

/**
 * `model`: a law of the model, run anywhere; `kernel`: compares the model with the running kernel
 * (needs an oracle); `exploration`: asserts only that the model decides, and steers generation
 * towards clauses not decided yet.
 */
export type PropertyKind = 'model' | 'kernel' | 'exploration';

/** One invariant of the socket() contract. */
export interface PropertyDef {
  /** Stable id, `P-…`; the CLI and jest select properties by it. */
  readonly id: string;
  readonly title: string;
  /** Default `model`. */
  readonly kind?: PropertyKind;
  /** Campaign runs one fast-check run stands for (the differential: a batch of calls per environment). Default 1. */
  readonly runsPerCase?: number;
  /** A fresh fast-check property (built lazily so listing properties costs nothing). */
  readonly build: (ctx: PropertyContext) => fc.IProperty<unknown> | fc.IAsyncProperty<unknown>;
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
