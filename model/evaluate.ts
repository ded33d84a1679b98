// evaluate(call, env): what Linux socket() returns, and why. seccomp first (it sees the raw 64-bit
// registers), then the kernel's generic rows on the low 32 bits, the family's ->create table, and
// fd/file allocation last. The trace lists every clause looked at, ending with the one that decided.
// Sources: net/socket.c (__sys_socket), kernel/seccomp.c; kernel-semantics.md §3 and §10.

import { runRows, type CreateCtx } from './clause';
import { errnoName, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_MASK } from './constants';
import { familyTable } from './families';
import { AFTER_CREATE, BEFORE_CREATE, INSTALL } from './generic';
import { lowestFree } from './fdtable';
import { seccompDataFor } from './syscall';
import { decideAction, runStack } from './seccomp/actions';
import type { Call, Decision, Env, Outcome } from './types';

/** The kernel's view of a register: `SYSCALL_DEFINE3(socket, int, …)` keeps the low 32 bits, signed. */
export function int32(reg: bigint): number {
  return Number(BigInt.asIntN(32, reg));
}

function errno(name: string, trace: string[]): Decision {
  return { outcome: { kind: 'errno', errno: name }, trace };
}

/**
 * Decides one socket() call in one environment. Pure: the environment is not changed; use
 * `applyDecision` to get the environment after the call.
 * @example evaluate({ a0: 2n, a1: 1n, a2: 0n }, defaultEnv()).outcome // { kind: 'fd', fd: 3, … }
 */
export function evaluate(call: Call, env: Env): Decision {
  const trace: string[] = [];
  if (env.seccomp.length > 0) {
    const { ret } = runStack(env.seccomp.map((f) => f.prog), seccompDataFor(call));
    const act = decideAction(ret);
    switch (act.kind) {
      case 'allow':
        trace.push('seccomp-allow');
        break;
      case 'log':
        trace.push('seccomp-log');
        break;
      case 'errno':
        trace.push('seccomp-errno');
        return errno(errnoName(act.errno), trace);
      case 'ret':
        trace.push('seccomp-errno-zero');
        return { outcome: { kind: 'ret', value: act.value }, trace };
      case 'enosys':
        trace.push('seccomp-no-listener');
        return errno('ENOSYS', trace);
      case 'kill':
        trace.push('seccomp-kill');
        return { outcome: { kind: 'killed', signal: 'SIGSYS' }, trace };
    }
  }

  const family = int32(call.a0);
  const rawType = int32(call.a1);
  const type = rawType & SOCK_TYPE_MASK;
  const c: CreateCtx = {
    env,
    rawType,
    family,
    type,
    protocol: int32(call.a2),
    domain: family,
    sotype: type,
    soprotocol: 0,
    fd: -1,
  };

  let err = runRows(BEFORE_CREATE, c, trace);
  if (err !== null) return errno(err, trace);
  const table = familyTable(c.family);
  if (table === undefined) throw new Error(`profile ${env.profile.name} registers family ${c.family}, which the model has no table for`);
  err = runRows(table.rows, c, trace);
  if (err !== null) return errno(err, trace);
  c.fd = lowestFree(env.fds);
  err = runRows(AFTER_CREATE, c, trace);
  if (err !== null) return errno(err, trace);

  trace.push(INSTALL.id);
  const outcome: Outcome = {
    kind: 'fd',
    fd: c.fd,
    cloexec: (rawType & SOCK_CLOEXEC) !== 0,
    nonblock: (rawType & SOCK_NONBLOCK) !== 0,
    domain: c.domain,
    sotype: c.sotype,
    soprotocol: c.soprotocol,
  };
  return { outcome, trace };
}
