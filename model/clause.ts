// Precedence as data: a path through socket() is an ordered list of rows; the first failing row
// wins. Each row has a stable id, its errno, the condition in words, and the kernel function it
// models. Reviewing a precedence change is reviewing a diff of a table.
// Sources: net/socket.c (__sock_create and the families' ->create), docs/kernel.md §10.

import type { Call, Env, SvPlacement } from './types';

/**
 * The inputs a row can read. A law checks that inputs no row of a trace reads never change that
 * trace's decision, so this list is part of the model, not documentation.
 */
export type InputKey =
  | 'family' | 'type' | 'strayBits' | 'sockflags' | 'protocol' | 'caps' | 'namespaces' | 'gids' | 'ping'
  | 'mptcp' | 'fds' | 'rlimit' | 'nrOpen' | 'fileMax' | 'nrFiles' | 'unixSockets' | 'profile' | 'seccomp'
  | 'block' | 'sv';

/** What every row carries, for traces, explanations and the spec cross-check. */
export interface Clause {
  /** Stable id, e.g. `inet-raw-cap`. */
  readonly id: string;
  /** The condition in words: what makes the row decide. */
  readonly title: string;
  /** The errno the row returns when it decides, or null for a row that never fails. */
  readonly errno: string | null;
  /** Kernel function (and file) the row models. */
  readonly cite: string;
  /** The inputs the row's condition reads. */
  readonly reads: readonly InputKey[];
}

/**
 * Mutable state threaded through one call's ->create: the family's view of the call and what the
 * new socket will report (`SO_DOMAIN`, `SO_TYPE`, `SO_PROTOCOL`).
 */
export interface CreateCtx {
  readonly env: Env;
  /** `type` as the call passed it, flags included (the generic rows read it). */
  readonly rawType: number;
  family: number;
  /** `sock->type` after masking the flags: 0..10 by the time a family sees it. */
  type: number;
  protocol: number;
  domain: number;
  sotype: number;
  soprotocol: number;
  /** The lowest free fd, filled in before the fd-allocation rows run (socketpair: its first fd). */
  fd: number;
  /** socketpair: the second fd it reserves (the lowest free once `fd` is taken); -1 for socket(). */
  fd2: number;
  /** socketpair: where sv points (absent: a writable vector). */
  sv: SvPlacement | undefined;
}

/** A row that decides with `errno` when `fails` holds. `fails` may record a resolved protocol. */
export interface CheckRow extends Clause {
  readonly kind: 'check';
  readonly errno: string;
  readonly fails: (c: CreateCtx) => boolean;
  /** The outcome this row decides with, built once so a failing call allocates nothing. */
  readonly outcome: { readonly kind: 'errno'; readonly errno: string };
}

/** A row that changes the call without failing (AF_UNIX SOCK_RAW → SOCK_DGRAM). */
export interface EffectRow extends Clause {
  readonly kind: 'effect';
  readonly errno: null;
  readonly when: (c: CreateCtx) => boolean;
  readonly apply: (c: CreateCtx) => void;
}

export type Row = CheckRow | EffectRow;

/**
 * A row of an entry path's own code, after seccomp and before `__sys_socket()`: it reads the call
 * as the entry received it, not the arguments the kernel will use. It runs (and is in the trace)
 * only on the entry paths `runs` accepts.
 */
export interface EntryRow extends Clause {
  readonly errno: string;
  readonly runs: (call: Call) => boolean;
  readonly fails: (call: Call) => boolean;
  readonly outcome: { readonly kind: 'errno'; readonly errno: string };
}

/** One family's ->create as an ordered table. */
export interface FamilyTable {
  readonly family: number;
  readonly name: string;
  /** The ->create function, `file:function`. */
  readonly create: string;
  readonly rows: readonly Row[];
  /**
   * The family's `ops->socketpair`, `file:function`, when it is not `sock_no_socketpair` (which
   * fails with EOPNOTSUPP). The same for every type of the family in the kernels modelled.
   */
  readonly socketpair?: string;
}

/** Shorthand for a check row. */
export function check(
  id: string,
  reads: readonly InputKey[],
  errno: string,
  title: string,
  cite: string,
  fails: (c: CreateCtx) => boolean,
): CheckRow {
  return { kind: 'check', id, reads, errno, title, cite, fails, outcome: Object.freeze({ kind: 'errno' as const, errno }) };
}

/** Shorthand for an entry row. */
export function entryCheck(
  id: string,
  reads: readonly InputKey[],
  errno: string,
  title: string,
  cite: string,
  runs: (call: Call) => boolean,
  fails: (call: Call) => boolean,
): EntryRow {
  return { id, reads, errno, title, cite, runs, fails, outcome: Object.freeze({ kind: 'errno' as const, errno }) };
}

/** Shorthand for an effect row. */
export function effect(
  id: string,
  reads: readonly InputKey[],
  title: string,
  cite: string,
  when: (c: CreateCtx) => boolean,
  apply: (c: CreateCtx) => void,
): EffectRow {
  return { kind: 'effect', id, reads, errno: null, title, cite, when, apply };
}

/**
 * Runs a table in order, appending each row it looks at to `trace` (effect rows only when they
 * apply; nothing when `trace` is null), and returns the first failing row or null.
 */
export function runRows(rows: readonly Row[], c: CreateCtx, trace: string[] | null): CheckRow | null {
  for (const row of rows) {
    if (row.kind === 'effect') {
      if (row.when(c)) {
        trace?.push(row.id);
        row.apply(c);
      }
      continue;
    }
    trace?.push(row.id);
    if (row.fails(c)) return row;
  }
  return null;
}
