// A campaign's timeline.jsonl: one sample per line, taken whenever progress.json is saved (at most
// once a second, and at the end): the campaign time so far (resumes included), the runs done, the
// findings so far (every line of findings.jsonl, as the summary's `findings`) and the clauses
// covered, with the clauses first covered since the previous sample (`newClauses`), so that the
// coverage of merged workers or shards is an exact union at any time. A resume cuts the file back
// to the length progress.json recorded (state.ts), so the samples are those of an uninterrupted
// campaign but for the times. Sources: engine/campaign/state.ts, engine/io.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_CLAUSES } from '../../model';
import { ContractError } from '../../contract';
import { appendLineSync, readJsonLines } from '../io';
import { sizeOf, TIMELINE_FILE } from './state';

/** One sample of a running campaign. */
export interface TimelineSample {
  /** Campaign time in milliseconds (time before an interruption included; the wait in between not). */
  readonly elapsedMs: number;
  readonly runs: number;
  readonly findings: number;
  readonly clausesCovered: number;
  /** Clause ids first covered since the previous sample (absent when none). */
  readonly newClauses?: readonly string[];
}

/**
 * Appends samples to a campaign's timeline.jsonl (nothing without a folder), each with the clauses
 * covered since the previous one: it starts from the coverage recorded with the last sample kept.
 */
export class TimelineWriter {
  private readonly seen: Set<string>;

  constructor(private readonly file: string | undefined, covered: Iterable<string>) {
    this.seen = new Set(covered);
  }

  /** Appends one sample (the clauses of model/clauses.ts in `covered`); returns the file's length after it. */
  sample(elapsedMs: number, runs: number, findings: number, covered: ReadonlySet<string>): number {
    if (this.file === undefined) return 0;
    const ids = ALL_CLAUSES.filter((c) => covered.has(c.id)).map((c) => c.id);
    const fresh = ids.filter((id) => !this.seen.has(id)).sort();
    fresh.forEach((id) => this.seen.add(id));
    const line: TimelineSample = { elapsedMs: Math.round(elapsedMs), runs, findings, clausesCovered: ids.length, ...(fresh.length > 0 ? { newClauses: fresh } : {}) };
    appendLineSync(this.file, JSON.stringify(line));
    return sizeOf(this.file);
  }
}

const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Reads and checks a timeline file (none when it does not exist); a bad line is named `FILE:LINE`. */
export function readTimeline(file: string): TimelineSample[] {
  return readJsonLines(file).map((v, i) => {
    const o = v as Record<string, unknown>;
    const where = `${file}:${i + 1}`;
    if (!(typeof o.elapsedMs === 'number' && Number.isFinite(o.elapsedMs) && o.elapsedMs >= 0)) throw new ContractError(where, `is not a timeline sample (elapsedMs: expected milliseconds, got ${JSON.stringify(o.elapsedMs)})`, 'bad-file');
    for (const k of ['runs', 'findings', 'clausesCovered']) {
      if (!count(o[k])) throw new ContractError(where, `is not a timeline sample (${k}: expected a count, got ${JSON.stringify(o[k])?.slice(0, 40)})`, 'bad-file');
    }
    if (o.newClauses !== undefined && !(Array.isArray(o.newClauses) && o.newClauses.every((c) => typeof c === 'string'))) {
      throw new ContractError(where, 'is not a timeline sample (newClauses: expected clause ids)', 'bad-file');
    }
    return o as unknown as TimelineSample;
  });
}

/** DIR/timeline.jsonl, read and checked, or undefined when the folder has none (older versions). */
export function readTimelineOf(dir: string): TimelineSample[] | undefined {
  const file = path.join(dir, TIMELINE_FILE);
  return fs.existsSync(file) ? readTimeline(file) : undefined;
}

/**
 * The timeline of campaigns run side by side (workers of one campaign, or shards), as one: at each
 * time any of them sampled, the runs and findings of all of them added up and the clauses covered by
 * any of them (the union of their newClauses), each campaign counted by its latest sample at or
 * before that time (nothing before its first). Times are each campaign's own, which for workers or
 * shards started together is the same clock. Undefined unless every folder has a timeline.
 */
export function mergeTimelines(dirs: readonly string[]): TimelineSample[] | undefined {
  const series = dirs.map(readTimelineOf);
  if (series.length === 0 || series.some((s) => s === undefined || s.length === 0)) return undefined;
  const all = series as TimelineSample[][];
  const times = [...new Set(all.flatMap((s) => s.map((x) => x.elapsedMs)))].sort((a, b) => a - b);
  const next = all.map(() => 0);
  const latest: Array<TimelineSample | undefined> = all.map(() => undefined);
  const covered = new Set<string>();
  const out: TimelineSample[] = [];
  for (const t of times) {
    const fresh: string[] = [];
    all.forEach((s, j) => {
      while (next[j] < s.length && s[next[j]].elapsedMs <= t) {
        const x = s[next[j]++];
        latest[j] = x;
        for (const c of x.newClauses ?? []) {
          if (!covered.has(c)) {
            covered.add(c);
            fresh.push(c);
          }
        }
      }
    });
    const sum = (k: 'runs' | 'findings'): number => latest.reduce((n, x) => n + (x?.[k] ?? 0), 0);
    out.push({ elapsedMs: t, runs: sum('runs'), findings: sum('findings'), clausesCovered: covered.size, ...(fresh.length > 0 ? { newClauses: fresh.sort() } : {}) });
  }
  return out;
}
