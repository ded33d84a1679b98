// `sockspec fuzz`: runs a campaign with a progress bar on a terminal (a status line every few
// seconds otherwise), stops cleanly on Ctrl-C or SIGTERM keeping every finding (exit 3), and
// writes summary.json and junit.xml atomically. The folder is checked, made and locked and the
// campaign recorded before any worker or executor starts; `--resume DIR` carries it on from its
// state alone. `--workers N` runs and supervises N child campaigns. `--replay-seed` replays one
// finding. `--oracle vm --kernel-image IMG` runs the differential on a kernel image kept up in
// QEMU, one guest per worker. Sources: engine/campaign/campaign.ts, engine/campaign/state.ts,
// oracle/vm/guest.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ContractError, parseProfileFile, registerProfile, resolveProfile, SockspecError } from '../../contract';
import type { KernelProfile } from '../../model';
import { PROPERTIES, runProperty, selectProperties } from '../../properties';
import { executorAvailable, HostOracle } from '../../oracle/host';
import { KERNEL_NAMES } from '../../oracle/kernels';
import type { KernelOracle } from '../../oracle/oracle';
import { probeHostProfile } from '../../oracle/probe';
import { probeGuestProfile, resolveVmKernel, startGuest } from '../../engine/vm';
import { runCampaign, type CampaignProgress, type CampaignSummary, type Finding } from '../../engine/campaign/campaign';
import {
  acquireLock, CAMPAIGN_FILE, identityConflicts, makeIdentity, PROGRESS_FILE, readIdentity, readProgress, RESULT_FILES, waitForLock,
  writeIdentity, type CampaignIdentity, type VmTarget,
} from '../../engine/campaign/state';
import { mergeOutputs } from '../../engine/campaign/merge';
import { checkBaseline, compareWithBaseline } from '../../engine/campaign/baseline';
import { ensureDir, writeFileAtomic } from '../../engine/io';
import { writeReport } from '../../report/html';
import { writeCampaignFiles, writeMerged } from '../../report/outputs';
import { findingLines } from '../../report/text';
import { EXIT, intArg, listArg, profileFor, requireHost, vmFlagsOnlyWithVm, type Io } from '../shared';

export interface FuzzFlags {
  seed?: number;
  runs: number;
  time?: string;
  oracle?: string;
  kernel?: string;
  kernelImage?: string;
  modules?: string;
  moduleMode?: string;
  properties?: string;
  shard: string;
  out: string;
  resume?: string;
  replaySeed?: string;
  path?: string;
  json: boolean;
  workers?: number;
  baseline?: string;
  failOn?: string;
}

/** `90s`, `10m`, `2h` or plain seconds, in milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (m === null) throw new ContractError('--time', `expected a duration like 90s, 10m or 2h, got ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60000 : 3600000);
  if (!(ms >= 1)) throw new ContractError('--time', `a campaign needs a time budget of at least 1ms, got ${JSON.stringify(v)}`);
  return ms;
}

/**
 * The shard of a job run by an engine that runs shards, for `--shard auto`: GitLab's parallel jobs
 * (CI_NODE_INDEX, 1-based, and CI_NODE_TOTAL), or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX,
 * 0-based, with the count passed by the manifest as JOB_COMPLETIONS, as examples/ does).
 */
export function autoShard(env: NodeJS.ProcessEnv): string {
  const int = (name: string): number => {
    const v = env[name] ?? '';
    if (!/^\d+$/.test(v.trim())) throw new ContractError('--shard', `auto: ${name} is ${JSON.stringify(v)}, not a number`);
    return Number(v);
  };
  if (env.CI_NODE_INDEX !== undefined || env.CI_NODE_TOTAL !== undefined) return `${int('CI_NODE_INDEX')}/${int('CI_NODE_TOTAL')}`;
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (env.JOB_COMPLETIONS === undefined) throw new ContractError('--shard', 'auto: JOB_COMPLETION_INDEX is set, but not JOB_COMPLETIONS (pass the Indexed Job\'s completions count to the pod as JOB_COMPLETIONS)');
    return `${int('JOB_COMPLETION_INDEX') + 1}/${int('JOB_COMPLETIONS')}`;
  }
  throw new ContractError('--shard', 'auto: no shard engine found (GitLab parallel jobs set CI_NODE_INDEX and CI_NODE_TOTAL; a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX, with JOB_COMPLETIONS from the manifest)');
}

/** `i/n` (or `auto`, from the environment) as a 0-based index and a count. */
export function parseShard(v: string, env: NodeJS.ProcessEnv = process.env): { index: number; count: number } {
  const text = v.trim() === 'auto' ? autoShard(env) : v;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && i >= 1 && i <= n)) throw new ContractError('--shard', `expected i/n with 1 <= i <= n${text !== v ? ` (auto gave ${text})` : ''}, got ${JSON.stringify(v)}`);
  return { index: i - 1, count: n };
}

const list = (v: string | undefined): string[] => (v === undefined ? [] : listArg(v));

/** Replays one property with a fixed round seed (and path): the finding's exact counterexample. */
function replay(o: FuzzFlags, out: (s: string) => void): number {
  const ids = list(o.properties);
  const p = PROPERTIES.find((x) => x.id === ids[0] && (x.kind ?? 'model') === 'model');
  if (ids.length !== 1 || p === undefined) throw new ContractError('--properties', 'with --replay-seed, name exactly one model property');
  const seed = Number(o.replaySeed);
  if (!Number.isInteger(seed)) throw new ContractError('--replay-seed', 'expected an integer');
  const r = runProperty(p, { seed, numRuns: o.runs, ...(o.path ? { path: o.path } : {}) });
  if (!r.failed) {
    out(`${p.id}: no failure with seed ${seed}${o.path ? ` and path ${o.path}` : ''}\n`);
    return 0;
  }
  out(`${p.id} fails: ${r.counterexample}\n${r.error}\n`);
  return 1;
}

/** Options named on the command line (not defaults): a resume compares exactly these with the campaign. */
export type Given = ReadonlySet<string>;

/** A VM campaign's profile that is probed from the image when the campaign starts (no --kernel, no shipped profile). */
const PROBED = 'probed';

/** The kernel image of `--oracle vm`, checked (a fetched name is fetched now), and the profile it ships with, if any. */
function vmTarget(o: FuzzFlags, log: (line: string) => void): { vm: VmTarget; defaultProfile?: string } {
  const c = resolveVmKernel(o.kernelImage, o.modules, o.moduleMode, log);
  const image = o.kernelImage as string;
  return {
    vm: { image: imageArg(image), modules: o.modules === undefined ? null : path.resolve(o.modules), moduleMode: o.moduleMode ?? null },
    ...(c.defaultProfile !== undefined ? { defaultProfile: c.defaultProfile } : {}),
  };
}

/** The profile a campaign's `kernel` names: `host` is probed through the campaign's own executor; a profile file or a shipped name as --kernel takes them. */
async function campaignProfile(kernel: string, oracle: KernelOracle | undefined): Promise<KernelProfile> {
  if (kernel !== 'host') return profileFor(kernel);
  const p = await probeHostProfile(oracle as HostOracle);
  registerProfile(p);
  return p;
}

/** An image as a campaign records it: a name `kernels fetch` knows as it is, a path made absolute. */
const imageArg = (image: string): string => (KERNEL_NAMES.includes(image) ? image : path.resolve(image));

/** The campaign a fresh `fuzz` starts: its identity, from the flags. */
function freshIdentity(o: FuzzFlags, given: Given, log: (line: string) => void): CampaignIdentity {
  if (o.oracle !== undefined && o.oracle !== 'host' && o.oracle !== 'vm' && o.oracle !== 'none') throw new ContractError('--oracle', 'expected host, vm or none');
  const oracle = o.oracle === 'vm' ? 'vm' : o.oracle === 'host' || (o.oracle === undefined && executorAvailable()) ? 'host' : 'none';
  if (oracle === 'host') requireHost('--oracle');
  vmFlagsOnlyWithVm(o, oracle === 'vm');
  const target = oracle === 'vm' ? vmTarget(o, log) : undefined;
  let kernel = o.kernel ?? (oracle === 'host' ? 'host' : oracle === 'vm' ? target?.defaultProfile ?? PROBED : 'reference-6.18');
  if (kernel === 'host' && oracle !== 'host') throw new ContractError('--kernel', 'the host profile is probed by the executor (add --oracle host, as root)', 'unavailable');
  if (kernel.endsWith('.json')) {
    kernel = path.resolve(kernel);
    parseProfileFile(kernel, fs.existsSync(kernel) ? fs.readFileSync(kernel, 'utf8') : undefined);
  } else if (kernel !== 'host' && kernel !== PROBED) {
    try {
      resolveProfile(kernel);
    } catch (e) {
      throw e instanceof SockspecError ? e.about('--kernel') : e;
    }
  }
  const shard = parseShard(o.shard);
  return makeIdentity({
    seed: o.seed ?? Date.now() & 0x7fffffff,
    // --time alone fuzzes until the time has passed; with --runs too, whichever ends first.
    runs: o.time !== undefined && !given.has('runs') ? null : o.runs,
    timeMs: o.time === undefined ? null : parseDuration(o.time),
    properties: selectProperties(list(o.properties), { oracle: oracle !== 'none' }).map((p) => p.id),
    shard: `${shard.index + 1}/${shard.count}`,
    kernel,
    oracle,
    ...(target !== undefined ? { vm: target.vm } : {}),
    workers: o.workers ?? os.cpus().length,
    roundSize: 1000,
    kernelRelease: oracle === 'host' ? os.release() : null,
    ...reportingOptions(o),
  });
}

/** --baseline and --fail-on, checked: where findings are set against a previous campaign, and which of them fail. */
function reportingOptions(o: FuzzFlags): { baseline: string | null; failOn: 'any' | 'new' } {
  if (o.failOn !== undefined && o.failOn !== 'any' && o.failOn !== 'new') throw new ContractError('--fail-on', `expected any or new, got ${JSON.stringify(o.failOn)}`);
  if (o.failOn === 'new' && o.baseline === undefined) throw new ContractError('--fail-on', 'new needs --baseline DIR (the campaign to compare with)');
  if (o.baseline !== undefined) checkBaseline(o.baseline);
  return { baseline: o.baseline === undefined ? null : path.resolve(o.baseline), failOn: o.failOn === 'new' ? 'new' : 'any' };
}

/** The saved campaign of `dir`, after checking that the options given agree with it. */
function resumedIdentity(dir: string, o: FuzzFlags, given: Given): CampaignIdentity {
  const id = readIdentity(dir);
  const want: { -readonly [K in keyof CampaignIdentity]?: CampaignIdentity[K] } = {};
  if (given.has('seed')) want.seed = o.seed;
  if (given.has('runs')) want.runs = o.runs;
  if (given.has('time')) want.timeMs = o.time === undefined ? null : parseDuration(o.time);
  if (given.has('oracle')) want.oracle = o.oracle as 'host' | 'vm' | 'none';
  if (given.has('kernel')) want.kernel = o.kernel !== undefined && o.kernel.endsWith('.json') ? path.resolve(o.kernel) : o.kernel;
  if (given.has('properties')) want.properties = selectProperties(list(o.properties), { oracle: id.oracle !== 'none' }).map((p) => p.id);
  if (given.has('kernelImage') || given.has('modules') || given.has('moduleMode')) {
    const vm = id.vm ?? { image: '', modules: null, moduleMode: null };
    want.vm = {
      image: given.has('kernelImage') && o.kernelImage !== undefined ? imageArg(o.kernelImage) : vm.image,
      modules: given.has('modules') && o.modules !== undefined ? path.resolve(o.modules) : vm.modules,
      moduleMode: given.has('moduleMode') ? o.moduleMode ?? null : vm.moduleMode,
    };
  }
  if (given.has('shard')) {
    const s = parseShard(o.shard);
    want.shard = `${s.index + 1}/${s.count}`;
  }
  if (given.has('workers')) want.workers = o.workers;
  if (given.has('baseline') || given.has('failOn')) {
    const r = reportingOptions(o);
    if (given.has('baseline')) want.baseline = r.baseline;
    if (given.has('failOn')) want.failOn = r.failOn;
  }
  const conflicts = identityConflicts(id, want);
  if (conflicts.length > 0) {
    throw new ContractError('--resume', `${dir} holds a campaign started with other options (${conflicts.join('; ')}); resume it with --resume alone, or start a new one with --out`, 'state-mismatch');
  }
  if (id.kernelRelease !== null && id.kernelRelease !== os.release()) {
    throw new ContractError('--resume', `${dir} ran against Linux ${id.kernelRelease}, and this kernel is ${os.release()}; a resume would mix two kernels`, 'state-mismatch');
  }
  if (id.oracle === 'host') requireHost('--resume');
  return id;
}

/**
 * A VM campaign with no profile named: the image's profile, probed once in a guest before any
 * worker starts, and kept in DIR/vm-profile.json (the campaign's `kernel` then names that file).
 */
async function probeVmProfile(id: CampaignIdentity, dir: string, log: (line: string) => void): Promise<CampaignIdentity> {
  const vm = id.vm as VmTarget;
  const { guest } = await startGuest(vm.image, vm.modules ?? undefined, vm.moduleMode ?? undefined, path.join(dir, 'probe'), log);
  try {
    const p = await probeGuestProfile(guest, vm.image);
    const file = path.join(path.resolve(dir), 'vm-profile.json');
    writeFileAtomic(file, `${JSON.stringify(p, null, 2)}\n`);
    return { ...id, kernel: file };
  } finally {
    await guest.close();
  }
}

/** The flags that name a VM campaign's kernel for a replay: `--oracle vm --kernel-image debian-6.12 …`. */
function vmFlags(vm: VmTarget): string {
  const q = (s: string): string => (/^[\w./+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  return `--oracle vm --kernel-image ${q(vm.image)}${vm.modules ? ` --modules ${q(vm.modules)}` : ''}${vm.moduleMode ? ` --module-mode ${vm.moduleMode}` : ''}`;
}

/** Runs one campaign (workers = 1) in `dir`; resolves to the exit code. */
async function runSingle(id: CampaignIdentity, dir: string, json: boolean, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [index, count] = id.shard.split('/').map(Number);
  const log = (line: string): void => { if (!json) err(`${line}\n`); };
  const oracle: KernelOracle | undefined = id.oracle === 'host' ? await HostOracle.start()
    : id.oracle === 'vm' ? (await startGuest(id.vm?.image as string, id.vm?.modules ?? undefined, id.vm?.moduleMode ?? undefined, path.join(dir, 'console'), log)).guest : undefined;
  try {
    const profile = await campaignProfile(id.kernel, oracle);
    const tty = process.stderr.isTTY === true && !json;
    const bar = tty ? new cliProgress.SingleBar({
      format: 'fuzz [{bar}] {percentage}% | {runs} runs | {rate} runs/s | findings {findings} | clauses {covered}/{clauses} | {left}',
      stream: process.stderr,
    }, cliProgress.Presets.shades_classic) : undefined;
    let stop = false;
    const onSignal = (): void => { stop = true; };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // A worker started by `fuzz --workers N` has an IPC channel to its parent: when the parent
    // dies, however, the channel closes and the worker stops after its round (its state is kept).
    if (process.channel !== undefined) {
      process.channel.unref();
      process.once('disconnect', onSignal);
    }
    const t0 = Date.now();
    let lastLine = 0;
    const progress = (p: CampaignProgress): void => {
      const rate = Math.round(p.runs / Math.max(0.001, (Date.now() - t0) / 1000));
      // Whichever budget ends first: the share of the runs done, or of the time spent.
      const byRuns = Number.isFinite(p.totalRuns) ? p.runs / p.totalRuns : 0;
      const byTime = p.timeMs !== undefined ? p.elapsedMs / p.timeMs : 0;
      const done = Math.min(1, Math.max(byRuns, byTime));
      const left = byTime >= byRuns && p.timeMs !== undefined ? `${formatDuration(p.timeMs - p.elapsedMs)} left`
        : `ETA ${formatDuration(rate > 0 ? ((p.totalRuns - p.runs) / rate) * 1000 : 0)}`;
      if (bar !== undefined) {
        if (bar.getTotal() !== 1000) bar.start(1000, 0, { runs: 0, rate, findings: 0, covered: 0, clauses: p.clausesTotal, left });
        bar.update(Math.round(done * 1000), { runs: p.runs, rate, findings: p.findings, covered: p.clausesCovered, clauses: p.clausesTotal, left });
      } else if (!json && Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        err(`fuzz: ${p.runs}${Number.isFinite(p.totalRuns) ? `/${p.totalRuns}` : ''} runs, ${rate} runs/s, ${p.findings} findings, clauses ${p.clausesCovered}/${p.clausesTotal}, ${left}, at ${p.unit}\n`);
      }
    };
    if (!json) err(`sockspec fuzz: seed ${id.seed}, kernel ${profile.name}, oracle ${id.oracle}${id.vm ? ` (${id.vm.image})` : ''}, shard ${id.shard}, ${budgetText(id)}, output in ${dir}\n`);
    let result;
    try {
      result = await runCampaign({
        seed: id.seed, ...(id.runs !== null ? { runs: id.runs } : {}), profile, properties: id.properties, shard: { index: index - 1, count }, out: dir, roundSize: id.roundSize,
        ...(oracle ? { oracle } : {}), ...(id.timeMs !== null ? { timeMs: id.timeMs } : {}), ...(id.vm ? { kernelFlags: vmFlags(id.vm) } : {}),
        onProgress: progress, shouldStop: () => stop, now: Date.now,
      });
    } finally {
      bar?.stop();
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('disconnect', onSignal);
    }
    const { findings } = result;
    const summary: CampaignSummary = id.baseline ? { ...result.summary, baseline: compareWithBaseline(id.baseline, findings) } : result.summary;
    const reportFile = writeCampaignFiles(dir, summary, findings, profile);
    if (json) {
      out(`${JSON.stringify(summary)}\n`);
    } else {
      const seen = new Set<string>();
      for (const f of findings) {
        if (seen.has(f.signature)) continue;
        seen.add(f.signature);
        out(`${markedLines(f, summary).join('\n')}\n`);
      }
      out(`${statusLine(summary, dir)}${summary.findings === 0 ? 'no findings' : `${summary.findings} findings (${summary.uniqueFindings} distinct)`}: ${summary.runs} runs in ${summary.seconds.toFixed(1)} s${kernelText(summary)}, clause coverage ${summary.clausesCovered}/${summary.clausesTotal}, seed ${id.seed}${atomicityText(summary)}${baselineText(summary)}; summary in ${path.join(dir, 'summary.json')}, report in ${reportFile}\n`);
    }
    return exitCodeOf(summary, id);
  } finally {
    await oracle?.close();
  }
}

/** `1h02m`, `3m05s`, `42s`. */
function formatDuration(ms: number): string {
  const t = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** What ends the campaign: `10000 runs per property`, `for 10m`, or both. */
function budgetText(id: CampaignIdentity): string {
  const time = id.timeMs !== null ? `for ${formatDuration(id.timeMs)}` : '';
  const runs = id.runs !== null ? `${id.runs} runs per property` : '';
  return runs && time ? `${runs} or ${time}, whichever ends first` : runs || time;
}

function statusLine(s: CampaignSummary, dir: string): string {
  if (s.status === 'interrupted') return `interrupted (carry on with sockspec fuzz --resume ${dir}); `;
  if (s.status === 'time-budget') return 'time budget reached; ';
  return '';
}

/** 3 when interrupted (whatever was found so far), else 1 with findings (with --fail-on new: new ones), else 0. */
function exitCodeOf(s: CampaignSummary, id: CampaignIdentity): number {
  if (s.status === 'interrupted') return EXIT.interrupted;
  const failing = id.failOn === 'new' && s.baseline !== undefined ? s.baseline.new.length : s.findings;
  return failing === 0 ? EXIT.ok : EXIT.findings;
}

/** A finding's lines, the first marked NEW or PERSISTING against the baseline when there is one. */
function markedLines(f: Finding, s: CampaignSummary): string[] {
  const lines = findingLines(f);
  if (s.baseline === undefined) return lines;
  return [`${s.baseline.new.includes(f.signature) ? 'NEW ' : 'PERSISTING '}${lines[0]}`, ...lines.slice(1)];
}

/** `, 12000 calls in the guest (4 boots, 5.1 s each, 0 reboots)`, or the host's calls, or nothing. */
function kernelText(s: CampaignSummary): string {
  const k = s.kernelCalls;
  if (k === undefined) return '';
  const rate = k.seconds > 0 ? `, ${Math.round(k.calls / k.seconds)} calls/s` : '';
  if (s.guest === undefined) return `, ${k.calls} calls on the kernel${rate}`;
  const g = s.guest;
  return `, ${k.calls} calls in the guest${rate} (${g.boots} boots, ${g.bootSeconds} s each, ${g.reboots} reboots after a death${g.narrowingBoots > 0 ? `, ${g.narrowingBoots} to narrow a finding` : ''})`;
}

/** `; atomicity race: 0 leaked with the flags, 392 with fcntl()`, or nothing when the campaign did not race. */
function atomicityText(s: CampaignSummary): string {
  const a = s.atomicity;
  if (a === undefined) return '';
  return `; atomicity race (${a.durationMs / 1000} s a half): ${a.atomic.leaked + a.atomic.unflagged} leaks with SOCK_CLOEXEC|SOCK_NONBLOCK, ${a.fcntl.leaked + a.fcntl.unflagged} with fcntl()${a.verdict.canFail ? '' : ' (the check could not show it can fail)'}`;
}

/** `; against the baseline DIR: N new, M persisting, K gone`, or nothing without --baseline. */
function baselineText(s: CampaignSummary): string {
  const b = s.baseline;
  return b === undefined ? '' : `; against the baseline ${b.dir}: ${b.new.length} new, ${b.persisting.length} persisting, ${b.gone.length} gone`;
}

/** How often a dead worker is restarted on its unfinished rounds before the campaign gives up. */
export const MAX_WORKER_RESTARTS = 3;

/** The campaign of worker j (0-based) of a campaign with N workers: shard (i + j·n)/(n·N). */
function workerIdentity(id: CampaignIdentity, j: number): CampaignIdentity {
  const [i, n] = id.shard.split('/').map(Number);
  return { ...id, shard: `${i + j * n}/${n * id.workers}`, workers: 1, baseline: null, failOn: 'any' };
}

/**
 * `--workers N`: N child processes, each a campaign of its own (with its own executor) over a
 * share of this shard's rounds, merged at the end. Worker j of N in shard i/n runs shard
 * (i + j·n)/(n·N), so the workers together run exactly the rounds of shard i/n. Each worker's
 * folder holds its own campaign.json (written here before it starts) and is always started as a
 * resume of it. Workers stop when this process dies (an IPC channel closes); a worker that dies
 * is restarted on its unfinished rounds, up to MAX_WORKER_RESTARTS times, and then the campaign
 * stops with an error (exit 4) rather than report a partial result as a whole one.
 */
async function runWorkers(id: CampaignIdentity, dir: string, json: boolean, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const n = id.workers;
  const main = path.join(__dirname, '..', 'main.js');
  const dirs = Array.from({ length: n }, (_, j) => path.join(dir, `worker-${j + 1}`));
  // Every worker's state is checked before any starts: a damaged folder stops the campaign here.
  dirs.forEach((wd, j) => {
    const want = workerIdentity(id, j);
    ensureDir(wd, '--out');
    if (fs.existsSync(path.join(wd, CAMPAIGN_FILE))) {
      const have = readIdentity(wd, wd);
      if (JSON.stringify(have) !== JSON.stringify(want)) throw new ContractError(path.join(wd, CAMPAIGN_FILE), 'does not belong to this campaign (another seed, shard or options)', 'state-mismatch');
      readProgress(wd);
    } else {
      writeIdentity(wd, want);
    }
  });
  // A worker orphaned by a killed parent finishes its round and stops; wait for it to let go.
  for (const wd of dirs) await waitForLock(wd, 120000);
  for (const f of RESULT_FILES) if (f !== CAMPAIGN_FILE) fs.rmSync(path.join(dir, f), { force: true });
  let stopping = false;
  let failure: SockspecError | undefined;
  const live = new Set<ChildProcess>();
  const stopAll = (sig: NodeJS.Signals): void => {
    stopping = true;
    for (const c of live) c.kill(sig);
  };
  const onInt = (): void => stopAll('SIGINT');
  const onTerm = (): void => stopAll('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  if (!json) err(`sockspec fuzz: seed ${id.seed}, ${n} workers, shard ${id.shard}, output in ${dir}\n`);
  const timer = json ? undefined : setInterval(() => {
    const done = dirs.map((d) => {
      try {
        return (JSON.parse(fs.readFileSync(path.join(d, PROGRESS_FILE), 'utf8')) as { unitsDone: number }).unitsDone;
      } catch {
        return 0;
      }
    });
    err(`fuzz: rounds done per worker: ${done.join(', ')}\n`);
  }, 5000);
  const runChild = (j: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> => new Promise((resolve) => {
    const c = spawn(process.execPath, [main, 'fuzz', '--resume', dirs[j], '--json'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    live.add(c);
    let stderr = '';
    c.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
    c.stdout?.resume();
    c.on('close', (code, signal) => {
      live.delete(c);
      resolve({ code, signal, stderr });
    });
  });
  await Promise.all(dirs.map(async (_wd, j) => {
    for (let restarts = 0; ; restarts++) {
      const r = await runChild(j);
      if (r.code === EXIT.ok || r.code === EXIT.findings || stopping) return;
      const how = r.signal !== null ? `killed by ${r.signal}` : `exit ${r.code}`;
      const why = r.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 600);
      if (r.code === EXIT.badInput) {
        failure ??= new ContractError(`worker-${j + 1}`, why || how, 'bad-file');
        stopAll('SIGTERM');
        return;
      }
      if (restarts >= MAX_WORKER_RESTARTS) {
        failure ??= new SockspecError('incomplete', `worker-${j + 1}`, `died ${restarts + 1} times (last: ${how}${why ? `: ${why}` : ''}); the other workers were stopped, every finished round is kept: resume with sockspec fuzz --resume ${dir}`);
        stopAll('SIGTERM');
        return;
      }
      err(`sockspec fuzz: worker ${j + 1} died (${how}); restarting it on its unfinished rounds (${restarts + 1} of ${MAX_WORKER_RESTARTS})\n`);
    }
  }));
  if (timer !== undefined) clearInterval(timer);
  process.removeListener('SIGINT', onInt);
  process.removeListener('SIGTERM', onTerm);
  if (failure !== undefined) throw failure;
  const finished = dirs.every((d) => fs.existsSync(path.join(d, 'summary.json')));
  if (!finished) {
    // Stopped before every worker wrote a summary: the state is all there is, and it is enough.
    out(json ? `${JSON.stringify({ seed: id.seed, status: 'interrupted', stopped: true, dir })}\n`
      : `interrupted before every worker finished a round (carry on with sockspec fuzz --resume ${dir})\n`);
    return EXIT.interrupted;
  }
  const summary = writeMerged(dirs, dir, id.baseline ?? undefined);
  const { findings } = mergeOutputs(dirs);
  const pf = path.join(dirs[0], 'profile.json');
  if (fs.existsSync(pf)) fs.copyFileSync(pf, path.join(dir, 'profile.json'));
  const report = writeReport(dir);
  if (!json) for (const f of findings) out(`${markedLines(f, summary).join('\n')}\n`);
  out(json ? `${JSON.stringify(summary)}\n` : `${statusLine(summary, dir)}${summary.findings === 0 ? 'no findings' : `${summary.findings} findings (${summary.uniqueFindings} distinct)`}: ${summary.runs} runs by ${n} workers${kernelText(summary)}, clause coverage ${summary.clausesCovered}/${summary.clausesTotal}, seed ${id.seed}${atomicityText(summary)}${baselineText(summary)}; summary in ${path.join(dir, 'summary.json')}, report in ${report}\n`);
  return exitCodeOf(summary, id);
}

/** Runs the fuzz command; resolves to the exit code. `given` names the options set on the command line. */
export async function fuzzCommand(o: FuzzFlags, out: (s: string) => void, err: (s: string) => void, given: Given = new Set()): Promise<number> {
  if (o.replaySeed !== undefined) return replay(o, out);
  // Every flag is checked, and the folder made and locked, before any worker or executor starts.
  const field = o.resume !== undefined ? '--resume' : '--out';
  const dir = o.resume ?? o.out;
  const log = (line: string): void => { if (!o.json) err(`${line}\n`); };
  const fresh = o.resume === undefined ? freshIdentity(o, given, log) : undefined;
  if (o.resume !== undefined && !fs.existsSync(o.resume)) throw new ContractError('--resume', `${o.resume} does not exist`, 'bad-file');
  ensureDir(dir, field);
  const release = acquireLock(dir, field);
  try {
    let id: CampaignIdentity;
    if (fresh !== undefined) {
      // A new campaign replaces whatever an earlier one left in the folder.
      if (fs.existsSync(path.join(dir, CAMPAIGN_FILE)) && !o.json) err(`sockspec fuzz: replacing the campaign in ${dir} (sockspec fuzz --resume ${dir} would have carried it on)\n`);
      for (const f of RESULT_FILES) fs.rmSync(path.join(dir, f), { force: true });
      for (const e of fs.readdirSync(dir)) if (/^worker-\d+$/.test(e)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
      id = fresh.kernel === PROBED ? await probeVmProfile(fresh, dir, log) : fresh;
      writeIdentity(dir, id);
    } else {
      id = resumedIdentity(dir, o, given);
      readProgress(dir);
    }
    for (const f of ['summary.json', 'junit.xml', 'report.html']) fs.rmSync(path.join(dir, f), { force: true });
    return id.workers > 1 ? await runWorkers(id, dir, o.json, out, err) : await runSingle(id, dir, o.json, out, err);
  } finally {
    release();
  }
}

export function register(program: Command, io: Io): void {
  program
    .command('fuzz')
    .description('the main job: every property, a coverage-guided exploration and the model ≡ kernel differential; exit 0 no findings, 1 findings, 2 bad input, 3 interrupted (resume it), 4 a worker kept dying')
    .option('--seed <n>', 'campaign seed (default: from the clock, printed)', intArg('--seed', 0, 0x7fffffff))
    .option('--runs <n>', 'runs per property (default 10000; with --time alone, no count: the time ends the campaign)', intArg('--runs', 1), 10000)
    .option('--time <duration>', 'fuzz for this long (e.g. 90s, 10m, 2h), rounds planned as they come; with --runs, whichever ends first')
    .option('--oracle <oracle>', 'host: add the differential against the running kernel (default where the executor runs); vm: against --kernel-image booted in QEMU; none: model only')
    .option('--kernel <profile>', 'kernel profile (default: host where the executor runs; with --oracle vm, the image\'s shipped profile, or one probed from it)')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12)')
    .option('--modules <dir>', "with --oracle vm: the image's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --oracle vm: preload (every socket-family module, then no loading; default), autoload or none')
    .option('--properties <ids>', 'comma-separated property ids (default: all)')
    .option('--shard <i/n>', 'run the i-th of n deterministic shares of the rounds; auto: from GitLab (CI_NODE_INDEX/CI_NODE_TOTAL) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, JOB_COMPLETIONS)', '1/1')
    .option('--out <dir>', 'write campaign.json, progress.json, findings.jsonl, corpus.jsonl, summary.json, junit.xml and report.html here (a folder in use is refused)', 'sockspec-out')
    .option('--resume <dir>', 'carry on a stopped or killed campaign from its output folder (it records every option; any given must agree)')
    .option('--replay-seed <n>', 'replay one finding: its round seed, with --properties ID and --path')
    .option('--path <path>', 'with --replay-seed: the counterexample path of the finding')
    .option('--workers <n>', 'child processes, each with its own executor (default: one per core)', intArg('--workers', 1, 256))
    .option('--baseline <dir>', "a previous campaign's folder: say which findings are new, which persist and which are gone")
    .option('--fail-on <which>', 'any: every finding exits 1 (default); new: only findings the baseline lacks', 'any')
    .option('--json', 'print the summary as one JSON object', false)
    .action(async (o: FuzzFlags, cmd: Command) => {
      const given = new Set(Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
      io.setCode(await fuzzCommand(o, io.out, io.err, given));
    });
}
