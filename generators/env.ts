// fast-check arbitraries for environments: capability subsets, namespaces, uid/gid/groups, ping
// ranges, MPTCP, rlimits and sysctls near their boundaries, fd tables with holes, filter stacks.
// Defaults come first so a shrunk counterexample keeps only what matters.
// Sources: model/state.ts (defaults), docs/kernel.md §4 and §6.

import fc from 'fast-check';
import {
  ALL_CAPS, CAP, capMask, CAP_LAST_CAP, defaultEnv, PROFILES, reference618,
  type Creds, type Env, type FdEntry, type FdTable, type KernelProfile, type Namespaces,
} from '../model';
import { stackArb } from './seccomp';

/** A capability mask: everything, nothing, subsets of the ones socket() reads, or any subset. */
export function capsArb(): fc.Arbitrary<number> {
  const relevant = [CAP.NET_RAW, CAP.NET_ADMIN, CAP.SYS_ADMIN, CAP.AUDIT_WRITE];
  return fc.oneof(
    { arbitrary: fc.constant(ALL_CAPS), weight: 3 },
    { arbitrary: fc.constant(0), weight: 2 },
    { arbitrary: fc.subarray(relevant).map((cs) => capMask(cs)), weight: 3 },
    { arbitrary: fc.subarray([...Array(CAP_LAST_CAP + 1).keys()]).map((cs) => capMask(cs)), weight: 1 },
  );
}

const ids = fc.oneof(fc.constantFrom(0, 65534, 1000, 100), fc.integer({ min: 0, max: 70000 }));

/** Credentials: root, nobody, ordinary users; init or child namespaces. */
export function credsArb(): fc.Arbitrary<Creds> {
  return fc.record({
    uid: ids,
    gid: ids,
    groups: fc.uniqueArray(ids, { maxLength: 3 }),
    caps: capsArb(),
    namespaces: fc.constantFrom<Namespaces>('init', 'user+net', 'user', 'net'),
  });
}

/** `ping_group_range`: empty ("1 0") first, then "0 0", everyone, and random ranges. */
export function pingRangeArb(): fc.Arbitrary<readonly [number, number]> {
  return fc.oneof(
    fc.constant<readonly [number, number]>([1, 0]),
    fc.constant<readonly [number, number]>([0, 0]),
    fc.constant<readonly [number, number]>([0, 2147483647]),
    fc.tuple(ids, ids),
  );
}

/** An fd table: 0-2 first, or a few fds below 80 with holes and random flags. */
export function fdTableArb(): fc.Arbitrary<FdTable> {
  const entry = fc.record({ fd: fc.integer({ min: 0, max: 79 }), cloexec: fc.boolean(), nonblock: fc.boolean() });
  const holes = fc
    .uniqueArray(entry, { maxLength: 12, selector: (e) => e.fd })
    .map((es): FdTable => ({ entries: [...es].sort((a, b) => a.fd - b.fd) }));
  const dense = fc.integer({ min: 0, max: 70 }).map((n): FdTable => ({
    entries: Array.from({ length: n }, (_, fd): FdEntry => ({ fd, cloexec: false, nonblock: false })),
  }));
  return fc.oneof({ arbitrary: fc.constant(defaultEnv().fds), weight: 3 }, { arbitrary: holes, weight: 2 }, { arbitrary: dense, weight: 2 });
}

/** Options of `envArb`. */
export interface EnvOptions {
  /** Fix the profile; by default any shipped profile, reference-6.18 first. */
  readonly profile?: KernelProfile;
  /** Generate seccomp stacks (default true). */
  readonly seccomp?: boolean;
}

/** A whole environment. */
export function envArb(opts: EnvOptions = {}): fc.Arbitrary<Env> {
  const profile = opts.profile !== undefined ? fc.constant(opts.profile) : fc.constantFrom(reference618, ...PROFILES.filter((p) => p !== reference618));
  const seccomp = opts.seccomp === false ? fc.constant([]) : fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: stackArb(), weight: 2 });
  const small = (n: number) => fc.oneof(fc.constant(n), fc.integer({ min: 0, max: 80 }));
  return fc
    .record({
      profile,
      creds: credsArb(),
      pingGroupRange: pingRangeArb(),
      mptcpEnabled: fc.oneof(fc.constant(true), fc.constant(false)),
      fileMax: fc.oneof(fc.constant(defaultEnv().fileMax), fc.integer({ min: 0, max: 2048 })),
      nrOpen: fc.oneof(fc.constant(defaultEnv().nrOpen), fc.integer({ min: 64, max: 256 })),
      nrFiles: fc.oneof(fc.constant(1024), fc.integer({ min: 0, max: 4096 })),
      unixSockets: fc.oneof(fc.constant(16), fc.integer({ min: 0, max: 64 })),
      rlimitNofile: fc.oneof({ arbitrary: fc.constant(1024), weight: 3 }, { arbitrary: small(1024), weight: 2 }),
      fds: fdTableArb(),
      seccomp,
    })
    .map((e): Env => e);
}
