// Error precedence as metamorphic laws: seccomp decides before anything; an unreadable socketcall
// block is EFAULT right after it; stray flag bits beat every family and type error; family range
// beats type range; fd and file errors come last; inputs no clause on the path reads never change
// the decision; the high 32 bits never matter without seccomp.
// Sources: docs/kernel.md §2, §3, §10.1; docs/seccomp.md §5; net/compat.c (compat_sys_socketcall).

import fc from 'fast-check';
import {
  AF, allFamilies, ALL_CAPS, capMask, clauseById, evaluate, lowestFree, SOCK, NPROTO, PROFILES,
  SOCK_CLOEXEC, SOCK_MAX, SOCK_NONBLOCK, SOCK_TYPE_MASK, SOCK_VALID_BITS, SOCKETCALL_ROWS, SOCKETCALL_UNREADABLE_ADDR,
  reg, regBig, regLo, seccompDataFor,
  type Call, type Env, type InputKey,
} from '../model';
import { callArb, envArb, credsArb, fdTableArb, pingRangeArb, stackArb } from '../generators';
import { decidedBy, sameDecision, violated, type PropertyDef } from './law';

const noSeccomp = envArb({ seccomp: false });
const low32 = regLo;

const seccompFirst: PropertyDef = {
  id: 'P-PRECEDENCE-SECCOMP-FIRST',
  title: 'a seccomp verdict other than ALLOW/LOG decides before the kernel reads any argument or environment',
  build: () => fc.property(callArb({ entries: true }), envArb(), noSeccomp, stackArb(4), (call, env, other, stack) => {
    const withStack = { ...env, seccomp: stack };
    const d = evaluate(call, withStack);
    if (d.trace[0] === 'seccomp-allow' || d.trace[0] === 'seccomp-log' || stack.length === 0) return;
    if (d.trace.length !== 1) violated(`seccomp decided but the trace goes on: ${d.trace.join(' → ')}`);
    const d2 = evaluate(call, { ...other, seccomp: stack });
    sameDecision('the same stack must decide the same way whatever the kernel and environment', { call, d }, { call, d: d2 });
  }),
};

const flagsFirst: PropertyDef = {
  id: 'P-PRECEDENCE-FLAGS',
  title: 'a type with bits outside 0xf|SOCK_CLOEXEC|SOCK_NONBLOCK is EINVAL whatever the family, protocol and environment',
  build: () => fc.property(callArb(), noSeccomp, fc.integer({ min: 4, max: 31 }), (call, env, bit) => {
    const stray = (1 << bit) & ~SOCK_VALID_BITS;
    if (stray === 0) return;
    const c: Call = { ...call, a1: reg(regBig(call.a1) | BigInt(stray >>> 0)) };
    decidedBy('stray type bits', c, evaluate(c, env), 'EINVAL', 'G1-flags');
  }),
};

const familyBeforeType: PropertyDef = {
  id: 'P-PRECEDENCE-FAMILY-RANGE',
  title: 'with valid flag bits, a family outside [0, 46) is EAFNOSUPPORT even when the type is out of range',
  build: () => fc.property(
    fc.oneof(fc.integer({ min: NPROTO, max: 0x7fffffff }), fc.integer({ min: -0x80000000, max: -1 })),
    fc.integer({ min: 0, max: 15 }), fc.constantFrom(0, SOCK_CLOEXEC, SOCK_NONBLOCK), callArb(), noSeccomp,
    (family, base, flags, call, env) => {
      const c: Call = { a0: reg(family), a1: reg(base | flags), a2: call.a2 };
      decidedBy('family range before type range', c, evaluate(c, env), 'EAFNOSUPPORT', 'G2-family-range');
    },
  ),
};

const typeRange: PropertyDef = {
  id: 'P-PRECEDENCE-TYPE-RANGE',
  title: 'with a family in range, a base type of 11..15 is EINVAL before registration or any family check',
  build: () => fc.property(fc.integer({ min: 0, max: NPROTO - 1 }), fc.integer({ min: SOCK_MAX, max: SOCK_TYPE_MASK }),
    callArb(), noSeccomp, (family, base, call, env) => {
      const c: Call = { a0: reg(family), a1: reg(base), a2: call.a2 };
      decidedBy('type range before registration', c, evaluate(c, env), 'EINVAL', 'G3-type-range');
    }),
};

/**
 * An environment whose fd and file resources are exhausted: full table and file-max reached, while
 * unix_nr_socks (0 + 1 <= 2 * file-max) stays below AF_UNIX's own limit.
 */
function exhausted(env: Env): Env {
  const creds = { ...env.creds, caps: capMask([]) };
  return { ...env, creds, rlimitNofile: lowestFree(env.fds), fileMax: 1, nrFiles: 1, unixSockets: 0 };
}

/** The clauses that refuse for want of fds or files (EMFILE, ENFILE): docs/kernel.md §3 (G13, G14), §4, §5 (unix_nr_socks). */
const RESOURCE_CLAUSES = new Set(['G13-rlimit', 'G13-nr-open', 'G14-file-max', 'unix-nr-socks']);

const fdLast: PropertyDef = {
  id: 'P-PRECEDENCE-FD-LAST',
  title: 'EMFILE and ENFILE come after every family error: exhausting fds turns a success into EMFILE, leaves a family error as it was, and an fd or file error stays one',
  build: () => fc.property(callArb(), noSeccomp, (call, env) => {
    const roomy: Env = { ...env, rlimitNofile: 1 << 20, fileMax: Number.MAX_SAFE_INTEGER, unixSockets: 0 };
    const a = evaluate(call, roomy);
    const tight = exhausted(roomy);
    const b = evaluate(call, { ...tight, creds: roomy.creds });
    const last = (d: typeof a): string => d.trace[d.trace.length - 1];
    if (a.outcome.kind === 'fd') {
      decidedBy('a success in a full fd table', call, b, 'EMFILE', 'G13-rlimit');
    } else if (RESOURCE_CLAUSES.has(last(a))) {
      // Out of fds already with room in RLIMIT_NOFILE (fs.nr_open below the table's next fd, say):
      // which limit the exhausted environment meets first is not this law's business.
      if (!RESOURCE_CLAUSES.has(last(b))) sameDecision('an fd or file error must stay one when fds run out', { call, d: a }, { call, d: b }, false);
    } else {
      sameDecision('a family error must not change when fds run out', { call, d: a }, { call, d: b });
    }
  }),
};

type Perturb = (call: Call, env: Env) => fc.Arbitrary<{ call: Call; env: Env }>;

const PERTURB: Readonly<Partial<Record<InputKey, Perturb>>> = {
  sockflags: (call, env) => fc.constantFrom(0, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK)
    .map((f) => ({ call: { ...call, a1: reg((regBig(call.a1) & ~BigInt(SOCK_CLOEXEC | SOCK_NONBLOCK)) | BigInt(f)) }, env })),
  protocol: (call, env) => callArb().map((c) => ({ call: { ...call, a2: c.a2 }, env })),
  caps: (call, env) => fc.constantFrom(0, ALL_CAPS, capMask(['CAP_NET_RAW'])).map((caps) => ({ call, env: { ...env, creds: { ...env.creds, caps } } })),
  namespaces: (call, env) => credsArb().map((c) => ({ call, env: { ...env, creds: { ...env.creds, namespaces: c.namespaces } } })),
  gids: (call, env) => credsArb().map((c) => ({ call, env: { ...env, creds: { ...env.creds, gid: c.gid, groups: c.groups, uid: c.uid } } })),
  ping: (call, env) => pingRangeArb().map((r) => ({ call, env: { ...env, pingGroupRange: r } })),
  mptcp: (call, env) => fc.boolean().map((m) => ({ call, env: { ...env, mptcpEnabled: m } })),
  fds: (call, env) => fdTableArb().map((fds) => ({ call, env: { ...env, fds } })),
  rlimit: (call, env) => fc.integer({ min: 0, max: 2048 }).map((r) => ({ call, env: { ...env, rlimitNofile: r } })),
  nrOpen: (call, env) => fc.integer({ min: 64, max: 1 << 20 }).map((n) => ({ call, env: { ...env, nrOpen: n } })),
  fileMax: (call, env) => fc.integer({ min: 0, max: 4096 }).map((n) => ({ call, env: { ...env, fileMax: n } })),
  nrFiles: (call, env) => fc.integer({ min: 0, max: 4096 }).map((n) => ({ call, env: { ...env, nrFiles: n } })),
  unixSockets: (call, env) => fc.integer({ min: 0, max: 4096 }).map((n) => ({ call, env: { ...env, unixSockets: n } })),
  profile: (call, env) => fc.constantFrom(...PROFILES).map((profile) => ({ call, env: { ...env, profile } })),
  block: (call, env) => fc.boolean().map((unreadable) => {
    const { block: _b, ...readable } = call;
    return { call: unreadable ? { ...readable, block: 'unreadable' as const } : readable, env };
  }),
};
const KEYS = Object.keys(PERTURB) as InputKey[];

/** The unread-input law, built with a chained arbitrary so the perturbation depends on the input. */
function unreadProperty(): fc.IProperty<unknown> {
  const arb = fc.tuple(callArb({ entries: true }), noSeccomp, fc.constantFrom(...KEYS)).chain(([call, env, key]) =>
    (PERTURB[key] as Perturb)(call, env).map((p) => ({ call, env, key, p })));
  return fc.property(arb, ({ call, env, key, p }) => {
    const d = evaluate(call, env);
    const readers = d.trace.filter((id) => clauseById(id)?.reads.includes(key));
    if (readers.length > 0) return;
    const d2 = evaluate(p.call, p.env);
    sameDecision(`no clause on the path reads "${key}", yet changing it changed the decision`, { call, d }, { call: p.call, d: d2 });
  });
}

const unread: PropertyDef = {
  id: 'P-PRECEDENCE-UNREAD',
  title: 'an input that no clause on the decision path reads changes neither the result nor the clauses on the path',
  build: unreadProperty,
};

const capPosition: PropertyDef = {
  id: 'P-PRECEDENCE-CAP-POSITION',
  title: "dropping capabilities can only stop the path earlier, at a clause that reads them (INET's EINVAL/EPROTONOSUPPORT stay before EPERM, PACKET's EPERM before ESOCKTNOSUPPORT)",
  build: () => fc.property(callArb(), noSeccomp, (call, env) => {
    const all = evaluate(call, { ...env, creds: { ...env.creds, caps: ALL_CAPS } });
    const none = evaluate(call, { ...env, creds: { ...env.creds, caps: 0 } });
    if (JSON.stringify(all) === JSON.stringify(none)) return;
    const k = none.trace.length - 1;
    const decider = clauseById(none.trace[k]);
    const samePath = all.trace.slice(0, k + 1).join() === none.trace.join() && all.trace.length > k + 1;
    if (!samePath || decider === undefined || !decider.reads.includes('caps') || none.outcome.kind !== 'errno') {
      sameDecision('without capabilities the path must match up to a capability clause that then fails', { call, d: all }, { call, d: none });
    }
  }),
};

const CAP_FIRST = [AF.PACKET, AF.XDP, AF.KEY];
const PROTOCOL_FIRST: ReadonlyArray<[number, number]> = [[AF.UNIX, 2], [AF.VSOCK, 1], [AF.TIPC, 1], [AF.MCTP, 1]];
const TYPE_FIRST: ReadonlyArray<[number, number]> = [[AF.NETLINK, 99], [AF.ALG, 1], [AF.SMC, 7], [AF.KCM, 1], [AF.XDP, 1], [AF.KEY, 1]];

const familyOrder: PropertyDef = {
  id: 'P-PRECEDENCE-FAMILY-ORDER',
  title: "each family's own order: capability first (PACKET, XDP, KEY), INET's protocol checks before EPERM, protocol before type (UNIX, VSOCK, TIPC, MCTP), type before protocol (NETLINK, ALG, SMC, KCM, XDP, KEY)",
  build: () => fc.property(noSeccomp, fc.integer({ min: 0, max: 10 }), fc.constantFrom(0, SOCK_CLOEXEC), fc.integer({ min: 0, max: 3 }), (env0, type, flags, pick) => {
    const env: Env = { ...env0, profile: allFamilies, creds: { ...env0.creds, namespaces: 'init' }, rlimitNofile: 1 << 20, fileMax: Number.MAX_SAFE_INTEGER };
    const noCaps: Env = { ...env, creds: { ...env.creds, caps: 0 } };
    const withCaps: Env = { ...env, creds: { ...env.creds, caps: ALL_CAPS } };
    for (const f of CAP_FIRST) {
      const c: Call = { a0: reg(f), a1: reg(type | flags), a2: reg(pick * 1000) };
      decidedBy(`${f}: the capability is checked before the type and protocol`, c, evaluate(c, noCaps), 'EPERM');
    }
    for (const f of [AF.INET, AF.INET6]) {
      const bad: Call = { a0: reg(f), a1: reg(SOCK.RAW | flags), a2: reg(263 + pick) };
      decidedBy('INET: the protocol range (EINVAL) comes before the raw capability', bad, evaluate(bad, noCaps), 'EINVAL');
      const zero: Call = { a0: reg(f), a1: reg(SOCK.RAW | flags), a2: 0 };
      decidedBy('INET: the lookup (EPROTONOSUPPORT for SOCK_RAW, 0) comes before the raw capability', zero, evaluate(zero, noCaps), 'EPROTONOSUPPORT');
    }
    for (const [f, badType] of PROTOCOL_FIRST) {
      const c: Call = { a0: reg(f), a1: reg(badType | flags), a2: reg(77 + pick) };
      decidedBy(`${f}: the protocol is checked before the type`, c, evaluate(c, withCaps), 'EPROTONOSUPPORT');
    }
    for (const [f, badProto] of TYPE_FIRST) {
      const t = f === AF.SMC || f === AF.KCM || f === AF.ALG ? SOCK.RAW : SOCK.STREAM;
      const c: Call = { a0: reg(f), a1: reg(t | flags), a2: reg(badProto) };
      decidedBy(`${f}: the type is checked before the protocol`, c, evaluate(c, withCaps), 'ESOCKTNOSUPPORT');
    }
  }),
};

const highBits: PropertyDef = {
  id: 'P-HIGH-BITS',
  title: 'without seccomp the high 32 bits of every register never matter (the kernel takes ints): the same result by the same clauses',
  build: () => fc.property(callArb(), noSeccomp, fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.integer({ min: 0, max: 2 }),
    (call, env, hi, which) => {
      const lowCall: Call = { a0: low32(call.a0), a1: low32(call.a1), a2: low32(call.a2) };
      const keys = ['a0', 'a1', 'a2'] as const;
      const highCall: Call = { ...lowCall, [keys[which]]: reg((hi << 32n) | regBig(lowCall[keys[which]])) };
      sameDecision('high bits changed the kernel result', { call: lowCall, d: evaluate(lowCall, env) }, { call: highCall, d: evaluate(highCall, env) });
    }),
};

const entryPaths: PropertyDef = {
  id: 'P-ENTRY-PATHS',
  title: "without seccomp, the x86_64, i386 and socketcall entries reach the same __sys_socket: the same result by the same clauses, after socketcall's own copy of a readable argument block",
  build: () => fc.property(callArb(), noSeccomp, fc.constantFrom('i386', 'i386-socketcall' as const), (call, env, entry) => {
    const c32: Call = { a0: low32(call.a0), a1: low32(call.a1), a2: low32(call.a2) };
    const viaEntry: Call = { ...c32, entry };
    const own = SOCKETCALL_ROWS.filter((r) => r.runs(viaEntry)).map((r) => r.id);
    const direct = evaluate(c32, env);
    sameDecision('the entry path changed the result', { call: c32, d: { ...direct, trace: [...own, ...direct.trace] } }, { call: viaEntry, d: evaluate(viaEntry, env) });
  }),
};

const socketcallBlock: PropertyDef = {
  id: 'P-SOCKETCALL-BLOCK',
  title: 'an unreadable socketcall argument block is EFAULT whatever the arguments and environment, unless a seccomp verdict decided first (seccomp sees args[1] = NULL)',
  build: () => fc.property(callArb(), envArb(), (call, env) => {
    const c: Call = { a0: low32(call.a0), a1: low32(call.a1), a2: low32(call.a2), entry: 'i386-socketcall', block: 'unreadable' };
    const d = evaluate(c, env);
    const data = seccompDataFor(c);
    if (data.args[1] !== SOCKETCALL_UNREADABLE_ADDR) violated(`seccomp sees args[1] = 0x${data.args[1].toString(16)} for an unreadable block, not the NULL the executor passes`);
    const passed = d.trace.length > 0 && (d.trace[0] === 'seccomp-allow' || d.trace[0] === 'seccomp-log');
    if (env.seccomp.length > 0 && !passed) return;
    decidedBy('the copy of an unreadable block faults before __sys_socket', c, d, 'EFAULT', 'socketcall-args');
    if (d.trace.length !== (env.seccomp.length > 0 ? 2 : 1)) violated(`EFAULT must come straight after seccomp: ${d.trace.join(' → ')}`);
  }),
};

export const PRECEDENCE_PROPERTIES: readonly PropertyDef[] = [
  seccompFirst, flagsFirst, familyBeforeType, typeRange, fdLast, unread, capPosition, familyOrder, highBits, entryPaths, socketcallBlock,
];
