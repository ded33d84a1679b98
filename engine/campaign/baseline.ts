// A campaign against a previous one (`fuzz --baseline DIR`): which findings are new, which persist
// and which are gone, by signature (the property, and for the differential the clause and both
// results), so that a nightly pipeline can fail on new findings only (`--fail-on new`).
// Sources: engine/campaign/campaign.ts (signatures), engine/io.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError } from '../../contract';
import type { BaselineComparison, Finding } from './campaign';
import { readJsonLines } from '../io';
import { FINDINGS_FILE } from './state';

/** Checks that `dir` is a finished campaign folder to compare with (before any work starts). */
export function checkBaseline(dir: string): void {
  if (!fs.existsSync(path.join(dir, 'summary.json'))) {
    throw new ContractError('--baseline', `${dir} has no summary.json: give the output folder of a finished campaign`, 'bad-file');
  }
  baselineSignatures(dir);
}

function baselineSignatures(dir: string): Set<string> {
  const file = path.join(dir, FINDINGS_FILE);
  return new Set(readJsonLines(file).map((v, i) => {
    const sig = (v as { signature?: unknown }).signature;
    if (typeof sig !== 'string') throw new ContractError(`${file}:${i + 1}`, 'is not a finding (no signature)', 'bad-file');
    return sig;
  }));
}

/** Sets `findings` against the baseline campaign in `dir`. */
export function compareWithBaseline(dir: string, findings: readonly Finding[]): BaselineComparison {
  checkBaseline(dir);
  const before = baselineSignatures(dir);
  const now = [...new Set(findings.map((f) => f.signature))];
  const nowSet = new Set(now);
  return {
    dir,
    new: now.filter((s) => !before.has(s)),
    persisting: now.filter((s) => before.has(s)),
    gone: [...before].filter((s) => !nowSet.has(s)),
  };
}
