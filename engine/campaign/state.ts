// A campaign folder's state, which is the truth about the campaign: campaign.json (what the
// campaign is: seed, properties, budget, shard, kernel, oracle, workers), written atomically
// before any work; progress.json (which rounds are done, the coverage and per-property figures at
// that point, and how long findings.jsonl and corpus.jsonl were then), written atomically after
// rounds; timeline.jsonl (the runs, findings and clause coverage sampled whenever progress.json is
// saved, for the report's charts over time); and a lock file naming the process that owns the folder. `--resume DIR` needs nothing
// but the folder, refuses options that contradict it, and continues from the last recorded round
// exactly as an uninterrupted campaign would have (the files appended after it are cut back).
// Sources: engine/io.ts (atomic writes); proc(5) (/proc/PID/stat field 22, the start time that
// tells a live owner from a reused pid).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContractError } from '../../contract';
import { readJsonObject, writeFileAtomic } from '../io';
import type { AtomicityResult } from '../atomicity';

export const CAMPAIGN_FILE = 'campaign.json';
export const PROGRESS_FILE = 'progress.json';
export const LOCK_FILE = 'lock';
export const FINDINGS_FILE = 'findings.jsonl';
/** One sample per line (engine/campaign/timeline.ts), appended each time progress.json is saved. */
export const TIMELINE_FILE = 'timeline.jsonl';
/** Files a fresh campaign replaces (a folder may be reused for a new campaign when not locked). */
export const RESULT_FILES = [CAMPAIGN_FILE, PROGRESS_FILE, FINDINGS_FILE, 'corpus.jsonl', TIMELINE_FILE, 'summary.json', 'junit.xml', 'report.html', 'profile.json'];

const FORMAT = 'sockspec-campaign/1';

/** What a campaign is; two runs with the same identity give the same result. */
export interface CampaignIdentity {
  readonly format: typeof FORMAT;
  readonly seed: number;
  /** Runs per property; null: no count, the time budget ends the campaign. */
  readonly runs: number | null;
  /** The time budget in milliseconds, null for none. */
  readonly timeMs: number | null;
  /** Property ids, resolved (never empty). */
  readonly properties: readonly string[];
  /** `i/n`, 1-based. */
  readonly shard: string;
  /** The kernel profile asked for (`host` is probed afresh on resume). */
  readonly kernel: string;
  readonly oracle: 'host' | 'vm' | 'none';
  /** With the VM oracle: the kernel image booted (a fetched name or a path), its modules and module mode. */
  readonly vm?: VmTarget | null;
  /** Child processes: 1 runs the rounds here; N > 1 splits them over worker-1 … worker-N. */
  readonly workers: number;
  readonly roundSize: number;
  /** The running kernel's release when the host takes part (oracle or probed profile), else null. */
  readonly kernelRelease: string | null;
  /**
   * When the campaign was started (ISO 8601, wall clock): `sockspec report NIGHT…` orders nights by
   * it. Not part of what the campaign does; absent in folders of older versions.
   */
  readonly startedAt?: string;
  /** A previous campaign's folder to set the findings against (--baseline), or null. */
  readonly baseline?: string | null;
  /** any: findings exit 1; new: only findings the baseline lacks exit 1 (--fail-on). */
  readonly failOn?: 'any' | 'new';
}

/** The kernel a VM campaign boots: `--kernel-image`, `--modules`, `--module-mode`. */
export interface VmTarget {
  readonly image: string;
  readonly modules: string | null;
  readonly moduleMode: string | null;
}

/** The identity of a campaign about to start, stamped with the time it starts (unless `o` has one). */
export function makeIdentity(o: Omit<CampaignIdentity, 'format'>): CampaignIdentity {
  return { format: FORMAT, ...o, startedAt: o.startedAt ?? new Date().toISOString() };
}

function fail(file: string, detail: string): never {
  throw new ContractError(file, detail, 'bad-file');
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Reads and checks DIR/campaign.json. */
export function readIdentity(dir: string, field = '--resume'): CampaignIdentity {
  const file = path.join(dir, CAMPAIGN_FILE);
  if (!fs.existsSync(file)) {
    const old = fs.existsSync(path.join(dir, PROGRESS_FILE));
    throw new ContractError(field, old
      ? `${dir} was written by an older sockspec (no ${CAMPAIGN_FILE}); it cannot be resumed, start it afresh with --out`
      : `${dir} is not a campaign folder (no ${CAMPAIGN_FILE}); start one with sockspec fuzz --out ${dir}`, 'bad-file');
  }
  const o = readJsonObject(file);
  if (o.format !== FORMAT) fail(file, `format ${JSON.stringify(o.format)} is not ${FORMAT}`);
  const bad = (k: string, want: string): never => fail(file, `field ${k}: expected ${want}, got ${JSON.stringify(o[k])}`);
  if (!isInt(o.seed)) bad('seed', 'an integer');
  if (o.runs !== null && (!isInt(o.runs) || (o.runs as number) < 1)) bad('runs', 'null or a positive integer');
  if (o.timeMs !== null && !(typeof o.timeMs === 'number' && o.timeMs > 0)) bad('timeMs', 'null or a positive number');
  if (!Array.isArray(o.properties) || o.properties.length === 0 || !o.properties.every((p) => typeof p === 'string')) bad('properties', 'a list of property ids');
  if (typeof o.shard !== 'string' || !/^\d+\/\d+$/.test(o.shard)) bad('shard', 'i/n');
  if (typeof o.kernel !== 'string') bad('kernel', 'a profile name');
  if (o.oracle !== 'host' && o.oracle !== 'vm' && o.oracle !== 'none') bad('oracle', 'host, vm or none');
  const vm = o.vm as Record<string, unknown> | null | undefined;
  if (o.oracle === 'vm' && (typeof vm !== 'object' || vm === null || typeof vm.image !== 'string'
    || !(vm.modules === null || typeof vm.modules === 'string') || !(vm.moduleMode === null || typeof vm.moduleMode === 'string'))) {
    bad('vm', 'the kernel image, modules and module mode of a VM campaign');
  }
  if (!isInt(o.workers) || (o.workers as number) < 1) bad('workers', 'a positive integer');
  if (!isInt(o.roundSize) || (o.roundSize as number) < 1) bad('roundSize', 'a positive integer');
  if (o.kernelRelease !== null && typeof o.kernelRelease !== 'string') bad('kernelRelease', 'null or a string');
  if (o.runs === null && o.timeMs === null) fail(file, 'has neither runs nor timeMs: the campaign would never end');
  if (o.baseline !== undefined && o.baseline !== null && typeof o.baseline !== 'string') bad('baseline', 'null or a folder');
  if (o.failOn !== undefined && o.failOn !== 'any' && o.failOn !== 'new') bad('failOn', 'any or new');
  if (o.startedAt !== undefined && !(typeof o.startedAt === 'string' && Number.isFinite(Date.parse(o.startedAt)))) bad('startedAt', 'an ISO 8601 time');
  return o as unknown as CampaignIdentity;
}

/** Writes DIR/campaign.json atomically. */
export function writeIdentity(dir: string, id: CampaignIdentity): void {
  writeFileAtomic(path.join(dir, CAMPAIGN_FILE), `${JSON.stringify(id, null, 2)}\n`);
}

/** Where `given` (options named on a resume) contradicts the saved identity, one line each. */
export function identityConflicts(saved: CampaignIdentity, given: Partial<Omit<CampaignIdentity, 'format'>>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    const s = (saved as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(s) !== JSON.stringify(v)) out.push(`${k} is ${JSON.stringify(s)} in the campaign, ${JSON.stringify(v)} given`);
  }
  return out;
}

/** Rounds done, and everything a resume needs to continue exactly from there. */
export interface CampaignProgressState {
  readonly seed: number;
  /** How many of this shard's rounds (in order) are done. */
  readonly unitsDone: number;
  /** Campaign time spent so far, for --time budgets across resumes. */
  readonly elapsedMs: number;
  readonly perProperty: Readonly<Record<string, { runs: number; rounds: number }>>;
  readonly coverage: { covered: string[]; byClass: Record<string, string[]> };
  /** Byte lengths of findings.jsonl and corpus.jsonl after the last done round. */
  readonly findingsBytes: number;
  readonly corpusBytes: number;
  /**
   * Byte length of timeline.jsonl after the sample taken with this save. Absent in a progress.json
   * of a version before the timeline: a resume then keeps the timeline as it is (it has none).
   */
  readonly timelineBytes?: number;
  /**
   * Batches and calls run on the kernel by the done rounds, and their milliseconds: a resume
   * counts on from here, so the counts equal an uninterrupted campaign's. Absent before kernel
   * counts existed, and in campaigns without an oracle.
   */
  readonly kernelCalls?: { readonly batches: number; readonly calls: number; readonly ms: number };
  /** The campaign's one atomicity race, once it ran (a resume keeps it rather than racing again). */
  readonly atomicity?: AtomicityResult;
}

/** Reads and checks DIR/progress.json (undefined when no round was recorded yet). */
export function readProgress(dir: string): CampaignProgressState | undefined {
  const file = path.join(dir, PROGRESS_FILE);
  if (!fs.existsSync(file)) return undefined;
  const o = readJsonObject(file);
  const bad = (k: string, want: string): never => fail(file, `field ${k}: expected ${want}, got ${JSON.stringify(o[k])?.slice(0, 80)}`);
  for (const k of ['seed', 'unitsDone', 'findingsBytes', 'corpusBytes']) if (!isInt(o[k]) || (k !== 'seed' && (o[k] as number) < 0)) bad(k, 'an integer');
  if (o.timelineBytes !== undefined && !(isInt(o.timelineBytes) && o.timelineBytes >= 0)) bad('timelineBytes', 'an integer');
  const kc = o.kernelCalls as Record<string, unknown> | undefined;
  if (kc !== undefined && (typeof kc !== 'object' || kc === null || !isInt(kc.batches) || !isInt(kc.calls) || typeof kc.ms !== 'number')) bad('kernelCalls', 'batches, calls and ms');
  if (typeof o.elapsedMs !== 'number' || !(o.elapsedMs >= 0)) bad('elapsedMs', 'a number of milliseconds');
  const at = o.atomicity as { verdict?: { atomic?: unknown } } | undefined;
  if (at !== undefined && (typeof at !== 'object' || at === null || typeof at.verdict?.atomic !== 'boolean')) bad('atomicity', 'an atomicity result with its verdict');
  const pp = o.perProperty as Record<string, unknown> | undefined;
  if (typeof pp !== 'object' || pp === null || !Object.values(pp).every((v) => typeof v === 'object' && v !== null && isInt((v as { runs: unknown }).runs) && isInt((v as { rounds: unknown }).rounds))) bad('perProperty', 'runs and rounds per property');
  const c = o.coverage as { covered?: unknown; byClass?: unknown } | undefined;
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof c !== 'object' || c === null || !strings(c.covered) || typeof c.byClass !== 'object' || c.byClass === null
    || !Object.values(c.byClass as object).every(strings)) bad('coverage', 'covered ids and ids by class');
  return o as unknown as CampaignProgressState;
}

/** Writes DIR/progress.json atomically. */
export function writeProgress(dir: string, p: CampaignProgressState): void {
  writeFileAtomic(path.join(dir, PROGRESS_FILE), JSON.stringify(p));
}

/**
 * Cuts `file` back to `bytes` (what it held after the last recorded round); lines appended by a
 * round that did not finish are redone by the resume. A file shorter than recorded was changed
 * by something else, and the campaign cannot continue exactly.
 */
export function cutBack(file: string, bytes: number): void {
  const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  if (size < bytes) throw new ContractError(file, `holds ${size} bytes, but ${PROGRESS_FILE} recorded ${bytes}: it was truncated or replaced, so the campaign cannot be resumed exactly`, 'bad-file');
  if (size > bytes) fs.truncateSync(file, bytes);
}

/** The size of `file` in bytes, 0 when it does not exist. */
export function sizeOf(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

// ---------------------------------------------------------------------------------------------
// The lock.

interface LockOwner {
  readonly pid: number;
  readonly start: string;
  readonly host: string;
}

/** The start time of process `pid` (field 22 of /proc/PID/stat), or undefined when it does not exist. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return isInt(o.pid) && typeof o.start === 'string' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the owner recorded in a lock is a live process (on this host, with the same start time). */
function alive(o: LockOwner): boolean {
  return o.host !== os.hostname() || startTime(o.pid) === o.start;
}

/**
 * Takes DIR/lock for this process: a folder whose lock names a live process is refused (another
 * campaign is writing there); a lock left by a killed campaign is recognised and taken over. The
 * lock goes when the process exits; the returned function releases it earlier.
 */
export function acquireLock(dir: string, field: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, start: startTime(process.pid) ?? '', host: os.hostname() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new ContractError(field, `cannot write in ${dir} (${code ?? (e as Error).message})`, 'bad-file');
      const owner = readOwner(file);
      if (owner !== undefined && alive(owner) && attempt < 5) {
        throw new ContractError(field, `${dir} is in use by another campaign (pid ${owner.pid}${owner.host !== os.hostname() ? ` on ${owner.host}` : ''}); wait for it, or stop it first`, 'unavailable');
      }
      if (owner === undefined && attempt === 0) {
        // Being written this instant, or damaged: look again once before treating it as stale.
        const t = Date.now() + 50;
        while (Date.now() < t) { /* a short wait without an event loop turn */ }
        continue;
      }
      if (attempt >= 5) throw new ContractError(field, `cannot take the lock ${file}`, 'unavailable');
      // Stale: its owner is gone. Rename it away (only one taker succeeds), then try again.
      const aside = `${file}.stale.${process.pid}`;
      try {
        fs.renameSync(file, aside);
      } catch {
        continue; // someone else moved it first; the next attempt sees their lock
      }
      // Another taker may have replaced the stale lock with its own in between: put a live one back.
      const moved = readOwner(aside);
      if (moved !== undefined && alive(moved) && (owner === undefined || moved.pid !== owner.pid || moved.start !== owner.start)) {
        try {
          fs.linkSync(aside, file);
        } catch {
          // a third taker holds it now; the next attempt sees that
        }
      }
      fs.rmSync(aside, { force: true });
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    const owner = readOwner(file);
    if (owner !== undefined && owner.pid === me.pid && owner.start === me.start) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

/**
 * Waits until DIR's lock is free (no lock, or a stale one): a worker orphaned by a killed parent
 * finishes its round and stops on its own. Gives up after `timeoutMs` with a ContractError.
 */
export async function waitForLock(dir: string, timeoutMs: number): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const owner = fs.existsSync(file) ? readOwner(file) : undefined;
    if (owner === undefined || !alive(owner)) return;
    if (Date.now() > end) throw new ContractError(dir, `is still in use by pid ${owner.pid} after ${Math.round(timeoutMs / 1000)} s`, 'unavailable');
    await new Promise((r) => setTimeout(r, 100));
  }
}
