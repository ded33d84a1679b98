// socketpair(2) on the host kernel: every line of the golden corpus test/corpus/socketpair.jsonl
// whose environment the host can set up (global knobs at their defaults, filters behind the
// harness prologue, a family the host registers) is replayed through the executor, and the
// kernel's answer (both ends with their flags and SO_* values, or the errno and what was left in
// sv) must equal the model's. Skipped only where the machine cannot run the executor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRequest } from '../../contract';
import { evaluate, FILE_MAX_DEFAULT, formatStrace, NR_OPEN_SYSCTL_DEFAULT, type Call, type Env } from '../../model';
import { compareOutcomes, describeMismatch } from '../../oracle/compare';
import { observeOnHost } from '../../oracle/observe';
import { hostReproducible } from '../../properties';
import { executorSkipReason, hostOracleForSuite } from '../helpers';
import { ia32Unavailable } from '../../oracle/host/ia32';

const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;
const FILE = path.join(__dirname, '..', 'corpus', 'socketpair.jsonl');

maybe(`socketpair corpus on the host kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  const host = hostOracleForSuite();

  it('every line the host can set up gives the model\'s answer', async () => {
    const { oracle, profile } = host.get();
    const lines = fs.readFileSync(FILE, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    const replayed: string[] = [];
    const problems: string[] = [];
    const unrunnable: string[] = [];
    for (const obj of lines) {
      if (obj.kernel !== undefined) continue;
      const { kernel: _k, expect: _e, expectFds: _f, expectEnds: _n, expectSv: _s, why: _w, ...request } = obj;
      const req = parseRequest(request, profile);
      if (req.env.fileMax !== FILE_MAX_DEFAULT || req.env.nrOpen !== NR_OPEN_SYSCTL_DEFAULT) continue;
      const env: Env = hostReproducible(req.env);
      const call: Call = req.call;
      const [obs] = await observeOnHost(oracle, env, [call]);
      // An entry path this kernel lacks (i386 without IA32 emulation) is for the VM too.
      if ('unavailable' in obs && obs.unavailable === true) {
        unrunnable.push(String(obj.id));
        continue;
      }
      const model = evaluate(call, env).outcome;
      const ms = compareOutcomes(model, obs);
      replayed.push(String(obj.id));
      if (ms.length > 0) problems.push(`${String(obj.id)}: ${formatStrace(call, model)}: ${ms.map(describeMismatch).join('; ')}`);
    }
    process.stdout.write(`socketpair corpus on the host: ${replayed.length} of ${lines.length} lines replayed${unrunnable.length > 0 ? `, ${unrunnable.length} through an entry path this kernel lacks` : ''}\n`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    // Lines needing a global knob (fs.file-max, fs.nr_open) or a family the host lacks stay for the VM.
    expect(unrunnable.length === 0 || ia32Unavailable() !== '').toBe(true);
    expect(replayed.length + unrunnable.length).toBeGreaterThanOrEqual(25);
  }, 120000);
});
