// The executor protocol, defined once: frame kinds and fixed-layout little-endian records. The C
// header (oracle/executor/protocol.h) is generated from these definitions by
// scripts/gen-protocol-header.ts, and a test fails when the checked-in header is stale.
// The executor's limits and sentinels live here too, so neither side keeps its own copy.
// Sources: docs/architecture.md "The oracle"; docs/seccomp.md "What a replay harness must do to survive".

/** Field types: little-endian integers, and NUL-padded character arrays. */
export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64' | 'char';

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  /** Array length; absent for a scalar. */
  readonly count?: number;
  readonly doc: string;
}

export interface RecordDef {
  /** C struct name (snake_case). */
  readonly name: string;
  readonly doc: string;
  readonly fields: readonly FieldDef[];
}

import type { Entry, Namespaces } from '../model/types';
import {
  SOCKETCALL_ARGS_ADDR, SOCKETCALL_UNREADABLE_ADDR, SOCKETPAIR_SV_ADDR, SOCKETPAIR_SV_ONE_WORD_ADDR, SOCKETPAIR_SV_UNWRITABLE_ADDR,
} from '../model/syscall';

const f = (name: string, type: FieldType, doc: string, count?: number): FieldDef =>
  count === undefined ? { name, type, doc } : { name, type, count, doc };

export const PROTOCOL_MAGIC = 0x4b434f53; // "SOCK"
export const PROTOCOL_VERSION = 8;

/** Largest fd the executor lays out (bitmaps hold fds 0 .. MAX_LAYOUT_FD - 1). */
export const MAX_LAYOUT_FD = 2048;
export const MAX_GROUPS = 32;
export const MAX_ARCHES = 8;
export const MAX_CONDS = 6;
export const SYSCALL_NAME_LEN = 48;
export const ERROR_TEXT_LEN = 160;

/** Most calls one RUN may carry (the executor's static batch size). */
export const MAX_CALLS = 65536;
/** Most filters one environment may stack. */
export const MAX_FILTERS = 16;
/**
 * Most instructions per filter the executor accepts: above BPF_MAXINSNS (4096) on purpose, since
 * the kernel's own EINVAL for long filters is worth seeing.
 */
export const MAX_FILTER_INSNS = 8192;
/** Most rules one COMPILE may carry. */
export const MAX_RULES = 4096;
/** Most instructions of a program libseccomp exports for COMPILE. */
export const MAX_EXPORT_INSNS = 65536;
/** Most AF_UNIX sockets a VM executor holds open for ENV.unix_socks. */
export const MAX_UNIX_HOLD = 64;
/**
 * A kept-up VM guest's mailbox: QEMU's ivshmem-plain memory, shared with the host as a file. The
 * host puts a request stream at offset 0 and sends MAILBOX over the UART; PID 1 serves it and
 * puts the replies at MAILBOX_REPLY_OFFSET, then sends MAILBOX_REPLY. The UART carries a few
 * bytes per request instead of the whole stream (docs/vm-oracle.md §9).
 */
export const MAILBOX_BYTES = 8 << 20;
/** Where the replies of a MAILBOX start in the mailbox; requests may use the bytes before it. */
export const MAILBOX_REPLY_OFFSET = 4 << 20;
/** Per-call time limit in ms when nobody names one (ENV.timeout_ms 0 means this too). */
export const DEFAULT_TIMEOUT_MS = 2000;
/** COMPILE_HEADER.bad_arch_action that keeps libseccomp's default (KILL_THREAD). */
export const BAD_ARCH_DEFAULT = 0xffffffff;
/** A result's query field when the child died before running that query (INT32_MIN). */
export const QUERY_NOT_RUN = -0x80000000;
/** A result's query field when the syscall returned 0 without running (seccomp ERRNO(0)). */
export const QUERY_FAKED = -0x7fffffff;

/** Frame kinds. Requests go to the executor (1-99), replies come back (100-199). */
export const KIND = {
  HELLO: 1,
  ENV: 2,
  FILTER: 3,
  CALLS: 4,
  RUN: 5,
  COMPILE: 6,
  LOOP: 7,
  QUIT: 9,
  MAILBOX: 10,
  EXEC: 11,
  RACE: 12,
  HELLO_REPLY: 100,
  DONE: 102,
  COMPILED: 103,
  ERROR: 104,
  LOOP_REPLY: 105,
  RESULTS: 106,
  MAILBOX_REPLY: 107,
  EXEC_REPLY: 108,
  RACE_REPLY: 109,
  SNAPSHOTS: 110,
} as const;

/**
 * The RESULTS payload: a u32 count, then each call's result_record (index = its position) as a
 * u32 mask of the 32-bit words after the index that differ from the previous record's (the first
 * is compared with zeros; bit k is word k + 1), followed by those words. The bounded space mostly
 * repeats one answer, so a call costs 4 bytes where a whole record costs 76: in a QEMU guest the
 * replies cross an emulated UART whose per-byte cost was most of a run.
 */
export const RESULTS_MASK_BITS = 32;

/** Namespace shapes, as the model's `Namespaces` (ENV.namespaces; the C names). */
export const NS = { INIT: 0, USER_NET: 1, USER: 2, NET: 3 } as const;
/** The same codes keyed by the model's `Namespaces` names (what an Env carries). */
export const NS_CODE = {
  init: NS.INIT, 'user+net': NS.USER_NET, user: NS.USER, net: NS.NET,
} as const satisfies Readonly<Record<Namespaces, number>>;
/** Entry paths, as the model's `Entry` (CALL_RECORD.entry; the C names). */
export const ENTRY = { X86_64: 0, I386: 1, I386_SOCKETCALL: 2 } as const;
/** The same codes keyed by the model's `Entry` names (what a Call carries). */
export const ENTRY_CODE = {
  x86_64: ENTRY.X86_64, i386: ENTRY.I386, 'i386-socketcall': ENTRY.I386_SOCKETCALL,
} as const satisfies Readonly<Record<Entry, number>>;
/**
 * socketcall's argument block (CALL_RECORD.block): READABLE, the executor writes the arguments
 * at SOCKETCALL_ARGS_ADDR and passes that; UNREADABLE, it passes SOCKETCALL_UNREADABLE_ADDR.
 */
export const BLOCK = { READABLE: 0, UNREADABLE: 1 } as const;
/**
 * Which call (CALL_RECORD.syscall): the model's `Syscall`, and the steps of a sequence (ENV.sequence)
 * that are no socket call: close(a0), dup2(a0, a1), dup3(a0, a1, O_CLOEXEC).
 */
export const SYSCALL = { SOCKET: 0, SOCKETPAIR: 1, CLOSE: 2, DUP2: 3, DUP3_CLOEXEC: 4 } as const;
/** Most steps one sequence RUN may carry. */
export const MAX_SEQ_STEPS = 64;
/** Most open fds a sequence's snapshot holds (the layout may have half of them). */
export const MAX_SNAPSHOT_FDS = 256;
/**
 * Where socketpair's sv points (CALL_RECORD.sv), as the model's `SvPlacement`: WRITABLE at
 * SOCKETPAIR_SV_ADDR, UNWRITABLE (NULL), ONE_WORD at SOCKETPAIR_SV_ONE_WORD_ADDR, the last word
 * of the argument page, whose next page the executor keeps unmapped.
 */
export const SV = { WRITABLE: 0, UNWRITABLE: 1, ONE_WORD: 2 } as const;
/** An sv word the kernel did not write: the executor fills both words with it before the call. */
export const SV_UNWRITTEN = -1;
/** What happened to one call. */
export const CALL_STATUS = { RETURNED: 0, KILLED: 1, TIMEOUT: 2, NOT_RUN: 3 } as const;
/** Setup steps, reported when one fails (DONE.setup_step). */
export const SETUP_STEP = {
  NONE: 0, FORK: 1, UNSHARE_USER: 2, ID_MAPS: 3, UNSHARE_NET: 4, SYSCTL_PING: 5, SYSCTL_MPTCP: 6,
  RLIMIT: 7, FD_LAYOUT: 8, GROUPS: 9, GID: 10, UID: 11, CAPS: 12, NO_NEW_PRIVS: 13, SECCOMP: 14,
  SYNC: 15, SYSCTL_NR_OPEN: 16,
} as const;

export const FRAME_HEADER: RecordDef = {
  name: 'frame_header',
  doc: 'Precedes every frame in both directions.',
  fields: [
    f('magic', 'u32', 'PROTOCOL_MAGIC'),
    f('kind', 'u32', 'one of KIND'),
    f('length', 'u32', 'bytes of payload after this header'),
  ],
};

export const HELLO_REPLY: RecordDef = {
  name: 'hello_reply',
  doc: 'The executor announces itself: protocol version and what it can do.',
  fields: [
    f('version', 'u32', 'PROTOCOL_VERSION'),
    f('libseccomp', 'u32', '1 when libseccomp.so.2 was loaded with dlopen'),
    f('seccomp_major', 'u32', 'seccomp_version()->major, 0 without libseccomp'),
    f('seccomp_minor', 'u32', 'seccomp_version()->minor'),
    f('seccomp_micro', 'u32', 'seccomp_version()->micro'),
    f('uid', 'u32', 'the executor\'s own uid (it needs 0 to set up environments)'),
    f('mailbox', 'u32', 'bytes of the shared mailbox a VM guest mapped (MAILBOX_BYTES), 0 when there is none'),
  ],
};

export const ENV_RECORD: RecordDef = {
  name: 'env_record',
  doc: 'The environment the next RUN sets up in a fresh child (filters come in FILTER frames).',
  fields: [
    f('uid', 'u32', 'uid after setup'),
    f('gid', 'u32', 'gid after setup'),
    f('ngroups', 'u32', 'supplementary groups used'),
    f('groups', 'u32', 'supplementary gids', MAX_GROUPS),
    f('cap_lo', 'u32', 'effective (and permitted) capabilities 0..31'),
    f('cap_hi', 'u32', 'effective (and permitted) capabilities 32..63'),
    f('namespaces', 'u32', 'one of NS'),
    f('ping_lo', 'u32', 'net.ipv4.ping_group_range low'),
    f('ping_hi', 'u32', 'net.ipv4.ping_group_range high'),
    f('mptcp', 'i32', 'net.mptcp.enabled, or -1 to leave the new netns default'),
    f('rlimit_nofile', 'u64', 'soft and hard RLIMIT_NOFILE'),
    f('timeout_ms', 'u32', 'per-call time limit before the child is killed'),
    f('open_bits', 'u8', 'bitmap of fds that must be open', MAX_LAYOUT_FD / 8),
    f('cloexec_bits', 'u8', 'bitmap of those fds that have FD_CLOEXEC', MAX_LAYOUT_FD / 8),
    f('nonblock_bits', 'u8', 'bitmap of those fds whose file has O_NONBLOCK', MAX_LAYOUT_FD / 8),
    f('file_max', 'u64', 'VM only: fs.file-max during the RUN (1 or more), 0 to leave it (the host refuses anything else)'),
    f('unix_socks', 'u32', 'VM only: AF_UNIX sockets the executor holds open during the RUN (unix_nr_socks)'),
    f('nr_open', 'u32', 'VM only: fs.nr_open the child sets after its RLIMIT_NOFILE and fd layout, 0 to leave it'),
    f('sequence', 'u32', '1: the RUN is one sequence in one child, nothing closed between its calls, the fd table recorded after each (SNAPSHOTS); no filters, at most MAX_SEQ_STEPS calls'),
  ],
};

export const COUNT_RECORD: RecordDef = {
  name: 'count_record',
  doc: 'Leads FILTER (instructions), CALLS (calls) and COMPILED (rules, instructions) payloads; is the whole MAILBOX and MAILBOX_REPLY payload (bytes in the mailbox).',
  fields: [f('count', 'u32', 'how many records follow')],
};

export const INSN_RECORD: RecordDef = {
  name: 'insn_record',
  doc: 'One classic-BPF instruction, as struct sock_filter.',
  fields: [f('code', 'u16', 'opcode'), f('jt', 'u8', 'jump if true'), f('jf', 'u8', 'jump if false'), f('k', 'u32', 'constant')],
};

export const CALL_RECORD: RecordDef = {
  name: 'call_record',
  doc: 'One socket() call as raw register values.',
  fields: [
    f('entry', 'u32', 'one of ENTRY'),
    f('block', 'u32', 'one of BLOCK: where socketcall finds its arguments (ENTRY_I386_SOCKETCALL only, else READABLE)'),
    f('a0', 'u64', 'family register'),
    f('a1', 'u64', 'type register'),
    f('a2', 'u64', 'protocol register'),
    f('syscall', 'u32', 'one of SYSCALL'),
    f('sv', 'u32', 'one of SV: where a socketpair\'s vector points (SYSCALL_SOCKETPAIR only, else WRITABLE)'),
  ],
};

export const RESULT_RECORD: RecordDef = {
  name: 'result_record',
  doc: 'What one call did, sent packed in RESULTS. Query fields hold -errno when the query itself failed (a filter may deny it).',
  fields: [
    f('index', 'u32', 'index of the call in the batch'),
    f('status', 'u32', 'one of CALL_STATUS'),
    f('signal', 'u32', 'the signal that killed the child (status KILLED)'),
    f('ret', 'i64', 'raw return value of the syscall instruction (a negative errno on failure)'),
    f('getfd', 'i32', 'fcntl(F_GETFD) of the new fd'),
    f('getfl', 'i32', 'fcntl(F_GETFL) of the new fd'),
    f('domain', 'i32', 'SO_DOMAIN'),
    f('type', 'i32', 'SO_TYPE'),
    f('protocol', 'i32', 'SO_PROTOCOL'),
    f('close_ret', 'i32', 'close() of the new fd: 0 or -errno'),
    f('getfd2', 'i32', 'socketpair: fcntl(F_GETFD) of sv[1] (the fields above are sv[0]\'s)'),
    f('getfl2', 'i32', 'socketpair: fcntl(F_GETFL) of sv[1]'),
    f('domain2', 'i32', 'socketpair: SO_DOMAIN of sv[1]'),
    f('type2', 'i32', 'socketpair: SO_TYPE of sv[1]'),
    f('protocol2', 'i32', 'socketpair: SO_PROTOCOL of sv[1]'),
    f('close_ret2', 'i32', 'socketpair: close() of sv[1]'),
    f('sv0', 'i32', 'socketpair: sv[0] after the call, SV_UNWRITTEN when the kernel did not write it (or the executor cannot read it)'),
    f('sv1', 'i32', 'socketpair: sv[1] after the call, likewise'),
  ],
};

export const DONE_RECORD: RecordDef = {
  name: 'done_record',
  doc: 'Ends the replies to one RUN.',
  fields: [
    f('calls', 'u32', 'calls of the RUN, each with its record in RESULTS'),
    f('setup_step', 'u32', 'SETUP_STEP that failed, or 0'),
    f('setup_errno', 'i32', 'errno of the failed setup step; negative: the child was killed by that signal during the step; 0 with step SECCOMP: an older filter answered seccomp() with ERRNO(0)'),
    f('children', 'u32', 'children forked for this RUN'),
    f('elapsed_ns', 'u64', 'wall time of the RUN'),
  ],
};

export const COMPILE_HEADER: RecordDef = {
  name: 'compile_header',
  doc: 'A seccomp policy as libseccomp calls: seccomp_init, arch adds, rule adds in order, export.',
  fields: [
    f('default_action', 'u32', 'seccomp_init action'),
    f('bad_arch_action', 'u32', 'SCMP_FLTATR_ACT_BADARCH, or 0xffffffff for libseccomp\'s default'),
    f('narches', 'u32', 'arches to add (the native one is implicit)'),
    f('arches', 'u32', 'SCMP_ARCH_* tokens (AUDIT_ARCH values)', MAX_ARCHES),
    f('optimize', 'u32', 'SCMP_FLTATR_CTL_OPTIMIZE (2 = binary tree, as runc uses above 32 rules), 0 to leave'),
    f('nrules', 'u32', 'COMPILE_RULE records that follow'),
  ],
};

export const COMPILE_RULE: RecordDef = {
  name: 'compile_rule',
  doc: 'One seccomp_rule_add_array call.',
  fields: [
    f('name', 'char', 'syscall name, resolved with seccomp_syscall_resolve_name', SYSCALL_NAME_LEN),
    f('action', 'u32', 'rule action'),
    f('exact', 'u32', '1 for seccomp_rule_add_exact_array'),
    f('ncond', 'u32', 'conditions used'),
    f('cond_arg', 'u32', 'argument index per condition', MAX_CONDS),
    f('cond_op', 'u32', 'enum scmp_compare per condition', MAX_CONDS),
    f('cond_a', 'u64', 'datum_a per condition', MAX_CONDS),
    f('cond_b', 'u64', 'datum_b per condition', MAX_CONDS),
  ],
};

export const COMPILED_HEADER: RecordDef = {
  name: 'compiled_header',
  doc: 'The answer to COMPILE: each rule\'s return code, then the exported program.',
  fields: [
    f('init_ok', 'u32', '1 when seccomp_init succeeded'),
    f('nrules', 'u32', 'RC_RECORD records that follow'),
    f('export_rc', 'i32', 'seccomp_export_bpf return code'),
    f('ninsns', 'u32', 'INSN_RECORD records that follow the return codes'),
  ],
};

export const RC_RECORD: RecordDef = {
  name: 'rc_record',
  doc: 'A libseccomp return code (0 or -errno) and the syscall number the name resolved to.',
  fields: [f('rc', 'i32', 'return code'), f('nr', 'i32', 'resolved syscall number, or -1')],
};

export const LOOP_REQUEST: RecordDef = {
  name: 'loop_request',
  doc: 'Benchmark: repeat one call `iterations` times in this process (closing each fd), no protocol in between.',
  fields: [f('iterations', 'u32', 'repetitions'), f('entry', 'u32', 'one of ENTRY'), f('a0', 'u64', 'family'), f('a1', 'u64', 'type'), f('a2', 'u64', 'protocol')],
};

export const LOOP_REPLY: RecordDef = {
  name: 'loop_reply',
  doc: 'Benchmark answer: how many calls succeeded and how long the loop took.',
  fields: [f('iterations', 'u32', 'repetitions done'), f('successes', 'u32', 'calls that returned an fd'), f('elapsed_ns', 'u64', 'loop wall time')],
};

export const EXEC_REPLY: RecordDef = {
  name: 'exec_reply',
  doc: 'A VM guest ran a program of its initramfs (EXEC, whose payload is the path): how it ended. Its output went to the console.',
  fields: [
    f('status', 'i32', 'the exit code, or -1 when it did not exit'),
    f('signal', 'u32', 'the signal that ended it, 0 when it exited'),
    f('err', 'i32', 'errno of a fork or exec that failed, 0 otherwise'),
  ],
};

/**
 * The atomicity race (RACE): ATOMIC creates sockets and pairs with SOCK_CLOEXEC|SOCK_NONBLOCK in
 * the call; FCNTL creates them bare and sets FD_CLOEXEC and O_NONBLOCK with fcntl() after, the
 * non-atomic idiom the check must be able to catch.
 */
export const RACE_MODE = { ATOMIC: 0, FCNTL: 1 } as const;
/** Most creator threads one RACE may ask for (their fds stay below the probe's scan, 256). */
export const RACE_MAX_CREATORS = 32;
/** The longest RACE, in ms (10 minutes). */
export const RACE_MAX_MS = 600000;

export const RACE_REQUEST: RecordDef = {
  name: 'race_request',
  doc: 'Atomicity race: creator threads make sockets and pairs while one thread forks and execs a probe and another watches new fd numbers, for duration_ms.',
  fields: [
    f('mode', 'u32', 'one of RACE_MODE'),
    f('duration_ms', 'u32', 'how long the race runs (1 to RACE_MAX_MS)'),
    f('creators', 'u32', 'creator threads (1 to RACE_MAX_CREATORS)'),
  ],
};

export const RACE_REPLY: RecordDef = {
  name: 'race_reply',
  doc: 'What the atomicity race saw.',
  fields: [
    f('err', 'i32', 'errno of a setup step that failed (fork, thread, pipe), 0 otherwise'),
    f('probes', 'u32', 'probes forked and exec\'d that reported'),
    f('leaky_probes', 'u32', 'probes that found at least one inherited socket'),
    f('leaked', 'u64', 'inherited sockets the probes found, summed'),
    f('created', 'u64', 'sockets created (a pair counts two)'),
    f('watched', 'u64', 'new fds the watcher read the flags of'),
    f('unflagged', 'u64', 'of those, fds seen without FD_CLOEXEC or without O_NONBLOCK'),
    f('elapsed_ns', 'u64', 'wall time of the race'),
  ],
};

/**
 * The SNAPSHOTS payload (sequence RUNs, between RESULTS and DONE): a u32 count of calls, then per
 * call a u32 count of open fds and that many SNAP_RECORDs in fd order: the table after the call.
 * A call that did not run has 0 fds; a table over MAX_SNAPSHOT_FDS has MAX_SNAPSHOT_FDS + 1 and none.
 */
export const SNAP_RECORD: RecordDef = {
  name: 'snap_record',
  doc: 'One open fd of a sequence snapshot, queried with the raw syscall instruction.',
  fields: [
    f('fd', 'i32', 'the fd'),
    f('getfd', 'i32', 'fcntl(F_GETFD)'),
    f('getfl', 'i32', 'fcntl(F_GETFL)'),
    f('domain', 'i32', 'SO_DOMAIN, -ENOTSOCK for a file that is no socket'),
    f('type', 'i32', 'SO_TYPE'),
    f('protocol', 'i32', 'SO_PROTOCOL'),
  ],
};

export const ERROR_RECORD: RecordDef = {
  name: 'error_record',
  doc: 'The executor could not understand or serve a request.',
  fields: [f('code', 'u32', 'the request kind'), f('err', 'i32', 'errno, or 0'), f('text', 'char', 'what went wrong', ERROR_TEXT_LEN)],
};

export const RECORDS: readonly RecordDef[] = [
  FRAME_HEADER, HELLO_REPLY, ENV_RECORD, COUNT_RECORD, INSN_RECORD, CALL_RECORD, RESULT_RECORD, DONE_RECORD,
  COMPILE_HEADER, COMPILE_RULE, COMPILED_HEADER, RC_RECORD, LOOP_REQUEST, LOOP_REPLY, EXEC_REPLY, RACE_REQUEST, RACE_REPLY, SNAP_RECORD, ERROR_RECORD,
];

/** The constant groups exported to C as #defines, prefixed with the group name. */
export const CONSTANT_GROUPS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  KIND, NS, ENTRY, BLOCK, SYSCALL, SV, CALL_STATUS, SETUP_STEP, RACE_MODE,
};

/** The single constants exported to C as #defines of their own name (negative ones as int). */
export const SCALAR_CONSTANTS: Readonly<Record<string, number>> = {
  PROTOCOL_MAGIC, PROTOCOL_VERSION, MAX_LAYOUT_FD, MAX_GROUPS, MAX_ARCHES, MAX_CONDS, SYSCALL_NAME_LEN, ERROR_TEXT_LEN,
  RESULTS_MASK_BITS, MAX_CALLS, MAX_SEQ_STEPS, MAX_SNAPSHOT_FDS, MAILBOX_BYTES, MAILBOX_REPLY_OFFSET, MAX_FILTERS, MAX_FILTER_INSNS, MAX_RULES, MAX_EXPORT_INSNS, MAX_UNIX_HOLD,
  DEFAULT_TIMEOUT_MS, BAD_ARCH_DEFAULT, QUERY_NOT_RUN, QUERY_FAKED, RACE_MAX_CREATORS, RACE_MAX_MS,
  // model/syscall.ts: the pointers socketcall is given, which seccomp shows as args[1].
  SOCKETCALL_ARGS_ADDR: Number(SOCKETCALL_ARGS_ADDR), SOCKETCALL_UNREADABLE_ADDR: Number(SOCKETCALL_UNREADABLE_ADDR),
  SOCKETPAIR_SV_ADDR: Number(SOCKETPAIR_SV_ADDR), SOCKETPAIR_SV_ONE_WORD_ADDR: Number(SOCKETPAIR_SV_ONE_WORD_ADDR),
  SOCKETPAIR_SV_UNWRITABLE_ADDR: Number(SOCKETPAIR_SV_UNWRITABLE_ADDR), SV_UNWRITTEN,
};
