// A campaign folder's state is the truth: `--resume DIR` needs no options and refuses conflicting
// ones; a folder in use is refused and a stale lock taken over; workers die with their parent and
// a worker that keeps dying stops the campaign (exit 4); damaged state and results are named
// (exit 2) before any worker starts; output paths that cannot be folders fail fast; JUnit counters
// are what a JUnit consumer (junit2json) counts, and per-property figures add up to the totals;
// the timeline is sampled while a campaign runs, ends at the summary, is cut back on a resume (an
// older progress.json without its length still resumes) and is merged across workers; a campaign
// killed with SIGKILL leaves whole corpus lines and resumes to the uninterrupted end.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseJunit } from 'junit2json';
import { childrenOf, commOf } from '../fault/harness';
import { executorSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-state-'));
const model = ['--oracle', 'none', '--kernel', 'reference-6.18'];

function run(args: string[], timeout = 120000): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function start(args: string[]): ChildProcess & { closed: Promise<number | null> } {
  const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout?.resume();
  c.stderr?.resume();
  return Object.assign(c, { closed: new Promise<number | null>((r) => c.on('close', (code) => r(code))) });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `f` holds (polling), or fails after `ms`. */
async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const alive = (pid: number): boolean => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

describe('resume', () => {
  it('needs no options, refuses conflicting ones naming the difference, and accepts agreeing ones', async () => {
    const dir = tmp();
    const c = start(['fuzz', '--seed', '5', '--runs', '400000', ...model, '--workers', '1', '--properties', 'P-HIGH-BITS', '--out', dir, '--json']);
    await until(() => fs.existsSync(path.join(dir, 'progress.json')), 60000, 'progress');
    c.kill('SIGINT');
    expect(await c.closed).toBe(3);
    for (const [flag, value, field] of [['--runs', '5', 'runs'], ['--properties', 'P-EXPLORE', 'properties'], ['--workers', '2', 'workers'], ['--seed', '6', 'seed'], ['--time', '1h', 'timeMs']]) {
      const r = run(['fuzz', '--resume', dir, flag, value]);
      expect({ flag, code: r.code }).toEqual({ flag, code: 2 });
      expect(r.err).toContain(`${field} is`);
    }
    // The state is untouched by the refusals: the resume ends where an uninterrupted run ends.
    const r = run(['fuzz', '--resume', dir, '--seed', '5', '--json']);
    expect(r.code).toBe(0);
    const whole = run(['fuzz', '--seed', '5', '--runs', '400000', ...model, '--workers', '1', '--properties', 'P-HIGH-BITS', '--out', tmp(), '--json']);
    const strip = (s: string): unknown => ({ ...JSON.parse(s), seconds: 0 });
    expect(strip(r.out)).toEqual(strip(whole.out));
  });

  it('refuses a folder that holds no campaign, and an older folder without campaign.json', () => {
    expect(run(['fuzz', '--resume', tmp()]).err).toMatch(/not a campaign folder/);
    const old = tmp();
    fs.writeFileSync(path.join(old, 'progress.json'), JSON.stringify({ seed: 1, workers: 2 }));
    const r = run(['fuzz', '--resume', old]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/older sockspec/);
    expect(run(['fuzz', '--resume', path.join(old, 'nope')]).code).toBe(2);
  });
});

describe('the lock', () => {
  it('refuses a second campaign into a folder in use, and takes over the lock of a killed one', async () => {
    const dir = tmp();
    const args = ['--seed', '4', '--runs', '400000', ...model, '--workers', '2', '--properties', 'P-HIGH-BITS'];
    const a = start(['fuzz', ...args, '--out', dir, '--json']);
    await until(() => fs.existsSync(path.join(dir, 'worker-1', 'progress.json')), 60000, 'a round');
    const b = run(['fuzz', ...args, '--out', dir, '--json']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/in use by another campaign \(pid \d+\)/);
    expect(run(['fuzz', '--resume', dir]).code).toBe(2);
    // Killed outright: its workers notice, finish their round and stop; the lock is stale.
    const workers = childrenOf(a.pid as number).filter((p) => commOf(p) === 'node');
    expect(workers.length).toBe(2);
    a.kill('SIGKILL');
    await a.closed;
    await until(() => workers.every((p) => !alive(p)), 20000, 'the orphaned workers to stop');
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(true);
    const r = run(['fuzz', '--resume', dir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ runs: 400000, status: 'complete' });
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });
});

describe('workers', () => {
  it('a worker killed again and again stops the campaign with exit 4, its state kept', async () => {
    const dir = tmp();
    const c = start(['fuzz', '--seed', '8', '--runs', '2000000', ...model, '--workers', '2', '--properties', 'P-HIGH-BITS', '--out', dir, '--json']);
    let kills = 0;
    let last = -1;
    while (kills < 4) {
      const w = childrenOf(c.pid as number).find((p) => commOf(p) === 'node' && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('worker-1'));
      if (w !== undefined && w !== last && fs.existsSync(path.join(dir, 'worker-1', 'lock'))) {
        process.kill(w, 'SIGKILL');
        last = w;
        kills++;
      }
      await sleep(50);
    }
    expect(await c.closed).toBe(4);
    expect(fs.existsSync(path.join(dir, 'worker-2', 'progress.json'))).toBe(true);
    expect(childrenOf(c.pid as number)).toEqual([]);
  });

  it('a damaged worker state is named before any worker starts', () => {
    const dir = tmp();
    const args = ['fuzz', '--seed', '9', '--runs', '3000', ...model, '--workers', '2', '--properties', 'P-HIGH-BITS,P-EXPLORE', '--json'];
    expect(run([...args, '--out', dir]).code).toBe(0);
    const p2 = path.join(dir, 'worker-2', 'progress.json');
    const before = fs.readFileSync(p2, 'utf8');
    const p1 = path.join(dir, 'worker-1', 'progress.json');
    fs.writeFileSync(p1, fs.readFileSync(p1, 'utf8').slice(0, 40));
    const r = run(['fuzz', '--resume', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(p1);
    expect(r.err).not.toMatch(/internal error|at .*\.js/);
    expect(fs.readFileSync(p2, 'utf8')).toBe(before);
    fs.writeFileSync(path.join(dir, 'progress.json'), '{"seed": 9, "unitsDone": ');
    fs.writeFileSync(p1, before);
    const top = run(['fuzz', '--resume', dir]);
    expect(top.code).toBe(2);
  });

  it('a damaged single-campaign state or findings file is named with its position', () => {
    const dir = tmp();
    const args = ['fuzz', '--seed', '9', '--runs', '3000', ...model, '--workers', '1', '--properties', 'P-HIGH-BITS', '--json', '--out', dir];
    expect(run(args).code).toBe(0);
    const pf = path.join(dir, 'progress.json');
    const good = fs.readFileSync(pf, 'utf8');
    fs.writeFileSync(pf, good.slice(0, good.length / 2));
    const r = run(['fuzz', '--resume', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`${pf.replace(/[/.]/g, '\\$&')}: is not valid JSON \\(.*position \\d+`));
    fs.writeFileSync(pf, JSON.stringify({ ...JSON.parse(good), findingsBytes: 5 }));
    const short = run(['fuzz', '--resume', dir]);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/findings\.jsonl: holds 0 bytes/);
  });
});

describe('bad output paths and budgets', () => {
  it('fail fast with exit 2, before any work', () => {
    const t0 = Date.now();
    const r = run(['fuzz', ...model, '--runs', '10', '--out', '/proc/sockspec-out'], 20000);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot create the folder \/proc\/sockspec-out/);
    expect(Date.now() - t0).toBeLessThan(20000);
    const f = path.join(tmp(), 'file');
    fs.writeFileSync(f, '');
    expect(run(['fuzz', ...model, '--runs', '10', '--out', path.join(f, 'sub')]).err).toMatch(/is not a folder/);
    expect(run(['fuzz', ...model, '--time', '0s']).code).toBe(2);
    expect(run(['fuzz', ...model, '--time', '0s']).err).toMatch(/--time/);
  });
});

/** DIR/timeline.jsonl as objects. */
const timelineOf = (dir: string): Array<{ elapsedMs: number; runs: number; findings: number; clausesCovered: number; newClauses?: string[] }> =>
  fs.readFileSync(path.join(dir, 'timeline.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** Whether `xs` never goes down. */
const nondecreasing = (xs: readonly number[]): boolean => xs.every((x, i) => i === 0 || x >= xs[i - 1]);

/** A sample without its time (times differ between runs, the rest must not). */
const untimed = (x: { elapsedMs: number }): unknown => ({ ...x, elapsedMs: 0 });

describe('the timeline', () => {
  const base = ['fuzz', '--seed', '5', '--runs', '150000', ...model, '--properties', 'P-HIGH-BITS,P-EXPLORE', '--json'];
  const args = [...base, '--workers', '1'];
  let whole: string;

  beforeAll(() => {
    whole = tmp();
    expect(run([...args, '--out', whole]).code).toBe(0);
  });

  it('is sampled while the campaign runs, never goes down, and ends at the summary', () => {
    const t = timelineOf(whole);
    const s = JSON.parse(fs.readFileSync(path.join(whole, 'summary.json'), 'utf8'));
    expect(t.length).toBeGreaterThanOrEqual(3);
    for (const k of ['elapsedMs', 'runs', 'findings', 'clausesCovered'] as const) expect({ k, up: nondecreasing(t.map((x) => x[k])) }).toEqual({ k, up: true });
    expect(t[0].runs).toBeLessThan(s.runs);
    expect(t[t.length - 1]).toMatchObject({ runs: s.runs, findings: s.findings, clausesCovered: s.clausesCovered });
    // The clauses first covered at each sample add up to the coverage, each counted once.
    const fresh = t.flatMap((x) => x.newClauses ?? []);
    expect(new Set(fresh).size).toBe(fresh.length);
    expect(fresh.length).toBe(s.clausesCovered);
    expect(JSON.parse(fs.readFileSync(path.join(whole, 'progress.json'), 'utf8')).timelineBytes).toBe(fs.statSync(path.join(whole, 'timeline.jsonl')).size);
  });

  it('is cut back on a resume and ends where the uninterrupted one ends', async () => {
    const dir = tmp();
    const c = start([...args, '--out', dir]);
    await until(() => fs.existsSync(path.join(dir, 'progress.json')), 60000, 'progress');
    c.kill('SIGINT');
    expect(await c.closed).toBe(3);
    const before = timelineOf(dir);
    expect(before.length).toBeGreaterThan(0);
    // What a campaign killed between a sample and its progress.json would leave behind.
    fs.appendFileSync(path.join(dir, 'timeline.jsonl'), `${JSON.stringify({ elapsedMs: 1, runs: 123456789, findings: 0, clausesCovered: 0 })}\n`);
    expect(run(['fuzz', '--resume', dir, '--json']).code).toBe(0);
    const after = timelineOf(dir);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.some((x) => x.runs === 123456789)).toBe(false);
    expect(nondecreasing(after.map((x) => x.runs))).toBe(true);
    expect(nondecreasing(after.map((x) => x.elapsedMs))).toBe(true);
    const w = timelineOf(whole);
    expect(untimed(after[after.length - 1])).toEqual({ ...(untimed(w[w.length - 1]) as object), newClauses: after[after.length - 1].newClauses });
    expect(new Set(after.flatMap((x) => x.newClauses ?? []))).toEqual(new Set(w.flatMap((x) => x.newClauses ?? [])));
  });

  it('an older progress.json without timelineBytes still resumes, keeping the timeline as it is', async () => {
    const dir = tmp();
    const c = start([...args, '--out', dir]);
    await until(() => fs.existsSync(path.join(dir, 'progress.json')), 60000, 'progress');
    c.kill('SIGINT');
    expect(await c.closed).toBe(3);
    const pf = path.join(dir, 'progress.json');
    const { timelineBytes, ...old } = JSON.parse(fs.readFileSync(pf, 'utf8'));
    expect(typeof timelineBytes).toBe('number');
    fs.writeFileSync(pf, JSON.stringify(old));
    const before = timelineOf(dir);
    const r = run(['fuzz', '--resume', dir, '--json']);
    expect(r.code).toBe(0);
    const after = timelineOf(dir);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after[after.length - 1]).toMatchObject({ runs: JSON.parse(r.out).runs });
  });

  it('of workers is merged: runs and findings added up, clauses united, ending at the merged summary', () => {
    const dir = tmp();
    const r = run([...base, '--workers', '2', '--out', dir]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    const t = timelineOf(dir);
    const parts = [1, 2].map((j) => timelineOf(path.join(dir, `worker-${j}`)));
    expect(t.length).toBe(new Set(parts.flat().map((x) => x.elapsedMs)).size);
    expect(nondecreasing(t.map((x) => x.runs))).toBe(true);
    expect(t[t.length - 1]).toMatchObject({ runs: s.runs, findings: s.findings, clausesCovered: s.clausesCovered });
    expect(s.runs).toBe(parts[0][parts[0].length - 1].runs + parts[1][parts[1].length - 1].runs);
  });
});

describe('a campaign killed with SIGKILL', () => {
  // Corpus entries are kept in memory and appended when progress.json is saved: a kill between
  // two saves loses only entries that a resume would cut off anyway.
  const args = ['fuzz', '--seed', '8', '--runs', '150000', ...model, '--properties', 'P-EXPLORE,P-HIGH-BITS', '--workers', '1', '--json'];
  const read = (dir: string, f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');

  it('leaves whole corpus lines up to what progress.json records, and resumes to the uninterrupted end', async () => {
    const whole = tmp();
    const w = run([...args, '--out', whole]);
    expect(w.code).toBe(0);
    const dir = tmp();
    const c = start([...args, '--out', dir]);
    await until(() => fs.existsSync(path.join(dir, 'progress.json')), 60000, 'progress');
    await sleep(1200);
    c.kill('SIGKILL');
    await c.closed;
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
    const p = JSON.parse(read(dir, 'progress.json'));
    const corpus = fs.readFileSync(path.join(dir, 'corpus.jsonl'));
    expect(corpus.length).toBeGreaterThanOrEqual(p.corpusBytes);
    expect(corpus.length === 0 || corpus[corpus.length - 1] === 0x0a).toBe(true);
    expect(read(whole, 'corpus.jsonl').startsWith(corpus.subarray(0, p.corpusBytes).toString('utf8'))).toBe(true);
    const r = run(['fuzz', '--resume', dir, '--json']);
    expect(r.code).toBe(0);
    expect(read(dir, 'corpus.jsonl')).toBe(read(whole, 'corpus.jsonl'));
    expect({ ...JSON.parse(r.out), seconds: 0 }).toEqual({ ...JSON.parse(w.out), seconds: 0 });
    const t = timelineOf(dir);
    const u = timelineOf(whole);
    expect(untimed(t[t.length - 1])).toEqual({ ...(untimed(u[u.length - 1]) as object), newClauses: t[t.length - 1].newClauses });
  });
});

describe('reports of damaged folders', () => {
  it('report and merge name the file (and line) of garbage JSON, exit 2', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'summary.json'), '{"seed": 1, "runs"');
    let r = run(['report', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(path.join(dir, 'summary.json'));
    fs.writeFileSync(path.join(dir, 'summary.json'), '[1, 2]');
    expect(run(['report', dir]).err).toMatch(/not a JSON object/);
    const ok = tmp();
    expect(run(['fuzz', '--seed', '1', '--runs', '50', ...model, '--workers', '1', '--properties', 'P-HIGH-BITS', '--out', ok]).code).toBe(0);
    fs.writeFileSync(path.join(ok, 'findings.jsonl'), '{"property":"P","signature":"s","round":0}\nnot json\n');
    r = run(['merge', ok, '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(ok, 'findings.jsonl')}:2`);
    // A damaged timeline line: the report and merge name it.
    fs.writeFileSync(path.join(ok, 'findings.jsonl'), '');
    fs.appendFileSync(path.join(ok, 'timeline.jsonl'), '{"elapsedMs": 5, "runs": -1, "findings": 0, "clausesCovered": 0}\n');
    const line = fs.readFileSync(path.join(ok, 'timeline.jsonl'), 'utf8').trim().split('\n').length;
    for (const cmd of [['report', ok], ['merge', ok, '--out', tmp()]]) {
      r = run(cmd);
      expect({ cmd: cmd[0], code: r.code }).toEqual({ cmd: cmd[0], code: 2 });
      expect(r.err).toContain(`${path.join(ok, 'timeline.jsonl')}:${line}: is not a timeline sample (runs`);
    }
  });
});

const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;

maybe(`JUnit after a resumed campaign with findings${why ? ` — skipped: ${why}` : ''}`, () => {
  it('counts what it holds, as a JUnit consumer reads it, and the summary adds up', async () => {
    const dir = tmp();
    const args = ['fuzz', '--seed', '12', '--runs', '40000', '--kernel', 'debian-6.1', '--workers', '2', '--properties', 'P-MODEL-EQ-KERNEL,P-HIGH-BITS', '--out', dir, '--json'];
    const c = start(args);
    await until(() => fs.existsSync(path.join(dir, 'worker-1', 'progress.json')), 60000, 'a round');
    c.kill('SIGINT');
    const code = await c.closed;
    expect([1, 3]).toContain(code);
    if (code === 3) {
      // Interrupted: the JUnit says so with an error, so that no CI reads it as green.
      const j = await parseJunit(fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8'));
      expect(j?.errors).toBe(1);
    }
    expect(run(['fuzz', '--resume', dir, '--json']).code).toBe(1);
    const xml = fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    const j = await parseJunit(xml) as { tests: number; failures: number; errors: number; testsuite: Array<{ tests: number; failures: number; errors: number; testcase: Array<{ failure?: unknown[]; error?: unknown[] }> }> };
    const cases = j.testsuite.flatMap((s) => s.testcase);
    const failing = cases.filter((t) => (t.failure ?? []).length > 0).length;
    expect(failing).toBeGreaterThan(0);
    expect(j.tests).toBe(cases.length);
    expect(j.failures).toBe(failing);
    expect(j.errors).toBe(cases.filter((t) => (t.error ?? []).length > 0).length);
    expect(j.testsuite[0]).toMatchObject({ tests: j.tests, failures: j.failures, errors: j.errors });
    for (const t of cases) expect((t.failure ?? []).length + (t.error ?? []).length).toBeLessThanOrEqual(1);
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    const sum = (k: 'runs' | 'findings'): number => s.properties.reduce((n: number, p: Record<string, number>) => n + p[k], 0);
    expect(sum('runs')).toBe(s.runs);
    expect(sum('findings')).toBe(s.findings);
    expect(s.findings).toBeGreaterThan(0);
  });
});
