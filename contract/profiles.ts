// Kernel profiles by name: the shipped ones (model/profiles/), those built at run time (the probed
// `host` profile) and those saved as JSON by `sockspec kernels probe`, checked field by field.
// Sources: model/profile.ts (the fields), docs/eval-contract.md ("kernel").

import { PROFILES, profileByName, type KernelProfile } from '../model';
import { ContractError } from './errors';

const RUNTIME_PROFILES = new Map<string, KernelProfile>();

/** Makes a profile built at run time (the probed `host` one) resolvable by name. */
export function registerProfile(p: KernelProfile): void {
  RUNTIME_PROFILES.set(p.name, p);
}

/** The kernel profile for `--kernel NAME`, or a ContractError listing the names. */
export function resolveProfile(name: string): KernelProfile {
  const p = RUNTIME_PROFILES.get(name) ?? profileByName(name);
  if (p === undefined) {
    throw new ContractError('kernel', `unknown profile ${JSON.stringify(name)} (known: ${[...PROFILES.map((x) => x.name), ...RUNTIME_PROFILES.keys(), ...(RUNTIME_PROFILES.has('host') ? [] : ['host (where the executor runs)'])].join(', ')})`, 'unknown-name');
  }
  return p;
}

/**
 * A kernel profile saved as JSON (by `sockspec kernels probe`). `text` is the file's content
 * (undefined when the file does not exist); every field is checked, and an error names it.
 */
export function parseProfileFile(file: string, text: string | undefined): KernelProfile {
  if (text === undefined) throw new ContractError('--kernel', `${file} does not exist`, 'bad-file');
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ContractError(file, `not JSON: ${(e as Error).message}`, 'bad-file');
  }
  const bad = (field: string, what: string): never => { throw new ContractError(`${file}: ${field}`, `expected ${what}`, 'bad-file'); };
  const nums = (v: unknown): boolean => Array.isArray(v) && v.every((x) => Number.isInteger(x));
  const lists = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, l]) => /^\d+$/.test(k) && nums(l));
  if (typeof p !== 'object' || p === null) bad('(top)', 'one JSON object');
  if (typeof p.name !== 'string' || p.name === '' || p.name === 'host') bad('name', 'a profile name other than host');
  if (typeof p.version !== 'string') bad('version', 'a kernel version string');
  if (!nums(p.families)) bad('families', 'a list of family numbers');
  if (!lists(p.inetsw)) bad('inetsw', 'an object of type → protocol lists');
  if (!lists(p.inet6sw)) bad('inet6sw', 'an object of type → protocol lists');
  if (!nums(p.netlink)) bad('netlink', 'a list of netlink protocols');
  if (typeof p.vsockDgramTransport !== 'boolean') bad('vsockDgramTransport', 'true or false');
  if (typeof p.can !== 'object' || p.can === null) bad('can', 'an object of protocol → type');
  if (!nums(p.bluetooth)) bad('bluetooth', 'a list of protocols');
  if (p.fdtableGrowth !== 'pow2' && p.fdtableGrowth !== 'kib-chunks') bad('fdtableGrowth', 'pow2 or kib-chunks');
  if (typeof p.updateSocketProtocolHook !== 'boolean') bad('updateSocketProtocolHook', 'true or false');
  return { description: `from ${file}`, sources: [file], ...p } as unknown as KernelProfile;
}
