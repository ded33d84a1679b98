// The executor's replies as the model sees them: each call's result record classified into an
// Outcome, the frames of one RUN decoded into a KernelRun, COMPILED into a program. Shared by the
// host runner (oracle/host/) and the VM runner (oracle/vm/runner.ts).
// Sources: oracle/protocol.ts; docs/seccomp.md §5 (harness) and §7 (libseccomp export).

import * as os from 'node:os';
import { decodeRecord, recordSize, unpackRecords } from './records';
import { ExecutorError, ProtocolError } from '../errors';
import {
  CALL_STATUS, COMPILED_HEADER, DONE_RECORD, ERROR_RECORD, INSN_RECORD, KIND, LOOP_REPLY, RACE_REPLY, RC_RECORD,
  RESULT_RECORD, SETUP_STEP, SNAP_RECORD, SV_UNWRITTEN, MAX_SNAPSHOT_FDS,
} from '../protocol';
import { errnoName } from '../../model/constants';
import type { BpfInsn } from '../../model/seccomp/bpf';
import type { Call, Env, Outcome, PairEnd } from '../../model/types';
import type { Step } from '../../model/sequence';

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
  | { readonly status: 'unavailable'; readonly reason: string }
  /** The oracle lost the answer: the executor died during the batch, and again when it was retried. */
  | { readonly status: 'lost'; readonly reason: string };

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
  /** Set when the whole batch was lost (every result `lost`): why, for the report. */
  readonly lost?: string;
  /** A kernel in a VM: the console alerts (WARNING, BUG, oops, …) that appeared while the batch ran. */
  readonly alerts?: readonly string[];
}

/** The answer: per rule its rc (0 or -errno) and resolved nr (-1: unknown name, skipped), and the program. */
export interface CompileResult {
  readonly initOk: boolean;
  readonly rcs: { readonly rc: number; readonly nr: number }[];
  readonly exportRc: number;
  readonly program: BpfInsn[];
}

const STEP_NAME: ReadonlyMap<number, string> = new Map(Object.entries(SETUP_STEP).map(([k, v]) => [v, k]));

/** The name of signal number `signal` (SIGSYS), or SIG#n for one this platform does not name. */
export function signalName(signal: number): string {
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

/**
 * The Outcome of a socketpair that returned: an errno with what it left in sv; a pair when the
 * kernel wrote both words (each end classified like a socket() fd); a bare return when it wrote
 * neither (seccomp ERRNO(0) skipped the call).
 */
export function classifyPair(
  ret: bigint,
  sv: readonly [number, number],
  q: readonly [{ getfd: number; getfl: number; domain: number; type: number; protocol: number }, { getfd: number; getfl: number; domain: number; type: number; protocol: number }],
  layout: ReadonlySet<number>,
): { outcome: Outcome; partial: boolean } {
  const written = sv.filter((w) => w !== SV_UNWRITTEN);
  if (ret < 0n) return { outcome: { kind: 'errno', errno: errnoName(Number(-ret)), sv: written }, partial: false };
  if (written.length < 2) return { outcome: { kind: 'ret', value: Number(ret) }, partial: written.length > 0 };
  const ends = sv.map((fd, i) => classify(BigInt(fd), q[i], layout));
  const asEnd = (c: { outcome: Outcome }, fd: number): PairEnd => {
    const o = c.outcome;
    return o.kind === 'fd' ? { fd: o.fd, cloexec: o.cloexec, nonblock: o.nonblock, domain: o.domain, sotype: o.sotype, soprotocol: o.soprotocol }
      : { fd, cloexec: false, nonblock: false, domain: -1, sotype: -1, soprotocol: -1 };
  };
  return {
    outcome: { kind: 'pair', ends: [asEnd(ends[0], sv[0]), asEnd(ends[1], sv[1])] },
    partial: ends.some((e) => e.partial || e.outcome.kind !== 'fd') || ret !== 0n,
  };
}

/** One decoded result record as a KernelResult (`layout`: the fds the env had open). */
function toResult(r: Record<string, unknown>, layout: ReadonlySet<number>, pair: boolean): KernelResult {
  switch (r.status as number) {
    case CALL_STATUS.RETURNED: {
      const q = {
        getfd: r.getfd as number, getfl: r.getfl as number, domain: r.domain as number,
        type: r.type as number, protocol: r.protocol as number,
      };
      const ret = r.ret as bigint;
      const { outcome, partial } = pair
        ? classifyPair(ret, [r.sv0 as number, r.sv1 as number], [q, {
          getfd: r.getfd2 as number, getfl: r.getfl2 as number, domain: r.domain2 as number, type: r.type2 as number, protocol: r.protocol2 as number,
        }], layout)
        : classify(ret, q, layout);
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

/** DONE.setup_errno as KernelRun.setupFailure.errno says it. */
function setupErrno(err: number): string {
  if (err > 0) return errnoName(err);
  if (err < 0) return `killed:${signalName(-err)}`;
  return 'ret:0';
}

/** An ERROR frame's fields: the request kind, the errno (or 0) and the text. */
export function errorText(payload: Buffer): { code: number; err: number; text: string } {
  const e = decodeRecord(ERROR_RECORD, payload);
  return { code: e.code as number, err: e.err as number, text: e.text as string };
}

/**
 * Decodes the replies to one RUN: a RESULTS frame, ERRORs, then DONE, which yields the run (without
 * capsNotHeld, which depends on the executor's own capabilities). Throws ExecutorError when the
 * executor refused the batch, ProtocolError on a frame that does not belong.
 */
export function runReplyDecoder(env: Env, calls: readonly Call[]): (kind: number, payload: Buffer) => KernelRun | undefined {
  const count = calls.length;
  const layout = new Set(env.fds.entries.map((e) => e.fd));
  const results: KernelResult[] = new Array<KernelResult>(count).fill({ status: 'not-run' });
  const refused: string[] = [];
  return (kind, payload) => {
    if (kind === KIND.RESULTS) {
      try {
        unpackRecords(RESULT_RECORD, payload, (i, r) => {
          if (i >= count) throw new RangeError(`result ${i} of a RUN of ${count} calls`);
          results[i] = toResult(r, layout, calls[i].syscall === 'socketpair');
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

/** One open fd of a sequence snapshot; `domain`/`sotype`/`soprotocol` are -errno for a file that is no socket. */
export type KernelFd = PairEnd;

/** What one step of a sequence did, and the table after it (null: more fds than a snapshot holds). */
export type SequenceStepResult =
  | { readonly status: 'returned'; readonly ret: bigint; readonly outcome: Outcome; readonly table: readonly KernelFd[] | null }
  | { readonly status: 'killed' | 'timeout' | 'not-run' | 'lost' | 'unavailable'; readonly reason: string };

/** A sequence RUN: a result per step, the setup failure if any, its wall time. */
export interface SequenceRun {
  readonly steps: readonly SequenceStepResult[];
  readonly setupFailure?: { readonly step: string; readonly errno: string };
  readonly elapsedNs: bigint;
  readonly lost?: string;
}

function snapFd(r: Record<string, unknown>): KernelFd {
  const getfd = r.getfd as number, getfl = r.getfl as number;
  return {
    fd: r.fd as number, cloexec: getfd >= 0 && (getfd & 1) !== 0, nonblock: getfl >= 0 && (getfl & O_NONBLOCK) !== 0,
    domain: r.domain as number, sotype: r.type as number, soprotocol: r.protocol as number,
  };
}

/** A SNAPSHOTS payload: per call, the open fds after it (null when there were too many). */
export function decodeSnapshots(payload: Buffer): (KernelFd[] | null)[] {
  const size = recordSize(SNAP_RECORD);
  if (payload.length < 4) throw new ProtocolError('SNAPSHOTS without a count');
  const count = payload.readUInt32LE(0);
  const out: (KernelFd[] | null)[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 4 > payload.length) throw new ProtocolError(`SNAPSHOTS ends in call ${i} of ${count}`);
    const n = payload.readUInt32LE(at);
    at += 4;
    if (n > MAX_SNAPSHOT_FDS) {
      out.push(null);
      continue;
    }
    if (at + n * size > payload.length) throw new ProtocolError(`SNAPSHOTS ends in call ${i} of ${count}`);
    const fds: KernelFd[] = [];
    for (let k = 0; k < n; k++, at += size) fds.push(snapFd(decodeRecord(SNAP_RECORD, payload, at)));
    out.push(fds);
  }
  if (at !== payload.length) throw new ProtocolError(`SNAPSHOTS: ${payload.length - at} bytes after ${count} calls`);
  return out;
}

/**
 * A step's Outcome read off its return value and the table after it: a socket() fd with the flags
 * and SO_* values the table shows, both ends of a socketpair (from sv), close/dup's return value.
 */
function stepOutcome(step: Step, r: Record<string, unknown>, table: readonly KernelFd[] | null): Outcome {
  const ret = r.ret as bigint;
  const sv = [r.sv0 as number, r.sv1 as number].filter((w) => w !== SV_UNWRITTEN);
  if (ret < 0n) {
    const errno = errnoName(Number(-ret));
    return step.op === 'call' && step.call.syscall === 'socketpair' ? { kind: 'errno', errno, sv } : { kind: 'errno', errno };
  }
  const at = (fd: number): KernelFd | undefined => table?.find((e) => e.fd === fd);
  const end = (e: KernelFd): PairEnd => ({ fd: e.fd, cloexec: e.cloexec, nonblock: e.nonblock, domain: e.domain, sotype: e.sotype, soprotocol: e.soprotocol });
  if (step.op === 'call' && step.call.syscall === 'socketpair') {
    const a = sv.length === 2 ? at(sv[0]) : undefined;
    const b = sv.length === 2 ? at(sv[1]) : undefined;
    return a !== undefined && b !== undefined ? { kind: 'pair', ends: [end(a), end(b)] } : { kind: 'ret', value: Number(ret) };
  }
  if (step.op === 'call') {
    const e = at(Number(ret));
    return e !== undefined && e.domain >= 0 ? { kind: 'fd', ...end(e) } : { kind: 'ret', value: Number(ret) };
  }
  return { kind: 'ret', value: Number(ret) };
}

/** Decodes the replies to a sequence RUN: RESULTS, SNAPSHOTS, DONE. */
export function sequenceReplyDecoder(steps: readonly Step[]): (kind: number, payload: Buffer) => SequenceRun | undefined {
  const records: (Record<string, unknown> | undefined)[] = new Array(steps.length).fill(undefined);
  let tables: (KernelFd[] | null)[] = [];
  return (kind, payload) => {
    if (kind === KIND.RESULTS) {
      try {
        unpackRecords(RESULT_RECORD, payload, (i, r) => {
          if (i >= steps.length) throw new RangeError(`result ${i} of a sequence of ${steps.length} steps`);
          records[i] = r;
        });
      } catch (e) {
        if (e instanceof RangeError) throw new ProtocolError(`bad RESULTS frame: ${e.message}`);
        throw e;
      }
      return undefined;
    }
    if (kind === KIND.SNAPSHOTS) {
      tables = decodeSnapshots(payload);
      return undefined;
    }
    if (kind === KIND.ERROR) throw new ExecutorError(`executor refused the sequence: ${errorText(payload).text}`);
    if (kind !== KIND.DONE) throw new ProtocolError(`unexpected frame kind ${kind} in a sequence reply`);
    const d = decodeRecord(DONE_RECORD, payload);
    const step = d.setup_step as number;
    const out: SequenceStepResult[] = steps.map((s, i) => {
      const r = records[i];
      if (r === undefined) return { status: 'not-run', reason: 'no result' };
      switch (r.status as number) {
        case CALL_STATUS.RETURNED: {
          const table = tables[i] ?? null;
          return { status: 'returned', ret: r.ret as bigint, outcome: stepOutcome(s, r, table), table };
        }
        case CALL_STATUS.KILLED: return { status: 'killed', reason: `the child died by ${signalName(r.signal as number)} during the step` };
        case CALL_STATUS.TIMEOUT: return { status: 'timeout', reason: 'the step hung and was killed after the timeout' };
        default: return { status: 'not-run', reason: 'an earlier step ended the child' };
      }
    });
    return {
      steps: out,
      ...(step !== SETUP_STEP.NONE ? { setupFailure: { step: STEP_NAME.get(step) ?? `STEP#${step}`, errno: setupErrno(d.setup_errno as number) } } : {}),
      elapsedNs: d.elapsed_ns as bigint,
    };
  };
}

/** A COMPILED payload: the header, each rule's rc and resolved number, then the exported program. */
export function decodeCompiled(payload: Buffer): CompileResult {
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

/** A LOOP_REPLY payload: how many iterations ran, how many returned an fd, the loop's wall time. */
export function decodeLoopReply(payload: Buffer): { iterations: number; successes: number; elapsedNs: bigint } {
  const r = decodeRecord(LOOP_REPLY, payload);
  return { iterations: r.iterations as number, successes: r.successes as number, elapsedNs: r.elapsed_ns as bigint };
}

/** What one half of the atomicity race saw (a RACE_REPLY). */
export interface RaceReply {
  /** The errno name of a setup step that failed (fork, threads, the probe's exec, the time limit), or null. */
  readonly error: string | null;
  /** Probes spawned (fork + exec) that reported. */
  readonly probes: number;
  /** Of those, probes that inherited at least one socket. */
  readonly leakyProbes: number;
  /** Sockets the probes inherited, summed: each kept no FD_CLOEXEC through a fork. */
  readonly leaked: number;
  /** Sockets created (a pair counts two). */
  readonly created: number;
  /** New socket fds whose flags the watcher read. */
  readonly watched: number;
  /** Of those, fds seen without FD_CLOEXEC or without O_NONBLOCK. */
  readonly unflagged: number;
  /** The race's wall time in the executor, in ms. */
  readonly elapsedMs: number;
}

/** A RACE_REPLY payload, counts as numbers (they stay far below 2^53). */
export function decodeRaceReply(payload: Buffer): RaceReply {
  const r = decodeRecord(RACE_REPLY, payload);
  const err = r.err as number;
  return {
    error: err === 0 ? null : errnoName(err),
    probes: r.probes as number,
    leakyProbes: r.leaky_probes as number,
    leaked: Number(r.leaked as bigint),
    created: Number(r.created as bigint),
    watched: Number(r.watched as bigint),
    unflagged: Number(r.unflagged as bigint),
    elapsedMs: Number(r.elapsed_ns as bigint) / 1e6,
  };
}
