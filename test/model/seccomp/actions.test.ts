import fc from 'fast-check';
import type { BpfInsn, SeccompData } from '../../../model/seccomp/bpf';
import {
  MAX_ERRNO, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF, actionName, actionOnly, combineReturns, decideAction, runStack,
  type SeccompAction,
} from '../../../model/seccomp/actions';
import { AUDIT_ARCH_X86_64, NR_SOCKET_X86_64, retAlways, socketRule } from '../../../model/seccomp/asm';
import * as api from '../../../model/seccomp';

const SEED = 0x50cce7;
const SEED_NAME = `seed 0x${SEED.toString(16)}`;
const ERRNO = (n: number): number => (SECCOMP_RET_ERRNO | n) >>> 0;
const TRAP = (n: number): number => (SECCOMP_RET_TRAP | n) >>> 0;

function socket(a0: bigint): SeccompData {
  return { nr: NR_SOCKET_X86_64, arch: AUDIT_ARCH_X86_64, instructionPointer: 0n, args: [a0, 1n, 0n] };
}
const AF_UNIX = socket(1n);

/** The effect of a stack of constant filters, oldest first. */
function stack(...rets: number[]): { action: SeccompAction; filterIndex: number; ret: number } {
  const r = runStack(rets.map(retAlways), AF_UNIX);
  return { action: decideAction(r.ret), filterIndex: r.filterIndex, ret: r.ret };
}

const SIGSYS = (action: 'KILL_PROCESS' | 'KILL_THREAD' | 'TRAP' | 'UNKNOWN', data = 0): SeccompAction =>
  ({ kind: 'kill', signal: 'SIGSYS', action, data });

describe('stacking: docs/kernel.md §7 and docs/seccomp.md §5, row by row', () => {
  it.each<[string, number[], SeccompAction, number]>([
    ['ERRNO|1 then ERRNO|2: the newer filter wins the tie', [ERRNO(1), ERRNO(2)], { kind: 'errno', errno: 2 }, 1],
    ['ERRNO|2 then ERRNO|1: still the newer, not the smaller', [ERRNO(2), ERRNO(1)], { kind: 'errno', errno: 1 }, 1],
    ['ERRNO(EPERM) then ERRNO(EACCES)', [ERRNO(1), ERRNO(13)], { kind: 'errno', errno: 13 }, 1],
    ['ERRNO|13 + ALLOW', [ERRNO(13), SECCOMP_RET_ALLOW], { kind: 'errno', errno: 13 }, 0],
    ['ALLOW + ERRNO(EPERM)', [SECCOMP_RET_ALLOW, ERRNO(1)], { kind: 'errno', errno: 1 }, 1],
    ['TRACE alone, no tracer: ENOSYS', [SECCOMP_RET_TRACE], { kind: 'enosys' }, 0],
    ['TRACE + ERRNO|13', [SECCOMP_RET_TRACE | 1, ERRNO(13)], { kind: 'errno', errno: 13 }, 1],
    ['ERRNO|13 + TRACE', [ERRNO(13), SECCOMP_RET_TRACE | 1], { kind: 'errno', errno: 13 }, 0],
    ['LOG: the syscall runs', [SECCOMP_RET_LOG], { kind: 'log' }, 0],
    ['LOG + ERRNO|13', [SECCOMP_RET_LOG, ERRNO(13)], { kind: 'errno', errno: 13 }, 1],
    ['ERRNO(EPERM) + LOG', [ERRNO(1), SECCOMP_RET_LOG], { kind: 'errno', errno: 1 }, 0],
    ['USER_NOTIF + ERRNO|13', [SECCOMP_RET_USER_NOTIF, ERRNO(13)], { kind: 'errno', errno: 13 }, 1],
    ['USER_NOTIF, no listener: ENOSYS', [SECCOMP_RET_USER_NOTIF], { kind: 'enosys' }, 0],
    ['ERRNO|0: returns 0, the syscall is skipped', [ERRNO(0)], { kind: 'ret', value: 0 }, 0],
    ['ERRNO|5000: clamped to MAX_ERRNO', [ERRNO(5000)], { kind: 'errno', errno: 4095 }, 0],
    ['ERRNO|0xffff: clamped to MAX_ERRNO', [ERRNO(0xffff)], { kind: 'errno', errno: 4095 }, 0],
    ['ERRNO|13 + TRAP|7: SIGSYS with si_errno 7', [ERRNO(13), TRAP(7)], SIGSYS('TRAP', 7), 1],
    ['TRAP|7 + ERRNO(EPERM): SIGSYS either way', [TRAP(7), ERRNO(1)], SIGSYS('TRAP', 7), 0],
    ['TRAP|7 then TRAP|9: the newer data', [TRAP(7), TRAP(9)], SIGSYS('TRAP', 9), 1],
    ['TRAP alone, no SIGSYS handler: killed', [SECCOMP_RET_TRAP], SIGSYS('TRAP'), 0],
    ['ERRNO + KILL_PROCESS', [ERRNO(1), SECCOMP_RET_KILL_PROCESS], SIGSYS('KILL_PROCESS'), 1],
    ['KILL_PROCESS older + KILL_THREAD newer: KILL_PROCESS', [SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD],
      SIGSYS('KILL_PROCESS'), 0],
    ['KILL_THREAD + KILL_PROCESS', [SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS], SIGSYS('KILL_PROCESS'), 1],
    ['ERRNO + KILL_THREAD', [ERRNO(1), SECCOMP_RET_KILL_THREAD], SIGSYS('KILL_THREAD'), 1],
    ['unknown 0x00010000: acts as KILL_PROCESS', [0x00010000], SIGSYS('UNKNOWN'), 0],
    ['unknown 0x7ffe0000 beats ALLOW', [SECCOMP_RET_ALLOW, 0x7ffe0000], SIGSYS('UNKNOWN'), 1],
    ['unknown 0x00010000 sorts after KILL_THREAD', [0x00010000, SECCOMP_RET_KILL_THREAD], SIGSYS('KILL_THREAD'), 1],
    ['unknown 0x00010000 sorts before TRAP', [0x00010000, TRAP(1)], SIGSYS('UNKNOWN'), 0],
  ])('%s', (_name, rets, action, filterIndex) => {
    const r = stack(...rets);
    expect(r.action).toEqual(action);
    expect(r.filterIndex).toBe(filterIndex);
    expect(r.ret).toBe(rets[filterIndex]! >>> 0);
  });

  it('an empty stack allows, with no filter to blame', () => {
    expect(runStack([], AF_UNIX)).toEqual({ ret: SECCOMP_RET_ALLOW, filterIndex: -1 });
  });

  it('a stack of ALLOWs keeps the kernel initial ALLOW: no filter matched and ALLOW data is dropped', () => {
    expect(stack(SECCOMP_RET_ALLOW | 5, SECCOMP_RET_ALLOW | 9)).toEqual({
      action: { kind: 'allow' }, filterIndex: -1, ret: SECCOMP_RET_ALLOW,
    });
  });

  it('a container under Docker (EPERM for AF_VSOCK) running a systemd RestrictAddressFamilies= service gets EAFNOSUPPORT', () => {
    const docker = socketRule({ cmp: { arg: 0, op: 'NE', datum: 40n }, action: SECCOMP_RET_ALLOW, defaultAction: ERRNO(1) });
    const systemd = socketRule({ cmp: { arg: 0, op: 'EQ', datum: 40n }, action: ERRNO(97), defaultAction: SECCOMP_RET_ALLOW,
      badArchAction: SECCOMP_RET_ALLOW });
    expect(runStack([docker, systemd], socket(40n))).toEqual({ ret: ERRNO(97), filterIndex: 1 });
    expect(runStack([docker, systemd], socket(2n))).toEqual({ ret: SECCOMP_RET_ALLOW, filterIndex: -1 });
    expect(runStack([docker, systemd], socket(0x1_00000028n))).toEqual({ ret: SECCOMP_RET_ALLOW, filterIndex: -1 });
    expect(runStack([docker, systemd], { ...socket(40n), nr: 0 })).toEqual({ ret: ERRNO(1), filterIndex: 0 });
  });
});

describe('decideAction', () => {
  it.each<[string, number, SeccompAction]>([
    ['ALLOW', SECCOMP_RET_ALLOW, { kind: 'allow' }],
    ['ALLOW ignores its data', SECCOMP_RET_ALLOW | 0x1234, { kind: 'allow' }],
    ['LOG', SECCOMP_RET_LOG, { kind: 'log' }],
    ['ERRNO(13)', ERRNO(13), { kind: 'errno', errno: 13 }],
    ['ERRNO(4095) is the largest', ERRNO(4095), { kind: 'errno', errno: 4095 }],
    ['ERRNO(4096) clamps', ERRNO(4096), { kind: 'errno', errno: MAX_ERRNO }],
    ['ERRNO(0)', SECCOMP_RET_ERRNO, { kind: 'ret', value: 0 }],
    ['TRACE', SECCOMP_RET_TRACE | 3, { kind: 'enosys' }],
    ['USER_NOTIF', SECCOMP_RET_USER_NOTIF, { kind: 'enosys' }],
    ['TRAP', TRAP(2), SIGSYS('TRAP', 2)],
    ['KILL_THREAD', SECCOMP_RET_KILL_THREAD, SIGSYS('KILL_THREAD')],
    ['KILL_PROCESS', SECCOMP_RET_KILL_PROCESS, SIGSYS('KILL_PROCESS')],
    ['KILL_PROCESS with data', (SECCOMP_RET_KILL_PROCESS | 3) >>> 0, SIGSYS('KILL_PROCESS', 3)],
    ['an action bit pattern with the sign bit set', 0x80010000, SIGSYS('UNKNOWN')],
    ['0x00040000, between TRAP and ERRNO', 0x00040000, SIGSYS('UNKNOWN')],
  ])('%s', (_name, ret, want) => {
    expect(decideAction(ret)).toEqual(want);
  });

  it('hands TRACE, USER_NOTIF and TRAP over when someone is there to take them', () => {
    expect(decideAction(SECCOMP_RET_TRACE | 7, { tracer: true })).toEqual({ kind: 'trace', data: 7 });
    expect(decideAction(SECCOMP_RET_USER_NOTIF, { listener: true })).toEqual({ kind: 'notify' });
    expect(decideAction(TRAP(9), { sigsysHandler: true })).toEqual({ kind: 'trap', data: 9 });
    expect(decideAction(SECCOMP_RET_TRACE, { listener: true })).toEqual({ kind: 'enosys' });
  });
});

describe('actionName', () => {
  it.each<[number, string]>([
    [ERRNO(13), 'ERRNO(13)'],
    [ERRNO(0), 'ERRNO(0)'],
    [ERRNO(5000), 'ERRNO(5000, clamped to 4095)'],
    [SECCOMP_RET_ALLOW, 'ALLOW'],
    [SECCOMP_RET_LOG, 'LOG'],
    [SECCOMP_RET_KILL_PROCESS, 'KILL_PROCESS'],
    [SECCOMP_RET_KILL_THREAD, 'KILL_THREAD'],
    [TRAP(7), 'TRAP(7)'],
    [SECCOMP_RET_TRACE | 1, 'TRACE(1)'],
    [SECCOMP_RET_USER_NOTIF, 'USER_NOTIF'],
    [0x00010000, '0x00010000 (unknown, acts as KILL_PROCESS)'],
    [0x7ffe0005, '0x7ffe0005 (unknown, acts as KILL_PROCESS)'],
  ])('%s', (ret, name) => {
    expect(actionName(ret)).toBe(name);
  });
});

describe('constants and ordering', () => {
  it('has the uapi values', () => {
    expect([SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
      SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, SECCOMP_RET_ACTION_FULL,
      SECCOMP_RET_DATA, MAX_ERRNO]).toEqual([0x80000000, 0, 0x30000, 0x50000, 0x7fc00000, 0x7ff00000, 0x7ffc0000,
      0x7fff0000, 0xffff0000, 0xffff, 4095]);
  });

  it('orders actions by signed ACTION_ONLY, strongest first', () => {
    const order = [SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
      SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW];
    const keys = order.map(actionOnly);
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('re-exports the public API from the index', () => {
    expect(api.runStack).toBe(runStack);
    expect(typeof api.runBpf).toBe('function');
    expect(typeof api.socketRule).toBe('function');
  });
});

const anyRet = fc.oneof(
  fc.tuple(
    fc.constantFrom(SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
      SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, 0x00010000, 0x7ffe0000),
    fc.integer({ min: 0, max: 0xffff }),
  ).map(([a, d]) => (a | d) >>> 0),
  fc.integer({ min: 0, max: 0xffffffff }),
);

/** The expected verdict, computed without the kernel loop: strongest class, newest among equals. */
function expected(rets: readonly number[]): { cls: number; index: number } {
  const allow = actionOnly(SECCOMP_RET_ALLOW);
  const cls = Math.min(allow, ...rets.map(actionOnly));
  return { cls, index: cls === allow ? -1 : rets.map(actionOnly).lastIndexOf(cls) };
}

describe('properties', () => {
  it(`stacking picks the strongest action class, whatever the order, and the newest of equals (${SEED_NAME})`, () => {
    fc.assert(
      fc.property(
        fc.array(anyRet, { maxLength: 8 }),
        fc.array(fc.integer(), { minLength: 8, maxLength: 8 }),
        (rets, keys) => {
          const permuted = rets.map((r, i) => ({ r, k: keys[i]! })).sort((a, b) => a.k - b.k).map((p) => p.r);
          const a = runStack(rets.map(retAlways), AF_UNIX);
          const b = runStack(permuted.map(retAlways), AF_UNIX);
          expect(actionOnly(a.ret)).toBe(actionOnly(b.ret));
          const want = expected(rets);
          expect(actionOnly(a.ret)).toBe(want.cls);
          expect(a.filterIndex).toBe(want.index);
          expect(a.ret).toBe(want.index === -1 ? SECCOMP_RET_ALLOW : rets[want.index]);
          expect(combineReturns(rets)).toEqual(a);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it(`one more ALLOW filter anywhere in the stack changes nothing (${SEED_NAME})`, () => {
    const filter: fc.Arbitrary<readonly BpfInsn[]> = fc.oneof(
      anyRet.map(retAlways),
      fc.tuple(fc.constantFrom(38n, 39n, 40n), anyRet, anyRet).filter(([, a, d]) => a !== d)
        .map(([datum, action, dflt]) => socketRule({ cmp: { arg: 0, op: 'EQ', datum }, action, defaultAction: dflt })),
    );
    fc.assert(
      fc.property(
        fc.array(filter, { maxLength: 6 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(0n, 2n, 38n, 40n, 0x1_00000028n, 0xffffffff_ffffffffn),
        (filters, at, data, a0) => {
          const pos = at % (filters.length + 1);
          const more = [...filters.slice(0, pos), retAlways(SECCOMP_RET_ALLOW | data), ...filters.slice(pos)];
          const before = runStack(filters, socket(a0));
          const after = runStack(more, socket(a0));
          expect(after.ret).toBe(before.ret);
          const shifted = before.filterIndex >= pos ? before.filterIndex + 1 : before.filterIndex;
          expect(after.filterIndex).toBe(shifted);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
