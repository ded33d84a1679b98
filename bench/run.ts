// `npm run bench`: runs every suite under benny, then the timed measurements
// benny cannot take (a model-only campaign against the trivial fast-check loop, the exhaustive
// check, the executor against a bare C loop, the VM oracle against the host oracle, memory over a
// 10M-run campaign), and writes bench/results/<date>.json and the table in bench/README.md.
// Every figure is reported with its ratio to a baseline measured in the same run.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import b from 'benny';
import { Command, CommanderError } from 'commander';
import { defaultEnv, evaluateOutcome, type Call } from '../model';
import { runCheck } from '../engine/check';
import { executorAvailable, HostOracle } from '../oracle/host';
import { SUITES, sinkValue, type BenchSuite } from './suites';
import { renderReadme, type BenchResults, type Figure } from './report';
import { guestFigures, vmFigures } from './vm';
import { campaignFigure } from './campaign';


function rootDir(): string {
  for (const d of [path.join(__dirname, '..'), path.join(__dirname, '..', '..')]) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
  }
  return process.cwd();
}

async function benny(s: BenchSuite, maxTime: number): Promise<Figure[]> {
  const summary = await b.suite(
    s.name,
    b.configure({ cases: { maxTime, minSamples: 5 } }),
    ...s.cases.map((c) => b.add(c.name, c.fn)),
    b.cycle(),
  );
  return summary.results.map((r, i) => {
    const c = s.cases[i];
    return { suite: s.name, name: c.name, unit: c.unit, perSecond: r.ops * (c.opsPerCall ?? 1), margin: r.margin };
  });
}

function best(rates: number[]): number {
  return Math.max(...rates);
}

/** Model evaluations per second for one call in a loop (the same call the C loop makes). */
function modelRate(call: Call, n: number): number {
  const env = defaultEnv();
  let k = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) k += evaluateOutcome(call, env).kind.length;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return k > 0 ? n / s : 0;
}

async function oracleFigures(figs: Figure[], notes: string[]): Promise<void> {
  const call: Call = { a0: 2, a1: 1, a2: 0 };
  if (!executorAvailable()) {
    notes.push('oracle figures skipped: the executor needs root and a build');
    return;
  }
  const oracle = await HostOracle.start();
  try {
    const n = 20000;
    const calls = Array.from({ length: n }, () => call);
    const loops: number[] = [];
    const runs: number[] = [];
    const models: number[] = [];
    for (let round = 0; round < 5; round++) {
      const l = await oracle.loop(call, n);
      loops.push(l.successes / (Number(l.elapsedNs) / 1e9));
      const t0 = process.hrtime.bigint();
      await oracle.run(defaultEnv(), calls);
      runs.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
      models.push(modelRate(call, 2_000_000));
    }
    const loop = best(loops);
    figs.push({ suite: 'oracle', name: 'bare C loop: socket(AF_INET, SOCK_STREAM, 0) + close', unit: 'call', perSecond: loop, baseline: true });
    figs.push({ suite: 'oracle', name: 'executor protocol (RUN, batches of 20,000)', unit: 'call', perSecond: best(runs), ratioTo: loop, target: 0.5 });
    figs.push({ suite: 'oracle', name: 'model evaluate, the same call', unit: 'evaluate', perSecond: best(models), ratioTo: loop, target: 50 });
  } finally {
    await oracle.close();
  }
}

async function checkFigure(figs: Figure[]): Promise<void> {
  const times: number[] = [];
  let points = 0;
  for (let i = 0; i < 3; i++) {
    const s = await runCheck({ profile: defaultEnv().profile, now: Date.now });
    times.push(s.seconds);
    points = s.points;
  }
  const t = Math.min(...times);
  figs.push({ suite: 'exhaustive check', name: `model-only, whole bounded space (${points} points), best of 3: ${t.toFixed(2)} s`, unit: 'point', perSecond: points / t, target: 2_000_000, targetAbsolute: true });
}

/** RSS over a long model-only campaign, measured in a fresh node process (bench/memory.ts). */
function memoryFigure(total: number, notes: string[]): { at1M: number; atEnd: number } {
  const script = path.join(__dirname, 'memory.js');
  const r = spawnSync(process.execPath, ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16', fs.existsSync(script) ? script : path.join(__dirname, 'memory.ts'), String(total)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`memory campaign failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout) as { rss: number[]; heap: number[]; seconds: number };
  const at1M = m.rss[0];
  const atEnd = m.rss[m.rss.length - 1];
  const mib = (x: number): string => (x / 2 ** 20).toFixed(1);
  notes.push(`memory: ${total.toLocaleString('en')} model-only property runs in a fresh process (${m.seconds.toFixed(0)} s); RSS after GC ${mib(at1M)} MiB at 1M, ${mib(atEnd)} MiB at ${total / 1e6}M (ratio ${(atEnd / at1M).toFixed(3)}; every million: ${m.rss.map(mib).join(', ')} MiB); heap in use ${mib(m.heap[0])} MiB at 1M, ${mib(m.heap[m.heap.length - 1])} MiB at the end`);
  return { at1M, atEnd };
}

/** The sections of a benchmark run, in order; `--only` picks some. */
export const BENCH_SECTIONS = ['suites', 'check', 'oracle', 'vm', 'memory'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** Runs the whole benchmark (or the `only` sections); `quick` shortens every measurement (for trying it out). */
export async function runBench(opts: { quick?: boolean; memoryRuns?: number; only?: readonly BenchSection[] } = {}): Promise<BenchResults> {
  const figs: Figure[] = [];
  const notes: string[] = [];
  const on = (s: BenchSection): boolean => opts.only === undefined || opts.only.includes(s);
  if (on('suites')) {
    for (const mk of SUITES) figs.push(...(await benny(mk(), opts.quick ? 0.2 : 1)));
    // Beside the property loop's figures: a campaign against the trivial loop, timed in its own rounds.
    const c = await campaignFigure(opts.quick ? { runs: 1000, rounds: 2 } : { runs: 5000, rounds: 3 });
    const last = figs.map((f) => f.suite).lastIndexOf('property loop');
    figs.splice(last + 1, 0, ...c.figures);
    notes.push(c.note);
  }
  if (on('check')) await checkFigure(figs);
  if (on('oracle')) await oracleFigures(figs, notes);
  if (on('vm')) await vmFigures(figs, notes, opts.quick ? { calls: 5000, rounds: 1 } : { calls: 65536, rounds: 3 });
  if (on('vm')) await guestFigures(figs, notes, opts.quick ? { calls: 5000, rounds: 1, seconds: 10 } : { calls: 65536, rounds: 3, seconds: 60 });
  const memory = on('memory') ? memoryFigure(opts.memoryRuns ?? (opts.quick ? 2_000_000 : 10_000_000), notes) : { at1M: 0, atEnd: 0 };
  const core = figs.find((f) => f.name === 'evaluate, realistic mix, no seccomp');
  const loop = figs.find((f) => f.baseline === true);
  for (const f of figs) {
    if (loop !== undefined && f.suite === 'validator core' && f.unit === 'evaluate') {
      f.ratioTo = loop.perSecond;
      f.target = f.name.includes('docker') ? 15 : f.name.includes('no seccomp') ? 50 : undefined;
    }
    if (f.name.startsWith('BPF translated')) {
      const interpreter = figs.find((x) => x.name.startsWith('BPF interpreter alone'));
      if (interpreter) f.ratioTo = interpreter.perSecond;
    }
    if (f.suite === 'property loop' && f.name.startsWith("fast-check, the model")) {
      const trivial = figs.find((x) => x.name === 'fast-check, trivial predicate');
      if (trivial) { f.ratioTo = trivial.perSecond; f.target = 0.7; }
    }
  }
  void core;
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: `${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node.js ${process.version}`,
    figures: figs,
    memory,
    notes,
    sink: sinkValue(),
  };
}

/**
 * Writes `res` to bench/results/<date>[-quick][-only-…].json (and, for a full run of every
 * section, bench/README.md); returns the file.
 */
export function writeBenchResults(res: BenchResults, quick: boolean, only?: readonly BenchSection[], before?: BenchResults): string {
  const dir = path.join(rootDir(), 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = res.date.slice(0, 10);
  const file = path.join(dir, `${stamp}${quick ? '-quick' : ''}${only ? `-only-${only.join('-')}` : ''}.json`);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(res, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  if (!quick && only === undefined) {
    const readme = path.join(rootDir(), 'bench', 'README.md');
    fs.writeFileSync(`${readme}.tmp`, renderReadme(res, before));
    fs.renameSync(`${readme}.tmp`, readme);
  }
  return file;
}

/** `npm run bench -- [--quick] [--only SECTIONS]`; resolves to the exit code (2 for a bad flag). */
async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('npm run bench --')
    .description('run the benchmarks (benny suites, the check, the executor against a bare C loop, the VM oracle against the host one, memory) and write bench/results/')
    .option('--quick', 'shorter measurements, results marked -quick, README left alone', false)
    .option('--only <sections>', `comma-separated sections: ${BENCH_SECTIONS.join(', ')} (vm: QEMU against the host oracle); README left alone`)
    .option('--compare <results.json>', 'an earlier run (bench/results/…json): the README gets a column with each figure then')
    .option('--label <text>', 'what this run measured (a commit, a branch), kept in the results for later comparisons')
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' ? 0 : 2;
    throw e;
  }
  const o = program.opts<{ quick: boolean; only?: string; compare?: string; label?: string }>();
  let before: BenchResults | undefined;
  if (o.compare !== undefined) {
    try {
      before = JSON.parse(fs.readFileSync(o.compare, 'utf8')) as BenchResults;
      if (!Array.isArray(before.figures) || typeof before.date !== 'string') throw new Error('not a results file: no figures or date');
    } catch (e) {
      process.stderr.write(`bench: --compare ${o.compare}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
  }
  const only = o.only?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const unknown = only?.find((x) => !(BENCH_SECTIONS as readonly string[]).includes(x));
  if (unknown !== undefined) {
    process.stderr.write(`bench: --only: unknown section ${unknown} (known: ${BENCH_SECTIONS.join(', ')})\n`);
    return 2;
  }
  const sections = only as BenchSection[] | undefined;
  const res = await runBench({ quick: o.quick, ...(sections ? { only: sections } : {}) });
  const file = writeBenchResults(o.label === undefined ? res : { ...res, label: o.label }, o.quick, sections, before);
  process.stdout.write(`results in ${path.relative(process.cwd(), file)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
