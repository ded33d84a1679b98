// The bounded space of `sockspec check`: a partition of socket()'s and socketpair()'s input space
// that touches every clause boundary. Families -1..47 with INT_MIN/INT_MAX and high-bit variants;
// base types 0..15 with every flag combination, stray bits and high bits; each family's named
// protocols with the range boundaries; socketpair over every family with a smaller cut of types
// and protocols and each sv placement; and environment classes (credentials, namespaces, fd
// limits and layouts with holes, per-netns sysctls, seccomp stacks).
// Sources: docs/kernel.md §3-§6, §10, §11; docs/seccomp.md §5.

import {
  capMask, defaultEnv, FAMILY_PROTOCOLS, fdTable, IPPROTO, NETLINK, reg, regFits32, SOCK_CLOEXEC, SOCK_NONBLOCK,
  type Call, type Env, type KernelProfile, type Reg, type SeccompFilter,
} from '../model';
import { archCheck, retAlways, socketRule } from '../model/seccomp/asm';
import { harnessSafe } from './seccomp';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
} from '../model/seccomp/actions';

const u32 = (n: number): bigint => BigInt(n) & 0xffffffffn;
/** Sorted, without duplicates, as canonical registers (numbers below 2^53). */
const uniq = (xs: readonly bigint[]): Reg[] => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(reg);

/** Families: -1..47, INT_MIN, INT_MAX, and real families with high bits set (two shapes). */
export const SPACE_FAMILIES: readonly Reg[] = uniq([
  ...Array.from({ length: 49 }, (_, i) => u32(i - 1)),
  u32(-0x80000000), u32(0x7fffffff),
  ...[1, 2, 10, 16, 17, 40, 44].flatMap((f) => [(1n << 32n) | BigInt(f), (0xffffffffn << 32n) | BigInt(f)]),
  0xffffffffffffffffn,
]);

/** Types: 0..15 × {none, CLOEXEC, NONBLOCK, both}, each stray bit on SOCK_STREAM, -1, high bits. */
export const SPACE_TYPES: readonly Reg[] = uniq([
  ...Array.from({ length: 16 }, (_, t) => [0, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK].map((fl) => u32(t | fl))).flat(),
  ...Array.from({ length: 28 }, (_, i) => u32(1 | (1 << (i + 4)))),
  u32(-1), (1n << 32n) | 1n, (0xffffffffn << 32n) | 2n,
]);

/** Protocols: every named protocol of every family, and the boundaries. */
export const SPACE_PROTOCOLS: readonly Reg[] = uniq([
  ...Object.values(IPPROTO).map(u32),
  ...Object.values(NETLINK).map(u32),
  ...Object.values(FAMILY_PROTOCOLS).flatMap((t) => Object.values(t)).map(u32),
  ...[-1, 0, 1, 2, 3, 7, 8, 9, 31, 32, 40, 255, 256, 262, 263, 0x10000, -0x80000000, 0x7fffffff].map(u32),
  (1n << 32n) | 9n, (1n << 32n),
]);

/** A smaller cut for classes where a filter decides first: every family, a few types and protocols. */
const SECCOMP_TYPES: readonly Reg[] = [1n, 2n, 3n, u32(1 | SOCK_CLOEXEC), u32(1 | 0x10), u32(-1), (1n << 32n) | 1n].map(reg);
const SECCOMP_PROTOCOLS: readonly Reg[] = [0n, 9n, 263n, (1n << 32n) | 9n].map(reg);

/** socketpair's cut: every base type 0..11, the flags on the pair types, a stray bit, -1 and high bits. */
export const PAIR_TYPES: readonly Reg[] = uniq([
  ...Array.from({ length: 12 }, (_, t) => u32(t)),
  ...[1, 2, 5].flatMap((t) => [SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK].map((fl) => u32(t | fl))),
  u32(1 | 0x100), u32(-1), (1n << 32n) | 1n,
]);
/** socketpair's protocols: 0, PF_UNIX, one beyond, TCP/UDP numbers, -1 and high bits. */
export const PAIR_PROTOCOLS: readonly Reg[] = [0n, 1n, 2n, 6n, 17n, u32(-1), (1n << 32n) | 1n].map(reg);

/** One environment class of the bounded check. */
export interface EnvClass {
  readonly id: string;
  readonly description: string;
  readonly env: (profile: KernelProfile) => Env;
  /**
   * `full`: every call of the space (socketpair's cut included); `seccomp`: the smaller cut;
   * `fds`: a cut for fd layouts, where the family matters little: socket() and socketpair() of
   * every family with a few types.
   */
  readonly calls: 'full' | 'seccomp' | 'fds';
}

const ret = (v: number): SeccompFilter => ({ prog: retAlways(v >>> 0), label: `ret 0x${(v >>> 0).toString(16)}` });
const errno = (n: number): SeccompFilter => ret((SECCOMP_RET_ERRNO | n) >>> 0);

/** Raw filter stacks of the check: each action class, ties, and 64-bit argument tests. */
export const RAW_STACKS: ReadonlyArray<{ id: string; description: string; stack: SeccompFilter[] }> = [
  { id: 'errno-0', description: 'ERRNO(0): returns 0, creates nothing', stack: [errno(0)] },
  { id: 'errno-5000', description: 'ERRNO(5000): clamped to 4095', stack: [errno(5000)] },
  { id: 'errno-tie', description: 'ERRNO(1) then ERRNO(2): the newest wins', stack: [errno(1), errno(2)] },
  { id: 'trace', description: 'TRACE with no tracer: ENOSYS', stack: [ret(SECCOMP_RET_TRACE | 1)] },
  { id: 'user-notif', description: 'USER_NOTIF with no listener: ENOSYS', stack: [ret(SECCOMP_RET_USER_NOTIF)] },
  { id: 'log', description: 'LOG: the call runs', stack: [ret(SECCOMP_RET_LOG)] },
  { id: 'log-errno', description: 'LOG then ERRNO(13): EACCES', stack: [ret(SECCOMP_RET_LOG), errno(13)] },
  { id: 'trap', description: 'TRAP without a handler: SIGSYS', stack: [ret(SECCOMP_RET_TRAP | 7)] },
  { id: 'kill-process', description: 'ERRNO(1) then KILL_PROCESS: SIGSYS', stack: [errno(1), ret(SECCOMP_RET_KILL_PROCESS)] },
  { id: 'kill-thread', description: 'KILL_THREAD in a single-threaded child: SIGSYS', stack: [ret(SECCOMP_RET_KILL_THREAD)] },
  {
    id: 'a0-ne-40',
    description: 'libseccomp shape: default ERRNO(EPERM), ALLOW socket if a0 != 40 (high bits bypass it)',
    stack: [{ prog: socketRule({ cmp: { arg: 0, op: 'NE', datum: 40n }, action: SECCOMP_RET_ALLOW, defaultAction: (SECCOMP_RET_ERRNO | 1) >>> 0 }), label: 'a0 != 40' }],
  },
  {
    id: 'arch-i386-deny',
    description: 'deny the i386 arch with ERRNO(EPERM), allow x86_64',
    stack: [{ prog: [...archCheck(0x40000003, SECCOMP_RET_ALLOW), ...retAlways((SECCOMP_RET_ERRNO | 1) >>> 0)], label: 'i386 → EPERM' }],
  },
];

const base = (profile: KernelProfile): Env => defaultEnv({ profile });

/** The environment classes, kernel ones first, then raw seccomp stacks. */
export const ENV_CLASSES: readonly EnvClass[] = [
  { id: 'root', description: 'uid 0 with every capability', calls: 'full', env: base },
  { id: 'no-caps', description: 'uid 0 without capabilities', calls: 'full', env: (p) => ({ ...base(p), creds: { ...base(p).creds, caps: 0 } }) },
  { id: 'nobody', description: 'uid/gid 65534 without capabilities', calls: 'full', env: (p) => ({ ...base(p), creds: { uid: 65534, gid: 65534, groups: [], caps: 0, namespaces: 'init' } }) },
  { id: 'userns', description: 'root of a user namespace that owns a new network namespace', calls: 'full', env: (p) => ({ ...base(p), creds: { ...base(p).creds, namespaces: 'user+net' } }) },
  { id: 'userns-only', description: 'root of a user namespace that does not own the network namespace', calls: 'full', env: (p) => ({ ...base(p), creds: { ...base(p).creds, namespaces: 'user' } }) },
  { id: 'fd-full', description: 'fds 0..15 open and RLIMIT_NOFILE 16', calls: 'full', env: (p) => ({ ...base(p), fds: fdTable(Array.from({ length: 16 }, (_, i) => i)), rlimitNofile: 16 }) },
  { id: 'fd-one-free', description: 'fds 0..14 open and RLIMIT_NOFILE 16: one fd for socket(), too few for socketpair()', calls: 'fds', env: (p) => ({ ...base(p), fds: fdTable(Array.from({ length: 15 }, (_, i) => i)), rlimitNofile: 16 }) },
  { id: 'fd-holes', description: 'fds 0, 1, 2, 4, 6 open: socket() takes 3, socketpair() takes 3 and 5', calls: 'fds', env: (p) => ({ ...base(p), fds: fdTable([0, 1, 2, 4, 6]) }) },
  { id: 'fd-table-edge', description: 'fds 0..62 open: socketpair()\'s second fd (64) grows the 64-slot table', calls: 'fds', env: (p) => ({ ...base(p), fds: fdTable(Array.from({ length: 63 }, (_, i) => i)) }) },
  { id: 'ping-open', description: 'ping_group_range 0..2147483647', calls: 'full', env: (p) => ({ ...base(p), pingGroupRange: [0, 2147483647] }) },
  { id: 'mptcp-off', description: 'net.mptcp.enabled = 0', calls: 'full', env: (p) => ({ ...base(p), mptcpEnabled: false }) },
  { id: 'net-raw-only', description: 'uid 1000 with only CAP_NET_RAW', calls: 'full', env: (p) => ({ ...base(p), creds: { uid: 1000, gid: 1000, groups: [], caps: capMask(['CAP_NET_RAW']), namespaces: 'init' } }) },
  ...RAW_STACKS.map((s): EnvClass => ({
    id: `seccomp-${s.id}`,
    description: s.description,
    calls: 'seccomp',
    // The prologue of harnessSafe leaves the verdict for socket() as it is and lets the
    // executor's own fcntl/getsockopt/close/exit through, so the kernel's answer stays observable.
    env: (p) => ({ ...base(p), seccomp: s.stack.map(harnessSafe) }),
  })),
];

/**
 * Classes only a throwaway VM can hold: they change global knobs the host oracle never touches
 * (fs.file-max; fs.nr_open, lowered by the child after its RLIMIT_NOFILE, which setrlimit would
 * otherwise refuse; AF_UNIX sockets held open so that unix_nr_socks has a known value, the guest
 * having no other unix sockets). They use the smaller cut of calls.
 */
export const VM_CLASSES: readonly EnvClass[] = [
  {
    id: 'vm-file-max', calls: 'seccomp', description: 'fs.file-max 1 (files are open), uid 0 without capabilities: no new file without CAP_SYS_ADMIN',
    env: (p) => ({ ...base(p), creds: { ...base(p).creds, caps: 0 }, fileMax: 1, unixSockets: 0 }),
  },
  {
    id: 'vm-file-max-root', calls: 'seccomp', description: 'fs.file-max 1 as root: CAP_SYS_ADMIN passes the limit',
    env: (p) => ({ ...base(p), fileMax: 1, unixSockets: 0 }),
  },
  {
    id: 'vm-nr-open', calls: 'seccomp', description: 'fs.nr_open lowered to 64 under RLIMIT_NOFILE 1024, fds 0..63 open: the fd table cannot grow (EMFILE)',
    env: (p) => ({ ...base(p), nrOpen: 64, rlimitNofile: 1024, fds: fdTable(Array.from({ length: 64 }, (_, i) => i)) }),
  },
  {
    // alloc_fdtable clamps a grown table to fs.nr_open: up to a multiple of 64 in 1 KiB chunks
    // before "alloc_fdtable(): change calling conventions" (128 slots, fd 64 fits), down to one
    // after it (64 slots: EMFILE). Debian's 6.1 took it with stable 6.1.150.
    id: 'vm-nr-open-100', calls: 'seccomp', description: 'fs.nr_open 100 (not a multiple of 64) under RLIMIT_NOFILE 1024, fds 0..63 open: whether the grown table holds fd 64 depends on how alloc_fdtable clamps',
    env: (p) => ({ ...base(p), nrOpen: 100, rlimitNofile: 1024, fds: fdTable(Array.from({ length: 64 }, (_, i) => i)) }),
  },
  {
    id: 'vm-unix-nr-socks', calls: 'seccomp', description: 'fs.file-max 1 with 3 AF_UNIX sockets alive, as root: unix_nr_socks > 2 * file-max',
    env: (p) => ({ ...base(p), fileMax: 1, unixSockets: 3 }),
  },
  {
    id: 'vm-unix-nr-socks-1', calls: 'seccomp', description: 'fs.file-max 1 with 1 AF_UNIX socket alive, as root: socket(AF_UNIX) fits (2), socketpair()\'s second end does not (3 > 2)',
    env: (p) => ({ ...base(p), fileMax: 1, unixSockets: 1 }),
  },
  {
    id: 'vm-nr-open-pair', calls: 'fds', description: 'fs.nr_open 64, fds 0..62 open: socket() gets 63, socketpair()\'s second fd needs a growth nr_open refuses',
    env: (p) => ({ ...base(p), nrOpen: 64, rlimitNofile: 1024, fds: fdTable(Array.from({ length: 63 }, (_, i) => i)) }),
  },
];

/**
 * The one call with an unreadable socketcall argument block: the kernel never reads the
 * arguments behind it, and seccomp sees only nr 102, SYS_SOCKET and NULL, so one point per class
 * stands for them all.
 */
export const UNREADABLE_BLOCK_CALL: Call = { a0: 0, a1: 0, a2: 0, entry: 'i386-socketcall', block: 'unreadable' };
/** The same for socketcall(SYS_SOCKETPAIR, NULL). */
export const UNREADABLE_BLOCK_PAIR: Call = { ...UNREADABLE_BLOCK_CALL, syscall: 'socketpair' };

const FD_TYPES: readonly Reg[] = [1, 2, 5, (1 | SOCK_CLOEXEC | SOCK_NONBLOCK) >>> 0, (2 | SOCK_CLOEXEC) >>> 0];
const FD_PROTOCOLS: readonly Reg[] = [0];
const fits32 = (c: Call): boolean => regFits32(c.a0) && regFits32(c.a1) && regFits32(c.a2);

/** socketpair over every family: the pair cut, then each unwritable sv placement on a few types. */
function* pairCalls(types: readonly Reg[], protocols: readonly Reg[], entries: boolean): Generator<Call> {
  for (const a0 of SPACE_FAMILIES) {
    for (const a1 of types) {
      for (const a2 of protocols) {
        const c: Call = { a0, a1, a2, syscall: 'socketpair' };
        yield c;
        if (entries && fits32(c)) {
          yield { ...c, entry: 'i386' };
          yield { ...c, entry: 'i386-socketcall' };
        }
      }
    }
    for (const sv of ['unwritable', 'one-word'] as const) for (const a1 of [1, 2]) yield { a0, a1, a2: 0, syscall: 'socketpair', sv };
  }
}

/**
 * The calls of a class. Entry paths beyond x86_64 are added for seccomp classes, with the
 * unreadable-block socketcalls last.
 */
export function* classCalls(cls: Pick<EnvClass, 'calls'>): Generator<Call> {
  if (cls.calls === 'full') {
    for (const a0 of SPACE_FAMILIES) for (const a1 of SPACE_TYPES) for (const a2 of SPACE_PROTOCOLS) yield { a0, a1, a2 };
    yield* pairCalls(PAIR_TYPES, PAIR_PROTOCOLS, false);
    return;
  }
  if (cls.calls === 'fds') {
    for (const a0 of SPACE_FAMILIES) for (const a1 of FD_TYPES) for (const a2 of FD_PROTOCOLS) yield { a0, a1, a2 };
    yield* pairCalls(FD_TYPES, FD_PROTOCOLS, false);
    return;
  }
  for (const a0 of SPACE_FAMILIES) {
    for (const a1 of SECCOMP_TYPES) {
      for (const a2 of SECCOMP_PROTOCOLS) {
        yield { a0, a1, a2 };
        if (fits32({ a0, a1, a2 })) {
          yield { a0, a1, a2, entry: 'i386' };
          yield { a0, a1, a2, entry: 'i386-socketcall' };
        }
      }
    }
  }
  yield* pairCalls([1, (2 | SOCK_CLOEXEC | SOCK_NONBLOCK) >>> 0], [0], true);
  yield UNREADABLE_BLOCK_CALL;
  yield UNREADABLE_BLOCK_PAIR;
}

/** Number of calls in a class. */
export function classSize(cls: Pick<EnvClass, 'calls'>): number {
  let n = 0;
  for (const _ of classCalls(cls)) n++;
  return n;
}
