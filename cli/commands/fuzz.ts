// `sockspec fuzz`: runs a campaign with a progress bar on a terminal (a status line every few
// seconds otherwise), stops cleanly on Ctrl-C or SIGTERM keeping every finding, and writes
// summary.json and junit.xml atomically. `--replay-seed` replays one finding.
// Sources: engine/campaign/campaign.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ContractError, registerProfile, resolveProfile } from '../../contract';
import { PROPERTIES, runProperty } from '../../properties';
import { executorAvailable, HostOracle } from '../../oracle/host';
import { probeHostProfile } from '../../oracle/probe';
import { runCampaign, type CampaignProgress } from '../../engine/campaign/campaign';
import { mergeOutputs } from '../../engine/campaign/merge';
import { writeFileAtomic } from '../../engine/io';
import { writeReport } from '../../report/html';
import { writeCampaignFiles, writeMerged } from '../../report/outputs';
import { findingLines } from '../../report/text';
import { intArg, type Io } from '../shared';

export interface FuzzFlags {
  seed?: number;
  runs: number;
  time?: string;
  oracle?: string;
  kernel?: string;
  properties?: string;
  shard: string;
  out: string;
  resume?: string;
  replaySeed?: string;
  path?: string;
  json: boolean;
  workers?: number;
}

/** `90s`, `10m`, `2h` or plain seconds, in milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (m === null) throw new ContractError('--time', `expected a duration like 90s, 10m or 2h, got ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60000 : 3600000);
}

/** `i/n` as a 0-based index and a count. */
export function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && i >= 1 && i <= n)) throw new ContractError('--shard', `expected i/n with 1 <= i <= n, got ${JSON.stringify(v)}`);
  return { index: i - 1, count: n };
}

function list(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

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

/**
 * `--workers N`: N child processes, each a campaign of its own (with its own executor) over a
 * share of this shard's rounds, merged at the end. Worker j of N in shard i/n runs shard
 * (i + j·n)/(n·N), so the workers together run exactly the rounds of shard i/n, and the findings
 * do not depend on N.
 */
async function runWorkers(o: FuzzFlags, seed: number, dir: string, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const n = o.workers as number;
  const shard = parseShard(o.shard);
  const main = path.join(__dirname, '..', 'main.js');
  const dirs = Array.from({ length: n }, (_, j) => path.join(dir, `worker-${j + 1}`));
  const pass = (flag: string, v: string | undefined): string[] => (v === undefined ? [] : [flag, v]);
  const children = dirs.map((wd, j) => {
    const args = [main, 'fuzz', '--seed', String(seed), '--runs', String(o.runs), '--json', '--workers', '1',
      '--shard', `${shard.index + 1 + j * shard.count}/${shard.count * n}`,
      ...pass('--time', o.time), ...pass('--oracle', o.oracle), ...pass('--kernel', o.kernel), ...pass('--properties', o.properties),
      ...(o.resume !== undefined && fs.existsSync(path.join(wd, 'progress.json')) ? ['--resume', wd] : ['--out', wd])];
    return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  });
  const forward = (sig: NodeJS.Signals) => (): void => { for (const c of children) c.kill(sig); };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  if (!o.json) err(`sockspec fuzz: seed ${seed}, ${n} workers, shard ${o.shard}, output in ${dir}\n`);
  const timer = o.json ? undefined : setInterval(() => {
    const done = dirs.map((d) => {
      try {
        return (JSON.parse(fs.readFileSync(path.join(d, 'progress.json'), 'utf8')) as { unitsDone: number }).unitsDone;
      } catch {
        return 0;
      }
    });
    err(`fuzz: rounds done per worker: ${done.join(', ')}\n`);
  }, 5000);
  const codes = await Promise.all(children.map((c, j) => new Promise<number>((resolve) => {
    let stderr = '';
    c.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    c.stdout?.resume();
    c.on('close', (code) => {
      if (code !== 0 && code !== 1) err(`worker ${j + 1} failed (exit ${code}): ${stderr.trim()}\n`);
      resolve(code ?? 2);
    });
  })));
  if (timer !== undefined) clearInterval(timer);
  process.removeListener('SIGINT', onInt);
  process.removeListener('SIGTERM', onTerm);
  if (codes.some((c) => c !== 0 && c !== 1)) return 2;
  const summary = writeMerged(dirs, dir);
  const { findings } = mergeOutputs(dirs);
  const pf = path.join(dirs[0], 'profile.json');
  if (fs.existsSync(pf)) fs.copyFileSync(pf, path.join(dir, 'profile.json'));
  writeFileAtomic(path.join(dir, 'progress.json'), JSON.stringify({ seed, workers: n }));
  const report = writeReport(dir);
  if (!o.json) for (const f of findings) out(`${findingLines(f).join('\n')}\n`);
  out(o.json ? `${JSON.stringify(summary)}\n` : `${summary.findings === 0 ? 'no findings' : `${summary.findings} findings (${summary.uniqueFindings} distinct)`}: ${summary.runs} runs by ${n} workers, clause coverage ${summary.clausesCovered}/${summary.clausesTotal}, seed ${seed}; summary in ${path.join(dir, 'summary.json')}, report in ${report}\n`);
  return summary.findings === 0 ? 0 : 1;
}

/** Runs the fuzz command; resolves to the exit code. */
export async function fuzzCommand(o: FuzzFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (o.replaySeed !== undefined) return replay(o, out);
  const workers = o.workers ?? os.cpus().length;
  if (workers > 1) {
    const dir = o.resume ?? o.out;
    let seed = o.seed;
    if (o.resume !== undefined) {
      const pf = path.join(o.resume, 'progress.json');
      if (!fs.existsSync(pf)) throw new ContractError('--resume', `${pf} does not exist`);
      seed = (JSON.parse(fs.readFileSync(pf, 'utf8')) as { seed: number }).seed;
    }
    parseShard(o.shard);
    if (o.time !== undefined) parseDuration(o.time);
    return runWorkers({ ...o, workers }, seed ?? Date.now() & 0x7fffffff, dir, out, err);
  }
  if (o.oracle !== undefined && o.oracle !== 'host' && o.oracle !== 'none') throw new ContractError('--oracle', 'expected host or none');
  const shard = parseShard(o.shard);
  const timeMs = o.time === undefined ? undefined : parseDuration(o.time);
  const dir = o.resume ?? o.out;
  let seed = o.seed;
  if (o.resume !== undefined) {
    const pf = path.join(o.resume, 'progress.json');
    if (!fs.existsSync(pf)) throw new ContractError('--resume', `${pf} does not exist`);
    const saved = JSON.parse(fs.readFileSync(pf, 'utf8')) as { seed: number };
    if (seed !== undefined && seed !== saved.seed) throw new ContractError('--seed', `the campaign in ${o.resume} has seed ${saved.seed}`);
    seed = saved.seed;
  } else if (fs.existsSync(path.join(dir, 'progress.json'))) {
    for (const f of ['progress.json', 'findings.jsonl', 'summary.json', 'junit.xml']) fs.rmSync(path.join(dir, f), { force: true });
  }
  seed ??= Date.now() & 0x7fffffff;
  const useOracle = o.oracle === 'host' || (o.oracle === undefined && executorAvailable());
  if (o.oracle === 'host' && !executorAvailable()) throw new ContractError('--oracle', 'the host oracle needs root and a built executor (npm run build)');
  const oracle = useOracle ? await HostOracle.start() : undefined;
  try {
    let profile;
    const want = o.kernel ?? (oracle !== undefined ? 'host' : 'reference-6.18');
    if (want === 'host') {
      if (oracle === undefined) throw new ContractError('--kernel', 'the host profile is probed by the executor');
      profile = await probeHostProfile(oracle);
      registerProfile(profile);
    } else {
      profile = resolveProfile(want);
    }
    const tty = process.stderr.isTTY === true && !o.json;
    const bar = tty ? new cliProgress.SingleBar({
      format: 'fuzz [{bar}] {percentage}% | {value}/{total} runs | {rate} runs/s | findings {findings} | clauses {covered}/{clauses} | ETA {eta_formatted}',
      stream: process.stderr,
    }, cliProgress.Presets.shades_classic) : undefined;
    let stop = false;
    const onSignal = (): void => { stop = true; };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const t0 = Date.now();
    let lastLine = 0;
    const progress = (p: CampaignProgress): void => {
      const rate = Math.round(p.runs / Math.max(0.001, (Date.now() - t0) / 1000));
      if (bar !== undefined) {
        if (bar.getTotal() !== p.totalRuns) bar.start(p.totalRuns, 0, { rate, findings: 0, covered: 0, clauses: p.clausesTotal });
        bar.update(p.runs, { rate, findings: p.findings, covered: p.clausesCovered, clauses: p.clausesTotal });
      } else if (!o.json && Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        err(`fuzz: ${p.runs}/${p.totalRuns} runs, ${rate} runs/s, ${p.findings} findings, clauses ${p.clausesCovered}/${p.clausesTotal}, at ${p.unit}\n`);
      }
    };
    if (!o.json) err(`sockspec fuzz: seed ${seed}, kernel ${profile.name}, oracle ${oracle ? 'host' : 'none'}, shard ${o.shard}, ${o.runs} runs per property, output in ${dir}\n`);
    let result;
    try {
      result = await runCampaign({
        seed, runs: o.runs, profile, properties: list(o.properties), shard, out: dir,
        ...(oracle ? { oracle } : {}), ...(timeMs !== undefined ? { timeMs } : {}),
        onProgress: progress, shouldStop: () => stop, now: Date.now,
      });
    } finally {
      bar?.stop();
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    const { summary, findings } = result;
    const reportFile = writeCampaignFiles(dir, summary, findings, profile);
    if (o.json) {
      out(`${JSON.stringify(summary)}\n`);
    } else {
      const seen = new Set<string>();
      for (const f of findings) {
        if (seen.has(f.signature)) continue;
        seen.add(f.signature);
        out(`${findingLines(f).join('\n')}\n`);
      }
      out(`${summary.stopped ? 'stopped early (resume with --resume ' + dir + '); ' : ''}${summary.findings === 0 ? 'no findings' : `${summary.findings} findings (${summary.uniqueFindings} distinct)`}: ${summary.runs} runs in ${summary.seconds.toFixed(1)} s, clause coverage ${summary.clausesCovered}/${summary.clausesTotal}, seed ${seed}; summary in ${path.join(dir, 'summary.json')}, report in ${reportFile}\n`);
    }
    return summary.findings === 0 ? 0 : 1;
  } finally {
    await oracle?.close();
  }
}

export function register(program: Command, io: Io): void {
  program
    .command('fuzz')
    .description('the main job: every property, a coverage-guided exploration and the model ≡ kernel differential; exit 0 no findings, 1 findings, 2 bad input')
    .option('--seed <n>', 'campaign seed (default: from the clock, printed)', intArg('--seed', 0, 0x7fffffff))
    .option('--runs <n>', 'runs per property', intArg('--runs', 1), 10000)
    .option('--time <duration>', 'stop after this long (e.g. 90s, 10m, 2h); rounds in flight finish')
    .option('--oracle <oracle>', 'host: add the differential against the running kernel (default where the executor runs); none: model only')
    .option('--kernel <profile>', 'kernel profile (default: host where the executor runs)')
    .option('--properties <ids>', 'comma-separated property ids (default: all)')
    .option('--shard <i/n>', 'run the i-th of n deterministic shares of the rounds', '1/1')
    .option('--out <dir>', 'write findings.jsonl, summary.json, junit.xml and progress.json here', 'sockspec-out')
    .option('--resume <dir>', 'carry on a stopped campaign from its output folder (same seed and options)')
    .option('--replay-seed <n>', 'replay one finding: its round seed, with --properties ID and --path')
    .option('--path <path>', 'with --replay-seed: the counterexample path of the finding')
    .option('--workers <n>', 'child processes, each with its own executor (default: one per core)', intArg('--workers', 1, 256))
    .option('--json', 'print the summary as one JSON object', false)
    .action(async (o: FuzzFlags) => {
      io.setCode(await fuzzCommand(o, io.out, io.err));
    });
}
