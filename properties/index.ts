// The registry of properties, and runners that return data (the CLI and jest format it). Every
// property is here and runs the same way: the laws of the model, the coverage-guided exploration
// and the model ≡ kernel differential, in the order campaigns plan their rounds.
// Sources: properties/*.ts.

import fc from 'fast-check';
import { ContractError } from '../contract';
import { DIFFERENTIAL_PROPERTY, PAIR_DIFFERENTIAL_PROPERTY } from './differential';
import { EXPLORE_PROPERTY } from './explore';
import { FD_PROPERTIES } from './fdtable';
import { defaultContext, type PropertyContext, type PropertyDef } from './law';
import { MODEL_PROPERTIES } from './model';
import { PRECEDENCE_PROPERTIES } from './precedence';
import { PAIR_PROPERTIES } from './socketpair';
import { SEQUENCES_PROPERTY } from './sequences';
import { replayCommand } from './replay';

export * from './law';
export * from './coverage';
export * from './replay';
export { DIFFERENTIAL_ID, DIFFERENTIAL_PROPERTY, PAIR_DIFFERENTIAL_ID, PAIR_DIFFERENTIAL_PROPERTY, Disagreement, differentialProperty, hostEnvArb, hostReproducible, KernelFault, vmEnvArb, vmReproducible } from './differential';
export { EXPLORE_ID, EXPLORE_PROPERTY } from './explore';
export { SEQUENCES_ID, SEQUENCES_PROPERTY, stepArb } from './sequences';

export const PROPERTIES: readonly PropertyDef[] = [
  ...PRECEDENCE_PROPERTIES, ...FD_PROPERTIES, ...MODEL_PROPERTIES, ...PAIR_PROPERTIES, EXPLORE_PROPERTY, DIFFERENTIAL_PROPERTY, PAIR_DIFFERENTIAL_PROPERTY,
  SEQUENCES_PROPERTY,
];

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
  /** The command that replays the failure (`sockspec fuzz --replay-seed …`). */
  readonly replay?: string;
  readonly ms: number;
}

/** Options for one property run. */
export interface RunOptions {
  readonly seed: number;
  readonly numRuns: number;
  /** Replay a counterexample path printed by an earlier failure. */
  readonly path?: string;
}

function result(p: PropertyDef, opts: RunOptions, details: fc.RunDetails<unknown>, ms: number): PropertyResult {
  const base = { id: p.id, title: p.title, runs: details.numRuns, seed: opts.seed, ms };
  if (!details.failed) return { ...base, failed: false };
  const err = details.errorInstance;
  const path = details.counterexamplePath ?? undefined;
  return {
    ...base,
    failed: true,
    ...(path !== undefined ? { path } : {}),
    counterexample: fc.stringify(details.counterexample),
    error: err instanceof Error ? err.message : String(err),
    replay: replayCommand({ property: p.id, seed: opts.seed, ...(path !== undefined ? { path } : {}) }),
  };
}

/** Runs one synchronous property (a law or the exploration) with fast-check; never throws for a failure. */
export function runProperty(p: PropertyDef, opts: RunOptions, now: () => number = () => 0, ctx: PropertyContext = defaultContext()): PropertyResult {
  const t0 = now();
  const prop = p.build(ctx);
  if (prop.isAsync()) throw new ContractError('--properties', `${p.id} runs asynchronously: use runPropertyAsync`);
  const details = fc.check(prop as fc.IProperty<unknown>, { seed: opts.seed, numRuns: opts.numRuns, ...(opts.path !== undefined ? { path: opts.path } : {}) });
  return result(p, opts, details, now() - t0);
}

/** Runs any property, the differential included (its context needs an oracle); never throws for a failure. */
export async function runPropertyAsync(p: PropertyDef, opts: RunOptions, ctx: PropertyContext = defaultContext(), now: () => number = () => 0): Promise<PropertyResult> {
  const t0 = now();
  const details = await fc.check(p.build(ctx), { seed: opts.seed, numRuns: opts.numRuns, ...(opts.path !== undefined ? { path: opts.path } : {}) });
  return result(p, opts, details, now() - t0);
}

/**
 * Properties selected by id, in the order given (all that can run when `ids` is empty: the
 * differential only with an oracle). An unknown id, or the differential without an oracle, is a
 * ContractError about `--properties`.
 */
export function selectProperties(ids: readonly string[], opts: { oracle: boolean } = { oracle: false }): PropertyDef[] {
  if (ids.length === 0) return PROPERTIES.filter((p) => p.kind !== 'kernel' || opts.oracle);
  return ids.map((id) => {
    const p = PROPERTIES.find((x) => x.id === id);
    if (p?.kind === 'kernel' && !opts.oracle) throw new ContractError('--properties', `${id} needs --oracle host`, 'unavailable');
    if (p === undefined) throw new ContractError('--properties', `unknown property ${id} (known: ${PROPERTIES.map((x) => x.id).join(', ')})`, 'unknown-name');
    return p;
  });
}
