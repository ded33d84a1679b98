// The compiled tables (model/compile.ts) are the clause tables: for every table the model runs,
// the generated function returns the same deciding row, builds the same trace and leaves the
// call's context in the same state as `runRows` interpreting the table, over the bounded space of
// every environment class and over generated calls and environments.

import fc from 'fast-check';
import {
  AFTER_CREATE, BEFORE_CREATE, SOCK_CREATE,
} from '../../model/generic';
import { PAIR_AFTER_CREATE, PAIR_BEFORE_CREATE, secondFree } from '../../model/socketpair';
import { SOCKETCALL_ROWS } from '../../model/socketcall';
import { compileEntryRows, compileRows } from '../../model/compile';
import {
  FAMILY_TABLES, lowestFree, PROFILES, regInt32, runRows, SOCK_TYPE_MASK, type Call, type CheckRow, type CreateCtx, type Env,
  type Row, type SvPlacement,
} from '../../model';
import { callArb, envArb } from '../../generators';
import { ENV_CLASSES, SPACE_PROTOCOLS, SPACE_TYPES } from '../../generators/space';

type Ctx = { -readonly [K in keyof CreateCtx]: CreateCtx[K] };

/** The context decideCall builds for a call, with its fds; `family` overrides a0 (a family table sees its own family). */
function ctxFor(call: Call, env: Env, family?: number, sv?: SvPlacement): Ctx {
  const rawType = regInt32(call.a1);
  const f = family ?? regInt32(call.a0);
  const fd = lowestFree(env.fds);
  return {
    env, rawType, family: f, type: rawType & SOCK_TYPE_MASK, protocol: regInt32(call.a2), domain: f, sotype: rawType & SOCK_TYPE_MASK,
    soprotocol: 0, fd, fd2: secondFree(env.fds, fd), sv,
  };
}

interface Run { row: CheckRow | null; trace: string[]; ctx: Ctx; untraced?: CheckRow | null }

function both(rows: readonly Row[], make: () => Ctx): [Run, Run] {
  const compiled = compileRows(rows);
  const a = make();
  const ta: string[] = [];
  const ra = runRows(rows, a, ta);
  const b = make();
  const tb: string[] = [];
  const rb = compiled(b, tb);
  return [{ row: ra, trace: ta, ctx: a }, { row: rb, trace: tb, ctx: b, untraced: compiled(make(), null) }];
}

function expectSame([interpreted, compiled]: [Run, Run], what: string): void {
  if (interpreted.row !== compiled.row || interpreted.trace.join() !== compiled.trace.join()
    || JSON.stringify({ ...interpreted.ctx, env: 0 }) !== JSON.stringify({ ...compiled.ctx, env: 0 })) {
    throw new Error(`${what}: runRows gave ${interpreted.row?.id ?? 'null'} [${interpreted.trace.join(', ')}], the compiled table ${compiled.row?.id ?? 'null'} [${compiled.trace.join(', ')}]`);
  }
  // Without a trace (the hot path), the same decision.
  if (compiled.untraced !== interpreted.row) throw new Error(`${what}: without a trace the compiled table gave ${compiled.untraced?.id ?? 'null'}`);
}

const GENERIC: ReadonlyArray<[string, readonly Row[]]> = [
  ['BEFORE_CREATE', BEFORE_CREATE], ['SOCK_CREATE', SOCK_CREATE], ['AFTER_CREATE', AFTER_CREATE],
  ['PAIR_BEFORE_CREATE', PAIR_BEFORE_CREATE], ['PAIR_AFTER_CREATE', PAIR_AFTER_CREATE],
];

describe('compiled clause tables', () => {
  const envs = PROFILES.flatMap((p) => ENV_CLASSES.filter((c) => c.calls !== 'seccomp').map((c) => c.env(p)));

  test.each(FAMILY_TABLES.map((t) => [t.name, t] as const))('%s: the compiled table equals runRows on the bounded space of every class and profile', (_n, table) => {
    let n = 0;
    for (const env of envs) {
      for (const a1 of SPACE_TYPES) {
        for (const a2 of SPACE_PROTOCOLS) {
          expectSame(both(table.rows, () => ctxFor({ a0: table.family, a1, a2 }, env, table.family)), `${table.name} type ${a1} protocol ${a2}`);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(100000);
  });

  test.each(GENERIC.map(([n, rows]) => [n, rows] as const))('%s: the compiled table equals runRows on generated calls and environments', (name, rows) => {
    fc.assert(fc.property(callArb({ entries: true }), envArb(), fc.constantFrom<SvPlacement | undefined>(undefined, 'unwritable', 'one-word'), (call, env, sv) => {
      expectSame(both(rows, () => ctxFor(call, env, undefined, sv)), name);
    }), { numRuns: 3000 });
  });

  test.each(FAMILY_TABLES.map((t) => [t.name, t] as const))('%s: the compiled table equals runRows on generated calls and environments', (_n, table) => {
    fc.assert(fc.property(callArb(), envArb(), (call, env) => {
      expectSame(both(table.rows, () => ctxFor(call, env, table.family)), table.name);
    }), { numRuns: 1000 });
  });

  test('the entry rows: the same row and trace for every entry and block', () => {
    const compiled = compileEntryRows(SOCKETCALL_ROWS);
    fc.assert(fc.property(callArb({ entries: true }), (call) => {
      const ta: string[] = [];
      let ra = null;
      for (const row of SOCKETCALL_ROWS) {
        if (!row.runs(call)) continue;
        ta.push(row.id);
        if (row.fails(call)) { ra = row; break; }
      }
      const tb: string[] = [];
      expect(compiled(call, tb)).toBe(ra);
      expect(tb).toEqual(ta);
    }));
  });

  test('a table is compiled once', () => {
    expect(compileRows(BEFORE_CREATE)).toBe(compileRows(BEFORE_CREATE));
  });
});
