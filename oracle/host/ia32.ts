// Whether this kernel runs the i386 entry paths for a 64-bit process (IA32 emulation), probed
// once with dist/executor/ia32-probe (oracle/executor/ia32-probe.c). The host runner leaves the
// i386 and i386-socketcall calls unobserved where it does not.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { builtExecutorDir, executorPath } from './discovery';

let ia32: string | undefined;

/**
 * Why this kernel cannot run the i386 entries for a 64-bit process, or '' where it can (probed
 * once with dist/executor/ia32-probe: int $0x80 raises SIGSEGV without IA32 emulation).
 */
export function ia32Unavailable(): string {
  if (ia32 !== undefined) return ia32;
  // Beside the executor, or (for an executor given by SOCKSPEC_EXECUTOR, such as a test's
  // wrapper) where the build puts it: a kernel is never taken to have IA32 for want of a probe.
  const probe = [path.dirname(executorPath()), builtExecutorDir()].map((d) => path.join(d, 'ia32-probe')).find((f) => fs.existsSync(f));
  if (probe === undefined) return (ia32 = '');
  const r = spawnSync(probe, [], { stdio: 'ignore' });
  ia32 = r.status === 0 ? '' : r.signal === 'SIGSEGV'
    ? 'this kernel has no IA32 emulation: int $0x80 raises SIGSEGV (CONFIG_IA32_EMULATION off or ia32_emulation=0)'
    : `the i386 entry probe failed (${r.signal ?? `exit ${r.status}`})`;
  return ia32;
}
