// The registry of properties, and a runner that returns data (the CLI and jest format it).
// Sources: properties/*.ts.

import fc from 'fast-check';
import { FD_PROPERTIES } from './fdtable';
import { MODEL_PROPERTIES } from './model';
import { PRECEDENCE_PROPERTIES } from './precedence';
import type { PropertyDef } from './law';

export * from './law';

export const PROPERTIES: readonly PropertyDef[] = [...PRECEDENCE_PROPERTIES, ...FD_PROPERTIES, ...MODEL_PROPERTIES];

/** The outcome of running one property. */
export interface PropertyResult {
  readonly id: string;
  readonly title: string;
  readonly runs: number;
  readonly failed: boolean;
  readonly seed: number;
  /** fast-check's replay path of the shrunk counterexample. */
  readonly path?: string;
  readonly counterexample?: string;
  readonly error?: string;
  readonly ms: number;
}

/** Options for one property run. */
export interface RunOptions {
  readonly seed: number;
  readonly numRuns: number;
  /** Replay a counterexample path printed by an earlier failure. */
  readonly path?: string;
}

/** Runs one property with fast-check and returns what happened; never throws for a failure. */
export function runProperty(p: PropertyDef, opts: RunOptions, now: () => number = () => 0): PropertyResult {
  const t0 = now();
  const details = fc.check(p.build(), {
    seed: opts.seed,
    numRuns: opts.numRuns,
    ...(opts.path !== undefined ? { path: opts.path } : {}),
  });
  const base = { id: p.id, title: p.title, runs: details.numRuns, seed: opts.seed, ms: now() - t0 };
  if (!details.failed) return { ...base, failed: false };
  const err = details.errorInstance;
  return {
    ...base,
    failed: true,
    ...(details.counterexamplePath !== null ? { path: details.counterexamplePath } : {}),
    counterexample: fc.stringify(details.counterexample),
    error: err instanceof Error ? err.message : String(err),
  };
}

/** Properties selected by id (all when `ids` is empty); throws naming an unknown id. */
export function selectProperties(ids: readonly string[]): PropertyDef[] {
  if (ids.length === 0) return [...PROPERTIES];
  return ids.map((id) => {
    const p = PROPERTIES.find((x) => x.id === id);
    if (p === undefined) throw new Error(`unknown property ${id} (known: ${PROPERTIES.map((x) => x.id).join(', ')})`);
    return p;
  });
}
