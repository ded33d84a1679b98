// `sockspec merge DIR…`: combines the outputs of shards (or of any campaigns with the same seed)
// into one summary, findings de-duplicated by signature, one corpus (the first entry for each
// class and clause), one timeline (the runs and findings added up and the clauses united at aligned
// times, timeline.ts) and one junit.xml.
// Sources: engine/campaign/campaign.ts (the output format), engine/campaign/timeline.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CampaignSummary, Finding, GuestSummary } from './campaign';
import { ContractError } from '../../contract';
import { mergeCorpora } from './corpus';
import { readJsonLines, readJsonObject } from '../io';
import { mergeTimelines, type TimelineSample } from './timeline';

/** The guests of several workers as one: counts summed, the mean boot time weighted by boots. */
function mergeGuests(gs: readonly GuestSummary[]): GuestSummary {
  const boots = gs.reduce((n, g) => n + g.boots, 0);
  return {
    boots,
    reboots: gs.reduce((n, g) => n + g.reboots, 0),
    retries: gs.reduce((n, g) => n + g.retries, 0),
    narrowingBoots: gs.reduce((n, g) => n + g.narrowingBoots, 0),
    bootSeconds: boots === 0 ? 0 : Math.round((gs.reduce((n, g) => n + g.bootSeconds * g.boots, 0) / boots) * 100) / 100,
  };
}

/** Merged outputs of several campaign folders (the timeline only when every folder has one). */
export function mergeOutputs(dirs: readonly string[]): { summary: CampaignSummary; findings: Finding[]; corpus: string[]; timeline?: TimelineSample[] } {
  if (dirs.length === 0) throw new ContractError('dirs', 'name at least one campaign output folder');
  const summaries: CampaignSummary[] = dirs.map((d) => {
    const f = path.join(d, 'summary.json');
    if (!fs.existsSync(f)) throw new ContractError(d, 'has no summary.json (is it a finished campaign folder?)', 'bad-file');
    const s = readJsonObject(f);
    if (!Number.isSafeInteger(s.seed) || !Number.isSafeInteger(s.runs) || !Array.isArray(s.properties) || !Array.isArray(s.uncovered)) {
      throw new ContractError(f, 'is not a campaign summary (seed, runs, properties and uncovered expected)', 'bad-file');
    }
    return s as unknown as CampaignSummary;
  });
  const seeds = new Set(summaries.map((s) => s.seed));
  if (seeds.size > 1) throw new ContractError('dirs', `the campaigns have different seeds (${[...seeds].join(', ')}); shards of one campaign share a seed`);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const d of dirs) {
    const f = path.join(d, 'findings.jsonl');
    readJsonLines(f).forEach((v, i) => {
      const finding = v as Finding;
      if (typeof finding.signature !== 'string' || typeof finding.property !== 'string') throw new ContractError(`${f}:${i + 1}`, 'is not a finding (property and signature expected)', 'bad-file');
      total++;
      if (seen.has(finding.signature)) return;
      seen.add(finding.signature);
      findings.push(finding);
    });
  }
  const corpus = mergeCorpora(dirs);
  const uncoveredEverywhere = summaries.map((s) => new Set(s.uncovered)).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
  const props = new Map<string, { id: string; runs: number; findings: number; rounds: number }>();
  for (const s of summaries) {
    for (const p of s.properties) {
      const m = props.get(p.id) ?? { id: p.id, runs: 0, findings: 0, rounds: 0 };
      m.runs += p.runs;
      m.findings += p.findings;
      m.rounds += p.rounds;
      props.set(p.id, m);
    }
  }
  const first = summaries[0];
  const summary: CampaignSummary = {
    seed: first.seed,
    runs: summaries.reduce((n, s) => n + s.runs, 0),
    findings: total,
    uniqueFindings: findings.length,
    clausesCovered: first.clausesTotal - uncoveredEverywhere.size,
    clausesTotal: first.clausesTotal,
    uncovered: [...uncoveredEverywhere],
    ...(() => {
      const byClass = new Map<string, Set<string>>();
      for (const s of summaries) {
        for (const [k, ids] of Object.entries(s.clausesByClass ?? {})) {
          const set = byClass.get(k) ?? new Set<string>();
          ids.forEach((id) => set.add(id));
          byClass.set(k, set);
        }
      }
      const keys = [...byClass.keys()].sort();
      return {
        coverageByClass: Object.fromEntries(keys.map((k) => [k, (byClass.get(k) as Set<string>).size])),
        clausesByClass: Object.fromEntries(keys.map((k) => [k, [...(byClass.get(k) as Set<string>)].sort()])),
      };
    })(),
    oracle: summaries.every((s) => s.oracle === first.oracle) ? first.oracle : 'none',
    ...(summaries.some((s) => s.kernelCalls !== undefined) ? {
      kernelCalls: {
        batches: summaries.reduce((n, s) => n + (s.kernelCalls?.batches ?? 0), 0),
        calls: summaries.reduce((n, s) => n + (s.kernelCalls?.calls ?? 0), 0),
        seconds: summaries.reduce((n, s) => n + (s.kernelCalls?.seconds ?? 0), 0),
      },
    } : {}),
    ...(summaries.some((s) => s.guest !== undefined) ? { guest: mergeGuests(summaries.flatMap((s) => (s.guest ? [s.guest] : []))) } : {}),
    kernel: [...new Set(summaries.map((s) => s.kernel))].join('+'),
    seconds: summaries.reduce((n, s) => Math.max(n, s.seconds), 0),
    // A merge of merges (workers within shards) lists the shards once: `merged 1/4, 3/4, 2/4, 4/4`.
    shard: `merged ${summaries.map((s) => s.shard.replace(/^merged /, '')).join(', ')}`,
    status: summaries.some((s) => s.status === 'interrupted' || (s.status === undefined && s.stopped)) ? 'interrupted'
      : summaries.some((s) => s.status === 'time-budget') ? 'time-budget' : 'complete',
    stopped: summaries.some((s) => s.status === 'interrupted' || (s.status === undefined && s.stopped)),
    properties: [...props.values()],
    corpus: corpus.length,
    // Shard 1 raced once for the whole campaign.
    ...(() => {
      const a = summaries.find((s) => s.atomicity !== undefined)?.atomicity;
      return a !== undefined ? { atomicity: a } : {};
    })(),
  };
  const timeline = mergeTimelines(dirs);
  return { summary, findings, corpus, ...(timeline !== undefined ? { timeline } : {}) };
}
