/*
 * Child setup: a forked child builds exactly the environment of the ENV record (limits, namespaces
 * and per-netns sysctls, the fd layout, credentials, filters, in that order; see child_main), then
 * runs the calls (call.c). It reports only through the shared page, never through a pipe a filter
 * could deny, and leaves with exit_group, exit, or a spin the parent ends.
 * Sources: docs/kernel.md §2-§6; docs/seccomp.md §5 (harness).
 */
#include "executor.h"

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
 * its namespaces (see run_ns_net in executor.h), so this is a safety net: wait, 2 ms at a time
 * and at most 3 s, well inside the call timeout the parent enforces.
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
 * a VM without /proc/sys, or a kernel without MPTCP, working for the defaults. `all` writes the
 * defaults too, over what an earlier RUN left in a kept namespace (mptcp -1 is never written).
 */
static void write_sysctls(int all)
{
	char v[32];
	size_t n;

	if (all || !(env.ping_lo == 1 && env.ping_hi == 0)) {
		n = put_num(v, sizeof v, 0, env.ping_lo);
		n = put_str(v, sizeof v, n, " ");
		put_num(v, sizeof v, n, env.ping_hi);
		write_sysctl(SETUP_STEP_SYSCTL_PING, "/proc/sys/net/ipv4/ping_group_range", v);
	}
	if (env.mptcp != -1 && (all || env.mptcp != 1)) {
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

/* The RUN's namespaces, shared with the parent (see executor.h); -1 while there are none. */
int run_ns_net = -1;
int run_ns_user = -1;
int run_ns_rewrite;

/* setns(fd, type) as setup step `step`. */
static void join_ns(uint32_t step, int fd, int type)
{
	begin(step);
	check(step, SYS2(SYS_setns, fd, type));
}

/*
 * A later child: the first child's namespaces, joined in the order that child made them, so the
 * same user namespace owns the netns. Its sysctls are already written, unless the namespaces are
 * a kept RUN's with other values (run_ns_rewrite): they are written where the first child of that
 * RUN wrote them, in the netns and in the user namespace that owns it.
 */
static void join_namespaces(void)
{
	if (env.namespaces == NS_USER_NET)
		join_ns(SETUP_STEP_UNSHARE_USER, run_ns_user, CLONE_NEWUSER);
	join_ns(SETUP_STEP_UNSHARE_NET, run_ns_net, CLONE_NEWNET);
	if (run_ns_rewrite)
		write_sysctls(1);
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
	write_sysctls(0);
	if (env.namespaces == NS_USER)
		enter_userns(rd, wr);
	hand_over_namespaces(rd, wr);
}

/* Whether bit fd is set in one of the env's fd bitmaps. */
static int has_bit(const uint8_t *bits, uint32_t fd)
{
	return (bits[fd / 8] >> (fd % 8)) & 1;
}

/*
 * Closes every fd, the executor's pipes included, and leaves the child a fd table of its own at
 * the smallest size (CLOSE_RANGE_UNSHARE: the new table is sized for the fds that remain, none),
 * so the layout alone decides when a new fd makes it grow. A table copied from a parent that once
 * held high fds would otherwise be larger than the layout's (fs.nr_open would then refuse nothing).
 * On kernels before 5.9, a loop closes them and unshare(CLONE_FILES) makes the small table.
 */
static void close_all(void)
{
	long fd;

	if (SYS3(SYS_close_range, 0, ~0u, CLOSE_RANGE_UNSHARE) == 0)
		return;
	for (fd = 0; fd < (long)MAX_LAYOUT_FD + 64; fd++)
		SYS1(SYS_close, fd);
	SYS1(SYS_unshare, CLONE_FILES);
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

/*
 * VM mode: fs.nr_open and fs.file-max go down only once the child's setup has opened its last
 * file. fs.nr_open must follow the exact RLIMIT_NOFILE (setrlimit refuses a limit above it) and
 * the fd layout; a small fs.file-max would refuse the child's own setup (the per-netns sysctls,
 * the layout's /dev/null) wherever it lacks CAP_SYS_ADMIN in the initial user namespace, as in a
 * user namespace. Writing a knob from the child would also open a file there and take the lowest
 * free fd. So the child asks PID 1 (sh->knobs, woken by SIGUSR2; vm.c vm_lower_knobs) and waits on
 * the futex; a lost signal only delays the answer to PID 1's next look. PID 1 puts the old values
 * back before the next child and after the RUN (vm_knobs_back).
 */
static void lower_knobs(void)
{
	uint32_t k;

	if (!env.nr_open && !env.file_max)
		return;
	begin(SETUP_STEP_SYSCTL_NR_OPEN);
	__atomic_store_n(&sh->knobs, KNOBS_ASK, __ATOMIC_RELEASE);
	SYS2(SYS_kill, parent_pid, SIGUSR2);
	while ((k = __atomic_load_n(&sh->knobs, __ATOMIC_ACQUIRE)) == KNOBS_ASK)
		SYS4(SYS_futex, &sh->knobs, FUTEX_WAIT, KNOBS_ASK, 0);
	check(SETUP_STEP_SYSCTL_NR_OPEN, k == KNOBS_DONE ? 0 : -EPERM);
}

/*
 * The child: limits, namespaces and sysctls, fd layout, credentials, filters (in that order,
 * see each step), then the calls from `start`. It never returns and reports only via `sh`.
 */
__attribute__((noreturn)) void child_main(uint32_t start, int rd, int wr)
{
	uint32_t i;

	/*
	 * Dies with the executor from the first moment: a SIGKILLed executor must not leave a child
	 * waiting for a handshake that never comes, holding the runner's pipes open. The credential
	 * changes clear this; tie_to_parent sets it again after them.
	 */
	SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (SYS1(SYS_getppid, 0) != parent_pid)
		leave();
	raise_limits();
	enter_namespaces(rd, wr);
	lay_out_fds();
	lower_knobs();
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
