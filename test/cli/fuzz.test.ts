// Fuzz campaigns: determinism for a seed, shards that add up to the unsharded run, resume after a
// stop, model rounds run without stacks finding what fast-check alone finds, findings from a
// deliberately wrong kernel profile (flushed, in junit.xml) and a C reproducer that compiles with
// cc and reproduces on this kernel; bad flags exit 2.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { defaultEnv, reference618 } from '../../model';
import { requestLine } from '../../contract';
import { ia32Unavailable } from '../../oracle/host';
import { planUnits, RoundPlan, runCampaign } from '../../engine/campaign/campaign';
import { LawViolation, PROPERTIES, violated, type PropertyDef } from '../../properties';
import { parseShard } from '../../cli/commands/fuzz';
import { executorSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-fuzz-'));

function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const strip = (s: Record<string, unknown>): Record<string, unknown> => ({ ...s, seconds: 0 });

describe('campaigns', () => {
  it('give the same summary for the same seed and options', async () => {
    const opts = { seed: 1234, runs: 300, profile: reference618, properties: [], shard: { index: 0, count: 1 }, roundSize: 100 };
    const a = await runCampaign(opts);
    const b = await runCampaign(opts);
    expect(strip(a.summary as unknown as Record<string, unknown>)).toEqual(strip(b.summary as unknown as Record<string, unknown>));
    expect(a.summary.runs).toBe(300 * a.summary.properties.length);
    expect(a.summary.clausesCovered).toBeGreaterThan(20);
  });

  it('split into shards that together are exactly the unsharded rounds', async () => {
    const ids = ['P-HIGH-BITS', 'P-FD-SEQUENCES', 'P-EXPLORE'];
    const whole = planUnits(ids, 1000, 300, { index: 0, count: 1 }).map((u) => u.key);
    const s1 = planUnits(ids, 1000, 300, { index: 0, count: 2 }).map((u) => u.key);
    const s2 = planUnits(ids, 1000, 300, { index: 1, count: 2 }).map((u) => u.key);
    expect([...s1, ...s2].sort()).toEqual([...whole].sort());
    expect(s1.filter((k) => s2.includes(k))).toEqual([]);
    const base = { seed: 99, runs: 1000, profile: reference618, properties: ids, roundSize: 300 };
    const r1 = await runCampaign({ ...base, shard: { index: 0, count: 2 } });
    const r2 = await runCampaign({ ...base, shard: { index: 1, count: 2 } });
    const all = await runCampaign({ ...base, shard: { index: 0, count: 1 } });
    expect(r1.summary.runs + r2.summary.runs).toBe(all.summary.runs);
  });

  it('resume after a stop and end where an uninterrupted run ends', async () => {
    const dir = tmp();
    const base = { seed: 77, runs: 400, profile: reference618, properties: ['P-HIGH-BITS', 'P-EXPLORE'], shard: { index: 0, count: 1 }, roundSize: 100, out: dir };
    let units = 0;
    const first = await runCampaign({ ...base, shouldStop: () => units++ >= 3 });
    expect(first.summary.stopped).toBe(true);
    const progress = JSON.parse(fs.readFileSync(path.join(dir, 'progress.json'), 'utf8'));
    expect(progress.unitsDone).toBe(3);
    const second = await runCampaign(base);
    expect(second.summary.stopped).toBe(false);
    expect(second.summary.runs).toBe(800);
  });

  it('plan rounds lazily: the properties take turns, shards split them, and the totals are the sums of the rounds', () => {
    for (const [runs, size, count] of [[1000, 300, 1], [1000, 300, 3], [2500, 1000, 2], [999, 1000, 4], [3000, 1000, 5]]) {
      const ids = ['A', 'B', 'C'];
      const whole = planUnits(ids, runs, size, { index: 0, count: 1 });
      expect(whole.slice(0, 3).map((u) => u.key)).toEqual(['A#0', 'B#0', 'C#0']);
      const shards = Array.from({ length: count }, (_, i) => new RoundPlan(ids, runs, size, { index: i, count }));
      const keys = shards.flatMap((p, i) => planUnits(ids, runs, size, { index: i, count }).map((u) => u.key));
      expect(keys.sort()).toEqual(whole.map((u) => u.key).sort());
      for (const [i, p] of shards.entries()) {
        const units = planUnits(ids, runs, size, { index: i, count });
        expect({ runs, size, count, i, length: p.length, total: p.totalRuns })
          .toEqual({ runs, size, count, i, length: units.length, total: units.reduce((n, u) => n + u.runs, 0) });
      }
    }
    const endless = new RoundPlan(['A', 'B'], undefined, 1000, { index: 1, count: 2 });
    expect(endless.length).toBe(Infinity);
    expect(endless.unit(1e9)).toEqual({ property: 'B', round: 1e9, runs: 1000, key: `B#${1e9}` });
  });

  it('fuzz for as long as --time says when no --runs is given, and plan nothing up front for a huge --runs', () => {
    const t = run(['fuzz', '--time', '2s', ...['--oracle', 'none', '--kernel', 'reference-6.18'], '--workers', '1', '--properties', 'P-HIGH-BITS', '--out', tmp(), '--json']);
    expect(t.code).toBe(0);
    const s = JSON.parse(t.out);
    expect(s).toMatchObject({ status: 'time-budget', stopped: false });
    expect(s.seconds).toBeGreaterThanOrEqual(2);
    const t0 = Date.now();
    const huge = run(['fuzz', '--runs', '1000000000', '--time', '2s', ...['--oracle', 'none', '--kernel', 'reference-6.18'], '--workers', '1', '--out', tmp(), '--json']);
    expect(huge.code).toBe(0);
    expect(JSON.parse(huge.out)).toMatchObject({ status: 'time-budget' });
    expect(JSON.parse(huge.out).runs).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(60000);
  });

  it('take --shard auto from GitLab parallel jobs or a Kubernetes Indexed Job, and refuse it elsewhere', () => {
    expect(parseShard('auto', { CI_NODE_INDEX: '3', CI_NODE_TOTAL: '4' })).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '3' })).toEqual({ index: 0, count: 3 });
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '0' })).toThrow(/JOB_COMPLETIONS/);
    expect(() => parseShard('auto', { CI_NODE_INDEX: '5', CI_NODE_TOTAL: '4' })).toThrow(/auto gave 5\/4/);
    expect(() => parseShard('auto', {})).toThrow(/no shard engine found/);
    const env: NodeJS.ProcessEnv = { ...process.env, CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' };
    delete env.JOB_COMPLETION_INDEX;
    const r = spawnSync(process.execPath, [bin, 'fuzz', '--shard', 'auto', '--runs', '300', '--oracle', 'none', '--kernel', 'reference-6.18', '--workers', '1', '--properties', 'P-HIGH-BITS', '--out', tmp(), '--json'], { encoding: 'utf8', env });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).shard).toBe('2/2');
    const bare = { ...process.env };
    for (const k of ['CI_NODE_INDEX', 'CI_NODE_TOTAL', 'JOB_COMPLETION_INDEX', 'JOB_COMPLETIONS']) delete bare[k];
    const none = spawnSync(process.execPath, [bin, 'fuzz', '--shard', 'auto', '--oracle', 'none'], { encoding: 'utf8', env: bare });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/--shard: auto: no shard engine found/);
  });

  it('run model rounds without stacks, yet find what fast-check alone finds, and leave Error.stackTraceLimit as it was', async () => {
    // A law that fails from 50 on, in place of P-HIGH-BITS: the finding is the same shrunk
    // counterexample and message as fast-check's with stacks.
    const law = PROPERTIES.find((p) => p.id === 'P-HIGH-BITS') as PropertyDef;
    const failing = (): fc.IProperty<[number]> => fc.property(fc.integer({ min: 0, max: 100 }), (n) => {
      expect(Error.stackTraceLimit).toBe(0);
      if (n >= 50) violated(`n = ${n} is too big`);
    });
    const spy = jest.spyOn(law, 'build').mockImplementation(failing);
    try {
      const limit = Error.stackTraceLimit;
      const r = await runCampaign({ seed: 4, runs: 300, profile: reference618, properties: ['P-HIGH-BITS'], shard: { index: 0, count: 1 }, roundSize: 100 });
      expect(Error.stackTraceLimit).toBe(limit);
      expect(r.findings.length).toBeGreaterThan(0);
      for (const f of r.findings) {
        const alone = fc.check(fc.property(fc.integer({ min: 0, max: 100 }), (n) => { if (n >= 50) violated(`n = ${n} is too big`); }), { seed: f.seed });
        expect(alone.errorInstance).toBeInstanceOf(LawViolation);
        expect((alone.errorInstance as Error).stack).toMatch(/\n\s+at /);
        expect({ counterexample: f.counterexample, message: f.message, path: f.path })
          .toEqual({ counterexample: fc.stringify(alone.counterexample), message: (alone.errorInstance as Error).message, path: alone.counterexamplePath });
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('report nothing false: P-PRECEDENCE-FD-LAST no longer takes EMFILE from fs.nr_open for EMFILE from the rlimit', async () => {
    // Seed 5 found two such "findings" in its first 100 rounds (RLIMIT_NOFILE 0, nr_open 64,
    // fds 0..63 open: both sides EMFILE, only the deciding clause differs).
    const r = await runCampaign({ seed: 5, runs: 100000, profile: reference618, properties: ['P-PRECEDENCE-FD-LAST'], shard: { index: 0, count: 1 } });
    expect(r.findings).toEqual([]);
    expect(r.summary.runs).toBe(100000);
  });

  it('reject bad flags with exit 2', () => {
    expect(run(['fuzz', '--shard', '3/2', '--oracle', 'none']).code).toBe(2);
    expect(run(['fuzz', '--time', 'soon', '--oracle', 'none']).code).toBe(2);
    const r = run(['fuzz', '--oracle', 'none', '--properties', 'P-NOPE', '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('P-NOPE');
  });
});

const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;

maybe(`a campaign with a wrong kernel profile${why ? ` — skipped: ${why}` : ''}`, () => {
  const dir = tmp();
  let result: ReturnType<typeof run>;

  beforeAll(() => {
    result = run(['fuzz', '--seed', '9', '--kernel', 'debian-6.1', '--properties', 'P-MODEL-EQ-KERNEL', '--runs', '2000', '--out', dir]);
  });

  it('finds the families and protocols the profile claims and this kernel lacks, exit 1, flushed and in junit.xml', () => {
    expect(result.code).toBe(1);
    const findings = fs.readFileSync(path.join(dir, 'findings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(findings.length).toBe(summary.findings);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => ['EAFNOSUPPORT', 'ESOCKTNOSUPPORT', 'EPROTONOSUPPORT'].includes(f.kernel))).toBe(true);
    expect(findings.some((f) => f.kernel === 'EAFNOSUPPORT')).toBe(true);
    expect(result.out).toMatch(/FINDING P-MODEL-EQ-KERNEL: socket\(AF_/);
    const junit = fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="\d+ findings? \(\d+ distinct\): P-MODEL-EQ-KERNEL\|/);
  });

  it('sets its findings against a baseline: new, persisting, gone; --fail-on new fails on new ones only', async () => {
    const common = ['fuzz', '--seed', '9', '--properties', 'P-MODEL-EQ-KERNEL', '--runs', '2000', '--json'];
    const clean = tmp();
    expect(run([...common, '--out', clean]).code).toBe(0);
    const wrong = tmp();
    const w = run([...common, '--kernel', 'debian-6.1', '--out', wrong, '--baseline', clean, '--fail-on', 'new']);
    expect(w.code).toBe(1);
    const ws = JSON.parse(w.out);
    expect(ws.baseline.new.length).toBe(ws.uniqueFindings);
    expect(ws.baseline).toMatchObject({ persisting: [], gone: [] });
    const junit = fs.readFileSync(path.join(wrong, 'junit.xml'), 'utf8');
    expect(junit).toContain(`distinct, ${ws.uniqueFindings} new against the baseline)`);
    const again = run([...common, '--kernel', 'debian-6.1', '--out', tmp(), '--baseline', wrong, '--fail-on', 'new']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).baseline).toMatchObject({ new: [], persisting: ws.baseline.new, gone: [] });
    const fixed = run([...common, '--out', tmp(), '--baseline', wrong]);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.out).baseline).toMatchObject({ new: [], persisting: [], gone: ws.baseline.new });
    expect(run(['fuzz', '--fail-on', 'new', '--oracle', 'none']).code).toBe(2);
    expect(run(['fuzz', '--baseline', tmp(), '--oracle', 'none']).code).toBe(2);
  });

  it('gives the same findings again for the same seed', () => {
    const dir2 = tmp();
    run(['fuzz', '--seed', '9', '--kernel', 'debian-6.1', '--properties', 'P-MODEL-EQ-KERNEL', '--runs', '2000', '--out', dir2]);
    const sigs = (d: string) => fs.readFileSync(path.join(d, 'findings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).signature);
    expect(sigs(dir2)).toEqual(sigs(dir));
  });

  it('writes a C reproducer that compiles with cc and reproduces the finding on this kernel', () => {
    const src = path.join(dir, 'repro.c');
    const w = run(['repro', path.join(dir, 'findings.jsonl'), '-o', src]);
    expect(w.code).toBe(0);
    const cc = spawnSync('cc', ['-Wall', '-o', path.join(dir, 'repro'), src], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const r = spawnSync(path.join(dir, 'repro'), [], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^sockspec-repro call=0 ret=-97 result=EAFNOSUPPORT expected=(ok|E[A-Z]+)\n$/);
    expect(r.status).toBe(1);
  });
});

const noRepro = executorSkipReason() || ia32Unavailable();
(noRepro === '' ? describe : describe.skip)(`repro of an unreadable socketcall block${noRepro ? ` — skipped: ${noRepro}` : ''}`, () => {
  it('passes NULL as the argument block, as the executor does: EFAULT on this kernel', () => {
    const dir = tmp();
    const call = { a0: 1n, a1: 1n, a2: 0n, entry: 'i386-socketcall' as const, block: 'unreadable' as const };
    const finding = { property: 'P-MODEL-EQ-KERNEL', signature: 's', seed: 1, round: 0, model: 'EFAULT', request: requestLine(call, defaultEnv({ profile: reference618 }), 'x') };
    fs.writeFileSync(path.join(dir, 'findings.jsonl'), `${JSON.stringify(finding)}\n`);
    const src = path.join(dir, 'repro.c');
    expect(run(['repro', path.join(dir, 'findings.jsonl'), '-o', src]).code).toBe(0);
    expect(fs.readFileSync(src, 'utf8')).toContain(' * call: socketcall(SYS_SOCKET, NULL)');
    const cc = spawnSync('cc', ['-Wall', '-o', path.join(dir, 'repro'), src], { encoding: 'utf8' });
    expect([cc.status, cc.stderr]).toEqual([0, '']);
    const r = spawnSync(path.join(dir, 'repro'), [], { encoding: 'utf8' });
    expect(r.stdout).toBe('sockspec-repro call=0 ret=-14 result=EFAULT expected=EFAULT\n');
    expect(r.status).toBe(0);
  });
});

describe('fuzz --workers', () => {
  it('gives the same runs and findings whatever the number of workers', () => {
    const common = ['fuzz', '--seed', '11', '--runs', '300', '--oracle', 'none', '--kernel', 'reference-6.18', '--properties', 'P-HIGH-BITS,P-EXPLORE', '--json'];
    const one = JSON.parse(run([...common, '--workers', '1', '--out', tmp()]).out);
    const dir = tmp();
    const two = run([...common, '--workers', '2', '--out', dir]);
    expect(two.code).toBe(0);
    const s = JSON.parse(two.out);
    expect(s.runs).toBe(one.runs);
    expect(s.findings).toBe(one.findings);
    expect(fs.existsSync(path.join(dir, 'worker-1', 'summary.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
  });

  it('stops cleanly on SIGINT, keeps the summary and resumes', async () => {
    const dir = tmp();
    const child = spawn(process.execPath, [bin, 'fuzz', '--seed', '3', '--runs', '400000', '--oracle', 'none', '--kernel', 'reference-6.18', '--workers', '1', '--properties', 'P-HIGH-BITS', '--out', dir, '--json']);
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(3);
    const s = JSON.parse(stdout);
    expect(s.status).toBe('interrupted');
    expect(s.stopped).toBe(true);
    expect(s.runs).toBeGreaterThan(0);
    expect(s.runs).toBeLessThan(400000);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')).stopped).toBe(true);
    const resumed = run(['fuzz', '--resume', dir, '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ seed: 3, runs: 400000, stopped: false, status: 'complete' });
  });
});

describe('sockspec merge', () => {
  it('combines two shards into what the unsharded campaign reports', () => {
    const [a, b, whole, merged] = [tmp(), tmp(), tmp(), tmp()];
    const common = ['fuzz', '--seed', '5', '--runs', '400', '--oracle', 'none', '--kernel', 'reference-6.18', '--properties', 'P-HIGH-BITS,P-EXPLORE,P-FD-SEQUENCES', '--json'];
    expect(run([...common, '--shard', '1/2', '--out', a]).code).toBe(0);
    expect(run([...common, '--shard', '2/2', '--out', b]).code).toBe(0);
    const w = JSON.parse(run([...common, '--out', whole]).out);
    const r = run(['merge', a, b, '--out', merged, '--json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.runs).toBe(w.runs);
    expect(m.findings).toBe(0);
    const sa = JSON.parse(fs.readFileSync(path.join(a, 'summary.json'), 'utf8'));
    const sb = JSON.parse(fs.readFileSync(path.join(b, 'summary.json'), 'utf8'));
    for (const [cls, ids] of Object.entries(m.clausesByClass as Record<string, string[]>)) {
      const union = new Set([...(sa.clausesByClass[cls] ?? []), ...(sb.clausesByClass[cls] ?? [])]);
      expect(ids.length).toBe(union.size);
    }
    expect(Object.keys(m.coverageByClass).length).toBeGreaterThan(3);
    expect(fs.existsSync(path.join(merged, 'junit.xml'))).toBe(true);
  });

  it('refuses folders of different seeds and folders without a summary, exit 2', () => {
    const [a, b] = [tmp(), tmp()];
    run(['fuzz', '--seed', '1', '--runs', '50', '--oracle', 'none', '--properties', 'P-HIGH-BITS', '--out', a]);
    run(['fuzz', '--seed', '2', '--runs', '50', '--oracle', 'none', '--properties', 'P-HIGH-BITS', '--out', b]);
    expect(run(['merge', a, b]).err).toMatch(/different seeds/);
    expect(run(['merge', tmp()]).code).toBe(2);
  });
});
