/*
 * The parent's side of a RUN: it forks a child per stretch of calls (child.c), writes the user
 * namespace's id maps and keeps the first child's namespaces for the later ones, watches the child
 * through a pidfd and the shared page (answering parks from outside the filters, killing hangs,
 * detaching a child that is done but cannot exit), and settles what each child's end means.
 * Sources: docs/seccomp.md §5 (harness); docs/kernel.md §2-§6.
 */
#include "executor.h"

/* The watch's first and longest sleep (see wait_slice), and how many detached children may linger. */
#define FIRST_SLICE_NS 50000ull
#define SLICE_NS 1000000ull
#define MAX_LINGERING 64u

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

/* Detached children not reaped yet (see detach). */
static pid_t lingering[MAX_LINGERING];
static uint32_t nlingering;

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
		ppoll(&p, 1, &ts, vm_mode ? vm_watch_mask() : NULL);
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
	struct result_record *r = &sh->results[p >> 8];

	if (__atomic_load_n(&sh->park, __ATOMIC_ACQUIRE) != PARK_ASK)
		return;
	if (__atomic_load_n(&sh->park_end, __ATOMIC_ACQUIRE))
		r = &sh->park_scratch;
	sh->park_keep = (uint32_t)inspect(w, sh->park_fd, r);
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
	} else if (vm_mode && __atomic_load_n(&sh->knobs, __ATOMIC_ACQUIRE) == KNOBS_ASK) {
		vm_lower_knobs();
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
	sh->knobs = KNOBS_NONE;
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

/*
 * VM mode: the namespaces of recent RUNs, kept for later RUNs whose ENV asks for the same shape.
 * Under emulation making a network namespace (every pernet init of every loaded family module)
 * and tearing it down (cleanup_net) is most of a small RUN's cost; a namespace whose sockets are
 * all closed answers socket() as a fresh one with the same sysctls does. A kept namespace whose
 * sysctls differ from the ENV's has the ENV's written by the RUN's first child (run_ns_rewrite);
 * until that RUN's setup has succeeded its values are unknown (NS_UNKNOWN) and always rewritten.
 * The host never keeps them: there each RUN starts afresh.
 */
#define NS_CACHE 8
#define NS_UNKNOWN 0xffffffffu
static struct ns_entry {
	uint32_t shape, ping_lo, ping_hi;
	int32_t mptcp;
	int net, user;
	uint64_t used;
} ns_cache[NS_CACHE];
static uint64_t ns_clock;
/* Whether run_ns_net/run_ns_user belong to ns_cache (borrowed) rather than to this RUN, and which entry. */
static int ns_borrowed;
static struct ns_entry *ns_entry;

/* Whether entry e holds namespaces of the current ENV's shape with its sysctls already in place. */
static int ns_same_sysctls(const struct ns_entry *e)
{
	return e->ping_lo != NS_UNKNOWN && e->ping_lo == env.ping_lo && e->ping_hi == env.ping_hi &&
	       e->mptcp == env.mptcp;
}

/*
 * Whether entry e holds namespaces the current ENV can use: its shape, and sysctls that can be
 * written (an ENV's mptcp -1 leaves the value as it is, so only a namespace at -1 will do).
 */
static int ns_usable(const struct ns_entry *e)
{
	return e->net > 0 && e->shape == env.namespaces && (env.mptcp != -1 || e->mptcp == -1);
}

/*
 * VM mode, at a RUN's start: borrows cached namespaces of this ENV's shape, if any, preferring
 * ones with its sysctls; otherwise the first child writes them.
 */
static void borrow_namespaces(void)
{
	int i, pick = -1;

	ns_borrowed = 0;
	ns_entry = NULL;
	run_ns_rewrite = 0;
	for (i = 0; vm_mode && i < NS_CACHE; i++) {
		if (!ns_usable(&ns_cache[i]))
			continue;
		if (pick < 0 || (ns_same_sysctls(&ns_cache[i]) && !ns_same_sysctls(&ns_cache[pick])))
			pick = i;
	}
	if (pick < 0)
		return;
	ns_entry = &ns_cache[pick];
	run_ns_net = ns_entry->net;
	run_ns_user = ns_entry->user;
	ns_entry->used = ++ns_clock;
	ns_borrowed = 1;
	if (!ns_same_sysctls(ns_entry)) {
		run_ns_rewrite = 1;
		ns_entry->ping_lo = NS_UNKNOWN;
	}
}

/* VM mode, at a RUN's end: keeps the namespaces this RUN made, in place of the least recently used. */
static int keep_namespaces(void)
{
	int i, lru = 0;

	if (!vm_mode || run_ns_net < 0)
		return 0;
	for (i = 0; i < NS_CACHE; i++)
		if (ns_cache[i].used < ns_cache[lru].used)
			lru = i;
	if (ns_cache[lru].net > 0) {
		close(ns_cache[lru].net);
		if (ns_cache[lru].user >= 0)
			close(ns_cache[lru].user);
	}
	ns_cache[lru] = (struct ns_entry){ env.namespaces, env.ping_lo, env.ping_hi, env.mptcp,
					   run_ns_net, run_ns_user, ++ns_clock };
	run_ns_net = run_ns_user = -1;
	return 1;
}

/* Closes the RUN's namespaces (or keeps them, see ns_cache): the next RUN starts afresh. */
static void drop_namespaces(void)
{
	int i;

	if (ns_borrowed) {
		/* Borrowed namespaces stay in the cache, unless the RUN's setup failed in them. */
		for (i = 0; sh->setup_failed && i < NS_CACHE; i++) {
			if (ns_cache[i].net != run_ns_net)
				continue;
			close(ns_cache[i].net);
			if (ns_cache[i].user >= 0)
				close(ns_cache[i].user);
			ns_cache[i].net = ns_cache[i].user = -1;
			ns_cache[i].used = 0;
		}
		ns_borrowed = 0;
		run_ns_net = run_ns_user = -1;
		return;
	}
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
		vm_knobs_back();
	if (first && (pipe2(p, O_CLOEXEC) || pipe2(p + 2, O_CLOEXEC))) {
		fail_setup(done, SETUP_STEP_FORK, errno);
		close_pipes(p, 4);
		return ncalls;
	}
	pid = fork();
	if (pid == 0) {
		/* Only the parent's ends stay with the parent: if it dies, the child reads EOF. */
		if (p[1] >= 0)
			close(p[1]);
		if (p[2] >= 0)
			close(p[2]);
		child_main(start, p[0], p[3]);
	}
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
void run_batch(struct done_record *done)
{
	uint64_t t0 = now_ns();
	uint32_t start = 0;

	memset(done, 0, sizeof *done);
	mark_not_run(0, ncalls);
	memset(sh->snap_count, 0, sizeof sh->snap_count);
	borrow_namespaces();
	/* A sequence is one child: after it dies, the table its later steps would see is gone. */
	do {
		start = run_child(start, done);
		/* The first child wrote the sysctls into borrowed namespaces, or failed its setup. */
		run_ns_rewrite = 0;
	} while (start < ncalls && done->setup_step == SETUP_STEP_NONE && !env.sequence);
	if (ns_borrowed && done->setup_step == SETUP_STEP_NONE && ns_entry->ping_lo == NS_UNKNOWN) {
		ns_entry->ping_lo = env.ping_lo;
		ns_entry->ping_hi = env.ping_hi;
		ns_entry->mptcp = env.mptcp;
	}
	/* Namespaces of a RUN whose setup failed may be half made: never kept. */
	if (ns_borrowed || done->setup_step != SETUP_STEP_NONE || !keep_namespaces())
		drop_namespaces();
	done->calls = ncalls;
	done->elapsed_ns = now_ns() - t0;
}
