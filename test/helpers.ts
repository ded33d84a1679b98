// Shared by the tests that need the real kernel: why the executor cannot run here, if it cannot,
// and a host oracle with its probed profile for a suite.

import type { KernelProfile } from '../model';
import { executorAvailable, HostOracle } from '../oracle/host';
import { probeHostProfile } from '../oracle/probe';

/** Empty when the executor can run; otherwise the reason, for the skip message. */
export function executorSkipReason(): string {
  if (executorAvailable()) return '';
  return process.getuid?.() !== 0 ? 'not running as root (namespaces, capabilities and seccomp setup need it)' : 'the executor binary is missing (npm run build)';
}

/** Starts one executor for a suite (beforeAll) and closes it (afterAll); `get()` inside tests. */
export function hostOracleForSuite(): { get: () => { oracle: HostOracle; profile: KernelProfile } } {
  let state: { oracle: HostOracle; profile: KernelProfile } | undefined;
  beforeAll(async () => {
    const oracle = await HostOracle.start();
    state = { oracle, profile: await probeHostProfile(oracle) };
  });
  afterAll(async () => {
    await state?.oracle.close();
  });
  return { get: () => state as { oracle: HostOracle; profile: KernelProfile } };
}
