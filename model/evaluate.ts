// evaluate(call, env): what Linux socket() (or socketpair()) returns, and why. seccomp first (it sees the raw 64-bit
// registers), then the entry path's own rows (socketcall's copy of its argument block), the
// kernel's generic rows on the low 32 bits, the family's ->create table, and fd/file allocation
// last. The trace lists every clause looked at, ending with the one that decided.
// Sources: net/socket.c (__sys_socket), net/compat.c (compat_sys_socketcall), kernel/seccomp.c;
// docs/kernel.md §3 and §10.

import type { CreateCtx } from './clause';
import { compileEntryRows, compileRows, type CompiledRows } from './compile';
import { errnoName, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_MASK } from './constants';
import { FAMILY_TABLES } from './families';
import { AFTER_CREATE, BEFORE_CREATE, INSTALL, SOCK_CREATE } from './generic';
import { lowestFree } from './fdtable';
import { PAIR_AFTER_CREATE, PAIR_BEFORE_CREATE, PAIR_INSTALL, secondFree } from './socketpair';
import { regInt32 } from './registers';
import { SOCKETCALL_ROWS } from './socketcall';
import { fillSeccompWords } from './syscall';
import { decideAction, stackVerdict } from './seccomp/actions';
import type { Call, Decision, Env, Outcome, PairEnd } from './types';

// Error outcomes are immutable and shared, so a failing call allocates nothing.
const ERRNO_OUTCOMES = new Map<string, Outcome>();
function errnoOutcome(name: string): Outcome {
  let o = ERRNO_OUTCOMES.get(name);
  if (o === undefined) {
    o = Object.freeze({ kind: 'errno' as const, errno: name });
    ERRNO_OUTCOMES.set(name, o);
  }
  return o;
}
const KILLED: Outcome = Object.freeze({ kind: 'killed', signal: 'SIGSYS' });
const RET0: Outcome = Object.freeze({ kind: 'ret', value: 0 });

// seccomp_data of the call being decided, reused for the same reason as the scratch context.
const words = new Uint32Array(16);

// One scratch context, reused: evaluate never re-enters itself, and nothing keeps a reference to
// the context past a call, so reuse is invisible to callers and saves an allocation per call.
const scratch: CreateCtx = {
  env: undefined as unknown as Env, rawType: 0, family: 0, type: 0, protocol: 0, domain: 0, sotype: 0, soprotocol: 0, fd: -1,
  fd2: -1, sv: undefined,
};

/** What decide found besides the outcome: the fds a failed call reserved (Decision.reserved). */
let reservedOut: readonly number[] | undefined;

/**
 * The decision procedure. Appends the clause ids it looks at to `trace` unless `trace` is null
 * (hot loops that only need the outcome skip building it).
 */
function decide(call: Call, env: Env, trace: string[] | null): Outcome {
  reservedOut = undefined;
  return decideCall(call, env, trace);
}

/**
 * A socketpair that failed before writing sv (seccomp, the entry's copy, its flags, EMFILE) says
 * so: sv is []. Other outcomes (a seccomp kill or RET) pass through.
 */
function beforeSv(call: Call, o: Outcome): Outcome {
  return o.kind === 'errno' && call.syscall === 'socketpair' ? pairErrno(o.errno) : o;
}

const PAIR_ERRNO_OUTCOMES = new Map<string, Outcome>();
function pairErrno(name: string): Outcome {
  let o = PAIR_ERRNO_OUTCOMES.get(name);
  if (o === undefined) {
    o = Object.freeze({ kind: 'errno' as const, errno: name, sv: Object.freeze([]) as readonly number[] });
    PAIR_ERRNO_OUTCOMES.set(name, o);
  }
  return o;
}

/** What a stack verdict does to the call: the seccomp clause it is, and the outcome it decides (null: the call goes on). */
interface SeccompStep {
  readonly id: string;
  readonly outcome: Outcome | null;
}

function seccompStepOf(ret: number): SeccompStep {
  const act = decideAction(ret);
  switch (act.kind) {
    case 'allow':
      return { id: 'seccomp-allow', outcome: null };
    case 'log':
      return { id: 'seccomp-log', outcome: null };
    case 'errno':
      return { id: 'seccomp-errno', outcome: errnoOutcome(errnoName(act.errno)) };
    case 'ret':
      return { id: 'seccomp-errno-zero', outcome: act.value === 0 ? RET0 : Object.freeze({ kind: 'ret' as const, value: act.value }) };
    case 'enosys':
      return { id: 'seccomp-no-listener', outcome: errnoOutcome('ENOSYS') };
    case 'kill':
      return { id: 'seccomp-kill', outcome: KILLED };
    default:
      throw new Error(`seccomp action ${act.kind} cannot happen without a tracer, listener or handler`);
  }
}

// Verdicts seen, each decoded once. A filter returns few distinct values (its RET constants), but
// RET A can return any word, so the memo stops growing at a bound and decodes the rest each time.
const SECCOMP_STEPS = new Map<number, SeccompStep>();
const SECCOMP_STEPS_MAX = 4096;

function seccompStep(ret: number): SeccompStep {
  let step = SECCOMP_STEPS.get(ret);
  if (step === undefined) {
    step = seccompStepOf(ret);
    if (SECCOMP_STEPS.size < SECCOMP_STEPS_MAX) SECCOMP_STEPS.set(ret, step);
  }
  return step;
}

// The tables, compiled once (model/compile.ts): what runs is the same rows in the same order.
const RUN_ENTRY = compileEntryRows(SOCKETCALL_ROWS);
const RUN_BEFORE = compileRows(BEFORE_CREATE);
const RUN_SOCK_CREATE = compileRows(SOCK_CREATE);
const RUN_AFTER = compileRows(AFTER_CREATE);
const RUN_PAIR_BEFORE = compileRows(PAIR_BEFORE_CREATE);
const RUN_PAIR_AFTER = compileRows(PAIR_AFTER_CREATE);
const RUN_FAMILY: ReadonlyArray<CompiledRows | undefined> = (() => {
  const a: (CompiledRows | undefined)[] = [];
  for (const t of FAMILY_TABLES) a[t.family] = compileRows(t.rows);
  return a;
})();

/** The compiled ->create table of a family (familyTable's, compiled); throws for a family the model lacks. */
function runFamily(env: Env, family: number): CompiledRows {
  const run = family >= 0 ? RUN_FAMILY[family] : undefined;
  if (run === undefined) throw new Error(`profile ${env.profile.name} registers family ${family}, which the model has no table for`);
  return run;
}

function decideCall(call: Call, env: Env, trace: string[] | null): Outcome {
  if (env.seccomp.length > 0) {
    const step = seccompStep(stackVerdict(env.seccomp, fillSeccompWords(call, words)));
    trace?.push(step.id);
    if (step.outcome !== null) return beforeSv(call, step.outcome);
  }

  const entryFailed = RUN_ENTRY(call, trace);
  if (entryFailed !== null) return beforeSv(call, entryFailed.outcome);

  const family = regInt32(call.a0);
  const rawType = regInt32(call.a1);
  const type = rawType & SOCK_TYPE_MASK;
  const c = scratch as { -readonly [K in keyof CreateCtx]: CreateCtx[K] };
  c.env = env;
  c.rawType = rawType;
  c.family = family;
  c.type = type;
  c.protocol = regInt32(call.a2);
  c.domain = family;
  c.sotype = type;
  c.soprotocol = 0;
  c.fd = -1;
  c.fd2 = -1;
  c.sv = undefined;
  if (call.syscall === 'socketpair') return decidePair(call, c, trace);

  let failed = RUN_BEFORE(c, trace);
  if (failed !== null) return failed.outcome;
  failed = runFamily(env, c.family)(c, trace);
  if (failed !== null) return failed.outcome;
  c.fd = lowestFree(env.fds);
  failed = RUN_AFTER(c, trace);
  if (failed !== null) {
    // sock_map_fd reserved the fd before the file allocation failed: the table grew to hold it.
    if (failed.errno === 'ENFILE') reservedOut = [c.fd];
    return failed.outcome;
  }

  trace?.push(INSTALL.id);
  return {
    kind: 'fd',
    fd: c.fd,
    cloexec: (rawType & SOCK_CLOEXEC) !== 0,
    nonblock: (rawType & SOCK_NONBLOCK) !== 0,
    domain: c.domain,
    sotype: c.sotype,
    soprotocol: c.soprotocol,
  };
}

/**
 * socketpair(2) after seccomp and the entry's rows: its own flag check, both fds reserved and
 * written into sv, one end created as socket() creates (the second repeats it; PAIR_AFTER_CREATE
 * has what can differ), the family's ops->socketpair, two files, both fds installed.
 */
function decidePair(call: Call, c: { -readonly [K in keyof CreateCtx]: CreateCtx[K] }, trace: string[] | null): Outcome {
  const env = c.env;
  c.sv = call.sv;
  c.fd = lowestFree(env.fds);
  c.fd2 = secondFree(env.fds, c.fd);
  let failed = RUN_PAIR_BEFORE(c, trace);
  if (failed !== null) {
    if (failed.id === 'SP1-flags' || failed.errno === 'EMFILE') return pairErrno(failed.errno);
    reservedOut = [c.fd, c.fd2];
    return { kind: 'errno', errno: failed.errno, sv: failed.id === 'SP4-sv1' ? [c.fd] : [] };
  }
  reservedOut = [c.fd, c.fd2];
  const written = [c.fd, c.fd2] as const;
  failed = RUN_SOCK_CREATE(c, trace);
  if (failed !== null) return { kind: 'errno', errno: failed.errno, sv: written };
  failed = runFamily(env, c.family)(c, trace);
  if (failed !== null) return { kind: 'errno', errno: failed.errno, sv: written };
  failed = RUN_PAIR_AFTER(c, trace);
  if (failed !== null) return { kind: 'errno', errno: failed.errno, sv: written };
  reservedOut = undefined;
  trace?.push(PAIR_INSTALL.id);
  const end = (fd: number): PairEnd => ({
    fd,
    cloexec: (c.rawType & SOCK_CLOEXEC) !== 0,
    nonblock: (c.rawType & SOCK_NONBLOCK) !== 0,
    domain: c.domain,
    sotype: c.sotype,
    soprotocol: c.soprotocol,
  });
  return { kind: 'pair', ends: [end(c.fd), end(c.fd2)] };
}

/**
 * Decides one socket() call in one environment, with the trace of clauses. Pure: the environment
 * is not changed; use `applyDecision` to get the environment after the call.
 * @example evaluate({ a0: 2n, a1: 1n, a2: 0n }, defaultEnv()).outcome // { kind: 'fd', fd: 3, … }
 */
export function evaluate(call: Call, env: Env): Decision {
  const trace: string[] = [];
  const outcome = decide(call, env, trace);
  return reservedOut === undefined ? { outcome, trace } : { outcome, trace, reserved: reservedOut };
}

/** The outcome alone, without building the trace: the hot path of campaigns and checks. */
export function evaluateOutcome(call: Call, env: Env): Outcome {
  return decide(call, env, null);
}
