// `sockspec check --oracle host` over the whole bounded space: zero mismatches between the model
// (with the probed host profile) and this kernel, in every environment class including each
// seccomp preset. Also: the cached preset programs are what libseccomp compiles today.
// Skipped only where the machine cannot run the executor (not root, or no binary), with the reason.

import { defaultEnv, type KernelProfile } from '../../model';
import { runCheck } from '../../engine/check';
import { formatCheck } from '../../report/text';
import { executorSkipReason, hostOracleForSuite } from '../helpers';
import { loadPreset, presetFilters, presetNames } from '../../oracle/oci';
import { observeOnHost } from '../../oracle/observe';

const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;

maybe(`bounded check against the host kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  const host = hostOracleForSuite();

  it('the cached preset programs equal a live libseccomp compile', async () => {
    const { oracle } = host.get();
    for (const name of presetNames()) {
      const plans = loadPreset(name).plans;
      const cached = presetFilters(name);
      expect(cached.length).toBe(plans.length);
      for (let i = 0; i < plans.length; i++) {
        const live = await oracle.compile(plans[i]);
        expect(live.rcs.every((r) => r.rc === 0)).toBe(true);
        expect(live.program).toEqual(cached[i].prog);
      }
    }
  });

  it('finds zero mismatches in every environment class', async () => {
    const { oracle, profile } = host.get();
    const extraClasses = presetNames().map((name) => ({
      id: `preset-${name}`, description: name, calls: 'seccomp' as const,
      env: (p: KernelProfile) => ({ ...defaultEnv({ profile: p }), seccomp: presetFilters(name) }),
    }));
    const summary = await runCheck({
      profile, extraClasses, kernel: (env, calls) => observeOnHost(oracle, env, calls), now: Date.now, batchSize: 8192,
    });
    process.stdout.write(`${formatCheck(summary).filter((l) => !l.startsWith('MISMATCH')).join('\n')}\n`);
    if (summary.mismatchCount > 0) throw new Error(formatCheck(summary).join('\n'));
    expect(summary.points).toBeGreaterThan(3_000_000);
  }, 3_600_000);
});
