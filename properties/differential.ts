// The campaign's model ≡ kernel property: generated environments, each with a batch of generated
// calls, run on the host kernel through the executor and compared with the model call by call.
// A failure carries the first mismatching call, both outcomes and the model clause.
// Sources: oracle/host/, oracle/compare.ts, generators/.

import fc from 'fast-check';
import { evaluate, FILE_MAX_DEFAULT, formatStrace, NR_OPEN_SYSCTL_DEFAULT, resultString, type Call, type Env, type KernelProfile } from '../model';
import { callArb, envArb, harnessSafe } from '../generators';
import { compareOutcomes, describeMismatch, shortResult } from '../oracle/compare';
import { ia32Unavailable, type HostOracle } from '../oracle/host';
import { observe } from '../oracle/observe';
import { ExecutorDied } from '../oracle/errors';
import { ContractError } from '../contract';
import type { PropertyContext, PropertyDef } from './law';

export const DIFFERENTIAL_ID = 'P-MODEL-EQ-KERNEL';

/** The first disagreement of a batch, as data (it becomes the finding). */
export class Disagreement extends Error {
  constructor(
    readonly call: Call,
    readonly env: Env,
    readonly model: string,
    readonly kernel: string,
    readonly clause: string,
    readonly strace: string,
    readonly details: readonly string[],
  ) {
    super(`${strace}\n  model ${model} (clause ${clause}), kernel ${kernel}: ${details.join('; ')}`);
  }
}

/**
 * The environment as the host oracle can reproduce it exactly: global sysctls at their defaults,
 * each seccomp filter behind the harness prologue (which keeps its verdict for socket()).
 */
export function hostReproducible(e: Env): Env {
  return { ...e, fileMax: FILE_MAX_DEFAULT, nrOpen: NR_OPEN_SYSCTL_DEFAULT, seccomp: e.seccomp.map(harnessSafe) };
}

/** Environments the host can reproduce exactly. */
export function hostEnvArb(profile: KernelProfile): fc.Arbitrary<Env> {
  return envArb({ profile }).map((e) => hostReproducible({ ...e, profile }));
}

/** The async property: one environment and `calls` calls per run. */
export function differentialProperty(oracle: HostOracle, profile: KernelProfile, record?: (call: Call, env: Env, trace: readonly string[]) => void, calls = 16): fc.IAsyncProperty<[Env, Call[]]> {
  return fc.asyncProperty(hostEnvArb(profile), fc.array(callArb({ entries: ia32Unavailable() === '' }), { minLength: 1, maxLength: calls }), async (env, cs) => {
    const run = await oracle.run(env, cs);
    cs.forEach((call, i) => {
      const d = evaluate(call, env);
      record?.(call, env, d.trace);
      const obs = observe(run.results[i], run);
      // A lost result (the executor died twice) says nothing about the kernel: no disagreement,
      // and no pass either. The oracle's failure stops the run; a campaign redoes the round.
      if ('lost' in obs) throw new ExecutorDied(`the oracle lost the result of ${formatStrace(call, d.outcome)}: ${obs.unobserved}`);
      const ms = compareOutcomes(d.outcome, obs);
      if (ms.length === 0) return;
      const kernel = 'outcome' in obs ? shortResult(obs.outcome) : `unobserved (${obs.unobserved})`;
      throw new Disagreement(call, env, resultString(d.outcome), kernel, d.trace[d.trace.length - 1], formatStrace(call, d.outcome), ms.map(describeMismatch));
    });
  });
}

/**
 * P-MODEL-EQ-KERNEL in the registry: one environment per ten campaign runs, each with a batch of
 * up to 16 calls on the kernel; every decision recorded into the coverage and offered to the hook.
 */
export const DIFFERENTIAL_PROPERTY: PropertyDef = {
  id: DIFFERENTIAL_ID,
  title: 'the model and the running kernel give the same result for every call',
  kind: 'kernel',
  runsPerCase: 10,
  build: (ctx: PropertyContext) => {
    if (ctx.oracle === undefined) throw new ContractError('--properties', `${DIFFERENTIAL_ID} needs --oracle host`, 'unavailable');
    return differentialProperty(ctx.oracle, ctx.profile, (call, env, trace) => {
      ctx.coverage.record(env, trace);
      ctx.record?.(call, env, trace, () => env);
    });
  },
};
