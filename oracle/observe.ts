// From executor results to observations the comparator takes, and a KernelBatch for the bounded
// check: one RUN per batch of calls in one environment.
// Sources: oracle/host/ (HostOracle, KernelResult), oracle/compare.ts.

import type { Call, Env } from '../model';
import type { Observation } from './compare';
import type { KernelResult, KernelRun } from './host';
import type { KernelOracle } from './oracle';

/** One executor result as an observation; a setup failure makes every call unobserved (a lost batch stays lost). */
export function observe(r: KernelResult, run: Pick<KernelRun, 'setupFailure'>): Observation {
  if (run.setupFailure !== undefined && r.status !== 'lost') return { unobserved: `environment setup failed at ${run.setupFailure.step}: ${run.setupFailure.errno}` };
  switch (r.status) {
    case 'returned':
    case 'killed':
      return { outcome: r.outcome };
    case 'timeout':
      return { unobserved: 'the call hung and was killed after the timeout' };
    case 'not-run':
      return { unobserved: r.reason ?? 'the call was not run' };
    case 'unavailable':
      return { unobserved: `not run: ${r.reason}`, unavailable: true };
    case 'lost':
      return { unobserved: r.reason, lost: true };
  }
}

/** Runs `calls` in `env` on the oracle's kernel (the host's, or a guest's) and returns one observation per call. */
export async function observeOnHost(oracle: KernelOracle, env: Env, calls: readonly Call[]): Promise<Observation[]> {
  const run = await oracle.run(env, calls);
  return run.results.map((r) => observe(r, run));
}
