// An OCI / Docker seccomp profile compiled as runc does: translated into libseccomp rules
// (oracle/oci.ts) and compiled by the system's libseccomp in the executor into BPF filters the
// model and the kernel both run. Sources: oracle/oci.ts, docs/seccomp.md §3.

import { ContractError } from '../contract';
import type { HostOracle } from '../oracle/host';
import { presetFromJson, ProfileError } from '../oracle/oci';

/** Compiles an OCI profile with libseccomp in the executor into `{"bpf": …}` filters; errors name `where`. */
export async function compileOciProfile(oracle: () => Promise<HostOracle> | undefined, profile: unknown, where: string): Promise<unknown[]> {
  let preset;
  try {
    preset = presetFromJson(profile, where);
  } catch (e) {
    if (e instanceof ProfileError) throw new ContractError(where, e.message);
    throw e;
  }
  const started = oracle();
  if (started === undefined) throw new ContractError(where, 'compiling an OCI profile needs the executor (root, npm run build)', 'unavailable');
  const o = await started;
  const out: unknown[] = [];
  for (const plan of preset.plans) {
    const r = await o.compile(plan);
    const failed = r.rcs.findIndex((x) => x.rc < 0);
    if (!r.initOk || failed >= 0 || r.exportRc < 0) {
      throw new ContractError(where, `libseccomp refused the profile: ${failed >= 0 ? `${plan.origin[failed]} rc ${r.rcs[failed].rc}` : `export rc ${r.exportRc}`} (runc would not start the container)`);
    }
    out.push({ bpf: r.program, label: `oci (libseccomp ${o.info.seccompVersion})` });
  }
  return out;
}
