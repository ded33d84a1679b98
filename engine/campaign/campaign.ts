// A fuzz campaign: every property, the model ≡ kernel differential and a coverage-guided
// exploration, split into rounds with seeds derived from the campaign seed, so that the same seed
// and options give the same findings, shards split the rounds deterministically, and a stopped
// campaign resumes where it was. Findings are appended (and flushed) the moment they are found.
// Sources: properties/, properties/differential.ts, properties/explore.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { ALL_CLAUSES, type Env, type KernelProfile } from '../../model';
import { ContractError, requestLine } from '../../contract';
import type { HostOracle } from '../../oracle/host';
import { Coverage, Disagreement, envClassOf, selectProperties, type PropertyContext, type PropertyDef } from '../../properties';
import { CORPUS_FILE, CorpusWriter } from './corpus';
import { appendLineSync, writeFileAtomic } from '../io';

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
  const props = selectProperties(opts.properties, { oracle: opts.oracle !== undefined });
  const ids = props.map((p) => p.id);
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
    if (p.seed !== opts.seed) throw new ContractError('--resume', `${progressFile} belongs to seed ${p.seed}, not ${opts.seed}`, 'state-mismatch');
    units.slice(0, p.unitsDone).forEach((u) => done.add(u.key));
    cov.load(p.coverage ?? {});
    const ff = path.join(opts.out as string, 'findings.jsonl');
    if (fs.existsSync(ff)) for (const l of fs.readFileSync(ff, 'utf8').split('\n')) if (l.trim()) findings.push(JSON.parse(l) as Finding);
  }
  // Every decision a property reports goes to the corpus, with the environment a kernel replays.
  const ctx: PropertyContext = {
    profile: opts.profile, coverage: cov, ...(opts.oracle !== undefined ? { oracle: opts.oracle } : {}),
    record: (call, env, trace, replayable) => { corpus.offer(call, envClassOf(env), trace, replayable); },
  };
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
    const p = props.find((x) => x.id === u.property) as PropertyDef;
    const details = await fc.check(p.build(ctx), { seed, numRuns: Math.max(1, Math.ceil(u.runs / (p.runsPerCase ?? 1))) });
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
