// Smoke test of the benchmarks: every case of every suite runs (once, no timing), so does the
// campaign figure, the workloads are a real mix of outcomes, and the report renders ratios
// against same-run baselines.
// Timing is measured by `npm run bench`, never asserted here.

import { SUITES } from '../../bench/suites';
import { mixedInputs, outcomeSpread } from '../../bench/workload';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeText, ratioText, renderReadme, type BenchResults } from '../../bench/report';
import { BARE_FIGURE, CAMPAIGN_FIGURE, campaignFigure } from '../../bench/campaign';
import { AB_CASES, runAb } from '../../bench/ab';

describe('benchmark suites', () => {
  for (const make of SUITES) {
    const suite = make();
    it.each(suite.cases.map((c) => [c.name, c]))(`${suite.name}: %s runs`, (_n, c) => {
      expect(() => { c.fn(); c.fn(); }).not.toThrow();
    });
  }

  it('the campaign figures run a model-only campaign and its rounds alone, each divided by the trivial loop timed beside them', async () => {
    const { figures, note } = await campaignFigure({ runs: 20, rounds: 2 });
    expect(figures.map((f) => f.name)).toEqual([CAMPAIGN_FIGURE, BARE_FIGURE]);
    expect(figures[0]).toMatchObject({ suite: 'property loop', unit: 'run', target: 0.7 });
    for (const f of figures) {
      expect(f.perSecond).toBeGreaterThan(0);
      expect(f.ratioTo).toBe(figures[0].ratioTo);
    }
    expect(note).toMatch(/^campaign: \d+ model properties × 20 runs \(\d+ runs\)/);
  });

  it('the realistic mix holds successes and several kinds of error', () => {
    const spread = outcomeSpread(mixedInputs());
    expect(spread.fd).toBeGreaterThan(200);
    expect(Object.keys(spread).length).toBeGreaterThan(6);
  });

  it('the report shows each figure against its baseline and the target', () => {
    const res: BenchResults = {
      date: '2026-01-01T00:00:00.000Z', machine: 'test machine', memory: { at1M: 1, atEnd: 1 }, notes: ['a note'], sink: 0,
      figures: [
        { suite: 'oracle', name: 'bare loop', unit: 'call', perSecond: 200_000, baseline: true },
        { suite: 'core', name: 'evaluate', unit: 'evaluate', perSecond: 12_000_000, ratioTo: 200_000, target: 50 },
        { suite: 'core', name: 'slow', unit: 'evaluate', perSecond: 2_000_000, ratioTo: 200_000, target: 15 },
      ],
    };
    expect(ratioText(res.figures[1])).toBe('60.0× (target ≥ 50×: met)');
    expect(ratioText(res.figures[2])).toBe('10.0× (target ≥ 15×: missed)');
    const md = renderReadme(res);
    expect(md).toContain('| oracle | bare loop | 200.0 k/s call | baseline |');
    expect(md).toContain('Machine: test machine. Date: 2026-01-01.');
  });

  it('an earlier run becomes a before column: its ratio, and how far the ratio moved, matched by name without the measured part', () => {
    const fig = (name: string, perSecond: number, ratioTo?: number) => ({ suite: 'core', name, unit: 'evaluate', perSecond, ...(ratioTo ? { ratioTo } : {}) });
    const before: BenchResults = {
      date: '2026-01-01T00:00:00.000Z', machine: 'm', memory: { at1M: 1, atEnd: 1 }, notes: [], sink: 0, label: 'f778c26',
      figures: [fig('evaluate', 2_000_000, 200_000), fig('check (100 points), best of 3: 2.00 s', 50), fig('gone', 1)],
    };
    const after: BenchResults = { ...before, date: '2026-02-01T00:00:00.000Z', label: undefined, figures: [fig('evaluate', 6_000_000, 300_000), fig('check (100 points), best of 3: 1.00 s', 100), fig('new', 1, 1)] };
    expect(beforeText(after.figures[0], before)).toBe('10.0× → 2.00× as fast');
    expect(beforeText(after.figures[1], before)).toBe('50.0 /s evaluate');
    expect(beforeText(after.figures[2], before)).toBe('');
    const md = renderReadme(after, before);
    expect(md).toContain('| suite | case | rate | ratio | before |');
    expect(md).toContain('| core | evaluate | 6.00 M/s evaluate | 20.0× | 10.0× → 2.00× as fast |');
    expect(md).toContain('the run of 2026-01-01 (`f778c26`');
    expect(renderReadme(after)).not.toContain('| before |');
    expect(renderReadme(after)).not.toContain('The `before` column');
  });

  it('the A/B runner measures every case with both builds (here the built dist beside itself)', () => {
    const dist = path.join(__dirname, '..', '..', 'dist');
    const res = runAb({ before: dist, after: dist, cases: AB_CASES, rounds: 1, n: 1000 });
    expect(res.map((r) => r.case)).toEqual([...AB_CASES]);
    for (const r of res) expect([r.before > 0, r.after > 0, r.ratio > 0]).toEqual([true, true, true]);
  });

  it('the A/B runner refuses a --before folder without a build (exit 2, the folder named)', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'bench', 'ab.js'), '--before', __dirname], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--before ${__dirname}: no built model there`);
  });

  it('a --compare file that is not a results file is refused before anything runs (exit 2, the file named)', () => {
    const script = path.join(__dirname, '..', '..', 'dist', 'bench', 'run.js');
    const r = spawnSync(process.execPath, [script, '--compare', __filename], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--compare ${__filename}`);
  });
});
