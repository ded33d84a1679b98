// The host oracle through the command line when things go wrong: kill -9 of the executor in the
// middle of `check --oracle host` (restarted, the batch retried, the same clean result), a batch
// the executor dies in twice (its points unobserved, counted, exit 4) for check and eval, a
// machine without the privileges the executor needs (exit 2 before any work), and requests
// beyond the executor's limits (exit 2 naming the field). Deaths on chosen requests come from
// test/fixtures/dying-executor.js through SOCKSPEC_EXECUTOR. Sources: oracle/host/oracle.ts,
// oracle/host/discovery.ts, oracle/codec/requests.ts, cli/commands/check.ts, cli/commands/eval.ts.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executorPath } from '../../oracle/host';
import { KIND } from '../../oracle/protocol';
import { classCalls } from '../../generators/space';
import { executorSkipReason, i386Unrunnable } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const WRAPPER = path.join(__dirname, '..', 'fixtures', 'dying-executor.js');
const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;
const INET = { family: 'AF_INET', type: 'SOCK_STREAM', protocol: 0 };

function run(args: string[], input = '', env: NodeJS.ProcessEnv = process.env, prefix: string[] = []): { code: number | null; out: string; err: string } {
  const argv = [...prefix, process.execPath, bin, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8', env, cwd: os.tmpdir() });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The sockspec-executor processes whose parent is `pid` (comm is cut to 15 characters). */
function executorChildren(pid: number): number[] {
  let kids: string;
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return [];
  }
  return kids.trim().split(/\s+/).filter((k) => k !== '').map(Number).filter((k) => {
    try {
      return fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'sockspec-execut';
    } catch {
      return false;
    }
  });
}

maybe(`sockspec check and eval survive the executor${why ? ` — skipped: ${why}` : ''}`, () => {
  let dir: string;
  let state: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-cli-survival-'));
    state = path.join(dir, 'runs');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The environment that makes the CLI's executor die on RUN requests `dieOn` (retries counted). */
  const dying = (dieOn: number[]): NodeJS.ProcessEnv => {
    fs.rmSync(state, { force: true });
    return {
      ...process.env, SOCKSPEC_EXECUTOR: WRAPPER,
      DYING_REAL: executorPath(), DYING_ON: dieOn.join(','), DYING_STATE: state, DYING_KIND: String(KIND.RUN),
    };
  };
  const requestsSeen = (): number => Number(fs.readFileSync(state, 'utf8'));

  it('check --oracle host finishes with the clean result after kill -9 of its executor mid-check', async () => {
    const child = spawn(process.execPath, [bin, 'check', '--oracle', 'host', '--classes', 'root,no-caps', '--json'], { cwd: os.tmpdir() });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const pid = child.pid as number;
    const seen = new Set<number>();
    let killed: number | undefined;
    let done = false;
    void exited.then(() => { done = true; });
    const t0 = Date.now();
    while (!done) {
      for (const e of executorChildren(pid)) seen.add(e);
      // Once the probe is over and the check is under way, kill the executor of this check (once).
      if (killed === undefined && seen.size > 0 && Date.now() - t0 > 1500) {
        killed = [...seen][0];
        process.kill(killed, 'SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exited).toBe(0);
    expect(killed).toBeDefined();
    expect([...seen].filter((p) => p !== killed).length).toBeGreaterThan(0); // a new executor took over
    const s = JSON.parse(out);
    expect(s).toMatchObject({ oracle: 'host', points: 2 * 355080, mismatchCount: 0, unobserved: 0, unobservedWhy: null });
    expect(s.classes).toEqual([{ id: 'root', points: 355080, mismatches: 0 }, { id: 'no-caps', points: 355080, mismatches: 0 }]);
  });

  it('check counts the points of a batch the executor died in twice as unobserved, goes on, and exits 4', () => {
    const args = ['check', '--oracle', 'host', '--classes', 'seccomp-errno-0,seccomp-log'];
    const calm = run([...args, '--json'], '', dying([]));
    expect(calm.code).toBe(0);
    const last = requestsSeen(); // the probe's RUNs, then one per class: the last is seccomp-log's
    const json = run([...args, '--json'], '', dying([last, last + 1]));
    expect(json.code).toBe(4);
    expect(requestsSeen()).toBe(last + 1);
    // A seccomp class has 4,286 points: batches of 4,096 and 190; the last RUN is seccomp-log's
    // second (without IA32 emulation, its i386 points are unavailable and never sent).
    const lost = 190 - i386Unrunnable([...classCalls({ calls: 'seccomp' })].slice(4096));
    expect(JSON.parse(json.out)).toMatchObject({ points: 2 * 4286, mismatchCount: 0, unobserved: lost, classes: JSON.parse(calm.out).classes });
    expect(JSON.parse(json.out).unobservedWhy).toMatch(/^seccomp-log: the executor died during this RUN and again when it was retried/);
    const text = run(args, '', dying([last, last + 1]));
    expect(text.code).toBe(4);
    expect(text.out).toMatch(/\n0 mismatches\n/);
    expect(text.out).toContain(`\n${lost} points unobserved: the oracle lost their results, so this is no clean pass (first: seccomp-log: the executor died`);
    expect(text.err).not.toContain('internal error');
  });

  it('eval --oracle host retries a batch its executor died in once, and answers unobserved (exit 4) after a second death', () => {
    const input = [1, 2].map((id) => JSON.stringify({ id, ...INET })).join('\n');
    const args = ['eval', '--oracle', 'host', '--kernel', 'reference-6.18'];
    const once = run(args, input, dying([1]));
    expect(once.code).toBe(0);
    expect(requestsSeen()).toBe(2);
    expect(once.out.trim().split('\n').map((l) => JSON.parse(l).result)).toEqual(['ok', 'ok']);
    const twice = run(args, input, dying([1, 2]));
    expect(twice.code).toBe(4);
    const out = twice.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((o) => [o.id, o.result, o.source])).toEqual([[1, 'unobserved', 'kernel'], [2, 'unobserved', 'kernel']]);
    expect(out[0].reason).toMatch(/the executor died during this RUN and again when it was retried/);
    const compare = run(['eval', '--compare', '--kernel', 'reference-6.18'], input, dying([1, 2]));
    expect(compare.code).toBe(4);
    expect(JSON.parse(compare.out.split('\n')[0])).toMatchObject({ id: 1, result: 'ok', kernel: { result: 'unobserved' }, mismatch: false });
  });

  it('eval --oracle host refuses an environment beyond the executor\'s limits with exit 2, naming the field and the limit', () => {
    const input = [
      { id: 'fds', ...INET, env: { openFds: [0, 1, 2, 2048] } },
      { id: 'groups', ...INET, env: { groups: Array.from({ length: 33 }, (_, i) => i + 1) } },
      { id: 'filters', ...INET, env: { seccomp: Array.from({ length: 17 }, () => ({ bpf: [[6, 0, 0, 0x7fff0000]] })) } },
      { id: 'fine', ...INET },
    ].map((o) => JSON.stringify(o)).join('\n');
    for (const args of [['eval', '--oracle', 'host'], ['eval', '--compare']]) {
      const r = run([...args, '--kernel', 'reference-6.18'], input);
      expect(r.code).toBe(2);
      expect(r.err).not.toContain('internal error');
      const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(out.map((o) => [o.id, o.result])).toEqual([['fds', 'error'], ['groups', 'error'], ['filters', 'error'], ['fine', 'ok']]);
      expect(out[0].error).toBe('line 1: env.openFds: fd 2048: the executor lays out fds 0..2047 only (MAX_LAYOUT_FD 2048)');
      expect(out[1].error).toBe('line 2: env.groups: 33 supplementary groups: the executor sets at most 32 (MAX_GROUPS)');
      expect(out[2].error).toBe('line 3: env.seccomp: 17 filters: the executor stacks at most 16 (MAX_FILTERS)');
    }
  });
});

/** Why the CLI cannot be run as uid 65534 here, or '' (root with setpriv, and a build 65534 can read). */
function unprivilegedSkipReason(): string {
  if (process.getuid?.() !== 0) return 'the test process is not root, so it cannot switch to uid 65534';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv (util-linux) is not installed';
  if (!fs.existsSync(bin)) return `${bin} is missing (npm run build)`;
  const probe = spawnSync('setpriv', [...DROP, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(bin)}, require('fs').constants.R_OK)`]);
  if (probe.status !== 0) return `uid 65534 cannot read ${bin} (the checkout is not world-readable)`;
  return '';
}
const DROP = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const unprivileged = unprivilegedSkipReason();
const asNobody = unprivileged === '' ? describe : describe.skip;

asNobody(`the host oracle as uid 65534${unprivileged ? ` — skipped: ${unprivileged}` : ''}`, () => {
  const nobody = (args: string[], input = '') => run(args, input, process.env, ['setpriv', ...DROP]);
  const refusal = /^sockspec: (--oracle|--compare|--a): the host oracle needs root \(uid 0 with CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN\) to build each environment; this process runs as uid 65534/;
  const request = JSON.stringify({ id: 1, ...INET });

  it.each([
    ['check --oracle host --classes root', ['check', '--oracle', 'host', '--classes', 'root'], '--oracle'],
    ['eval --oracle host', ['eval', '--oracle', 'host'], '--oracle'],
    ['eval --compare', ['eval', '--compare'], '--compare'],
    ['diff --a host', ['diff', '--a', 'host', '--b', 'debian-6.1'], '--a'],
  ])('%s exits 2 before any work, naming the flag and the missing privilege', (_name, args, flag) => {
    const r = nobody(args, request);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(refusal);
    expect(r.err.startsWith(`sockspec: ${flag}:`)).toBe(true);
    expect(r.out).toBe(''); // no summary, no answered line
  });

  it('still answers from the model alone (eval without an oracle) as uid 65534', () => {
    const r = nobody(['eval'], request);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: 1, result: 'ok', fd: 3 });
  });
});
