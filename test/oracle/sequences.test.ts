// Sequences on the host kernel: every socket/socketpair/close/dup2 sequence up to three steps from
// the four host layouts, run in one child each with nothing restored, the fd table compared with
// the model's after every step. The check is shown able to fail: a kernel answer with one fd's
// flag flipped is caught at its step and shrunk to the shortest sequence that still shows it.
// Skipped only where the machine cannot run the executor.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { defaultEnv, fdTable, runSequence, type Step } from '../../model';
import { checkSequence, compareStep, runSequenceCheck, sequenceAlphabet, sequencesUpTo, SEQUENCE_LAYOUTS } from '../../engine/sequences';
import type { SequenceRun } from '../../oracle/codec';
import { executorSkipReason, hostOracleForSuite } from '../helpers';

const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;
const BIN = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

describe('the bounded set of sequences', () => {
  it('is every sequence up to the length over the alphabet, shortest first', () => {
    const a = sequenceAlphabet(defaultEnv());
    const all = [...sequencesUpTo(a, 3)];
    expect(a).toHaveLength(10);
    expect(all).toHaveLength(10 + 100 + 1000);
    expect(all[0]).toHaveLength(1);
    expect(all[all.length - 1]).toHaveLength(3);
    expect(new Set(all.map((s) => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).size).toBe(all.length);
  });

  it('the model keeps a grown table after a failed dup2 and refuses past fs.nr_open with EBADF', () => {
    const env = { ...defaultEnv({ fds: fdTable(Array.from({ length: 62 }, (_, i) => i)) }), nrOpen: 64 };
    const r = runSequence(env, [{ op: 'dup2', oldfd: 4, newfd: 64 }, { op: 'dup2', oldfd: 4, newfd: 63 }]);
    expect(r.map((x) => x.result)).toEqual([{ kind: 'errno', errno: 'EBADF' }, { kind: 'ret', value: 63 }]);
    const grown = runSequence(defaultEnv(), [{ op: 'dup2', oldfd: 9, newfd: 64 }]);
    expect(grown[0].result).toEqual({ kind: 'errno', errno: 'EBADF' });
  });
});

maybe(`sequences on the host kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  const host = hostOracleForSuite();

  it('every sequence up to 3 steps from every host layout: the kernel\'s fd table equals the model\'s after each step', async () => {
    const { oracle, profile } = host.get();
    const s = await runSequenceCheck({ profile, kernel: (env, steps) => oracle.sequence(env, steps), maxLength: 3 });
    expect(s.layouts.map((l) => l.id)).toEqual(SEQUENCE_LAYOUTS.map((l) => l.id));
    expect(s.sequences).toBe(4 * 1110);
    expect(s.unobserved).toBe(0);
    if (s.mismatchCount > 0) throw new Error(JSON.stringify(s.mismatches.slice(0, 3), null, 1));
  }, 300000);

  it('can fail: a kernel whose dup3 lost O_CLOEXEC is caught at that step and shrunk to the socket it dups and the dup3', async () => {
    const { oracle, profile } = host.get();
    // The kernel, but every fd a dup3(…, O_CLOEXEC) made reads without FD_CLOEXEC afterwards.
    const broken = async (env: Parameters<typeof oracle.sequence>[0], steps: readonly Step[]): Promise<SequenceRun> => {
      const run = await oracle.sequence(env, steps);
      const lost = new Set<number>();
      return {
        ...run,
        steps: run.steps.map((r, i) => {
          const s = steps[i];
          if (s.op === 'dup2' && s.cloexec === true && r.status === 'returned' && r.ret >= 0n) lost.add(s.newfd);
          if (s.op === 'close') lost.delete(s.fd);
          if (r.status !== 'returned' || r.table === null) return r;
          return { ...r, table: r.table.map((e) => (lost.has(e.fd) ? { ...e, cloexec: false } : e)) };
        }),
      };
    };
    const env = SEQUENCE_LAYOUTS[0].env(profile);
    const steps: Step[] = [
      { op: 'call', call: { a0: 1n, a1: 1n, a2: 0n } }, { op: 'call', call: { a0: 2n, a1: 2n, a2: 0n } },
      { op: 'dup2', oldfd: 3, newfd: 9, cloexec: true }, { op: 'close', fd: 4 },
    ];
    const m = await checkSequence(broken, 'seq-default', env, steps);
    expect(m).not.toBeNull();
    if (m === null || m === 'unobserved') throw new Error('no mismatch');
    expect(m.original).toHaveLength(4);
    // Shrinking drops the first socket: the second then takes fd 3, and two steps still show it.
    expect(m.lines).toEqual(['socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 3', 'dup3(3, 9, O_CLOEXEC) = 9']);
    expect(m.at).toBe(1);
    expect(m.details).toEqual(['fd 9 cloexec: model true, kernel false']);
    const fine = await oracle.sequence(env, steps);
    expect(runSequence(env, steps).map((x, i) => compareStep(x, fine.steps[i]))).toEqual([[], [], [], []]);
  }, 60000);

  it('sockspec check --oracle host --sequences 2: the summary carries the sequences; bad lengths exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'check', '--oracle', 'host', '--classes', 'fd-holes', '--sequences', '2', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.sequences).toMatchObject({ sequences: 4 * 110, maxLength: 2, mismatchCount: 0, unobserved: 0 });
    const bad = spawnSync(process.execPath, [BIN, 'check', '--oracle', 'host', '--sequences', '9'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--sequences');
  }, 120000);
});
