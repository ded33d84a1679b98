// Laws that relate socketpair() to socket() in the model: a pair is created by the same checks as
// one socket (so a family without a pair operation fails after exactly those), a pair of a family
// that has one is what two socket() calls in a row would give, and a failed pair opens nothing and
// writes into sv only the numbers it had reserved. Each law records the pair's decision into the
// campaign's coverage: nothing else in a model-only campaign makes socketpair calls.
// Sources: net/socket.c (__sys_socketpair, __sys_socket), fs/file.c (alloc_fd); docs/kernel.md §11.

import fc from 'fast-check';
import {
  applyDecision, evaluate, FAMILY_TABLES, familyTable, formatStrace, growthRefused, regLo, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_VALID_BITS, unreadableBlock,
  type Call, type Decision, type Env, type FdTable, type KernelProfile, type Reg,
} from '../model';
import { AFTER_CREATE } from '../model/generic';
import { PAIR_AFTER_CREATE, PAIR_INSTALL, reserve } from '../model/socketpair';
import { callArb, envArb, typeArb } from '../generators';
import { violated, type PropertyDef } from './law';

const SOCKET_AFTER = new Set([...AFTER_CREATE.map((r) => r.id), 'G15-install']);
const PAIR_AFTER = new Set([...PAIR_AFTER_CREATE.map((r) => r.id), PAIR_INSTALL.id]);

/** The two lowest fds not open, computed apart from the model. */
function twoLowest(t: FdTable): [number, number] {
  const open = new Set(t.entries.map((e) => e.fd));
  const out: number[] = [];
  for (let fd = 0; out.length < 2; fd++) if (!open.has(fd)) out.push(fd);
  return [out[0], out[1]];
}

function show(call: Call, d: Decision): string {
  return `${formatStrace(call, d.outcome)}\n    via ${d.trace.join(' → ')}`;
}

/** Environments where both of socketpair's fds can be reserved and no filter decides. */
const roomyEnv = envArb({ seccomp: false }).filter((e) => {
  const [a, b] = twoLowest(e.fds);
  const g = e.profile.fdtableGrowth;
  return b < e.rlimitNofile && !growthRefused(e.fds, a, e.nrOpen, g) && !growthRefused(reserve(e.fds, a, e.nrOpen, g), b, e.nrOpen, g);
});

/** A socket() call whose flags pass (both calls reach __sock_create) and whose block is readable. */
const createCall = callArb({ entries: true }).filter((c) => !unreadableBlock(c) && (regLo(c.a1) & ~SOCK_VALID_BITS) === 0);

const pairOf = (c: Call): Call => ({ ...c, syscall: 'socketpair' });

/** Families with a pair operation (AF_UNIX, AF_TIPC). */
const PAIR_FAMILIES: readonly number[] = FAMILY_TABLES.filter((t) => t.socketpair !== undefined).map((t) => t.family);

/**
 * socket() calls of the families that have a pair operation and the profile registers (all of
 * them when it registers none), mostly valid ones: a call of a family the kernel lacks could only
 * be discarded.
 */
const pairFamilyCall = (profile: KernelProfile): fc.Arbitrary<Call> => fc.record({
  a0: fc.constantFrom(...(PAIR_FAMILIES.some((f) => profile.families.includes(f)) ? PAIR_FAMILIES.filter((f) => profile.families.includes(f)) : PAIR_FAMILIES)),
  a1: fc.oneof({ arbitrary: fc.constantFrom<Reg>(1, 2, 3, 5), weight: 3 }, { arbitrary: typeArb(), weight: 1 }),
  a2: fc.constantFrom(0, 0, 1, 2),
  entry: fc.constantFrom('x86_64' as const, 'i386' as const, 'i386-socketcall' as const),
}).map(({ entry, ...c }): Call => (entry === 'x86_64' ? c : { ...c, entry }));

const sameChecks: PropertyDef = {
  id: 'P-PAIR-SAME-CHECKS',
  title: 'socketpair() fails with the errno and clause of socket()\'s __sock_create/->create checks; past them, a family without a pair operation gives EOPNOTSUPP',
  build: (ctx) => fc.property(roomyEnv.map((e) => ({ ...e, profile: ctx.profile })), createCall, (env, call) => {
    const s = evaluate(call, env);
    const pair = pairOf(call);
    const p = evaluate(pair, env);
    ctx.coverage.record(env, p.trace);
    const sLast = s.trace[s.trace.length - 1];
    const pLast = p.trace[p.trace.length - 1];
    const why = (): string => `\n  socket:     ${show(call, s)}\n  socketpair: ${show(pair, p)}`;
    const twoFds = twoLowest(env.fds);
    if (!SOCKET_AFTER.has(sLast)) {
      // socket() failed in __sock_create or the family's ->create (no filter, flags that pass, a
      // readable block): the pair's first end fails the same way.
      if (p.outcome.kind !== 'errno' || s.outcome.kind !== 'errno' || p.outcome.errno !== s.outcome.errno || pLast !== sLast) violated(`socketpair() must fail as socket() does${why()}`);
      if (JSON.stringify(p.outcome.sv) !== JSON.stringify(twoFds)) violated(`a failure after both fds were written must leave them in sv (${twoFds.join(', ')})${why()}`);
      return;
    }
    if (!PAIR_AFTER.has(pLast)) violated(`socket() got past ->create, so socketpair() must too${why()}`);
    const t = s.outcome.kind === 'fd' ? familyTable(s.outcome.domain) : undefined;
    if (t !== undefined && t.socketpair === undefined && (p.outcome.kind !== 'errno' || p.outcome.errno !== 'EOPNOTSUPP')) {
      violated(`${t.name} has no pair operation: EOPNOTSUPP${why()}`);
    }
  }),
};

const twoSockets: PropertyDef = {
  id: 'P-PAIR-TWO-SOCKETS',
  title: 'for a family with a pair operation, socketpair() succeeds exactly when socket() twice in a row would, with the same two fds, flags and SO_* values',
  build: (ctx) => fc.property(envArb({ seccomp: false }).map((e) => ({ ...e, profile: ctx.profile })), pairFamilyCall(ctx.profile), (env, call) => {
    const first = evaluate(call, env);
    const pair = pairOf(call);
    const p = evaluate(pair, env);
    ctx.coverage.record(env, p.trace);
    fc.pre(first.outcome.kind === 'fd' && familyTable(first.outcome.domain)?.socketpair !== undefined);
    const second = evaluate(call, applyDecision(env, first));
    const why = (): string => `\n  socket:     ${show(call, first)}\n  socket:     ${show(call, second)}\n  socketpair: ${show(pair, p)}`;
    const o1 = first.outcome;
    const o2 = second.outcome;
    if ((o2.kind === 'fd') !== (p.outcome.kind === 'pair')) violated(`socketpair() must succeed exactly when the second socket() does${why()}`);
    if (o1.kind !== 'fd' || o2.kind !== 'fd' || p.outcome.kind !== 'pair') return;
    const [a, b] = p.outcome.ends;
    const want = [o1, o2].map(({ fd, cloexec, nonblock, domain, sotype, soprotocol }) => ({ fd, cloexec, nonblock, domain, sotype, soprotocol }));
    if (JSON.stringify([a, b]) !== JSON.stringify(want)) violated(`the pair's ends must be the two sockets'${why()}`);
    const [lo, hi] = twoLowest(env.fds);
    const type = regLo(call.a1);
    if (a.fd !== lo || b.fd !== hi) violated(`the pair must be the two lowest free fds [${lo}, ${hi}]${why()}`);
    if (a.cloexec !== ((type & SOCK_CLOEXEC) !== 0) || a.nonblock !== ((type & SOCK_NONBLOCK) !== 0)) violated(`the flags must be the type's${why()}`);
  }),
};

const failureOpensNothing: PropertyDef = {
  id: 'P-PAIR-FAILURE',
  title: 'a failed socketpair() opens no fd and counts no file or socket; sv holds at most the two fds it had reserved, in order',
  build: (ctx) => fc.property(envArb().map((e) => ({ ...e, profile: ctx.profile })), callArb({ entries: true }), fc.constantFrom(undefined, 'unwritable' as const, 'one-word' as const), (env, call, sv) => {
    const pair: Call = { ...call, syscall: 'socketpair', ...(sv === undefined ? {} : { sv }) };
    const d = evaluate(pair, env);
    ctx.coverage.record(env, d.trace);
    const o = d.outcome;
    fc.pre(o.kind !== 'pair');
    const after = applyDecision(env, d);
    const why = (): string => `\n  ${show(pair, d)}`;
    const same = (x: Env, y: Env): boolean => JSON.stringify(x.fds.entries) === JSON.stringify(y.fds.entries) && x.nrFiles === y.nrFiles && x.unixSockets === y.unixSockets;
    if (!same(env, after)) violated(`a failed socketpair() changed the open fds or the counts${why()}`);
    if ((after.fds.maxFds ?? 0) < (env.fds.maxFds ?? 0)) violated(`the fd table shrank${why()}`);
    if (o.kind !== 'errno') return;
    const written = o.sv ?? [];
    const reserved = twoLowest(env.fds);
    if (written.some((fd, i) => fd !== reserved[i])) violated(`sv may hold only the reserved fds ${reserved.join(', ')} in order${why()}`);
    if (sv === 'unwritable' && written.length > 0) violated(`nothing can be written through a NULL sv${why()}`);
    if (sv === 'one-word' && written.length > 1) violated(`only sv[0] is writable${why()}`);
  }),
};

export const PAIR_PROPERTIES: readonly PropertyDef[] = [sameChecks, twoSockets, failureOpensNothing];
