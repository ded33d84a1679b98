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

/** The README text. */
export function renderReadme(res: BenchResults): string {
  const out = [
    '# Benchmarks',
    '',
    'Run with `npm run bench` (`npm run bench -- --quick`, `--only SECTIONS`). Every figure is divided by a baseline measured in',
    'the same run on the same machine: the model and the executor against a bare C loop making the',
    "same raw syscalls; the property loop against fast-check's own speed with a trivial predicate.",
    'Raw results: `bench/results/<date>.json`. Timing is never asserted in tests; a smoke test only',
    'checks that each suite runs.',
    '',
    `Machine: ${res.machine}. Date: ${res.date.slice(0, 10)}.`,
    '',
    '| suite | case | rate | ratio |',
    '|---|---|---|---|',
  ];
  for (const f of res.figures) {
    out.push(`| ${f.suite} | ${f.name} | ${rate(f.perSecond)} ${f.unit} | ${ratioText(f)} |`);
  }
  out.push('', ...res.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
