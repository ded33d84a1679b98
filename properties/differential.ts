// The campaign's model ≡ kernel property: generated environments, each with a batch of generated
// calls, run on a kernel (the host's through the executor, or an image kept up in QEMU) and
// compared with the model call by call. A failure carries the first mismatching call, both
// outcomes and the model clause. On a VM the environments include the global knobs only a guest
// may set, and a kernel that dies on a batch twice, or writes an alert to its console, is a
// finding too, narrowed to the calls that show it.
// Sources: oracle/host/, oracle/vm/guest.ts, oracle/compare.ts, generators/.

import fc from 'fast-check';
import {
  defaultEnv, evaluate, FILE_MAX_DEFAULT, formatCall, formatStrace, NR_OPEN_SYSCTL_DEFAULT, resultString, type Call, type Env, type KernelProfile,
} from '../model';
import { callArb, envArb, harnessSafe, pairCallArb, type CallOptions } from '../generators';
import { compareOutcomes, describeMismatch, shortResult } from '../oracle/compare';
import type { KernelOracle } from '../oracle/oracle';
import { observe } from '../oracle/observe';
import { ExecutorDied, KernelDied } from '../oracle/errors';
import { MAX_UNIX_HOLD } from '../oracle/protocol';
import { ContractError } from '../contract';
import type { PropertyContext, PropertyDef } from './law';

export const DIFFERENTIAL_ID = 'P-MODEL-EQ-KERNEL';
export const PAIR_DIFFERENTIAL_ID = 'P-PAIR-EQ-KERNEL';

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
 * The kernel itself went wrong on a batch: it died on it twice (`died`), or wrote an alert to its
 * console while running it (`alert`). `calls` is the batch narrowed to what still shows it.
 */
export class KernelFault extends Error {
  constructor(
    readonly symptom: 'died' | 'alert',
    readonly env: Env,
    readonly calls: readonly Call[],
    /** The console alerts, without their `boot N:` prefixes. */
    readonly lines: readonly string[],
    message: string,
  ) {
    super(message);
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

/**
 * The environment as a VM guest reproduces it exactly: each filter behind the harness prologue;
 * fs.file-max either the model's default (no limit) or a small limit, 1 to 64, that the files
 * the guest holds open always exceed (PID 1 holds 96 more while it is set), so the model's count
 * of open files (nrFiles, left at its default of 1,024) is on the same side of it; the AF_UNIX
 * sockets alive are the ones PID 1 holds (at most MAX_UNIX_HOLD). fs.nr_open is any value the
 * generator gives (64 to 256, or the default). Sources: oracle/executor/vm.c, docs/vm-oracle.md §3.
 */
export function vmReproducible(e: Env): Env {
  const fileMax = e.fileMax === FILE_MAX_DEFAULT ? FILE_MAX_DEFAULT : 1 + (Math.abs(e.fileMax) % 64);
  return {
    ...e, fileMax, nrFiles: defaultEnv().nrFiles, unixSockets: Math.min(e.unixSockets, MAX_UNIX_HOLD), seccomp: e.seccomp.map(harnessSafe),
  };
}

/** Environments a kernel in a VM reproduces exactly, the global knobs included. */
export function vmEnvArb(profile: KernelProfile): fc.Arbitrary<Env> {
  return envArb({ profile }).map((e) => vmReproducible({ ...e, profile }));
}

/** The last word of a console alert line, without its `boot N: ` prefix. */
const alertText = (line: string): string => line.replace(/^boot \d+(?: \(failed\))?: /, '');

/**
 * Most calls in one environment's batch: 16 on the host (fast-check's small sizes: 6 on average).
 * In a VM setting an environment up costs about 3 to 6 ms of emulated time (a fork, namespaces,
 * the fd layout, the knobs) and a call about 30 µs, so a batch there has 1 to 64 calls drawn over
 * the whole range (32 on average); but where the environment has seccomp filters, each call a
 * filter kills costs a new child (about 3 ms), and such a batch keeps to 16.
 */
export function batchCalls(oracle: KernelOracle, env?: Env): number {
  if (oracle.kind !== 'vm') return 16;
  return env !== undefined && env.seccomp.length > 0 ? 16 : 64;
}

/**
 * The async property: one environment and a batch of calls per run, on the oracle's kernel.
 * `callsOf` makes the calls (socket() by default; the socketpair property mixes in pairs).
 */
export function differentialProperty(
  oracle: KernelOracle, profile: KernelProfile, record?: (call: Call, env: Env, trace: readonly string[]) => void,
  callsOf: (opts: CallOptions) => fc.Arbitrary<Call> = callArb,
): fc.IAsyncProperty<[[Env, Call[]]]> {
  const calls = callsOf({ entries: oracle.ia32Unavailable() === '' });
  const batches = oracle.kind === 'vm'
    ? vmEnvArb(profile).chain((env) => fc.tuple(fc.constant(env), fc.array(calls, { minLength: 1, maxLength: batchCalls(oracle, env), size: 'max' })))
    : fc.tuple(hostEnvArb(profile), fc.array(calls, { minLength: 1, maxLength: batchCalls(oracle) }));
  return fc.asyncProperty(batches, async ([env, cs]) => checkBatch(oracle, env, cs, record));
}

/** Runs one batch on the kernel and compares every call with the model; throws the first disagreement or kernel fault. */
async function checkBatch(oracle: KernelOracle, env: Env, cs: readonly Call[], record?: (call: Call, env: Env, trace: readonly string[]) => void): Promise<void> {
  let run;
  try {
    run = await oracle.run(env, cs);
  } catch (e) {
    if (!(e instanceof KernelDied)) throw e;
    const narrowed = oracle.narrow !== undefined ? await oracle.narrow(env, cs, 'died') : cs;
    const lines = e.alerts.map(alertText);
    throw new KernelFault('died', env, narrowed, lines, `kernel died: ${narrowed.length === 1 ? formatCall(narrowed[0]) : `${narrowed.length} calls`} killed the guest twice${lines.length > 0 ? ` (${lines[0]})` : ''}\n${e.message}`);
  }
  if (run.alerts !== undefined && run.alerts.length > 0) {
    const narrowed = oracle.narrow !== undefined ? await oracle.narrow(env, cs, 'alert') : cs;
    const lines = run.alerts.map(alertText);
    throw new KernelFault('alert', env, narrowed, lines, `kernel alert: ${lines[0]}\nwhile running ${narrowed.map(formatCall).join(', ')}${narrowed.length < cs.length ? ` (narrowed from ${cs.length} calls on fresh boots)` : ''}`);
  }
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
}

/**
 * P-MODEL-EQ-KERNEL in the registry: one environment per ten campaign runs, each with a batch of
 * calls on the kernel (batchCalls); every decision recorded into the coverage and offered to the hook.
 */
export const DIFFERENTIAL_PROPERTY: PropertyDef = {
  id: DIFFERENTIAL_ID,
  title: 'the model and the kernel (the running one, or an image in QEMU) give the same result for every call',
  kind: 'kernel',
  runsPerCase: 10,
  build: (ctx: PropertyContext) => {
    if (ctx.oracle === undefined) throw new ContractError('--properties', `${DIFFERENTIAL_ID} needs --oracle host or vm`, 'unavailable');
    return differentialProperty(ctx.oracle, ctx.profile, (call, env, trace) => {
      ctx.coverage.record(env, trace);
      ctx.record?.(call, env, trace, () => env);
    });
  },
};

/**
 * P-PAIR-EQ-KERNEL: the same, with batches of socketpair() calls (every sv placement) mixed with
 * socket() calls, so each pair is compared end by end, with what it left in sv on failure.
 */
export const PAIR_DIFFERENTIAL_PROPERTY: PropertyDef = {
  id: PAIR_DIFFERENTIAL_ID,
  title: 'the model and the kernel give the same result for every socketpair(): both fds with their flags and SO_* values, or the errno and what was left in sv',
  kind: 'kernel',
  runsPerCase: 10,
  build: (ctx: PropertyContext) => {
    if (ctx.oracle === undefined) throw new ContractError('--properties', `${PAIR_DIFFERENTIAL_ID} needs --oracle host or vm`, 'unavailable');
    return differentialProperty(ctx.oracle, ctx.profile, (call, env, trace) => {
      ctx.coverage.record(env, trace);
      ctx.record?.(call, env, trace, () => env);
    }, (opts) => fc.oneof({ arbitrary: pairCallArb(opts), weight: 3 }, { arbitrary: callArb(opts), weight: 1 }));
  },
};
