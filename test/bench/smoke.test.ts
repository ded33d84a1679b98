// Smoke test of the benchmarks: every case of every suite runs (once, no timing), so does the
// campaign figure, the workloads are a real mix of outcomes, and the report renders ratios
// against same-run baselines.
// Timing is measured by `npm run bench`, never asserted here.

import { SUITES } from '../../bench/suites';
import { mixedInputs, outcomeSpread } from '../../bench/workload';
import { ratioText, renderReadme, type BenchResults } from '../../bench/report';
import { BARE_FIGURE, CAMPAIGN_FIGURE, campaignFigure } from '../../bench/campaign';

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
});
