// Nightly history (`sockspec report NIGHT1 NIGHT2 …`): the figures of several finished campaign
// folders, night by night: runs, findings (all, distinct, and new against the previous night, by
// signature as `fuzz --baseline` does) and clause coverage. Nights are ordered by the time their
// campaign started (campaign.json's startedAt); when a folder does not record it (an older
// version, or `sockspec merge` output), they stay in the order given, and the result says so.
// Sources: engine/campaign/baseline.ts (new findings), engine/campaign/state.ts (campaign.json).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError } from '../../contract';
import type { Finding } from './campaign';
import { compareWithBaseline } from './baseline';
import { readJsonLines, readJsonObject } from '../io';
import { CAMPAIGN_FILE, FINDINGS_FILE, readIdentity } from './state';

/** One night: a finished campaign folder's figures. */
export interface Night {
  readonly dir: string;
  /** When the campaign started (ISO 8601), when campaign.json records it. */
  readonly startedAt?: string;
  readonly seed: number;
  readonly kernel: string;
  readonly status: string;
  readonly seconds: number;
  readonly runs: number;
  /** Every finding (lines of findings.jsonl), and the distinct ones (signatures). */
  readonly findings: number;
  readonly uniqueFindings: number;
  /** Distinct findings whose signature the previous night's findings.jsonl lacks; null for the first night. */
  readonly newFindings: number | null;
  /** Signatures of the previous night that this one did not find; null for the first night. */
  readonly goneFindings: number | null;
  readonly newSignatures: readonly string[];
  readonly clausesCovered: number;
  readonly clausesTotal: number;
}

/** The nights in order, and how they were ordered. */
export interface Trends {
  readonly nights: readonly Night[];
  /** start: by campaign.json's startedAt; given: as named (some folder records no start). */
  readonly order: 'start' | 'given';
  /** The folders that record no start (why the order is the one given). */
  readonly withoutStart: readonly string[];
}

const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The figures of one finished campaign folder; anything else is a ContractError naming the file. */
function readNight(dir: string): Omit<Night, 'newFindings' | 'goneFindings' | 'newSignatures'> & { signatures: Finding[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ContractError(dir, 'is not a folder (name campaign output folders, one a night)', 'bad-file');
  const sf = path.join(dir, 'summary.json');
  const cf = path.join(dir, CAMPAIGN_FILE);
  if (!fs.existsSync(sf)) {
    throw new ContractError(sf, fs.existsSync(cf)
      ? 'does not exist: the campaign has not finished (resume it with sockspec fuzz --resume, or leave the folder out)'
      : `does not exist: ${dir} is not a campaign folder (sockspec fuzz --out or sockspec merge --out writes one)`, 'bad-file');
  }
  const s = readJsonObject(sf);
  for (const k of ['runs', 'findings', 'uniqueFindings', 'clausesCovered', 'clausesTotal']) {
    if (!count(s[k])) throw new ContractError(sf, `is not a campaign summary (field ${k}: expected a count, got ${JSON.stringify(s[k])?.slice(0, 40)})`, 'bad-file');
  }
  if (!Number.isSafeInteger(s.seed)) throw new ContractError(sf, `is not a campaign summary (field seed: expected an integer, got ${JSON.stringify(s.seed)?.slice(0, 40)})`, 'bad-file');
  if (typeof s.kernel !== 'string') throw new ContractError(sf, 'is not a campaign summary (field kernel: expected a profile name)', 'bad-file');
  const ff = path.join(dir, FINDINGS_FILE);
  const findings = readJsonLines(ff).map((v, i) => {
    if (typeof (v as Finding).signature !== 'string') throw new ContractError(`${ff}:${i + 1}`, 'is not a finding (no signature)', 'bad-file');
    return v as Finding;
  });
  const startedAt = fs.existsSync(cf) ? readIdentity(dir, cf).startedAt : undefined;
  const status = typeof s.status === 'string' ? s.status : s.stopped === true ? 'interrupted' : 'complete';
  return {
    dir, ...(startedAt !== undefined ? { startedAt } : {}), seed: s.seed as number, kernel: s.kernel, status, seconds: typeof s.seconds === 'number' ? s.seconds : 0,
    runs: s.runs as number, findings: s.findings as number, uniqueFindings: s.uniqueFindings as number,
    clausesCovered: s.clausesCovered as number, clausesTotal: s.clausesTotal as number, signatures: findings,
  };
}

/** Reads the nights in `dirs`, orders them, and sets each night's findings against the previous one's. */
export function readTrends(dirs: readonly string[]): Trends {
  if (dirs.length === 0) throw new ContractError('dirs', 'name at least one campaign output folder');
  const read = dirs.map(readNight);
  const withoutStart = read.filter((n) => n.startedAt === undefined).map((n) => n.dir);
  const order = withoutStart.length === 0 ? 'start' : 'given';
  // A stable sort: nights that started at the same time keep the order given.
  const sorted = order === 'start' ? [...read].sort((a, b) => Date.parse(a.startedAt as string) - Date.parse(b.startedAt as string)) : read;
  const nights = sorted.map(({ signatures, ...n }, i): Night => {
    if (i === 0) return { ...n, newFindings: null, goneFindings: null, newSignatures: [] };
    const c = compareWithBaseline(sorted[i - 1].dir, signatures);
    return { ...n, newFindings: c.new.length, goneFindings: c.gone.length, newSignatures: c.new };
  });
  return { nights, order, withoutStart };
}
