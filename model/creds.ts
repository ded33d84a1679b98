// Credentials and the two kinds of capability check socket creation uses: ns_capable() against the
// owner of the caller's network namespace, and capable() against the initial user namespace.
// Sources: kernel/capability.c (ns_capable, capable), security/commoncap.c (cap_capable),
// net/core/net_namespace.c (net->user_ns); docs/kernel.md §6.

import { CAP_NAMES, CAP_LAST_CAP } from './constants';
import type { Creds } from './types';

/** Every capability 0..CAP_LAST_CAP: what real root has. */
export const ALL_CAPS = 2 ** (CAP_LAST_CAP + 1) - 1;

/**
 * True when bit `cap` is set in `mask`. Bitwise operators only see 32 bits, so the high word is
 * taken by division: masks stay plain numbers, which keeps credentials cheap to copy and compare.
 * @example hasCap(capMask(['CAP_NET_RAW']), 13) === true
 */
export function hasCap(mask: number, cap: number): boolean {
  // ToInt32 keeps the low word exactly, so `&` is right for bits 0..31, bit 31 included.
  if (cap < 32) return (mask & (1 << cap)) !== 0;
  return (Math.floor(mask / 2 ** 32) & (1 << (cap - 32))) !== 0;
}

/** Mask from capability names or numbers; throws on an unknown name. */
export function capMask(caps: readonly (string | number)[]): number {
  let mask = 0;
  for (const c of caps) {
    const n = typeof c === 'number' ? c : CAP_NAMES.indexOf(c.startsWith('CAP_') ? c : `CAP_${c}`);
    if (!Number.isInteger(n) || n < 0 || n > CAP_LAST_CAP) throw new Error(`unknown capability ${String(c)}`);
    if (!hasCap(mask, n)) mask += 2 ** n;
  }
  return mask;
}

/** Capability names in a mask, in number order. */
export function capNames(mask: number): string[] {
  const out: string[] = [];
  for (let c = 0; c <= CAP_LAST_CAP; c++) if (hasCap(mask, c)) out.push(CAP_NAMES[c]);
  return out;
}

/** Whether the caller's network namespace is a new one (not init_net). */
export function inChildNetns(creds: Creds): boolean {
  return creds.namespaces === 'user+net' || creds.namespaces === 'net';
}

/**
 * `ns_capable(net->user_ns, cap)` for the caller's own netns. The netns is owned by the caller's
 * user namespace in every namespace shape modelled (a `user`-only caller still sits in init_net,
 * owned by the initial user namespace, where it holds nothing), so the effective set decides
 * unless the caller is in a child user namespace looking at init_net.
 */
export function nsCapableNet(creds: Creds, cap: number): boolean {
  if (creds.namespaces === 'user') return false;
  return hasCap(creds.caps, cap);
}

/** `capable(cap)`: the capability in the initial user namespace. Never true from a child userns. */
export function capableInit(creds: Creds, cap: number): boolean {
  if (creds.namespaces === 'user' || creds.namespaces === 'user+net') return false;
  return hasCap(creds.caps, cap);
}

/** Whether the egid or a supplementary gid lies in `[lo, hi]` (ping_init_sock's test). */
export function gidInRange(creds: Creds, range: readonly [number, number]): boolean {
  const [lo, hi] = range;
  if (lo <= creds.gid && creds.gid <= hi) return true;
  for (const g of creds.groups) if (lo <= g && g <= hi) return true;
  return false;
}
