// Every clause the model can decide with, in one list: seccomp, the socketcall entry's own row,
// the generic rows, each family's ->create rows, and the install row. Used for explanations,
// coverage and well-formedness checks.
// Sources: model/generic.ts, model/families/*, model/seccomp-clauses.ts, model/socketcall.ts.

import type { Clause } from './clause';
import { FAMILY_TABLES } from './families';
import { AFTER_CREATE, BEFORE_CREATE, INSTALL } from './generic';
import { SECCOMP_CLAUSES } from './seccomp-clauses';
import { SOCKETCALL_ROWS } from './socketcall';

/** A clause with the part of the contract it belongs to: `seccomp`, `socketcall`, `generic` or a family name. */
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
];

const BY_ID: ReadonlyMap<string, PlacedClause> = new Map(ALL_CLAUSES.map((c) => [c.id, c]));

/** The clause with this id, if any. */
export function clauseById(id: string): PlacedClause | undefined {
  return BY_ID.get(id);
}
