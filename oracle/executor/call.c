/*
 * The call and its queries, in the child: one socket() on its entry path with the exact registers
 * the model describes, then what it created, asked with the raw syscall instruction (so a seccomp
 * verdict comes back as -errno), then closed. When the child cannot tell, it parks and the parent
 * looks from outside the filters (watch.c, inspect). Results go only to the shared page.
 * Sources: docs/kernel.md §2-§6; docs/seccomp.md §5 (harness).
 */
#include "executor.h"

/* i386 syscall numbers, socketcall's SYS_SOCKET, and AF_PACKET (whose close is slow; see finish_fd). */
#define NR_SOCKET_I386 359
#define NR_SOCKETCALL_I386 102
#define SYS_SOCKET_SUBCALL 1
#define AF_PACKET_FAMILY 17

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

/*
 * Issues one socket() call on its entry path with the exact registers the model describes. An
 * unreadable socketcall block is the NULL pointer: nothing is written, and the kernel's
 * copy_from_user faults (EFAULT) once seccomp has let nr 102 through.
 */
long issue(const struct call_record *c)
{
	volatile uint32_t *block = (volatile uint32_t *)(uintptr_t)SOCKETCALL_ARGS_ADDR;

	switch (c->entry) {
	case ENTRY_I386:
		return int80(NR_SOCKET_I386, c->a0, c->a1, c->a2);
	case ENTRY_I386_SOCKETCALL:
		if (c->block == BLOCK_UNREADABLE)
			return int80(NR_SOCKETCALL_I386, SYS_SOCKET_SUBCALL, SOCKETCALL_UNREADABLE_ADDR, 0);
		block[0] = (uint32_t)c->a0;
		block[1] = (uint32_t)c->a1;
		block[2] = (uint32_t)c->a2;
		return int80(NR_SOCKETCALL_I386, SYS_SOCKET_SUBCALL, SOCKETCALL_ARGS_ADDR, 0);
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

/* Publishes "call i is at stage s" in one store (see struct shared). */
static void progress(uint32_t i, uint32_t stage)
{
	__atomic_store_n(&sh->progress, (uint64_t)i << 8 | stage, __ATOMIC_RELEASE);
}

/* Runs call i and records it; 0 when the fd layout may no longer be exact and the child must go. */
int run_one(uint32_t i)
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
