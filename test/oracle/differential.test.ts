// The differential property: the model and the real kernel agree on generated calls and
// environments (capabilities, namespaces, uid/gid/groups, ping ranges, MPTCP, RLIMIT_NOFILE, fd
// tables with holes, seccomp stacks), at least 20,000 tuples, seeded and replayable. Runs on the
// host kernel through the executor; skipped only where the machine cannot run it (not root, or no
// executor binary), with the reason.

import fc from 'fast-check';
import { evaluate, formatStrace } from '../../model';
import { callArb, envArb, harnessSafe } from '../../generators';
import { compareOutcomes, describeMismatch } from '../../oracle/compare';
import { executorSkipReason, hostOracleForSuite } from '../helpers';
import { observe } from '../../oracle/observe';
import { ia32Unavailable } from '../../oracle/host';

const seed = Number(process.env.SOCKSPEC_SEED ?? 0x5eed0c);
const envRuns = Number(process.env.SOCKSPEC_DIFF_ENVS ?? 400);
const callsPerEnv = 50;
const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;

maybe(`model ≡ host kernel (seed ${seed}, ${envRuns} environments × ${callsPerEnv} calls)${why ? ` — skipped: ${why}` : ''}`, () => {
  const host = hostOracleForSuite();

  it('agrees on every generated tuple', async () => {
    const { oracle, profile } = host.get();
    let tuples = 0;
    const arb = fc.tuple(
      envArb({ profile: undefined }).map((e) => ({
        ...e,
        profile,
        fileMax: Number.MAX_SAFE_INTEGER,
        nrOpen: 1048576,
        seccomp: e.seccomp.map(harnessSafe),
      })),
      fc.array(callArb({ entries: ia32Unavailable() === '' }), { minLength: callsPerEnv, maxLength: callsPerEnv }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ([env, calls]) => {
        const run = await oracle.run(env, calls);
        tuples += calls.length;
        const bad: string[] = [];
        calls.forEach((call, i) => {
          const d = evaluate(call, env);
          const ms = compareOutcomes(d.outcome, observe(run.results[i], run));
          if (ms.length > 0) bad.push(`${formatStrace(call, d.outcome)}  [model, via ${d.trace.join(' → ')}]\n    kernel: ${ms.map(describeMismatch).join('; ')}`);
        });
        if (bad.length > 0) throw new Error(`${bad.length} mismatches in env ${JSON.stringify({ ...env, profile: profile.name }, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}\n${bad.slice(0, 10).join('\n')}`);
      }),
      { seed, numRuns: envRuns, endOnFailure: true },
    );
    expect(tuples).toBeGreaterThanOrEqual(20000);
  });
});
