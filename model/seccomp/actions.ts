// seccomp return values: how a stack of filters combines into one verdict and what that
// verdict does to the syscall. Kernel sources: include/uapi/linux/seccomp.h (SECCOMP_RET_*),
// kernel/seccomp.c (seccomp_run_filters, __seccomp_filter, seccomp_do_user_notification).
// Facts: docs/kernel.md §7, docs/seccomp.md §5.

import { encodeSeccompData, runBpf, type BpfInsn, type CompiledBpf, type SeccompData, type SeccompWords } from './bpf';
import { runFilter } from './jit';

/** Kill the whole process with SIGSYS (negative as s32, so it sorts strongest). @example ret(SECCOMP_RET_KILL_PROCESS) */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
/** Kill the calling thread with SIGSYS (the process, if it is the last thread). @example ret(SECCOMP_RET_KILL_THREAD) */
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
/** Raise SIGSYS; the low 16 bits reach the handler as `si_errno`. @example SECCOMP_RET_TRAP | 7 */
export const SECCOMP_RET_TRAP = 0x00030000;
/** Skip the syscall and return -(low 16 bits), clamped to MAX_ERRNO. @example SECCOMP_RET_ERRNO | 13 // EACCES */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** Ask the user-space supervisor holding the listener fd. @example ret(SECCOMP_RET_USER_NOTIF) */
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
/** Hand the syscall to a ptrace tracer (PTRACE_EVENT_SECCOMP). @example SECCOMP_RET_TRACE | 1 */
export const SECCOMP_RET_TRACE = 0x7ff00000;
/** Log the syscall, then run it. @example ret(SECCOMP_RET_LOG) */
export const SECCOMP_RET_LOG = 0x7ffc0000;
/** Run the syscall. @example ret(SECCOMP_RET_ALLOW) */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** The action part of a return value. @example (ret & SECCOMP_RET_ACTION_FULL) >>> 0 */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
/** The data part of a return value. @example ret & SECCOMP_RET_DATA */
export const SECCOMP_RET_DATA = 0x0000ffff;
/** Largest errno a syscall can return (`include/linux/err.h`). @example Math.min(data, MAX_ERRNO) */
export const MAX_ERRNO = 4095;

/**
 * `ACTION_ONLY(ret)`: the action bits read as s32, the key the kernel minimises over the stack.
 *
 * @example
 * actionOnly(SECCOMP_RET_KILL_PROCESS) < actionOnly(SECCOMP_RET_KILL_THREAD); // true
 */
export function actionOnly(ret: number): number {
  return ret & SECCOMP_RET_ACTION_FULL;
}

/** The verdict of a filter stack and which filter gave it. @example const r: StackResult = { ret: 0x7fff0000, filterIndex: -1 }; */
export interface StackResult {
  /** The u32 the kernel acts on. */
  readonly ret: number;
  /** Index (oldest first) of the filter whose value was kept, -1 when none beat ALLOW. */
  readonly filterIndex: number;
}

/**
 * Combines return values the way seccomp_run_filters does. `rets` is oldest first; the kernel
 * walks newest to oldest from an initial ALLOW and keeps a value only when its ACTION_ONLY is
 * strictly smaller, so the newest filter wins a tie and its 16 data bits are the ones used.
 * When nothing beats ALLOW the kernel's ALLOW is returned as is (data 0) and no filter matched.
 *
 * @example
 * combineReturns([0x00050001, 0x00050002]); // { ret: 0x00050002, filterIndex: 1 }
 */
export function combineReturns(rets: readonly number[]): StackResult {
  let ret = SECCOMP_RET_ALLOW;
  let filterIndex = -1;
  for (let i = rets.length - 1; i >= 0; i--) {
    const cur = rets[i] >>> 0;
    if (actionOnly(cur) < actionOnly(ret)) {
      ret = cur;
      filterIndex = i;
    }
  }
  return { ret, filterIndex };
}

const stackWords = new Uint32Array(16);

/**
 * The stack's verdict for `words` (encoded seccomp_data), with the same rule as runStack, for
 * filters held as `{ prog }` records; allocates nothing once a program has been seen. This is
 * evaluate's hot path: each program runs through runFilter, which translates a program run
 * often into JavaScript (jit.ts) that returns what the interpreter returns.
 *
 * @example
 * stackVerdict([{ prog: [[0x06, 0, 0, 0x00050001]] }, { prog: [[0x06, 0, 0, 0x00050002]] }], words); // 0x00050002
 */
export function stackVerdict(filters: readonly { readonly prog: readonly BpfInsn[] }[], words: SeccompWords): number {
  if (words.length !== 16) throw new RangeError(`seccomp_data is 16 words, got ${words.length}`);
  let ret = SECCOMP_RET_ALLOW;
  for (let i = filters.length - 1; i >= 0; i--) {
    const cur = runFilter(filters[i].prog, words);
    if (actionOnly(cur) < actionOnly(ret)) ret = cur;
  }
  return ret;
}

/**
 * Runs every filter of a stack (oldest first, index 0 installed first) on one syscall with the
 * interpreter and combines the results as seccomp_run_filters does. An empty stack allows.
 *
 * @example
 * runStack([[[0x06, 0, 0, 0x00050001]], [[0x06, 0, 0, 0x00050002]]], data); // { ret: 0x00050002, filterIndex: 1 }
 */
export function runStack(
  filters: readonly (readonly BpfInsn[] | CompiledBpf)[],
  data: SeccompData | SeccompWords,
): StackResult {
  const words = data instanceof Uint32Array ? data : encodeSeccompData(data, stackWords);
  let ret = SECCOMP_RET_ALLOW;
  let filterIndex = -1;
  for (let i = filters.length - 1; i >= 0; i--) {
    const cur = runBpf(filters[i], words);
    if (actionOnly(cur) < actionOnly(ret)) {
      ret = cur;
      filterIndex = i;
    }
  }
  return { ret, filterIndex };
}

/** Which kind of SIGSYS death a verdict causes. @example const k: KillAction = 'TRAP'; */
export type KillAction = 'KILL_PROCESS' | 'KILL_THREAD' | 'TRAP' | 'UNKNOWN';

/**
 * What a verdict does to the syscall (__seccomp_filter). The first six kinds are all a model
 * without tracer, supervisor or SIGSYS handler sees; `trace`, `notify` and `trap` appear only
 * when the matching option says one is present, and then the outcome is theirs to decide.
 *
 * @example
 * const a: SeccompAction = { kind: 'errno', errno: 13 };
 */
export type SeccompAction =
  | { readonly kind: 'allow' }
  | { readonly kind: 'log' }
  | { readonly kind: 'errno'; readonly errno: number }
  | { readonly kind: 'ret'; readonly value: number }
  | { readonly kind: 'enosys' }
  | { readonly kind: 'kill'; readonly signal: 'SIGSYS'; readonly action: KillAction; readonly data: number }
  | { readonly kind: 'trace'; readonly data: number }
  | { readonly kind: 'notify' }
  | { readonly kind: 'trap'; readonly data: number };

/** Who is there to take TRACE, USER_NOTIF and TRAP verdicts. By default nobody is. @example decideAction(r, { tracer: true }) */
export interface ActionContext {
  /** A ptrace tracer with PTRACE_O_TRACESECCOMP is attached. */
  readonly tracer?: boolean;
  /** A filter installed with SECCOMP_FILTER_FLAG_NEW_LISTENER has its listener fd open. */
  readonly listener?: boolean;
  /** The process has a SIGSYS handler (containers do not). */
  readonly sigsysHandler?: boolean;
}

// The verdicts that carry no data are shared: the common ALLOW path allocates nothing.
const ALLOW_ACTION: SeccompAction = Object.freeze({ kind: 'allow' });
const LOG_ACTION: SeccompAction = Object.freeze({ kind: 'log' });

/**
 * Maps a stack verdict to its effect. ERRNO data above 4095 is clamped; ERRNO(0) skips the
 * syscall and makes it return 0. TRACE without a tracer and USER_NOTIF without a listener give
 * ENOSYS. TRAP without a handler, KILL_* and every undefined action end in SIGSYS, undefined
 * ones through the `default:` case that also handles KILL_PROCESS.
 *
 * @example
 * decideAction(0x00051388); // { kind: 'errno', errno: 4095 }
 * decideAction(SECCOMP_RET_TRACE); // { kind: 'enosys' }
 */

export function decideAction(ret: number, opts?: ActionContext): SeccompAction {
  const data = ret & SECCOMP_RET_DATA;
  switch ((ret & SECCOMP_RET_ACTION_FULL) >>> 0) {
    case SECCOMP_RET_ALLOW:
      return ALLOW_ACTION;
    case SECCOMP_RET_LOG:
      return LOG_ACTION;
    case SECCOMP_RET_ERRNO:
      return data === 0 ? { kind: 'ret', value: 0 } : { kind: 'errno', errno: Math.min(data, MAX_ERRNO) };
    case SECCOMP_RET_TRACE:
      return opts?.tracer === true ? { kind: 'trace', data } : { kind: 'enosys' };
    case SECCOMP_RET_USER_NOTIF:
      return opts?.listener === true ? { kind: 'notify' } : { kind: 'enosys' };
    case SECCOMP_RET_TRAP:
      return opts?.sigsysHandler === true ? { kind: 'trap', data } : kill('TRAP', data);
    case SECCOMP_RET_KILL_THREAD:
      return kill('KILL_THREAD', data);
    case SECCOMP_RET_KILL_PROCESS:
      return kill('KILL_PROCESS', data);
    default:
      return kill('UNKNOWN', data);
  }
}

function kill(action: KillAction, data: number): SeccompAction {
  return { kind: 'kill', signal: 'SIGSYS', action, data };
}

const NAMES: Readonly<Record<number, string>> = {
  [SECCOMP_RET_KILL_PROCESS]: 'KILL_PROCESS',
  [SECCOMP_RET_KILL_THREAD]: 'KILL_THREAD',
  [SECCOMP_RET_TRAP]: 'TRAP',
  [SECCOMP_RET_ERRNO]: 'ERRNO',
  [SECCOMP_RET_USER_NOTIF]: 'USER_NOTIF',
  [SECCOMP_RET_TRACE]: 'TRACE',
  [SECCOMP_RET_LOG]: 'LOG',
  [SECCOMP_RET_ALLOW]: 'ALLOW',
};

/**
 * A return value as people write it, for explanations. TRAP, ERRNO and TRACE show their data,
 * since it is what the caller or tracer gets; an ERRNO above 4095 says it is clamped.
 *
 * @example
 * actionName(0x0005000d); // "ERRNO(13)"
 * actionName(0x00010000); // "0x00010000 (unknown, acts as KILL_PROCESS)"
 */
export function actionName(ret: number): string {
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = ret & SECCOMP_RET_DATA;
  const name = NAMES[action];
  if (name === undefined) {
    return `0x${(ret >>> 0).toString(16).padStart(8, '0')} (unknown, acts as KILL_PROCESS)`;
  }
  if (action === SECCOMP_RET_ERRNO && data > MAX_ERRNO) return `ERRNO(${data}, clamped to ${MAX_ERRNO})`;
  if (action === SECCOMP_RET_ERRNO || action === SECCOMP_RET_TRAP || action === SECCOMP_RET_TRACE) {
    return `${name}(${data})`;
  }
  return name;
}
