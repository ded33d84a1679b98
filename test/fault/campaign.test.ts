// Fault injection: a campaign killed at random moments (main process, a worker, an executor) and
// resumed each time ends exactly where the uninterrupted campaign ends: the same summary, the
// same findings and corpus byte for byte, the same JUnit, a timeline ending at the same sample.
// SOCKSPEC_FAULT_KILLS sets how many kills (default 6 here; the closing notes run 100),
// SOCKSPEC_FAULT_SEED the kill schedule.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executorSkipReason } from '../helpers';
import seedrandom from 'seedrandom';
import { trial, uninterrupted, type Target } from './harness';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-fault-'));
const kills = Number(process.env.SOCKSPEC_FAULT_KILLS ?? 6);
const seed = Number(process.env.SOCKSPEC_FAULT_SEED ?? Date.now() % 100000);

const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;

jest.setTimeout(600000 + kills * 30000);

maybe(`campaigns killed and resumed${why ? ` — skipped: ${why}` : ''}`, () => {
  // A differential against a profile this kernel is not (findings), the exploration (coverage-
  // guided: its rounds depend on the coverage before them) and a model law, over two workers.
  const args = ['--seed', '31', '--runs', '60000', '--kernel', 'debian-6.1', '--workers', '2',
    '--properties', 'P-MODEL-EQ-KERNEL,P-EXPLORE,P-HIGH-BITS,P-FD-SEQUENCES'];

  it(`ends where the uninterrupted campaign ends, after ${kills} random kills (kill schedule seed ${seed})`, async () => {
    const t0 = Date.now();
    const whole = uninterrupted(args, tmp());
    const spanMs = Date.now() - t0;
    expect(whole.code).toBe(1);
    const targets: Target[] = ['main SIGKILL', 'main SIGINT', 'main SIGTERM', 'worker SIGKILL', 'executor SIGKILL'];
    const rng = seedrandom(String(seed));
    let hits = 0;
    let trials = 0;
    let starts = 0;
    const byTarget = new Map<string, number>();
    while (hits < kills) {
      trials++;
      const t = await trial(args, tmp(), rng, spanMs, 3, targets);
      starts += t.starts;
      for (const k of t.kills.filter((x) => x.hit)) {
        hits++;
        byTarget.set(k.target, (byTarget.get(k.target) ?? 0) + 1);
      }
      const where = `trial ${trials} of schedule seed ${seed}: ${t.kills.map((k) => `${k.target}@${k.afterMs}ms${k.hit ? '' : ' (after the end)'}→exit ${k.code}`).join(', ')}`;
      expect({ where, ...t.outcome }).toEqual({ where, ...whole });
    }
    process.stderr.write(`fault injection (schedule seed ${seed}): ${hits} kills while running (${[...byTarget].map(([k, v]) => `${k} ${v}`).join(', ')}), ${trials} trials, ${starts} starts; every final result equal to the uninterrupted one\n`);
  });
});
