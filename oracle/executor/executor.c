/*
 * sockspec executor: replays socket(2) calls on the running kernel for the oracle, and compiles
 * seccomp policies with the system's libseccomp. The parent speaks the frames of oracle/protocol.ts
 * on stdin/stdout; every batch runs in a forked child that builds exactly the environment it was
 * given and reports only through a shared page, so a filter that denies write() cannot silence it.
 * Sources: ARCHITECTURE.md "The oracle"; seccomp.md §5 (harness), §7; kernel-semantics.md §2-§6.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#ifndef SOCKSPEC_STATIC
#include <dlfcn.h>
#endif

#include "protocol.h"

/* MAX_CALLS, MAX_FILTERS, MAX_FILTER_INSNS, MAX_RULES, MAX_EXPORT_INSNS: protocol.h. */
#define RX_MAX (sizeof(struct count_record) + MAX_CALLS * sizeof(struct call_record))
#define TX_MAX 65536u

#define NR_SOCKET_I386 359
#define NR_SOCKETCALL_I386 102
#define SYS_SOCKET_SUBCALL 1
/* model/syscall.ts SOCKETCALL_ARGS_ADDR: seccomp shows this pointer as args[1] of socketcall. */
#define SOCKETCALL_ARGS 0x10000ul

/*
 * protocol.h also has the query results that are not an errno (QUERY_NOT_RUN: the child died
 * first; QUERY_FAKED: the call "succeeded" unrun) and DEFAULT_TIMEOUT_MS.
 */
#define FIRST_SLICE_NS 50000ull
#define SLICE_NS 1000000ull
#define MAX_LINGERING 64u
#define VM_FILE_PAD 96u
#define AF_PACKET_FAMILY 17

enum { PHASE_SETUP = 0, PHASE_CALLS = 1 };
enum { STAGE_IDLE = 0, STAGE_CALLING = 1, STAGE_RETURNED = 2, STAGE_DONE = 3 };
enum { PARK_NONE = 0, PARK_ASK = 1, PARK_DONE = 2 };

/*
 * The page shared with the child (MAP_SHARED, mapped before any fork). progress packs the call
 * index and its stage in one word, so a child killed between two stores is never misread.
 */
struct shared {
	uint32_t phase;
	uint32_t exiting;
	uint64_t progress;
	uint32_t next;
	uint32_t park;
	int32_t park_fd;
	uint32_t park_keep;
	uint32_t setup_step;
	uint32_t setup_failed;
	int32_t setup_errno;
	uint32_t pad;
	struct result_record results[MAX_CALLS];
};

/* What the parent knows about the child it is watching. */
struct watch {
	pid_t pid;
	int pidfd;
	int timed_out;
	int detached;
	int filters_lost;
	uint64_t key;
	uint64_t since;
	uint64_t slice;
	uint64_t timeout_ns;
};

static struct env_record env;
static int have_env;
static struct sock_filter filters[MAX_FILTERS][MAX_FILTER_INSNS];
static uint32_t filter_len[MAX_FILTERS];
static uint32_t nfilters;
static struct call_record calls[MAX_CALLS];
static uint32_t ncalls;
static int batch_bad;
static struct shared *sh;
static int args_block_errno;
static pid_t parent_pid;
static uint8_t rx[RX_MAX];
static uint8_t tx[TX_MAX];
static size_t tx_len;
static pid_t lingering[MAX_LINGERING];
static uint32_t nlingering;

/* The x86_64 `syscall` instruction with explicit 64-bit registers; returns raw rax (-errno). */
static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define SYS1(nr, a) sys6((nr), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(nr, a, b) sys6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(nr, a, b, c) sys6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(nr, a, b, c, d) sys6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(nr, a, b, c, d, e) sys6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/*
 * The i386 entry from 64-bit code. The registers carry the full 64-bit values: the syscall
 * itself reads only the low words, but seccomp_data.args[] shows all 64 bits on this path too
 * (probed on 6.18). int $0x80 may clobber r8-r11, and its 32-bit result is sign-extended.
 */
static long int80(uint32_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t rax = nr;

	__asm__ volatile("int $0x80"
			 : "+a"(rax)
			 : "b"(a), "c"(b), "d"(c)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return (long)(int32_t)(uint32_t)rax;
}

/* CLOCK_MONOTONIC in nanoseconds; the vDSO answers it without a syscall. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Appends a C string to a bounded buffer, always NUL-terminated; returns the new length. */
static size_t put_str(char *buf, size_t cap, size_t len, const char *s)
{
	while (*s && len + 1 < cap)
		buf[len++] = *s++;
	buf[len] = 0;
	return len;
}

/* Appends a signed decimal number to a bounded buffer (no stdio: see the file comment). */
static size_t put_num(char *buf, size_t cap, size_t len, int64_t v)
{
	char digits[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[n++] = '-';
	while (n > 0 && len + 1 < cap)
		buf[len++] = digits[--n];
	buf[len] = 0;
	return len;
}

/* Parses an unsigned number in `base` (8 or 10) after optional blanks; stops at the first non-digit. */
static uint64_t parse_num(const char *s, unsigned base)
{
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= '0' && *s < (char)('0' + base))
		v = v * base + (uint64_t)(*s++ - '0');
	return v;
}

/* "/proc/<pid><tail><num>" (num < 0 leaves it out): the paths the parent reads about a child. */
static void proc_path(char *buf, size_t cap, pid_t pid, const char *tail, long num)
{
	size_t n = put_str(buf, cap, 0, "/proc/");

	n = put_num(buf, cap, n, pid);
	n = put_str(buf, cap, n, tail);
	if (num >= 0)
		put_num(buf, cap, n, num);
}

/* Writes `len` bytes to an existing file with open/write/close; 0 or -errno. */
static long write_file(const char *path, const char *s, size_t len)
{
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return fd;
	r = SYS3(SYS_write, fd, s, len);
	SYS1(SYS_close, fd);
	if (r < 0)
		return r;
	return (size_t)r == len ? 0 : -EIO;
}

/* Reads up to cap-1 bytes of a file and NUL-terminates them; the length or -errno. */
static long read_file(const char *path, char *buf, size_t cap)
{
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return fd;
	r = SYS3(SYS_read, fd, buf, cap - 1);
	SYS1(SYS_close, fd);
	buf[r < 0 ? 0 : r] = 0;
	return r;
}

/* Reads exactly n bytes from fd (EINTR retried); 0, or -1 at end of input or on error. */
static int read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Whether the executor is PID 1 of a VM (see vm_init). */
static int vm_mode;

/* Defined with the other VM-mode knobs, before handle_run. */
static void vm_nr_open_back(void);

/* VM mode with SOCKSPEC_REPLIES=debugcon: the I/O port of QEMU's isa-debugcon, else 0. */
static uint16_t reply_port;

/*
 * Writes exactly n bytes (in VM mode with a debug port, to that port); a host that went away ends
 * the executor (there is no one to answer).
 */
static void write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	if (fd == 1 && reply_port) {
		/* VM mode: the replies go to QEMU's debug port byte by byte, no interrupts, no tty. */
		__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(reply_port) : "memory");
		return;
	}

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1);
		p += r;
		n -= (size_t)r;
	}
}

/* Sends whatever replies are buffered: replies go out in large writes, not one per frame. */
static void tx_flush(void)
{
	write_full(1, tx, tx_len);
	tx_len = 0;
}

/* Buffers reply bytes; anything larger than the buffer is written straight through. */
static void tx_put(const void *p, size_t n)
{
	if (tx_len + n > sizeof tx)
		tx_flush();
	if (n > sizeof tx) {
		write_full(1, p, n);
		return;
	}
	memcpy(tx + tx_len, p, n);
	tx_len += n;
}

/* Buffers a frame header; the caller then puts exactly `length` payload bytes. */
static void tx_header(uint32_t kind, uint32_t length)
{
	struct frame_header h = { PROTOCOL_MAGIC, kind, length };

	tx_put(&h, sizeof h);
}

/* Sends an ERROR frame for request `code` with a text and an optional number (-1: none). */
static void send_error(uint32_t code, int err, const char *text, int64_t num)
{
	struct error_record e;
	size_t n;

	memset(&e, 0, sizeof e);
	e.code = code;
	e.err = err;
	n = put_str(e.text, sizeof e.text, 0, text);
	if (num >= 0) {
		n = put_str(e.text, sizeof e.text, n, " ");
		put_num(e.text, sizeof e.text, n, num);
	}
	tx_header(KIND_ERROR, sizeof e);
	tx_put(&e, sizeof e);
}

/* Discards n payload bytes the executor will not use, keeping the stream in step. */
static int skip_bytes(size_t n)
{
	while (n) {
		size_t k = n < sizeof tx ? n : sizeof tx;

		if (read_full(0, rx, k))
			return -1;
		n -= k;
	}
	return 0;
}

/* Whether the first four bytes of w are PROTOCOL_MAGIC (little-endian, as every field). */
static int is_magic(const uint8_t *w)
{
	uint32_t m;

	memcpy(&m, w, sizeof m);
	return m == PROTOCOL_MAGIC;
}

/*
 * Reads the next frame header. After garbage it reports one ERROR and slides byte by byte until
 * the magic lines up again, so a stray write costs one frame, not the session. -1 at EOF.
 */
static int next_header(struct frame_header *h)
{
	uint8_t w[sizeof *h];

	if (read_full(0, w, sizeof w))
		return -1;
	if (!is_magic(w)) {
		send_error(0, 0, "bad frame magic; resynchronising on the next frame", -1);
		tx_flush();
		while (!is_magic(w)) {
			memmove(w, w + 1, sizeof w - 1);
			if (read_full(0, w + sizeof w - 1, 1))
				return -1;
		}
	}
	memcpy(h, w, sizeof *h);
	return 0;
}

/* Maps the shared results page and the socketcall argument block, once, before any fork. */
static int map_areas(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *b;

	if (p == MAP_FAILED)
		return -1;
	sh = p;
	/* MAP_32BIT alone does not fix the address; MAP_FIXED_NOREPLACE does, without clobbering. */
	b = mmap((void *)SOCKETCALL_ARGS, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_32BIT, -1, 0);
	if (b == MAP_FAILED)
		args_block_errno = errno;
	else if (b != (void *)SOCKETCALL_ARGS)
		args_block_errno = EEXIST;
	return 0;
}

/* Issues one socket() call on its entry path with the exact registers the model describes. */
static long issue(const struct call_record *c)
{
	volatile uint32_t *block = (volatile uint32_t *)SOCKETCALL_ARGS;

	switch (c->entry) {
	case ENTRY_I386:
		return int80(NR_SOCKET_I386, c->a0, c->a1, c->a2);
	case ENTRY_I386_SOCKETCALL:
		block[0] = (uint32_t)c->a0;
		block[1] = (uint32_t)c->a1;
		block[2] = (uint32_t)c->a2;
		return int80(NR_SOCKETCALL_I386, SYS_SOCKET_SUBCALL, (uint32_t)SOCKETCALL_ARGS, 0);
	default:
		return sys6(SYS_socket, (long)c->a0, (long)c->a1, (long)c->a2, 0, 0, 0);
	}
}

/* The child's way out: flag it, then exit_group, exit, and spin, since a filter may ERRNO both. */
static __attribute__((noreturn)) void leave(void)
{
	__atomic_store_n(&sh->exiting, 1, __ATOMIC_RELEASE);
	SYS1(SYS_exit_group, 0);
	SYS1(SYS_exit, 0);
	for (;;)
		__builtin_ia32_pause();
}

/* Records the setup step the child is about to take, so a death there is attributed to it. */
static void begin(uint32_t step)
{
	__atomic_store_n(&sh->setup_step, step, __ATOMIC_RELEASE);
}

/* Records a failed setup step in the shared page and leaves; the parent reports it in DONE. */
static __attribute__((noreturn)) void setup_fail(uint32_t step, long err)
{
	sh->setup_step = step;
	sh->setup_errno = (int32_t)err;
	__atomic_store_n(&sh->setup_failed, 1, __ATOMIC_RELEASE);
	leave();
}

/* A setup step's raw return: negative fails the batch at `step`. */
static void check(uint32_t step, long rc)
{
	if (rc < 0)
		setup_fail(step, -rc);
}

/* fs.nr_open, read only when setrlimit refused a value (it is the kernel's cap on RLIMIT_NOFILE). */
static uint64_t nr_open(void)
{
	char buf[32];

	if (read_file("/proc/sys/fs/nr_open", buf, sizeof buf) <= 0)
		return 0;
	return parse_num(buf, 10);
}

/*
 * Sets RLIMIT_NOFILE soft = hard = want. When the kernel refuses (above fs.nr_open, or above the
 * hard limit without CAP_SYS_RESOURCE) it is capped at the largest value allowed, but only if that
 * still exceeds MAX_LAYOUT_FD: the lowest free fd is at most MAX_LAYOUT_FD, so every limit above it
 * gives socket() the same answers, and the cap changes nothing the model can see.
 */
static long set_nofile(uint64_t want)
{
	struct rlimit rl = { want, want }, old;
	long r = SYS4(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, 0);
	uint64_t cap;

	if (r != -EPERM || SYS4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &old) < 0)
		return r;
	cap = nr_open();
	if (cap == 0 || cap > old.rlim_max)
		cap = old.rlim_max;
	if (cap >= want || cap <= MAX_LAYOUT_FD)
		return r;
	rl.rlim_cur = rl.rlim_max = cap;
	return SYS4(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, 0);
}

/*
 * RLIMIT_CORE 0 (a seccomp kill dumps core), and RLIMIT_NOFILE raised far enough for the fd
 * layout. Raising the hard limit needs CAP_SYS_RESOURCE in the initial userns, so this runs
 * first, before any unshare(CLONE_NEWUSER); the exact value is set after the layout.
 */
static void raise_limits(void)
{
	struct rlimit core = { 0, 0 };
	uint64_t want = env.rlimit_nofile > MAX_LAYOUT_FD ? env.rlimit_nofile : MAX_LAYOUT_FD;

	begin(SETUP_STEP_RLIMIT);
	check(SETUP_STEP_RLIMIT, SYS4(SYS_prlimit64, 0, RLIMIT_CORE, &core, 0));
	check(SETUP_STEP_RLIMIT, set_nofile(want));
}

/*
 * unshare(flag). In a VM, ENOSPC means that the namespaces of earlier RUNs still count against
 * user.max_net_namespaces (or max_user_namespaces, half of max_threads: about 2,000 in the
 * guest), their teardown (cleanup_net, a workqueue) lagging behind. The children of one RUN share
 * its namespaces (see run_ns_net), so this is a safety net: wait, 2 ms at a time and at most 3 s,
 * well inside the call timeout the parent enforces.
 */
static long unshare_ns(unsigned long flag)
{
	struct timespec ts = { 0, 2000000 };
	long r = SYS1(SYS_unshare, flag);
	int tries = 0;

	while (vm_mode && r == -ENOSPC && tries++ < 1500) {
		SYS2(SYS_nanosleep, &ts, NULL);
		r = SYS1(SYS_unshare, flag);
	}
	return r;
}

/*
 * unshare(CLONE_NEWUSER), then wait while the parent writes the identity uid/gid maps (it holds
 * CAP_SETUID/CAP_SETGID in the initial userns). EOF on the pipe means the parent failed them.
 */
static void enter_userns(int rd, int wr)
{
	char c = 'u';

	begin(SETUP_STEP_UNSHARE_USER);
	check(SETUP_STEP_UNSHARE_USER, unshare_ns(CLONE_NEWUSER));
	begin(SETUP_STEP_SYNC);
	if (SYS3(SYS_write, wr, &c, 1) == 1 && SYS3(SYS_read, rd, &c, 1) == 1)
		return;
	if (!__atomic_load_n(&sh->setup_failed, __ATOMIC_ACQUIRE))
		setup_fail(SETUP_STEP_SYNC, EPIPE);
	leave();
}

/* Writes one sysctl of the child's own netns; /proc/sys/net resolves against the caller's netns. */
static void write_sysctl(uint32_t step, const char *path, const char *value)
{
	begin(step);
	check(step, write_file(path, value, strlen(value)));
}

/*
 * The per-netns sysctls. A fresh netns always starts at the kernel's defaults (ping_group_range
 * "1 0" from inet_init_net, mptcp.enabled 1), so only a different value is written: that keeps
 * a VM without /proc/sys, or a kernel without MPTCP, working for the defaults.
 */
static void write_sysctls(void)
{
	char v[32];
	size_t n;

	if (!(env.ping_lo == 1 && env.ping_hi == 0)) {
		n = put_num(v, sizeof v, 0, env.ping_lo);
		n = put_str(v, sizeof v, n, " ");
		put_num(v, sizeof v, n, env.ping_hi);
		write_sysctl(SETUP_STEP_SYSCTL_PING, "/proc/sys/net/ipv4/ping_group_range", v);
	}
	if (env.mptcp != -1 && env.mptcp != 1) {
		put_num(v, sizeof v, 0, env.mptcp);
		write_sysctl(SETUP_STEP_SYSCTL_MPTCP, "/proc/sys/net/mptcp/enabled", v);
	}
}

/* A new network namespace, owned by whichever user namespace the child is in at this point. */
static void enter_netns(void)
{
	begin(SETUP_STEP_UNSHARE_NET);
	check(SETUP_STEP_UNSHARE_NET, unshare_ns(CLONE_NEWNET));
}

/*
 * The namespaces of the RUN's first child, opened by the parent (see capture_namespaces), or -1.
 * Later children of the RUN join them instead of making their own: the same environment, and
 * no namespace per child to tear down, which under QEMU is slower than making them (see
 * unshare_ns) and a class whose every call kills its child would otherwise make thousands.
 */
static int run_ns_net = -1;
static int run_ns_user = -1;

/* setns(fd, type) as setup step `step`. */
static void join_ns(uint32_t step, int fd, int type)
{
	begin(step);
	check(step, SYS2(SYS_setns, fd, type));
}

/*
 * A later child: the first child's namespaces, joined in the order that child made them, so the
 * same user namespace owns the netns. Its sysctls are already written.
 */
static void join_namespaces(void)
{
	if (env.namespaces == NS_USER_NET)
		join_ns(SETUP_STEP_UNSHARE_USER, run_ns_user, CLONE_NEWUSER);
	join_ns(SETUP_STEP_UNSHARE_NET, run_ns_net, CLONE_NEWNET);
	if (env.namespaces == NS_USER)
		join_ns(SETUP_STEP_UNSHARE_USER, run_ns_user, CLONE_NEWUSER);
}

/* The first child: tells the parent its namespaces are ready and waits until it has opened them. */
static void hand_over_namespaces(int rd, int wr)
{
	char c = 'n';

	begin(SETUP_STEP_SYNC);
	if (SYS3(SYS_write, wr, &c, 1) == 1 && SYS3(SYS_read, rd, &c, 1) == 1)
		return;
	setup_fail(SETUP_STEP_SYNC, EPIPE);
}

/*
 * Every shape runs in a fresh netns, so the host's sysctls are never touched. "user": the netns
 * is made (and its sysctls written) as real root first, so the child userns does not own it;
 * "user+net": the userns comes first and owns the netns.
 */
static void enter_namespaces(int rd, int wr)
{
	if (run_ns_net >= 0) {
		join_namespaces();
		return;
	}
	if (env.namespaces == NS_USER_NET)
		enter_userns(rd, wr);
	enter_netns();
	write_sysctls();
	if (env.namespaces == NS_USER)
		enter_userns(rd, wr);
	hand_over_namespaces(rd, wr);
}

/* Whether bit fd is set in one of the env's fd bitmaps. */
static int has_bit(const uint8_t *bits, uint32_t fd)
{
	return (bits[fd / 8] >> (fd % 8)) & 1;
}

/* Closes every fd, the executor's pipes included; close_range, or a loop on old kernels. */
static void close_all(void)
{
	long fd;

	if (SYS3(SYS_close_range, 0, ~0u, 0) == 0)
		return;
	for (fd = 0; fd < (long)MAX_LAYOUT_FD + 64; fd++)
		SYS1(SYS_close, fd);
}

/*
 * Puts one /dev/null at exactly `fd`, with its own open file description: O_NONBLOCK lives in
 * the description, FD_CLOEXEC in the fd table. open() gives the lowest free fd, so a gap below
 * `fd` is filled briefly and moved with dup3.
 */
static long place_null(uint32_t fd, int cloexec, int nonblock)
{
	long flags = O_RDWR | (nonblock ? O_NONBLOCK : 0) | (cloexec ? O_CLOEXEC : 0);
	long got = SYS4(SYS_openat, AT_FDCWD, "/dev/null", flags, 0);
	long r;

	if (got < 0 || got == (long)fd)
		return got;
	r = SYS3(SYS_dup3, got, fd, cloexec ? O_CLOEXEC : 0);
	SYS1(SYS_close, got);
	return r;
}

/* Exactly the fds of open_bits, ascending, and nothing else; then the exact RLIMIT_NOFILE. */
static void lay_out_fds(void)
{
	uint32_t fd;

	begin(SETUP_STEP_FD_LAYOUT);
	close_all();
	for (fd = 0; fd < MAX_LAYOUT_FD; fd++) {
		if (has_bit(env.open_bits, fd))
			check(SETUP_STEP_FD_LAYOUT,
			      place_null(fd, has_bit(env.cloexec_bits, fd), has_bit(env.nonblock_bits, fd)));
	}
	begin(SETUP_STEP_RLIMIT);
	check(SETUP_STEP_RLIMIT, set_nofile(env.rlimit_nofile));
}

/*
 * effective = permitted = the env's caps, inheritable = 0, limited to what the child holds: a
 * machine whose root lacks a capability (a restricted bounding set) cannot grant it. In a new
 * userns the child holds every capability; the host reports what init-userns runs lacked.
 */
static long set_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	long r = SYS2(SYS_capget, &hdr, data);
	uint32_t lo = env.cap_lo & data[0].permitted, hi = env.cap_hi & data[1].permitted;

	if (r < 0)
		return r;
	data[0].effective = data[0].permitted = lo;
	data[1].effective = data[1].permitted = hi;
	data[0].inheritable = data[1].inheritable = 0;
	return SYS2(SYS_capset, &hdr, data);
}

/*
 * Groups, gid, then uid with PR_SET_KEEPCAPS so the permitted set survives the uid change, then
 * the capabilities. Raw syscalls: no libc setxid broadcast, and -errno comes back directly.
 */
static void set_creds(void)
{
	uint32_t groups[MAX_GROUPS];

	memcpy(groups, (const void *)env.groups, sizeof groups);
	begin(SETUP_STEP_GROUPS);
	check(SETUP_STEP_GROUPS, SYS2(SYS_setgroups, env.ngroups, groups));
	begin(SETUP_STEP_GID);
	check(SETUP_STEP_GID, SYS1(SYS_setgid, env.gid));
	begin(SETUP_STEP_UID);
	check(SETUP_STEP_UID, SYS2(SYS_prctl, PR_SET_KEEPCAPS, 1));
	check(SETUP_STEP_UID, SYS1(SYS_setuid, env.uid));
	begin(SETUP_STEP_CAPS);
	check(SETUP_STEP_CAPS, set_caps());
}

/*
 * Ties the child to the executor (SIGKILL if it dies: a child spinning in a denied exit_group
 * would otherwise outlive it) and turns off core dumps even for pipe core_patterns. After the
 * credential changes, because commit_creds clears the parent-death signal.
 */
static void tie_to_parent(void)
{
	begin(SETUP_STEP_NO_NEW_PRIVS);
	check(SETUP_STEP_NO_NEW_PRIVS, SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL));
	if (SYS1(SYS_getppid, 0) != parent_pid)
		leave();
	check(SETUP_STEP_NO_NEW_PRIVS, SYS2(SYS_prctl, PR_SET_DUMPABLE, 0));
}

/* NO_NEW_PRIVS, then each filter oldest first; from here on every syscall meets the filters. */
static void load_filters(void)
{
	struct sock_fprog prog;
	uint32_t i;

	begin(SETUP_STEP_NO_NEW_PRIVS);
	check(SETUP_STEP_NO_NEW_PRIVS, SYS5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	begin(SETUP_STEP_SECCOMP);
	for (i = 0; i < nfilters; i++) {
		prog.len = (unsigned short)filter_len[i];
		prog.filter = filters[i];
		check(SETUP_STEP_SECCOMP, SYS3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
	}
}

/* fcntl through the raw instruction, so a seccomp verdict comes back as -errno. */
static int32_t query_fcntl(long fd, int cmd)
{
	return (int32_t)SYS3(SYS_fcntl, fd, cmd, 0);
}

/*
 * getsockopt(SOL_SOCKET, opt): the value, -errno, or QUERY_FAKED when it returned 0 without the
 * kernel writing optlen (a seccomp ERRNO(0) verdict skips the syscall and returns 0).
 */
static int32_t query_sockopt(long fd, int opt)
{
	int32_t v[16];
	uint32_t len = sizeof v;
	long r;

	v[0] = QUERY_FAKED;
	r = SYS5(SYS_getsockopt, fd, SOL_SOCKET, opt, v, &len);
	if (r < 0)
		return (int32_t)r;
	return r == 0 && len == sizeof(int32_t) ? v[0] : QUERY_FAKED;
}

/* Whether F_GETFD/F_GETFL look real: a flag word of 0 or 1, and O_RDWR (every socket is O_RDWR). */
static int flags_real(const struct result_record *r)
{
	return (r->getfd == 0 || r->getfd == 1) && r->getfl >= 0 && (r->getfl & O_ACCMODE) == O_RDWR;
}

/* The queries describe a socket this call created (only calls make sockets in the child). */
static int is_socket_answer(const struct result_record *r)
{
	return r->domain >= 0 && r->type >= 0 && r->protocol >= 0 && flags_real(r);
}

/*
 * The queries describe "nothing created": the returned number is a closed fd (EBADF) or one of
 * the layout's /dev/null fds (ENOTSOCK), as seccomp ERRNO(0) gives. The layout is then intact.
 */
static int is_nothing_answer(const struct result_record *r)
{
	int32_t d = r->domain;

	if (r->type != d || r->protocol != d)
		return 0;
	if (d == -EBADF)
		return r->getfd == -EBADF && r->getfl == -EBADF;
	return d == -ENOTSOCK && flags_real(r);
}

/* Closes the new socket and checks it is really gone: a faked close would shift every later fd. */
static int close_socket(struct result_record *r, long fd)
{
	r->close_ret = (int32_t)SYS1(SYS_close, fd);
	if (r->close_ret != 0)
		return 0;
	if (query_fcntl(fd, F_GETFD) == -EBADF)
		return 1;
	r->close_ret = QUERY_FAKED;
	return 0;
}

/*
 * Asks the parent to look at fd through /proc and pidfd_getfd, which no filter of ours governs,
 * and spins (no syscall is safe here) until it answers. Returns 1 when the layout is intact.
 */
static int park(long fd)
{
	sh->park_fd = (int32_t)fd;
	__atomic_store_n(&sh->park, PARK_ASK, __ATOMIC_RELEASE);
	while (__atomic_load_n(&sh->park, __ATOMIC_ACQUIRE) != PARK_DONE)
		__builtin_ia32_pause();
	return (int)sh->park_keep;
}

/*
 * After ret >= 0: query, then close what this call created. 0 means the child must leave. An
 * AF_PACKET socket is not closed: packet_release() waits for an RCU grace period (synchronize_net,
 * ~12 ms), so the child leaves instead and its exit releases the socket while the parent has
 * already forked the next child.
 */
static int finish_fd(struct result_record *r, long fd)
{
	r->getfd = query_fcntl(fd, F_GETFD);
	r->getfl = query_fcntl(fd, F_GETFL);
	r->domain = query_sockopt(fd, SO_DOMAIN);
	r->type = query_sockopt(fd, SO_TYPE);
	r->protocol = query_sockopt(fd, SO_PROTOCOL);
	if (is_socket_answer(r))
		return r->domain == AF_PACKET_FAMILY ? 0 : close_socket(r, fd);
	if (is_nothing_answer(r))
		return 1;
	return park(fd);
}

/* Publishes "call i is at stage s" in one store (see struct shared). */
static void progress(uint32_t i, uint32_t stage)
{
	__atomic_store_n(&sh->progress, (uint64_t)i << 8 | stage, __ATOMIC_RELEASE);
}

/* Runs call i and records it; 0 when the fd layout may no longer be exact and the child must go. */
static int run_one(uint32_t i)
{
	struct result_record *r = &sh->results[i];
	long ret;
	int keep = 1;

	r->getfd = r->getfl = r->domain = r->type = r->protocol = r->close_ret = QUERY_NOT_RUN;
	progress(i, STAGE_CALLING);
	ret = issue(&calls[i]);
	r->ret = ret;
	r->status = CALL_STATUS_RETURNED;
	progress(i, STAGE_RETURNED);
	if (ret >= 0)
		keep = finish_fd(r, ret);
	progress(i, STAGE_DONE);
	return keep;
}

/* VM mode: the helper that lowers fs.nr_open for the child (see start_nr_open_helper). */
static pid_t nr_open_helper = -1;

/*
 * VM mode: fs.nr_open must go down after the exact RLIMIT_NOFILE (setrlimit refuses a limit above
 * nr_open) and after the fd layout, yet writing it must not open a file in the child: that file
 * would take the lowest free fd and grow the table past the layout for good. So a helper is
 * forked now, before the layout, and waits for SIGUSR1 to write the knob from its own fd table.
 * PID 1 puts the old value back before the next child and after the RUN.
 */
static void start_nr_open_helper(void)
{
	sigset_t set;
	int sig;

	if (!env.nr_open)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	nr_open_helper = fork();
	if (nr_open_helper == 0) {
		char v[16];

		sigwait(&set, &sig);
		put_num(v, sizeof v, 0, env.nr_open);
		_exit(write_file("/proc/sys/fs/nr_open", v, strlen(v)) < 0 ? 1 : 0);
	}
}

/* Lets the helper write fs.nr_open now that the layout and the limit are exact, and waits for it. */
static void lower_nr_open(void)
{
	int status = 0;

	if (!env.nr_open)
		return;
	begin(SETUP_STEP_SYSCTL_NR_OPEN);
	if (nr_open_helper < 0) {
		check(SETUP_STEP_SYSCTL_NR_OPEN, -ECHILD);
		return;
	}
	kill(nr_open_helper, SIGUSR1);
	while (waitpid(nr_open_helper, &status, 0) < 0 && errno == EINTR)
		;
	check(SETUP_STEP_SYSCTL_NR_OPEN, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM);
}

/*
 * The child: limits, namespaces and sysctls, fd layout, credentials, filters (in that order,
 * see each step), then the calls from `start`. It never returns and reports only via `sh`.
 */
static __attribute__((noreturn)) void child_main(uint32_t start, int rd, int wr)
{
	uint32_t i;

	raise_limits();
	enter_namespaces(rd, wr);
	start_nr_open_helper();
	lay_out_fds();
	lower_nr_open();
	set_creds();
	tie_to_parent();
	load_filters();
	__atomic_store_n(&sh->phase, PHASE_CALLS, __ATOMIC_RELEASE);
	for (i = start; i < ncalls; i++) {
		if (!run_one(i)) {
			sh->next = i + 1;
			leave();
		}
	}
	sh->next = ncalls;
	leave();
}

/* Writes the identity maps "0 0 4294967295" for a child that has just made its user namespace. */
static long write_id_maps(pid_t pid)
{
	static const char map[] = "0 0 4294967295\n";
	char path[64];
	long r;

	proc_path(path, sizeof path, pid, "/uid_map", -1);
	r = write_file(path, map, sizeof map - 1);
	if (r < 0)
		return r;
	proc_path(path, sizeof path, pid, "/gid_map", -1);
	return write_file(path, map, sizeof map - 1);
}

/* The parent's half of the userns handshake: wait for the unshare, write the maps, release it. */
static void sync_maps(pid_t pid, int rd, int wr)
{
	char c;
	long r;

	if (read(rd, &c, 1) != 1)
		return;
	r = write_id_maps(pid);
	if (r == 0) {
		c = 'g';
		if (write(wr, &c, 1) == 1)
			return;
		r = -errno;
	}
	sh->setup_step = SETUP_STEP_ID_MAPS;
	sh->setup_errno = (int32_t)-r;
	__atomic_store_n(&sh->setup_failed, 1, __ATOMIC_RELEASE);
}

/* Sends SIGKILL to the child being watched (never to anything else: it is ours and not reaped). */
static void kill_child(const struct watch *w)
{
	if (w->pidfd >= 0 && SYS4(SYS_pidfd_send_signal, w->pidfd, SIGKILL, 0, 0) == 0)
		return;
	kill(w->pid, SIGKILL);
}

/*
 * Sleeps one slice, or less if the child exits (pidfd becomes readable). Slices start short and
 * double up to SLICE_NS: most children live well under a millisecond, long ones cost few wakeups.
 */
static void wait_slice(struct watch *w)
{
	struct timespec ts = { 0, (long)w->slice };
	struct pollfd p = { w->pidfd, POLLIN, 0 };

	if (w->pidfd >= 0)
		ppoll(&p, 1, &ts, NULL);
	else
		nanosleep(&ts, NULL);
	if (w->slice < SLICE_NS)
		w->slice *= 2;
}

/* Whether the child has exited, without reaping it (its /proc entry is still needed). */
static int has_exited(const struct watch *w)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == w->pid;
}

/* Fills F_GETFD/F_GETFL from /proc/<pid>/fdinfo/<fd>: "flags:" is f_flags plus O_CLOEXEC. */
static void fdinfo_flags(pid_t pid, int32_t fd, struct result_record *r)
{
	char path[64], buf[512];
	const char *f;
	uint64_t flags;

	proc_path(path, sizeof path, pid, "/fdinfo/", fd);
	if (read_file(path, buf, sizeof buf) <= 0)
		return;
	f = strstr(buf, "flags:");
	if (!f)
		return;
	flags = parse_num(f + 6, 8);
	r->getfd = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
	r->getfl = (int32_t)(flags & ~(uint64_t)O_CLOEXEC);
}

/* getsockopt(SOL_SOCKET, opt) on the parent's copy of the fd: the value or -errno. */
static int32_t own_sockopt(int fd, int opt)
{
	int32_t v = 0;
	socklen_t len = sizeof v;

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) == 0 ? v : -errno;
}

/* SO_DOMAIN/TYPE/PROTOCOL through pidfd_getfd: a copy of the child's socket in the parent. */
static void remote_sockopts(const struct watch *w, int32_t fd, struct result_record *r)
{
	long dup;

	if (w->pidfd < 0)
		return;
	dup = SYS3(SYS_pidfd_getfd, w->pidfd, fd, 0);
	if (dup < 0)
		return;
	r->domain = own_sockopt((int)dup, SO_DOMAIN);
	r->type = own_sockopt((int)dup, SO_TYPE);
	r->protocol = own_sockopt((int)dup, SO_PROTOCOL);
	close((int)dup);
}

/*
 * Answers a parked child: what fd really is, seen from outside the filters. Returns 1 when the
 * child may go on (no socket there, so its fd table is still exactly the layout).
 */
static int inspect(const struct watch *w, int32_t fd, struct result_record *r)
{
	char path[64], link[64];
	ssize_t n;

	proc_path(path, sizeof path, w->pid, "/fd/", fd);
	n = readlink(path, link, sizeof link - 1);
	if (n < 0 && errno == ENOENT) {
		r->getfd = r->getfl = r->domain = r->type = r->protocol = -EBADF;
		return 1;
	}
	if (n < 0)
		return 0;
	link[n] = 0;
	fdinfo_flags(w->pid, fd, r);
	if (strncmp(link, "socket:[", 8) != 0) {
		r->domain = r->type = r->protocol = -ENOTSOCK;
		return 1;
	}
	remote_sockopts(w, fd, r);
	return 0;
}

/* Handles a park request, if there is one. */
static void answer_park(const struct watch *w)
{
	uint64_t p = __atomic_load_n(&sh->progress, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&sh->park, __ATOMIC_ACQUIRE) != PARK_ASK)
		return;
	sh->park_keep = (uint32_t)inspect(w, sh->park_fd, &sh->results[p >> 8]);
	__atomic_store_n(&sh->park, PARK_DONE, __ATOMIC_RELEASE);
}

/*
 * One look at a live child: answer a park, detach it once it says it is done (its results are
 * final; its exit may be slow or, under a filter that ERRNOs exit_group, never come), or kill it
 * when nothing moved for timeout_ms (a hang).
 */
static void poke(struct watch *w)
{
	uint64_t now = now_ns();
	uint64_t key = __atomic_load_n(&sh->progress, __ATOMIC_ACQUIRE) << 8
		       | (uint64_t)__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) << 5
		       | __atomic_load_n(&sh->setup_step, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&sh->park, __ATOMIC_ACQUIRE) == PARK_ASK) {
		answer_park(w);
		w->since = now;
		w->slice = FIRST_SLICE_NS;
	} else if (__atomic_load_n(&sh->exiting, __ATOMIC_ACQUIRE)) {
		w->detached = 1;
	} else if (key != w->key) {
		w->key = key;
		w->since = now;
	} else if (now - w->since > w->timeout_ns && !w->timed_out) {
		w->timed_out = 1;
		kill_child(w);
	}
}

/* Seccomp_filters of an exited, unreaped child from /proc/<pid>/status, or -1 if /proc cannot tell. */
static long filters_installed(pid_t pid)
{
	static char buf[8192];
	char path[64];
	const char *f;

	proc_path(path, sizeof path, pid, "/status", -1);
	if (read_file(path, buf, sizeof buf) <= 0)
		return -1;
	f = strstr(buf, "Seccomp_filters:");
	return f ? (long)parse_num(f + 16, 10) : -1;
}

/* Reaps lingering children that have exited; with `block`, waits for the oldest one first. */
static void reap_lingering(int block)
{
	uint32_t i = 0, kept = 0;
	int status;

	for (; i < nlingering; i++) {
		if (waitpid(lingering[i], &status, block && i == 0 ? 0 : WNOHANG) == 0)
			lingering[kept++] = lingering[i];
	}
	nlingering = kept;
}

/* Hands a finished child over to be reaped later, SIGKILLed in case a filter keeps it spinning. */
static void detach(const struct watch *w)
{
	kill_child(w);
	if (nlingering == MAX_LINGERING)
		reap_lingering(1);
	lingering[nlingering++] = w->pid;
}

/*
 * Watches the child until it exits or says it is done. With two or more filters it also checks
 * that all of them were installed: an older filter answering ERRNO(0) to seccomp() makes a newer
 * one "load" without being installed, which the child cannot see from inside.
 */
static int watch_child(struct watch *w)
{
	int status = 0;
	long have;

	for (;;) {
		wait_slice(w);
		if (has_exited(w))
			break;
		poke(w);
		if (w->detached)
			break;
	}
	if (nfilters >= 2 && __atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) == PHASE_CALLS) {
		have = filters_installed(w->pid);
		w->filters_lost = have >= 0 && have < (long)nfilters;
	}
	if (w->detached)
		detach(w);
	else
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
	if (w->pidfd >= 0)
		close(w->pidfd);
	return status;
}

/* Marks calls [from, to) as not run (their results cannot be trusted or never happened). */
static void mark_not_run(uint32_t from, uint32_t to)
{
	for (; from < to && from < ncalls; from++) {
		memset(&sh->results[from], 0, sizeof sh->results[from]);
		sh->results[from].index = from;
		sh->results[from].status = CALL_STATUS_NOT_RUN;
	}
}

/* Records a setup failure in DONE; a death by signal during setup is reported as -signal. */
static void fail_setup(struct done_record *done, uint32_t step, int32_t err)
{
	done->setup_step = step ? step : SETUP_STEP_SYNC;
	done->setup_errno = err;
}

/*
 * What one child's end means for the batch; returns the first call still to run. A call that was
 * in flight gets TIMEOUT (we killed it) or KILLED (a signal, SIGSYS for KILL/TRAP filters).
 */
static uint32_t settle(uint32_t start, int status, const struct watch *w, struct done_record *done)
{
	uint64_t p = sh->progress;
	uint32_t cur = (uint32_t)(p >> 8), stage = (uint32_t)(p & 0xff);
	struct result_record *r = &sh->results[cur < ncalls ? cur : 0];

	if (sh->setup_failed) {
		fail_setup(done, sh->setup_step, sh->setup_errno);
		return ncalls;
	}
	if (sh->phase != PHASE_CALLS) {
		fail_setup(done, sh->setup_step,
			   w->timed_out ? ETIMEDOUT : WIFSIGNALED(status) ? -WTERMSIG(status) : ECHILD);
		return ncalls;
	}
	if (w->filters_lost) {
		fail_setup(done, SETUP_STEP_SECCOMP, 0);
		mark_not_run(start, ncalls);
		return ncalls;
	}
	if (sh->exiting && !w->timed_out)
		return sh->next;
	/* IDLE: killed from outside before its first call; that call stays NOT_RUN, so no retry loop. */
	if (cur >= ncalls || stage == STAGE_DONE || stage == STAGE_IDLE)
		return cur + 1;
	if (stage == STAGE_CALLING) {
		r->status = w->timed_out ? CALL_STATUS_TIMEOUT : CALL_STATUS_KILLED;
		r->signal = WIFSIGNALED(status) ? (uint32_t)WTERMSIG(status) : 0;
	}
	return cur + 1;
}

/* Resets the shared control words before a fork; results of earlier children stay. */
static void reset_shared(uint32_t start)
{
	sh->phase = PHASE_SETUP;
	sh->exiting = 0;
	sh->progress = (uint64_t)start << 8 | STAGE_IDLE;
	sh->next = start;
	sh->park = PARK_NONE;
	sh->setup_step = SETUP_STEP_NONE;
	sh->setup_failed = 0;
	sh->setup_errno = 0;
}

/* Closes both ends of both handshake pipes that are open (-1 entries are skipped). */
static void close_pipes(int *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0)
			close(p[i]);
		p[i] = -1;
	}
}

/* Closes the RUN's namespaces: the next RUN (perhaps another ENV) starts afresh. */
static void drop_namespaces(void)
{
	if (run_ns_net >= 0)
		close(run_ns_net);
	if (run_ns_user >= 0)
		close(run_ns_user);
	run_ns_net = run_ns_user = -1;
}

/*
 * The parent's half of hand_over_namespaces: opens the first child's /proc/<pid>/ns files and
 * lets it go on. If they cannot be opened, later children make their own namespaces, as before.
 */
static void capture_namespaces(pid_t pid, int rd, int wr)
{
	int userns = env.namespaces == NS_USER || env.namespaces == NS_USER_NET;
	char path[64], c;

	if (read(rd, &c, 1) != 1)
		return;
	proc_path(path, sizeof path, pid, "/ns/net", -1);
	run_ns_net = open(path, O_RDONLY | O_CLOEXEC);
	if (userns) {
		proc_path(path, sizeof path, pid, "/ns/user", -1);
		run_ns_user = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (run_ns_net < 0 || (userns && run_ns_user < 0))
		drop_namespaces();
	c = 'k';
	/* A child that cannot be told reads EOF and reports the SYNC step itself. */
	if (write(wr, &c, 1) != 1)
		drop_namespaces();
}

/* Forks one child for calls[start..], waits for it, and returns the first call left to run. */
static uint32_t run_child(uint32_t start, struct done_record *done)
{
	int p[4] = { -1, -1, -1, -1 }; /* parent->child read, write; child->parent read, write */
	int userns = env.namespaces == NS_USER || env.namespaces == NS_USER_NET;
	int first = run_ns_net < 0;
	struct watch w;
	pid_t pid;

	reset_shared(start);
	reap_lingering(0);
	if (vm_mode)
		vm_nr_open_back();
	if (first && (pipe2(p, O_CLOEXEC) || pipe2(p + 2, O_CLOEXEC))) {
		fail_setup(done, SETUP_STEP_FORK, errno);
		close_pipes(p, 4);
		return ncalls;
	}
	pid = fork();
	if (pid == 0)
		child_main(start, p[0], p[3]);
	if (pid < 0) {
		fail_setup(done, SETUP_STEP_FORK, errno);
		close_pipes(p, 4);
		return ncalls;
	}
	done->children++;
	memset(&w, 0, sizeof w);
	w.pid = pid;
	w.pidfd = (int)SYS2(SYS_pidfd_open, pid, 0);
	w.timeout_ns = (uint64_t)(env.timeout_ms ? env.timeout_ms : DEFAULT_TIMEOUT_MS) * 1000000ull;
	w.since = now_ns();
	w.slice = FIRST_SLICE_NS;
	if (first) {
		close(p[0]);
		close(p[3]);
		p[0] = p[3] = -1;
		if (userns)
			sync_maps(pid, p[2], p[1]);
		/* After failed maps the child waits for a reply that never comes: close the pipes. */
		if (!__atomic_load_n(&sh->setup_failed, __ATOMIC_ACQUIRE))
			capture_namespaces(pid, p[2], p[1]);
		close_pipes(p, 4);
	}
	return settle(start, watch_child(&w), &w, done);
}

/* Runs the stored batch child by child until every call has a result or setup failed. */
static void run_batch(struct done_record *done)
{
	uint64_t t0 = now_ns();
	uint32_t start = 0;

	memset(done, 0, sizeof *done);
	mark_not_run(0, ncalls);
	do
		start = run_child(start, done);
	while (start < ncalls && done->setup_step == SETUP_STEP_NONE);
	drop_namespaces();
	done->calls = ncalls;
	done->elapsed_ns = now_ns() - t0;
}

/* Forgets the batch (filters and calls); the env stays until the next ENV. */
static void clear_batch(void)
{
	nfilters = 0;
	ncalls = 0;
	batch_bad = 0;
}

/* Whether any stored call needs the socketcall argument block. */
static int needs_args_block(void)
{
	uint32_t i;

	for (i = 0; i < ncalls; i++) {
		if (calls[i].entry == ENTRY_I386_SOCKETCALL)
			return 1;
	}
	return 0;
}

/* VM mode: the global knobs the ENV asks for, set around one RUN by PID 1 and put back after. */
static char vm_old_file_max[32];
static char vm_old_nr_open[32];
static int vm_holders[MAX_UNIX_HOLD + VM_FILE_PAD];
static uint32_t vm_nholders;

/* Sets fs.file-max and opens the AF_UNIX sockets that unix_nr_socks counts (VM mode only). */
static void vm_globals_set(void)
{
	char v[32];

	vm_old_file_max[0] = 0;
	vm_old_nr_open[0] = 0;
	if (env.nr_open && read_file("/proc/sys/fs/nr_open", vm_old_nr_open, sizeof vm_old_nr_open) <= 0)
		vm_old_nr_open[0] = 0;
	if (env.file_max) {
		if (read_file("/proc/sys/fs/file-max", vm_old_file_max, sizeof vm_old_file_max) <= 0)
			vm_old_file_max[0] = 0;
		put_num(v, sizeof v, 0, (int64_t)env.file_max);
		write_file("/proc/sys/fs/file-max", v, strlen(v));
	}
	for (vm_nholders = 0; vm_nholders < env.unix_socks; vm_nholders++) {
		vm_holders[vm_nholders] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (vm_holders[vm_nholders] < 0)
			break;
	}
	/*
	 * alloc_empty_file's fast test reads nr_files with percpu_counter_read_positive, which lags
	 * the true count by up to a batch (32) per CPU: in a guest with few files it can read 0 and
	 * let a file through above fs.file-max. Holding VM_FILE_PAD more files open makes the count
	 * it reads certainly exceed a small limit.
	 */
	if (env.file_max) {
		uint32_t k;

		for (k = 0; k < VM_FILE_PAD; k++) {
			int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				break;
			vm_holders[vm_nholders++] = fd;
		}
	}
}

/* Puts fs.nr_open back to what it was before the RUN (a child lowers it during its setup). */
static void vm_nr_open_back(void)
{
	if (vm_old_nr_open[0])
		write_file("/proc/sys/fs/nr_open", vm_old_nr_open, strlen(vm_old_nr_open));
}

/* Closes the held sockets and puts fs.file-max and fs.nr_open back. */
static void vm_globals_restore(void)
{
	while (vm_nholders)
		close(vm_holders[--vm_nholders]);
	if (vm_old_file_max[0])
		write_file("/proc/sys/fs/file-max", vm_old_file_max, strlen(vm_old_file_max));
	vm_nr_open_back();
}

/* The words of a result record after its index: what a RESULTS entry may carry. */
#define RESULT_WORDS (sizeof(struct result_record) / 4)

_Static_assert(sizeof(struct result_record) % 4 == 0 && RESULT_WORDS - 1 <= RESULTS_MASK_BITS,
	       "a result record must be whole 32-bit words, one mask bit for each after the index");

/* The mask of words of record `i` that differ from record i - 1 (record -1 is all zeros). */
static uint16_t result_mask(uint32_t i, uint32_t *cur)
{
	static const uint32_t zero[RESULT_WORDS];
	uint32_t prev[RESULT_WORDS];
	uint16_t mask = 0;
	uint32_t w;

	memcpy(cur, &sh->results[i], sizeof(struct result_record));
	memcpy(prev, i ? (const void *)&sh->results[i - 1] : (const void *)zero, sizeof prev);
	for (w = 1; w < RESULT_WORDS; w++)
		if (cur[w] != prev[w])
			mask |= (uint16_t)(1u << (w - 1));
	return mask;
}

/*
 * RESULTS: every call's record, packed as protocol.ts describes (a count, then per call a mask of
 * changed words and those words). Two passes: the frame header needs the length first.
 */
static void send_results(void)
{
	uint32_t cur[RESULT_WORDS], len = 4, i, w;
	uint16_t mask;

	for (i = 0; i < ncalls; i++)
		len += 2 + 4 * (uint32_t)__builtin_popcount(result_mask(i, cur));
	tx_header(KIND_RESULTS, len);
	tx_put(&ncalls, sizeof ncalls);
	for (i = 0; i < ncalls; i++) {
		mask = result_mask(i, cur);
		tx_put(&mask, sizeof mask);
		for (w = 1; w < RESULT_WORDS; w++)
			if (mask & (1u << (w - 1)))
				tx_put(&cur[w], 4);
	}
}

/* RUN: one RESULTS, then DONE; or one ERROR when the batch cannot run at all. */
static void handle_run(void)
{
	struct done_record done;

	if (!have_env || batch_bad) {
		send_error(KIND_RUN, 0, batch_bad ? "batch refused: an earlier frame was rejected"
						   : "RUN before any ENV", -1);
		clear_batch();
		return;
	}
	if (args_block_errno && needs_args_block()) {
		send_error(KIND_RUN, args_block_errno, "socketcall argument block not mapped at 0x10000", -1);
		clear_batch();
		return;
	}
	vm_globals_set();
	run_batch(&done);
	vm_globals_restore();
	send_results();
	tx_header(KIND_DONE, sizeof done);
	tx_put(&done, sizeof done);
	clear_batch();
}

/* ENV: the environment for the next RUNs, validated where C would otherwise misbehave. */
static void handle_env(const uint8_t *p, uint32_t len)
{
	struct env_record e;

	if (len != sizeof e) {
		send_error(KIND_ENV, EINVAL, "ENV payload size", len);
		batch_bad = 1;
		return;
	}
	memcpy(&e, p, sizeof e);
	if (e.ngroups > MAX_GROUPS || e.namespaces > NS_NET) {
		send_error(KIND_ENV, EINVAL, "ENV ngroups or namespaces out of range", -1);
		batch_bad = 1;
		return;
	}
	if (!vm_mode && (e.file_max || e.unix_socks || e.nr_open)) {
		/* The host's global knobs are never changed: only a throwaway VM may. */
		send_error(KIND_ENV, EPERM, "ENV sets global knobs outside a VM", -1);
		batch_bad = 1;
		return;
	}
	if (e.unix_socks > MAX_UNIX_HOLD) {
		send_error(KIND_ENV, EINVAL, "ENV unix_socks above", MAX_UNIX_HOLD);
		batch_bad = 1;
		return;
	}
	env = e;
	have_env = 1;
}

/* FILTER: appends one raw program (count + sock_filter instructions) to the pending stack. */
static void handle_filter(const uint8_t *p, uint32_t len)
{
	struct count_record c;

	if (len < sizeof c || nfilters >= MAX_FILTERS) {
		if (len < sizeof c)
			send_error(KIND_FILTER, EINVAL, "FILTER payload too short", len);
		else
			send_error(KIND_FILTER, E2BIG, "more filters than", MAX_FILTERS);
		batch_bad = 1;
		return;
	}
	memcpy(&c, p, sizeof c);
	if (c.count > MAX_FILTER_INSNS || len != sizeof c + c.count * sizeof(struct insn_record)) {
		send_error(KIND_FILTER, EINVAL, "FILTER count/length mismatch or over", MAX_FILTER_INSNS);
		batch_bad = 1;
		return;
	}
	memcpy(filters[nfilters], p + sizeof c, c.count * sizeof(struct insn_record));
	filter_len[nfilters++] = c.count;
}

/* CALLS: stores the batch, checking every entry path is one the executor knows. */
static void handle_calls(const uint8_t *p, uint32_t len)
{
	struct count_record c;
	uint32_t i;

	memset(&c, 0, sizeof c);
	if (len >= sizeof c)
		memcpy(&c, p, sizeof c);
	if (len < sizeof c || c.count > MAX_CALLS || len != sizeof c + c.count * sizeof(struct call_record)) {
		send_error(KIND_CALLS, EINVAL, "CALLS count/length mismatch or over", MAX_CALLS);
		batch_bad = 1;
		return;
	}
	memcpy(calls, p + sizeof c, c.count * sizeof(struct call_record));
	ncalls = c.count;
	for (i = 0; i < ncalls; i++) {
		if (calls[i].entry > ENTRY_I386_SOCKETCALL) {
			send_error(KIND_CALLS, EINVAL, "unknown entry path in call", i);
			batch_bad = 1;
			return;
		}
	}
}

/* LOOP: the benchmark baseline, the bare call and close in this process, with no protocol between. */
static void handle_loop(const uint8_t *p, uint32_t len)
{
	struct loop_request q;
	struct loop_reply a = { 0, 0, 0 };
	struct call_record c;
	uint64_t t0;
	long ret;

	if (len != sizeof q) {
		send_error(KIND_LOOP, EINVAL, "LOOP payload size", len);
		return;
	}
	memcpy(&q, p, sizeof q);
	if (q.entry > ENTRY_I386_SOCKETCALL || (q.entry == ENTRY_I386_SOCKETCALL && args_block_errno)) {
		send_error(KIND_LOOP, EINVAL, "LOOP entry path unusable", q.entry);
		return;
	}
	c.entry = q.entry;
	c.a0 = q.a0;
	c.a1 = q.a1;
	c.a2 = q.a2;
	t0 = now_ns();
	for (a.iterations = 0; a.iterations < q.iterations; a.iterations++) {
		ret = issue(&c);
		if (ret >= 0) {
			a.successes++;
			SYS1(SYS_close, ret);
		}
	}
	a.elapsed_ns = now_ns() - t0;
	tx_header(KIND_LOOP_REPLY, sizeof a);
	tx_put(&a, sizeof a);
}

#ifndef SOCKSPEC_STATIC
/* The two libseccomp types the executor passes by pointer, as seccomp.h declares them. */
struct scmp_arg_cmp {
	unsigned int arg;
	int op;
	uint64_t datum_a;
	uint64_t datum_b;
};

struct scmp_version {
	unsigned int major;
	unsigned int minor;
	unsigned int micro;
};

/* enum scmp_filter_attr values, checked against libseccomp 2.5.4's seccomp.h. */
#define SCMP_FLTATR_ACT_BADARCH 2
#define SCMP_FLTATR_CTL_OPTIMIZE 8

typedef int (*rule_add_fn)(void *, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);

/* libseccomp, resolved with dlsym: no -dev package and no link-time dependency. */
static struct {
	int tried;
	int ok;
	void *(*init)(uint32_t);
	void (*release)(void *);
	int (*arch_add)(void *, uint32_t);
	int (*attr_set)(void *, int, uint32_t);
	int (*resolve)(const char *);
	rule_add_fn rule_add;
	rule_add_fn rule_add_exact;
	int (*export_bpf)(void *, int);
	const struct scmp_version *(*version)(void);
} lib;

/* dlsym into a function-pointer slot (void * to function pointer is fine on every Linux ABI). */
static int bind_sym(void *h, void *slot, const char *name)
{
	void *f = dlsym(h, name);

	memcpy(slot, &f, sizeof f);
	return f != NULL;
}

/* Loads libseccomp.so.2 on first use; 1 when every symbol resolved. */
static int lib_load(void)
{
	void *h;

	if (lib.tried)
		return lib.ok;
	lib.tried = 1;
	h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 0;
	lib.ok = bind_sym(h, &lib.init, "seccomp_init")
		 && bind_sym(h, &lib.release, "seccomp_release")
		 && bind_sym(h, &lib.arch_add, "seccomp_arch_add")
		 && bind_sym(h, &lib.attr_set, "seccomp_attr_set")
		 && bind_sym(h, &lib.resolve, "seccomp_syscall_resolve_name")
		 && bind_sym(h, &lib.rule_add, "seccomp_rule_add_array")
		 && bind_sym(h, &lib.rule_add_exact, "seccomp_rule_add_exact_array")
		 && bind_sym(h, &lib.export_bpf, "seccomp_export_bpf")
		 && bind_sym(h, &lib.version, "seccomp_version");
	return lib.ok;
}

/* seccomp_version() as three numbers, zeros without libseccomp. */
static void lib_version(struct hello_reply *r)
{
	const struct scmp_version *v;

	if (!lib_load())
		return;
	v = lib.version();
	r->libseccomp = 1;
	r->seccomp_major = v->major;
	r->seccomp_minor = v->minor;
	r->seccomp_micro = v->micro;
}

/* The filter attributes and arches; the text of the first failure, or NULL. */
static const char *configure(void *ctx, const struct compile_header *h, int *rc)
{
	uint32_t i;

	if (h->bad_arch_action != BAD_ARCH_DEFAULT) {
		*rc = lib.attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, h->bad_arch_action);
		if (*rc)
			return "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH) failed";
	}
	if (h->optimize && (*rc = lib.attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, h->optimize)))
		return "seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE) failed";
	for (i = 0; i < h->narches; i++) {
		*rc = lib.arch_add(ctx, h->arches[i]);
		if (*rc && *rc != -EEXIST)
			return "seccomp_arch_add failed for arch index";
	}
	return NULL;
}

/* One rule: resolve the name (unknown names are skipped with nr -1, as runc does), then add it. */
static struct rc_record add_rule(void *ctx, const struct compile_rule *r)
{
	struct scmp_arg_cmp conds[MAX_CONDS];
	struct rc_record out = { 0, -1 };
	char name[SYSCALL_NAME_LEN + 1];
	uint32_t i;

	memcpy(name, r->name, SYSCALL_NAME_LEN);
	name[SYSCALL_NAME_LEN] = 0;
	out.nr = lib.resolve(name);
	if (out.nr == -1)
		return out;
	for (i = 0; i < r->ncond; i++) {
		conds[i].arg = r->cond_arg[i];
		conds[i].op = (int)r->cond_op[i];
		conds[i].datum_a = r->cond_a[i];
		conds[i].datum_b = r->cond_b[i];
	}
	out.rc = (r->exact ? lib.rule_add_exact : lib.rule_add)(ctx, r->action, out.nr, r->ncond, conds);
	return out;
}

static struct insn_record exported[MAX_EXPORT_INSNS];
static struct rc_record rcs[MAX_RULES];

/* seccomp_export_bpf into a memfd, read back as instructions; the instruction count or -errno. */
static long export_program(void *ctx, int *rc)
{
	int fd = memfd_create("sockspec-bpf", MFD_CLOEXEC);
	off_t size;
	ssize_t n;

	if (fd < 0)
		return -errno;
	*rc = lib.export_bpf(ctx, fd);
	size = lseek(fd, 0, SEEK_CUR);
	if (*rc || size < 0 || (size_t)size > sizeof exported) {
		close(fd);
		return size < 0 ? -errno : *rc ? 0 : -E2BIG;
	}
	n = pread(fd, exported, (size_t)size, 0);
	close(fd);
	return n < 0 ? -errno : n / (ssize_t)sizeof(struct insn_record);
}

/* Sends COMPILED: the header, one rc per rule, then the program. */
static void send_compiled(uint32_t init_ok, uint32_t nrules, int32_t export_rc, uint32_t ninsns)
{
	struct compiled_header c = { init_ok, nrules, export_rc, ninsns };

	tx_header(KIND_COMPILED, (uint32_t)(sizeof c + nrules * sizeof(struct rc_record)
					    + ninsns * sizeof(struct insn_record)));
	tx_put(&c, sizeof c);
	tx_put(rcs, nrules * sizeof(struct rc_record));
	tx_put(exported, ninsns * sizeof(struct insn_record));
}

/* Builds the policy in libseccomp exactly as the request lists it, then exports it. */
static void compile_policy(const struct compile_header *h, const uint8_t *rules)
{
	struct compile_rule r;
	const char *why;
	int rc = 0;
	long n;
	uint32_t i;
	void *ctx = lib.init(h->default_action);

	if (!ctx) {
		send_compiled(0, 0, 0, 0);
		return;
	}
	why = configure(ctx, h, &rc);
	if (why) {
		send_error(KIND_COMPILE, -rc, why, -1);
		lib.release(ctx);
		return;
	}
	for (i = 0; i < h->nrules; i++) {
		memcpy(&r, rules + i * sizeof r, sizeof r);
		rcs[i] = add_rule(ctx, &r);
	}
	n = export_program(ctx, &rc);
	lib.release(ctx);
	if (n < 0)
		send_error(KIND_COMPILE, (int)-n, "exporting the program failed", -1);
	else
		send_compiled(1, h->nrules, rc, (uint32_t)n);
}

/* COMPILE: validates the request, loads libseccomp if needed, and answers COMPILED or ERROR. */
static void handle_compile(const uint8_t *p, uint32_t len)
{
	struct compile_header h;
	uint32_t i;

	memset(&h, 0, sizeof h);
	if (len >= sizeof h)
		memcpy(&h, p, sizeof h);
	if (len < sizeof h || h.narches > MAX_ARCHES || h.nrules > MAX_RULES
	    || len != sizeof h + h.nrules * sizeof(struct compile_rule)) {
		send_error(KIND_COMPILE, EINVAL, "COMPILE size, arches or rules out of range", -1);
		return;
	}
	for (i = 0; i < h.nrules; i++) {
		const struct compile_rule *r = (const void *)(p + sizeof h + i * sizeof(struct compile_rule));

		if (r->ncond > MAX_CONDS) {
			send_error(KIND_COMPILE, EINVAL, "too many conditions in rule", i);
			return;
		}
	}
	if (!lib_load()) {
		send_error(KIND_COMPILE, ENOENT, "libseccomp.so.2 could not be loaded", -1);
		return;
	}
	compile_policy(&h, p + sizeof h);
}
#else
/* The static build has no dlopen: it reports no libseccomp. */
static void lib_version(struct hello_reply *r)
{
	(void)r;
}

/* The static build cannot compile policies; the host compiles with the dynamic executor. */
static void handle_compile(const uint8_t *p, uint32_t len)
{
	(void)p;
	(void)len;
	send_error(KIND_COMPILE, ENOSYS, "static build: no libseccomp, use the dynamic executor", -1);
}
#endif

/* HELLO: protocol version, libseccomp (loaded here, lazily) and the executor's own uid. */
static void handle_hello(void)
{
	struct hello_reply r;

	memset(&r, 0, sizeof r);
	r.version = PROTOCOL_VERSION;
	r.uid = (uint32_t)getuid();
	lib_version(&r);
	tx_header(KIND_HELLO_REPLY, sizeof r);
	tx_put(&r, sizeof r);
}

/*
 * VM mode: the executor is PID 1 of a throwaway QEMU guest (oracle/vm/). It mounts /proc and
 * /dev, reads its requests from /requests (appended to the initramfs as a second archive) and
 * writes its replies to the second UART, /dev/ttyS1, in raw mode: the console (ttyS0) carries
 * kernel messages that would interleave with them. SOCKSPEC_MODULES (from the kernel command
 * line) is "preload" (modprobe every alias in /preload, then forbid loading: order-independent
 * answers), "autoload" (the kernel loads modules on demand, as an installed system does) or
 * "none" (loading forbidden). At the end it powers the guest off; PID 1 must never exit.
 */
/* VM mode's end: flush the replies, let the UART drain, power the guest off. */
static void vm_end(void)
{
	tx_flush();
	tcdrain(1);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* Runs the guest's /sbin/modprobe (busybox) for one alias or module name and waits for it. */
static void vm_modprobe(const char *alias)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { "modprobe", "-q", "--", (char *)alias, NULL };
		char *envp[] = { "PATH=/sbin:/bin", NULL };

		execve("/sbin/modprobe", argv, envp);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

/* Loads every alias or module name listed in /preload, one per line. */
static void vm_preload(void)
{
	static char list[1 << 16];
	ssize_t n = read_file("/preload", list, sizeof list);
	char *p = list, *end;

	if (n <= 0)
		return;
	end = list + n;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			nl = end;
		*nl = 0;
		if (*p)
			vm_modprobe(p);
		p = nl + 1;
	}
}

/* PID 1's setup: /proc and /dev, replies to ttyS1 in raw mode, requests from /requests, modules. */
static void vm_init(void)
{
	const char *modules = getenv("SOCKSPEC_MODULES");
	const char *out;
	struct termios t;
	int fd;

	vm_mode = 1;
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	out = getenv("SOCKSPEC_REPLIES");
	if (out != NULL && strcmp(out, "debugcon") == 0 && syscall(SYS_ioperm, 0xe9, 1, 1) == 0)
		reply_port = 0xe9;
	fd = reply_port ? -1 : open("/dev/ttyS1", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		if (tcgetattr(fd, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(fd, TCSANOW, &t);
		}
		dup2(fd, 1);
		if (fd != 1)
			close(fd);
	}
	fd = open("/requests", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		if (fd != 0)
			close(fd);
	}
	if (modules != NULL && strcmp(modules, "preload") == 0)
		vm_preload();
	if (modules == NULL || strcmp(modules, "autoload") != 0) {
		fd = open("/proc/sys/kernel/modprobe", O_WRONLY);
		if (fd >= 0) {
			/* An empty modprobe path: request_module() returns at once, nothing loads. */
			if (write(fd, "\n", 1) < 0)
				(void)0;
			close(fd);
		}
	}
}

/* Routes one complete request frame to its handler. */
static void serve(const struct frame_header *h, const uint8_t *p)
{
	switch (h->kind) {
	case KIND_HELLO:
		handle_hello();
		break;
	case KIND_ENV:
		handle_env(p, h->length);
		break;
	case KIND_FILTER:
		handle_filter(p, h->length);
		break;
	case KIND_CALLS:
		handle_calls(p, h->length);
		break;
	case KIND_RUN:
		handle_run();
		break;
	case KIND_COMPILE:
		handle_compile(p, h->length);
		break;
	case KIND_LOOP:
		handle_loop(p, h->length);
		break;
	case KIND_QUIT:
		tx_flush();
		if (vm_mode)
			vm_end();
		_exit(0);
	default:
		send_error(h->kind, EINVAL, "unknown frame kind", h->kind);
	}
}

/*
 * The request loop. A frame too large for any request is skipped with an ERROR (its length is
 * trusted because the magic was right), so one bad request never ends the session.
 */
int main(void)
{
	struct frame_header h;

	signal(SIGPIPE, SIG_IGN);
	if (getpid() == 1)
		vm_init();
	parent_pid = getpid();
	if (map_areas())
		return 1;
	while (next_header(&h) == 0) {
		if (h.length > sizeof rx) {
			send_error(h.kind, E2BIG, "frame payload too large; skipped, bytes:", h.length);
			if (skip_bytes(h.length))
				break;
		} else if (read_full(0, rx, h.length) == 0) {
			serve(&h, rx);
		} else {
			break;
		}
		tx_flush();
	}
	tx_flush();
	if (vm_mode)
		vm_end();
	return 0;
}
