// A fuzz campaign: every property, the model ≡ kernel differential and a coverage-guided
// exploration, split into rounds with seeds derived from the campaign seed, so that the same seed
// and options give the same findings, shards split the rounds deterministically, and a stopped
// campaign resumes where it was. Findings are appended (and flushed) the moment they are found.
// Sources: properties/, cli/differential.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { AF_NAMES, ALL_CAPS, ALL_CLAUSES, evaluate, type Call, type Env, type KernelProfile } from '../../model';
import { callArb, envArb } from '../../generators';
import { PROPERTIES } from '../../properties';
import type { HostOracle } from '../../oracle/host';
import { DIFFERENTIAL_ID, Disagreement, differentialProperty, hostReproducible } from '../../properties/differential';
import { CORPUS_FILE, CorpusWriter, coveredIds } from './corpus';
import { requestLine } from '../../contract';
import { appendLineSync, writeFileAtomic } from '../io';

export const EXPLORE_ID = 'P-EXPLORE';

/** What one campaign does. */
export interface CampaignOptions {
  readonly seed: number;
  /** Runs per property (the differential counts environments, each with a batch of calls). */
  readonly runs: number;
  /** Stop after this many milliseconds (rounds in flight finish first). */
  readonly timeMs?: number;
  readonly profile: KernelProfile;
  readonly oracle?: HostOracle;
  /** Property ids; empty means all (the differential only with an oracle). */
  readonly properties: readonly string[];
  /** 0-based shard index and count. */
  readonly shard: { readonly index: number; readonly count: number };
  readonly out?: string;
  readonly roundSize?: number;
  readonly onProgress?: (p: CampaignProgress) => void;
  readonly shouldStop?: () => boolean;
  readonly now?: () => number;
}

export interface CampaignProgress {
  readonly runs: number;
  readonly totalRuns: number;
  readonly findings: number;
  readonly clausesCovered: number;
  readonly clausesTotal: number;
  readonly unit: string;
}

/** One finding, as written to findings.jsonl. */
export interface Finding {
  readonly property: string;
  readonly signature: string;
  readonly seed: number;
  readonly path?: string;
  readonly round: number;
  /** strace-style line of the counterexample call, when the property is about one call. */
  readonly strace?: string;
  readonly call?: { a0: string; a1: string; a2: string; entry?: string };
  readonly env?: unknown;
  readonly model?: string;
  readonly kernel?: string;
  readonly clause?: string;
  readonly details?: readonly string[];
  /** For differential findings: the eval line that replays the call (`sockspec eval --compare`). */
  readonly request?: string;
  readonly counterexample: string;
  readonly message: string;
}

export interface CampaignSummary {
  readonly seed: number;
  readonly runs: number;
  readonly findings: number;
  readonly uniqueFindings: number;
  readonly clausesCovered: number;
  readonly clausesTotal: number;
  readonly uncovered: readonly string[];
  /** Clauses decided at least once in each environment class (root, unprivileged, namespaces …, seccomp). */
  readonly coverageByClass: Readonly<Record<string, number>>;
  /** The clause ids behind coverageByClass, so that merged shards count exactly. */
  readonly clausesByClass: Readonly<Record<string, readonly string[]>>;
  readonly oracle: 'host' | 'none';
  readonly kernel: string;
  readonly seconds: number;
  readonly shard: string;
  readonly stopped: boolean;
  readonly properties: ReadonlyArray<{ id: string; runs: number; findings: number; rounds: number }>;
  /** Entries of corpus.jsonl: inputs a kernel can replay, each the first to decide a clause in its class. */
  readonly corpus?: number;
}

interface Unit {
  readonly property: string;
  readonly round: number;
  readonly runs: number;
  readonly key: string;
}

/** The round seed: a hash of the campaign seed, the property and the round (seedrandom's ARC4). */
export function roundSeed(seed: number, property: string, round: number): number {
  return seedrandom(`${seed}/${property}/${round}`).int32();
}

/** The units of a campaign, in order; a shard keeps every count-th one. */
export function planUnits(ids: readonly string[], runs: number, roundSize: number, shard: { index: number; count: number }): Unit[] {
  const all: Unit[] = [];
  for (const id of ids) {
    for (let r = 0, left = runs; left > 0; r++, left -= roundSize) {
      all.push({ property: id, round: r, runs: Math.min(roundSize, left), key: `${id}#${r}` });
    }
  }
  return all.filter((_, i) => i % shard.count === shard.index);
}

function reg(r: bigint): string {
  return `0x${r.toString(16)}`;
}

function envJson(env: Env): unknown {
  return JSON.parse(JSON.stringify({ ...env, profile: env.profile.name }, (_k, v) => (typeof v === 'bigint' ? reg(v) : v)));
}

/** The environment class a generated environment falls in, for coverage per class. */
export function envClassOf(env: Env): string {
  if (env.seccomp.length > 0) return 'seccomp';
  if (env.creds.namespaces !== 'init') return `namespaces ${env.creds.namespaces}`;
  if (env.creds.caps === ALL_CAPS) return env.creds.uid === 0 ? 'root' : 'all caps, not uid 0';
  if (env.creds.caps === 0) return env.creds.uid === 0 ? 'uid 0, no caps' : 'unprivileged';
  return 'some caps';
}

/** Clauses decided at least once, overall and per environment class. */
export class Coverage {
  readonly covered = new Set<string>();
  readonly byClass = new Map<string, Set<string>>();

  /** Records a decision: its deciding clause, and effect rows it applied. */
  record(env: Env, trace: readonly string[]): void {
    const cls = envClassOf(env);
    let set = this.byClass.get(cls);
    if (set === undefined) {
      set = new Set();
      this.byClass.set(cls, set);
    }
    for (const id of coveredIds(trace)) {
      this.covered.add(id);
      set.add(id);
    }
  }

  toJSON(): { covered: string[]; byClass: Record<string, string[]> } {
    return { covered: [...this.covered], byClass: Object.fromEntries([...this.byClass].map(([k, v]) => [k, [...v]])) };
  }

  load(j: { covered?: string[]; byClass?: Record<string, string[]> }): void {
    for (const id of j.covered ?? []) this.covered.add(id);
    for (const [k, ids] of Object.entries(j.byClass ?? {})) this.byClass.set(k, new Set(ids));
  }
}

/** The environment classes the exploration steers between, each as a way to shape a generated env. */
const CLASS_SHAPES: ReadonlyArray<[string, (e: Env) => Env]> = [
  ['root', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, uid: 0, caps: ALL_CAPS, namespaces: 'init' } })],
  ['uid 0, no caps', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, uid: 0, caps: 0, namespaces: 'init' } })],
  ['unprivileged', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, uid: e.creds.uid === 0 ? 65534 : e.creds.uid, caps: 0, namespaces: 'init' } })],
  ['namespaces user+net', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, namespaces: 'user+net' } })],
  ['namespaces user', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, namespaces: 'user' } })],
  ['namespaces net', (e) => ({ ...e, seccomp: [], creds: { ...e.creds, namespaces: 'net' } })],
  ['seccomp', (e) => e],
];

/**
 * Coverage-guided exploration. Calls are biased towards families with clauses that have not
 * decided anything yet; environments towards the classes with the fewest clauses decided so far
 * (weights are fixed at the start of each round, so a round stays deterministic for its seed).
 */
function exploreProperty(profile: KernelProfile, cov: Coverage, corpus: CorpusWriter): fc.IProperty<[Call, Env]> {
  const covered = cov.covered;
  const uncoveredFamilies = [...new Set(ALL_CLAUSES.filter((c) => !covered.has(c.id)).map((c) => c.group))];
  const famNumbers = profile.families.filter((f) => uncoveredFamilies.includes(AF_NAMES[f]));
  const base = callArb();
  const targeted = famNumbers.length === 0 ? base : fc.tuple(base, fc.constantFrom(...famNumbers)).map(([c, f]): Call => ({ ...c, a0: BigInt(f) }));
  const most = Math.max(1, ...[...cov.byClass.values()].map((s) => s.size));
  const envs = fc.oneof(...CLASS_SHAPES.map(([name, shape]) => ({
    arbitrary: envArb({ profile, seccomp: name === 'seccomp' }).map(shape),
    weight: 1 + most - (cov.byClass.get(name)?.size ?? 0),
  })));
  return fc.property(fc.oneof({ arbitrary: targeted, weight: 3 }, { arbitrary: base, weight: 1 }), envs, (call, env) => {
    const trace = evaluate(call, env).trace;
    cov.record(env, trace);
    // The corpus keeps what a kernel can replay: a decision that needed a global knob is left out.
    corpus.offer(call, envClassOf(env), trace, () => hostReproducible(env));
  });
}

function signatureOf(property: string, err: unknown): string {
  if (err instanceof Disagreement) return `${property}|${err.clause}|${err.model}|${err.kernel}`;
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return `${property}|${first.replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 160)}`;
}

/** Runs the campaign; findings go to `out/findings.jsonl` as they are found. */
export async function runCampaign(opts: CampaignOptions): Promise<{ summary: CampaignSummary; findings: Finding[] }> {
  const now = opts.now ?? (() => 0);
  const t0 = now();
  const roundSize = opts.roundSize ?? 1000;
  const ids = opts.properties.length > 0 ? [...opts.properties] : [
    ...PROPERTIES.map((p) => p.id), EXPLORE_ID, ...(opts.oracle !== undefined ? [DIFFERENTIAL_ID] : []),
  ];
  for (const id of ids) {
    if (id === DIFFERENTIAL_ID && opts.oracle === undefined) throw new Error(`${DIFFERENTIAL_ID} needs --oracle host`);
    if (id !== DIFFERENTIAL_ID && id !== EXPLORE_ID && !PROPERTIES.some((p) => p.id === id)) {
      throw new Error(`unknown property ${id} (known: ${[...PROPERTIES.map((p) => p.id), EXPLORE_ID, DIFFERENTIAL_ID].join(', ')})`);
    }
  }
  const units = planUnits(ids, opts.runs, roundSize, opts.shard);
  // Units run in order, so what is done is always a prefix of this shard's list: progress.json
  // keeps its length, not the keys, and stays a few hundred bytes however long the campaign.
  const progressFile = opts.out === undefined ? undefined : path.join(opts.out, 'progress.json');
  const done = new Set<string>();
  const cov = new Coverage();
  const covered = cov.covered;
  // A campaign with nothing to resume starts its corpus afresh.
  if (progressFile !== undefined && !fs.existsSync(progressFile)) fs.rmSync(path.join(opts.out as string, CORPUS_FILE), { force: true });
  const corpus = new CorpusWriter(opts.out === undefined ? undefined : path.join(opts.out, CORPUS_FILE));
  const findings: Finding[] = [];
  if (progressFile !== undefined && fs.existsSync(progressFile)) {
    const p = JSON.parse(fs.readFileSync(progressFile, 'utf8')) as { unitsDone: number; coverage: { covered: string[]; byClass: Record<string, string[]> }; seed: number };
    if (p.seed !== opts.seed) throw new Error(`${progressFile} belongs to seed ${p.seed}, not ${opts.seed}`);
    units.slice(0, p.unitsDone).forEach((u) => done.add(u.key));
    cov.load(p.coverage ?? {});
    const ff = path.join(opts.out as string, 'findings.jsonl');
    if (fs.existsSync(ff)) for (const l of fs.readFileSync(ff, 'utf8').split('\n')) if (l.trim()) findings.push(JSON.parse(l) as Finding);
  }
  const perProp = new Map(ids.map((id) => [id, { id, runs: 0, findings: 0, rounds: 0 }]));
  const totalRuns = units.reduce((n, u) => n + u.runs, 0);
  let runs = units.filter((u) => done.has(u.key)).reduce((n, u) => n + u.runs, 0);
  let stopped = false;
  let lastSave = -Infinity;
  for (const u of units) {
    if (done.has(u.key)) continue;
    // Yield to the event loop between rounds, so that SIGINT/SIGTERM handlers get to run.
    await new Promise((resolve) => setImmediate(resolve));
    if (opts.shouldStop?.() === true || (opts.timeMs !== undefined && now() - t0 > opts.timeMs)) {
      stopped = true;
      break;
    }
    const seed = roundSeed(opts.seed, u.property, u.round);
    let details;
    if (u.property === DIFFERENTIAL_ID) {
      // One environment per ten runs, each with a batch of up to 16 calls on the kernel.
      const record = (call: Call, env: Env, trace: readonly string[]): void => {
        cov.record(env, trace);
        corpus.offer(call, envClassOf(env), trace, () => env);
      };
      details = await fc.check(differentialProperty(opts.oracle as HostOracle, opts.profile, record), { seed, numRuns: Math.max(1, Math.ceil(u.runs / 10)) });
    } else if (u.property === EXPLORE_ID) {
      details = fc.check(exploreProperty(opts.profile, cov, corpus), { seed, numRuns: u.runs });
    } else {
      const p = PROPERTIES.find((x) => x.id === u.property);
      details = fc.check((p as (typeof PROPERTIES)[number]).build(), { seed, numRuns: u.runs });
    }
    const stat = perProp.get(u.property) as { runs: number; findings: number; rounds: number };
    stat.runs += details.numRuns;
    stat.rounds++;
    runs += u.runs;
    if (details.failed) {
      const err = details.errorInstance;
      const f: Finding = {
        property: u.property,
        signature: signatureOf(u.property, err),
        seed,
        round: u.round,
        ...(details.counterexamplePath !== null ? { path: details.counterexamplePath } : {}),
        ...(err instanceof Disagreement ? {
          strace: err.strace, call: { a0: reg(err.call.a0), a1: reg(err.call.a1), a2: reg(err.call.a2), ...(err.call.entry ? { entry: err.call.entry } : {}) },
          env: envJson(err.env), model: err.model, kernel: err.kernel, clause: err.clause, details: err.details,
          request: requestLine(err.call, err.env, `${u.property}#${u.round}`),
        } : {}),
        counterexample: fc.stringify(details.counterexample),
        message: err instanceof Error ? err.message : String(err),
      };
      const known = findings.some((x) => x.property === f.property && x.round === f.round && x.signature === f.signature);
      if (!known) {
        findings.push(f);
        stat.findings++;
        if (opts.out !== undefined) appendLineSync(path.join(opts.out, 'findings.jsonl'), JSON.stringify(f));
      }
    }
    done.add(u.key);
    // At most once a second: a long campaign has many rounds, and a round redone after a resume
    // is harmless (rounds are deterministic; a finding already on file is not appended again).
    if (progressFile !== undefined && now() - lastSave >= 1000) {
      writeFileAtomic(progressFile, JSON.stringify({ seed: opts.seed, unitsDone: done.size, coverage: cov.toJSON() }));
      lastSave = now();
    }
    opts.onProgress?.({ runs, totalRuns, findings: findings.length, clausesCovered: covered.size, clausesTotal: ALL_CLAUSES.length, unit: u.key });
  }
  if (progressFile !== undefined) writeFileAtomic(progressFile, JSON.stringify({ seed: opts.seed, unitsDone: done.size, coverage: cov.toJSON() }));
  const summary: CampaignSummary = {
    seed: opts.seed,
    runs,
    findings: findings.length,
    uniqueFindings: new Set(findings.map((f) => f.signature)).size,
    clausesCovered: ALL_CLAUSES.filter((c) => covered.has(c.id)).length,
    clausesTotal: ALL_CLAUSES.length,
    uncovered: ALL_CLAUSES.filter((c) => !covered.has(c.id)).map((c) => c.id),
    coverageByClass: Object.fromEntries([...cov.byClass].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.size])),
    clausesByClass: Object.fromEntries([...cov.byClass].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()])),
    oracle: opts.oracle === undefined ? 'none' : 'host',
    kernel: opts.profile.name,
    seconds: (now() - t0) / 1000,
    shard: `${opts.shard.index + 1}/${opts.shard.count}`,
    stopped,
    properties: [...perProp.values()],
    corpus: corpus.size,
  };
  return { summary, findings };
}
