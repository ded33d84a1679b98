// Laws about the model itself and the seccomp layer as the kernel combines it: determinism,
// ALLOW filters that change nothing, the newest filter winning a tie, and ERRNO(0) creating nothing.
// Sources: kernel/seccomp.c (seccomp_run_filters, __seccomp_filter); docs/seccomp.md §5.

import fc from 'fast-check';
import { evaluate, resultString, seccompDataFor, type Env } from '../model';
import { allowAll, retAlways } from '../model/seccomp/asm';
import { actionOnly, runStack, SECCOMP_RET_ERRNO } from '../model/seccomp/actions';
import { callArb, envArb } from '../generators';
import { sameDecision, violated, type PropertyDef } from './law';

const determinism: PropertyDef = {
  id: 'P-DETERMINISM',
  title: 'the model is a function: the same call in an equal environment gives the same decision',
  build: () => fc.property(callArb({ entries: true }), envArb(), (call, env) => {
    // A deep copy of the parts the equal environment gets new objects for (none holds a bigint).
    const copy: Pick<Env, 'fds' | 'creds' | 'pingGroupRange'> = JSON.parse(JSON.stringify({ fds: env.fds, creds: env.creds, pingGroupRange: env.pingGroupRange }));
    const a = evaluate(call, env);
    const b = evaluate(call, { ...env, fds: copy.fds, creds: copy.creds, pingGroupRange: copy.pingGroupRange });
    sameDecision('two evaluations disagree', { call, d: a }, { call, d: b });
  }),
};

const allowNeutral: PropertyDef = {
  id: 'P-SECCOMP-ALLOW-NEUTRAL',
  title: 'installing one more ALLOW-everything filter anywhere in the stack never changes the decision',
  build: () => fc.property(callArb({ entries: true }), envArb(), fc.nat(), (call, env, at) => {
    const i = at % (env.seccomp.length + 1);
    const stack = [...env.seccomp.slice(0, i), { prog: allowAll() }, ...env.seccomp.slice(i)];
    const a = evaluate(call, env);
    const b = evaluate(call, { ...env, seccomp: stack });
    sameDecision('an ALLOW filter changed the result', { call, d: a }, { call, d: b }, false);
  }),
};

const newestErrno: PropertyDef = {
  id: 'P-SECCOMP-NEWEST-ERRNO',
  title: 'a newest ERRNO(n) filter returns n unless an older filter returns an action of lower signed value (KILL_*, TRAP)',
  build: () => fc.property(callArb({ entries: true }), envArb(), fc.integer({ min: 1, max: 4095 }), (call, env, n) => {
    const before = evaluate(call, env);
    const after = evaluate(call, { ...env, seccomp: [...env.seccomp, { prog: retAlways((SECCOMP_RET_ERRNO | n) >>> 0) }] });
    // Precedence is the signed action value, not what the action does: an undefined action such
    // as 0x7ffe0000 kills when it decides alone, yet ranks below ERRNO and loses to it.
    const older = env.seccomp.length === 0 ? null : runStack(env.seccomp.map((f) => f.prog), seccompDataFor(call)).ret;
    if (older !== null && actionOnly(older) < actionOnly(SECCOMP_RET_ERRNO)) {
      sameDecision('a stronger older action must keep deciding', { call, d: before }, { call, d: after });
      return;
    }
    if (after.outcome.kind !== 'errno' || after.trace.join() !== 'seccomp-errno') {
      violated(`expected the newest ERRNO(${n}) to decide, got ${resultString(after.outcome)} via ${after.trace.join(' → ')}`);
    }
  }),
};

const errnoZero: PropertyDef = {
  id: 'P-SECCOMP-ERRNO-ZERO',
  title: 'ERRNO(0) returns 0 and creates nothing, whatever the call',
  build: () => fc.property(callArb({ entries: true }), envArb({ seccomp: false }), (call, env) => {
    const d = evaluate(call, { ...env, seccomp: [{ prog: retAlways(SECCOMP_RET_ERRNO) }] });
    if (d.outcome.kind !== 'ret' || d.outcome.value !== 0) violated(`ERRNO(0) gave ${resultString(d.outcome)}`);
  }),
};

export const MODEL_PROPERTIES: readonly PropertyDef[] = [determinism, allowNeutral, newestErrno, errnoZero];
