// Choosing the kernel a VM oracle boots: a name `sockspec kernels fetch` knows (fetched and cached,
// with its modules and its shipped profile) or an image path, with an optional modules folder and
// module mode, all checked before anything boots: an image must be a file with the x86 boot
// header, so /etc/passwd is exit 2 naming it, not a failed boot. Sources: oracle/kernels.ts,
// oracle/vm/runner.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILES } from '../model';
import { ContractError } from '../contract';
import { KERNEL_NAMES, KernelFetchError, fetchKernel, isBootImage } from '../oracle/kernels';
import { VmOracle, type ModuleMode, type VmKernel } from '../oracle/vm/runner';
import { GuestOracle, type GuestOptions } from '../oracle/vm/guest';
import { ExecutorDied } from '../oracle/errors';
import { probeProfile } from '../oracle/probe';
import type { KernelProfile } from '../model';

/** A kernel image resolved for booting: the image and modules, the module mode asked for, and its shipped profile. */
export interface VmKernelChoice {
  readonly kernel: VmKernel;
  readonly moduleMode?: ModuleMode;
  /** The shipped profile of a fetched kernel (debian-6.1, debian-6.12-autoload, …), if there is one. */
  readonly defaultProfile?: string;
}

export interface VmChoice {
  readonly oracle: VmOracle;
  /** The shipped profile of a fetched kernel (debian-6.1, debian-6.12-autoload, …), if there is one. */
  readonly defaultProfile?: string;
}

/** The VM oracle for an image, a modules folder and a module mode; errors name the flag (`--kernel-image`, `--modules`, `--module-mode`). */
export function vmOracleFor(image: string | undefined, modules: string | undefined, mode: string | undefined, consoleDir: string | undefined, log: (line: string) => void): VmChoice {
  const c = resolveVmKernel(image, modules, mode, log);
  return {
    oracle: new VmOracle({ kernel: c.kernel, ...(c.moduleMode !== undefined ? { moduleMode: c.moduleMode } : {}), ...(consoleDir !== undefined ? { consoleDir } : {}) }),
    ...(c.defaultProfile ? { defaultProfile: c.defaultProfile } : {}),
  };
}

/**
 * An image (a path, or a name `sockspec kernels fetch` knows, fetched when not cached), a modules
 * folder and a module mode, checked before anything boots; errors name the flag.
 */
export function resolveVmKernel(image: string | undefined, modules: string | undefined, mode: string | undefined, log: (line: string) => void): VmKernelChoice {
  if (image === undefined) throw new ContractError('--kernel-image', 'required with --oracle vm (a bzImage path, or debian-6.1 / debian-6.12)');
  if (mode !== undefined && !['preload', 'autoload', 'none'].includes(mode)) throw new ContractError('--module-mode', 'expected preload, autoload or none');
  let kernel: { image: string; modules?: string };
  let defaultProfile: string | undefined;
  if (KERNEL_NAMES.includes(image)) {
    let k;
    try {
      k = fetchKernel(image, log);
    } catch (e) {
      if (e instanceof KernelFetchError) throw new ContractError('--kernel-image', e.message, e.code);
      throw e;
    }
    kernel = { image: k.vmlinuz, ...(k.modules !== null ? { modules: k.modules } : {}) };
    const shipped = `${image}${mode === 'autoload' ? '-autoload' : ''}`;
    defaultProfile = PROFILES.some((p) => p.name === shipped) ? shipped : undefined;
  } else {
    if (!fs.existsSync(image) || !fs.statSync(image).isFile()) throw new ContractError('--kernel-image', `${image} is not a file`, 'bad-file');
    kernel = { image };
  }
  if (!isBootImage(kernel.image)) {
    throw new ContractError('--kernel-image', `${kernel.image} is not a kernel image: no x86 boot header ("HdrS" at offset 0x202); give a bzImage or vmlinuz`, 'bad-file');
  }
  if (modules !== undefined) {
    if (!fs.existsSync(path.join(modules, 'modules.dep'))) throw new ContractError('--modules', `${modules} has no modules.dep (give lib/modules/RELEASE, indexed with depmod)`, 'bad-file');
    kernel = { ...kernel, modules };
  }
  return { kernel, ...(mode !== undefined ? { moduleMode: mode as ModuleMode } : {}), ...(defaultProfile ? { defaultProfile } : {}) };
}

/**
 * Boots an image (as resolveVmKernel takes it) in a guest kept up until close(), its consoles in
 * `consoleDir`. A guest that never becomes ready is a ContractError ('unavailable') naming the image.
 */
export async function startGuest(
  image: string | undefined, modules: string | undefined, mode: string | undefined, consoleDir: string | undefined, log: (line: string) => void,
  files?: GuestOptions['files'],
): Promise<{ guest: GuestOracle; defaultProfile?: string }> {
  const c = resolveVmKernel(image, modules, mode, log);
  try {
    const guest = await GuestOracle.start({
      kernel: c.kernel, ...(c.moduleMode !== undefined ? { moduleMode: c.moduleMode } : {}), ...(consoleDir !== undefined ? { consoleDir } : {}), ...(files !== undefined ? { files } : {}),
    });
    return { guest, ...(c.defaultProfile !== undefined ? { defaultProfile: c.defaultProfile } : {}) };
  } catch (e) {
    if (e instanceof ExecutorDied) throw new ContractError('--kernel-image', `${image}: ${e.message}`, 'unavailable');
    throw e;
  }
}

/** The profile of the kernel a guest runs, probed there (named IMAGE-probed; the release read off a vmlinuz-RELEASE name). */
export function probeGuestProfile(guest: GuestOracle, image: string): Promise<KernelProfile> {
  const base = path.basename(image);
  const release = /vmlinuz-(.+)$/.exec(base)?.[1] ?? 'unknown';
  return probeProfile((env, calls) => guest.run(env, calls), release, `${base.replace(/^vmlinuz-/, '')}-probed`, `probed from ${image} in QEMU`, 'in a QEMU guest', true);
}
