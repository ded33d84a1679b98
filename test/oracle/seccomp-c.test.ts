// C files that build a seccomp filter with libseccomp calls, read into a CompilePlan
// (oracle/seccomp-c.ts), then built with the real libseccomp in the executor and run by the model.
// Sources: docs/seccomp.md §4 and §11; seccomp/libseccomp v2.5.4 include/seccomp.h.in, src/api.c, src/db.c.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE } from '../../model/seccomp/actions';
import { runBpf } from '../../model/seccomp/bpf';
import { seccompDataFor } from '../../model/syscall';
import { executorPath, HostOracle } from '../../oracle/host';
import { ProfileError, SCMP_ARCH, SCMP_CMP } from '../../oracle/oci';
import { parseSeccompC, seccompCOutcome, type SeccompCPlan } from '../../oracle/seccomp-c';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'audit', 'inet-then-errno.c');
const ERRNO = (e: number): number => (SECCOMP_RET_ERRNO | e) >>> 0;
const EPERM = 1, EACCES = 13;
const { SCMP_CMP_EQ: EQ, SCMP_CMP_NE: NE, SCMP_CMP_MASKED_EQ: MASKED_EQ, SCMP_CMP_GT: GT } = SCMP_CMP;

/** A C file around `body`, the lines of `body` starting at line 4. */
function c(body: string, head = ''): string {
  return `#include <seccomp.h>\n${head}int main(void)\n{\n${body}\n}\n`;
}

/** The plan of `body` inside main() of policy.c. */
function plan(body: string, head = ''): SeccompCPlan {
  return parseSeccompC(c(body, head), 'policy.c');
}

/** The message parseSeccompC throws for `source`. */
function error(source: string): string {
  try {
    parseSeccompC(source, 'policy.c');
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as Error).message;
  }
  throw new Error('parseSeccompC did not throw');
}

describe('parseSeccompC: the straight-line libseccomp calls of a C file', () => {
  it('reads the fixture: init, three conditional ALLOWs, an unconditional ERRNO, load; lines, origins and the rc checks', () => {
    const p = parseSeccompC(fs.readFileSync(FIXTURE, 'utf8'), 'inet-then-errno.c');
    expect(p.defaultAction).toBe(SECCOMP_RET_ALLOW);
    expect(p.arches).toEqual([]);
    expect(p.rules).toEqual([
      { name: 'socket', action: SECCOMP_RET_ALLOW, conds: [{ arg: 0, op: EQ, a: 2n, b: 0n }] },
      { name: 'socket', action: SECCOMP_RET_ALLOW, conds: [{ arg: 0, op: EQ, a: 10n, b: 0n }] },
      { name: 'socket', action: SECCOMP_RET_ALLOW, conds: [{ arg: 0, op: EQ, a: 1n, b: 0n }] },
      { name: 'socket', action: ERRNO(EPERM), conds: [] },
    ]);
    expect(p.lines).toEqual([37, 41, 45, 51]);
    expect(p.origin[0]).toBe('inet-then-errno.c:37 seccomp_rule_add(socket)');
    expect(p.checked).toEqual([true, true, true, true]);
    expect(p).toMatchObject({ initLine: 32, loadLine: 55, skipped: [], notes: [] });
    expect(p.badArchAction).toBeUndefined();
    expect(p.optimize).toBeUndefined();
  });

  it('reads every action macro with the u32 libseccomp uses, ERRNO and TRACE keeping 16 bits', () => {
    const p = plan(`
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 0);
  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socketpair), 0);
  seccomp_rule_add(ctx, SCMP_ACT_KILL_THREAD, SCMP_SYS(bind), 0);
  seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(listen), 0);
  seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(accept), 0);
  seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(sendto), 0);
  seccomp_rule_add(ctx, SCMP_ACT_TRACE(0x10007), SCMP_SYS(recvfrom), 0);
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTSUP), SCMP_SYS(shutdown), 0);`);
    expect(p.defaultAction).toBe(0x80000000);
    expect(p.rules.map((r) => r.action)).toEqual([SECCOMP_RET_ALLOW, 0, 0, 0x00030000, 0x7ffc0000, 0x7fc00000, ERRNO(97), (SECCOMP_RET_TRACE | 7) >>> 0, ERRNO(95)]);
    expect(p.rules.map((r) => r.name)).toEqual(['socket', 'socketpair', 'bind', 'listen', 'accept', 'connect', 'sendto', 'recvfrom', 'shutdown']);
    expect(p.lines).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(p.checked.every((x) => !x)).toBe(true);
    expect(p.notes).toEqual(['policy.c: the file never calls seccomp_load; the plan is the filter it builds']);
  });

  it('reads SCMP_A0..A5, SCMP_CMP and the _64 forms as 64-bit data, with every operator and a MASKED_EQ mask first', () => {
    const p = plan(`
  ctx = seccomp_init(SCMP_ACT_ALLOW);
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 3,
                   SCMP_A0(SCMP_CMP_NE, PF_INET6), SCMP_A1_64(SCMP_CMP_MASKED_EQ, SOCK_CLOEXEC | SOCK_NONBLOCK, 0x800), SCMP_CMP(2, SCMP_CMP_GT, IPPROTO_UDP));
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2, SCMP_CMP64(0, SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, NETLINK_AUDIT));
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 6, SCMP_A0(SCMP_CMP_LT, 1), SCMP_A1(SCMP_CMP_LE, 2), SCMP_A2(SCMP_CMP_GE, 3),
                   SCMP_A3(SCMP_CMP_EQ, 4), SCMP_A4(SCMP_CMP_EQ, 5), SCMP_A5(SCMP_CMP_EQ, 6));`);
    expect(p.rules[0].conds).toEqual([
      { arg: 0, op: NE, a: 10n, b: 0n }, { arg: 1, op: MASKED_EQ, a: 0x80800n, b: 0x800n }, { arg: 2, op: GT, a: 17n, b: 0n },
    ]);
    expect(p.rules[1].conds).toEqual([{ arg: 0, op: EQ, a: 16n, b: 0n }, { arg: 2, op: EQ, a: 9n, b: 0n }]);
    expect(p.rules[2].conds.map((x) => [x.arg, x.op, x.a])).toEqual([[0, 2, 1n], [1, 3, 2n], [2, 5, 3n], [3, 4, 4n], [4, 4, 5n], [5, 4, 6n]]);
    expect(p.lines).toEqual([6, 8, 9]);
  });

  it('converts data as C does: negative ints sign-extend, _32 forms zero-extend the low 32 bits, casts and shifts keep their types', () => {
    const datum = (expr: string, macro = 'SCMP_A0'): bigint =>
      plan(`ctx = seccomp_init(SCMP_ACT_ALLOW);\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, ${macro}(SCMP_CMP_EQ, ${expr}));`).rules[0].conds[0].a;
    expect(datum('-1')).toBe(0xffffffffffffffffn);
    expect(datum('(int)-2')).toBe(0xfffffffffffffffen);
    expect(datum('(scmp_datum_t)-1')).toBe(0xffffffffffffffffn);
    expect(datum('(uint32_t)-1')).toBe(0xffffffffn);
    expect(datum('0xffffffff')).toBe(0xffffffffn);
    expect(datum('-3', 'SCMP_A0_32')).toBe(0xfffffffdn);
    expect(datum('0x100000001ULL', 'SCMP_A0_32')).toBe(1n);
    expect(datum('-3', 'SCMP_A0_64')).toBe(0xfffffffffffffffdn);
    expect(datum('1 << 31')).toBe(0xffffffff80000000n);
    expect(datum('1U << 31')).toBe(0x80000000n);
    expect(datum('1UL << 63')).toBe(0x8000000000000000n);
    expect(datum('~0')).toBe(0xffffffffffffffffn);
    expect(datum('~0U')).toBe(0xffffffffn);
    expect(datum('-1U')).toBe(0xffffffffn);
    expect(datum('-1L')).toBe(0xffffffffffffffffn);
    expect(datum('2147483648')).toBe(0x80000000n);
    expect(datum('-2147483648')).toBe(0xffffffff80000000n);
    expect(datum('0x80000000 | 1')).toBe(0x80000001n);
    expect(datum('(AF_INET + 1) << 4')).toBe(0x30n);
    expect(datum('010')).toBe(8n);
    expect(datum('18446744073709551615ULL')).toBe(0xffffffffffffffffn);
    const cmp32 = plan(`ctx = seccomp_init(SCMP_ACT_ALLOW);\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, SCMP_CMP32(1, SCMP_CMP_MASKED_EQ, ~0, -1));`);
    expect(cmp32.rules[0].conds).toEqual([{ arg: 1, op: MASKED_EQ, a: 0xffffffffn, b: 0xffffffffn }]);
  });

  it('expands the file\'s #define lines in actions, syscalls, conditions and data', () => {
    const p = plan(`
  ctx = seccomp_init(DEFAULT);
  seccomp_rule_add(ctx, DENY, SYSCALL, 2, ONLY_VSOCK, SCMP_A1(SCMP_CMP_EQ, MYTYPE));`,
    '#define AF_MINE 40\n#define DEFAULT SCMP_ACT_ALLOW\n#define DENY SCMP_ACT_ERRNO(EACCES)\n#define SYSCALL SCMP_SYS(socket)\n' +
    '#define ONLY_VSOCK SCMP_A0(SCMP_CMP_EQ, AF_MINE)\n#define MYTYPE (SOCK_STREAM | \\\n  SOCK_CLOEXEC)\n');
    expect(p.rules).toEqual([{ name: 'socket', action: ERRNO(EACCES), conds: [{ arg: 0, op: EQ, a: 40n, b: 0n }, { arg: 1, op: EQ, a: 0x80001n, b: 0n }] }]);
    expect(p.lines).toEqual([13]);
  });

  it('marks the exact variant, reads arches, the bad-arch action and the optimiser, and notes harmless attributes', () => {
    const p = plan(`
  ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  seccomp_arch_add(ctx, SCMP_ARCH_X86);
  seccomp_arch_add(ctx, SCMP_ARCH_X32);
  seccomp_arch_add(ctx, SCMP_ARCH_NATIVE);
  seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
  seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, __NR_socketpair, 0, NULL);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, 41, 0);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("bind"), 0);
  seccomp_load(ctx);
  seccomp_export_pfc(ctx, 1);
  seccomp_release(ctx);`);
    expect(p.arches).toEqual([SCMP_ARCH.SCMP_ARCH_X86, SCMP_ARCH.SCMP_ARCH_X32]);
    expect(p.badArchAction).toBe(0x80000000);
    expect(p.optimize).toBe(2);
    expect(p.rules.map((r) => [r.name, r.exact ?? false])).toEqual([['socket', true], ['socketpair', false], ['socket', false], ['bind', false]]);
    expect(p.loadLine).toBe(17);
    expect(p.notes).toEqual([
      'policy.c:8 seccomp_arch_add(SCMP_ARCH_NATIVE): already in the filter (-EEXIST), no change',
      'policy.c:11 seccomp_attr_set(SCMP_FLTATR_CTL_NNP (no_new_privs at load)): does not change the exported program',
      'policy.c:12 seccomp_attr_set(SCMP_FLTATR_CTL_TSYNC (a load flag)): does not change the exported program',
      'policy.c:18 seccomp_export_pfc: exports the filter, changes nothing',
    ]);
  });

  it('ignores ordinary C, error paths and calls in if conditions, which it marks as checked', () => {
    const p = parseSeccompC(`/* a comment with seccomp_bogus(ctx) in it */
#include <seccomp.h>
static void die(const char *m) { seccomp_release(NULL); perror(m); exit(1); }
int main(int argc, char **argv)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW); // seccomp_nope()
	int i, rc;
	if (!ctx)
		die("init");
	for (i = 0; i < argc; i++)
		printf("%s\\n", argv[i]);
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_PACKET)) < 0)
		goto err;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
	                      SCMP_A0(SCMP_CMP_EQ, AF_NETLINK));
	printf("unchecked\\n");
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_KEY));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_RDS));
	if (rc)
		goto err;
	if ((rc = seccomp_load(ctx)) != 0) {
		fprintf(stderr, "load: %d\\n", rc);
		seccomp_release(ctx);
		return 1;
	}
	switch (argc) { case 1: break; default: break; }
	return execvp(argv[1], argv + 1);
err:
	seccomp_release(ctx);
	return 1;
}
`, 'straight.c');
    expect(p.rules.map((r) => r.conds[0].a)).toEqual([17n, 16n, 15n, 21n]);
    expect(p.lines).toEqual([12, 14, 17, 18]);
    expect(p.checked).toEqual([true, false, true, true]);
    expect(p.loadLine).toBe(21);
  });

  it('leaves rules after seccomp_load out of the plan, listed in skipped, and seccomp_reset drops what came before', () => {
    const p = plan(`
  ctx = seccomp_init(SCMP_ACT_ALLOW);
  seccomp_arch_add(ctx, SCMP_ARCH_X86);
  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);
  seccomp_reset(ctx, SCMP_ACT_ERRNO(EPERM));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 0);
  seccomp_load(ctx);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 0);`);
    expect(p.defaultAction).toBe(ERRNO(EPERM));
    expect(p.arches).toEqual([]);
    expect(p.rules.map((r) => r.name)).toEqual(['socketpair']);
    expect(p.lines).toEqual([9]);
    expect(p.skipped).toEqual([
      'policy.c:7 seccomp_rule_add(socket): dropped by seccomp_reset at line 8',
      'policy.c:11 seccomp_rule_add(socket): after seccomp_load (line 10): not in the loaded filter',
    ]);
  });

  const init = 'ctx = seccomp_init(SCMP_ACT_ALLOW);';
  it.each([
    ['an unknown libseccomp function', c(`${init}\n\n  seccomp_rule_add_fancy(ctx, SCMP_ACT_KILL, 41, 0);`), /^policy\.c:6: unknown libseccomp function seccomp_rule_add_fancy$/],
    ['an unknown comparison', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1,\n SCMP_A0(SCMP_CMP_FOO, 2));`), /^policy\.c:5: unknown comparison SCMP_CMP_FOO$/],
    ['an unknown condition macro', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, SCMP_A6(SCMP_CMP_EQ, 2));`), /^policy\.c:5: unknown libseccomp macro SCMP_A6$/],
    ['an unknown action macro', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_DENY, SCMP_SYS(socket), 0);`), /^policy\.c:5: unknown action SCMP_ACT_DENY$/],
    ['an unknown name in a datum', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_MADEUP));`), /^policy\.c:5: unknown name AF_MADEUP/],
    ['a count that is not the number of conditions', c(`${init}\n\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, 2));`), /^policy\.c:6: seccomp_rule_add says 2 conditions but passes 1; libseccomp would read garbage/],
    ['a call in a for loop', c(`${init}\nint i;\nfor (i = 0; i < 3; i++)\n  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, i));`), /^policy\.c:7: seccomp_rule_add inside a for loop \(line 6\)/],
    ['a call in a while body', c(`${init}\nwhile (more()) {\n  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);\n}`), /^policy\.c:6: seccomp_rule_add inside a while loop \(line 5\)/],
    ['a rule under a condition', c(`${init}\nif (strict)\n  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);`), /^policy\.c:6: seccomp_rule_add under a condition \(if at line 5\)/],
    ['a missing seccomp_init', c('seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);\nseccomp_load(ctx);'), /^policy\.c:4: seccomp_rule_add with no seccomp_init in the file$/],
    ['a file without libseccomp calls', 'int main(void) { return 0; }\n', /^policy\.c:1: no seccomp_init in the file$/],
    ['a rule before seccomp_init', c(`seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);\n${init}`), /^policy\.c:4: seccomp_rule_add before seccomp_init \(line 5\)$/],
    ['a rule in another function', `void add(scmp_filter_ctx ctx)\n{\n  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);\n}\n${c(init)}`, /^policy\.c:3: seccomp_rule_add in function add, not in main/],
    ['a second seccomp_init', c(`${init}\nother = seccomp_init(SCMP_ACT_KILL);`), /^policy\.c:5: a second seccomp_init \(line 4 made the first filter\)/],
    ['a rule on another context', c(`${init}\nseccomp_rule_add(other, SCMP_ACT_KILL, SCMP_SYS(socket), 0);`), /^policy\.c:5: seccomp_rule_add on other, not on ctx/],
    ['unbalanced parentheses', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket, 0);`), /^policy\.c:\d+: unbalanced parentheses/],
    ['an arch added after rules', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);\nseccomp_arch_add(ctx, SCMP_ARCH_X86);`), /^policy\.c:6: seccomp_arch_add after 1 rule\(s\): libseccomp gives the new arch an empty filter/],
    ['a foreign arch', c(`${init}\nseccomp_arch_add(ctx, SCMP_ARCH_AARCH64);`), /^policy\.c:5: unknown or non-x86 architecture SCMP_ARCH_AARCH64/],
    ['removing the native arch', c(`${init}\nseccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);`), /^policy\.c:5: seccomp_arch_remove of the native arch/],
    ['the read-only default-action attribute', c(`${init}\nseccomp_attr_set(ctx, SCMP_FLTATR_ACT_DEFAULT, SCMP_ACT_KILL);`), /^policy\.c:5: SCMP_FLTATR_ACT_DEFAULT is read-only/],
    ['an optimiser level libseccomp refuses', c(`${init}\nseccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 3);`), /^policy\.c:5: SCMP_FLTATR_CTL_OPTIMIZE 3: libseccomp accepts 1 or 2/],
    ['a condition array', c(`${init}\nseccomp_rule_add_array(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, conds);`), /^policy\.c:5: seccomp_rule_add_array with a condition array: the array is data sockspec cannot read/],
    ['seccomp_syscall_priority', c(`${init}\nseccomp_syscall_priority(ctx, SCMP_SYS(socket), 255);`), /^policy\.c:5: seccomp_syscall_priority: reorders/],
    ['an errno libseccomp refuses', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_ERRNO(4095), SCMP_SYS(socket), 0);`), /^policy\.c:5: SCMP_ACT_ERRNO\(4095\): libseccomp refuses errno values of 4095 and above/],
    ['an argument index beyond 5', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 1, SCMP_CMP(6, SCMP_CMP_EQ, 1));`), /^policy\.c:5: SCMP_CMP on argument 6: libseccomp accepts 0\.\.5/],
    ['a bare syscall number it cannot name', c(`${init}\nseccomp_rule_add(ctx, SCMP_ACT_KILL, 59, 0);`), /^policy\.c:5: syscall number 59: write SCMP_SYS\(name\)/],
    ['a second seccomp_load', c(`${init}\nseccomp_load(ctx);\nseccomp_load(ctx);`), /^policy\.c:6: a second seccomp_load \(the first at line 5\) stacks a second filter/],
    ['a call under #ifdef', c(`${init}\n#ifdef STRICT\nseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);\n#endif`), /^policy\.c:6: seccomp_rule_add under a preprocessor condition \(line 5\)/],
  ])('names the line of %s', (_what, source, message) => {
    expect(error(source)).toMatch(message);
  });
});

// ---------------------------------------------------------------------------------------------

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root (the executor needs root)';
  if (!fs.existsSync(executorPath())) return `the executor binary ${executorPath()} is missing (run scripts/build-executor.sh)`;
  return null;
}
const reason = skipReason();
if (reason !== null) process.stderr.write(`seccomp-c.test.ts: the libseccomp compiles are skipped: ${reason}\n`);
const suite = reason === null ? describe : describe.skip;

const AF_UNIX = 1n, AF_INET = 2n, AF_INET6 = 10n, AF_PACKET = 17n, SOCK_STREAM = 1n;

suite(`C policies built by the real libseccomp${reason === null ? '' : ` (skipped: ${reason})`}`, () => {
  let oracle: HostOracle;
  beforeAll(async () => {
    oracle = await HostOracle.start();
    if (!oracle.info.seccompVersion) throw new Error('the executor found no libseccomp.so.2');
  });
  afterAll(async () => {
    await oracle?.close();
  });

  /** The verdict of the exported program for x86_64 socket(family, SOCK_STREAM, 0). */
  const verdicts = (program: Parameters<typeof runBpf>[0], families: bigint[]): number[] =>
    families.map((f) => runBpf(program, seccompDataFor({ a0: f, a1: SOCK_STREAM, a2: 0n })));

  it('the fixture: libseccomp refuses the three ALLOWs (-EACCES, the default action), so every family gets EPERM and the program never loads', async () => {
    const p = parseSeccompC(fs.readFileSync(FIXTURE, 'utf8'), 'inet-then-errno.c');
    const r = await oracle.compile(p);
    expect(r.initOk).toBe(true);
    expect(r.exportRc).toBe(0);
    expect(r.rcs).toEqual([{ rc: -13, nr: 41 }, { rc: -13, nr: 41 }, { rc: -13, nr: 41 }, { rc: 0, nr: 41 }]);
    expect(verdicts(r.program, [AF_INET, AF_INET6, AF_UNIX, AF_PACKET])).toEqual([ERRNO(EPERM), ERRNO(EPERM), ERRNO(EPERM), ERRNO(EPERM)]);
    const o = seccompCOutcome(p, r.rcs);
    expect(o.failures.map((f) => [f.line, f.rc])).toEqual([[37, -13], [41, -13], [45, -13]]);
    expect(o.reachesLoad).toBe(false);
    expect(o.why).toMatch(/^inet-then-errno\.c:37 seccomp_rule_add\(socket\): rc -13 \(EACCES.*error path before seccomp_load \(line 55\)/);
  });

  it('with the ALLOWs accepted (default ERRNO(EACCES)), the later unconditional ERRNO replaces their chains: every family gets EPERM', async () => {
    const source = fs.readFileSync(FIXTURE, 'utf8').replace('seccomp_init(SCMP_ACT_ALLOW)', 'seccomp_init(SCMP_ACT_ERRNO(EACCES))');
    const p = parseSeccompC(source, 'variant.c');
    const r = await oracle.compile(p);
    expect(r.rcs.map((x) => x.rc)).toEqual([0, 0, 0, 0]);
    expect(verdicts(r.program, [AF_INET, AF_INET6, AF_UNIX, AF_PACKET])).toEqual([ERRNO(EPERM), ERRNO(EPERM), ERRNO(EPERM), ERRNO(EPERM)]);
    expect(seccompCOutcome(p, r.rcs)).toMatchObject({ failures: [], reachesLoad: true });
  });

  it('the unconditional ERRNO first: the later ALLOWs are accepted (rc 0) and dropped, every family still gets EPERM', async () => {
    const p = plan(`
  ctx = seccomp_init(SCMP_ACT_ERRNO(EACCES));
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 0);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
  seccomp_load(ctx);`);
    const r = await oracle.compile(p);
    expect(r.rcs.map((x) => x.rc)).toEqual([0, 0]);
    expect(verdicts(r.program, [AF_INET, AF_PACKET])).toEqual([ERRNO(EPERM), ERRNO(EPERM)]);
  });

  it('what the author meant is written with a deny default and the three ALLOWs alone', async () => {
    const q = plan(`
  ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET6));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));`);
    const r = await oracle.compile(q);
    expect(r.rcs.map((x) => x.rc)).toEqual([0, 0, 0]);
    expect(verdicts(r.program, [AF_INET, AF_INET6, AF_UNIX, AF_PACKET])).toEqual([SECCOMP_RET_ALLOW, SECCOMP_RET_ALLOW, SECCOMP_RET_ALLOW, ERRNO(EPERM)]);
  });

  it('SCMP_A0 sign-extends a negative int and SCMP_A0_32 zero-extends it, in the program libseccomp exports', async () => {
    const p = plan(`
  ctx = seccomp_init(SCMP_ACT_ALLOW);
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EDOM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, (int)-2));
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EXDEV), SCMP_SYS(socket), 1, SCMP_A0_32(SCMP_CMP_EQ, -3));`);
    const r = await oracle.compile(p);
    expect(r.rcs.map((x) => x.rc)).toEqual([0, 0]);
    expect(verdicts(r.program, [0xfffffffffffffffen, 0xfffffffen, 0xfffffffdn, 0xfffffffffffffffdn]))
      .toEqual([ERRNO(33), SECCOMP_RET_ALLOW, ERRNO(18), SECCOMP_RET_ALLOW]);
  });

  it('reports an unknown SCMP_SYS name (nr -1) and the -EOPNOTSUPP of an exact rule on a multi-arch filter', async () => {
    const p = plan(`
  ctx = seccomp_init(SCMP_ACT_ALLOW);
  seccomp_arch_add(ctx, SCMP_ARCH_X86);
  seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(no_such_call), 0);
  seccomp_rule_add_exact(ctx, SCMP_ACT_KILL, SCMP_SYS(socket), 0);
  seccomp_load(ctx);`);
    const r = await oracle.compile(p);
    expect(r.rcs).toEqual([{ rc: 0, nr: -1 }, { rc: -95, nr: 41 }]);
    const o = seccompCOutcome(p, r.rcs);
    expect(o.failures.map((f) => f.text)).toEqual([
      'policy.c:7 seccomp_rule_add(no_such_call): libseccomp knows no syscall no_such_call (the C would not compile)',
      expect.stringMatching(/^policy\.c:8 seccomp_rule_add_exact\(socket\): rc -95 \(EOPNOTSUPP/),
    ]);
    expect(o.reachesLoad).toBe(true);
  });
});
