// P-EXPLORE: coverage-guided exploration. It asserts only that the model decides every input;
// its worth is where it goes: calls towards families with clauses not decided yet, environments
// towards the classes with the fewest clauses decided. Campaigns keep its first input for each
// clause and class as their corpus. Sources: properties/coverage.ts, generators/.

import fc from 'fast-check';
import { AF_NAMES, ALL_CAPS, ALL_CLAUSES, evaluate, type Call, type Env } from '../model';
import { callArb, envArb } from '../generators';
import { hostReproducible } from './differential';
import type { PropertyContext, PropertyDef } from './law';

export const EXPLORE_ID = 'P-EXPLORE';

/** The environment classes the exploration steers between, each as a way to shape a generated env. */
const CLASS_SHAPES: ReadonlyArray<[string, (e: Env) => Env]> = [
  ['root', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, uid: 0, caps: ALL_CAPS, namespaces: 'init' } })],
  ['uid 0, no caps', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, uid: 0, caps: 0, namespaces: 'init' } })],
  ['unprivileged', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, uid: e.creds.uid === 0 ? 65534 : e.creds.uid, caps: 0, namespaces: 'init' } })],
  ['namespaces user+net', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, namespaces: 'user+net' } })],
  ['namespaces user', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, namespaces: 'user' } })],
  ['namespaces net', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, namespaces: 'net' } })],
  ['seccomp', (e) => e],
];

/**
 * Coverage-guided exploration. Calls are biased towards families with clauses that have not
 * decided anything yet; environments towards the classes with the fewest clauses decided so far
 * (weights are fixed at the start of each round, so a round stays deterministic for its seed).
 */
function exploreProperty(ctx: PropertyContext): fc.IProperty<[Call, Env]> {
  const { profile, coverage: cov } = ctx;
  const steer = ctx.steer ?? cov;
  const covered = steer.covered;
  const uncoveredFamilies = [...new Set(ALL_CLAUSES.filter((c) => !covered.has(c.id)).map((c) => c.group))];
  const famNumbers = profile.families.filter((f) => uncoveredFamilies.includes(AF_NAMES[f]));
  const base = callArb();
  const targeted = famNumbers.length === 0 ? base : fc.tuple(base, fc.constantFrom(...famNumbers)).map(([c, f]): Call => ({ ...c, a0: f }));
  const most = Math.max(1, ...[...steer.byClass.values()].map((s) => s.size));
  const envs = fc.oneof(...CLASS_SHAPES.map(([name, shape]) => ({
    arbitrary: envArb({ profile, seccomp: name === 'seccomp' }).map(shape),
    weight: 1 + most - (steer.byClass.get(name)?.size ?? 0),
  })));
  return fc.property(fc.oneof({ arbitrary: targeted, weight: 3 }, { arbitrary: base, weight: 1 }), envs, (call, env) => {
    const trace = evaluate(call, env).trace;
    cov.record(env, trace);
    // A kernel replays the environment with global knobs at their defaults: a decision that needed
    // a global knob is not kept in a corpus.
    ctx.record?.(call, env, trace, () => hostReproducible(env));
  });
}

export const EXPLORE_PROPERTY: PropertyDef = {
  id: EXPLORE_ID,
  title: 'the model decides every input; generation steered towards clauses not decided yet',
  kind: 'exploration',
  build: exploreProperty,
};
