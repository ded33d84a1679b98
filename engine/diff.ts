// `sockspec diff --a host|IMG --b IMG`: one corpus (the bounded space of the chosen environment
// classes, or the calls of a --tuples file) run on two kernels, side by side, and every call whose
// outcome differs (result, fd, flags, SO_DOMAIN/TYPE/PROTOCOL), grouped by the deciding clause of
// the model. A call either kernel could not run is counted apart, never as a difference.
// Sources: engine/check.ts (the corpus), oracle/compare.ts (what "differs" means), oracle/vm/runner.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate, formatCall, formatResult, type Call, type Env, type KernelProfile, type Outcome } from '../model';
import { classCalls, ENV_CLASSES, type EnvClass } from '../generators/space';
import { compareOutcomes, describeMismatch, type Observation } from '../oracle/compare';
import { ContractError, parseJsonLine, parseRequest, requestLine } from '../contract';
import { campaignInputs } from './campaign/corpus';

/**
 * One kernel of the pair: a name for reports and a way to run groups of calls, each in its own
 * environment (a VM runs a whole chunk in one boot), one observation per call.
 */
export interface DiffSide {
  readonly name: string;
  readonly observeGroups: (groups: readonly DiffGroup[]) => Promise<Observation[][]>;
  /** What the kernel's console said went wrong (a VM's consoleAlerts), when the side can tell. */
  readonly alerts?: () => readonly string[];
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
  /** Why: calls by "class: side: reason" (a boot that failed, an environment one side cannot hold, a missing entry path). */
  readonly unobservedWhy: Readonly<Record<string, number>>;
  readonly differences: readonly Difference[];
  /** How many calls differ, by deciding clause (all of them, not only the kept ones). */
  readonly byClause: Readonly<Record<string, number>>;
  /** Kernel WARN/BUG/oops lines from each side's console: findings whatever the calls returned. */
  readonly kernelAlerts: { readonly a: readonly string[]; readonly b: readonly string[] };
  readonly seconds: number;
}

const short = (o: Outcome): string => formatResult(o).replace(/^= /, '');

/**
 * The classes of a diff: by default the kernel classes (every call of the space); `all` adds the
 * raw seccomp stacks, the presets and, when both kernels run in QEMU, the classes that change
 * global knobs (`vmOnly`), which the host oracle never runs; or a comma-separated list of ids.
 */
export function diffClasses(ids: readonly string[] | undefined, extra: readonly EnvClass[], vmOnly: readonly EnvClass[], bothInVm: boolean): EnvClass[] {
  if (ids === undefined) return ENV_CLASSES.filter((c) => c.calls === 'full');
  if (ids.length === 1 && ids[0] === 'all') return [...ENV_CLASSES, ...extra, ...(bothInVm ? vmOnly : [])];
  const known = [...ENV_CLASSES, ...extra, ...vmOnly];
  return ids.map((id) => {
    const c = known.find((x) => x.id === id);
    if (c === undefined) throw new ContractError('--classes', `unknown environment class ${id} (known: all, ${known.map((x) => x.id).join(', ')})`);
    if (!bothInVm && vmOnly.includes(c)) throw new ContractError('--classes', `${id} changes global knobs, so it runs only when both kernels are booted in QEMU`);
    return c;
  });
}

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
  return lineGroups(fs.readFileSync(file, 'utf8').split('\n'), file, profile, base);
}

/**
 * The corpus of a campaign folder (`sockspec fuzz --out DIR`): its corpus.jsonl, the first input
 * to decide each clause in each environment class, and the request line of each finding.
 */
export function corpusGroups(dir: string, profile: KernelProfile, base: Env): DiffGroup[] {
  return lineGroups(campaignInputs(dir), dir, profile, base);
}

/**
 * Request lines as groups of calls, one group per distinct environment, in first-seen order. A
 * line's own `kernel` is not used: the diff's profile builds every environment and names the
 * clauses, so both kernels get exactly the same request.
 */
function lineGroups(lines: readonly string[], source: string, profile: KernelProfile, base: Env): DiffGroup[] {
  const groups = new Map<string, { env: Env; calls: Call[] }>();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let call: Call;
    let env = base;
    try {
      if (line.startsWith('{')) {
        const obj = parseJsonLine(line);
        delete obj.kernel;
        const r = parseRequest(obj, profile);
        call = r.call;
        env = r.env;
      } else {
        const f = line.split(/\s+/);
        if (f.length !== 3) throw new ContractError('tuple', 'expected FAMILY TYPE PROTOCOL or a JSON request');
        call = parseRequest({ family: f[0], type: f[1], protocol: f[2] }, profile).call;
      }
    } catch (e) {
      if (e instanceof ContractError) throw new ContractError(`${source}:${i + 1}`, e.message);
      throw e;
    }
    const key = requestLine({ a0: 0n, a1: 0n, a2: 0n, entry: 'x86_64' }, env);
    const g = groups.get(key) ?? { env, calls: [] };
    g.calls.push(call);
    groups.set(key, g);
  });
  return [...groups.values()].map((g, k) => ({ label: `${path.basename(source)}#${k + 1}`, env: g.env, calls: g.calls }));
}

/**
 * Consecutive groups packed into chunks of at most `limit` calls (a group larger than that is a
 * chunk of its own): one boot per chunk and kernel, so a corpus of many small environments costs
 * a few boots, and the bounded space's classes one boot each, as `check --oracle vm` boots them.
 */
export function chunkGroups(groups: readonly DiffGroup[], limit = 200000): DiffGroup[][] {
  const chunks: DiffGroup[][] = [];
  let cur: DiffGroup[] = [];
  let n = 0;
  for (const g of groups) {
    if (cur.length > 0 && n + g.calls.length > limit) {
      chunks.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(g);
    n += g.calls.length;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/** Runs every group on both sides (at the same time, a chunk at a time) and lists the differences. */
export async function runDiff(
  a: DiffSide, b: DiffSide, groups: readonly DiffGroup[], profile: KernelProfile, now: () => number,
  opts: { /** Differences listed (all are counted by clause; default every one). */ keep?: number; onChunk?: (groupsDone: number, groups: number, points: number) => void } = {},
): Promise<DiffSummary> {
  const keep = opts.keep ?? Infinity;
  const t0 = now();
  const differences: Difference[] = [];
  const byClause: Record<string, number> = {};
  let points = 0;
  let unobserved = 0;
  const unobservedWhy: Record<string, number> = {};
  let groupsDone = 0;
  for (const chunk of chunkGroups(groups)) {
    const [ra, rb] = await Promise.all([a.observeGroups(chunk), b.observeGroups(chunk)]);
    chunk.forEach((g, k) => compareGroup(g, ra[k], rb[k]));
    groupsDone += chunk.length;
    opts.onChunk?.(groupsDone, groups.length, points);
  }
  const kernelAlerts = { a: [...(a.alerts?.() ?? [])], b: [...(b.alerts?.() ?? [])] };
  return { a: a.name, b: b.name, profile: profile.name, points, unobserved, unobservedWhy, differences, byClause, kernelAlerts, seconds: (now() - t0) / 1000 };

  function compareGroup(g: DiffGroup, oa: readonly Observation[], ob: readonly Observation[]): void {
    g.calls.forEach((call, i) => {
      points++;
      const x = oa[i];
      const y = ob[i];
      if (!('outcome' in x) || !('outcome' in y)) {
        unobserved++;
        const why = `${g.label}: ${'unobserved' in x ? `A: ${x.unobserved}` : `B: ${(y as { unobserved: string }).unobserved}`}`;
        unobservedWhy[why] = (unobservedWhy[why] ?? 0) + 1;
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
}

/** A side that runs one group at a time (the host oracle). */
export function perGroupSide(name: string, observe: (env: Env, calls: readonly Call[]) => Promise<Observation[]>): DiffSide {
  return {
    name,
    observeGroups: async (groups) => {
      const out: Observation[][] = [];
      for (const g of groups) out.push(await observe(g.env, g.calls));
      return out;
    },
  };
}
