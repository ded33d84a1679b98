/*
 * The call and its queries, in the child: one socket() on its entry path with the exact registers
 * the model describes, then what it created, asked with the raw syscall instruction (so a seccomp
 * verdict comes back as -errno), then closed. When the child cannot tell, it parks and the parent
 * looks from outside the filters (watch.c, inspect). Results go only to the shared page.
 * Sources: docs/kernel.md §2-§6; docs/seccomp.md §5 (harness).
 */
#include "executor.h"

/*
 * i386 syscall numbers, socketcall's SYS_SOCKET and SYS_SOCKETPAIR, and AF_PACKET (whose close is
 * slow; see finish_fd).
 */
#define NR_SOCKET_I386 359
#define NR_SOCKETPAIR_I386 360
#define NR_SOCKETCALL_I386 102
#define SYS_SOCKET_SUBCALL 1
#define SYS_SOCKETPAIR_SUBCALL 8
#define AF_PACKET_FAMILY 17

/*
 * The i386 entry from 64-bit code. The registers carry the full 64-bit values: the syscall
 * itself reads only the low words, but seccomp_data.args[] shows all 64 bits on this path too
 * (probed on 6.18). int $0x80 may clobber r8-r11, and its 32-bit result is sign-extended.
 */
static long int80(uint32_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t rax = nr;

	__asm__ volatile("int $0x80"
			 : "+a"(rax)
			 : "b"(a), "c"(b), "d"(c), "S"(d)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return (long)(int32_t)(uint32_t)rax;
}

/*
 * socketcall(sub, args) with the block at SOCKETCALL_ARGS_ADDR holding the call's registers (and
 * sv, for SYS_SOCKETPAIR), or NULL for an unreadable block: nothing is written, and the kernel's
 * copy_from_user faults (EFAULT) once seccomp has let nr 102 through.
 */
static long socketcall(uint32_t sub, const struct call_record *c, uint64_t sv)
{
	volatile uint32_t *block = (volatile uint32_t *)(uintptr_t)SOCKETCALL_ARGS_ADDR;

	if (c->block == BLOCK_UNREADABLE)
		return int80(NR_SOCKETCALL_I386, sub, SOCKETCALL_UNREADABLE_ADDR, 0, 0);
	block[0] = (uint32_t)c->a0;
	block[1] = (uint32_t)c->a1;
	block[2] = (uint32_t)c->a2;
	block[3] = (uint32_t)sv;
	return int80(NR_SOCKETCALL_I386, sub, SOCKETCALL_ARGS_ADDR, 0, 0);
}

/* Where a socketpair's sv points (see SV in protocol.h). */
static uint64_t sv_addr(const struct call_record *c)
{
	if (c->sv == SV_UNWRITABLE)
		return SOCKETPAIR_SV_UNWRITABLE_ADDR;
	return c->sv == SV_ONE_WORD ? SOCKETPAIR_SV_ONE_WORD_ADDR : SOCKETPAIR_SV_ADDR;
}

/*
 * socketpair() on its entry path. The words of sv the executor can reach are set to SV_UNWRITTEN
 * first, so what the kernel wrote (even on failure) can be told from what it did not.
 */
static long issue_pair(const struct call_record *c)
{
	volatile int32_t *sv = (volatile int32_t *)(uintptr_t)sv_addr(c);
	uint64_t addr = sv_addr(c);

	if (c->sv != SV_UNWRITABLE)
		sv[0] = SV_UNWRITTEN;
	if (c->sv == SV_WRITABLE)
		sv[1] = SV_UNWRITTEN;
	switch (c->entry) {
	case ENTRY_I386:
		return int80(NR_SOCKETPAIR_I386, c->a0, c->a1, c->a2, addr);
	case ENTRY_I386_SOCKETCALL:
		return socketcall(SYS_SOCKETPAIR_SUBCALL, c, addr);
	default:
		return sys6(SYS_socketpair, (long)c->a0, (long)c->a1, (long)c->a2, (long)addr, 0, 0);
	}
}

/* What the kernel left in sv, as far as the executor can read it. */
static void read_sv(const struct call_record *c, struct result_record *r)
{
	volatile int32_t *sv = (volatile int32_t *)(uintptr_t)sv_addr(c);

	r->sv0 = r->sv1 = SV_UNWRITTEN;
	if (c->sv != SV_UNWRITABLE)
		r->sv0 = sv[0];
	if (c->sv == SV_WRITABLE)
		r->sv1 = sv[1];
}

/* Issues one socket() or socketpair() call on its entry path with the exact registers the model describes. */
long issue(const struct call_record *c)
{
	if (c->syscall == SYSCALL_SOCKETPAIR)
		return issue_pair(c);
	switch (c->entry) {
	case ENTRY_I386:
		return int80(NR_SOCKET_I386, c->a0, c->a1, c->a2, 0);
	case ENTRY_I386_SOCKETCALL:
		return socketcall(SYS_SOCKET_SUBCALL, c, 0);
	default:
		return sys6(SYS_socket, (long)c->a0, (long)c->a1, (long)c->a2, 0, 0, 0);
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

/*
 * A socketpair's second end: queried like the first, through the shared scratch record (a park
 * answers there while park_end is set), then copied into the *2 fields.
 */
static int finish_second(struct result_record *r, long fd)
{
	struct result_record *t = &sh->park_scratch;
	int keep;

	t->getfd = t->getfl = t->domain = t->type = t->protocol = t->close_ret = QUERY_NOT_RUN;
	__atomic_store_n(&sh->park_end, 1, __ATOMIC_RELEASE);
	keep = finish_fd(t, fd);
	__atomic_store_n(&sh->park_end, 0, __ATOMIC_RELEASE);
	r->getfd2 = t->getfd;
	r->getfl2 = t->getfl;
	r->domain2 = t->domain;
	r->type2 = t->type;
	r->protocol2 = t->protocol;
	r->close_ret2 = t->close_ret;
	return keep;
}

/* After a socketpair returned 0: both ends queried and closed, if the kernel wrote them. */
static int finish_pair(struct result_record *r)
{
	int keep = 1;

	if (r->sv0 != SV_UNWRITTEN)
		keep = finish_fd(r, r->sv0);
	if (r->sv1 != SV_UNWRITTEN)
		keep = finish_second(r, r->sv1) && keep;
	return keep;
}

/* Publishes "call i is at stage s" in one store (see struct shared). */
static void progress(uint32_t i, uint32_t stage)
{
	__atomic_store_n(&sh->progress, (uint64_t)i << 8 | stage, __ATOMIC_RELEASE);
}

/* A sequence's step: a socket call, or close(a0), dup2(a0, a1), dup3(a0, a1, O_CLOEXEC). */
static long issue_step(const struct call_record *c)
{
	switch (c->syscall) {
	case SYSCALL_CLOSE:
		return SYS1(SYS_close, (long)c->a0);
	case SYSCALL_DUP2:
		return SYS2(SYS_dup2, (long)c->a0, (long)c->a1);
	case SYSCALL_DUP3_CLOEXEC:
		return SYS3(SYS_dup3, (long)c->a0, (long)c->a1, O_CLOEXEC);
	default:
		return issue(c);
	}
}

/*
 * The fds a sequence's snapshots look at: up to the layout's highest, plus two per call (new fds
 * are the lowest free, so they never pass that) and each dup target.
 */
static uint32_t scan_end(void)
{
	uint32_t end = 0, i;

	for (i = 0; i < MAX_LAYOUT_FD; i++)
		if (env.open_bits[i >> 3] & (1u << (i & 7)))
			end = i + 1;
	end += 2 * ncalls;
	for (i = 0; i < ncalls; i++)
		if (calls[i].syscall >= SYSCALL_DUP2 && calls[i].a1 < MAX_LAYOUT_FD && calls[i].a1 + 1 > end)
			end = (uint32_t)calls[i].a1 + 1;
	return end < MAX_LAYOUT_FD ? end : MAX_LAYOUT_FD;
}

/* Records the fd table after call i: every open fd with its flags and SO_* values. */
static void snapshot(uint32_t i, uint32_t end)
{
	struct snap_record *s = sh->snaps[i];
	uint32_t fd, n = 0;
	int32_t getfd;

	for (fd = 0; fd < end; fd++) {
		getfd = query_fcntl(fd, F_GETFD);
		if (getfd == -EBADF)
			continue;
		if (n == MAX_SNAPSHOT_FDS) {
			n++;
			break;
		}
		s[n].fd = (int32_t)fd;
		s[n].getfd = getfd;
		s[n].getfl = query_fcntl(fd, F_GETFL);
		s[n].domain = query_sockopt(fd, SO_DOMAIN);
		s[n].type = query_sockopt(fd, SO_TYPE);
		s[n].protocol = query_sockopt(fd, SO_PROTOCOL);
		n++;
	}
	sh->snap_count[i] = n;
}

/* Runs step i of a sequence: nothing it creates is closed; the table is recorded after it. */
static int run_step(uint32_t i)
{
	static uint32_t end;
	struct result_record *r = &sh->results[i];
	long ret;

	if (end == 0)
		end = scan_end();
	r->getfd = r->getfl = r->domain = r->type = r->protocol = r->close_ret = QUERY_NOT_RUN;
	r->getfd2 = r->getfl2 = r->domain2 = r->type2 = r->protocol2 = r->close_ret2 = QUERY_NOT_RUN;
	r->sv0 = r->sv1 = SV_UNWRITTEN;
	progress(i, STAGE_CALLING);
	ret = issue_step(&calls[i]);
	r->ret = ret;
	r->status = CALL_STATUS_RETURNED;
	if (calls[i].syscall == SYSCALL_SOCKETPAIR)
		read_sv(&calls[i], r);
	progress(i, STAGE_RETURNED);
	snapshot(i, end);
	progress(i, STAGE_DONE);
	return 1;
}

/* Runs call i and records it; 0 when the fd layout may no longer be exact and the child must go. */
int run_one(uint32_t i)
{
	struct result_record *r = &sh->results[i];
	long ret;
	int keep = 1;

	if (env.sequence)
		return run_step(i);

	r->getfd = r->getfl = r->domain = r->type = r->protocol = r->close_ret = QUERY_NOT_RUN;
	r->getfd2 = r->getfl2 = r->domain2 = r->type2 = r->protocol2 = r->close_ret2 = QUERY_NOT_RUN;
	r->sv0 = r->sv1 = SV_UNWRITTEN;
	progress(i, STAGE_CALLING);
	ret = issue(&calls[i]);
	r->ret = ret;
	r->status = CALL_STATUS_RETURNED;
	if (calls[i].syscall == SYSCALL_SOCKETPAIR)
		read_sv(&calls[i], r);
	progress(i, STAGE_RETURNED);
	if (ret >= 0 && calls[i].syscall == SYSCALL_SOCKETPAIR)
		keep = finish_pair(r);
	else if (ret >= 0)
		keep = finish_fd(r, ret);
	progress(i, STAGE_DONE);
	return keep;
}
