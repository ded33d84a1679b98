// The host runner of the real-kernel oracle: one long-lived executor process
// (oracle/executor/executor.c) spoken to in the frames of oracle/protocol.ts. An Env becomes ENV and
// FILTER frames, each call comes back as the model's Outcome, policies compile through libseccomp.
// Sources: ARCHITECTURE.md "The oracle"; seccomp.md §5 (harness) and §7 (libseccomp export).
//
// Global state is never touched on the host: env.fileMax, env.nrOpen, env.nrFiles and
// env.unixSockets describe fs.file-max, fs.nr_open and system-wide counts, so they are NOT applied
// here (only a QEMU runner may set them, inside its VM), and env.fds.maxFds is not applied either
// (the kernel sizes the child's fd table from the layout). Per-netns sysctls are applied, inside
// the child's own new network namespace.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeRecord, encodeRecord, recordSize, unpackRecords } from './codec';
import {
  BAD_ARCH_DEFAULT, CALL_RECORD, CALL_STATUS, COMPILED_HEADER, COMPILE_HEADER, COMPILE_RULE, COUNT_RECORD,
  DEFAULT_TIMEOUT_MS, DONE_RECORD, ENTRY_CODE, ENV_RECORD, ERROR_RECORD, FRAME_HEADER, HELLO_REPLY, INSN_RECORD, KIND,
  LOOP_REPLY, LOOP_REQUEST, MAX_ARCHES, MAX_CALLS, MAX_CONDS, MAX_FILTER_INSNS, MAX_FILTERS, MAX_GROUPS, MAX_LAYOUT_FD,
  NS_CODE, PROTOCOL_MAGIC, PROTOCOL_VERSION, RC_RECORD, RESULT_RECORD, SETUP_STEP, SYSCALL_NAME_LEN, type RecordDef,
} from './protocol';
import { errnoName } from '../model/constants';
import { ALL_CAPS, capNames } from '../model/creds';
import type { BpfInsn } from '../model/seccomp/bpf';
import type { Call, Env, Outcome } from '../model/types';

/** Most calls one RUN may carry (the executor's static batch size; MAX_CALLS of oracle/protocol.ts). */
export const MAX_BATCH_CALLS = MAX_CALLS;
export { DEFAULT_TIMEOUT_MS, MAX_FILTER_INSNS, MAX_FILTERS, QUERY_FAKED, QUERY_NOT_RUN } from './protocol';

const EBADF = 9;
const ENOTSOCK = 88;
const O_NONBLOCK = 0x800;
const SIGSYS = 31;

/**
 * What one call did on the real kernel. `returned` carries the raw return and the model's Outcome;
 * the raw query fields (negative errnos, or QUERY_NOT_RUN / QUERY_FAKED) stay for diagnostics, and
 * `partial` says some query could not be answered (the fd's outcome fields then read -1/false).
 */
export type KernelResult =
  | {
      readonly status: 'returned';
      readonly ret: bigint;
      readonly outcome: Outcome;
      readonly getfd: number;
      readonly getfl: number;
      readonly soDomain: number;
      readonly soType: number;
      readonly soProtocol: number;
      readonly closeRet: number;
      readonly partial: boolean;
    }
  /** The child died by SIGSYS during the call (a KILL_* or TRAP verdict): `{kind:'killed',signal:'SIGSYS'}`. */
  | { readonly status: 'killed'; readonly signal: number; readonly outcome: Outcome }
  | { readonly status: 'timeout' }
  /** Not run, or run without an observation: `reason` says which (e.g. the child was killed by a signal
   * that is no seccomp verdict, such as the OOM killer's SIGKILL; the model has no outcome for that). */
  | { readonly status: 'not-run'; readonly signal?: number; readonly reason?: string }
  /** The kernel lacks the call's entry path (i386 without IA32 emulation): not sent. */
  | { readonly status: 'unavailable'; readonly reason: string };

/** One RUN: a result per call, the setup failure if any, how many children it took, its wall time. */
export interface KernelRun {
  readonly results: KernelResult[];
  /** `errno` is a name, `killed:SIGxxx` for a child killed during setup, or `ret:0` for a filter that
   * "loaded" without being installed (an older filter answered seccomp() with ERRNO(0)). */
  readonly setupFailure?: { readonly step: string; readonly errno: string };
  readonly children: number;
  readonly elapsedNs: bigint;
  /** Capabilities the env asked for that the executor could not grant (init-userns shapes only; the
   * executor grants the rest). Absent when it granted them all. */
  readonly capsNotHeld?: string[];
}

/** One libseccomp policy, as the calls the executor makes (seccomp.md §3, §7). */
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

/** The answer: per rule its rc (0 or -errno) and resolved nr (-1: unknown name, skipped), and the program. */
export interface CompileResult {
  readonly initOk: boolean;
  readonly rcs: { readonly rc: number; readonly nr: number }[];
  readonly exportRc: number;
  readonly program: BpfInsn[];
}

/** What the executor said about itself at start. */
export interface ExecutorInfo {
  readonly version: number;
  readonly libseccomp: boolean;
  readonly seccompVersion: string | null;
  readonly uid: number;
  /** The executor's permitted capabilities (CapPrm of /proc/<pid>/status) as a model mask; a
   * machine whose root has a restricted bounding set cannot grant the rest outside a user namespace. */
  readonly capsHeld: number;
}

export interface HostOracleOptions {
  /** The executor binary; default executorPath(). */
  readonly path?: string;
  /** Per-call time limit in ms before the executor SIGKILLs a child; default 2000. */
  readonly timeoutMs?: number;
}

/**
 * The dynamic executor binary: dist/executor/sockspec-executor under the package root, found from
 * this file for both the ts-node/jest and the compiled dist/ layouts; SOCKSPEC_EXECUTOR overrides.
 * @example spawn(executorPath())
 */
export function executorPath(): string {
  const override = process.env.SOCKSPEC_EXECUTOR;
  if (override !== undefined && override !== '') return override;
  return path.join(packageRoot(), 'dist', 'executor', 'sockspec-executor');
}

function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sockspec') return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..');
    dir = up;
  }
}

/**
 * Whether the host oracle can run here: root (namespaces, credentials) and a built executor.
 * @example if (executorAvailable()) await HostOracle.start()
 */
export function executorAvailable(): boolean {
  return process.getuid?.() === 0 && fs.existsSync(executorPath());
}

let ia32: string | undefined;

/**
 * Why this kernel cannot run the i386 entries for a 64-bit process, or '' where it can (probed
 * once with dist/executor/ia32-probe: int $0x80 raises SIGSEGV without IA32 emulation).
 */
export function ia32Unavailable(): string {
  if (ia32 !== undefined) return ia32;
  const probe = path.join(path.dirname(executorPath()), 'ia32-probe');
  if (!fs.existsSync(probe)) return (ia32 = '');
  const r = spawnSync(probe, [], { stdio: 'ignore' });
  ia32 = r.status === 0 ? '' : r.signal === 'SIGSEGV'
    ? 'this kernel has no IA32 emulation: int $0x80 raises SIGSEGV (CONFIG_IA32_EMULATION off or ia32_emulation=0)'
    : `the i386 entry probe failed (${r.signal ?? `exit ${r.status}`})`;
  return ia32;
}

/** A request the executor refused (an ERROR frame), or an executor that died or broke the protocol. */
export class ExecutorError extends Error {
  override readonly name: string = 'ExecutorError';
}

/** The executor's stream is out of step with ours: the process is killed and restarted. */
class ProtocolError extends ExecutorError {
  override readonly name: string = 'ProtocolError';
}

function frame(kind: number, payload: Buffer = Buffer.alloc(0)): Buffer {
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

const STEP_NAME: ReadonlyMap<number, string> = new Map(Object.entries(SETUP_STEP).map(([k, v]) => [v, k]));

function u32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${what}: ${value} is not a u32`);
  return value;
}

function bitmap(fds: readonly number[]): number[] {
  const bits = new Array<number>(MAX_LAYOUT_FD / 8).fill(0);
  for (const fd of fds) bits[fd >> 3] |= 1 << (fd & 7);
  return bits;
}

/**
 * The ENV record for `env`: credentials, namespaces, per-netns sysctls, RLIMIT_NOFILE, the fd
 * layout as bitmaps. Throws a RangeError for what the executor cannot lay out.
 * @example encodeEnv(defaultEnv(), 2000)
 */
/** The global knobs only a throwaway VM may change (zeros leave them). */
export interface VmGlobals {
  readonly file_max: bigint;
  readonly unix_socks: number;
  readonly nr_open: number;
}

/**
 * The record of `env`. `globals` carries what only a throwaway VM may change (fs.file-max and a
 * number of AF_UNIX sockets held open); the host oracle always sends zeros, which leave them.
 */
export function encodeEnv(env: Env, timeoutMs: number, globals: VmGlobals = { file_max: 0n, unix_socks: 0, nr_open: 0 }): Buffer {
  const { creds } = env;
  if (creds.groups.length > MAX_GROUPS) throw new RangeError(`${creds.groups.length} groups: the executor takes at most ${MAX_GROUPS}`);
  const open: number[] = [], cloexec: number[] = [], nonblock: number[] = [];
  for (const e of env.fds.entries) {
    if (!Number.isInteger(e.fd) || e.fd < 0 || e.fd >= MAX_LAYOUT_FD) {
      throw new RangeError(`fd ${e.fd}: the executor lays out fds 0..${MAX_LAYOUT_FD - 1} only`);
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
  });
}

/** FILTER frames for the env's stack, oldest first. */
function filterFrames(env: Env): Buffer[] {
  if (env.seccomp.length > MAX_FILTERS) throw new RangeError(`${env.seccomp.length} filters: the executor stacks at most ${MAX_FILTERS}`);
  return env.seccomp.map((f, i) => {
    if (f.prog.length > MAX_FILTER_INSNS) throw new RangeError(`filter ${i}: ${f.prog.length} instructions, limit ${MAX_FILTER_INSNS}`);
    return frame(KIND.FILTER, countedPayload(INSN_RECORD, f.prog, ([code, jt, jf, k]) => ({ code, jt, jf, k })));
  });
}

function callsFrame(calls: readonly Call[]): Buffer {
  if (calls.length > MAX_BATCH_CALLS) throw new RangeError(`${calls.length} calls: one RUN carries at most ${MAX_BATCH_CALLS}`);
  return frame(KIND.CALLS, countedPayload(CALL_RECORD, calls, (c) => ({
    entry: ENTRY_CODE[c.entry ?? 'x86_64'], a0: c.a0, a1: c.a1, a2: c.a2,
  })));
}

function signalName(signal: number): string {
  const hit = Object.entries(os.constants.signals).find(([, n]) => n === signal);
  return hit ? hit[0] : `SIG#${signal}`;
}

/**
 * The model's Outcome for a call that returned. ret < 0 is an errno. ret >= 0 is a new fd when
 * SO_DOMAIN answered, and a bare return value (seccomp ERRNO(0): nothing created) when the number
 * names a closed fd (EBADF) or a layout fd that is no socket (ENOTSOCK). When the queries could not
 * be answered, an fd that was open in the layout cannot be a new socket, so that too is a bare
 * return; anything else is reported as an fd with unknown fields and `partial`.
 * @example classify(3n, { getfd: 0, getfl: 2, domain: 2, type: 1, protocol: 6 }, new Set([0, 1, 2]))
 */
export function classify(
  ret: bigint,
  q: { getfd: number; getfl: number; domain: number; type: number; protocol: number },
  layout: ReadonlySet<number>,
): { outcome: Outcome; partial: boolean } {
  if (ret < 0n) return { outcome: { kind: 'errno', errno: errnoName(Number(-ret)) }, partial: false };
  const value = Number(ret);
  if (q.domain === -EBADF || q.domain === -ENOTSOCK) return { outcome: { kind: 'ret', value }, partial: false };
  if (q.domain < 0 && layout.has(value)) return { outcome: { kind: 'ret', value }, partial: true };
  const known = (n: number): number => (n >= 0 ? n : -1);
  const partial = q.domain < 0 || q.type < 0 || q.protocol < 0 || q.getfd < 0 || q.getfl < 0;
  return {
    outcome: {
      kind: 'fd',
      fd: value,
      cloexec: q.getfd >= 0 && (q.getfd & 1) !== 0,
      nonblock: q.getfl >= 0 && (q.getfl & O_NONBLOCK) !== 0,
      domain: known(q.domain),
      sotype: known(q.type),
      soprotocol: known(q.protocol),
    },
    partial,
  };
}

function toResult(r: Record<string, unknown>, layout: ReadonlySet<number>): KernelResult {
  switch (r.status as number) {
    case CALL_STATUS.RETURNED: {
      const q = {
        getfd: r.getfd as number, getfl: r.getfl as number, domain: r.domain as number,
        type: r.type as number, protocol: r.protocol as number,
      };
      const ret = r.ret as bigint;
      const { outcome, partial } = classify(ret, q, layout);
      return {
        status: 'returned', ret, outcome, getfd: q.getfd, getfl: q.getfl, soDomain: q.domain, soType: q.type,
        soProtocol: q.protocol, closeRet: r.close_ret as number, partial,
      };
    }
    case CALL_STATUS.KILLED: {
      const signal = r.signal as number;
      if (signal === SIGSYS) return { status: 'killed', signal, outcome: { kind: 'killed', signal: 'SIGSYS' } };
      return { status: 'not-run', signal, reason: `the child died by ${signalName(signal)} during the call, not by a seccomp verdict` };
    }
    case CALL_STATUS.TIMEOUT:
      return { status: 'timeout' };
    default:
      return { status: 'not-run' };
  }
}

/** CapPrm of a process as a model mask (bits above CAP_LAST_CAP dropped); all caps if unreadable. */
function capsOf(pid: number | undefined): number {
  try {
    const m = /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m !== null) return Number(BigInt(`0x${m[1]}`) & BigInt(ALL_CAPS));
  } catch {
    // no /proc: assume the executor holds what root holds
  }
  return ALL_CAPS;
}

function setupErrno(err: number): string {
  if (err > 0) return errnoName(err);
  if (err < 0) return `killed:${signalName(-err)}`;
  return 'ret:0';
}

/** Reassembles frames from the executor's stdout chunks. */
class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly headSize = recordSize(FRAME_HEADER);

  push(chunk: Buffer, onFrame: (kind: number, payload: Buffer) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let at = 0;
    while (this.buf.length - at >= this.headSize) {
      const magic = this.buf.readUInt32LE(at);
      const kind = this.buf.readUInt32LE(at + 4);
      const length = this.buf.readUInt32LE(at + 8);
      if (magic !== PROTOCOL_MAGIC) throw new ProtocolError(`executor sent a frame with bad magic 0x${magic.toString(16)}`);
      if (this.buf.length - at - this.headSize < length) break;
      onFrame(kind, this.buf.subarray(at + this.headSize, at + this.headSize + length));
      at += this.headSize + length;
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
  }

  /** Bytes of an incomplete frame still buffered. */
  get pending(): number {
    return this.buf.length;
  }
}

interface Pending {
  readonly what: string;
  readonly step: (kind: number, payload: Buffer) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

function errorText(payload: Buffer): { code: number; err: number; text: string } {
  const e = decodeRecord(ERROR_RECORD, payload);
  return { code: e.code as number, err: e.err as number, text: e.text as string };
}

/**
 * The real kernel as an oracle: one executor child kept alive, requests served one at a time in
 * order. A dead executor is restarted for the next request; the request it died in rejects.
 * @example
 * const o = await HostOracle.start();
 * const run = await o.run(defaultEnv(), [{ a0: 2n, a1: 1n, a2: 0n }]);   // results[0].outcome: fd 3
 * await o.close();
 */
/** The frames of one RUN request: ENV, FILTERs, CALLS, RUN. Throws RangeError for an env the executor cannot represent. */
export function runRequest(env: Env, calls: readonly Call[], timeoutMs: number, globals?: VmGlobals): Buffer {
  return Buffer.concat([frame(KIND.ENV, encodeEnv(env, timeoutMs, globals)), ...filterFrames(env), callsFrame(calls), frame(KIND.RUN)]);
}

/** A frame of the protocol (for the VM runner, which writes whole request streams at once). */
export function requestFrame(kind: number, payload?: Buffer): Buffer {
  return frame(kind, payload);
}

/**
 * Decodes the replies to one RUN: a RESULTS frame, ERRORs, then DONE, which yields the run (without
 * capsNotHeld, which depends on the executor's own capabilities). Throws ExecutorError when the
 * executor refused the batch, ProtocolError on a frame that does not belong.
 */
export function runReplyDecoder(env: Env, count: number): (kind: number, payload: Buffer) => KernelRun | undefined {
  const layout = new Set(env.fds.entries.map((e) => e.fd));
  const results: KernelResult[] = new Array<KernelResult>(count).fill({ status: 'not-run' });
  const refused: string[] = [];
  return (kind, payload) => {
    if (kind === KIND.RESULTS) {
      try {
        unpackRecords(RESULT_RECORD, payload, (i, r) => {
          if (i >= count) throw new RangeError(`result ${i} of a RUN of ${count} calls`);
          results[i] = toResult(r, layout);
        });
      } catch (e) {
        if (e instanceof RangeError) throw new ProtocolError(`bad RESULTS frame: ${e.message}`);
        throw e;
      }
      return undefined;
    }
    if (kind === KIND.ERROR) {
      const e = errorText(payload);
      refused.push(`${e.text} (request ${e.code}, errno ${e.err})`);
      if (e.code === KIND.RUN) throw new ExecutorError(`executor refused the batch: ${refused.join('; ')}`);
      return undefined;
    }
    if (kind !== KIND.DONE) throw new ProtocolError(`unexpected frame kind ${kind} in a RUN reply`);
    const d = decodeRecord(DONE_RECORD, payload);
    const step = d.setup_step as number;
    return {
      results,
      ...(step !== SETUP_STEP.NONE
        ? { setupFailure: { step: STEP_NAME.get(step) ?? `STEP#${step}`, errno: setupErrno(d.setup_errno as number) } }
        : {}),
      children: d.children as number,
      elapsedNs: d.elapsed_ns as bigint,
    };
  };
}

/** Splits a byte stream of reply frames into (kind, payload) pairs; a partial frame at the end is left. */
export function replyFrames(buf: Buffer): { frames: Array<{ kind: number; payload: Buffer }>; rest: number } {
  const frames: Array<{ kind: number; payload: Buffer }> = [];
  const reader = new FrameReader();
  reader.push(buf, (kind, payload) => frames.push({ kind, payload }));
  return { frames, rest: reader.pending };
}

export class HostOracle {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private stderrTail = '';
  private currentInfo: ExecutorInfo | null = null;
  private closed = false;

  private constructor(private readonly path: string, private readonly timeoutMs: number) {}

  /** Starts the executor and says hello. Rejects when the binary is missing or does not answer. */
  static async start(opts: HostOracleOptions = {}): Promise<HostOracle> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    u32(timeoutMs, 'timeoutMs');
    const oracle = new HostOracle(opts.path ?? executorPath(), timeoutMs);
    await oracle.serial(() => oracle.ensureRunning());
    return oracle;
  }

  /** The executor's process id while one runs (for diagnostics). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The executor's HELLO_REPLY (from the latest start). */
  get info(): ExecutorInfo {
    if (this.currentInfo === null) throw new ExecutorError('executor not started');
    return this.currentInfo;
  }

  /**
   * Runs `calls` in a fresh child set up as `env` (see the file comment for what is not applied).
   * Rejects with a RangeError for an env the executor cannot represent, with an ExecutorError when
   * the executor refuses the batch or dies.
   */
  run(env: Env, calls: readonly Call[], opts: { timeoutMs?: number } = {}): Promise<KernelRun> {
    const why = calls.some((c) => (c.entry ?? 'x86_64') !== 'x86_64') ? ia32Unavailable() : '';
    if (why === '') return this.runAll(env, calls, opts);
    // Each call runs from the same environment (its fd closed after it), so the others run alone.
    const sent = calls.map((c, i) => ((c.entry ?? 'x86_64') === 'x86_64' ? i : -1)).filter((i) => i >= 0);
    return this.runAll(env, sent.map((i) => calls[i]), opts).then((run) => {
      const results: KernelResult[] = calls.map(() => ({ status: 'unavailable', reason: why }));
      sent.forEach((i, k) => { results[i] = run.results[k]; });
      return { ...run, results };
    });
  }

  private runAll(env: Env, calls: readonly Call[], opts: { timeoutMs?: number }): Promise<KernelRun> {
    let out: Buffer;
    try {
      out = runRequest(env, calls, opts.timeoutMs ?? this.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    const decode = runReplyDecoder(env, calls.length);
    return this.request<KernelRun>('RUN', out, (kind, payload) => {
      const run = decode(kind, payload);
      return run === undefined ? undefined : { ...this.missingCaps(env), ...run };
    });
  }

  /** Builds a policy with libseccomp (seccomp_init, attrs, arches, rules in order) and exports it. */
  compile(req: CompileRequest): Promise<CompileResult> {
    let out: Buffer;
    try {
      out = frame(KIND.COMPILE, encodeCompile(req));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.request<CompileResult>('COMPILE', out, (kind, payload) => {
      if (kind === KIND.ERROR) {
        const e = errorText(payload);
        throw new ExecutorError(`COMPILE failed: ${e.text} (rc -${e.err})`);
      }
      if (kind !== KIND.COMPILED) throw new ProtocolError(`unexpected frame kind ${kind} in a COMPILE reply`);
      return decodeCompiled(payload);
    });
  }

  /** The benchmark baseline: `iterations` bare calls (each fd closed) inside the executor itself. */
  loop(call: Call, iterations: number): Promise<{ iterations: number; successes: number; elapsedNs: bigint }> {
    const out = frame(KIND.LOOP, encodeRecord(LOOP_REQUEST, {
      iterations: u32(iterations, 'iterations'), entry: ENTRY_CODE[call.entry ?? 'x86_64'], a0: call.a0, a1: call.a1, a2: call.a2,
    }));
    return this.request('LOOP', out, (kind, payload) => {
      if (kind === KIND.ERROR) throw new ExecutorError(`LOOP failed: ${errorText(payload).text}`);
      if (kind !== KIND.LOOP_REPLY) throw new ProtocolError(`unexpected frame kind ${kind} in a LOOP reply`);
      const r = decodeRecord(LOOP_REPLY, payload);
      return { iterations: r.iterations as number, successes: r.successes as number, elapsedNs: r.elapsed_ns as bigint };
    });
  }

  /** Asks the executor to quit (SIGKILL after 2 s) and refuses further requests. */
  close(): Promise<void> {
    this.closed = true;
    return this.serial(async () => {
      const proc = this.proc;
      if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.stdin.end(frame(KIND.QUIT));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    });
  }

  private missingCaps(env: Env): { capsNotHeld?: string[] } {
    const ns = env.creds.namespaces;
    if (ns === 'user' || ns === 'user+net') return {};
    const held = BigInt(this.currentInfo?.capsHeld ?? ALL_CAPS);
    const missing = BigInt(env.creds.caps) & ~held;
    return missing === 0n ? {} : { capsNotHeld: capNames(Number(missing)) };
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private request<T>(what: string, out: Buffer, step: (kind: number, payload: Buffer) => T | undefined): Promise<T> {
    if (this.closed) return Promise.reject(new ExecutorError(`${what} after close()`));
    return this.serial(async () => {
      const proc = await this.ensureRunning();
      return this.exchange(proc, what, out, step);
    });
  }

  private exchange<T>(
    proc: ChildProcessWithoutNullStreams, what: string, out: Buffer, step: (kind: number, payload: Buffer) => T | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending = { what, step, resolve: resolve as (v: unknown) => void, reject };
      proc.stdin.write(out);
    });
  }

  private async ensureRunning(): Promise<ChildProcessWithoutNullStreams> {
    if (this.proc !== null) return this.proc;
    const proc = this.spawnExecutor();
    const hello = await this.exchange(proc, 'HELLO', frame(KIND.HELLO), (kind, payload) => {
      if (kind !== KIND.HELLO_REPLY) throw new ProtocolError(`expected HELLO_REPLY, got frame kind ${kind}`);
      return decodeRecord(HELLO_REPLY, payload);
    });
    if ((hello.version as number) !== PROTOCOL_VERSION) {
      proc.kill('SIGKILL');
      throw new ExecutorError(`executor ${this.path} speaks protocol ${hello.version}, this sockspec ${PROTOCOL_VERSION}: rebuild it (npm run build)`);
    }
    const lib = (hello.libseccomp as number) !== 0;
    this.currentInfo = {
      version: hello.version as number,
      libseccomp: lib,
      seccompVersion: lib ? `${hello.seccomp_major}.${hello.seccomp_minor}.${hello.seccomp_micro}` : null,
      uid: hello.uid as number,
      capsHeld: capsOf(proc.pid),
    };
    return proc;
  }

  private spawnExecutor(): ChildProcessWithoutNullStreams {
    if (!fs.existsSync(this.path)) {
      throw new ExecutorError(`executor binary ${this.path} is missing; build it with scripts/build-executor.sh`);
    }
    const proc = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new FrameReader();
    this.proc = proc;
    this.stderrTail = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (kind, payload) => this.onFrame(proc, kind, payload));
      } catch (err) {
        this.fail(proc, err as Error);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    proc.stdin.on('error', () => undefined); // EPIPE when it died: reported by 'exit' below
    proc.on('error', (err) => this.fail(proc, new ExecutorError(`executor ${this.path}: ${err.message}`)));
    proc.on('exit', (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `code ${code}`;
      const tail = this.stderrTail.trim();
      this.fail(proc, new ExecutorError(
        `executor exited (${how}) during ${this.pending?.what ?? 'no request'}; it restarts for the next request`
        + (tail ? `; stderr: ${tail}` : ''),
      ));
    });
    return proc;
  }

  private onFrame(proc: ChildProcessWithoutNullStreams, kind: number, payload: Buffer): void {
    const p = this.pending;
    if (p === null || proc !== this.proc) {
      if (kind === KIND.ERROR) return; // an ERROR for a request already rejected
      throw new ProtocolError(`frame kind ${kind} with no request waiting`);
    }
    let value: unknown;
    try {
      value = p.step(kind, payload);
    } catch (err) {
      this.pending = null;
      // A refusal ends the exchange cleanly; anything else means the stream is out of step.
      if (!(err instanceof ExecutorError) || err instanceof ProtocolError) proc.kill('SIGKILL');
      p.reject(err as Error);
      return;
    }
    if (value !== undefined) {
      this.pending = null;
      p.resolve(value);
    }
  }

  private fail(proc: ChildProcessWithoutNullStreams, err: Error): void {
    if (proc !== this.proc) return;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }
}

function encodeCompile(req: CompileRequest): Buffer {
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
  return Buffer.concat([head, ...rules]);
}

function decodeCompiled(payload: Buffer): CompileResult {
  const h = decodeRecord(COMPILED_HEADER, payload);
  const nrules = h.nrules as number, ninsns = h.ninsns as number;
  let at = recordSize(COMPILED_HEADER);
  const rcs: { rc: number; nr: number }[] = [];
  for (let i = 0; i < nrules; i++, at += recordSize(RC_RECORD)) {
    const r = decodeRecord(RC_RECORD, payload, at);
    rcs.push({ rc: r.rc as number, nr: r.nr as number });
  }
  const program: BpfInsn[] = [];
  for (let i = 0; i < ninsns; i++, at += recordSize(INSN_RECORD)) {
    const r = decodeRecord(INSN_RECORD, payload, at);
    program.push([r.code as number, r.jt as number, r.jf as number, r.k as number]);
  }
  return { initOk: (h.init_ok as number) !== 0, rcs, exportRc: h.export_rc as number, program };
}
