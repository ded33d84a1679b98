// The per-worker rate of a model-only campaign beside fast-check's own loop: one worker's campaign
// as `fuzz --oracle none` runs it (every model property in rounds of 1000, with its folder: state,
// corpus, timeline), and the trivial-predicate loop of bench/suites.ts over the same number of runs,
// in alternating rounds so that both see the same machine load; best of the rounds each.
// Sources: engine/campaign/campaign.ts, bench/suites.ts (propertySuite).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reference618 } from '../model';
import { runCampaign } from '../engine/campaign/campaign';
import { propertySuite } from './suites';
import type { Figure } from './report';

/** The figure's name in the `property loop` suite. */
export const CAMPAIGN_FIGURE = 'model-only campaign, one worker (every model property, rounds of 1000)';

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Runs per second of one model-only campaign of `runs` runs per property, in a fresh folder. */
async function campaignRate(runs: number): Promise<{ rate: number; runs: number; properties: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-bench-'));
  try {
    const t0 = process.hrtime.bigint();
    const { summary } = await runCampaign({ seed: 1, runs, profile: reference618, properties: [], shard: { index: 0, count: 1 }, out: dir, now: Date.now });
    return { rate: summary.runs / seconds(t0), runs: summary.runs, properties: summary.properties.length };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The campaign's figure (runs per second, divided by the trivial loop timed in the same rounds;
 * target 0.7×) and a note with both rates; `runs` per property and campaign.
 */
export async function campaignFigure(opts: { runs: number; rounds: number }): Promise<{ figure: Figure; note: string }> {
  const trivial = propertySuite().cases.find((c) => c.name === 'fast-check, trivial predicate');
  if (trivial === undefined) throw new Error('bench/suites.ts has no trivial-predicate case');
  const perCall = trivial.opsPerCall ?? 1;
  const loops: number[] = [];
  const campaigns: number[] = [];
  let shape = { runs: 0, properties: 0 };
  const loop = (runs: number): number => {
    const calls = Math.max(1, Math.round(runs / perCall));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) trivial.fn();
    return (calls * perCall) / seconds(t0);
  };
  for (let round = 0; round < opts.rounds; round++) {
    // The loop first in odd rounds, so that neither is always the one after a pause.
    if (round % 2 === 1) loops.push(loop(shape.runs));
    const c = await campaignRate(opts.runs);
    campaigns.push(c.rate);
    shape = c;
    if (round % 2 === 0) loops.push(loop(c.runs));
  }
  const base = Math.max(...loops);
  const rate = Math.max(...campaigns);
  const k = (x: number): string => `${(x / 1000).toFixed(1)} k/s`;
  return {
    figure: { suite: 'property loop', name: CAMPAIGN_FIGURE, unit: 'run', perSecond: rate, ratioTo: base, target: 0.7 },
    note: `campaign: ${shape.properties} model properties × ${opts.runs.toLocaleString('en')} runs (${shape.runs.toLocaleString('en')} runs) in one process with its folder, best of ${opts.rounds}: ${k(rate)}; the trivial fast-check loop over as many runs, in the same rounds: ${k(base)} (${(rate / base).toFixed(2)}×)`,
  };
}
