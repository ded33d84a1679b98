/*
 * RACE: SOCK_CLOEXEC and SOCK_NONBLOCK promise that a new socket's fd is never visible without its
 * flags. A forked child (threads never touch the executor's own state: the executor stays single-
 * threaded) runs for duration_ms:
 *   creators  threads that make AF_UNIX stream sockets, AF_UNIX stream pairs and AF_INET datagram
 *             sockets (creating one sends no packet) and close them again; ATOMIC passes the flags
 *             in the type, FCNTL creates the socket bare and sets FD_CLOEXEC and O_NONBLOCK with
 *             fcntl() after it, the non-atomic idiom the check must be able to catch;
 *   forker    a thread that spawns probes one after another: this binary again (/proc/self/exe,
 *             RACE_PROBE_ARG), which counts the sockets it inherited across execve and exits with
 *             that count; a socket there kept no FD_CLOEXEC through the fork;
 *   watcher   a thread that reads F_GETFD and F_GETFL of every fd number the creators can get, over
 *             and over; an open socket fd without FD_CLOEXEC or O_NONBLOCK is "unflagged".
 * The child holds nothing but /dev/null on fds 0-2 and the race's own sockets, so every count is a
 * real violation; ATOMIC must show none, FCNTL shows some in the same time (the check can fail).
 * The counts come back through a shared page; a child past duration_ms + RACE_MARGIN_MS is killed
 * with its process group (its probes).
 * Sources: docs/kernel.md §4.1; oracle/protocol.ts (RACE_REQUEST, RACE_REPLY).
 */
#include "executor.h"

#include <pthread.h>
#include <spawn.h>

/* Fds the probe looks at: beyond any fd the creators can get (3 + 4 * RACE_MAX_CREATORS). */
#define RACE_FD_SCAN 256
/* A probe's exit status is its count of sockets, capped here; anything above is a failed probe. */
#define RACE_PROBE_CAP 100
/* Fds one creator holds at once: a socket, a pair and a datagram socket. */
#define RACE_FDS_PER_CREATOR 4
/* How long past duration_ms the child may take to stop its threads and report. */
#define RACE_MARGIN_MS 5000u
/* The threads' stacks (nothing deep runs on them). */
#define RACE_STACK (256u << 10)

_Static_assert(3 + RACE_FDS_PER_CREATOR * RACE_MAX_CREATORS <= RACE_FD_SCAN,
	       "the probe must see every race fd");

/* The page shared by the executor and the race child (MAP_SHARED before the fork). */
struct race_state {
	uint32_t mode;
	uint32_t creators;
	uint32_t stop;
	int32_t err;
	uint32_t probes;
	uint32_t leaky_probes;
	uint64_t leaked;
	uint64_t created;
	uint64_t watched;
	uint64_t unflagged;
	uint64_t elapsed_ns;
};

static struct race_state *rs;

/* Records the first setup failure (errno) of the race. */
static void race_fail(int err)
{
	int32_t none = 0;

	__atomic_compare_exchange_n(&rs->err, &none, err ? err : EIO, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Whether the race's time is up. */
static int race_stopped(void)
{
	return __atomic_load_n(&rs->stop, __ATOMIC_RELAXED) != 0;
}

/* FCNTL mode: the non-atomic idiom, the flags set after the fd is already in the table. */
static void set_flags_late(int fd)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* One creator: sockets, pairs and datagram sockets made and closed until the time is up. */
static void *creator(void *arg)
{
	int atomic = rs->mode == RACE_MODE_ATOMIC;
	int fl = atomic ? SOCK_CLOEXEC | SOCK_NONBLOCK : 0;
	uint64_t made = 0;
	int last_err = 0;
	int a, b, p[2];

	(void)arg;
	while (!race_stopped()) {
		a = socket(AF_UNIX, SOCK_STREAM | fl, 0);
		if (a < 0)
			last_err = errno;
		else if (!atomic)
			set_flags_late(a);
		if (socketpair(AF_UNIX, SOCK_STREAM | fl, 0, p) < 0) {
			last_err = errno;
			p[0] = p[1] = -1;
		} else if (!atomic) {
			set_flags_late(p[0]);
			set_flags_late(p[1]);
		}
		/* AF_INET may be missing from a kernel: then only the AF_UNIX ones count. */
		b = socket(AF_INET, SOCK_DGRAM | fl, 0);
		if (b >= 0 && !atomic)
			set_flags_late(b);
		made += (uint64_t)(a >= 0) + 2u * (p[0] >= 0) + (uint64_t)(b >= 0);
		if (a >= 0)
			close(a);
		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		if (b >= 0)
			close(b);
	}
	__atomic_add_fetch(&rs->created, made, __ATOMIC_RELAXED);
	if (made == 0)
		race_fail(last_err);
	return NULL;
}

/*
 * The watcher: every fd number a creator can get, read over and over. A socket is new when its
 * inode differs from the last one seen at that number; each is counted unflagged at most once.
 * Only sockets count (nothing else of the child can be in the range, but a miscount must not pass).
 */
static void *watcher(void *arg)
{
	uint64_t ino[RACE_FD_SCAN], bad[RACE_FD_SCAN], seen = 0, unflagged = 0;
	int hi = 3 + RACE_FDS_PER_CREATOR * (int)rs->creators, fd, fdf, fl;
	struct stat st;

	(void)arg;
	memset(ino, 0, sizeof ino);
	memset(bad, 0, sizeof bad);
	while (!race_stopped()) {
		for (fd = 3; fd < hi; fd++) {
			fdf = fcntl(fd, F_GETFD);
			if (fdf < 0)
				continue;
			fl = fcntl(fd, F_GETFL);
			if (fl < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
				continue;
			if (st.st_ino != ino[fd]) {
				ino[fd] = st.st_ino;
				seen++;
			}
			if ((!(fdf & FD_CLOEXEC) || !(fl & O_NONBLOCK)) && bad[fd] != st.st_ino) {
				bad[fd] = st.st_ino;
				unflagged++;
			}
		}
	}
	__atomic_add_fetch(&rs->watched, seen, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rs->unflagged, unflagged, __ATOMIC_RELAXED);
	return NULL;
}

/* Counts a reaped probe's report (its exit status); a probe that ended otherwise is a failure. */
static void count_probe(int status, uint32_t *failed)
{
	uint32_t n;

	if (!WIFEXITED(status) || WEXITSTATUS(status) > RACE_PROBE_CAP) {
		(*failed)++;
		return;
	}
	n = (uint32_t)WEXITSTATUS(status);
	rs->probes++;
	if (n) {
		rs->leaky_probes++;
		rs->leaked += n;
	}
}

/*
 * The forker: probes spawned one after another (posix_spawn: a vfork-style clone, so each spawn
 * copies the fd table at one instant, the moment a socket without FD_CLOEXEC leaks), each reaped
 * before the next. The child has no other children, so the probes are all there is to wait for.
 */
static void *forker(void *arg)
{
	static char probe_arg[] = RACE_PROBE_ARG;
	static char exe[] = "/proc/self/exe";
	char *argv[] = { exe, probe_arg, NULL };
	char *envp[] = { NULL };
	uint32_t failed = 0;
	int status, r;
	pid_t pid;

	(void)arg;
	while (!race_stopped()) {
		r = posix_spawn(&pid, exe, NULL, NULL, argv, envp);
		if (r) {
			race_fail(r);
			break;
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		count_probe(status, &failed);
	}
	if (failed && rs->probes == 0)
		race_fail(ENOEXEC);
	return NULL;
}

/* Leaves the child /dev/null on 0-2 and nothing else: only the race's sockets can be found. */
static int race_fds(void)
{
	int fd;

	SYS3(SYS_close_range, 3, ~0u, 0);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return -1;
	if (fd > 2)
		close(fd);
	return 0;
}

/* The race child: fds, then the threads for the duration, then the counts in the shared page. */
static __attribute__((noreturn)) void race_child(uint32_t duration_ms)
{
	pthread_t th[RACE_MAX_CREATORS + 2];
	pthread_attr_t attr;
	uint32_t n = 0, i;
	struct timespec end;
	uint64_t t0;
	int r;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent_pid)
		_exit(1);
	setpgid(0, 0);
	if (race_fds() < 0) {
		race_fail(errno);
		_exit(0);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RACE_STACK);
	t0 = now_ns();
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += duration_ms / 1000;
	end.tv_nsec += (long)(duration_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	r = pthread_create(&th[n], &attr, watcher, NULL);
	n += r == 0;
	for (i = 0; r == 0 && i < rs->creators; i++) {
		r = pthread_create(&th[n], &attr, creator, NULL);
		n += r == 0;
	}
	if (r == 0) {
		r = pthread_create(&th[n], &attr, forker, NULL);
		n += r == 0;
	}
	if (r)
		race_fail(r);
	else
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) == EINTR)
			;
	__atomic_store_n(&rs->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	rs->elapsed_ns = now_ns() - t0;
	_exit(0);
}

/* Waits for the race child until `deadline` (ns); past it kills its process group. 0 or -errno. */
static int race_wait(pid_t pid, uint64_t deadline)
{
	int pidfd = (int)SYS2(SYS_pidfd_open, pid, 0), status = 0, killed = 0;
	struct timespec ts;
	struct pollfd p;
	uint64_t now, left;

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		now = now_ns();
		if (now >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = 1;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		left = deadline - now < 10000000ull ? deadline - now : 10000000ull;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		p.fd = pidfd;
		p.events = POLLIN;
		if (pidfd >= 0)
			ppoll(&p, 1, &ts, NULL);
		else
			nanosleep(&ts, NULL);
	}
	if (pidfd >= 0)
		close(pidfd);
	/* Probes of a killed child were reparented; in a VM they are PID 1's to reap. */
	while (killed && waitpid(-pid, NULL, WNOHANG) > 0)
		;
	if (killed)
		return -ETIMEDOUT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* RACE: validates the request, runs the race child, and replies RACE_REPLY (err set on failure). */
void handle_race(const uint8_t *p, uint32_t len)
{
	struct race_request q;
	struct race_reply a;
	uint64_t deadline;
	pid_t pid;
	int r;

	if (len != sizeof q) {
		send_error(KIND_RACE, EINVAL, "RACE payload size", len);
		return;
	}
	memcpy(&q, p, sizeof q);
	if (q.mode > RACE_MODE_FCNTL || q.creators == 0 || q.creators > RACE_MAX_CREATORS ||
	    q.duration_ms == 0 || q.duration_ms > RACE_MAX_MS) {
		send_error(KIND_RACE, EINVAL, "RACE mode, creators or duration_ms out of range", -1);
		return;
	}
	memset(&a, 0, sizeof a);
	rs = mmap(NULL, sizeof *rs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rs == MAP_FAILED) {
		rs = NULL;
		a.err = errno;
		tx_header(KIND_RACE_REPLY, sizeof a);
		tx_put(&a, sizeof a);
		return;
	}
	memset(rs, 0, sizeof *rs);
	rs->mode = q.mode;
	rs->creators = q.creators;
	deadline = now_ns() + (uint64_t)(q.duration_ms + RACE_MARGIN_MS) * 1000000ull;
	pid = fork();
	if (pid == 0)
		race_child(q.duration_ms);
	if (pid < 0) {
		a.err = errno;
	} else {
		setpgid(pid, pid);
		r = race_wait(pid, deadline);
		a.err = rs->err ? rs->err : -r;
	}
	a.probes = rs->probes;
	a.leaky_probes = rs->leaky_probes;
	a.leaked = rs->leaked;
	a.created = rs->created;
	a.watched = rs->watched;
	a.unflagged = rs->unflagged;
	a.elapsed_ns = rs->elapsed_ns;
	munmap(rs, sizeof *rs);
	rs = NULL;
	tx_header(KIND_RACE_REPLY, sizeof a);
	tx_put(&a, sizeof a);
}

/*
 * `sockspec-executor --race-probe` (spawned by the race's forker): the number of sockets among
 * this process's fds, as the exit status (capped at RACE_PROBE_CAP). fstat opens nothing.
 */
int race_probe(void)
{
	struct stat st;
	int fd, n = 0;

	for (fd = 0; fd < RACE_FD_SCAN; fd++)
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			n++;
	return n > RACE_PROBE_CAP ? RACE_PROBE_CAP : n;
}
