// `node dist/bench/ab.js --before OTHER/dist`: the validator core of this build beside another
// build's (an earlier commit built elsewhere), in one process, alternating rounds, best of each:
// the way to measure one optimisation step on a shared, noisy machine. Each build evaluates its
// own workload (bench/workload.ts as it was then), so a change to how calls are represented
// counts for the build that made it.
// Sources: bench/workload.ts, model/evaluate.ts (evaluateOutcome).

import * as path from 'node:path';
import { Command, CommanderError } from 'commander';

/** The cases: which workload of bench/workload.ts each runs. */
export const AB_CASES = ['mix', 'docker', 'three', 'inet', 'single'] as const;
export type AbCase = (typeof AB_CASES)[number];

interface Build {
  readonly evaluateOutcome: (call: unknown, env: unknown) => { kind: string };
  readonly items: ReadonlyArray<readonly [unknown, unknown]>;
}

interface WorkloadModule {
  mixedInputs(seccomp?: unknown[]): { items: ReadonlyArray<readonly [unknown, unknown]> };
  familyInputs(family: number): { items: ReadonlyArray<readonly [unknown, unknown]> };
  dockerStack(): unknown[];
  threeRawFilters(): unknown[];
}

function load(dist: string, which: AbCase): Build {
  // Another build, found at run time.
  const model = require(path.join(dist, 'model')) as { evaluateOutcome: Build['evaluateOutcome']; defaultEnv(): unknown; reg?: (x: bigint) => unknown };
  const w = require(path.join(dist, 'bench', 'workload')) as WorkloadModule;
  // The single call as that build's own generators would give it: canonical registers where it has them.
  const r = (x: bigint): unknown => (model.reg === undefined ? x : model.reg(x));
  const items = which === 'docker' ? w.mixedInputs(w.dockerStack()).items
    : which === 'three' ? w.mixedInputs(w.threeRawFilters()).items
      : which === 'inet' ? w.familyInputs(2).items
        : which === 'single' ? [[{ a0: r(2n), a1: r(1n), a2: r(0n) }, model.defaultEnv()] as const]
          : w.mixedInputs().items;
  return { evaluateOutcome: model.evaluateOutcome, items };
}

/** Evaluations per second of one round of at least `n` evaluations. */
function round(b: Build, n: number): number {
  let sink = 0;
  let done = 0;
  const t0 = process.hrtime.bigint();
  while (done < n) {
    for (const [c, e] of b.items) sink += b.evaluateOutcome(c, e).kind.length;
    done += b.items.length;
  }
  const rate = done / (Number(process.hrtime.bigint() - t0) / 1e9);
  return sink > 0 ? rate : 0;
}

/** One case: both builds' best rates over `rounds` alternating rounds, and after / before. */
export interface AbResult {
  readonly case: AbCase;
  readonly before: number;
  readonly after: number;
  readonly ratio: number;
}

/** Runs the cases with `before` and `after` (dist folders), `rounds` alternating rounds of `n` evaluations each. */
export function runAb(opts: { before: string; after: string; cases: readonly AbCase[]; rounds: number; n: number }): AbResult[] {
  return opts.cases.map((which) => {
    const builds = [load(opts.before, which), load(opts.after, which)];
    const best = [0, 0];
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) best[i] = Math.max(best[i], round(builds[i], opts.n));
    }
    return { case: which, before: best[0], after: best[1], ratio: best[1] / best[0] };
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('node dist/bench/ab.js')
    .description("this build's validator core beside another build's, alternating rounds in one process")
    .requiredOption('--before <dist>', "the other build's dist folder (e.g. a checkout of an earlier commit, built)")
    .option('--cases <list>', `comma-separated: ${AB_CASES.join(', ')}`, AB_CASES.join(','))
    .option('--rounds <n>', 'alternating rounds per case (best of each)', '7')
    .option('--evaluations <n>', 'evaluations per round', '2000000')
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' ? 0 : 2;
    throw e;
  }
  const o = program.opts<{ before: string; cases: string; rounds: string; evaluations: string }>();
  const cases = o.cases.split(',').map((x) => x.trim());
  const bad = cases.find((c) => !(AB_CASES as readonly string[]).includes(c));
  const rounds = Number(o.rounds);
  const n = Number(o.evaluations);
  const problem = bad !== undefined ? `--cases: unknown case ${bad} (known: ${AB_CASES.join(', ')})`
    : !Number.isInteger(rounds) || rounds < 1 ? `--rounds: ${o.rounds} is not a positive integer`
      : !Number.isInteger(n) || n < 1 ? `--evaluations: ${o.evaluations} is not a positive integer` : undefined;
  if (problem !== undefined) {
    process.stderr.write(`ab: ${problem}\n`);
    return 2;
  }
  let before: string;
  try {
    before = path.resolve(o.before);
    require.resolve(path.join(before, 'model'));
  } catch {
    process.stderr.write(`ab: --before ${o.before}: no built model there (expected ${path.join(o.before, 'model', 'index.js')})\n`);
    return 2;
  }
  for (const r of runAb({ before, after: path.join(__dirname, '..'), cases: cases as AbCase[], rounds, n })) {
    process.stdout.write(`${r.case.padEnd(7)} before ${(r.before / 1e6).toFixed(2)} M/s  after ${(r.after / 1e6).toFixed(2)} M/s  after/before ${r.ratio.toFixed(2)}\n`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`ab: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
