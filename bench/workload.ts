// The workloads every benchmark shares, generated once from fixed seeds: a realistic mix of calls
// and environments (all families, valid and invalid inputs, a few environments), per-family call
// sets, and the seccomp stacks (a Docker preset, three raw filters).
// Sources: generators/ (the same arbitraries the campaigns use), oracle/presets.

import fc from 'fast-check';
import { AF, defaultEnv, evaluate, type Call, type Env, type SeccompFilter } from '../model';
import { retAlways, socketRule } from '../model/seccomp/asm';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_LOG } from '../model/seccomp/actions';
import { callArb, envArb } from '../generators';
import { presetFilters } from '../oracle/oci';

export const SEED = 0xbe4c4;
export const MIX = 4096;

/** A ring of inputs; `next()` walks it without allocating. */
export class Ring<T> {
  private i = 0;
  constructor(readonly items: readonly T[]) {}
  next(): T {
    const x = this.items[this.i];
    this.i = (this.i + 1) % this.items.length;
    return x;
  }
}

/** Calls an application would make: built families, the usual types and flags, common protocols. */
const likelyCalls = fc.record({
  a0: fc.constantFrom(1, 2, 10, 16, 17, 40, 44),
  a1: fc.tuple(fc.constantFrom(1, 2, 3, 5), fc.constantFrom(0, 0x80000, 0x800, 0x80800)).map(([t, f]) => t | f),
  a2: fc.constantFrom(0, 0, 0, 1, 6, 9, 17, 58, 255),
});

/**
 * The realistic mix: half calls an application would make, half from the campaign generators
 * (boundaries and random registers included), over four hand-picked environments (root, nobody
 * without capabilities, a user+net namespace, ping allowed) and twelve generated ones.
 */
export function mixedInputs(seccomp: readonly SeccompFilter[] = []): Ring<[Call, Env]> {
  const likely = fc.sample(likelyCalls, { seed: SEED, numRuns: MIX / 2 });
  const fuzzed = fc.sample(callArb(), { seed: SEED + 2, numRuns: MIX / 2 });
  const base = defaultEnv();
  const envs: Env[] = ([
    base,
    { ...base, creds: { uid: 65534, gid: 65534, groups: [], caps: 0, namespaces: 'init' } },
    { ...base, creds: { ...base.creds, namespaces: 'user+net' } },
    { ...base, pingGroupRange: [0, 2147483647] },
    ...fc.sample(envArb({ seccomp: false }), { seed: SEED + 1, numRuns: 12 }),
  ] as Env[]).map((e): Env => ({ ...e, seccomp }));
  const calls = likely.flatMap((c, i) => [c, fuzzed[i]]);
  return new Ring(calls.map((c, i): [Call, Env] => [c, envs[(i * 7) % envs.length]]));
}

/** Calls of one family (types and protocols from the generators), in the default environment. */
export function familyInputs(family: number): Ring<[Call, Env]> {
  const env = defaultEnv();
  const calls = fc.sample(callArb(), { seed: SEED + family, numRuns: MIX }).map((c) => ({ ...c, a0: family }));
  return new Ring(calls.map((c): [Call, Env] => [c, env]));
}

/** The Docker 2026 default profile, as libseccomp compiled it. */
export function dockerStack(): SeccompFilter[] {
  return presetFilters('docker-2026');
}

/** Three raw filters: a LOG verdict, a libseccomp-shaped a0 rule, and an ALLOW-or-ERRNO rule on a2. */
export function threeRawFilters(): SeccompFilter[] {
  return [
    { prog: retAlways(SECCOMP_RET_LOG) },
    { prog: socketRule({ cmp: { arg: 0, op: 'NE', datum: 40n }, action: SECCOMP_RET_ALLOW, defaultAction: (SECCOMP_RET_ERRNO | 1) >>> 0 }) },
    { prog: socketRule({ cmp: { arg: 2, op: 'EQ', datum: 9n }, action: (SECCOMP_RET_ERRNO | 22) >>> 0, defaultAction: SECCOMP_RET_ALLOW }) },
  ];
}

export const BENCH_FAMILIES: ReadonlyArray<[string, number]> = [
  ['AF_UNIX', AF.UNIX], ['AF_INET', AF.INET], ['AF_INET6', AF.INET6], ['AF_NETLINK', AF.NETLINK],
  ['AF_PACKET', AF.PACKET], ['AF_VSOCK', AF.VSOCK], ['AF_XDP', AF.XDP],
];

/** Sanity: the workload's decisions are a mix of successes and errors, not one answer. */
export function outcomeSpread(r: Ring<[Call, Env]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [c, e] of r.items) {
    const o = evaluate(c, e).outcome;
    const k = o.kind === 'errno' ? o.errno : o.kind;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
