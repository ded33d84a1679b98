// `sockspec check`: the exhaustive bounded model check. Enumerates every class of the bounded
// space, evaluates each point with the model, and (with an oracle) diffs it against the kernel.
// Reports the size of the space, clause coverage and every mismatch as an strace line with its env,
// and counts apart the points the oracle lost (its executor died twice on their batch), which
// are neither a pass nor a mismatch. Sources: generators/space.ts, oracle/compare.ts.

import { ContractError } from '../contract';
import { ALL_CLAUSES, evaluate, formatCall, formatResult, type Call, type Env, type KernelProfile, type Outcome } from '../model';
import { classCalls, ENV_CLASSES, type EnvClass } from '../generators/space';
import { compareOutcomes, describeMismatch, type Mismatch, type Observation } from '../oracle/compare';
import { runSequenceCheck, type SequenceCheckOptions, type SequenceSummary } from './sequences';

/** Runs a batch of calls in one environment on some kernel. */
export type KernelBatch = (env: Env, calls: readonly Call[]) => Promise<Observation[]>;

/** One disagreement between the model and the kernel. */
export interface CheckMismatch {
  readonly class: string;
  readonly call: string;
  readonly model: string;
  readonly kernel: string;
  readonly clause: string;
  readonly details: readonly string[];
}

/** What a check reports; the `--json` object. */
export interface CheckSummary {
  readonly kernel: string;
  readonly oracle: 'none' | 'host' | 'vm';
  readonly points: number;
  readonly classes: ReadonlyArray<{ id: string; points: number; mismatches: number }>;
  readonly mismatches: readonly CheckMismatch[];
  readonly mismatchCount: number;
  /** Points the kernel could not run (an entry path it lacks), and why. */
  readonly unavailable: number;
  readonly unavailableWhy: string | null;
  /** Points whose kernel result the oracle lost (its executor died twice on their batch), and why: not compared. */
  readonly unobserved: number;
  readonly unobservedWhy: string | null;
  readonly clausesCovered: number;
  readonly clausesTotal: number;
  readonly uncovered: readonly string[];
  /** With a VM oracle: the kernel's WARN/BUG/oops console lines (consoleAlerts), a finding in themselves. */
  readonly kernelAlerts?: readonly string[];
  /** The bounded set of fd-table sequences, run on the kernel (absent without a kernel that runs them). */
  readonly sequences?: SequenceSummary;
  readonly seconds: number;
}

export interface CheckOptions {
  readonly profile: KernelProfile;
  readonly classes?: readonly string[];
  /** Classes beyond the built-in ones (the seccomp presets, which live outside generators/). */
  readonly extraClasses?: readonly EnvClass[];
  readonly kernel?: KernelBatch;
  /** Which oracle `kernel` is, for the summary (default host). */
  readonly oracleName?: 'host' | 'vm';
  /** Classes checked at the same time (default 1; a VM oracle uses one boot per class). */
  readonly parallel?: number;
  readonly batchSize?: number;
  /** Keep at most this many mismatches in the summary (all are counted). */
  readonly keep?: number;
  readonly onProgress?: (cls: string, done: number, total: number) => void;
  readonly now?: () => number;
  /** The kernel for the bounded set of sequences (engine/sequences.ts), run after the classes. */
  readonly sequences?: Omit<SequenceCheckOptions, 'profile'>;
}

/** The classes selected by id, or all; throws naming an unknown id. */
export function selectClasses(ids: readonly string[] | undefined, extra: readonly EnvClass[] = []): EnvClass[] {
  const all = [...ENV_CLASSES, ...extra];
  if (ids === undefined || ids.length === 0) return all;
  return ids.map((id) => {
    const c = all.find((x) => x.id === id);
    if (c === undefined) throw new ContractError('--classes', `unknown environment class ${id} (known: ${all.map((x) => x.id).join(', ')})`, 'unknown-name');
    return c;
  });
}

function short(o: Outcome): string {
  return formatResult(o).replace(/^= /, '');
}

/** Runs the check; resolves to the summary. */
export async function runCheck(opts: CheckOptions): Promise<CheckSummary> {
  const now = opts.now ?? (() => 0);
  const t0 = now();
  const decided = new Set<string>();
  const seen = new Set<string>();
  const mismatches: CheckMismatch[] = [];
  const classes: { id: string; points: number; mismatches: number }[] = [];
  let points = 0;
  let mismatchCount = 0;
  let unavailable = 0;
  let unavailableWhy: string | null = null;
  let unobserved = 0;
  let unobservedWhy: string | null = null;
  const keep = opts.keep ?? 200;
  const batchSize = opts.batchSize ?? 4096;
  /** One class: its points, its mismatches (the first `keep`), what the kernel could not run. */
  const checkClass = async (cls: EnvClass): Promise<{ points: number; count: number; kept: CheckMismatch[]; unavailable: number; why: string | null; lost: number; lostWhy: string | null }> => {
    const env = cls.env(opts.profile);
    const r = { points: 0, count: 0, kept: [] as CheckMismatch[], unavailable: 0, why: null as string | null, lost: 0, lostWhy: null as string | null };
    let batch: Call[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const decisions = batch.map((c) => evaluate(c, env));
      for (const d of decisions) {
        decided.add(d.trace[d.trace.length - 1]);
        for (const id of d.trace) seen.add(id);
      }
      if (opts.kernel !== undefined) {
        const obs = await opts.kernel(env, batch);
        decisions.forEach((d, i) => {
          const oi = obs[i];
          if ('unavailable' in oi && oi.unavailable === true) {
            r.unavailable++;
            r.why = oi.unobserved;
            return;
          }
          if ('lost' in oi && oi.lost === true) {
            r.lost++;
            r.lostWhy = oi.unobserved;
            return;
          }
          const ms: Mismatch[] = compareOutcomes(d.outcome, oi);
          if (ms.length === 0) return;
          r.count++;
          if (r.kept.length < keep) {
            r.kept.push({
              class: cls.id,
              call: formatCall(batch[i]),
              model: short(d.outcome),
              kernel: 'outcome' in oi ? short(oi.outcome) : `unobserved: ${oi.unobserved}`,
              clause: d.trace[d.trace.length - 1],
              details: ms.map(describeMismatch),
            });
          }
        });
      }
      r.points += batch.length;
      opts.onProgress?.(cls.id, r.points, -1);
      batch = [];
    };
    for (const call of classCalls(cls)) {
      batch.push(call);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    return r;
  };
  // Classes run `parallel` at a time (VMs: one boot each); results are merged in class order.
  const selected = selectClasses(opts.classes, opts.extraClasses);
  const results: Array<Awaited<ReturnType<typeof checkClass>>> = new Array(selected.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < selected.length) {
      const k = next++;
      results[k] = await checkClass(selected[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 1, selected.length)) }, worker));
  selected.forEach((cls, k) => {
    const r = results[k];
    points += r.points;
    mismatchCount += r.count;
    unavailable += r.unavailable;
    if (r.why !== null) unavailableWhy = r.why;
    unobserved += r.lost;
    if (r.lostWhy !== null) unobservedWhy ??= `${cls.id}: ${r.lostWhy}`;
    for (const m of r.kept) if (mismatches.length < keep) mismatches.push(m);
    classes.push({ id: cls.id, points: r.points, mismatches: r.count });
  });
  const uncovered = ALL_CLAUSES.filter((c) => !decided.has(c.id) && !(c.errno === null && seen.has(c.id))).map((c) => c.id);
  const sequences = opts.sequences === undefined ? undefined : await runSequenceCheck({ ...opts.sequences, profile: opts.profile });
  return {
    kernel: opts.profile.name,
    oracle: opts.kernel === undefined ? 'none' : opts.oracleName ?? 'host',
    points,
    classes,
    mismatches,
    mismatchCount,
    unavailable,
    unavailableWhy,
    unobserved,
    unobservedWhy,
    clausesCovered: ALL_CLAUSES.length - uncovered.length,
    clausesTotal: ALL_CLAUSES.length,
    uncovered,
    ...(sequences !== undefined ? { sequences } : {}),
    seconds: (now() - t0) / 1000,
  };
}
