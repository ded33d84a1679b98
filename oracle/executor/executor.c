/*
 * sockspec executor: replays socket(2) calls on the running kernel for the oracle, and compiles
 * seccomp policies with the system's libseccomp. The parent speaks the frames of oracle/protocol.ts
 * on stdin/stdout; every batch runs in a forked child that builds exactly the environment it was
 * given and reports only through a shared page, so a filter that denies write() cannot silence it.
 * This file is the request loop and its handlers; executor.h lists the others.
 * Sources: docs/architecture.md "The oracle"; docs/seccomp.md §5 (harness), §7; docs/kernel.md §2-§6.
 */

#include "executor.h"

/* The latest ENV, and whether one has come; it stays for every RUN until the next ENV. */
struct env_record env;
static int have_env;
/* The pending batch: filters oldest first, then calls; batch_bad once a frame of it was refused. */
struct sock_filter filters[MAX_FILTERS][MAX_FILTER_INSNS];
uint32_t filter_len[MAX_FILTERS];
uint32_t nfilters;
struct call_record calls[MAX_CALLS];
uint32_t ncalls;
static int batch_bad;
/* The page shared with each child (see struct shared), and the executor's own pid. */
struct shared *sh;
pid_t parent_pid;
/* Why the socketcall argument block could not be mapped at SOCKETCALL_ARGS_ADDR, or 0. */
static int args_block_errno;

/* Maps the shared results page and the socketcall argument block, once, before any fork. */
static int map_areas(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *b;

	if (p == MAP_FAILED)
		return -1;
	sh = p;
	/*
	 * MAP_32BIT alone does not fix the address; MAP_FIXED_NOREPLACE does, without clobbering. Two
	 * pages: the argument page (socketcall's block, socketpair's sv) and a PROT_NONE guard after it,
	 * so an sv at its last word has sv[1] on a page nobody can map (SV_ONE_WORD).
	 */
	b = mmap((void *)(uintptr_t)SOCKETCALL_ARGS_ADDR, 8192, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_32BIT, -1, 0);
	if (b == MAP_FAILED)
		args_block_errno = errno;
	else if (b != (void *)(uintptr_t)SOCKETCALL_ARGS_ADDR)
		args_block_errno = EEXIST;
	else if (mprotect((char *)b + 4096, 4096, PROT_NONE))
		args_block_errno = errno;
	return 0;
}

/* Forgets the batch (filters and calls); the env stays until the next ENV. */
static void clear_batch(void)
{
	nfilters = 0;
	ncalls = 0;
	batch_bad = 0;
}

/* Whether any stored call needs the socketcall argument block (an unreadable one is NULL). */
static int needs_args_block(void)
{
	uint32_t i;

	for (i = 0; i < ncalls; i++) {
		if (calls[i].entry == ENTRY_I386_SOCKETCALL && calls[i].block == BLOCK_READABLE)
			return 1;
		if (calls[i].syscall == SYSCALL_SOCKETPAIR && calls[i].sv != SV_UNWRITABLE)
			return 1;
	}
	return 0;
}

/* The words of a result record after its index: what a RESULTS entry may carry. */
#define RESULT_WORDS (sizeof(struct result_record) / 4)

_Static_assert(sizeof(struct result_record) % 4 == 0 && RESULT_WORDS - 1 <= RESULTS_MASK_BITS,
	       "a result record must be whole 32-bit words, one mask bit for each after the index");

/* The mask of words of record `i` that differ from record i - 1 (record -1 is all zeros). */
static uint32_t result_mask(uint32_t i, uint32_t *cur)
{
	static const uint32_t zero[RESULT_WORDS];
	uint32_t prev[RESULT_WORDS];
	uint32_t mask = 0;
	uint32_t w;

	memcpy(cur, &sh->results[i], sizeof(struct result_record));
	memcpy(prev, i ? (const void *)&sh->results[i - 1] : (const void *)zero, sizeof prev);
	for (w = 1; w < RESULT_WORDS; w++)
		if (cur[w] != prev[w])
			mask |= 1u << (w - 1);
	return mask;
}

/*
 * RESULTS: every call's record, packed as protocol.ts describes (a count, then per call a mask of
 * changed words and those words). Two passes: the frame header needs the length first.
 */
static void send_results(void)
{
	uint32_t cur[RESULT_WORDS], len = 4, i, w;
	uint32_t mask;

	for (i = 0; i < ncalls; i++)
		len += 4 + 4 * (uint32_t)__builtin_popcount(result_mask(i, cur));
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

/* How many fds the ENV's layout opens. */
static uint32_t layout_fds(void)
{
	uint32_t n = 0, i;

	for (i = 0; i < sizeof env.open_bits; i++)
		n += (uint32_t)__builtin_popcount(env.open_bits[i]);
	return n;
}

/*
 * SNAPSHOTS: after a sequence's RESULTS, the fd table after each call (a count of calls, then per
 * call a count of fds and their records). Two passes: the frame header needs the length first.
 */
static void send_snapshots(void)
{
	uint32_t len = 4, i, n;

	for (i = 0; i < ncalls; i++) {
		n = sh->snap_count[i];
		len += 4 + (n > MAX_SNAPSHOT_FDS ? 0 : n) * (uint32_t)sizeof(struct snap_record);
	}
	tx_header(KIND_SNAPSHOTS, len);
	tx_put(&ncalls, sizeof ncalls);
	for (i = 0; i < ncalls; i++) {
		n = sh->snap_count[i];
		tx_put(&n, sizeof n);
		if (n <= MAX_SNAPSHOT_FDS)
			tx_put(sh->snaps[i], n * sizeof(struct snap_record));
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
	if (env.sequence && (nfilters > 0 || ncalls > MAX_SEQ_STEPS || layout_fds() > MAX_SNAPSHOT_FDS / 2)) {
		send_error(KIND_RUN, EINVAL, "sequence over its limits", -1);
		clear_batch();
		return;
	}
	vm_globals_set();
	run_batch(&done);
	vm_knobs_back();
	vm_fault_after_run();
	send_results();
	if (env.sequence)
		send_snapshots();
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
		if (calls[i].block > BLOCK_UNREADABLE ||
		    (calls[i].block != BLOCK_READABLE && calls[i].entry != ENTRY_I386_SOCKETCALL)) {
			send_error(KIND_CALLS, EINVAL, "unknown block, or one on another entry", i);
			batch_bad = 1;
			return;
		}
		if (calls[i].syscall > SYSCALL_DUP3_CLOEXEC || calls[i].sv > SV_ONE_WORD ||
		    (calls[i].sv != SV_WRITABLE && calls[i].syscall != SYSCALL_SOCKETPAIR) ||
		    (calls[i].syscall > SYSCALL_SOCKETPAIR && calls[i].entry != ENTRY_X86_64)) {
			send_error(KIND_CALLS, EINVAL, "bad syscall or sv, or close/dup on i386", i);
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
	c.block = BLOCK_READABLE;
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

/*
 * EXEC (VM mode only: the host never runs programs it was sent): runs the program of the guest's
 * initramfs at the path in the payload, as root, its output on the console, and reports how it
 * ended. `sockspec repro --kernel-image` runs a reproducer this way.
 */
static void handle_exec(const uint8_t *p, uint32_t len)
{
	struct exec_reply r = { -1, 0, 0 };
	char path[256];
	int status = 0;
	pid_t pid;

	if (!vm_mode || len == 0 || len >= sizeof path) {
		send_error(KIND_EXEC, EINVAL, vm_mode ? "EXEC path length" : "EXEC outside a VM", len);
		return;
	}
	memcpy(path, p, len);
	path[len] = 0;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { path, NULL };
		char *envp[] = { "PATH=/sbin:/bin", NULL };
		int fd = open("/dev/console", O_RDWR | O_NOCTTY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		close_range(3, ~0u, 0);
		execve(path, argv, envp);
		_exit(127);
	}
	if (pid < 0) {
		r.err = errno;
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status))
			r.status = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			r.signal = (uint32_t)WTERMSIG(status);
	}
	tx_header(KIND_EXEC_REPLY, sizeof r);
	tx_put(&r, sizeof r);
}

/* HELLO: protocol version, libseccomp (loaded here, lazily) and the executor's own uid. */
static void handle_hello(void)
{
	struct hello_reply r;

	memset(&r, 0, sizeof r);
	r.version = PROTOCOL_VERSION;
	r.uid = (uint32_t)getuid();
	r.mailbox = mailbox != NULL ? MAILBOX_BYTES : 0;
	lib_version(&r);
	tx_header(KIND_HELLO_REPLY, sizeof r);
	tx_put(&r, sizeof r);
}

static void serve(const struct frame_header *h, const uint8_t *p);

/*
 * Reads one frame's payload and serves it. A frame too large for any request is skipped with an
 * ERROR (its length is trusted because the magic was right), so one bad request never ends the
 * session. -1 when the input ended.
 */
static int serve_frame(const struct frame_header *h)
{
	if (h->length > sizeof rx) {
		send_error(h->kind, E2BIG, "frame payload too large; skipped, bytes:", h->length);
		return skip_bytes(h->length);
	}
	if (read_full(0, rx, h->length))
		return -1;
	serve(h, rx);
	return 0;
}

/*
 * MAILBOX: the next `count` request bytes are in the mailbox (a kept-up VM guest). They are
 * served as if they had come over the UART, their replies go into the mailbox, and one
 * MAILBOX_REPLY over the UART says how many bytes of replies are there.
 */
static void handle_mailbox(const uint8_t *p, uint32_t len)
{
	struct count_record c;
	struct frame_header h;
	long n;

	if (mailbox == NULL || mailbox_active() || len != sizeof c) {
		send_error(KIND_MAILBOX, EINVAL, "MAILBOX unusable, nested, or its size", len);
		return;
	}
	memcpy(&c, p, sizeof c);
	if (c.count > MAILBOX_REPLY_OFFSET) {
		send_error(KIND_MAILBOX, E2BIG, "MAILBOX requests above", MAILBOX_REPLY_OFFSET);
		return;
	}
	tx_flush();
	mailbox_begin(c.count);
	while (mailbox_left() && next_header(&h) == 0 && serve_frame(&h) == 0)
		tx_flush();
	tx_flush();
	n = mailbox_end();
	if (n < 0) {
		send_error(KIND_MAILBOX, E2BIG, "MAILBOX replies larger than the mailbox", -1);
		return;
	}
	c.count = (uint32_t)n;
	tx_header(KIND_MAILBOX_REPLY, sizeof c);
	tx_put(&c, sizeof c);
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
	case KIND_RACE:
		handle_race(p, h->length);
		break;
	case KIND_MAILBOX:
		handle_mailbox(p, h->length);
		break;
	case KIND_EXEC:
		handle_exec(p, h->length);
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
 * `sockspec-executor --with-parent PROGRAM ARGS…`: runs PROGRAM so that it is killed when the
 * process that started it dies (PR_SET_PDEATHSIG survives exec). The VM runner starts QEMU this
 * way: a guest must not outlive a campaign killed with SIGKILL.
 */
static int exec_with_parent(char **argv)
{
	pid_t parent = getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		return 1;
	execvp(argv[0], argv);
	return 127;
}

/* The request loop (see serve_frame). */
int main(int argc, char **argv)
{
	struct frame_header h;

	if (argc == 2 && strcmp(argv[1], RACE_PROBE_ARG) == 0)
		return race_probe();
	if (argc > 2 && strcmp(argv[1], "--with-parent") == 0)
		return exec_with_parent(argv + 2);
	signal(SIGPIPE, SIG_IGN);
	if (getpid() == 1)
		vm_init();
	parent_pid = getpid();
	if (map_areas())
		return 1;
	if (vm_serving) {
		/* Ready: the host sends nothing before this (see vm_init). */
		handle_hello();
		tx_flush();
	}
	while (next_header(&h) == 0 && serve_frame(&h) == 0)
		tx_flush();
	tx_flush();
	if (vm_mode)
		vm_end();
	return 0;
}
