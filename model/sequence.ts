// Sequences of fd-table steps in one process: socket() and socketpair() calls, close(), dup2() and
// dup3(O_CLOEXEC), each applied to the table the previous steps left (nothing restored between
// them). After every step the model states the result and the whole table: which fds are open,
// their FD_CLOEXEC and O_NONBLOCK, and what SO_DOMAIN/SO_TYPE/SO_PROTOCOL read on each.
// Sources: fs/file.c (ksys_dup3, do_dup2, SYSCALL_DEFINE2(dup2), close_fd, expand_files),
// net/socket.c; docs/kernel.md §4 and §14.

import { evaluate } from './evaluate';
import { applyDecision, closeFd } from './state';
import { entryOf, grownSize, tableSize, withEntry } from './fdtable';
import type { Call, Env, FdEntry, Outcome } from './types';

/** One step of a sequence. `dup2` with `cloexec` is dup3(oldfd, newfd, O_CLOEXEC). */
export type Step =
  | { readonly op: 'call'; readonly call: Call }
  | { readonly op: 'close'; readonly fd: number }
  | { readonly op: 'dup2'; readonly oldfd: number; readonly newfd: number; readonly cloexec?: boolean };

/** What a step returned: a call's outcome, or close/dup2's return value or errno. */
export type StepResult = Outcome;

/** A step's result and the table after it. */
export interface StepOutcome {
  readonly result: StepResult;
  readonly table: readonly FdEntry[];
}

const EBADF: Outcome = Object.freeze({ kind: 'errno', errno: 'EBADF' });
const EINVAL: Outcome = Object.freeze({ kind: 'errno', errno: 'EINVAL' });

/**
 * dup2(oldfd, newfd), or dup3 with O_CLOEXEC. dup2 with equal fds returns newfd when it is open
 * (EBADF when not); dup3 with equal fds is EINVAL. newfd >= RLIMIT_NOFILE is EBADF. Then the table
 * grows to hold newfd (expand_files) before oldfd is looked up, so a bad oldfd still leaves it
 * grown; a growth fs.nr_open refuses is EBADF, not EMFILE (ksys_dup3: `if (err == -EMFILE) goto
 * Ebadf`). newfd gets oldfd's open file (so its O_NONBLOCK and socket), with FD_CLOEXEC only for
 * dup3(O_CLOEXEC); whatever newfd held is closed.
 */
export function dupFd(env: Env, oldfd: number, newfd: number, cloexec: boolean): { env: Env; result: Outcome } {
  if (oldfd === newfd) {
    if (cloexec) return { env, result: EINVAL };
    return { env, result: entryOf(env.fds, oldfd) === undefined ? EBADF : { kind: 'ret', value: newfd } };
  }
  if (newfd >= env.rlimitNofile) return { env, result: EBADF };
  const growth = env.profile.fdtableGrowth;
  const size = tableSize(env.fds, env.nrOpen, growth);
  let grown = env;
  let refused = false;
  if (newfd >= size) {
    const nr = newfd >= env.nrOpen ? -1 : grownSize(newfd, env.nrOpen, growth);
    if (nr < 0) refused = true;
    else grown = { ...env, fds: { entries: env.fds.entries, maxFds: nr } };
  }
  const old = entryOf(env.fds, oldfd);
  if (old === undefined || refused) return { env: grown, result: EBADF };
  const closed = entryOf(grown.fds, newfd) === undefined ? grown : closeFd(grown, newfd).env;
  const e: FdEntry = { ...old, fd: newfd, cloexec };
  return { env: { ...closed, fds: withEntry(closed.fds, e) }, result: { kind: 'ret', value: newfd } };
}

/** Applies one step. */
export function applyStep(env: Env, step: Step): { env: Env; result: Outcome } {
  switch (step.op) {
    case 'call': {
      const d = evaluate(step.call, env);
      return { env: applyDecision(env, d), result: d.outcome };
    }
    case 'close': {
      const r = closeFd(env, step.fd);
      return { env: r.env, result: r.result === 0 ? { kind: 'ret', value: 0 } : EBADF };
    }
    case 'dup2':
      return dupFd(env, step.oldfd, step.newfd, step.cloexec === true);
  }
}

/**
 * Runs a sequence from `env`: each step's result and the open-fd table after it.
 * @example runSequence(defaultEnv(), [{ op: 'call', call: { a0: 1n, a1: 1n, a2: 0n } }, { op: 'close', fd: 3 }])
 */
export function runSequence(env: Env, steps: readonly Step[]): StepOutcome[] {
  const out: StepOutcome[] = [];
  let cur = env;
  for (const s of steps) {
    const r = applyStep(cur, s);
    cur = r.env;
    out.push({ result: r.result, table: cur.fds.entries });
  }
  return out;
}

