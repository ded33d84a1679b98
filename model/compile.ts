// Clause tables compiled for the hot path. A table stays the source people read and cite (model/
// families/*, generic.ts, socketpair.ts); what runs is one generated function per table that does
// what `runRows` does, row after row, with each row's condition called from a call site of its
// own. `runRows` calls every condition from one site, which V8 sees with dozens of different
// closures (megamorphic: a full call per row); here each site sees one closure, so V8 inlines it
// and a table runs as straight-line code. The trace is built from the same ids in the same order.
// `test/model/compiled.test.ts` proves the compiled form equal to `runRows` over the bounded
// space, and the golden corpus and the unread-input law run through it.
// Sources: model/clause.ts (runRows, the semantics compiled here).

import type { CheckRow, CreateCtx, EntryRow, Row } from './clause';
import type { Call } from './types';

/** A compiled table: runs the rows in order, appends to `trace` as runRows does, returns the failing row or null. */
export type CompiledRows = (c: CreateCtx, trace: string[] | null) => CheckRow | null;

/** A compiled list of entry rows: the failing row for this call, or null. */
export type CompiledEntryRows = (call: Call, trace: string[] | null) => EntryRow | null;

const ROWS = new WeakMap<readonly Row[], CompiledRows>();

/**
 * Builds a function over its free variables: `names[i]` is bound to `values[i]`, so each row's
 * closure is a constant of the generated code (one call site, one target).
 */
function generate<F>(names: readonly string[], values: readonly unknown[], name: string, params: string, body: readonly string[]): F {
  // The text is built from the model's own tables; nothing from outside reaches it.
  const make = new Function(...names, `"use strict";\nreturn function ${name}(${params}) {\n${body.join('\n')}\n};`) as (...a: unknown[]) => F;
  return make(...values);
}

/** The compiled form of a table (compiled once per table; tables are immutable). */
export function compileRows(rows: readonly Row[]): CompiledRows {
  let f = ROWS.get(rows);
  if (f !== undefined) return f;
  const names: string[] = [];
  const values: unknown[] = [];
  const body: string[] = [];
  rows.forEach((row, i) => {
    const id = JSON.stringify(row.id);
    if (row.kind === 'effect') {
      names.push(`when${i}`, `apply${i}`);
      values.push(row.when, row.apply);
      body.push(`  if (when${i}(c)) {`, `    if (trace !== null) trace.push(${id});`, `    apply${i}(c);`, '  }');
    } else {
      names.push(`row${i}`, `fails${i}`);
      values.push(row, row.fails);
      body.push(`  if (trace !== null) trace.push(${id});`, `  if (fails${i}(c)) return row${i};`);
    }
  });
  body.push('  return null;');
  f = generate<CompiledRows>(names, values, 'compiledRows', 'c, trace', body);
  ROWS.set(rows, f);
  return f;
}

/** The compiled form of an entry path's rows: each runs (and is traced) only where `runs` accepts the call. */
export function compileEntryRows(rows: readonly EntryRow[]): CompiledEntryRows {
  const names: string[] = [];
  const values: unknown[] = [];
  const body: string[] = [];
  rows.forEach((row, i) => {
    names.push(`row${i}`, `runs${i}`, `fails${i}`);
    values.push(row, row.runs, row.fails);
    body.push(`  if (runs${i}(call)) {`, `    if (trace !== null) trace.push(${JSON.stringify(row.id)});`, `    if (fails${i}(call)) return row${i};`, '  }');
  });
  body.push('  return null;');
  return generate<CompiledEntryRows>(names, values, 'compiledEntryRows', 'call, trace', body);
}
