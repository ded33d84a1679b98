// `sockspec spec fix FILE`: a unified diff against FILE that makes its socket() spec agree with the
// kernels. The plan (spec/fix.ts) starts from what the check of the input finds on every kernel:
// the errors the kernels return and the clauses behind them, the capability checks they make,
// the parameter sentences, examples and constraint types they contradict, the errors nothing
// produces. The fixed text is then checked again on every kernel's profile, and what is still
// wrong is written more modestly (a condition proved wrong goes into words, a stated order the
// kernels break is dropped) until the check is clean or nothing more can be done, which the
// result says. The order of the errors is stated where the kernels keep one within a family.
// Sources: spec/fix.ts, spec/contradict.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { structuredPatch } from 'diff';
import { ALL_CLAUSES } from '../model';
import { findContradictions, type Contradiction } from '../spec/contradict';
import { causeTexts, fixedText, isFormal, type CapabilityRow, type FixPlan } from '../spec/fix';
import { guardOf } from '../spec/formalize';
import { parseSpec, specBlocks, type ParsedSpec } from '../spec/parse';
import { loadSpec, requireSocketSpec } from './spec';
import type { SpecKernel } from './spec-check';

/** What `spec fix` made. */
export interface SpecFixResult {
  readonly file: string;
  /** The unified diff (git's form, paths a/FILE and b/FILE); empty when nothing changes. */
  readonly patch: string;
  readonly kernels: readonly string[];
  /** Checks of a fixed text it took (each on every kernel). */
  readonly rounds: number;
  /** What the check of the fixed text still finds, per kernel: empty when the fix is complete. */
  readonly left: ReadonlyArray<{ readonly kernel: string; readonly class: string; readonly title: string }>;
  /** The causes written in words, not as conditions: each clause and why. */
  readonly informal: ReadonlyArray<{ readonly clause: string; readonly errno: string; readonly why: string }>;
  /** Sentences of the stated order, and the pairs of causes whose order it still leaves open (per the first kernel). */
  readonly order: readonly string[];
  readonly orderLeftOpen: number;
  readonly errorsRemoved: readonly string[];
  readonly errorsAdded: readonly string[];
  readonly seconds: number;
}

const PATH_ORDER = new Map(ALL_CLAUSES.map((c, i) => [c.id, i]));
/** Errors real without an input the model makes: memory, and seccomp's ENOSYS. */
const KEEP = new Set(['ENOMEM', 'ENOBUFS', 'ENOSYS']);
const MAX_ROUNDS = 6;

/** The block of `text` with the input's name (the fixed text keeps the block's name). */
function blockOf(text: string, name: string): ParsedSpec {
  const b = specBlocks(text).find((x) => x.name === name);
  if (b === undefined) throw new Error(`the fixed text lost block ${name}`);
  return parseSpec(text, b.index);
}

/** The order sentences the unstated pairs support: per family guard (or none), each pair of errors that only ever goes one way. */
function orderSentences(unstated: readonly Contradiction[]): string[] {
  const dir = new Map<string, Set<string>>();
  for (const c of unstated) {
    const m = /^where "(.*)" \((E[A-Z0-9]+)\) and "(.*)" \((E[A-Z0-9]+)\) both hold/.exec(c.title);
    if (m === null) continue;
    const ga = guardOf(m[1]);
    const gb = guardOf(m[3]);
    const guardText = (t: string, g: { rest: string }): string => (g.rest === t.trim() ? '' : t.trim().slice(0, t.trim().length - g.rest.length).replace(/:\s*$/, ''));
    // The families a cause speaks of (its guard without a type clause): a sentence is about one family set.
    const a = guardText(m[1], ga).replace(/\s+with\s+.*$/, '');
    const b = guardText(m[3], gb).replace(/\s+with\s+.*$/, '');
    if (a !== '' && b !== '' && a !== b) continue;
    const guard = a || b;
    const key = `${guard}|${[m[2], m[4]].sort().join('|')}`;
    (dir.get(key) ?? dir.set(key, new Set()).get(key) as Set<string>).add(`${m[2]}>${m[4]}`);
  }
  const out: string[] = [];
  for (const [key, ways] of dir) {
    if (ways.size !== 1) continue;
    const [guard] = key.split('|');
    const [w, l] = [...ways][0].split('>');
    out.push(`${guard !== '' ? `${guard}: ` : ''}${w} before ${l}`);
  }
  return out.sort();
}

/** The file's path as a patch names it: relative to the working directory, with forward slashes. */
function patchPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return (rel.startsWith('..') ? path.resolve(file).replace(/^\//, '') : rel).split(path.sep).join('/');
}

/** A unified diff git applies: `diff --git` header, `---`/`+++`, the hunks. */
function gitPatch(file: string, before: string, after: string): string {
  if (before === after) return '';
  const p = patchPath(file);
  const s = structuredPatch(`a/${p}`, `b/${p}`, before, after, '', '', { context: 3 });
  const out = [`diff --git a/${p} b/${p}`, `--- a/${p}`, `+++ b/${p}`];
  for (const h of s.hunks) out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines);
  return `${out.join('\n')}\n`;
}

/**
 * The fix of the socket() spec in `file` (block `block`) for `kernels`: each kernel's profile
 * judges the input and every fixed text; oracles are not asked (`spec check` of the patched file
 * confirms on them).
 */
export function specFix(file: string, kernels: readonly SpecKernel[], now: () => number, block?: string): SpecFixResult {
  if (kernels.length === 0) throw new RangeError('spec fix needs a kernel');
  const t0 = now();
  const { spec } = loadSpec(file, block);
  requireSocketSpec(file, spec);
  const text = fs.readFileSync(file, 'utf8');
  const found = kernels.map((k) => findContradictions(spec, k.profile));
  // What the kernels return, and through which clauses, in path order.
  const byErrno = new Map<string, Set<string>>();
  for (const f of found) for (const [e, cs] of Object.entries(f.producedBy)) for (const c of cs) (byErrno.get(e) ?? byErrno.set(e, new Set()).get(e) as Set<string>).add(c);
  const errors = [...byErrno.entries()].map(([errno, cs]) => ({ errno, clauses: [...cs].sort((a, b) => (PATH_ORDER.get(a) ?? 0) - (PATH_ORDER.get(b) ?? 0)) }))
    .sort((a, b) => (PATH_ORDER.get(a.clauses[0]) ?? 0) - (PATH_ORDER.get(b.clauses[0]) ?? 0));
  const capabilities = new Map<string, CapabilityRow>();
  for (const f of found) for (const u of f.judge.capabilityUses()) if (!capabilities.has(u.row)) capabilities.set(u.row, u);
  const all = found.flatMap((f) => f.contradictions);
  // A spec the kernels do not contradict, whose constraints they would not break, stays as it is.
  if (all.length === 0 && found.every((f) => f.enforcement.length === 0)) {
    return {
      file, patch: '', kernels: kernels.map((k) => k.name), rounds: 0, left: [], informal: [], order: [], orderLeftOpen: found[0].unstated.length,
      errorsRemoved: [], errorsAdded: [], seconds: (now() - t0) / 1000,
    };
  }
  const dropSentences = all.filter((c) => c.class === 'success-path' && c.title.startsWith('the kernel creates the socket although'))
    .map((c) => ({ line: c.specLines[0], text: c.specText.replace(/^\w+: /, '') }));
  for (const c of all.filter((x) => x.class === 'internal')) {
    const m = /^param (\w+): .*the text says "([^"]+)"/.exec(c.title);
    const p = m === null ? undefined : spec.params.find((x) => String(x.name) === m[1]);
    if (m !== null && p !== undefined) dropSentences.push({ line: p.line, text: m[2] });
  }
  const unenforce = [...new Set(found.flatMap((f) => f.enforcement).filter((e) => e.check !== 'param-count').map((e) => e.line))];
  const dropExamples = all.filter((c) => c.class === 'success-path' && c.title.startsWith('the spec shows ')).map((c) => c.specText);
  const prose = new Set<string>();
  const why = new Map<string, string>();
  let order: string[] = [];
  const dropped = new Set<string>();
  const plan = (): FixPlan => ({
    errors, keep: KEEP, prose, capabilities: [...capabilities.values()], order: order.filter((s) => !dropped.has(s)),
    dropSentences: dropSentences.filter((d, i) => dropSentences.findIndex((x) => x.line === d.line && x.text === d.text) === i), unenforce, dropExamples,
  });
  let fixed = text;
  let rounds = 0;
  let left: Array<{ kernel: string; class: string; title: string }> = [];
  let openPairs = 0;
  for (; rounds < MAX_ROUNDS;) {
    fixed = fixedText(text, spec, plan());
    rounds++;
    const next = blockOf(fixed, spec.name);
    const checks = kernels.map((k) => findContradictions(next, k.profile));
    left = checks.flatMap((c, i) => c.contradictions.map((x) => ({ kernel: kernels[i].name, class: x.class, title: x.title })));
    openPairs = checks[0].unstated.length;
    let changed = false;
    for (const x of checks.flatMap((c) => c.contradictions)) {
      if (x.class === 'order') {
        if (!dropped.has(x.specText)) { dropped.add(x.specText); changed = true; }
        continue;
      }
      // A cause the fix wrote as a condition that proved wrong: in words from now on.
      const clause = x.class === 'cause-absent' ? x.clause : errors.flatMap((e) => e.clauses).find((c) => isFormal(c, prose) && causeTexts(c, prose).includes(x.specText));
      if (clause !== undefined && isFormal(clause, prose)) {
        prose.add(clause);
        why.set(clause, `${x.class}: ${x.title} (${x.counterexample})`);
        changed = true;
      }
    }
    if (!changed && order.length === 0 && rounds < MAX_ROUNDS) {
      const sentences = orderSentences(checks.flatMap((c) => c.unstated));
      if (sentences.length > 0) { order = sentences; changed = true; }
    }
    if (!changed) break;
  }
  const listed = new Set(spec.errors.map((e) => String(e.name)));
  const informal = errors.flatMap((e) => e.clauses.filter((c) => !isFormal(c, prose)).map((c) => ({
    clause: c, errno: e.errno, why: why.get(c) ?? 'no condition over family, type and protocol states it exactly (it reads the environment or the kernel\'s tables)',
  })));
  return {
    file, patch: gitPatch(file, text, fixed), kernels: kernels.map((k) => k.name), rounds, left, informal,
    order: order.filter((s) => !dropped.has(s)), orderLeftOpen: openPairs,
    errorsRemoved: [...listed].filter((e) => !byErrno.has(e) && !KEEP.has(e)), errorsAdded: [...byErrno.keys()].filter((e) => !listed.has(e)),
    seconds: (now() - t0) / 1000,
  };
}
