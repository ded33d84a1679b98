// Shared by the tests that need the real kernel: why the executor cannot run here, if it cannot,
// a host oracle with its probed profile for a suite, and why a VM guest cannot boot here.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Call, KernelProfile } from '../model';
import { executorAvailable, HostOracle } from '../oracle/host';
import { ia32Unavailable } from '../oracle/host/ia32';
import { probeHostProfile } from '../oracle/probe';
import { staticElf, staticExecutorPath } from '../oracle/vm/runner';

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

/**
 * Empty when this machine can boot a guest for the VM oracle; otherwise what it lacks, for the
 * skip message (.ci/run installs all of it).
 */
export function vmSkipReason(): string {
  const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  const missing = ['qemu-system-x86_64', 'apt-get', 'dpkg-deb', 'depmod'].filter((c) => !has(c));
  if (!['/bin/busybox', '/usr/bin/busybox'].some((b) => fs.existsSync(b) && staticElf(b))) missing.push('static busybox');
  if (!fs.existsSync(staticExecutorPath())) missing.push('the static executor (npm run build)');
  return missing.length === 0 ? '' : `no ${missing.join(', ')} on this machine (.ci/run installs them)`;
}

/**
 * How many of `calls` the host oracle cannot run here: the i386 and socketcall ones on a kernel
 * without IA32 emulation (reported unavailable, never sent to the executor), else none.
 */
export function i386Unrunnable(calls: Iterable<Call>): number {
  if (ia32Unavailable() === '') return 0;
  let n = 0;
  for (const c of calls) if (c.entry === 'i386' || c.entry === 'i386-socketcall') n++;
  return n;
}
