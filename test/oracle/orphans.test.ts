// An executor killed at any moment leaves nothing behind: a batch child it forked into a user
// namespace, waiting for its identity maps, dies with it (parent-death signal from the first
// instruction, and only the child's own ends of the handshake pipes kept, so a dead parent reads
// as EOF), and the runner drops its ends of a dead executor's pipes, so no stray process can keep
// a campaign worker alive. Found by the fault-injection suite: a worker hung after its campaign
// ended, held by such an orphan. Sources: oracle/executor/watch.c, oracle/executor/child.c,
// oracle/host/oracle.ts.

import * as fs from 'node:fs';
import { defaultEnv } from '../../model/state';
import type { Call, Env } from '../../model/types';
import { HostOracle } from '../../oracle/host';
import { executorSkipReason } from '../helpers';

const reason = executorSkipReason();
const suite = reason === '' ? describe : describe.skip;

/** Processes whose parent is init and whose command is the executor (orphaned executor children). */
function orphans(): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === 1 && comm.startsWith('sockspec-exec') ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

suite(`an executor killed at any moment${reason === '' ? '' : ` (skipped: ${reason})`}`, () => {
  it('leaves no orphaned child behind, in 200 kills during user-namespace batches', async () => {
    const before = new Set(orphans());
    const base = defaultEnv();
    const env: Env = { ...base, creds: { ...base.creds, namespaces: 'user+net' } };
    const calls: Call[] = Array.from({ length: 4 }, () => ({ a0: 2n, a1: 1n, a2: 0n }));
    const o = await HostOracle.start();
    try {
      for (let i = 0; i < 200; i++) {
        const pending = o.run(env, calls);
        // A moment inside the batch: the fork and the user-namespace handshake come first.
        await new Promise((r) => setTimeout(r, i % 3));
        const pid = o.pid;
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        await pending.catch(() => undefined);
      }
      const after = await o.run(env, calls);
      expect(after.results.every((r) => r.status === 'returned')).toBe(true);
    } finally {
      await o.close();
    }
    // A child killed by the parent-death signal takes a moment to go (namespace teardown).
    let left = orphans().filter((p) => !before.has(p));
    for (let t = 0; t < 50 && left.length > 0; t++) {
      await new Promise((r) => setTimeout(r, 100));
      left = orphans().filter((p) => !before.has(p));
    }
    expect(left).toEqual([]);
  });
});
