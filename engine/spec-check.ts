// `sockspec spec check FILE`: every contradiction between a KAPI spec, the model and the kernels
// (--oracle host: the running one; --oracle vm: images in QEMU), once each, with the kernels it
// holds on, the spec text and its input lines, the shrunk counter-example, the kernel's observed
// result, the model clause and the kernel function behind it, whether an oracle confirmed it, and
// a C reproducer that exits 1 while the kernel still contradicts the spec. Also lists which of
// the spec's clauses were formalized. Writes spec-check.md and spec-check.json atomically. A block
// for another syscall is refused, not judged as socket(). Sources: spec/contradict.ts.

import * as path from 'node:path';
import { clauseById, FILE_MAX_DEFAULT, NR_OPEN_SYSCTL_DEFAULT, type KernelProfile } from '../model';
import { findContradictions, envWords, type Contradiction, type EnforcementChange, type SpecJudge } from '../spec/contradict';
import type { KernelOracle } from '../oracle/oracle';
import { observeOnHost } from '../oracle/observe';
import { shortResult } from '../oracle/compare';
import { ContractError, requestLine } from '../contract';
import { writeFileAtomic } from './io';
import { reproSource } from '../repro/c-source';
import type { SpecBlock } from '../spec/parse';
import { loadSpec, requireSocketSpec } from './spec';

export interface SpecCheckEntry {
  readonly class: string;
  readonly title: string;
  readonly specLines: readonly number[];
  readonly specText: string;
  readonly counterexample: string;
  readonly environment: string;
  readonly request: string | null;
  readonly model: string;
  readonly kernel: string | null;
  /** Whether some kernel on which the contradiction holds gave the model's result for its counter-example. */
  readonly confirmed: boolean;
  readonly clause: string;
  readonly kernelFunction: string;
  readonly points: number;
  readonly reproducer: string | null;
  /** Every kernel judged, in the order given: whether the contradiction holds there and what that kernel did. */
  readonly kernels: readonly KernelVerdict[];
  /** The spec item it is about: the same for every entry of one item. */
  readonly item: string;
  /** The model clauses it meets (one in the clause view). */
  readonly clauses: readonly string[];
  /**
   * Grouped by item: one entry per model clause, each with its own shrunk counter-example and
   * kernels (the entry's counter-example, clause and reproducer are the first's). Empty in the clause view.
   */
  readonly members: readonly SpecCheckEntry[];
}

/** How entries are grouped: one per spec item (default), or one per spec item and model clause. */
export type SpecGroup = 'item' | 'clause';

/** One contradiction on one kernel. */
export interface KernelVerdict {
  readonly kernel: string;
  /** The model with this kernel's profile finds the contradiction. */
  readonly holds: boolean;
  /** The counter-example this kernel was asked (its own where it holds, else the entry's), or '-' for none. */
  readonly counterexample: string;
  /** What this kernel did with it; null without an oracle. */
  readonly observed: string | null;
  /** It holds here and the kernel gave the model's result. */
  readonly confirmed: boolean;
}

/** A kernel the spec is judged on: its profile, and the oracle that replays counter-examples there. */
export interface SpecKernel {
  /** How the report names it: `host`, a VM's image as given (debian-6.12, a path), or the profile's name. */
  readonly name: string;
  readonly profile: KernelProfile;
  readonly oracle?: KernelOracle;
  /** With a VM oracle: the image, as given. */
  readonly image?: string;
}

/** What one kernel contributed. */
export interface KernelJudged {
  readonly name: string;
  readonly profile: string;
  readonly oracle: 'host' | 'vm' | 'none';
  readonly image?: string;
  readonly points: number;
  readonly policyPoints: number;
  /** Contradictions that hold on it, and of those, confirmed on it. */
  readonly holds: number;
  readonly confirmed: number;
}

export interface SpecCheckSummary {
  readonly file: string;
  readonly group: SpecGroup;
  readonly spec: string;
  /** The other blocks of the file, not judged. */
  readonly skipped: readonly SpecBlock[];
  /** The first kernel's profile name and oracle (the only one's, mostly). */
  readonly kernel: string;
  readonly oracle: 'host' | 'vm' | 'none';
  /** With the VM oracle: the first kernel's image, as given (a path or a fetched name). */
  readonly kernelImage?: string;
  /** Every kernel judged, in order. */
  readonly kernels: readonly KernelJudged[];
  readonly points: number;
  /** Points a seccomp filter decided: a policy, not judged against the spec. */
  readonly policyPoints: number;
  readonly formalized: number;
  readonly informal: number;
  /** Every normative clause of the spec, with its predicate where it was formalized. */
  readonly clauses: readonly SpecClause[];
  readonly contradictions: readonly SpecCheckEntry[];
  readonly byClass: Readonly<Record<string, number>>;
  /** The order the spec leaves open, and the kernels' order of its errors. */
  readonly order: SpecOrder;
  /** What enforcing the spec's parameter constraints at run time (KAPI's checks) would change. */
  readonly enforcement: readonly EnforcementEntry[];
  readonly seconds: number;
}

/** The order of the listed errors: the pairs the spec leaves open (entries of class `order`), and the kernels' order as a table. */
export interface SpecOrder {
  readonly unstated: readonly SpecCheckEntry[];
  readonly table: OrderTable;
}

/** `wins['EPERM>ESOCKTNOSUPPORT']`: the kernels that returned EPERM where causes of both held. */
export interface OrderTable {
  /** Every error met in a pair, those that win most first. */
  readonly errnos: readonly string[];
  readonly wins: Readonly<Record<string, readonly string[]>>;
}

/** What KAPI's runtime checks would change, for one check, kernel by kernel. */
export interface EnforcementEntry {
  readonly check: string;
  readonly line: number;
  readonly text: string;
  readonly kernels: ReadonlyArray<{ readonly kernel: string; readonly points: number; readonly today: Readonly<Record<string, number>> }>;
  readonly examples: readonly EnforcementExample[];
}

/** A call the check would turn into EINVAL, with its result today by the model and by each kernel. */
export interface EnforcementExample {
  readonly counterexample: string;
  readonly today: string;
  readonly request: string;
  readonly kernels: ReadonlyArray<{ readonly kernel: string; readonly observed: string | null }>;
}

/** One clause of the spec as the checker reads it. */
export interface SpecClause {
  readonly line: number;
  readonly kind: 'error cause' | 'capability' | 'parameter' | 'success claim' | 'example';
  readonly about: string;
  readonly text: string;
  readonly formal: string | null;
}

/** The spec's clauses, formalized or informal, in input order. */
export function specClauses(j: SpecJudge): SpecClause[] {
  const out: SpecClause[] = [
    ...j.causes.map((c) => ({ line: c.line, kind: c.source === 'capability' ? 'capability' as const : 'error cause' as const, about: c.errno, text: c.text, formal: c.formal ?? null })),
    ...j.constraints.map((c) => ({ line: c.line, kind: 'parameter' as const, about: c.param, text: c.text, formal: c.formal ?? null })),
    ...j.claims.map((c) => ({ line: c.line, kind: 'success claim' as const, about: 'return', text: c.text, formal: c.formal })),
    ...j.examples.map((c) => ({ line: c.line, kind: 'example' as const, about: 'a working call', text: c.text, formal: `socket(${c.family}, ${c.type}, ${c.protocol}) succeeds as root` })),
  ];
  return out.sort((a, b) => a.line - b.line);
}

/** The first kernel the contradiction holds on that ran its counter-example, else the first it holds on. */
export function replayedOn(verdicts: readonly KernelVerdict[]): KernelVerdict | undefined {
  return verdicts.find((v) => v.holds && v.observed !== null && !v.observed.startsWith('unobserved')) ?? verdicts.find((v) => v.holds);
}

/** A contradiction's identity across kernels: one spec item, one model clause. */
const entryKey = (c: Contradiction): string => `${c.class}|${c.title}|${c.specLines.join(',')}|${c.clause}`;

/** What `oracle` does with the counter-example of `c`, as the report shows it; null without an oracle or a call. */
async function replay(oracle: KernelOracle | undefined, c: Contradiction): Promise<string | null> {
  if (oracle === undefined || c.counterexample === '-') return null;
  // The host never changes a global sysctl; a guest takes the knobs it can set exactly (runner.ts vmGlobals).
  if (oracle.kind === 'host' && (c.env.fileMax !== FILE_MAX_DEFAULT || c.env.nrOpen !== NR_OPEN_SYSCTL_DEFAULT)) {
    return 'unobserved: the host never changes fs.file-max or fs.nr_open: judge this one with --oracle vm';
  }
  try {
    const [obs] = await observeOnHost(oracle, c.env, [c.call]);
    return 'outcome' in obs ? shortResult(obs.outcome) : `unobserved: ${obs.unobserved}`;
  } catch (e) {
    // A knob the guest cannot take (the counter-example could not be made exactly reproducible).
    if (e instanceof RangeError || (e instanceof ContractError && e.field === 'env.sysctl')) return `unobserved: ${e.message}`;
    throw e;
  }
}

/**
 * Runs the check on block `block` of the file (see loadSpec: by default the only one, or the only
 * socket() one) on each kernel in turn: the model with that kernel's profile finds the
 * contradictions, and its oracle, if any, replays each counter-example. A contradiction found on
 * several kernels is one entry (one spec item and model clause), shown with the first kernel's
 * counter-example, and lists every kernel: where it holds (with that kernel's own counter-example
 * and result) and where it does not (with what that kernel did with the entry's counter-example).
 * With `out`, each entry's C reproducer is written there as it is found (the report files are
 * written by report/outputs.ts: writeSpecCheckFiles).
 */
export async function specCheck(
  file: string, kernels: readonly SpecKernel[], out: string | undefined, now: () => number, opts: { readonly block?: string; readonly group?: SpecGroup } = {},
): Promise<SpecCheckSummary> {
  if (kernels.length === 0) throw new RangeError('spec check needs a kernel');
  const group = opts.group ?? 'item';
  const t0 = now();
  const { spec, skipped } = loadSpec(file, opts.block);
  requireSocketSpec(file, spec);
  const found = kernels.map((k) => ({ k, ...findContradictions(spec, k.profile) }));
  const grouped = await judgedEntries(found.map((f) => ({ k: f.k, list: f.contradictions })), group);
  const unstated = (await judgedEntries(found.map((f) => ({ k: f.k, list: f.unstated })), group)).map((g) => g.entry);
  const entries = grouped.map(({ entry, source }, i) => {
    if (out === undefined || source.expect === undefined) return entry;
    const reproducer = path.join(out, `repro-${i + 1}.c`);
    writeFileAtomic(reproducer, reproSource(source.call, source.env, source.expect, `spec line ${source.specLines.join(',')}: ${entry.title}`));
    return { ...entry, reproducer };
  });
  const clauses = specClauses(found[0].judge);
  const cov = { formalized: clauses.filter((c) => c.formal !== null).length, informal: clauses.filter((c) => c.formal === null).length };
  const byClass: Record<string, number> = {};
  for (const e of entries) byClass[e.class] = (byClass[e.class] ?? 0) + 1;
  const judged: KernelJudged[] = found.map((f, j) => ({
    name: f.k.name, profile: f.k.profile.name, oracle: f.k.oracle === undefined ? 'none' : f.k.oracle.kind, ...(f.k.image !== undefined ? { image: f.k.image } : {}),
    points: f.points, policyPoints: f.policyPoints,
    holds: entries.filter((e) => e.kernels[j].holds).length, confirmed: entries.filter((e) => e.kernels[j].confirmed).length,
  }));
  const head = judged[0];
  const order: SpecOrder = { unstated, table: orderTable(found.map((f) => ({ kernel: f.k.name, counts: f.orderCounts }))) };
  const enforcement = await enforcementEntries(found.map((f) => ({ k: f.k, changes: f.enforcement })));
  const summary: SpecCheckSummary = {
    file, group, spec: spec.name, skipped, kernel: head.profile, oracle: head.oracle, ...(head.oracle === 'vm' && head.image !== undefined ? { kernelImage: head.image } : {}), kernels: judged,
    points: head.points, policyPoints: head.policyPoints,
    formalized: cov.formalized, informal: cov.informal, clauses, contradictions: entries, byClass, order, enforcement, seconds: (now() - t0) / 1000,
  };
  return summary;
}

/**
 * One entry per contradiction (spec item and model clause) found on any kernel, in the order the
 * kernels first find them, each replayed on every kernel; grouped by spec item unless `group` is `clause`.
 */
async function judgedEntries(found: ReadonlyArray<{ k: SpecKernel; list: readonly Contradiction[] }>, group: SpecGroup): Promise<Array<{ entry: SpecCheckEntry; source: Contradiction }>> {
  const order: Contradiction[] = [];
  const seen = new Set<string>();
  for (const f of found) for (const c of f.list) if (!seen.has(entryKey(c))) { seen.add(entryKey(c)); order.push(c); }
  const byClause: SpecCheckEntry[] = [];
  for (const c of order) {
    const verdicts: KernelVerdict[] = [];
    for (const f of found) {
      const own = f.list.find((x) => entryKey(x) === entryKey(c));
      const asked = own ?? c;
      const observed = await replay(f.k.oracle, asked);
      verdicts.push({ kernel: f.k.name, holds: own !== undefined, counterexample: asked.counterexample, observed, confirmed: own !== undefined && observed !== null && observed === own.model });
    }
    const first = replayedOn(verdicts) as KernelVerdict;
    byClause.push({
      class: c.class, title: c.title, specLines: c.specLines, specText: c.specText, counterexample: c.counterexample,
      environment: c.counterexample === '-' ? '-' : envWords(c), request: c.counterexample === '-' ? null : requestLine(c.call, c.env),
      model: c.model, kernel: first.observed, confirmed: verdicts.some((v) => v.confirmed), clause: c.clause,
      kernelFunction: clauseById(c.clause)?.cite ?? '-', points: c.points, reproducer: null, kernels: verdicts,
      item: c.item, clauses: [c.clause], members: [],
    });
  }
  return group === 'clause' ? byClause.map((e, i) => ({ entry: e, source: order[i] })) : byItem(order, byClause);
}

/** The order of the listed errors as the kernels keep it: every error met in a pair, and for each ordered pair the kernels that return the first. */
function orderTable(found: ReadonlyArray<{ kernel: string; counts: Readonly<Record<string, number>> }>): OrderTable {
  const wins: Record<string, string[]> = {};
  for (const f of found) for (const p of Object.keys(f.counts)) (wins[p] ??= []).push(f.kernel);
  const errnos = [...new Set(Object.keys(wins).flatMap((p) => p.split('>')))];
  // The errors that win most come first: the kernel's order where it is one.
  const score = (e: string): number => Object.keys(wins).filter((p) => p.startsWith(`${e}>`)).length - Object.keys(wins).filter((p) => p.endsWith(`>${e}`)).length;
  errnos.sort((a, b) => score(b) - score(a) || a.localeCompare(b));
  return { errnos, wins };
}

/** The runtime checks' changes on every kernel, with each example replayed where an oracle is. */
async function enforcementEntries(found: ReadonlyArray<{ k: SpecKernel; changes: readonly EnforcementChange[] }>): Promise<EnforcementEntry[]> {
  const ids = [...new Set(found.flatMap((f) => f.changes.map((c) => c.check)))];
  const out: EnforcementEntry[] = [];
  for (const id of ids) {
    const head = found.flatMap((f) => f.changes).find((c) => c.check === id) as EnforcementChange;
    const examples: EnforcementExample[] = [];
    for (const x of head.examples) {
      const kernels: Array<{ kernel: string; observed: string | null }> = [];
      for (const f of found) {
        const probe = { counterexample: x.counterexample, call: x.call, env: x.env } as Contradiction;
        kernels.push({ kernel: f.k.name, observed: await replay(f.k.oracle, probe) });
      }
      examples.push({ counterexample: x.counterexample, today: x.today, request: requestLine(x.call, x.env), kernels });
    }
    out.push({
      check: id, line: head.line, text: head.text,
      kernels: found.map((f) => {
        const c = f.changes.find((y) => y.check === id);
        return { kernel: f.k.name, points: c?.points ?? 0, today: c?.today ?? {} };
      }),
      examples,
    });
  }
  return out;
}

/**
 * One entry per spec item, in the order items are first met: its members are the clause entries
 * (each with its own counter-example and kernels), and it holds (is confirmed) on a kernel where
 * any member does. Its counter-example, model result, clause and the kernel's result for it (where
 * it first holds) are the first member's. Its title names the distinct results where the item's title takes them.
 */
function byItem(order: readonly Contradiction[], entries: readonly SpecCheckEntry[]): Array<{ entry: SpecCheckEntry; source: Contradiction }> {
  const items = new Map<string, number[]>();
  order.forEach((c, i) => items.set(c.item, [...(items.get(c.item) ?? []), i]));
  return [...items.values()].map((at) => {
    const members = at.map((i) => entries[i]);
    const source = order[at[0]];
    const head = members[0];
    const results = [...new Set(members.map((m) => m.model))];
    const title = members.length === 1 ? head.title : source.itemResults ? `${source.itemTitle} ${results.join(', ')}` : source.itemTitle;
    const kernels: KernelVerdict[] = head.kernels.map((v, j) => {
      const on = members.find((m) => m.kernels[j].holds);
      const mine = (on ?? head).kernels[j];
      return { ...mine, holds: on !== undefined, confirmed: members.some((m) => m.kernels[j].confirmed) };
    });
    const entry: SpecCheckEntry = {
      ...head, title, specLines: [...new Set(members.flatMap((m) => m.specLines))], kernels,
      confirmed: members.some((m) => m.confirmed), points: members.reduce((n, m) => n + m.points, 0),
      clauses: [...new Set(members.map((m) => m.clause))], members,
    };
    return { entry, source };
  });
}
