// The real-kernel executor and its host runner, against the kernel this suite runs on: environment
// setup (fd layout, RLIMIT_NOFILE, credentials, namespaces, per-netns sysctls), the three entry
// paths, seccomp stacks and verdicts, libseccomp COMPILE, and the protocol's error handling.
// Sources: docs/kernel.md §2-§6, docs/seccomp.md §5 and §7; oracle/host/, oracle/codec/, oracle/executor/.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { fdTable } from '../../model/fdtable';
import { capMask } from '../../model/creds';
import { defaultEnv } from '../../model/state';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
} from '../../model/seccomp/actions';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, jeq, ld, ret, retAlways } from '../../model/seccomp/asm';
import type { BpfInsn } from '../../model/seccomp/bpf';
import type { Call, Env, Outcome } from '../../model/types';
import { decodeRecord, encodeRecord } from '../../oracle/codec';
import { HostOracle, executorPath, ia32Unavailable, runRequest, type KernelResult, type KernelRun } from '../../oracle/host';
import { ERROR_RECORD, FRAME_HEADER, HELLO_REPLY, KIND, PROTOCOL_MAGIC, PROTOCOL_VERSION } from '../../oracle/protocol';

const AF_UNIX = 1n, AF_INET = 2n, AF_INET6 = 10n, AF_PACKET = 17n;
const SOCK_STREAM = 1n, SOCK_DGRAM = 2n, SOCK_RAW = 3n, SOCK_NONBLOCK = 0x800n, SOCK_CLOEXEC = 0x80000n;
const ERRNO = (e: number): number => (SECCOMP_RET_ERRNO | e) >>> 0;
const NR_FCNTL = 72, NR_CLOSE = 3, NR_SOCKET = 41;

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root (the executor needs root for namespaces and credentials)';
  if (!fs.existsSync(executorPath())) return `the executor binary ${executorPath()} is missing (run scripts/build-executor.sh)`;
  return null;
}
const reason = skipReason();
if (reason !== null) process.stderr.write(`executor.test.ts skipped: ${reason}\n`);
const suite = reason === null ? describe : describe.skip;

const call = (a0: bigint, a1: bigint, a2: bigint, entry?: Call['entry']): Call => (entry ? { a0, a1, a2, entry } : { a0, a1, a2 });
const filtersEnv = (...progs: BpfInsn[][]): Env => defaultEnv({ seccomp: progs.map((prog) => ({ prog })) });

/** `action` for x86_64 socket(), ALLOW for every other syscall (so the stack can still be built). */
function onSocket(action: number): BpfInsn[] {
  return [ld(4), jeq(AUDIT_ARCH_X86_64, 0, 3), ld(0), jeq(NR_SOCKET, 0, 1), ret(action), ret(SECCOMP_RET_ALLOW)];
}

function outcome(r: KernelResult): Outcome | undefined {
  return r.status === 'returned' || r.status === 'killed' ? r.outcome : undefined;
}

function outcomes(run: KernelRun): (Outcome | undefined)[] {
  return run.results.map(outcome);
}

const fd = (n: number, domain: number, sotype: number, soprotocol: number, cloexec = false, nonblock = false): Outcome =>
  ({ kind: 'fd', fd: n, cloexec, nonblock, domain, sotype, soprotocol });
const errno = (name: string): Outcome => ({ kind: 'errno', errno: name });

suite(`executor on the host kernel${reason === null ? '' : ` (skipped: ${reason})`}`, () => {
  let oracle: HostOracle;

  beforeAll(async () => {
    oracle = await HostOracle.start();
  });
  afterAll(async () => {
    await oracle?.close();
  });

  const one = async (env: Env, c: Call): Promise<KernelResult> => {
    const run = await oracle.run(env, [c]);
    expect(run.setupFailure).toBeUndefined();
    return run.results[0];
  };

  describe('HELLO', () => {
    it('reports protocol 1, root, and libseccomp 2.x loaded with dlopen', () => {
      expect(oracle.info.version).toBe(PROTOCOL_VERSION);
      expect(oracle.info.uid).toBe(0);
      expect(oracle.info.libseccomp).toBe(true);
      expect(oracle.info.seccompVersion).toMatch(/^2\.\d+\.\d+$/);
    });
  });

  describe('the default environment', () => {
    it('socket(AF_INET, SOCK_STREAM, 0) is fd 3 with domain 2, type 1, protocol 6, no flags', async () => {
      const r = await one(defaultEnv(), call(AF_INET, SOCK_STREAM, 0n));
      expect(r).toMatchObject({ status: 'returned', ret: 3n, getfd: 0, getfl: 2, closeRet: 0, partial: false });
      expect(outcome(r)).toEqual(fd(3, 2, 1, 6));
    });

    it('reads CLOEXEC and NONBLOCK back exactly as asked (getfd 1, getfl 0x802)', async () => {
      const run = await oracle.run(defaultEnv(), [
        call(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0n),
        call(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0n),
        call(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0n),
      ]);
      expect(run.results[0]).toMatchObject({ getfd: 1, getfl: 0x802 });
      expect(outcomes(run)).toEqual([fd(3, 2, 1, 6, true, true), fd(3, 2, 1, 6, true, false), fd(3, 2, 2, 17, false, true)]);
    });

    it('treats only the low 32 bits of a register as the family (a0 = 0x1_00000001 is AF_UNIX)', async () => {
      expect(outcome(await one(defaultEnv(), call(0x1_00000001n, SOCK_STREAM, 0n)))).toEqual(fd(3, 1, 1, 0));
    });
  });

  describe('the fd layout', () => {
    it('gives the lowest free fd: 3 with [0,1,2,5,7] open, 5 with [0..4] open', async () => {
      const a = await one(defaultEnv({ fds: fdTable([0, 1, 2, 5, 7]) }), call(AF_INET, SOCK_STREAM, 0n));
      const b = await one(defaultEnv({ fds: fdTable([0, 1, 2, 3, 4]) }), call(AF_INET, SOCK_STREAM, 0n));
      expect(outcome(a)).toEqual(fd(3, 2, 1, 6));
      expect(outcome(b)).toEqual(fd(5, 2, 1, 6));
    });

    it('gives fd 0 when nothing is open, and high fds stay exact', async () => {
      const r = await one(defaultEnv({ fds: fdTable([]) }), call(AF_UNIX, SOCK_DGRAM, 0n));
      expect(outcome(r)).toEqual(fd(0, 1, 2, 0));
      const all = Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 257);
      expect(outcome(await one(defaultEnv({ fds: fdTable(all) }), call(AF_UNIX, SOCK_DGRAM, 0n)))).toEqual(fd(257, 1, 2, 0));
    });

    it('lays out CLOEXEC in the fd and NONBLOCK in the file description, per fd', async () => {
      // ERRNO(0) on socket() returns 0 without creating anything, so the queries read fd 0 itself.
      const fds = { entries: [{ fd: 0, cloexec: true, nonblock: true }, { fd: 1, cloexec: false, nonblock: false }] };
      const r = await one(defaultEnv({ fds, seccomp: [{ prog: onSocket(ERRNO(0)) }] }), call(AF_INET, SOCK_STREAM, 0n));
      expect(r).toMatchObject({ status: 'returned', ret: 0n, getfd: 1, soDomain: -88 });
      expect(r.status === 'returned' && r.getfl & 0x803).toBe(0x802);
      expect(outcome(r)).toEqual({ kind: 'ret', value: 0 });
    });
  });

  describe('RLIMIT_NOFILE', () => {
    it('at 3 with fds 0-2 gives EMFILE, while a family error still wins', async () => {
      const env = defaultEnv({ rlimitNofile: 3 });
      const run = await oracle.run(env, [call(AF_INET, SOCK_STREAM, 0n), call(AF_UNIX, 0n, 0n), call(AF_INET, SOCK_STREAM, 17n)]);
      expect(outcomes(run)).toEqual([errno('EMFILE'), errno('ESOCKTNOSUPPORT'), errno('EPROTONOSUPPORT')]);
    });
  });

  describe('credentials and namespaces', () => {
    const nobody = (namespaces: Env['creds']['namespaces'], caps: number): Env =>
      defaultEnv({ creds: { uid: 65534, gid: 65534, groups: [], caps, namespaces } });

    it('without capabilities as uid 65534: AF_PACKET and AF_INET SOCK_RAW are EPERM', async () => {
      const run = await oracle.run(nobody('init', 0), [
        call(AF_PACKET, SOCK_RAW, 0n), call(AF_INET, SOCK_RAW, 1n), call(AF_INET, SOCK_RAW, 0n), call(16n, SOCK_RAW, 0n),
      ]);
      expect(outcomes(run)).toEqual([errno('EPERM'), errno('EPERM'), errno('EPROTONOSUPPORT'), fd(3, 16, 3, 0)]);
    });

    it('CAP_NET_RAW alone is enough for raw sockets in the initial user namespace', async () => {
      const run = await oracle.run(nobody('init', capMask(['CAP_NET_RAW'])), [call(AF_PACKET, SOCK_RAW, 0n), call(AF_INET, SOCK_RAW, 1n)]);
      expect(outcomes(run)).toEqual([fd(3, 17, 3, 0), fd(3, 2, 3, 1)]);
    });

    it("'user+net' with every capability creates AF_PACKET raw sockets; 'user' alone is EPERM", async () => {
      const all = defaultEnv().creds.caps;
      const userNet = await oracle.run(nobody('user+net', all), [call(AF_PACKET, SOCK_RAW, 0n), call(AF_INET6, SOCK_RAW, 58n)]);
      const user = await oracle.run(nobody('user', all), [call(AF_PACKET, SOCK_RAW, 0n), call(AF_INET6, SOCK_RAW, 58n)]);
      expect(userNet.setupFailure).toBeUndefined();
      expect(user.setupFailure).toBeUndefined();
      expect(outcomes(userNet)).toEqual([fd(3, 17, 3, 0), fd(3, 10, 3, 58)]);
      expect(outcomes(user)).toEqual([errno('EPERM'), errno('EPERM')]);
    });

    it("real root in 'net' keeps its capabilities over the new netns", async () => {
      const env = defaultEnv({ creds: { ...defaultEnv().creds, namespaces: 'net' } });
      expect(outcome(await one(env, call(AF_PACKET, SOCK_RAW, 0n)))).toEqual(fd(3, 17, 3, 0));
    });
  });

  describe('per-netns sysctls', () => {
    it('ping_group_range [0,0] with gid 0 allows ICMP and ICMPv6 ping; the default range is EACCES', async () => {
      const ping = [call(AF_INET, SOCK_DGRAM, 1n), call(AF_INET6, SOCK_DGRAM, 58n)];
      const open = await oracle.run(defaultEnv({ pingGroupRange: [0, 0] }), ping);
      const closed = await oracle.run(defaultEnv(), ping);
      expect(outcomes(open)).toEqual([fd(3, 2, 2, 1), fd(3, 10, 2, 58)]);
      expect(outcomes(closed)).toEqual([errno('EACCES'), errno('EACCES')]);
    });

    it('a supplementary group in the range is enough, in a user+net namespace too', async () => {
      const env = defaultEnv({
        pingGroupRange: [100, 200], creds: { uid: 1000, gid: 1000, groups: [150], caps: 0, namespaces: 'user+net' },
      });
      expect(outcome(await one(env, call(AF_INET, SOCK_DGRAM, 1n)))).toEqual(fd(3, 2, 2, 1));
    });

    it('net.mptcp.enabled 0 makes AF_INET SOCK_STREAM 262 ENOPROTOOPT; enabled it is an MPTCP socket', async () => {
      const off = await one(defaultEnv({ mptcpEnabled: false }), call(AF_INET, SOCK_STREAM, 262n));
      const on = await one(defaultEnv(), call(AF_INET, SOCK_STREAM, 262n));
      expect(outcome(off)).toEqual(errno('ENOPROTOOPT'));
      expect(outcome(on)).toEqual(fd(3, 2, 1, 262));
    });

    it('reports a sysctl the kernel refuses as a setup failure, and runs nothing', async () => {
      const run = await oracle.run(defaultEnv({ pingGroupRange: [0, 4294967295] }), [call(AF_INET, SOCK_STREAM, 0n)]);
      expect(run.setupFailure).toEqual({ step: 'SYSCTL_PING', errno: 'EINVAL' });
      expect(run.results).toEqual([{ status: 'not-run' }]);
    });
  });

  describe('entry paths', () => {
    (ia32Unavailable() !== '' ? it : it.skip)(`leaves the i386 entries unavailable, with the reason, and runs the other calls${ia32Unavailable() === '' ? ' — skipped: this kernel runs int $0x80' : ''}`, async () => {
      const run = await oracle.run(defaultEnv(), [call(AF_INET, SOCK_STREAM, 0n, 'i386'), call(AF_INET, SOCK_STREAM, 0n), call(AF_UNIX, SOCK_DGRAM, 0n, 'i386-socketcall'),
        { a0: 0n, a1: 0n, a2: 0n, entry: 'i386-socketcall', block: 'unreadable' }]);
      expect(run.results[0]).toEqual({ status: 'unavailable', reason: ia32Unavailable() });
      expect(run.results[1].status).toBe('returned');
      expect(run.results[2].status).toBe('unavailable');
      expect(run.results[3].status).toBe('unavailable');
      expect(ia32Unavailable()).toMatch(/IA32 emulation/);
    });

    const noIa32 = ia32Unavailable();
    (noIa32 === '' ? it : it.skip)(`int $0x80 with nr 359 and i386 socketcall(SYS_SOCKET) create sockets from 32-bit arguments${noIa32 ? ` — skipped: ${noIa32}` : ''}`, async () => {
      const run = await oracle.run(defaultEnv(), [
        call(AF_INET, SOCK_STREAM, 0n, 'i386'),
        call(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0n, 'i386-socketcall'),
        call(0xffffffff_00000001n, SOCK_STREAM, 0n, 'i386'),
        call(AF_UNIX, 0x80000001n, 0n, 'i386-socketcall'),
      ]);
      expect(outcomes(run)).toEqual([fd(3, 2, 1, 6), fd(3, 1, 2, 0, true), fd(3, 1, 1, 0), errno('EINVAL')]);
    });

    (noIa32 === '' ? it : it.skip)(`socketcall(SYS_SOCKET, NULL) is EFAULT after seccomp, which sees args[1] = NULL${noIa32 ? ` — skipped: ${noIa32}` : ''}`, async () => {
      const unreadable: Call = { a0: AF_UNIX, a1: 0x40000000n, a2: 0n, entry: 'i386-socketcall', block: 'unreadable' };
      // The arguments would earn EINVAL; the copy of the block faults before they are read.
      expect(outcomes(await oracle.run(defaultEnv(), [unreadable, call(AF_UNIX, SOCK_STREAM, 0n, 'i386-socketcall')])))
        .toEqual([errno('EFAULT'), fd(3, 1, 1, 0)]);
      // A filter on i386 socketcall (nr 102) wins over the EFAULT it would have let happen.
      const i386 = (...rest: BpfInsn[]): BpfInsn[] => [ld(4), jeq(AUDIT_ARCH_I386, 0, rest.length), ...rest, ret(SECCOMP_RET_ALLOW)];
      const deny102 = i386(ld(0), jeq(102, 0, 1), ret(ERRNO(13)));
      expect(outcomes(await oracle.run(filtersEnv(deny102), [unreadable]))).toEqual([errno('EACCES')]);
      // args[1] is the pointer socketcall got: NULL for the unreadable block, the block's address otherwise.
      const nullArg1 = i386(ld(24), jeq(0, 0, 1), ret(ERRNO(1)));
      expect(outcomes(await oracle.run(filtersEnv(nullArg1), [unreadable, call(AF_UNIX, SOCK_STREAM, 0n, 'i386-socketcall')])))
        .toEqual([errno('EPERM'), fd(3, 1, 1, 0)]);
    });
  });

  describe('seccomp', () => {
    it('a one-instruction ERRNO(13) filter gives EACCES, even though it also denies exit_group', async () => {
      const run = await oracle.run(filtersEnv(retAlways(ERRNO(13))), [call(AF_INET, SOCK_STREAM, 0n), call(-1n, 999n, 0n)]);
      expect(outcomes(run)).toEqual([errno('EACCES'), errno('EACCES')]);
      expect(run.children).toBe(1);
    });

    it('ERRNO(0) returns 0 and creates nothing (outcome ret 0), even when it fakes every query', async () => {
      const run = await oracle.run(filtersEnv(retAlways(ERRNO(0))), [call(AF_INET, SOCK_STREAM, 0n), call(AF_UNIX, SOCK_STREAM, 0n)]);
      expect(outcomes(run)).toEqual([{ kind: 'ret', value: 0 }, { kind: 'ret', value: 0 }]);
      expect(run.results[0]).toMatchObject({ soDomain: -88, partial: false });
    });

    it('KILL_PROCESS kills the call with SIGSYS, and the next call runs in a new child', async () => {
      const killVsock = [ld(4), jeq(AUDIT_ARCH_X86_64, 0, 5), ld(0), jeq(NR_SOCKET, 0, 3), ld(16), jeq(40, 0, 1),
        ret(SECCOMP_RET_KILL_PROCESS), ret(SECCOMP_RET_ALLOW)];
      const run = await oracle.run(filtersEnv(killVsock), [call(40n, SOCK_STREAM, 0n), call(AF_UNIX, SOCK_STREAM, 0n), call(40n, 1n, 0n)]);
      expect(run.results[0]).toMatchObject({ status: 'killed', signal: 31 });
      expect(outcomes(run)).toEqual([{ kind: 'killed', signal: 'SIGSYS' }, fd(3, 1, 1, 0), { kind: 'killed', signal: 'SIGSYS' }]);
      expect(run.children).toBe(2); // call 1 and call 2 share the second child
    });

    it('TRAP without a handler kills with SIGSYS; TRACE without a tracer is ENOSYS', async () => {
      const trap = await oracle.run(filtersEnv(onSocket(SECCOMP_RET_TRAP | 7)), [call(AF_UNIX, SOCK_STREAM, 0n)]);
      const trace = await oracle.run(filtersEnv(onSocket(SECCOMP_RET_TRACE)), [call(AF_UNIX, SOCK_STREAM, 0n)]);
      expect(outcomes(trap)).toEqual([{ kind: 'killed', signal: 'SIGSYS' }]);
      expect(outcomes(trace)).toEqual([errno('ENOSYS')]);
    });

    it('two filters ERRNO(1) then ERRNO(2) give ENOENT: the newer filter wins the tie', async () => {
      const newer = await one(filtersEnv(onSocket(ERRNO(1)), onSocket(ERRNO(2))), call(AF_UNIX, SOCK_STREAM, 0n));
      const older = await one(filtersEnv(onSocket(ERRNO(2)), onSocket(ERRNO(1))), call(AF_UNIX, SOCK_STREAM, 0n));
      expect(outcome(newer)).toEqual(errno('ENOENT'));
      expect(outcome(older)).toEqual(errno('EPERM'));
    });

    it('reports a stack the kernel will not build: an older filter that denies seccomp() itself', async () => {
      const denied = await oracle.run(filtersEnv(retAlways(ERRNO(1)), retAlways(ERRNO(2))), [call(AF_UNIX, SOCK_STREAM, 0n)]);
      const faked = await oracle.run(filtersEnv(retAlways(ERRNO(0)), onSocket(ERRNO(2))), [call(AF_UNIX, SOCK_STREAM, 0n)]);
      const killed = await oracle.run(filtersEnv(retAlways(SECCOMP_RET_KILL_PROCESS), retAlways(ERRNO(2))), [call(AF_UNIX, SOCK_STREAM, 0n)]);
      expect(denied.setupFailure).toEqual({ step: 'SECCOMP', errno: 'EPERM' });
      expect(faked.setupFailure).toEqual({ step: 'SECCOMP', errno: 'ret:0' });
      expect(killed.setupFailure).toEqual({ step: 'SECCOMP', errno: 'killed:SIGSYS' });
      for (const run of [denied, faked, killed]) expect(run.results).toEqual([{ status: 'not-run' }]);
    });

    it('a filter that denies fcntl and close still reports the socket, and later calls run correctly', async () => {
      const denyHelpers = [ld(0), jeq(NR_FCNTL, 2, 0), jeq(NR_CLOSE, 1, 0), ret(SECCOMP_RET_ALLOW), ret(ERRNO(1))];
      const run = await oracle.run(filtersEnv(denyHelpers), [
        call(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0n), call(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0n), call(AF_INET, SOCK_STREAM, 17n),
        call(AF_INET, SOCK_DGRAM, 0n),
      ]);
      expect(outcomes(run)).toEqual([fd(3, 2, 1, 6, true), fd(3, 1, 2, 0, false, true), errno('EPROTONOSUPPORT'), fd(3, 2, 2, 17)]);
      expect(run.results[0]).toMatchObject({ getfd: 1, getfl: 2, closeRet: -2147483648, partial: false });
      expect(run.children).toBe(3);
    });
  });

  describe('children', () => {
    it('releases AF_PACKET sockets by exiting (packet_release waits for RCU), one child per packet socket', async () => {
      const run = await oracle.run(defaultEnv(), [
        call(AF_PACKET, SOCK_RAW, 0n), call(AF_INET, SOCK_STREAM, 0n), call(AF_PACKET, SOCK_DGRAM, 0x300n), call(AF_INET, 10n, 0n),
        call(AF_UNIX, SOCK_STREAM, 0n),
      ]);
      expect(outcomes(run)).toEqual([fd(3, 17, 3, 0), fd(3, 2, 1, 6), fd(3, 17, 2, 0), fd(3, 17, 10, 0), fd(3, 1, 1, 0)]);
      expect(run.children).toBe(4);
      expect(run.results[0]).toMatchObject({ closeRet: -2147483648 });
    });

    it('keeps the return of a call whose child a filter killed during the queries (partial)', async () => {
      const killFcntl = [ld(0), jeq(NR_FCNTL, 0, 1), ret(SECCOMP_RET_KILL_PROCESS), ret(SECCOMP_RET_ALLOW)];
      const run = await oracle.run(filtersEnv(killFcntl), [call(AF_INET, SOCK_STREAM, 0n), call(AF_UNIX, 0n, 0n), call(AF_UNIX, SOCK_DGRAM, 0n)]);
      expect(run.results[0]).toMatchObject({ status: 'returned', ret: 3n, partial: true, getfd: -2147483648 });
      expect(outcome(run.results[0])).toEqual(fd(3, -1, -1, -1));
      expect(outcomes(run).slice(1)).toEqual([errno('ESOCKTNOSUPPORT'), fd(3, -1, -1, -1)]);
      expect(run.results[2]).toMatchObject({ partial: true });
      expect(run.children).toBe(2);
    });
  });

  describe('batches', () => {
    it('runs 1000 calls across 10 environments without a hang, and the executor survives', async () => {
      const envs: Env[] = [
        defaultEnv(), defaultEnv({ fds: fdTable([0, 1, 2, 3, 9]) }), defaultEnv({ rlimitNofile: 4 }),
        defaultEnv({ creds: { uid: 65534, gid: 65534, groups: [1, 2], caps: 0, namespaces: 'init' } }),
        defaultEnv({ creds: { uid: 0, gid: 0, groups: [], caps: defaultEnv().creds.caps, namespaces: 'user+net' } }),
        defaultEnv({ creds: { uid: 1000, gid: 1000, groups: [], caps: 0, namespaces: 'user' } }),
        defaultEnv({ pingGroupRange: [0, 10] }), defaultEnv({ mptcpEnabled: false }),
        filtersEnv(onSocket(ERRNO(1))), filtersEnv(retAlways(ERRNO(0))),
      ];
      const calls: Call[] = [];
      for (let i = 0; i < 100; i++) calls.push(call(BigInt([1, 2, 10, 16, 17, 40, 0, 46][i % 8]), BigInt(i % 12), BigInt([0, 1, 6, 17, 58, 262][i % 6])));
      for (const env of envs) {
        const run = await oracle.run(env, calls);
        expect(run.setupFailure).toBeUndefined();
        expect(run.results.filter((r) => r.status !== 'returned')).toEqual([]);
      }
      expect(outcome(await one(defaultEnv(), call(AF_INET, SOCK_STREAM, 0n)))).toEqual(fd(3, 2, 1, 6));
    });

    it('restarts an executor killed during a request, and retries that request once', async () => {
      let killed = 0;
      // kill -9 right after the request is written: the executor dies inside the RUN, once.
      const o = await HostOracle.start({ onSent: (what, pid) => { if (what === 'RUN' && killed++ === 0) process.kill(pid, 'SIGKILL'); } });
      try {
        const first = o.pid;
        const run = await o.run(defaultEnv(), Array.from({ length: 20000 }, () => call(AF_INET, SOCK_STREAM, 0n)));
        expect(run.lost).toBeUndefined();
        expect(run.results).toHaveLength(20000);
        expect(new Set(run.results.map((r) => JSON.stringify(outcome(r))))).toEqual(new Set([JSON.stringify(fd(3, 2, 1, 6))]));
        expect(o.restarts).toEqual({ restarts: 1, retries: 1 });
        expect(o.pid).not.toBe(first);
        expect(outcome(await one2(o))).toEqual(fd(3, 2, 1, 6));
      } finally {
        await o.close();
      }
    });

    async function one2(o: HostOracle): Promise<KernelResult> {
      return (await o.run(defaultEnv(), [call(AF_INET, SOCK_STREAM, 0n)])).results[0];
    }
  });

  describe('COMPILE (libseccomp)', () => {
    const EPERM_DEFAULT = ERRNO(1);
    const allowSocketIfNot40 = {
      defaultAction: EPERM_DEFAULT, arches: [],
      rules: [{ name: 'socket', action: SECCOMP_RET_ALLOW, conds: [{ arg: 0, op: 1 /* NE */, a: 40n, b: 0n }] }],
    };

    it('exports the 13-instruction program of docs/seccomp.md §7 for "default EPERM, ALLOW socket if a0 != 40"', async () => {
      const r = await oracle.compile(allowSocketIfNot40);
      expect(r).toMatchObject({ initOk: true, rcs: [{ rc: 0, nr: 41 }], exportRc: 0 });
      expect(r.program).toEqual([
        [0x20, 0, 0, 4], [0x15, 0, 10, 0xc000003e], [0x20, 0, 0, 0], [0x35, 0, 1, 0x40000000], [0x15, 0, 7, 0xffffffff],
        [0x15, 0, 5, 41], [0x20, 0, 0, 20], [0x15, 0, 2, 0], [0x20, 0, 0, 16], [0x15, 1, 0, 40],
        [0x06, 0, 0, 0x7fff0000], [0x06, 0, 0, 0x00050001], [0x06, 0, 0, 0],
      ]);
    });

    it('loads that program: socket(40) is EPERM, socket(AF_INET) an fd, and 0x1_00000028 gets past it', async () => {
      const { program } = await oracle.compile(allowSocketIfNot40);
      const run = await oracle.run(filtersEnv(program), [call(40n, 1n, 0n), call(AF_INET, SOCK_STREAM, 0n), call(0x1_00000028n, 1n, 0n)]);
      expect(outcomes(run)).toEqual([errno('EPERM'), fd(3, 2, 1, 6), fd(3, 40, 1, 0)]);
    });

    it('returns -EACCES (-13) for a rule whose action is the default, and nr -1 for an unknown name', async () => {
      const r = await oracle.compile({
        defaultAction: EPERM_DEFAULT, arches: [],
        rules: [{ name: 'socket', action: EPERM_DEFAULT, conds: [] }, { name: 'no_such_syscall', action: SECCOMP_RET_ALLOW, conds: [] }],
      });
      expect(r.rcs).toEqual([{ rc: -13, nr: 41 }, { rc: 0, nr: -1 }]);
    });

    it('adds arches and reports the i386 socketcall companion as part of one rule', async () => {
      const r = await oracle.compile({ ...allowSocketIfNot40, arches: [0x40000003, 0x4000003e] });
      expect(r.rcs).toEqual([{ rc: 0, nr: 41 }]);
      expect(r.program.some(([code, , , k]) => code === 0x15 && k === 0x40000003)).toBe(true);
    });
  });
});

const staticPath = executorPath().replace(/sockspec-executor$/, 'sockspec-executor-static');
const staticSuite = reason === null && fs.existsSync(staticPath) ? describe : describe.skip;

staticSuite('the static executor (for a QEMU initramfs)', () => {
  it('runs batches without libseccomp and answers COMPILE with an error', async () => {
    const o = await HostOracle.start({ path: staticPath });
    try {
      expect(o.info).toMatchObject({ version: PROTOCOL_VERSION, libseccomp: false, seccompVersion: null });
      const run = await o.run(defaultEnv({ creds: { uid: 0, gid: 0, groups: [], caps: 0, namespaces: 'user+net' } }), [
        call(AF_INET, SOCK_STREAM, 0n), call(AF_UNIX, SOCK_DGRAM, 0n),
      ]);
      expect(outcomes(run)).toEqual([fd(3, 2, 1, 6), fd(3, 1, 2, 0)]);
      await expect(o.compile({ defaultAction: ERRNO(1), arches: [], rules: [] })).rejects.toThrow(/static build/);
      expect(outcome(await o.run(defaultEnv(), [call(AF_INET, SOCK_DGRAM, 0n)]).then((r) => r.results[0]))).toEqual(fd(3, 2, 2, 17));
    } finally {
      await o.close();
    }
  });
});

/** Reads frames from a raw executor's stdout until `count` have arrived. */
function readFrames(out: NodeJS.ReadableStream, count: number): Promise<{ kind: number; payload: Buffer }[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const frames: { kind: number; payload: Buffer }[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${frames.length} of ${count} frames arrived`)), 10000);
    out.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 12 && buf.length >= 12 + buf.readUInt32LE(8)) {
        const h = decodeRecord(FRAME_HEADER, buf);
        frames.push({ kind: h.kind as number, payload: buf.subarray(12, 12 + (h.length as number)) });
        buf = buf.subarray(12 + (h.length as number));
      }
      if (frames.length >= count) {
        clearTimeout(timer);
        resolve(frames);
      }
    });
  });
}

const rawFrame = (kind: number, payload = Buffer.alloc(0)): Buffer =>
  Buffer.concat([encodeRecord(FRAME_HEADER, { magic: PROTOCOL_MAGIC, kind, length: payload.length }), payload]);

suite(`executor protocol errors${reason === null ? '' : ` (skipped: ${reason})`}`, () => {
  it('answers a bad magic, an unknown kind and a short ENV with ERROR frames, then carries on', async () => {
    const proc = spawn(executorPath(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const frames = readFrames(proc.stdout, 5);
      proc.stdin.write(Buffer.from('this is no frame'));
      proc.stdin.write(rawFrame(KIND.HELLO));
      proc.stdin.write(rawFrame(77, Buffer.from([1, 2, 3])));
      proc.stdin.write(rawFrame(KIND.ENV, Buffer.alloc(10)));
      proc.stdin.write(rawFrame(KIND.RUN));
      const got = await frames;
      expect(got.map((f) => f.kind)).toEqual([KIND.ERROR, KIND.HELLO_REPLY, KIND.ERROR, KIND.ERROR, KIND.ERROR]);
      expect(decodeRecord(ERROR_RECORD, got[0].payload).text).toMatch(/bad frame magic/);
      expect(decodeRecord(HELLO_REPLY, got[1].payload).version).toBe(PROTOCOL_VERSION);
      expect(decodeRecord(ERROR_RECORD, got[2].payload)).toMatchObject({ code: 77 });
      expect(decodeRecord(ERROR_RECORD, got[3].payload)).toMatchObject({ code: KIND.ENV });
      expect(decodeRecord(ERROR_RECORD, got[4].payload)).toMatchObject({ code: KIND.RUN });
      const more = readFrames(proc.stdout, 1);
      proc.stdin.write(rawFrame(KIND.HELLO));
      expect((await more)[0].kind).toBe(KIND.HELLO_REPLY);
    } finally {
      proc.stdin.end(rawFrame(KIND.QUIT));
      await new Promise((r) => proc.once('exit', r));
    }
  });

  it('refuses an ENV that would change a global knob (fs.file-max, fs.nr_open, unix sockets) on the host', async () => {
    const proc = spawn(executorPath(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const before = fs.readFileSync('/proc/sys/fs/file-max', 'utf8');
      for (const globals of [{ file_max: 5n, unix_socks: 0, nr_open: 0 }, { file_max: 0n, unix_socks: 0, nr_open: 64 }, { file_max: 0n, unix_socks: 3, nr_open: 0 }]) {
        const frames = readFrames(proc.stdout, 2);
        proc.stdin.write(runRequest(defaultEnv(), [call(AF_UNIX, SOCK_DGRAM, 0n)], 2000, globals));
        const got = await frames;
        expect(got.map((f) => f.kind)).toEqual([KIND.ERROR, KIND.ERROR]);
        expect(decodeRecord(ERROR_RECORD, got[0].payload)).toMatchObject({ code: KIND.ENV, err: 1 });
        expect(decodeRecord(ERROR_RECORD, got[1].payload)).toMatchObject({ code: KIND.RUN });
      }
      expect(fs.readFileSync('/proc/sys/fs/file-max', 'utf8')).toBe(before);
    } finally {
      proc.stdin.end(rawFrame(KIND.QUIT));
      await new Promise((r) => proc.once('exit', r));
    }
  });
});
