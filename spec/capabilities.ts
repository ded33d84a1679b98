// The capabilities the kernel checks, found from the model rather than read from a list: a call
// that a row reading the capabilities decided, and that one more capability would let past that
// row, needs that capability there. Whether the row counts it in the initial user namespace
// (capable()) or in the one that owns the network namespace (ns_capable()) is read off the same
// call made in a user namespace that owns its netns with every capability. A row that also reads a
// limit (fs.file-max, …) is a limit the capability lets a caller past. The spec check holds these
// against the spec's KAPI_CAPABILITY list, the part of a spec a machine reads.
// Sources: model/clause.ts (what each row reads), model/evaluate.ts; the rows themselves cite the
// kernel (net/socket.c __sock_create, the families' ->create, fs/file_table.c alloc_empty_file).

import { ALL_CAPS, CAP_NAMES, clauseById, evaluate, type Call, type Env, type InputKey } from '../model';

/** Inputs that make a row a limit rather than a permission. */
const LIMITS: readonly InputKey[] = ['fileMax', 'nrFiles', 'unixSockets', 'rlimit', 'nrOpen', 'fds'];

/** Where a row counts the capability. */
export type CapabilityScope = 'capable' | 'ns_capable' | 'unknown';

/** One capability check the kernel made on a call: the row, the capability, where it counts, and whether it guards a limit. */
export interface CapabilityUse {
  readonly row: string;
  readonly cap: string;
  readonly scope: CapabilityScope;
  /** The row is a limit the capability lets a caller past, not a permission. */
  readonly bypass: boolean;
}

/** Words for a scope, as reports print them. */
export function scopeWords(s: CapabilityScope): string {
  return s === 'capable' ? 'capable(): in the initial user namespace' : s === 'ns_capable' ? 'ns_capable(): in the user namespace that owns the network namespace' : 'namespace not determined';
}

const has = (caps: number, i: number): boolean => (Math.floor(caps / 2 ** i) & 1) === 1;

/** Finds, with a cache per row, the capability a row demands and where it counts. Deterministic: the same point gives the same answer. */
export class CapabilityProbe {
  private readonly capOf = new Map<string, number>();
  private readonly scopeOf = new Map<string, CapabilityScope>();

  /**
   * The capability check that decided this call, if the deciding row reads the capabilities and
   * one capability the caller lacks would let the call past it; undefined otherwise (for example
   * where the capabilities held do not count: a user namespace over the initial netns).
   */
  use(call: Call, env: Env, row: string): CapabilityUse | undefined {
    const clause = clauseById(row);
    if (clause === undefined || !clause.reads.includes('caps')) return undefined;
    const caps = env.creds.caps;
    const passes = (i: number): boolean => {
      if (has(caps, i)) return false;
      const t = evaluate(call, { ...env, creds: { ...env.creds, caps: caps + 2 ** i } }).trace;
      return t.includes(row) && t[t.length - 1] !== row;
    };
    const cached = this.capOf.get(row);
    let found = cached !== undefined && passes(cached) ? cached : -1;
    for (let i = 0; found < 0 && i < CAP_NAMES.length; i++) if (i !== cached && passes(i)) found = i;
    if (found < 0) return undefined;
    this.capOf.set(row, found);
    return { row, cap: CAP_NAMES[found], scope: this.scope(call, env, row), bypass: clause.reads.some((r) => LIMITS.includes(r)) };
  }

  /** Every row met so far whose capability is known, in the order met. */
  uses(): CapabilityUse[] {
    return [...this.capOf.entries()].map(([row, i]) => {
      const clause = clauseById(row);
      return { row, cap: CAP_NAMES[i], scope: this.scopeOf.get(row) ?? 'unknown', bypass: clause?.reads.some((r) => LIMITS.includes(r)) === true };
    });
  }

  private scope(call: Call, env: Env, row: string): CapabilityScope {
    const known = this.scopeOf.get(row);
    if (known !== undefined) return known;
    const t = evaluate(call, { ...env, creds: { ...env.creds, namespaces: 'user+net', caps: ALL_CAPS } }).trace;
    if (!t.includes(row)) return 'unknown';
    const s: CapabilityScope = t[t.length - 1] === row ? 'capable' : 'ns_capable';
    this.scopeOf.set(row, s);
    return s;
  }
}
