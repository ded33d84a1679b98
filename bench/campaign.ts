// The per-worker rate of a model-only campaign beside fast-check's own loop: one worker's campaign
// as `fuzz --oracle none` runs it (every model property in rounds of 1000, with its folder: state,
// corpus, timeline), the same rounds run by fast-check alone (what the properties cost without the
// campaign), and the trivial-predicate loop of bench/suites.ts over the same number of runs, in
// alternating rounds so that all three see the same machine load; best of the rounds each.
// Sources: engine/campaign/campaign.ts, bench/suites.ts (propertySuite).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { reference618 } from '../model';
import { Coverage, EXPLORE_ID, selectProperties, type PropertyDef } from '../properties';
import { planUnits, roundSeed, runCampaign } from '../engine/campaign/campaign';
import { propertySuite } from './suites';
import type { Figure } from './report';

/** The figures' names in the `property loop` suite. */
export const CAMPAIGN_FIGURE = 'model-only campaign, one worker (every model property, rounds of 1000)';
export const BARE_FIGURE = 'the same rounds without the campaign (fast-check alone)';

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
 * Runs per second of the campaign's rounds without the campaign: each property built and seeded
 * as the campaign builds and seeds it (the exploration steered by its own earlier rounds), under
 * fast-check alone with stack capture off as in a campaign; no folder, corpus or timeline.
 */
function bareRate(runs: number): number {
  const props = selectProperties([], { oracle: false });
  const coverage = new Coverage();
  const explored = new Coverage();
  const limit = Error.stackTraceLimit;
  let n = 0;
  const t0 = process.hrtime.bigint();
  Error.stackTraceLimit = 0;
  try {
    for (const u of planUnits(props.map((p) => p.id), runs, 1000, { index: 0, count: 1 })) {
      const p = props.find((x) => x.id === u.property) as PropertyDef;
      const ctx = u.property === EXPLORE_ID ? { profile: reference618, coverage: explored, steer: explored } : { profile: reference618, coverage };
      fc.check(p.build(ctx) as fc.IProperty<unknown>, { seed: roundSeed(1, u.property, u.round), numRuns: u.runs });
      n += u.runs;
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
  return n / seconds(t0);
}

/**
 * The campaign's figure (runs per second, divided by the trivial loop timed in the same rounds;
 * target 0.7×), the same rounds without the campaign, and a note with the rates; `runs` per
 * property and campaign.
 */
export async function campaignFigure(opts: { runs: number; rounds: number }): Promise<{ figures: Figure[]; note: string }> {
  const trivial = propertySuite().cases.find((c) => c.name === 'fast-check, trivial predicate');
  if (trivial === undefined) throw new Error('bench/suites.ts has no trivial-predicate case');
  const perCall = trivial.opsPerCall ?? 1;
  const loops: number[] = [];
  const campaigns: number[] = [];
  const bare: number[] = [];
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
    bare.push(bareRate(opts.runs));
    if (round % 2 === 0) loops.push(loop(c.runs));
  }
  const base = Math.max(...loops);
  const rate = Math.max(...campaigns);
  const alone = Math.max(...bare);
  const k = (x: number): string => `${(x / 1000).toFixed(1)} k/s`;
  return {
    figures: [
      { suite: 'property loop', name: CAMPAIGN_FIGURE, unit: 'run', perSecond: rate, ratioTo: base, target: 0.7 },
      { suite: 'property loop', name: BARE_FIGURE, unit: 'run', perSecond: alone, ratioTo: base },
    ],
    note: `campaign: ${shape.properties} model properties × ${opts.runs.toLocaleString('en')} runs (${shape.runs.toLocaleString('en')} runs) in one process with its folder, best of ${opts.rounds}: ${k(rate)}; the same rounds by fast-check alone: ${k(alone)} (the campaign ${(rate / alone).toFixed(2)}× of it); the trivial fast-check loop over as many runs, in the same rounds: ${k(base)} (campaign ${(rate / base).toFixed(2)}×, fast-check alone ${(alone / base).toFixed(2)}×)`,
  };
}
