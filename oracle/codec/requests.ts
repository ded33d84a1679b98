// The requests of the executor protocol as bytes: frames, and what an Env, a batch of calls, a
// libseccomp policy or a benchmark loop becomes. Shared by the host runner (oracle/host/) and the
// VM runner (oracle/vm/runner.ts), which writes whole request streams at once. An environment
// beyond the executor's fixed limits is the request's fault: a ContractError ('bad-input') naming
// the eval contract's field and the limit. Sources: oracle/protocol.ts; docs/eval-contract.md §3;
// docs/seccomp.md §5 (harness) and §7 (libseccomp export).

import { encodeRecord, recordSize } from './records';
import {
  BAD_ARCH_DEFAULT, BLOCK, SV, SYSCALL, CALL_RECORD, COMPILE_HEADER, COMPILE_RULE, COUNT_RECORD, ENTRY_CODE, ENV_RECORD, FRAME_HEADER,
  INSN_RECORD, KIND, LOOP_REQUEST, MAX_ARCHES, MAX_CALLS, MAX_CONDS, MAX_FILTER_INSNS, MAX_FILTERS, MAX_GROUPS,
  MAX_LAYOUT_FD, MAX_SEQ_STEPS, MAX_SNAPSHOT_FDS, NS_CODE, PROTOCOL_MAGIC, RACE_MAX_CREATORS, RACE_MAX_MS, RACE_MODE, RACE_REQUEST, SYSCALL_NAME_LEN,
  type RecordDef,
} from '../protocol';
import type { Call, Env } from '../../model/types';
import type { Step } from '../../model/sequence';
import { unreadableBlock } from '../../model/syscall';
import { ContractError } from '../../contract/errors';

/** One libseccomp policy, as the calls the executor makes (docs/seccomp.md §3, §7). */
export interface CompileRequest {
  readonly defaultAction: number;
  /** SCMP_FLTATR_ACT_BADARCH; absent keeps libseccomp's default (KILL_THREAD). */
  readonly badArchAction?: number;
  /** SCMP_ARCH_* tokens (AUDIT_ARCH values) added after the implicit native arch. */
  readonly arches: readonly number[];
  /** SCMP_FLTATR_CTL_OPTIMIZE (2 = binary tree, as runc uses above 32 rules); absent or 0 leaves it. */
  readonly optimize?: number;
  readonly rules: readonly {
    readonly name: string;
    readonly action: number;
    /** seccomp_rule_add_exact_array instead of seccomp_rule_add_array. */
    readonly exact?: boolean;
    readonly conds: readonly { readonly arg: number; readonly op: number; readonly a: bigint; readonly b: bigint }[];
  }[];
}

/** The global knobs only a throwaway VM may change (zeros leave them). */
export interface VmGlobals {
  readonly file_max: bigint;
  readonly unix_socks: number;
  readonly nr_open: number;
}

/** `value` when it is a u32; a RangeError naming `what` otherwise. */
export function u32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${what}: ${value} is not a u32`);
  return value;
}

/**
 * A frame of the protocol: the header, then the payload (none by default).
 * @example requestFrame(KIND.HELLO)
 */
export function requestFrame(kind: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = encodeRecord(FRAME_HEADER, { magic: PROTOCOL_MAGIC, kind, length: payload.length });
  return payload.length === 0 ? head : Buffer.concat([head, payload]);
}

/** A payload of a count record followed by `items` encoded as `def`, written in place. */
function countedPayload<T>(def: RecordDef, items: readonly T[], fields: (item: T) => Record<string, unknown>): Buffer {
  const size = recordSize(def);
  const buf = Buffer.alloc(recordSize(COUNT_RECORD) + items.length * size);
  encodeRecord(COUNT_RECORD, { count: items.length }, buf, 0);
  for (let i = 0; i < items.length; i++) encodeRecord(def, fields(items[i]), buf, 4 + i * size);
  return buf;
}

function bitmap(fds: readonly number[]): number[] {
  const bits = new Array<number>(MAX_LAYOUT_FD / 8).fill(0);
  for (const fd of fds) bits[fd >> 3] |= 1 << (fd & 7);
  return bits;
}

/**
 * The ENV record for `env`: credentials, namespaces, per-netns sysctls, RLIMIT_NOFILE, the fd
 * layout as bitmaps. `globals` carries what only a throwaway VM may change (fs.file-max, a number
 * of AF_UNIX sockets held open, fs.nr_open); the host oracle always sends zeros, which leave them.
 * Throws a ContractError naming the field for what the executor cannot lay out.
 * @example encodeEnv(defaultEnv(), 2000)
 */
export function encodeEnv(env: Env, timeoutMs: number, globals: VmGlobals = { file_max: 0n, unix_socks: 0, nr_open: 0 }, sequence = false): Buffer {
  const { creds } = env;
  if (creds.groups.length > MAX_GROUPS) {
    throw new ContractError('env.groups', `${creds.groups.length} supplementary groups: the executor sets at most ${MAX_GROUPS} (MAX_GROUPS)`);
  }
  const open: number[] = [], cloexec: number[] = [], nonblock: number[] = [];
  for (const e of env.fds.entries) {
    if (!Number.isInteger(e.fd) || e.fd < 0 || e.fd >= MAX_LAYOUT_FD) {
      throw new ContractError('env.openFds', `fd ${e.fd}: the executor lays out fds 0..${MAX_LAYOUT_FD - 1} only (MAX_LAYOUT_FD ${MAX_LAYOUT_FD})`);
    }
    open.push(e.fd);
    if (e.cloexec) cloexec.push(e.fd);
    if (e.nonblock) nonblock.push(e.fd);
  }
  const caps = creds.caps;
  const rlimit = env.rlimitNofile >= 2 ** 64 - 1 ? 0xffffffffffffffffn : BigInt(Math.max(0, Math.floor(env.rlimitNofile)));
  return encodeRecord(ENV_RECORD, {
    uid: u32(creds.uid, 'uid'),
    gid: u32(creds.gid, 'gid'),
    ngroups: creds.groups.length,
    groups: creds.groups.map((g) => u32(g, 'group')),
    cap_lo: caps % 2 ** 32 >>> 0,
    cap_hi: Math.floor(caps / 2 ** 32) >>> 0,
    namespaces: NS_CODE[creds.namespaces],
    ping_lo: u32(env.pingGroupRange[0], 'ping_group_range low'),
    ping_hi: u32(env.pingGroupRange[1], 'ping_group_range high'),
    mptcp: env.mptcpEnabled ? 1 : 0,
    rlimit_nofile: rlimit,
    timeout_ms: u32(timeoutMs, 'timeoutMs'),
    open_bits: bitmap(open),
    cloexec_bits: bitmap(cloexec),
    nonblock_bits: bitmap(nonblock),
    ...globals,
    sequence: sequence ? 1 : 0,
  });
}

/** FILTER frames for the env's stack, oldest first. */
function filterFrames(env: Env): Buffer[] {
  if (env.seccomp.length > MAX_FILTERS) {
    throw new ContractError('env.seccomp', `${env.seccomp.length} filters: the executor stacks at most ${MAX_FILTERS} (MAX_FILTERS)`);
  }
  return env.seccomp.map((f, i) => {
    if (f.prog.length > MAX_FILTER_INSNS) {
      throw new ContractError(`env.seccomp[${i}]`, `${f.prog.length} instructions: the executor loads at most ${MAX_FILTER_INSNS} per filter (MAX_FILTER_INSNS)`);
    }
    return requestFrame(KIND.FILTER, countedPayload(INSN_RECORD, f.prog, ([code, jt, jf, k]) => ({ code, jt, jf, k })));
  });
}

/** The CALL_RECORD fields of a socket() or socketpair() call. */
function callFields(c: Call): Record<string, unknown> {
  return {
    entry: ENTRY_CODE[c.entry ?? 'x86_64'], block: unreadableBlock(c) ? BLOCK.UNREADABLE : BLOCK.READABLE, a0: c.a0, a1: c.a1, a2: c.a2,
    syscall: c.syscall === 'socketpair' ? SYSCALL.SOCKETPAIR : SYSCALL.SOCKET,
    sv: c.syscall !== 'socketpair' || c.sv === undefined ? SV.WRITABLE : c.sv === 'unwritable' ? SV.UNWRITABLE : SV.ONE_WORD,
  };
}

/** The CALL_RECORD fields of a sequence step: close, dup2 and dup3 carry their fds in a0 and a1. */
function stepFields(s: Step): Record<string, unknown> {
  if (s.op === 'call') return callFields(s.call);
  const base = { entry: ENTRY_CODE.x86_64, block: BLOCK.READABLE, a2: 0n, sv: SV.WRITABLE };
  if (s.op === 'close') return { ...base, syscall: SYSCALL.CLOSE, a0: BigInt(u32(s.fd, 'close fd')), a1: 0n };
  if (s.newfd >= MAX_LAYOUT_FD) throw new ContractError('steps', `dup2 to fd ${s.newfd}: a sequence's snapshots see fds 0..${MAX_LAYOUT_FD - 1} only`);
  return { ...base, syscall: s.cloexec === true ? SYSCALL.DUP3_CLOEXEC : SYSCALL.DUP2, a0: BigInt(u32(s.oldfd, 'dup oldfd')), a1: BigInt(u32(s.newfd, 'dup newfd')) };
}

function callsFrame(calls: readonly Call[]): Buffer {
  if (calls.length > MAX_CALLS) throw new RangeError(`${calls.length} calls: one RUN carries at most ${MAX_CALLS}`);
  return requestFrame(KIND.CALLS, countedPayload(CALL_RECORD, calls, callFields));
}

/** The frames of one RUN request: ENV, FILTERs, CALLS, RUN. Throws a ContractError for an env the executor cannot represent. */
export function runRequest(env: Env, calls: readonly Call[], timeoutMs: number, globals?: VmGlobals): Buffer {
  return Buffer.concat([requestFrame(KIND.ENV, encodeEnv(env, timeoutMs, globals)), ...filterFrames(env), callsFrame(calls), requestFrame(KIND.RUN)]);
}

/**
 * The frames of one sequence RUN: ENV (sequence mode), CALLS holding the steps, RUN. No filters:
 * a sequence is about the fd table. Throws a ContractError for what the executor cannot run.
 */
export function sequenceRequest(env: Env, steps: readonly Step[], timeoutMs: number, globals?: VmGlobals): Buffer {
  if (env.seccomp.length > 0) throw new ContractError('env.seccomp', 'a sequence runs without filters');
  if (steps.length > MAX_SEQ_STEPS) throw new ContractError('steps', `${steps.length} steps: a sequence has at most ${MAX_SEQ_STEPS} (MAX_SEQ_STEPS)`);
  if (env.fds.entries.length > MAX_SNAPSHOT_FDS / 2) throw new ContractError('env.openFds', `${env.fds.entries.length} fds: a sequence's layout has at most ${MAX_SNAPSHOT_FDS / 2}`);
  return Buffer.concat([
    requestFrame(KIND.ENV, encodeEnv(env, timeoutMs, globals, true)),
    requestFrame(KIND.CALLS, countedPayload(CALL_RECORD, steps, stepFields)),
    requestFrame(KIND.RUN),
  ]);
}

/** The COMPILE frame for a policy. Throws RangeError for one the executor cannot represent. */
export function compileRequest(req: CompileRequest): Buffer {
  if (req.arches.length > MAX_ARCHES) throw new RangeError(`${req.arches.length} arches: at most ${MAX_ARCHES}`);
  const head = encodeRecord(COMPILE_HEADER, {
    default_action: u32(req.defaultAction, 'defaultAction'),
    bad_arch_action: req.badArchAction === undefined ? BAD_ARCH_DEFAULT : u32(req.badArchAction, 'badArchAction'),
    narches: req.arches.length,
    arches: req.arches.map((a) => u32(a, 'arch')),
    optimize: u32(req.optimize ?? 0, 'optimize'),
    nrules: req.rules.length,
  });
  const rules = req.rules.map((r, i) => {
    if (r.conds.length > MAX_CONDS) throw new RangeError(`rule ${i}: ${r.conds.length} conditions, at most ${MAX_CONDS}`);
    if (Buffer.byteLength(r.name, 'utf8') >= SYSCALL_NAME_LEN) throw new RangeError(`rule ${i}: name too long`);
    return encodeRecord(COMPILE_RULE, {
      name: r.name,
      action: u32(r.action, 'action'),
      exact: r.exact ? 1 : 0,
      ncond: r.conds.length,
      cond_arg: r.conds.map((c) => u32(c.arg, 'cond arg')),
      cond_op: r.conds.map((c) => u32(c.op, 'cond op')),
      cond_a: r.conds.map((c) => c.a),
      cond_b: r.conds.map((c) => c.b),
    });
  });
  return requestFrame(KIND.COMPILE, Buffer.concat([head, ...rules]));
}

/** The LOOP frame: `iterations` bare calls of `call` inside the executor (the benchmark baseline). */
export function loopRequest(call: Call, iterations: number): Buffer {
  return requestFrame(KIND.LOOP, encodeRecord(LOOP_REQUEST, {
    iterations: u32(iterations, 'iterations'), entry: ENTRY_CODE[call.entry ?? 'x86_64'], a0: call.a0, a1: call.a1, a2: call.a2,
  }));
}

/** The two halves of the atomicity race: the flags in the call, or set with fcntl() after it. */
export type RaceMode = 'atomic' | 'fcntl';

/**
 * The RACE frame: `creators` threads making sockets and pairs (with SOCK_CLOEXEC|SOCK_NONBLOCK, or
 * bare then fcntl()) for `durationMs` while probes are spawned and new fds watched (oracle/executor/race.c).
 * Out-of-range values are a RangeError naming the value.
 */
export function raceRequest(mode: RaceMode, durationMs: number, creators: number): Buffer {
  if (!Number.isInteger(durationMs) || durationMs < 1 || durationMs > RACE_MAX_MS) throw new RangeError(`durationMs: ${durationMs} is not in [1, ${RACE_MAX_MS}]`);
  if (!Number.isInteger(creators) || creators < 1 || creators > RACE_MAX_CREATORS) throw new RangeError(`creators: ${creators} is not in [1, ${RACE_MAX_CREATORS}]`);
  return requestFrame(KIND.RACE, encodeRecord(RACE_REQUEST, {
    mode: mode === 'atomic' ? RACE_MODE.ATOMIC : RACE_MODE.FCNTL, duration_ms: durationMs, creators,
  }));
}
