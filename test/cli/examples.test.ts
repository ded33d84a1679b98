// The examples of examples/ (issue 16, more than one machine): the Kubernetes Indexed Job and merge
// Job and the GitHub Actions workflow parse and hold together (completions and JOB_COMPLETIONS, the
// exit codes that must not retry, the matrix, the artifacts the merge downloads), and their very
// shard and merge command lines, found by the `# sockspec:shard-command` and
// `# sockspec:merge-command` markers and run here with the environment Kubernetes or GitHub Actions
// would set for two shards, merge into what the same line run as one shard reports: runs, findings,
// per-property runs, clause coverage and the corpus, against Debian 6.12 in QEMU. Skipped only
// where the machine lacks QEMU, a static busybox or the static executor.
// Sources: examples/kubernetes/indexed-job.yaml, examples/kubernetes/merge-job.yaml,
// examples/github-actions/nightly.yml, test/cli/fuzz.test.ts (shards merged against the unsharded
// campaign), test/oracle/vm.test.ts (the skip).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmSkipReason } from '../helpers';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'dist', 'cli', 'main.js');
const read = (f: string): string => fs.readFileSync(path.join(root, 'examples', f), 'utf8');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-examples-'));

// Parsed YAML, read field by field as the examples' own structure (the assertions check it).
type Doc = any;

// js-yaml 3 is in node_modules through Jest (ts-jest, babel-plugin-istanbul), without types; its
// safe loaders build plain objects only.
const yaml = require('js-yaml') as { safeLoad(s: string): Doc; safeLoadAll(s: string): Doc[] };

const docs = (f: string): Doc[] => yaml.safeLoadAll(read(f)).filter((d) => d !== null && d !== undefined);
const job = (f: string): Doc => {
  const jobs = docs(f).filter((d) => d.kind === 'Job');
  expect(jobs).toHaveLength(1);
  return jobs[0];
};

/** The one line after the marker comment in a script, the command it marks. */
function marked(script: string, marker: string): string {
  const lines = script.split('\n');
  const at = lines.flatMap((l, i) => (l.trim().startsWith(`# ${marker}`) ? [i] : []));
  expect(at).toHaveLength(1);
  const line = lines[at[0] + 1]?.trim() ?? '';
  expect(line).toMatch(/^sockspec (fuzz|merge) /);
  return line;
}

const k8sShards = job('kubernetes/indexed-job.yaml');
const k8sMerge = job('kubernetes/merge-job.yaml');
const workflow: Doc = yaml.safeLoad(read('github-actions/nightly.yml'));
const container = (j: Doc): Doc => j.spec.template.spec.containers[0];
const env = (c: Doc, name: string): Doc => c.env.find((e: Doc) => e.name === name);
const stepRunning = (jobId: string, marker: string): Doc => {
  const steps = workflow.jobs[jobId].steps.filter((s: Doc) => typeof s.run === 'string' && s.run.includes(`# ${marker}`));
  expect(steps).toHaveLength(1);
  return steps[0];
};

const k8sFuzzLine = marked(container(k8sShards).args.join('\n'), 'sockspec:shard-command');
const k8sMergeLine = marked(container(k8sMerge).args.join('\n'), 'sockspec:merge-command');
const ghFuzzLine = marked(stepRunning('fuzz', 'sockspec:shard-command').run, 'sockspec:shard-command');
const ghMergeLine = marked(stepRunning('merge', 'sockspec:merge-command').run, 'sockspec:merge-command');

describe('the Kubernetes example', () => {
  it('is an Indexed Job whose JOB_COMPLETIONS is its completions, with a merge Job on the same volume', () => {
    const spec = k8sShards.spec;
    expect(spec.completionMode).toBe('Indexed');
    expect(env(container(k8sShards), 'JOB_COMPLETIONS').value).toBe(String(spec.completions));
    expect(spec.template.spec.restartPolicy).toBe('Never');
    expect(k8sFuzzLine).toContain('--shard auto');
    expect(k8sFuzzLine).toContain('--oracle vm --kernel-image debian-6.12');
    // Both Jobs mount the same claim, declared beside the Indexed Job, at the same night's folder.
    const mounts = [k8sShards, k8sMerge].map((j) => container(j).volumeMounts[0]);
    expect(mounts[1]).toEqual(mounts[0]);
    const claims = [k8sShards, k8sMerge].map((j) => j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName);
    expect(claims[1]).toBe(claims[0]);
    expect(docs('kubernetes/indexed-job.yaml').filter((d) => d.kind === 'PersistentVolumeClaim').map((d) => d.metadata.name)).toEqual([claims[0]]);
    expect(k8sMergeLine).toContain(`${mounts[0].mountPath}/shard-*`);
    expect(k8sFuzzLine).toContain(`--out ${mounts[0].mountPath}/shard-$JOB_COMPLETION_INDEX`);
  });

  it('never retries a shard for its findings, and fails the Job at once on bad input', () => {
    const rules: Doc[] = k8sShards.spec.podFailurePolicy.rules;
    const onCode = (code: number): Doc[] => rules.filter((r) => r.onExitCodes?.operator === 'In' && r.onExitCodes.values.includes(code));
    // Ignore would run a pod with findings again and again (it does not count against the limit).
    expect(onCode(1).filter((r) => r.action === 'Ignore')).toEqual([]);
    expect(onCode(2).map((r) => r.action)).toEqual(['FailJob']);
    // The script ends a pod with findings with 0: run it with a stand-in sockspec that exits 1.
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'sockspec'), '#!/bin/sh\nexit "$FAKE_EXIT"\n', { mode: 0o755 });
    const script = container(k8sShards).args.join('\n');
    const exit = (code: number): number | null => spawnSync('bash', ['-c', script], {
      env: { PATH: `${dir}:${process.env.PATH}`, FAKE_EXIT: String(code), JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '2', RUNS: '1', SEED: '1', WORKERS: '1' },
    }).status;
    expect([0, 1, 2, 3, 4].map(exit)).toEqual([0, 0, 2, 3, 4]);
    expect(Number.isInteger(k8sShards.spec.backoffLimitPerIndex ?? k8sShards.spec.backoffLimit)).toBe(true);
  });
});

describe('the GitHub Actions example', () => {
  it('runs nightly and on demand: a matrix of shards uploading their folders, and a merge job downloading them', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
    for (const [id, j] of Object.entries(workflow.jobs as Record<string, Doc>)) {
      expect([id, typeof j['runs-on']]).toEqual([id, 'string']);
      for (const s of j.steps) expect([id, s.name ?? s.uses, (s.run === undefined) !== (s.uses === undefined)]).toEqual([id, s.name ?? s.uses, true]);
      for (const need of [j.needs ?? []].flat()) expect(Object.keys(workflow.jobs)).toContain(need);
    }
    const shards: number[] = workflow.jobs.fuzz.strategy.matrix.shard;
    expect(shards).toEqual(shards.map((_, i) => i + 1));
    expect(workflow.jobs.fuzz.strategy['fail-fast']).toBe(false);
    expect(ghFuzzLine).toContain('--shard ${{ matrix.shard }}/${{ strategy.job-total }}');
    expect(ghFuzzLine).toContain('--out shard-${{ matrix.shard }} ');
    const upload = workflow.jobs.fuzz.steps.find((s: Doc) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(upload.with.name).toBe('shard-${{ matrix.shard }}');
    expect(upload.with.path.replace(/\/$/, '')).toBe('shard-${{ matrix.shard }}');
    expect([workflow.jobs.merge.needs].flat()).toContain('fuzz');
    const download = workflow.jobs.merge.steps.find((s: Doc) => String(s.uses).startsWith('actions/download-artifact@') && s.with.pattern !== undefined);
    expect(download.with).toMatchObject({ pattern: 'shard-*', path: '.' });
    expect(ghMergeLine).toMatch(/^sockspec merge shard-\* --out (\S+) --json \$\(\[ -f baseline\/summary\.json \] && echo --baseline baseline --fail-on new\)$/);
    const out = /--out (\S+)/.exec(ghMergeLine)?.[1];
    const uploads = workflow.jobs.merge.steps.filter((s: Doc) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect(uploads.map((s: Doc) => s.with.path.replace(/\/$/, ''))).toContain(out);
  });
});

// The VM oracle, as test/oracle/vm.test.ts requires it.
const why = vmSkipReason();

// Enough for two rounds of every property (1000 runs a round), so shards split a property's runs.
const RUNS = '1500';
const SEED = '20260101';

(why === '' ? describe : describe.skip)(`the examples' command lines, two shards merged, against the unsharded campaign on Debian 6.12 in QEMU${why ? ` — skipped: ${why}` : ''}`, () => {
  const binDir = tmp();
  let baseEnv: NodeJS.ProcessEnv;
  beforeAll(() => {
    // `sockspec` on the PATH, as `npm link` puts it.
    fs.writeFileSync(path.join(binDir, 'sockspec'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"\n`, { mode: 0o755 });
    process.env.SOCKSPEC_CACHE ??= path.join(os.tmpdir(), 'sockspec-test-cache');
    const fetched = spawnSync(process.execPath, [bin, 'kernels', 'fetch', 'debian-6.12'], { encoding: 'utf8' });
    expect(fetched.status).toBe(0);
    const { JOB_COMPLETION_INDEX: _i, JOB_COMPLETIONS: _n, CI_NODE_INDEX: _ci, CI_NODE_TOTAL: _ct, ...rest } = process.env;
    baseEnv = { ...rest, PATH: `${binDir}:${process.env.PATH}`, RUNS, SEED };
  }, 300000);

  /** Runs a command line in bash as the engine would, unset variables an error. */
  function sh(line: string, cwd: string, extra: NodeJS.ProcessEnv): { code: number | null; summary: Doc } {
    const r = spawnSync('bash', ['-c', `set -u\n${line}`], { cwd, env: { ...baseEnv, ...extra }, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`${line}: exit ${r.status}\n${r.stderr}`);
    return { code: r.status, summary: JSON.parse(r.stdout) };
  }

  /** What a merged folder and the unsharded campaign's must agree on (no seconds, no boots, no ids). */
  function outcome(dir: string, summary: Doc): Doc {
    const lines = (f: string): string[] => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean) : []);
    const sortValues = (o: Record<string, string[]>): Record<string, string[]> => Object.fromEntries(Object.entries(o).sort().map(([k, v]) => [k, [...v].sort()]));
    return {
      seed: summary.seed,
      runs: summary.runs,
      findings: summary.findings,
      uniqueFindings: summary.uniqueFindings,
      signatures: [...new Set(lines('findings.jsonl').map((l) => JSON.parse(l).signature as string))].sort(),
      properties: [...summary.properties].map((p: Doc) => ({ id: p.id, runs: p.runs, findings: p.findings, rounds: p.rounds })).sort((a, b) => a.id.localeCompare(b.id)),
      clausesCovered: summary.clausesCovered,
      uncovered: [...summary.uncovered].sort(),
      clausesByClass: sortValues(summary.clausesByClass),
      coverageByClass: summary.coverageByClass,
      kernelCalls: summary.kernelCalls?.calls,
      // The corpus keeps one input for each class and clause: the same keys, though which input
      // witnesses a key depends on the order the rounds ran in (shards and workers), not only on
      // the seed, so the lines themselves differ (a run of 1500 showed 9 of 285).
      corpus: lines('corpus.jsonl').flatMap((l) => JSON.parse(l).covers as string[]).sort(),
    };
  }

  let whole: Doc;
  let wholeCode: number | null;
  it('the Kubernetes line as one shard is the unsharded campaign', () => {
    const dir = tmp();
    const mount = container(k8sShards).volumeMounts[0].mountPath as string;
    const r = sh(k8sFuzzLine.split(`${mount}/`).join(`${dir}/`), dir, { JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '1', WORKERS: String(os.cpus().length) });
    const campaign = JSON.parse(fs.readFileSync(path.join(dir, 'shard-0', 'campaign.json'), 'utf8'));
    expect(campaign).toMatchObject({ shard: '1/1', oracle: 'vm', kernel: 'debian-6.12', seed: Number(SEED), runs: Number(RUNS) });
    expect(r.summary.status).toBe('complete');
    expect(r.summary.kernelCalls.calls).toBeGreaterThan(0);
    whole = outcome(path.join(dir, 'shard-0'), r.summary);
    wholeCode = r.code;
  }, 300000);

  it('Kubernetes: pods 0 and 1 of an Indexed Job of 2, merged, are the unsharded campaign', () => {
    const dir = tmp();
    const mount = container(k8sShards).volumeMounts[0].mountPath as string;
    const at = (line: string): string => line.split(`${mount}/`).join(`${dir}/`);
    const shards = ['0', '1'].map((i) => sh(at(k8sFuzzLine), dir, { JOB_COMPLETION_INDEX: i, JOB_COMPLETIONS: '2', WORKERS: String(os.cpus().length) }));
    expect(['0', '1'].map((i) => JSON.parse(fs.readFileSync(path.join(dir, `shard-${i}`, 'campaign.json'), 'utf8')).shard)).toEqual(['1/2', '2/2']);
    expect(shards.map((s) => s.summary.runs > 0)).toEqual([true, true]);
    const m = sh(at(k8sMergeLine), dir, {});
    expect(m.code).toBe(wholeCode);
    expect(outcome(path.join(dir, 'merged'), m.summary)).toEqual(whole);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'merged', 'summary.json'), 'utf8')).runs).toBe(whole.runs);
  }, 300000);

  it('GitHub Actions: matrix shards 1 and 2 of 2, merged, are the unsharded campaign', () => {
    const dir = tmp();
    const expand = (line: string, vars: Record<string, string>): string => {
      const out = line.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
        if (!(e in vars)) throw new Error(`no value for \${{ ${e} }} in ${line}`);
        return vars[e];
      });
      return out;
    };
    const shards = ['1', '2'].map((i) => sh(expand(ghFuzzLine, { 'matrix.shard': i, 'strategy.job-total': '2' }), dir, {}));
    expect(['1', '2'].map((i) => JSON.parse(fs.readFileSync(path.join(dir, `shard-${i}`, 'campaign.json'), 'utf8')).shard)).toEqual(['1/2', '2/2']);
    expect(shards.map((s) => s.summary.runs > 0)).toEqual([true, true]);
    const m = sh(expand(ghMergeLine, {}), dir, {});
    expect(m.code).toBe(wholeCode);
    const out = /--out (\S+)/.exec(ghMergeLine)?.[1] ?? '';
    expect(outcome(path.join(dir, out), m.summary)).toEqual(whole);
    expect(fs.existsSync(path.join(dir, out, 'report.html'))).toBe(true);
    // The next night, with this one downloaded as its baseline: the same findings are not new.
    fs.cpSync(path.join(dir, out), path.join(dir, 'baseline'), { recursive: true });
    const next = sh(expand(ghMergeLine, {}), dir, {});
    expect(next.code).toBe(0);
    expect(next.summary.baseline).toMatchObject({ new: [], gone: [] });
    expect(next.summary.baseline.persisting).toHaveLength(whole.signatures.length);
  }, 300000);
});
