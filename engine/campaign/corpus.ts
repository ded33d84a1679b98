// A campaign's corpus, as syzkaller keeps one: the inputs that first decided a clause in an
// environment class, one eval request line each in corpus.jsonl, appended and flushed each time
// the campaign records its progress. Every entry is an input a real kernel can replay exactly
// (global knobs at their defaults, seccomp stacks behind the harness prologue), so the corpus is a
// small, clause-covering input for `sockspec diff --corpus DIR` between two kernels.
// Sources: properties/coverage.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_CLAUSES, evaluate, type Call, type Env } from '../../model';
import { ContractError, requestLine } from '../../contract';
import { appendLineSync } from '../io';
import { coveredIds } from '../../properties/coverage';

export const CORPUS_FILE = 'corpus.jsonl';

/** One line of corpus.jsonl: an eval request plus the (class|clause) pairs it was first to decide. */
interface CorpusLine {
  readonly id: string;
  readonly covers: readonly string[];
}

function parseLine(file: string, line: string, n: number): CorpusLine & Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new ContractError(`${file}:${n}`, `not JSON: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || !Array.isArray((o as CorpusLine).covers)) throw new ContractError(`${file}:${n}`, 'not a corpus entry (no covers list)');
  return o as CorpusLine & Record<string, unknown>;
}

const EFFECT_ROWS = new Set(ALL_CLAUSES.filter((c) => c.errno === null).map((c) => c.id));

/** The lines of a corpus file (empty when there is none). */
export function readCorpusFile(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  lines.forEach((l, i) => parseLine(file, l, i + 1));
  return lines;
}

/**
 * The corpus of a campaign being run: `offer` keeps an input when it decides a pair no entry
 * covers yet, and `flush` appends the kept ones (one write, flushed to the disk); a campaign
 * flushes just before it records progress.json, whose corpusBytes a resume cuts the file back to,
 * so entries still in memory at a kill are entries a resume would have cut off anyway. Resuming
 * reads the file back, so a redone round appends nothing twice.
 */
export class CorpusWriter {
  /** Clause ids covered per class: a campaign offers every call, so the test is two lookups, no strings built. */
  private readonly covered = new Map<string, Set<string>>();
  private count = 0;
  /** Lines kept since the last flush. */
  private pending: string[] = [];

  constructor(private readonly file?: string) {
    if (file === undefined) return;
    for (const l of readCorpusFile(file)) {
      for (const c of parseLine(file, l, 0).covers) {
        const k = c.indexOf('|');
        this.classSet(c.slice(0, k)).add(c.slice(k + 1));
      }
      this.count++;
    }
  }

  private classSet(cls: string): Set<string> {
    let set = this.covered.get(cls);
    if (set === undefined) {
      set = new Set();
      this.covered.set(cls, set);
    }
    return set;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Offers `call`, decided along `trace` in an environment of class `cls`. It is kept when it
   * covers an id new to the corpus in that class and the model, in `reproduce()` (the environment
   * as a kernel can run it), still decides it by the same clause.
   */
  offer(call: Call, cls: string, trace: readonly string[], reproduce: () => Env): boolean {
    const set = this.classSet(cls);
    const clause = trace[trace.length - 1];
    let fresh = !set.has(clause);
    for (let i = 0; i < trace.length && !fresh; i++) fresh = EFFECT_ROWS.has(trace[i]) && !set.has(trace[i]);
    if (!fresh) return false;
    const env = reproduce();
    const d = evaluate(call, env);
    if (d.trace[d.trace.length - 1] !== clause) return false;
    const ids = coveredIds(d.trace).filter((id) => !set.has(id));
    const pairs = ids.map((id) => `${cls}|${id}`);
    ids.forEach((id) => set.add(id));
    this.count++;
    if (this.file !== undefined) {
      const req = JSON.parse(requestLine(call, env, `corpus#${this.count}`)) as Record<string, unknown>;
      this.pending.push(JSON.stringify({ ...req, covers: pairs }));
    }
    return true;
  }

  /** Appends the entries kept since the last flush to the file, and flushes it to the disk. */
  flush(): void {
    if (this.file === undefined || this.pending.length === 0) return;
    appendLineSync(this.file, this.pending.join('\n'));
    this.pending = [];
  }
}

/** The corpora of several campaign folders as one, first entry of each pair kept, renumbered. */
export function mergeCorpora(dirs: readonly string[]): string[] {
  const covered = new Set<string>();
  const out: string[] = [];
  for (const d of dirs) {
    const file = path.join(d, CORPUS_FILE);
    for (const l of readCorpusFile(file)) {
      const o = parseLine(file, l, 0);
      const pairs = o.covers.filter((p) => !covered.has(p));
      if (pairs.length === 0) continue;
      pairs.forEach((p) => covered.add(p));
      out.push(JSON.stringify({ ...o, id: `corpus#${out.length + 1}`, covers: pairs }));
    }
  }
  return out;
}

/**
 * The inputs of a campaign folder for a diff: its corpus, then the request line of each finding
 * (the calls where model and kernel disagreed), as eval request lines. Throws when there are none.
 */
export function campaignInputs(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ContractError('--corpus', `${dir} is not a campaign output folder`);
  const lines = readCorpusFile(path.join(dir, CORPUS_FILE));
  const ff = path.join(dir, 'findings.jsonl');
  if (fs.existsSync(ff)) {
    fs.readFileSync(ff, 'utf8').split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      let f: { request?: unknown };
      try {
        f = JSON.parse(l) as { request?: unknown };
      } catch (e) {
        throw new ContractError(`${ff}:${i + 1}`, `not JSON: ${(e as Error).message}`);
      }
      if (typeof f.request === 'string') lines.push(f.request);
    });
  }
  if (lines.length === 0) throw new ContractError('--corpus', `${dir} has no ${CORPUS_FILE} and no findings with a request (write one with sockspec fuzz --out ${dir})`);
  return lines;
}
