// `sockspec repro`: a standalone C program for a finding. It sets up the finding's environment the
// way the executor does (fresh netns, user namespace with identity maps, sysctls inside the netns,
// rlimits, the exact fd layout, credentials, NO_NEW_PRIVS and the filter stack), makes the call
// with raw register values, prints one parseable line per call and exits 1 when the kernel's
// result differs from the expected one. It compiles with `cc` alone and runs as root.
// Sources: oracle/executor/child.c (the same setup order; the namespace codes are the protocol's), docs/seccomp.md "harness".

import {
  CAP_LAST_CAP, ERRNO_NAMES, formatCall, hasCap, SOCKETCALL_ARGS_ADDR, SOCKETCALL_UNREADABLE_ADDR, svAddress, unreadableBlock,
  type Call, type Env, type Reg,
} from '../model';
import { NS, NS_CODE } from '../oracle/protocol';

function u64(r: Reg): string {
  return `0x${r.toString(16)}ULL`;
}

/** Text safe inside a C block comment: no comment opener (-Wcomment) and no closer. */
function inComment(s: string): string {
  return s.replace(/\/\*/g, '/ *').replace(/\*\//g, '* /');
}

function cString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The C source of a reproducer; `expected` is a result string of the eval contract (`ok`, `EPERM`, …). */
export function reproSource(call: Call, env: Env, expected: string, title: string): string {
  const capLo = Array.from({ length: 32 }, (_, i) => (hasCap(env.creds.caps, i) ? 2 ** i : 0)).reduce((a, b) => a + b, 0) >>> 0;
  const capHi = Array.from({ length: CAP_LAST_CAP - 31 }, (_, i) => (hasCap(env.creds.caps, 32 + i) ? 2 ** i : 0)).reduce((a, b) => a + b, 0) >>> 0;
  const fds = env.fds.entries.map((e) => `{${e.fd}, ${e.cloexec ? 1 : 0}, ${e.nonblock ? 1 : 0}}`).join(', ');
  const filters = env.seccomp.map((f, i) => `static struct sock_filter filter${i}[] = {\n${f.prog.map(([c, t, ff, k]) => `\t{0x${c.toString(16)}, ${t}, ${ff}, 0x${(k >>> 0).toString(16)}},`).join('\n')}\n};`).join('\n');
  const filterList = env.seccomp.map((f, i) => `{sizeof(filter${i}) / sizeof(filter${i}[0]), filter${i}}`).join(', ');
  const entry = call.entry === 'i386' ? 1 : call.entry === 'i386-socketcall' ? 2 : 0;
  const errnos = ERRNO_NAMES.map((n, i) => (n === '' ? '' : `\t[${i}] = "${n}",`)).filter((l) => l !== '').join('\n');
  return `/*
 * sockspec reproducer: ${inComment(title)}
 * call: ${inComment(formatCall(call))}
 * expected: ${expected}
 * Build and run as root: cc -o repro repro.c && ./repro
 * Prints one line "sockspec-repro call=0 ret=... result=... expected=..." (on success followed by
 * the fd and its flags; for socketpair both fds, or on failure what the kernel left in sv) and exits 1 when the kernel's result does not match the expected one, 0
 * when it does, 2 when setup failed. The expectation is a list of alternatives separated by '|',
 * each a ','-separated list of tokens that must all appear in the result ("ok fd=3 cloexec=1
 * nonblock=0", or an errno name); a leading '!' negates it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SOCKETCALL_ARGS_ADDR 0x${SOCKETCALL_ARGS_ADDR.toString(16)}UL
#define SOCKETCALL_UNREADABLE_ADDR 0x${SOCKETCALL_UNREADABLE_ADDR.toString(16)}UL

struct fd_spec { int fd; int cloexec; int nonblock; };
struct filter_spec { unsigned short len; struct sock_filter *prog; };

static const int namespaces = ${NS_CODE[env.creds.namespaces]};
static const unsigned uid = ${env.creds.uid}, gid = ${env.creds.gid};
static const gid_t groups[] = {${env.creds.groups.join(', ')}${env.creds.groups.length === 0 ? '0' : ''}};
static const int ngroups = ${env.creds.groups.length};
static const uint32_t cap_lo = 0x${capLo.toString(16)}, cap_hi = 0x${capHi.toString(16)};
static const unsigned ping_lo = ${env.pingGroupRange[0]}, ping_hi = ${env.pingGroupRange[1]};
static const int mptcp = ${env.mptcpEnabled ? 1 : 0};
static const unsigned long rlimit_nofile = ${env.rlimitNofile}UL;
static const struct fd_spec fds[] = {${fds}${fds === '' ? '{-1, 0, 0}' : ''}};
static const int nfds = ${env.fds.entries.length};
${filters}
static const struct filter_spec filters[] = {${filterList}${filterList === '' ? '{0, 0}' : ''}};
static const int nfilters = ${env.seccomp.length};
static const int entry = ${entry};
/* entry 2 only: 1 passes the argument block as SOCKETCALL_UNREADABLE_ADDR (NULL), which no page backs. */
static const int block_unreadable = ${unreadableBlock(call) ? 1 : 0};
/*
 * 1: socketpair(a0, a1, a2, sv) with sv at sv_addr (0: NULL; the last word of the argument page,
 * whose next page is PROT_NONE, when only sv[0] may be written). 0: socket(a0, a1, a2).
 */
static const int pair = ${call.syscall === 'socketpair' ? 1 : 0};
static const uint64_t sv_addr = 0x${(call.syscall === 'socketpair' ? svAddress(call) : 0n).toString(16)}ULL;
static const int sv_words = ${call.syscall !== 'socketpair' || call.sv === 'unwritable' ? 0 : call.sv === 'one-word' ? 1 : 2};
static const uint64_t a0 = ${u64(call.a0)}, a1 = ${u64(call.a1)}, a2 = ${u64(call.a2)};
static const char *expected = ${cString(expected)};
static const char *errno_names[] = {
${errnos}
};
static int out_fd = -1;

static int has_token(const char *detail, const char *tok, size_t n)
{
	const char *p = detail;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, tok, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static int matches(const char *detail, const char *exp)
{
	int negate = exp[0] == '!';
	const char *alt = exp + negate;
	int any = 0;

	while (!any) {
		size_t alen = strcspn(alt, "|");
		const char *tok = alt;
		int all = 1;

		while (tok < alt + alen) {
			size_t tlen = strcspn(tok, ",|");

			if (!has_token(detail, tok, tlen))
				all = 0;
			tok += tlen + (tok[tlen] == ',');
		}
		any = all;
		if (alt[alen] != '|')
			break;
		alt += alen + 1;
	}
	return negate ? !any : any;
}

static void say(const char *s)
{
	if (write(out_fd, s, strlen(s)) < 0)
		_exit(2);
}

static void fail(const char *step)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "sockspec-repro setup-failed step=%s errno=%d\\n", step, errno);
	say(buf);
	_exit(2);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		fail(path);
	close(fd);
}

static long raw_call(void)
{
	long ret;
	int i;

	for (i = 0; i < sv_words; i++)
		((int32_t *)sv_addr)[i] = -1;
	if (entry == 0) {
		register long r10 asm("r10") = pair ? (long)sv_addr : 0;
		__asm__ volatile("syscall" : "=a"(ret) : "a"(pair ? 53L : 41L), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
				 : "rcx", "r11", "memory");
		return ret;
	}
	uint64_t rax = entry == 1 ? (pair ? 360 : 359) : 102;
	uint64_t b = a0, c = a1, d = a2, S = pair ? sv_addr : 0;
	if (entry == 2) {
		b = pair ? 8 : 1;
		c = SOCKETCALL_UNREADABLE_ADDR;
		d = 0;
		S = 0;
		if (!block_unreadable) {
			uint32_t *block = (uint32_t *)SOCKETCALL_ARGS_ADDR;

			block[0] = (uint32_t)a0;
			block[1] = (uint32_t)a1;
			block[2] = (uint32_t)a2;
			block[3] = (uint32_t)sv_addr;
			c = SOCKETCALL_ARGS_ADDR;
		}
	}
	__asm__ volatile("int $0x80" : "+a"(rax) : "b"(b), "c"(c), "d"(d), "S"(S) : "r8", "r9", "r10", "r11", "memory", "cc");
	return (long)(int32_t)(uint32_t)rax;
}

/* " fd=N cloexec=C nonblock=B" for one new fd. */
static void describe_fd(char *out, size_t len, const char *name, long fd)
{
	int fdfl = fcntl((int)fd, F_GETFD), fl = fcntl((int)fd, F_GETFL);

	snprintf(out, len, " %s=%ld cloexec=%d nonblock=%d", name, fd,
		 fdfl >= 0 && (fdfl & FD_CLOEXEC) ? 1 : 0, fl >= 0 && (fl & O_NONBLOCK) ? 1 : 0);
}

static void setup_fds(void)
{
	int i;

	for (i = 0; i < 4096; i++) {
		if (i != out_fd)
			close(i);
	}
	for (i = 0; i < nfds; i++) {
		int fd = open("/dev/null", O_RDWR | (fds[i].nonblock ? O_NONBLOCK : 0));

		if (fd < 0)
			fail("open /dev/null");
		if (fd != fds[i].fd) {
			if (dup3(fd, fds[i].fd, fds[i].cloexec ? O_CLOEXEC : 0) < 0)
				fail("dup3");
			close(fd);
		} else if (fds[i].cloexec) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
	}
}

static void child(int sync_fd)
{
	char buf[512];
	char c;
	struct rlimit lim = { rlimit_nofile, rlimit_nofile };
	struct rlimit core = { 0, 0 };
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { cap_lo, cap_lo, 0 }, { cap_hi, cap_hi, 0 } };
	struct rlimit big = { 65536, 65536 };
	long ret;
	int i;

	/* Raised while still real root: later, in a user namespace, the hard limit cannot grow. */
	setrlimit(RLIMIT_NOFILE, &big);
	if (((entry == 2 && !block_unreadable) || sv_words > 0) &&
	    (mmap((void *)SOCKETCALL_ARGS_ADDR, 8192, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED ||
	     mprotect((void *)(SOCKETCALL_ARGS_ADDR + 4096), 4096, PROT_NONE) < 0))
		fail("mmap the argument page");
	if (namespaces == ${NS.USER_NET}) {
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare user");
		if (write(sync_fd, "u", 1) != 1 || read(sync_fd, &c, 1) != 1)
			fail("sync");
		if (unshare(CLONE_NEWNET) < 0)
			fail("unshare net");
	} else {
		if (unshare(CLONE_NEWNET) < 0)
			fail("unshare net");
	}
	if (ping_lo != 1 || ping_hi != 0) {
		snprintf(buf, sizeof(buf), "%u %u", ping_lo, ping_hi);
		write_file("/proc/sys/net/ipv4/ping_group_range", buf);
	}
	if (!mptcp)
		write_file("/proc/sys/net/mptcp/enabled", "0");
	if (namespaces == ${NS.USER}) {
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare user");
		if (write(sync_fd, "u", 1) != 1 || read(sync_fd, &c, 1) != 1)
			fail("sync");
	}
	setrlimit(RLIMIT_CORE, &core);
	/* The sync socket is closed with the rest: only the layout and the output fd stay open. */
	setup_fds();
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		fail("rlimit");
	if (setgroups(ngroups, groups) < 0)
		fail("setgroups");
	if (setgid(gid) < 0)
		fail("setgid");
	prctl(PR_SET_KEEPCAPS, 1);
	if (setuid(uid) < 0)
		fail("setuid");
	{
		/* Only what this process holds can be kept (root may lack some, e.g. CAP_SYS_RESOURCE). */
		struct __user_cap_data_struct held[2];

		if (syscall(SYS_capget, &hdr, held) < 0)
			fail("capget");
		for (i = 0; i < 2; i++) {
			data[i].effective &= held[i].permitted;
			data[i].permitted &= held[i].permitted;
		}
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("no_new_privs");
	for (i = 0; i < nfilters; i++) {
		struct sock_fprog prog = { filters[i].len, filters[i].prog };

		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			fail("seccomp");
	}
	ret = raw_call();
	{
		const char *result = "ok";
		char num[32], detail[240], more[160] = "", end2[80] = "";
		const int32_t *sv = (const int32_t *)sv_addr;

		if (ret < 0 && -ret < (long)(sizeof(errno_names) / sizeof(errno_names[0])) && errno_names[-ret])
			result = errno_names[-ret];
		else if (ret < 0) {
			snprintf(num, sizeof(num), "E#%ld", -ret);
			result = num;
		} else if (pair && sv_words == 2 && sv[0] >= 0 && sv[1] >= 0) {
			describe_fd(more, sizeof(more), "fd", sv[0]);
			describe_fd(end2, sizeof(end2), "fd2", sv[1]);
			strncat(more, end2, sizeof(more) - strlen(more) - 1);
		} else if (!pair) {
			describe_fd(more, sizeof(more), "fd", ret);
		}
		if (pair && ret < 0 && sv_words > 0) {
			/* What the kernel left in sv (the fds it had reserved, not open). */
			snprintf(more, sizeof(more), " sv=%d,%d", sv[0], sv_words > 1 ? sv[1] : -1);
		}
		snprintf(detail, sizeof(detail), "%s%s", result, more);
		snprintf(buf, sizeof(buf), "sockspec-repro call=0 ret=%ld result=%s expected=%s%s\\n", ret, result, expected, more);
		say(buf);
		_exit(matches(detail, expected) ? 0 : 1);
	}
}

int main(void)
{
	struct rlimit lim;
	int sv[2];
	pid_t pid;
	int status;
	char c;

	if (getuid() != 0) {
		fprintf(stderr, "run as root: the reproducer builds namespaces and sets capabilities\\n");
		return 2;
	}
	/* The soft fd limit up to the hard one: the reporting fds live at 4000 and up (a VM's init has 1024). */
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	out_fd = fcntl(1, F_DUPFD_CLOEXEC, 4000);
	if (out_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (dup3(sv[1], 4001, O_CLOEXEC) < 0)
			_exit(2);
		close(sv[1]);
		child(4001);
	}
	close(sv[1]);
	if (namespaces == ${NS.USER_NET} || namespaces == ${NS.USER}) {
		char path[64];

		if (read(sv[0], &c, 1) != 1)
			return 2;
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		write_file(path, "0 0 4294967295");
		snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
		write_file(path, "0 0 4294967295");
		if (write(sv[0], "m", 1) != 1)
			return 2;
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	if (WIFSIGNALED(status)) {
		char buf[160];

		snprintf(buf, sizeof(buf), "sockspec-repro call=0 ret=? result=killed:%s expected=%s\\n",
			 WTERMSIG(status) == SIGSYS ? "SIGSYS" : "signal", expected);
		say(buf);
		return strcmp("killed:SIGSYS", expected) == 0 && WTERMSIG(status) == SIGSYS ? 0 : 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
`;
}
