// `sockspec diff --a host|IMG --b IMG`: one corpus (the bounded space of the chosen environment
// classes, or the calls of a --tuples file) run on two kernels, side by side, and every call whose
// outcome differs (result, fd, flags, SO_DOMAIN/TYPE/PROTOCOL), grouped by the deciding clause of
// the model. A call either kernel could not run is counted apart, never as a difference.
// Sources: cli/check.ts (the corpus), oracle/compare.ts (what "differs" means), oracle/vm/runner.ts.

import * as fs from 'node:fs';
import { evaluate, formatCall, formatResult, type Call, type Env, type KernelProfile, type Outcome } from '../model';
import { classCalls, type EnvClass } from '../generators/space';
import { compareOutcomes, describeMismatch, type Observation } from '../oracle/compare';
import { ContractError, parseJsonLine, parseRequest, requestLine } from './contract';

/** One kernel of the pair: a name for reports and a way to run calls in an environment. */
export interface DiffSide {
  readonly name: string;
  readonly observe: (env: Env, calls: readonly Call[]) => Promise<Observation[]>;
}

/** One group of calls: an environment and its calls, with a label (the class, or the tuples file). */
export interface DiffGroup {
  readonly label: string;
  readonly env: Env;
  readonly calls: readonly Call[];
}

export interface Difference {
  readonly group: string;
  readonly call: string;
  readonly a: string;
  readonly b: string;
  readonly clause: string;
  readonly details: readonly string[];
  readonly request: string;
}

export interface DiffSummary {
  readonly a: string;
  readonly b: string;
  readonly profile: string;
  readonly points: number;
  /** Calls one side could not run (timeout, an entry path it lacks): not compared. */
  readonly unobserved: number;
  readonly differences: readonly Difference[];
  /** How many calls differ, by deciding clause (all of them, not only the kept ones). */
  readonly byClause: Readonly<Record<string, number>>;
  readonly seconds: number;
}

const short = (o: Outcome): string => formatResult(o).replace(/^= /, '');

/** The corpus of the bounded space: one group per environment class. */
export function classGroups(classes: readonly EnvClass[], profile: KernelProfile): DiffGroup[] {
  return classes.map((c) => ({ label: c.id, env: c.env(profile), calls: [...classCalls(c)] }));
}

/**
 * The corpus of a tuples file: JSON Lines in the eval contract (`{"family":…, "type":…,
 * "protocol":…, "env":{…}}`) or plain lines `FAMILY TYPE PROTOCOL` (numbers or names), grouped by
 * environment. Bad lines are a ContractError naming the file and line.
 */
export function tupleGroups(file: string, profile: KernelProfile, base: Env): DiffGroup[] {
  if (!fs.existsSync(file)) throw new ContractError('--tuples', `${file} does not exist`);
  const groups = new Map<string, { env: Env; calls: Call[] }>();
  fs.readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let call: Call;
    let env = base;
    try {
      if (line.startsWith('{')) {
        const r = parseRequest(parseJsonLine(line), profile);
        call = r.call;
        env = r.env;
      } else {
        const f = line.split(/\s+/);
        if (f.length !== 3) throw new ContractError('tuple', 'expected FAMILY TYPE PROTOCOL or a JSON request');
        call = parseRequest({ family: f[0], type: f[1], protocol: f[2] }, profile).call;
      }
    } catch (e) {
      if (e instanceof ContractError) throw new ContractError(`${file}:${i + 1}`, e.message);
      throw e;
    }
    const key = requestLine({ a0: 0n, a1: 0n, a2: 0n, entry: 'x86_64' }, env);
    const g = groups.get(key) ?? { env, calls: [] };
    g.calls.push(call);
    groups.set(key, g);
  });
  return [...groups.values()].map((g, k) => ({ label: `${file}#${k + 1}`, env: g.env, calls: g.calls }));
}

/** Runs every group on both sides (at the same time) and lists the differences. */
export async function runDiff(a: DiffSide, b: DiffSide, groups: readonly DiffGroup[], profile: KernelProfile, now: () => number, keep = 1000): Promise<DiffSummary> {
  const t0 = now();
  const differences: Difference[] = [];
  const byClause: Record<string, number> = {};
  let points = 0;
  let unobserved = 0;
  for (const g of groups) {
    const [oa, ob] = await Promise.all([a.observe(g.env, g.calls), b.observe(g.env, g.calls)]);
    g.calls.forEach((call, i) => {
      points++;
      const x = oa[i];
      const y = ob[i];
      if (!('outcome' in x) || !('outcome' in y)) {
        unobserved++;
        return;
      }
      const ms = compareOutcomes(x.outcome, y);
      if (ms.length === 0) return;
      const d = evaluate(call, g.env);
      const clause = d.trace[d.trace.length - 1];
      byClause[clause] = (byClause[clause] ?? 0) + 1;
      if (differences.length < keep) {
        differences.push({
          group: g.label, call: formatCall(call), a: short(x.outcome), b: short(y.outcome), clause,
          details: ms.map(describeMismatch).map((t) => t.replace(/\bmodel\b/g, 'A').replace(/\bkernel\b/g, 'B')), request: requestLine(call, g.env),
        });
      }
    });
  }
  return { a: a.name, b: b.name, profile: profile.name, points, unobserved, differences, byClause, seconds: (now() - t0) / 1000 };
}

/** The text report: the differences grouped by clause, a few calls each. */
export function formatDiff(s: DiffSummary, perClause = 5): string[] {
  const total = Object.values(s.byClause).reduce((x, y) => x + y, 0);
  const out = [`sockspec diff: A ${s.a}, B ${s.b}: ${s.points} points, ${total} differ${s.unobserved ? `, ${s.unobserved} not run on one side` : ''} (clauses of ${s.profile}), ${s.seconds.toFixed(1)} s`];
  for (const [clause, n] of Object.entries(s.byClause).sort((x, y) => y[1] - x[1])) {
    out.push(`  ${clause}: ${n} calls`);
    for (const d of s.differences.filter((x) => x.clause === clause).slice(0, perClause)) out.push(`    [${d.group}] ${d.call}: A ${d.a}, B ${d.b}`);
  }
  return out;
}
