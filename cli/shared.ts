// What the commands share: argument parsers for commander, the one executor a command starts on
// first use, and the kernel profile behind `--kernel`. Sources: cli/main.ts.

import * as fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { KernelProfile } from '../model';
import { ContractError, parseProfileFile, registerProfile, resolveProfile, SockspecError } from '../contract';
import { executorAvailable, HostOracle } from '../oracle/host';
import { requireHostOracle } from '../oracle/host/discovery';
import { probeHostProfile } from '../oracle/probe';
import type { GuestOracle } from '../oracle/vm/guest';
import { probeGuestProfile, startGuest } from '../engine/vm';

export const DEFAULT_PROFILE = 'reference-6.18';

/**
 * The exit codes of every command (docs/architecture.md "Exit codes" lists them):
 * 0 done, nothing found; 1 findings (mismatches, contradictions); 2 bad input or a facility this
 * machine lacks, before any work; 3 interrupted (a campaign stopped by a signal: its state is kept,
 * resume it); 4 incomplete (a campaign's worker kept dying; its state is kept); 70 internal error.
 */
export const EXIT = { ok: 0, findings: 1, badInput: 2, interrupted: 3, incomplete: 4, internal: 70 } as const;

/** The exit code of a check or eval that found no mismatch but lost some kernel results (unobserved): incomplete, no clean pass. */
export { EXIT_UNOBSERVED } from '../engine/eval';


/** Where a command writes: stdout, stderr, and its exit code. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly setCode: (code: number) => void;
}

/** A commander parser for an integer flag in [min, max]. */
export function intArg(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
    }
    return n;
  };
}

/** A comma-separated list, empty items dropped. */
export function listArg(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ContractError(what, `not JSON: ${(e as Error).message}`);
  }
}

let oracle: Promise<HostOracle> | undefined;

/** One executor for the whole command, started on first use. */
export function sharedOracle(): Promise<HostOracle> {
  oracle ??= HostOracle.start();
  return oracle;
}

/**
 * Refuses a host oracle this machine cannot run, before the command does any work: exit 2 with
 * the reason (root and the capabilities the executor uses, a built executor), about `flag`.
 * @example requireHost('--oracle')
 */
export function requireHost(flag: string): void {
  requireHostOracle(flag);
}

/** The shared executor where one can run (root, built), else undefined. */
export function sharedOracleIfAvailable(): Promise<HostOracle> | undefined {
  return executorAvailable() ? sharedOracle() : undefined;
}

/** Closes the shared executor, if one was started. */
export async function closeSharedOracle(): Promise<void> {
  if (oracle !== undefined) await (await oracle.catch(() => undefined))?.close();
  oracle = undefined;
}

/** The profile for --kernel: `host` is probed through the executor; it is the default where one runs. */
export async function profileFor(name: string | undefined): Promise<KernelProfile> {
  const want = name ?? (executorAvailable() ? 'host' : DEFAULT_PROFILE);
  if (want.endsWith('.json')) {
    const p = parseProfileFile(want, fs.existsSync(want) ? fs.readFileSync(want, 'utf8') : undefined);
    registerProfile(p);
    return p;
  }
  if (want !== 'host') {
    try {
      return resolveProfile(want);
    } catch (e) {
      throw e instanceof SockspecError ? e.about('--kernel') : e;
    }
  }
  requireHostOracle('--kernel');
  const p = await probeHostProfile(await sharedOracle());
  registerProfile(p);
  return p;
}

/** The flags that choose a kernel image for `--oracle vm`. */
export interface VmFlags {
  readonly kernelImage?: string;
  readonly modules?: string;
  readonly moduleMode?: string;
}

/** Refuses --kernel-image, --modules and --module-mode unless the oracle is vm. */
export function vmFlagsOnlyWithVm(o: VmFlags, oracleIsVm: boolean): void {
  for (const [flag, v] of [['--kernel-image', o.kernelImage], ['--modules', o.modules], ['--module-mode', o.moduleMode]] as const) {
    if (v !== undefined && !oracleIsVm) throw new ContractError(flag, 'only with --oracle vm');
  }
}

/**
 * Boots the image of --kernel-image in a guest kept up until its close(), with the profile the
 * model judges it by: --kernel if given, else the fetched kernel's shipped profile, else one probed
 * from the image now. Progress lines (a fetch, a probe) go to `log`.
 */
export async function guestWithProfile(o: VmFlags & { readonly kernel?: string }, log: (line: string) => void): Promise<{ guest: GuestOracle; profile: KernelProfile }> {
  const g = await startGuest(o.kernelImage, o.modules, o.moduleMode, undefined, log);
  try {
    const profile = o.kernel !== undefined || g.defaultProfile !== undefined ? await profileFor(o.kernel ?? g.defaultProfile) : await probeGuestProfile(g.guest, o.kernelImage ?? '');
    return { guest: g.guest, profile };
  } catch (e) {
    await g.guest.close();
    throw e;
  }
}
