// The model's vocabulary: a raw socket() call, the environment it runs in, and its outcome.
// Arguments are 64-bit register values (seccomp reads all 64 bits, SYSCALL_DEFINE3 truncates to
// int); errnos are names; the environment carries everything a decision may read.
// Sources: net/socket.c (__sys_socket), kernel/seccomp.c (populate_seccomp_data), fs/file.c.

import type { BpfInsn } from './seccomp/bpf';
import type { KernelProfile } from './profile';
import type { Reg } from './registers';

/**
 * How the call enters the kernel. `x86_64` is `syscall` with nr 41; `i386` is `int $0x80` with
 * nr 359; `i386-socketcall` is `int $0x80` with nr 102 and `SYS_SOCKET`, where seccomp sees only
 * the sub-call number and a pointer (the family sits behind it).
 */
export type Entry = 'x86_64' | 'i386' | 'i386-socketcall';

/**
 * The argument block of `socketcall(SYS_SOCKET, args)` when the kernel cannot read it: `args` is
 * a pointer no page backs (SOCKETCALL_UNREADABLE_ADDR, NULL), so the copy of the block faults
 * and a0..a2, which would sit in it, are never read. Absent: the block is readable and holds them.
 */
export type SocketcallBlock = 'unreadable';

/** Which call: socket(2), or socketpair(2) (x86_64 nr 53, i386 nr 360, socketcall SYS_SOCKETPAIR 8). */
export type Syscall = 'socket' | 'socketpair';

/**
 * Where socketpair's `sv` points when the kernel cannot write both words: `unwritable` is NULL
 * (SOCKETPAIR_SV_UNWRITABLE_ADDR), so the first put_user faults; `one-word` is the last word of a
 * page followed by none (SOCKETPAIR_SV_ONE_WORD_ADDR), so sv[0] is written and sv[1] faults.
 * Absent: a writable vector (SOCKETPAIR_SV_ADDR).
 */
export type SvPlacement = 'unwritable' | 'one-word';

/**
 * One raw call: `socket(a0, a1, a2)` or `socketpair(a0, a1, a2, sv)` as unsigned 64-bit register
 * values (model/registers.ts: numbers below 2^53, bigints above; sv is one of the executor's
 * fixed addresses, chosen by `sv`).
 */
export interface Call {
  readonly a0: Reg;
  readonly a1: Reg;
  readonly a2: Reg;
  readonly entry?: Entry;
  /** Only with entry `i386-socketcall` (no other entry passes a block); ignored elsewhere. */
  readonly block?: SocketcallBlock;
  /** Absent: socket(). */
  readonly syscall?: Syscall;
  /** Only with syscall `socketpair`; ignored elsewhere. */
  readonly sv?: SvPlacement;
}

/**
 * Namespaces of the caller. `user+net` is a user namespace that owns a new network namespace
 * (`unshare(CLONE_NEWUSER|CLONE_NEWNET)`); `user` keeps the initial netns; `net` is a new netns
 * owned by the initial user namespace (real root's `unshare(CLONE_NEWNET)`).
 */
export type Namespaces = 'init' | 'user+net' | 'user' | 'net';

export interface Creds {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  /** Effective capability set as a bit mask over capability numbers 0..40 (exact up to 2^53). */
  readonly caps: number;
  readonly namespaces: Namespaces;
}

/** One open descriptor. CLOEXEC lives in the fd table; NONBLOCK lives in the open file. */
export interface FdEntry {
  readonly fd: number;
  readonly cloexec: boolean;
  readonly nonblock: boolean;
  /** Set for sockets this model created: what SO_DOMAIN/SO_TYPE/SO_PROTOCOL read. */
  readonly socket?: { readonly domain: number; readonly type: number; readonly protocol: number };
}

/** The open-fd table, sorted by fd, plus the table's allocated size (`fdt->max_fds`). */
export interface FdTable {
  readonly entries: readonly FdEntry[];
  /** `max_fds`; when absent it is derived from the highest open fd as `expand_fdtable` sizes it. */
  readonly maxFds?: number;
}

/** One installed seccomp filter, as the classic-BPF program the kernel runs. */
export interface SeccompFilter {
  readonly prog: readonly BpfInsn[];
  /** Where it came from, for explanations (a preset name, "bpf #2", a profile file). */
  readonly label?: string;
}

/** Everything a socket() decision may read. */
export interface Env {
  readonly profile: KernelProfile;
  readonly creds: Creds;
  /** `net.ipv4.ping_group_range` of the caller's netns, inclusive; "1 0" (empty) by default. */
  readonly pingGroupRange: readonly [number, number];
  /** `net.mptcp.enabled` of the caller's netns. */
  readonly mptcpEnabled: boolean;
  /** `fs.file-max`. */
  readonly fileMax: number;
  /** `fs.nr_open`. */
  readonly nrOpen: number;
  /** Files open system-wide now (`fs.file-nr` first field), compared with `fs.file-max`. */
  readonly nrFiles: number;
  /** `unix_nr_socks`: AF_UNIX sockets alive system-wide now. */
  readonly unixSockets: number;
  /** Soft `RLIMIT_NOFILE`. */
  readonly rlimitNofile: number;
  readonly fds: FdTable;
  /** The seccomp filter stack, oldest first. */
  readonly seccomp: readonly SeccompFilter[];
}

/**
 * A new fd as a call answers it: its number, FD_CLOEXEC, O_NONBLOCK and what SO_DOMAIN, SO_TYPE
 * and SO_PROTOCOL read. A socket() fd, and each end of a socketpair.
 */
export interface PairEnd {
  readonly fd: number;
  readonly cloexec: boolean;
  readonly nonblock: boolean;
  readonly domain: number;
  readonly sotype: number;
  readonly soprotocol: number;
}

/** The result of one call, as a discriminated union on `kind`. */
export type Outcome =
  | ({ readonly kind: 'fd' } & PairEnd)
  | {
      /** socketpair(2) returned 0 with both fds installed: what each end reads (sv[0]'s first). */
      readonly kind: 'pair';
      readonly ends: readonly [PairEnd, PairEnd];
    }
  | {
      readonly kind: 'errno';
      readonly errno: string;
      /**
       * socketpair only: the words the call wrote into sv before it failed (the two reserved fd
       * numbers, which are not open), [] when it wrote none. Absent for socket().
       */
      readonly sv?: readonly number[];
    }
  | { readonly kind: 'ret'; readonly value: number }
  | { readonly kind: 'killed'; readonly signal: 'SIGSYS' };

/** An outcome with the ids of the clauses checked, in order, ending with the deciding one. */
export interface Decision {
  readonly outcome: Outcome;
  readonly trace: readonly string[];
  /**
   * Fds the call reserved and gave back because it failed afterwards (socketpair's two after its
   * fd rows; socket()'s one when the file allocation fails): the table grew to hold them, and a
   * table never shrinks. Absent when none.
   */
  readonly reserved?: readonly number[];
}
