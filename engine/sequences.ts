// Sequences on the real kernel: socket, socketpair, close and dup2 steps run in one child with
// nothing restored between them, and after every step the kernel's fd table (open fds, FD_CLOEXEC,
// O_NONBLOCK, SO_DOMAIN/TYPE/PROTOCOL) compared with the model's. A mismatch is shrunk to the
// shortest sequence that still shows it (replayed on the kernel each time). The bounded set is
// every sequence up to a length over a small alphabet, from layouts with holes, near
// RLIMIT_NOFILE and at a table-growth boundary.
// Sources: model/sequence.ts, oracle/executor/call.c (run_step, snapshot), docs/kernel.md §14.

import { defaultEnv, fdTable, runSequence, type Env, type KernelProfile, type Step, type StepOutcome } from '../model';
import { compareStep, formatStep, modelTable, tableText } from '../oracle/compare-sequence';
import type { SequenceRun } from '../oracle/codec';

export { compareStep, formatStep };

/** Runs one sequence on a kernel. */
export type SequenceKernel = (env: Env, steps: readonly Step[]) => Promise<SequenceRun>;

/** The first step where model and kernel differ, with the differences and both tables; null when none. */
export interface SequenceMismatch {
  readonly layout: string;
  /** The step (0-based) where they first differ. */
  readonly at: number;
  readonly details: readonly string[];
  readonly modelTable: string;
  readonly kernelTable: string;
  /** The shrunk sequence, as strace lines with the model's results. */
  readonly lines: readonly string[];
  /** The sequence before shrinking, as strace lines. */
  readonly original: readonly string[];
}

async function firstMismatch(kernel: SequenceKernel, env: Env, steps: readonly Step[]): Promise<{ at: number; details: string[]; model: StepOutcome[]; run: SequenceRun } | null> {
  return compareRun(env, steps, await kernel(env, steps));
}

function compareRun(env: Env, steps: readonly Step[], run: SequenceRun): { at: number; details: string[]; model: StepOutcome[]; run: SequenceRun } | null {
  const model = runSequence(env, steps);
  for (let i = 0; i < steps.length; i++) {
    const d = compareStep(model[i], run.steps[i]);
    if (d.length > 0) return { at: i, details: d, model, run };
  }
  return null;
}

/** Whether a kernel answer is no answer (the oracle lost it, or the kernel lacks the entry). */
function unobservable(r: SequenceRun): boolean {
  return r.lost !== undefined || r.setupFailure !== undefined || r.steps.some((s) => s.status === 'lost' || s.status === 'unavailable');
}

/**
 * Shrinks a failing sequence: cut after the first differing step, then drop steps one at a time
 * while some step still differs, replaying on the kernel each time.
 */
export async function shrinkSequence(kernel: SequenceKernel, env: Env, steps: readonly Step[], at: number): Promise<Step[]> {
  let cur = steps.slice(0, at + 1);
  for (let i = 0; i < cur.length && cur.length > 1;) {
    const shorter = [...cur.slice(0, i), ...cur.slice(i + 1)];
    const m = await firstMismatch(kernel, env, shorter);
    if (m !== null && !unobservable(m.run)) cur = shorter.slice(0, m.at + 1);
    else i++;
  }
  return cur;
}

/**
 * Checks one sequence (`run`: its kernel answer when already known); a mismatch comes back shrunk.
 */
export async function checkSequence(kernel: SequenceKernel, layout: string, env: Env, steps: readonly Step[], run?: SequenceRun): Promise<SequenceMismatch | 'unobserved' | null> {
  const m = run === undefined ? await firstMismatch(kernel, env, steps) : compareRun(env, steps, run);
  if (m === null) return null;
  if (unobservable(m.run)) return 'unobserved';
  const original = steps.map((s, i) => formatStep(s, m.model[i].result));
  const shrunk = await shrinkSequence(kernel, env, steps, m.at);
  const again = await firstMismatch(kernel, env, shrunk);
  const final = again ?? m;
  const use = again === null ? steps.slice(0, m.at + 1) : shrunk;
  const k = final.run.steps[final.at];
  return {
    layout, at: final.at,
    lines: use.map((s, i) => formatStep(s, final.model[i].result)),
    details: final.details,
    modelTable: tableText(modelTable(final.model[final.at].table)),
    kernelTable: k.status === 'returned' && k.table !== null ? tableText(k.table) : '-',
    original,
  };
}

/** A starting layout of the bounded set. */
export interface SequenceLayout {
  readonly id: string;
  readonly description: string;
  readonly env: (profile: KernelProfile) => Env;
}

const base = (p: KernelProfile): Env => defaultEnv({ profile: p });

/** Layouts: the default, holes, one or two fds under RLIMIT_NOFILE, and a 64-slot table almost full. */
export const SEQUENCE_LAYOUTS: readonly SequenceLayout[] = [
  { id: 'seq-default', description: 'fds 0..2', env: base },
  { id: 'seq-holes', description: 'fds 0, 1, 2, 4, 6: holes at 3 and 5', env: (p) => ({ ...base(p), fds: fdTable([0, 1, 2, 4, 6]) }) },
  { id: 'seq-rlimit', description: 'fds 0..2 and 4, RLIMIT_NOFILE 6: two fds free (3 and 5)', env: (p) => ({ ...base(p), fds: fdTable([0, 1, 2, 4]), rlimitNofile: 6 }) },
  { id: 'seq-table-edge', description: 'fds 0..61 open: the 64-slot table has 62 and 63 free, the next fd grows it', env: (p) => ({ ...base(p), fds: fdTable(Array.from({ length: 62 }, (_, i) => i)) }) },
];

/**
 * Layouts only a throwaway VM can hold (fs.nr_open lowered after the layout): the table cannot
 * grow past 64 slots, so the fifth new fd, a pair's second fd or a dup2 past the table fails
 * (dup2 with EBADF, not EMFILE), and at 100 it depends on how alloc_fdtable clamps.
 */
export const VM_SEQUENCE_LAYOUTS: readonly SequenceLayout[] = [
  { id: 'seq-vm-nr-open', description: 'fds 0..61 open, fs.nr_open 64: the table cannot grow', env: (p) => ({ ...base(p), nrOpen: 64, fds: fdTable(Array.from({ length: 62 }, (_, i) => i)) }) },
  { id: 'seq-vm-nr-open-100', description: 'fds 0..61 open, fs.nr_open 100: growing to 128 slots is refused or clamped, by kernel', env: (p) => ({ ...base(p), nrOpen: 100, fds: fdTable(Array.from({ length: 62 }, (_, i) => i)) }) },
];

const call = (a0: number, a1: number, pair = false): Step => ({ op: 'call', call: { a0: a0, a1: a1, a2: 0, ...(pair ? { syscall: 'socketpair' as const } : {}) } });

/**
 * The alphabet, chosen to exercise the fd table: sockets with and without the flags, a pair that
 * succeeds and one that fails after reserving (EOPNOTSUPP), a failing socket(), closes of fds the
 * layouts have and new ones take, dup2 onto a hole and past the table, dup3 with O_CLOEXEC.
 */
export function sequenceAlphabet(layout: Env): Step[] {
  const top = Math.max(...layout.fds.entries.map((e) => e.fd));
  return [
    call(1, 1 | 0x80000),
    call(2, 2 | 0x800),
    call(1, 2 | 0x80000 | 0x800, true),
    call(2, 1, true),
    call(99, 1),
    { op: 'close', fd: 3 },
    { op: 'close', fd: top },
    { op: 'dup2', oldfd: top, newfd: 5 },
    { op: 'dup2', oldfd: 3, newfd: top + 3, cloexec: true },
    { op: 'dup2', oldfd: 4, newfd: 64 },
  ];
}

/** Every sequence of 1..maxLength steps over the alphabet, shortest first. */
export function* sequencesUpTo(alphabet: readonly Step[], maxLength: number): Generator<Step[]> {
  let level: Step[][] = [[]];
  for (let n = 1; n <= maxLength; n++) {
    const next: Step[][] = [];
    for (const prefix of level) for (const s of alphabet) next.push([...prefix, s]);
    yield* next;
    level = next;
  }
}

/** What the bounded sequence check reports. */
export interface SequenceSummary {
  readonly sequences: number;
  readonly steps: number;
  readonly maxLength: number;
  readonly layouts: ReadonlyArray<{ id: string; sequences: number; mismatches: number }>;
  readonly mismatches: readonly SequenceMismatch[];
  readonly mismatchCount: number;
  readonly unobserved: number;
}

export interface SequenceCheckOptions {
  readonly profile: KernelProfile;
  /** One sequence on the kernel (shrinking replays through it). */
  readonly kernel: SequenceKernel;
  /** Many at once, where that is cheaper (a VM boots once per batch); default: `kernel` one by one. */
  readonly kernelMany?: (jobs: ReadonlyArray<{ env: Env; steps: readonly Step[] }>) => Promise<SequenceRun[]>;
  /** Sequences per `kernelMany` batch (default 2,000). */
  readonly batchSize?: number;
  /** Default 3 (10 + 100 + 1,000 sequences per layout). */
  readonly maxLength?: number;
  readonly layouts?: readonly SequenceLayout[];
  /** Keep at most this many mismatches (all are counted). */
  readonly keep?: number;
  readonly onProgress?: (layout: string, done: number) => void;
}

/** Runs every sequence of the bounded set on the kernel and diffs it with the model, step by step. */
export async function runSequenceCheck(opts: SequenceCheckOptions): Promise<SequenceSummary> {
  const maxLength = opts.maxLength ?? 3;
  const keep = opts.keep ?? 50;
  const mismatches: SequenceMismatch[] = [];
  const layouts: { id: string; sequences: number; mismatches: number }[] = [];
  let sequences = 0, steps = 0, count = 0, unobserved = 0;
  const batchSize = opts.kernelMany === undefined ? 1 : opts.batchSize ?? 2000;
  for (const l of opts.layouts ?? SEQUENCE_LAYOUTS) {
    const env = l.env(opts.profile);
    const all = [...sequencesUpTo(sequenceAlphabet(env), maxLength)];
    let n = 0, bad = 0;
    for (let at = 0; at < all.length; at += batchSize) {
      const batch = all.slice(at, at + batchSize);
      const runs = opts.kernelMany !== undefined ? await opts.kernelMany(batch.map((seq) => ({ env, steps: seq }))) : [await opts.kernel(env, batch[0])];
      for (let i = 0; i < batch.length; i++) {
        const r = await checkSequence(opts.kernel, l.id, env, batch[i], runs[i]);
        n++;
        steps += batch[i].length;
        if (r === 'unobserved') unobserved++;
        else if (r !== null) {
          bad++;
          count++;
          if (mismatches.length < keep) mismatches.push(r);
        }
        if (n % 100 === 0) opts.onProgress?.(l.id, n);
      }
    }
    sequences += n;
    layouts.push({ id: l.id, sequences: n, mismatches: bad });
  }
  return { sequences, steps, maxLength, layouts, mismatches, mismatchCount: count, unobserved };
}
