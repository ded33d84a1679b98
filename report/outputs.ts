// A campaign folder's result files, written atomically: summary.json, junit.xml, profile.json and
// report.html after a campaign, and the same for merged shards (with their findings, corpus and timeline).
// Sources: engine/campaign/ (the data), report/junit.ts, report/html.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KernelProfile } from '../model';
import type { CampaignSummary, Finding } from '../engine/campaign/campaign';
import { CORPUS_FILE } from '../engine/campaign/corpus';
import { mergeOutputs } from '../engine/campaign/merge';
import { compareWithBaseline } from '../engine/campaign/baseline';
import { TIMELINE_FILE } from '../engine/campaign/state';
import { ensureDir, writeFileAtomic } from '../engine/io';
import type { SpecCheckSummary } from '../engine/spec-check';
import { writeReport } from './html';
import { junitXml } from './junit';
import { specCheckMarkdown } from './text';

/** Writes a finished (or stopped) campaign's summary.json, profile.json, report.html and junit.xml; returns the report's path. */
export function writeCampaignFiles(dir: string, summary: CampaignSummary, findings: readonly Finding[], profile: KernelProfile): string {
  writeFileAtomic(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'profile.json'), `${JSON.stringify(profile, null, 2)}\n`);
  const report = writeReport(dir);
  writeFileAtomic(path.join(dir, 'junit.xml'), junitXml(summary, findings));
  return report;
}

/** Writes the merged outputs into `out` (with `baseline`, their findings set against that campaign's). */
export function writeMerged(dirs: readonly string[], out: string, baseline?: string): CampaignSummary {
  const merged = mergeOutputs(dirs);
  const { findings, corpus } = merged;
  const summary: CampaignSummary = baseline === undefined ? merged.summary : { ...merged.summary, baseline: compareWithBaseline(baseline, findings) };
  ensureDir(out, '--out');
  if (corpus.length > 0) writeFileAtomic(path.join(out, CORPUS_FILE), corpus.map((l) => `${l}\n`).join(''));
  writeFileAtomic(path.join(out, 'findings.jsonl'), findings.map((f) => `${JSON.stringify(f)}\n`).join(''));
  // The merged timeline, or none when a folder has none (it would count that folder as idle).
  if (merged.timeline !== undefined) writeFileAtomic(path.join(out, TIMELINE_FILE), merged.timeline.map((x) => `${JSON.stringify(x)}\n`).join(''));
  else fs.rmSync(path.join(out, TIMELINE_FILE), { force: true });
  writeFileAtomic(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileAtomic(path.join(out, 'junit.xml'), junitXml(summary, findings));
  return summary;
}

/** Writes a spec check's spec-check.json and spec-check.md into `dir`. */
export function writeSpecCheckFiles(dir: string, summary: SpecCheckSummary): void {
  writeFileAtomic(path.join(dir, 'spec-check.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'spec-check.md'), specCheckMarkdown(summary));
}
