// `sockspec fuzz`: the main job. For now it runs every property against the model with one seed
// and prints a summary; findings are written as they are found, the summary atomically at the end.
// Sources: properties/index.ts.

import * as path from 'node:path';
import { ALL_CLAUSES } from '../model';
import { runProperty, selectProperties, type PropertyResult } from '../properties';
import { appendLineSync, writeFileAtomic } from './io';

/** Options of a fuzz run. */
export interface FuzzOptions {
  readonly seed: number;
  readonly runs: number;
  readonly properties: readonly string[];
  readonly out?: string;
  readonly path?: string;
  readonly json: boolean;
}

/** The summary object written to summary.json and printed with --json. */
export interface FuzzSummary {
  readonly seed: number;
  readonly runs: number;
  readonly findings: number;
  readonly oracle: 'none';
  readonly kernel: string;
  readonly clausesTotal: number;
  readonly seconds: number;
  readonly properties: readonly PropertyResult[];
}

/** Runs the campaign; returns the exit code (0 no findings, 1 findings). */
export function runFuzz(opts: FuzzOptions, log: (line: string) => void): number {
  const props = selectProperties(opts.properties);
  const t0 = Date.now();
  const results: PropertyResult[] = [];
  if (!opts.json) log(`sockspec fuzz: ${props.length} properties, ${opts.runs} runs each, seed ${opts.seed}, oracle none`);
  for (const p of props) {
    const r = runProperty(p, { seed: opts.seed, numRuns: opts.runs, ...(opts.path ? { path: opts.path } : {}) }, Date.now);
    results.push(r);
    if (r.failed && opts.out !== undefined) {
      appendLineSync(path.join(opts.out, 'findings.jsonl'), JSON.stringify({
        property: r.id, seed: r.seed, path: r.path, counterexample: r.counterexample, error: r.error,
      }));
    }
    if (!opts.json) {
      log(`  ${r.failed ? 'FAIL' : 'ok  '} ${r.id.padEnd(28)} ${String(r.runs).padStart(7)} runs ${String(r.ms).padStart(6)} ms`);
      if (r.failed) {
        log(`       ${(r.error ?? '').split('\n').join('\n       ')}`);
        log(`       replay: sockspec fuzz --seed ${r.seed} --properties ${r.id} --path "${r.path}"`);
      }
    }
  }
  const summary: FuzzSummary = {
    seed: opts.seed,
    runs: results.reduce((n, r) => n + r.runs, 0),
    findings: results.filter((r) => r.failed).length,
    oracle: 'none',
    kernel: 'model (all shipped profiles)',
    clausesTotal: ALL_CLAUSES.length,
    seconds: (Date.now() - t0) / 1000,
    properties: results,
  };
  if (opts.out !== undefined) writeFileAtomic(path.join(opts.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (opts.json) log(JSON.stringify(summary));
  else log(`${summary.findings === 0 ? 'no findings' : `${summary.findings} finding(s)`}: ${summary.runs} runs of ${props.length} properties in ${summary.seconds.toFixed(1)} s (seed ${opts.seed})${opts.out ? `; summary in ${path.join(opts.out, 'summary.json')}` : ''}`);
  return summary.findings === 0 ? 0 : 1;
}
