// Renders benchmark results as the table in bench/README.md: every figure with its ratio to the
// baseline measured in the same run, the target where the design sets one, the machine and date.

/** One measured figure. */
export interface Figure {
  suite: string;
  name: string;
  unit: string;
  perSecond: number;
  margin?: number;
  /** The baseline this figure is divided by (per second), measured in the same run. */
  ratioTo?: number;
  /** The target ratio (or, with targetAbsolute, the target rate). */
  target?: number;
  targetAbsolute?: boolean;
  baseline?: boolean;
}

export interface BenchResults {
  date: string;
  machine: string;
  figures: Figure[];
  memory: { at1M: number; atEnd: number };
  notes: string[];
  sink: number;
  /** What the run measured, for a later comparison (a commit, "before issue 19"). */
  label?: string;
}

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M/s`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k/s`;
  return `${n.toFixed(1)} /s`;
}

/** The ratio column: `12.3×` of the baseline, and whether it meets the target. */
export function ratioText(f: Figure): string {
  if (f.baseline) return 'baseline';
  if (f.targetAbsolute && f.target !== undefined) return `${f.perSecond >= f.target ? 'meets' : 'misses'} ≥ ${rate(f.target)}`;
  if (f.ratioTo === undefined) return '';
  const r = f.perSecond / f.ratioTo;
  const t = f.target === undefined ? '' : ` (target ≥ ${f.target}×: ${r >= f.target ? 'met' : 'missed'})`;
  return `${r.toFixed(r < 10 ? 2 : 1)}×${t}`;
}

/** What names a figure across runs: its suite and name, without the measured part of the name (a count or a time). */
export function figureKey(f: Pick<Figure, 'suite' | 'name'>): string {
  return `${f.suite}|${f.name.replace(/\s*[(:].*$/, '')}`;
}

/**
 * The `before` column for a figure: its ratio in the earlier run (or its rate, where it has no
 * ratio), and how the ratio moved (this run's ratio over the earlier one); blank when the earlier
 * run did not have the figure.
 */
export function beforeText(f: Figure, before: BenchResults): string {
  const b = before.figures.find((x) => figureKey(x) === figureKey(f));
  if (b === undefined) return '';
  const text = ratioText({ ...b, target: undefined }) || `${rate(b.perSecond)} ${b.unit}`;
  if (f.ratioTo === undefined || b.ratioTo === undefined || f.targetAbsolute) return text;
  return `${text} → ${((f.perSecond / f.ratioTo) / (b.perSecond / b.ratioTo)).toFixed(2)}× as fast`;
}

/** The README text; with `before` (an earlier run's results) a column compares each figure with it. */
export function renderReadme(res: BenchResults, before?: BenchResults): string {
  const out = [
    '# Benchmarks',
    '',
    'Run with `npm run bench` (`npm run bench -- --quick`, `--only SECTIONS`, `--compare EARLIER.json`). Every figure is divided by a baseline measured in',
    'the same run on the same machine: the model and the executor against a bare C loop making the',
    "same raw syscalls; the property loop against fast-check's own speed with a trivial predicate.",
    'Raw results: `bench/results/<date>.json`. Timing is never asserted in tests; a smoke test only',
    'checks that each suite runs. To measure one optimisation step, build the earlier commit elsewhere',
    'and run `node dist/bench/ab.js --before THAT/dist`: both validator cores in one process, alternating.',
    '',
    `Machine: ${res.machine}. Date: ${res.date.slice(0, 10)}.`,
    ...(before === undefined ? [] : [
      '',
      `The \`before\` column is the run of ${before.date.slice(0, 10)} (\`${before.label ?? 'an earlier run'}\`, the same machine kind): each`,
      'figure\'s ratio to its own run\'s baseline, and how far this run\'s ratio moved from it.',
    ]),
    '',
    before === undefined ? '| suite | case | rate | ratio |' : '| suite | case | rate | ratio | before |',
    before === undefined ? '|---|---|---|---|' : '|---|---|---|---|---|',
  ];
  for (const f of res.figures) {
    const cells = [f.suite, f.name, `${rate(f.perSecond)} ${f.unit}`, ratioText(f), ...(before === undefined ? [] : [beforeText(f, before)])];
    out.push(`| ${cells.join(' | ')} |`);
  }
  out.push('', ...res.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
