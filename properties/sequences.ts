// P-FD-SEQUENCES-EQ-KERNEL: the fd-table law on the kernel. A generated environment (no filters:
// a sequence is about the table) and a generated sequence of socket, socketpair, close, dup2 and
// dup3 steps run in one child with nothing restored between them; after every step the kernel's
// table must equal the model's. fast-check shrinks a failure to the shortest sequence that still
// shows it, replaying each candidate on the kernel.
// Sources: model/sequence.ts, oracle/compare-sequence.ts, docs/kernel.md §14.

import fc from 'fast-check';
import { runSequence, type Env, type KernelProfile, type Step } from '../model';
import { callArb, pairCallArb } from '../generators';
import { compareStep, formatStep } from '../oracle/compare-sequence';
import type { KernelOracle } from '../oracle/oracle';
import { MAX_SNAPSHOT_FDS } from '../oracle/protocol';
import { ExecutorDied } from '../oracle/errors';
import { ContractError } from '../contract';
import { hostEnvArb, vmEnvArb } from './differential';
import { violated, type PropertyContext, type PropertyDef } from './law';

export const SEQUENCES_ID = 'P-FD-SEQUENCES-EQ-KERNEL';

/** One step: a socket() or socketpair() call, close of a low fd, dup2/dup3 onto a fd up to 70 (past a 64-slot table). */
export function stepArb(entries: boolean): fc.Arbitrary<Step> {
  return fc.oneof(
    { arbitrary: callArb({ entries }).map((call): Step => ({ op: 'call', call })), weight: 3 },
    { arbitrary: pairCallArb({ entries }).map((call): Step => ({ op: 'call', call })), weight: 2 },
    { arbitrary: fc.nat({ max: 12 }).map((fd): Step => ({ op: 'close', fd })), weight: 2 },
    {
      arbitrary: fc.tuple(fc.nat({ max: 12 }), fc.nat({ max: 70 }), fc.boolean())
        .map(([oldfd, newfd, cloexec]): Step => ({ op: 'dup2', oldfd, newfd, ...(cloexec ? { cloexec } : {}) })),
      weight: 2,
    },
  );
}

/** An environment a sequence runs in: the oracle's reproducible ones, without filters, with a layout a snapshot holds. */
function seqEnvArb(oracle: KernelOracle, profile: KernelProfile): fc.Arbitrary<Env> {
  const envs = oracle.kind === 'vm' ? vmEnvArb(profile) : hostEnvArb(profile);
  return envs.map((e) => ({ ...e, seccomp: [] })).filter((e) => e.fds.entries.length <= MAX_SNAPSHOT_FDS / 2 && e.fds.entries.every((x) => x.fd < 1024));
}

/** The async property on the oracle's kernel. */
export function sequencesProperty(oracle: KernelOracle, profile: KernelProfile): fc.IAsyncProperty<[Env, Step[]]> {
  const run = oracle.sequence?.bind(oracle);
  if (run === undefined) throw new ContractError('--properties', `${SEQUENCES_ID}: this oracle does not run sequences`, 'unavailable');
  return fc.asyncProperty(seqEnvArb(oracle, profile), fc.array(stepArb(oracle.ia32Unavailable() === ''), { minLength: 1, maxLength: 12 }), async (env, steps) => {
    const kernel = await run(env, steps);
    if (kernel.lost !== undefined) throw new ExecutorDied(`the oracle lost a sequence: ${kernel.lost}`);
    if (kernel.setupFailure !== undefined) throw new ExecutorDied(`a sequence's setup failed at ${kernel.setupFailure.step}: ${kernel.setupFailure.errno}`);
    const model = runSequence(env, steps);
    for (let i = 0; i < steps.length; i++) {
      const k = kernel.steps[i];
      if (k.status === 'unavailable') return;
      const diff = compareStep(model[i], k);
      if (diff.length > 0) {
        const lines = steps.slice(0, i + 1).map((s, j) => `  ${j === i ? '>' : ' '} ${formatStep(s, model[j].result)}`);
        violated(`the kernel's fd table differs from the model's after step ${i + 1}:\n${lines.join('\n')}\n  ${diff.join('; ')}`);
      }
    }
  });
}

export const SEQUENCES_PROPERTY: PropertyDef = {
  id: SEQUENCES_ID,
  title: 'over socket/socketpair/close/dup2 sequences run on the kernel with nothing restored, its fd table equals the model\'s after every step',
  kind: 'kernel',
  runsPerCase: 10,
  build: (ctx: PropertyContext) => {
    if (ctx.oracle === undefined) throw new ContractError('--properties', `${SEQUENCES_ID} needs --oracle host or vm`, 'unavailable');
    return sequencesProperty(ctx.oracle, ctx.profile);
  },
};
