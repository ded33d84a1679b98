// Every clause the model can decide with, in one list: seccomp, the socketcall entry's own row,
// the generic rows, each family's ->create rows, the install row, then socketpair's own rows. Used for explanations,
// coverage and well-formedness checks.
// Sources: model/generic.ts, model/families/*, model/seccomp-clauses.ts, model/socketcall.ts.

import type { Clause } from './clause';
import { FAMILY_TABLES } from './families';
import { AFTER_CREATE, BEFORE_CREATE, INSTALL } from './generic';
import { SECCOMP_CLAUSES } from './seccomp-clauses';
import { SOCKETCALL_ROWS } from './socketcall';
import { PAIR_AFTER_CREATE, PAIR_BEFORE_CREATE, PAIR_INSTALL } from './socketpair';

/** A clause with the part of the contract it belongs to: `seccomp`, `socketcall`, `generic`, a family name or `socketpair`. */
export interface PlacedClause extends Clause {
  readonly group: string;
}

function strip(group: string, c: Clause): PlacedClause {
  return { id: c.id, title: c.title, errno: c.errno, cite: c.cite, reads: c.reads, group };
}

/** All clauses in path order. */
export const ALL_CLAUSES: readonly PlacedClause[] = [
  ...SECCOMP_CLAUSES.map((c) => strip('seccomp', c)),
  ...SOCKETCALL_ROWS.map((c) => strip('socketcall', c)),
  ...BEFORE_CREATE.map((c) => strip('generic', c)),
  ...FAMILY_TABLES.flatMap((t) => t.rows.map((r) => strip(t.name, r))),
  ...AFTER_CREATE.map((c) => strip('generic', c)),
  strip('generic', INSTALL),
  ...PAIR_BEFORE_CREATE.map((c) => strip('socketpair', c)),
  ...PAIR_AFTER_CREATE.map((c) => strip('socketpair', c)),
  strip('socketpair', PAIR_INSTALL),
];

/** The clauses a socket() call can decide with (socketpair's own rows left out): what a socket() spec is judged by. */
export const SOCKET_CLAUSES: readonly PlacedClause[] = ALL_CLAUSES.filter((c) => c.group !== 'socketpair');

const BY_ID: ReadonlyMap<string, PlacedClause> = new Map(ALL_CLAUSES.map((c) => [c.id, c]));

/** The clause with this id, if any. */
export function clauseById(id: string): PlacedClause | undefined {
  return BY_ID.get(id);
}
