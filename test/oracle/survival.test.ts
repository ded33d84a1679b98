// The host oracle survives its executor: an executor killed in the middle of a RUN is restarted
// and the RUN sent once more with the same results; killed again, the batch comes back `lost`,
// and `sockspec check` counts those points as unobserved and goes on. A COMPILE that dies twice
// rejects with the reason. Deaths are forced by test/fixtures/dying-executor.js on chosen RUNs,
// and by kill -9 of the real executor. Sources: oracle/host/oracle.ts, engine/check.ts,
// docs/architecture.md "The host oracle survives its executor".

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultEnv } from '../../model/state';
import type { Call } from '../../model/types';
import { runCheck } from '../../engine/check';
import { ExecutorError, HostOracle, executorPath } from '../../oracle/host';
import { observeOnHost } from '../../oracle/observe';
import { probeHostProfile } from '../../oracle/probe';
import { KIND } from '../../oracle/protocol';
import { formatCheck } from '../../report/text';
import { classCalls } from '../../generators/space';
import { executorSkipReason, i386Unrunnable } from '../helpers';

const reason = executorSkipReason();
const suite = reason === '' ? describe : describe.skip;
const WRAPPER = path.join(__dirname, '..', 'fixtures', 'dying-executor.js');
const inet = (n: number): Call[] => Array.from({ length: n }, () => ({ a0: 2n, a1: 1n, a2: 0n }));

suite(`the host oracle survives its executor${reason === '' ? '' : ` (skipped: ${reason})`}`, () => {
  let dir: string;
  let state: string;

  /**
   * A host oracle whose executor dies on the requests of `kind` numbered in `dieOn` (1-based,
   * retries counted): a script in `dir` that runs test/fixtures/dying-executor.js with its settings.
   */
  const dying = (dieOn: number[], kind: number = KIND.RUN): Promise<HostOracle> => {
    const script = path.join(dir, 'executor');
    const vars = { DYING_REAL: executorPath(), DYING_ON: dieOn.join(','), DYING_STATE: state, DYING_KIND: String(kind) };
    const sets = Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join(' ');
    fs.writeFileSync(script, `#!/bin/sh\n${sets} exec '${process.execPath}' '${WRAPPER}'\n`, { mode: 0o755 });
    return HostOracle.start({ path: script });
  };
  const requestsSeen = (): number => Number(fs.readFileSync(state, 'utf8'));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-survival-'));
    state = path.join(dir, 'runs');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retries a RUN the executor died in, once, with the results of an undisturbed run', async () => {
    const o = await dying([2]);
    try {
      const calm = await o.run(defaultEnv(), inet(50));
      const retried = await o.run(defaultEnv(), inet(50));
      expect(requestsSeen()).toBe(3);
      expect(o.restarts).toEqual({ restarts: 1, retries: 1 });
      expect(retried.lost).toBeUndefined();
      expect(retried.results).toEqual(calm.results);
      expect(retried.results[0]).toMatchObject({ status: 'returned', outcome: { kind: 'fd', fd: 3, domain: 2, sotype: 1, soprotocol: 6 } });
    } finally {
      await o.close();
    }
  });

  it('reports every call of a RUN that died twice as lost, with the reason, and serves the next one', async () => {
    const o = await dying([1, 2]);
    try {
      const run = await o.run(defaultEnv(), inet(7));
      expect(run.lost).toMatch(/executor died during this RUN and again when it was retried .*signal SIGKILL/);
      expect(run.results).toEqual(inet(7).map(() => ({ status: 'lost', reason: run.lost })));
      const obs = await observeOnHost(o, defaultEnv(), inet(2));
      expect(obs.map((x) => 'outcome' in x && x.outcome.kind)).toEqual(['fd', 'fd']);
      expect(o.restarts).toEqual({ restarts: 2, retries: 1 });
    } finally {
      await o.close();
    }
  });

  it('rejects a COMPILE the executor died in twice with an ExecutorError (no call to report as unobserved)', async () => {
    const o = await dying([1, 2], KIND.COMPILE);
    try {
      const compiling = o.compile({ defaultAction: 0x7fff0000, arches: [], rules: [] });
      await expect(compiling).rejects.toThrow(ExecutorError);
      await expect(compiling).rejects.toThrow(/died during this COMPILE and again when it was retried/);
      expect(requestsSeen()).toBe(2);
      expect((await o.run(defaultEnv(), inet(1))).results[0].status).toBe('returned');
    } finally {
      await o.close();
    }
  });

  it('lets check carry on past a lost batch: the lost points are counted as unobserved, not as mismatches', async () => {
    // Each class is one batch of 3685 points: RUN 1 is seccomp-errno-0, RUNs 2 and 3 seccomp-log.
    const o = await dying([2, 3]);
    try {
      const clean = await HostOracle.start();
      const profile = await probeHostProfile(clean).finally(() => clean.close());
      const summary = await runCheck({
        profile, classes: ['seccomp-errno-0', 'seccomp-log'], batchSize: 8192, // one RUN per class
        kernel: (env, calls) => observeOnHost(o, env, calls),
      });
      expect(requestsSeen()).toBe(3);
      expect(summary.points).toBe(2 * 4286);
      // Without IA32 emulation the i386 points never reach the executor: unavailable, not lost.
      const i386 = i386Unrunnable(classCalls({ calls: 'seccomp' }));
      expect(summary.unavailable).toBe(2 * i386);
      expect(summary.unobserved).toBe(4286 - i386);
      expect(summary.unobservedWhy).toMatch(/^seccomp-log: the executor died during this RUN and again/);
      expect(summary.mismatchCount).toBe(0);
      expect(summary.classes.map((c) => c.mismatches)).toEqual([0, 0]);
      expect(formatCheck(summary).join('\n')).toContain(`${4286 - i386} points unobserved: the oracle lost their results, so this is no clean pass`);
    } finally {
      await o.close();
    }
  });
});
