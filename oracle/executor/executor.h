/*
 * The executor's internal header: the system headers, the state its files share, the raw syscall
 * instruction and each file's entry points. The protocol (records, frame kinds, limits such as
 * MAX_CALLS and MAX_FILTERS, the QUERY_* sentinels) comes from protocol.h, generated from
 * oracle/protocol.ts. The files, by concern:
 *   executor.c  the request loop (main) and its handlers: HELLO, ENV, FILTER, CALLS, RUN, LOOP
 *   frame.c     frame I/O: requests from stdin, replies buffered to stdout (or a VM's debug port)
 *   util.c      helpers without stdio or allocation: clock, numbers, /proc paths, small files
 *   child.c     the forked child's setup, in order, up to its calls
 *   call.c      one call and its queries, in the child
 *   watch.c     the parent's side of a RUN: forking, watching, settling each child
 *   vm.c        VM mode: PID 1 of a QEMU guest, and the global knobs set around a RUN there
 *   compile.c   COMPILE through libseccomp (dlopen; none in the static build)
 *   race.c      RACE: the CLOEXEC/NONBLOCK atomicity race in a threaded child, and its probe
 * Globals are defined once (in the file named beside them) and declared here; all else is static.
 * Sources: docs/architecture.md "The oracle"; docs/seccomp.md §5 (harness), §7; docs/kernel.md §2-§6.
 */
#ifndef SOCKSPEC_EXECUTOR_H
#define SOCKSPEC_EXECUTOR_H

#define _GNU_SOURCE
#include <dirent.h>
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
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>

#include "protocol.h"

/* The largest request payload: a CALLS frame of MAX_CALLS calls. */
#define RX_MAX (sizeof(struct count_record) + MAX_CALLS * sizeof(struct call_record))

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
	uint32_t knobs;
	/* 1 while a socketpair's second end is queried: a park is answered into park_scratch. */
	uint32_t park_end;
	struct result_record park_scratch;
	struct result_record results[MAX_CALLS];
	/* Sequence RUNs: the fd table after each call (snap_count > MAX_SNAPSHOT_FDS: too many fds). */
	uint32_t snap_count[MAX_SEQ_STEPS];
	struct snap_record snaps[MAX_SEQ_STEPS][MAX_SNAPSHOT_FDS];
};

/*
 * sh->knobs, VM mode: the child asks PID 1 to lower fs.nr_open and fs.file-max once its setup has
 * opened its last file (KNOBS_ASK, then SIGUSR2 to wake it), and futex-waits for the answer.
 */
#define KNOBS_NONE 0u
#define KNOBS_ASK 1u
#define KNOBS_DONE 2u
#define KNOBS_FAILED 3u

/* executor.c: the latest ENV, the pending batch (filters oldest first, calls), the shared page. */
extern struct env_record env;
extern struct sock_filter filters[MAX_FILTERS][MAX_FILTER_INSNS];
extern uint32_t filter_len[MAX_FILTERS];
extern uint32_t nfilters;
extern struct call_record calls[MAX_CALLS];
extern uint32_t ncalls;
extern struct shared *sh;
/* executor.c: the executor's own pid, which a child checks after PR_SET_PDEATHSIG. */
extern pid_t parent_pid;

/* frame.c: the request payload buffer. */
extern uint8_t rx[RX_MAX];
/* frame.c: VM mode with SOCKSPEC_REPLIES=debugcon: the I/O port of QEMU's isa-debugcon, else 0. */
extern uint16_t reply_port;

/*
 * child.c: the namespaces of the RUN's first child, opened by the parent (see capture_namespaces
 * in watch.c), or -1. Later children of the RUN join them instead of making their own: the same
 * environment, and no namespace per child to tear down, which under QEMU is slower than making
 * them (see unshare_ns) and a class whose every call kills its child would otherwise make thousands.
 */
extern int run_ns_net;
extern int run_ns_user;
/*
 * child.c: set by the parent (VM mode) when the borrowed namespaces' per-netns sysctls differ from
 * the ENV's: the first child joining them writes the ENV's values (see join_namespaces).
 */
extern int run_ns_rewrite;

/* vm.c: whether the executor is PID 1 of a VM (see vm_init). */
extern int vm_mode;
/* vm.c: whether PID 1 serves live requests from ttyS1 (no /requests in the initramfs). */
extern int vm_serving;

/* The x86_64 `syscall` instruction with explicit 64-bit registers; returns raw rax (-errno). */
static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
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

/* util.c */
uint64_t now_ns(void);
size_t put_str(char *buf, size_t cap, size_t len, const char *s);
size_t put_num(char *buf, size_t cap, size_t len, int64_t v);
uint64_t parse_num(const char *s, unsigned base);
void proc_path(char *buf, size_t cap, pid_t pid, const char *tail, long num);
long write_file(const char *path, const char *s, size_t len);
long read_file(const char *path, char *buf, size_t cap);

/* frame.c */
int read_full(int fd, void *buf, size_t n);
void tx_flush(void);
void tx_put(const void *p, size_t n);
void tx_header(uint32_t kind, uint32_t length);
void send_error(uint32_t code, int err, const char *text, int64_t num);
int skip_bytes(size_t n);
int next_header(struct frame_header *h);

/* child.c */
__attribute__((noreturn)) void child_main(uint32_t start, int rd, int wr);

/* call.c */
long issue(const struct call_record *c);
int run_one(uint32_t i);

/* watch.c */
void run_batch(struct done_record *done);

/* vm.c */
void vm_init(void);
void vm_end(void);
void vm_fault_after_run(void);
/* frame.c: the VM mailbox (see MAILBOX_BYTES), NULL without one, and serving from it. */
extern uint8_t *mailbox;
void mailbox_begin(size_t n);
int mailbox_active(void);
int mailbox_left(void);
long mailbox_end(void);
void vm_globals_set(void);
void vm_knobs_back(void);
void vm_lower_knobs(void);
const sigset_t *vm_watch_mask(void);

/* compile.c */
void lib_version(struct hello_reply *r);
void handle_compile(const uint8_t *p, uint32_t len);

/* race.c; RACE_PROBE_ARG as argv[1] makes the executor the race's probe (see main). */
#define RACE_PROBE_ARG "--race-probe"
void handle_race(const uint8_t *p, uint32_t len);
int race_probe(void);

#endif
