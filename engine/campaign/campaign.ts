// A fuzz campaign: every property, the model ≡ kernel differential and a coverage-guided
// exploration, split into rounds with seeds derived from the campaign seed, so that the same seed
// and options give the same findings, shards split the rounds deterministically, and a stopped
// campaign resumes where it was. Findings are appended (and flushed) the moment they are found.
// Sources: properties/, properties/differential.ts, properties/explore.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { ALL_CLAUSES, formatCall, unreadableBlock, type Call, type Env, type KernelProfile, type Reg, type Step } from '../../model';
import { ContractError, requestLine, SockspecError } from '../../contract';
import { ExecutorError } from '../../oracle/errors';
import type { KernelOracle } from '../../oracle/oracle';
import { GuestOracle } from '../../oracle/vm/guest';
import { Coverage, Disagreement, envClassOf, EXPLORE_ID, EXPLORE_PROPERTY, KernelFault, selectProperties, type PropertyContext, type PropertyDef } from '../../properties';
import { CORPUS_FILE, CorpusWriter } from './corpus';
import { appendLineSync, readJsonLines } from '../io';
import { cutBack, FINDINGS_FILE, PROGRESS_FILE, readProgress, sizeOf, TIMELINE_FILE, writeProgress } from './state';
import { TimelineWriter } from './timeline';
import { runAtomicity, type AtomicityResult } from '../atomicity';

/** The property id of the campaign's atomicity race, in findings. */
export const ATOMICITY_ID = 'P-ATOMIC-FLAGS';

/** What one campaign does. */
export interface CampaignOptions {
  readonly seed: number;
  /** Runs per property (the differential counts environments, each with a batch of calls); undefined: until the time budget or a signal. */
  readonly runs?: number;
  /** Stop after this many milliseconds (rounds in flight finish first). */
  readonly timeMs?: number;
  readonly profile: KernelProfile;
  /** The kernel of the differential: the running one, or an image kept up in QEMU. */
  readonly oracle?: KernelOracle;
  /** The flags naming that kernel for a replay, when it is not the host's (kept in each finding). */
  readonly kernelFlags?: string;
  /** Property ids; empty means all (the differential only with an oracle). */
  readonly properties: readonly string[];
  /** 0-based shard index and count. */
  readonly shard: { readonly index: number; readonly count: number };
  readonly out?: string;
  readonly roundSize?: number;
  readonly onProgress?: (p: CampaignProgress) => void;
  readonly shouldStop?: () => boolean;
  readonly now?: () => number;
  /**
   * Each half of the atomicity race, run once per campaign (by shard 1) before its rounds when the
   * oracle can race; 0 skips it. Default CAMPAIGN_RACE_MS.
   */
  readonly raceMs?: number;
}

/** How long each half of a campaign's one atomicity race runs. */
export const CAMPAIGN_RACE_MS = 1000;

export interface CampaignProgress {
  readonly runs: number;
  /** Infinity when the campaign has a time budget and no run count. */
  readonly totalRuns: number;
  /** Campaign time so far (resumes included) and the budget, if any. */
  readonly elapsedMs: number;
  readonly timeMs?: number;
  readonly findings: number;
  readonly clausesCovered: number;
  readonly clausesTotal: number;
  readonly unit: string;
}

/** What the VM guests of a campaign did (this process's; workers summed when merged). */
export interface GuestSummary {
  readonly boots: number;
  readonly reboots: number;
  readonly retries: number;
  readonly narrowingBoots: number;
  readonly bootSeconds: number;
}

/**
 * The oracle as the properties see it, counting the batches and calls it runs and their time.
 */
function counted(oracle: KernelOracle, n: { batches: number; calls: number; ms: number }): KernelOracle {
  return {
    kind: oracle.kind,
    ia32Unavailable: () => oracle.ia32Unavailable(),
    close: () => oracle.close(),
    ...(oracle.narrow !== undefined ? { narrow: oracle.narrow.bind(oracle) } : {}),
    run: async (env, calls, o) => {
      const t0 = Date.now();
      const r = await oracle.run(env, calls, o);
      n.batches++;
      n.calls += calls.length;
      n.ms += Date.now() - t0;
      return r;
    },
    ...(oracle.race !== undefined ? { race: oracle.race.bind(oracle) } : {}),
    ...(oracle.sequence !== undefined ? {
      sequence: async (env: Env, steps: readonly Step[], o?: { timeoutMs?: number }) => {
        const t0 = Date.now();
        const r = await (oracle.sequence as NonNullable<KernelOracle['sequence']>).call(oracle, env, steps, o);
        n.batches++;
        n.calls += steps.length;
        n.ms += Date.now() - t0;
        return r;
      },
    } : {}),
  };
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
  readonly call?: { a0: string; a1: string; a2: string; entry?: string; block?: string; syscall?: string; sv?: string };
  readonly env?: unknown;
  readonly model?: string;
  readonly kernel?: string;
  readonly clause?: string;
  readonly details?: readonly string[];
  /** For differential findings: the eval line that replays the call (`sockspec eval --compare`). */
  readonly request?: string;
  /** The flags that name the kernel the finding came from, when not the host (`--oracle vm --kernel-image debian-6.12`). */
  readonly kernelFlags?: string;
  /** A kernel that died on a batch or raised a console alert: which, the console lines, and the calls narrowed to. */
  readonly kernelFault?: { readonly symptom: 'died' | 'alert'; readonly lines: readonly string[]; readonly calls: readonly string[] };
  readonly counterexample: string;
  readonly message: string;
}

/** The distinct findings of a campaign set against a baseline campaign's. */
export interface BaselineComparison {
  readonly dir: string;
  /** Signatures found now and not in the baseline. */
  readonly new: readonly string[];
  /** Signatures found in both. */
  readonly persisting: readonly string[];
  /** Signatures of the baseline not found now. */
  readonly gone: readonly string[];
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
  readonly oracle: 'host' | 'vm' | 'none';
  readonly kernel: string;
  readonly seconds: number;
  /** Batches and calls this process ran on the kernel, and the seconds they took (workers summed when merged). */
  readonly kernelCalls?: { readonly batches: number; readonly calls: number; readonly seconds: number };
  /** With the VM oracle: the guests' boots, reboots after a death, batches retried, boots spent narrowing, mean boot seconds. */
  readonly guest?: GuestSummary;
  readonly shard: string;
  /** complete: every round ran; time-budget: --time ran out; interrupted: stopped by a signal (resume it). */
  readonly status: CampaignStatus;
  /** status === 'interrupted' (kept for readers of older summaries). */
  readonly stopped: boolean;
  readonly properties: ReadonlyArray<{ id: string; runs: number; findings: number; rounds: number }>;
  /** Entries of corpus.jsonl: inputs a kernel can replay, each the first to decide a clause in its class. */
  readonly corpus?: number;
  /** With --baseline: the findings set against a previous campaign's (engine/campaign/baseline.ts). */
  readonly baseline?: BaselineComparison;
  /** The campaign's one CLOEXEC/NONBLOCK race on the kernel (shard 1 runs it; merged summaries carry it). */
  readonly atomicity?: AtomicityResult;
}

interface Unit {
  readonly property: string;
  readonly round: number;
  readonly runs: number;
  readonly key: string;
}

/**
 * What the exploration steers by at the start of each of its rounds: the coverage its own rounds
 * before it recorded, each generated as it was steered. A function of the campaign seed and the
 * round alone, so every shard, worker and resumed process steers round r alike; rounds this
 * process did not run are replayed on the model (no corpus, no oracle), each once, in order.
 */
class ExploreSteering {
  private readonly cov = new Coverage();
  private next = 0;

  constructor(private readonly profile: KernelProfile, private readonly seed: number, private readonly roundSize: number) {}

  /** The steering of round `round`; rounds are asked for in increasing order. */
  at(round: number): Coverage {
    for (; this.next < round; this.next++) {
      // The weights are fixed when the property is built, so recording into the same coverage during the round changes nothing of it.
      fc.assert(EXPLORE_PROPERTY.build({ profile: this.profile, coverage: this.cov, steer: this.cov }), { seed: roundSeed(this.seed, EXPLORE_ID, this.next), numRuns: this.roundSize });
    }
    const snapshot = new Coverage();
    snapshot.load(this.cov.toJSON());
    return snapshot;
  }

  /** Round `round` ran here with the steering `at` gave it and recorded `own`: no replay of it is needed. */
  ran(round: number, own: Coverage): void {
    if (round !== this.next) return;
    for (const [cls, ids] of own.byClass) for (const id of ids) {
      this.cov.covered.add(id);
      (this.cov.byClass.get(cls) ?? this.cov.byClass.set(cls, new Set()).get(cls) as Set<string>).add(id);
    }
    this.next++;
  }
}

/** A coverage that records into two: the campaign's, and the round's own. */
class TeeCoverage extends Coverage {
  constructor(private readonly a: Coverage, private readonly b: Coverage) {
    super();
  }

  override record(env: Env, trace: readonly string[]): void {
    this.a.record(env, trace);
    this.b.record(env, trace);
  }
}

/**
 * Runs `f` (a synchronous round) with V8's stack capture off. A campaign keeps no stack (a finding
 * keeps the error's message), yet every run fast-check skips for an fc.pre throws an Error whose
 * stack V8 would capture: P-PAIR-TWO-SOCKETS skips more than half its runs (three in four before
 * it drew only registered pair families), and spent a fifth of its time there. Nothing runs in between but the round, so nothing else loses its stacks.
 */
function withoutStacks<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The round seed: a hash of the campaign seed, the property and the round (seedrandom's ARC4). */
export function roundSeed(seed: number, property: string, round: number): number {
  return seedrandom(`${seed}/${property}/${round}`).int32();
}

/**
 * The round plan, lazily: unit k of the whole campaign is round ⌊k/P⌋ of property k mod P (the
 * properties take turns, so a time budget spreads over all of them), and a shard i/n keeps the
 * units with k mod n = i. `runs` undefined means no end: rounds keep coming until the time budget
 * or a signal stops the campaign. Nothing is built up front, whatever the budget.
 */
export class RoundPlan {
  private readonly roundsPerProperty: number;

  constructor(private readonly ids: readonly string[], private readonly runs: number | undefined, private readonly roundSize: number,
    private readonly shard: { readonly index: number; readonly count: number }) {
    this.roundsPerProperty = runs === undefined ? Infinity : Math.ceil(runs / roundSize);
  }

  /** The shard's j-th unit (0-based), or undefined past its end. */
  unit(j: number): Unit | undefined {
    const k = this.shard.index + j * this.shard.count;
    const p = this.ids.length;
    const round = Math.floor(k / p);
    if (p === 0 || round >= this.roundsPerProperty) return undefined;
    const property = this.ids[k % p];
    const runs = this.runs === undefined ? this.roundSize : Math.min(this.roundSize, this.runs - round * this.roundSize);
    return { property, round, runs, key: `${property}#${round}` };
  }

  /** How many units the shard has (Infinity without a run count). */
  get length(): number {
    if (this.roundsPerProperty === Infinity) return Infinity;
    const total = this.roundsPerProperty * this.ids.length;
    return Math.max(0, Math.ceil((total - this.shard.index) / this.shard.count));
  }

  /** The runs of the shard's units together (Infinity without a run count). */
  get totalRuns(): number {
    if (this.runs === undefined) return Infinity;
    // Every round is full but each property's last one: count the full ones, then correct.
    const n = this.length;
    let total = n * this.roundSize;
    const lastRound = this.roundsPerProperty - 1;
    const short = this.roundSize - (this.runs - lastRound * this.roundSize);
    if (short > 0) {
      for (let i = 0; i < this.ids.length; i++) {
        const k = lastRound * this.ids.length + i;
        if (k % this.shard.count === this.shard.index) total -= short;
      }
    }
    return total;
  }
}

/** The units of a finite campaign, in order (for tests and tools; campaigns use RoundPlan). */
export function planUnits(ids: readonly string[], runs: number, roundSize: number, shard: { index: number; count: number }): Unit[] {
  const plan = new RoundPlan(ids, runs, roundSize, shard);
  const out: Unit[] = [];
  for (let j = 0, u = plan.unit(0); u !== undefined; u = plan.unit(++j)) out.push(u);
  return out;
}

function reg(r: Reg): string {
  return `0x${r.toString(16)}`;
}

/** A finding's call: its registers, and its entry and unreadable block when it has them. */
function callJson(call: Call): NonNullable<Finding['call']> {
  return {
    a0: reg(call.a0), a1: reg(call.a1), a2: reg(call.a2), ...(call.entry ? { entry: call.entry } : {}),
    ...(unreadableBlock(call) ? { block: 'unreadable' } : {}),
    ...(call.syscall === 'socketpair' ? { syscall: 'socketpair', ...(call.sv !== undefined ? { sv: call.sv } : {}) } : {}),
  };
}

function envJson(env: Env): unknown {
  return JSON.parse(JSON.stringify({ ...env, profile: env.profile.name }, (_k, v) => (typeof v === 'bigint' ? reg(v) : v)));
}

/** The figures of a guest for the summary. */
function guestSummary(g: GuestOracle): GuestSummary {
  const b = g.stats.bootSeconds;
  return {
    boots: g.stats.boots, reboots: g.stats.reboots, retries: g.stats.retries, narrowingBoots: g.stats.narrowingBoots,
    bootSeconds: b.length === 0 ? 0 : Math.round((b.reduce((x, y) => x + y, 0) / b.length) * 100) / 100,
  };
}

function signatureOf(property: string, err: unknown): string {
  if (err instanceof Disagreement) return `${property}|${err.clause}|${err.model}|${err.kernel}`;
  if (err instanceof KernelFault) return `${property}|kernel ${err.symptom}|${(err.lines[0] ?? formatCall(err.calls[0])).replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 160)}`;
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return `${property}|${first.replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 160)}`;
}

/** How a campaign ended. */
export type CampaignStatus = 'complete' | 'time-budget' | 'interrupted';

function checkFinding(v: unknown, where: string): Finding {
  const f = v as Finding;
  if (typeof f.property !== 'string' || typeof f.signature !== 'string' || !Number.isSafeInteger(f.round)) {
    throw new ContractError(where, 'is not a finding (property, signature and round expected)', 'bad-file');
  }
  return f;
}

/**
 * Runs the campaign. With `out`, findings go to out/findings.jsonl the moment they are found and
 * out/progress.json records the rounds done; a campaign that finds progress there continues from
 * it (see state.ts), else it starts afresh.
 */
export async function runCampaign(opts: CampaignOptions): Promise<{ summary: CampaignSummary; findings: Finding[] }> {
  const now = opts.now ?? (() => 0);
  const t0 = now();
  const roundSize = opts.roundSize ?? 1000;
  const props = selectProperties(opts.properties, { oracle: opts.oracle !== undefined });
  const ids = props.map((p) => p.id);
  if (opts.runs === undefined && opts.timeMs === undefined && opts.shouldStop === undefined) throw new ContractError('--runs', 'a campaign needs a run count or a time budget');
  const plan = new RoundPlan(ids, opts.runs, roundSize, opts.shard);
  const out = opts.out;
  const findingsFile = out === undefined ? undefined : path.join(out, FINDINGS_FILE);
  const corpusFile = out === undefined ? undefined : path.join(out, CORPUS_FILE);
  const timelineFile = out === undefined ? undefined : path.join(out, TIMELINE_FILE);
  const cov = new Coverage();
  const covered = cov.covered;
  const findings: Finding[] = [];
  const perProp = new Map(ids.map((id) => [id, { runs: 0, rounds: 0 }]));
  let unitsDone = 0;
  let elapsedBefore = 0;
  const saved = out === undefined ? undefined : readProgress(out);
  if (out !== undefined && saved === undefined) {
    // Nothing recorded: a fresh start, whatever an earlier run left.
    fs.rmSync(findingsFile as string, { force: true });
    fs.rmSync(corpusFile as string, { force: true });
    fs.rmSync(timelineFile as string, { force: true });
  }
  if (saved !== undefined) {
    const pf = path.join(out as string, PROGRESS_FILE);
    if (saved.seed !== opts.seed) throw new ContractError('--resume', `${pf} belongs to seed ${saved.seed}, not ${opts.seed}`, 'state-mismatch');
    if (saved.unitsDone > plan.length) throw new ContractError(pf, `records ${saved.unitsDone} rounds done of a campaign that has ${plan.length}`, 'state-mismatch');
    const unknown = Object.keys(saved.perProperty).filter((k) => !perProp.has(k));
    if (unknown.length > 0) throw new ContractError(pf, `records properties this campaign does not run: ${unknown.join(', ')}`, 'state-mismatch');
    cutBack(findingsFile as string, saved.findingsBytes);
    cutBack(corpusFile as string, saved.corpusBytes);
    // A progress.json from before the timeline records no length: the timeline is kept as it is.
    if (saved.timelineBytes !== undefined) cutBack(timelineFile as string, saved.timelineBytes);
    unitsDone = saved.unitsDone;
    elapsedBefore = saved.elapsedMs;
    cov.load(saved.coverage);
    for (const [k, v] of Object.entries(saved.perProperty)) perProp.set(k, { runs: v.runs, rounds: v.rounds });
    readJsonLines(findingsFile as string).forEach((v, i) => findings.push(checkFinding(v, `${findingsFile}:${i + 1}`)));
  }
  const corpus = new CorpusWriter(corpusFile);
  // Every decision a property reports goes to the corpus, with the environment a kernel replays.
  // Counted from the recorded state, like everything else a resume carries on.
  const kernelCalls = { batches: saved?.kernelCalls?.batches ?? 0, calls: saved?.kernelCalls?.calls ?? 0, ms: saved?.kernelCalls?.ms ?? 0 };
  const ctx: PropertyContext = {
    profile: opts.profile, coverage: cov, ...(opts.oracle !== undefined ? { oracle: counted(opts.oracle, kernelCalls) } : {}),
    record: (call, env, trace, replayable) => { corpus.offer(call, envClassOf(env), trace, replayable); },
  };
  const steering = new ExploreSteering(opts.profile, opts.seed, roundSize);
  const totalRuns = plan.totalRuns;
  let runs = [...perProp.values()].reduce((n, p) => n + p.runs, 0);
  let status: CampaignStatus = 'complete';
  const elapsed = (): number => elapsedBefore + now() - t0;
  // Each save also samples the timeline (timeline.ts), and records its length for a resume.
  const timeline = new TimelineWriter(timelineFile, saved?.coverage.covered ?? []);
  const save = (): void => {
    if (out === undefined) return;
    corpus.flush();
    const ms = elapsed();
    const timelineBytes = timeline.sample(ms, runs, findings.length, covered);
    writeProgress(out, {
      seed: opts.seed, unitsDone, elapsedMs: ms, perProperty: Object.fromEntries(perProp), coverage: cov.toJSON(),
      findingsBytes: sizeOf(findingsFile as string), corpusBytes: sizeOf(corpusFile as string), timelineBytes,
      ...(opts.oracle !== undefined ? { kernelCalls: { ...kernelCalls } } : {}),
      ...(atomicity !== undefined ? { atomicity } : {}),
    });
  };
  // The atomicity race, once per campaign, before the rounds: its counts are the kernel's timing,
  // so a resume keeps the recorded result instead of racing again.
  let atomicity = saved?.atomicity;
  const raceMs = opts.raceMs ?? CAMPAIGN_RACE_MS;
  const race = ctx.oracle?.race;
  if (atomicity === undefined && race !== undefined && raceMs > 0 && opts.shard.index === 0 && opts.shouldStop?.() !== true) {
    atomicity = await runAtomicity({ race: (mode, ms, creators) => race(mode, ms, creators), durationMs: raceMs, kernel: opts.profile.name });
    if (!atomicity.verdict.atomic) {
      const a = atomicity.atomic;
      const f: Finding = {
        property: ATOMICITY_ID, signature: `${ATOMICITY_ID}|leak`, seed: opts.seed, round: 0,
        counterexample: `${a.leaked} sockets leaked into ${a.leakyProbes} of ${a.probes} exec'd probes, ${a.unflagged} of ${a.watched} new fds seen without their flags`,
        message: 'a socket made with SOCK_CLOEXEC|SOCK_NONBLOCK was visible without its flags (sockspec check --atomicity replays the race)',
      };
      findings.push(f);
      if (findingsFile !== undefined) appendLineSync(findingsFile, JSON.stringify(f));
    }
    save();
  }
  let lastSave = now();
  for (let u = plan.unit(unitsDone); u !== undefined; u = plan.unit(unitsDone)) {
    // Yield to the event loop between rounds, so that SIGINT/SIGTERM handlers get to run.
    await new Promise((resolve) => setImmediate(resolve));
    if (opts.shouldStop?.() === true) {
      status = 'interrupted';
      break;
    }
    if (opts.timeMs !== undefined && elapsed() > opts.timeMs) {
      status = 'time-budget';
      break;
    }
    const seed = roundSeed(opts.seed, u.property, u.round);
    const p = props.find((x) => x.id === u.property) as PropertyDef;
    // On a VM each shrinking step costs guest time (and a kernel that died, two boots): a VM
    // finding is the failing batch itself, narrowed by the property where a boot is needed.
    const endOnFailure = p.kind === 'kernel' && opts.oracle?.kind === 'vm';
    // The exploration steers by its own earlier rounds, replayed where this process did not run them.
    const own = new Coverage();
    const roundCtx = u.property === EXPLORE_ID ? { ...ctx, coverage: new TeeCoverage(cov, own), steer: steering.at(u.round) } : ctx;
    const prop = p.build(roundCtx);
    const params = { seed, numRuns: Math.max(1, Math.ceil(u.runs / (p.runsPerCase ?? 1))), ...(endOnFailure ? { endOnFailure } : {}) };
    const details = prop.isAsync() ? await fc.check(prop, params) : withoutStacks(() => fc.check(prop as fc.IProperty<unknown>, params));
    if (details.failed && details.errorInstance instanceof ExecutorError) {
      // The oracle failed (its executor died twice in one request, say): that says nothing about
      // the kernel, so it is no finding. Nothing of this round is saved (its coverage and corpus
      // include fast-check's shrinking runs): a resume redoes it from the last recorded state.
      throw new SockspecError('incomplete', `round ${u.key}`, `the oracle failed (${details.errorInstance.message}); every round before it is kept: resume the campaign`);
    }
    if (details.failed) {
      const err = details.errorInstance;
      const f: Finding = {
        property: u.property,
        signature: signatureOf(u.property, err),
        seed,
        round: u.round,
        ...(details.counterexamplePath !== null ? { path: details.counterexamplePath } : {}),
        ...(err instanceof Disagreement ? {
          strace: err.strace, call: callJson(err.call),
          env: envJson(err.env), model: err.model, kernel: err.kernel, clause: err.clause, details: err.details,
          request: requestLine(err.call, err.env, `${u.property}#${u.round}`),
        } : {}),
        ...(err instanceof KernelFault ? {
          env: envJson(err.env), request: requestLine(err.calls[0], err.env, `${u.property}#${u.round}`),
          call: callJson(err.calls[0]),
          kernelFault: { symptom: err.symptom, lines: err.lines, calls: err.calls.map(formatCall) },
        } : {}),
        ...(opts.kernelFlags !== undefined && (err instanceof Disagreement || err instanceof KernelFault) ? { kernelFlags: opts.kernelFlags } : {}),
        counterexample: fc.stringify(details.counterexample),
        message: err instanceof Error ? err.message : String(err),
      };
      findings.push(f);
      if (findingsFile !== undefined) appendLineSync(findingsFile, JSON.stringify(f));
    }
    if (u.property === EXPLORE_ID) steering.ran(u.round, own);
    // A round counts its planned runs (it stops at its first failure): the per-property figures
    // and the total are sums of the same numbers, so they agree after any resume or merge.
    const stat = perProp.get(u.property) as { runs: number; rounds: number };
    stat.runs += u.runs;
    stat.rounds++;
    runs += u.runs;
    unitsDone++;
    // At most once a second: a round redone after a resume starts from the same recorded state,
    // so it gives the same result (the files are cut back to the recorded lengths first).
    if (now() - lastSave >= 1000) {
      save();
      lastSave = now();
    }
    opts.onProgress?.({
      runs, totalRuns, elapsedMs: elapsed(), ...(opts.timeMs !== undefined ? { timeMs: opts.timeMs } : {}),
      findings: findings.length, clausesCovered: covered.size, clausesTotal: ALL_CLAUSES.length, unit: u.key,
    });
  }
  save();
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
    oracle: opts.oracle === undefined ? 'none' : opts.oracle.kind,
    ...(opts.oracle !== undefined ? { kernelCalls: { batches: kernelCalls.batches, calls: kernelCalls.calls, seconds: kernelCalls.ms / 1000 } } : {}),
    ...(opts.oracle instanceof GuestOracle ? { guest: guestSummary(opts.oracle) } : {}),
    kernel: opts.profile.name,
    seconds: elapsed() / 1000,
    shard: `${opts.shard.index + 1}/${opts.shard.count}`,
    status,
    stopped: status === 'interrupted',
    properties: ids.map((id) => {
      const s = perProp.get(id) as { runs: number; rounds: number };
      return { id, runs: s.runs, findings: findings.filter((f) => f.property === id).length, rounds: s.rounds };
    }),
    corpus: corpus.size,
    ...(atomicity !== undefined ? { atomicity } : {}),
  };
  return { summary, findings };
}
