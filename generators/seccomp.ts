// fast-check arbitraries for seccomp filter stacks as raw classic-BPF programs: one-instruction
// verdicts of every action class (ERRNO 0, >4095, TRACE, LOG, TRAP, KILL, unknown values), rules
// shaped like libseccomp's output comparing one 64-bit argument, and stacks of up to four.
// Sources: kernel/seccomp.c (actions), model/seccomp/asm.ts (libseccomp program shapes).

import fc from 'fast-check';
import { AF, type SeccompFilter } from '../model';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, archCheck, jeq, ld, OFFSET_NR, ret, retAlways, socketRule, type CmpOp,
} from '../model/seccomp/asm';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
} from '../model/seccomp/actions';
import type { BpfInsn } from '../model/seccomp/bpf';

const errnoData = fc.constantFrom(1, 13, 22, 97, 38, 0, 4095, 4096, 5000, 0xffff);

/** A filter return value: every action class, ERRNO with its edge data, and undefined actions. */
export function actionArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constant(SECCOMP_RET_ALLOW), weight: 4 },
    { arbitrary: errnoData.map((d) => (SECCOMP_RET_ERRNO | d) >>> 0), weight: 4 },
    {
      arbitrary: fc.constantFrom(
        SECCOMP_RET_LOG, SECCOMP_RET_TRACE | 1, SECCOMP_RET_USER_NOTIF, (SECCOMP_RET_TRAP | 7) >>> 0,
        SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS, 0x00010000, 0x7ffe0000,
      ),
      weight: 2,
    },
  );
}

const ops: readonly CmpOp[] = ['EQ', 'NE', 'LT', 'LE', 'GT', 'GE', 'MASKED_EQ'];
const datumArb = fc.oneof(
  fc.constantFrom(AF.UNIX, AF.INET, AF.INET6, AF.NETLINK, AF.PACKET, 38, AF.VSOCK, AF.XDP, 1, 3, 9).map(BigInt),
  fc.constantFrom(0xffffffffn, 0xffffffffffffffffn, 0x100000000n, 0x80000n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

/** One rule the way libseccomp exports it: arch check, nr 41, one comparison on a0..a2. */
export function ruleFilterArb(): fc.Arbitrary<BpfInsn[]> {
  return fc
    .record({
      arg: fc.integer({ min: 0, max: 2 }),
      op: fc.constantFrom(...ops),
      datum: datumArb,
      mask: fc.constantFrom(0xffn, 0xffffffffn, 0xffffffff00000000n, 0xfn),
      action: actionArb(),
      defaultAction: actionArb(),
      badArch: fc.constantFrom(SECCOMP_RET_KILL_THREAD, SECCOMP_RET_ALLOW),
    })
    .filter((r) => r.action !== r.defaultAction)
    .map((r) => socketRule({
      cmp: { arg: r.arg, op: r.op, datum: r.datum, ...(r.op === 'MASKED_EQ' ? { mask: r.mask } : {}) },
      action: r.action,
      defaultAction: r.defaultAction,
      badArchAction: r.badArch,
    }));
}

/** An arch-checking filter that applies `action` to one arch and allows the other. */
function archFilterArb(): fc.Arbitrary<BpfInsn[]> {
  return fc.tuple(fc.constantFrom(AUDIT_ARCH_X86_64, AUDIT_ARCH_I386), actionArb()).map(([arch, action]) => [
    ...archCheck(arch, SECCOMP_RET_ALLOW),
    ...retAlways(action),
  ]);
}

/** One filter: a bare verdict, a libseccomp-shaped rule, or an arch-conditional verdict. */
export function filterArb(): fc.Arbitrary<SeccompFilter> {
  return fc
    .oneof(
      { arbitrary: actionArb().map((a) => retAlways(a)), weight: 3 },
      { arbitrary: ruleFilterArb(), weight: 3 },
      { arbitrary: archFilterArb(), weight: 1 },
    )
    .map((prog) => ({ prog }));
}

/** A stack, oldest first; empty first so shrinking removes filters. */
export function stackArb(maxFilters = 4): fc.Arbitrary<SeccompFilter[]> {
  return fc.array(filterArb(), { minLength: 0, maxLength: maxFilters });
}

/**
 * The filter with a prologue that allows every syscall but socket (x86_64 41, i386 359,
 * socketcall 102), so that a generated stack decides only the call under test and never the
 * executor's own fcntl, getsockopt, close and exit. The verdict for socket() is unchanged.
 * @example harnessSafe({ prog: retAlways(0x00050001) })
 */
export function harnessSafe(f: SeccompFilter): SeccompFilter {
  return {
    ...f,
    prog: [ld(OFFSET_NR), jeq(41, 3, 0), jeq(359, 2, 0), jeq(102, 1, 0), ret(SECCOMP_RET_ALLOW), ...f.prog],
  };
}
