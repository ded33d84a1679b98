/* Generated from oracle/protocol.ts by scripts/gen-protocol-header.ts. Do not edit. */
#ifndef SOCKSPEC_PROTOCOL_H
#define SOCKSPEC_PROTOCOL_H

#include <stdint.h>

#define PROTOCOL_MAGIC 1262702419u
#define PROTOCOL_VERSION 8u
#define MAX_LAYOUT_FD 2048u
#define MAX_GROUPS 32u
#define MAX_ARCHES 8u
#define MAX_CONDS 6u
#define SYSCALL_NAME_LEN 48u
#define ERROR_TEXT_LEN 160u
#define RESULTS_MASK_BITS 32u
#define MAX_CALLS 65536u
#define MAX_SEQ_STEPS 64u
#define MAX_SNAPSHOT_FDS 256u
#define MAILBOX_BYTES 8388608u
#define MAILBOX_REPLY_OFFSET 4194304u
#define MAX_FILTERS 16u
#define MAX_FILTER_INSNS 8192u
#define MAX_RULES 4096u
#define MAX_EXPORT_INSNS 65536u
#define MAX_UNIX_HOLD 64u
#define DEFAULT_TIMEOUT_MS 2000u
#define BAD_ARCH_DEFAULT 4294967295u
#define QUERY_NOT_RUN (-2147483647 - 1)
#define QUERY_FAKED (-2147483647)
#define RACE_MAX_CREATORS 32u
#define RACE_MAX_MS 600000u
#define SOCKETCALL_ARGS_ADDR 65536u
#define SOCKETCALL_UNREADABLE_ADDR 0u
#define SOCKETPAIR_SV_ADDR 67584u
#define SOCKETPAIR_SV_ONE_WORD_ADDR 69628u
#define SOCKETPAIR_SV_UNWRITABLE_ADDR 0u
#define SV_UNWRITTEN (-1)

#define KIND_HELLO 1u
#define KIND_ENV 2u
#define KIND_FILTER 3u
#define KIND_CALLS 4u
#define KIND_RUN 5u
#define KIND_COMPILE 6u
#define KIND_LOOP 7u
#define KIND_QUIT 9u
#define KIND_MAILBOX 10u
#define KIND_EXEC 11u
#define KIND_RACE 12u
#define KIND_HELLO_REPLY 100u
#define KIND_DONE 102u
#define KIND_COMPILED 103u
#define KIND_ERROR 104u
#define KIND_LOOP_REPLY 105u
#define KIND_RESULTS 106u
#define KIND_MAILBOX_REPLY 107u
#define KIND_EXEC_REPLY 108u
#define KIND_RACE_REPLY 109u
#define KIND_SNAPSHOTS 110u

#define NS_INIT 0u
#define NS_USER_NET 1u
#define NS_USER 2u
#define NS_NET 3u

#define ENTRY_X86_64 0u
#define ENTRY_I386 1u
#define ENTRY_I386_SOCKETCALL 2u

#define BLOCK_READABLE 0u
#define BLOCK_UNREADABLE 1u

#define SYSCALL_SOCKET 0u
#define SYSCALL_SOCKETPAIR 1u
#define SYSCALL_CLOSE 2u
#define SYSCALL_DUP2 3u
#define SYSCALL_DUP3_CLOEXEC 4u

#define SV_WRITABLE 0u
#define SV_UNWRITABLE 1u
#define SV_ONE_WORD 2u

#define CALL_STATUS_RETURNED 0u
#define CALL_STATUS_KILLED 1u
#define CALL_STATUS_TIMEOUT 2u
#define CALL_STATUS_NOT_RUN 3u

#define SETUP_STEP_NONE 0u
#define SETUP_STEP_FORK 1u
#define SETUP_STEP_UNSHARE_USER 2u
#define SETUP_STEP_ID_MAPS 3u
#define SETUP_STEP_UNSHARE_NET 4u
#define SETUP_STEP_SYSCTL_PING 5u
#define SETUP_STEP_SYSCTL_MPTCP 6u
#define SETUP_STEP_RLIMIT 7u
#define SETUP_STEP_FD_LAYOUT 8u
#define SETUP_STEP_GROUPS 9u
#define SETUP_STEP_GID 10u
#define SETUP_STEP_UID 11u
#define SETUP_STEP_CAPS 12u
#define SETUP_STEP_NO_NEW_PRIVS 13u
#define SETUP_STEP_SECCOMP 14u
#define SETUP_STEP_SYNC 15u
#define SETUP_STEP_SYSCTL_NR_OPEN 16u

#define RACE_MODE_ATOMIC 0u
#define RACE_MODE_FCNTL 1u

#pragma pack(push, 1)

/* Precedes every frame in both directions. */
struct frame_header {
	uint32_t magic; /* PROTOCOL_MAGIC */
	uint32_t kind; /* one of KIND */
	uint32_t length; /* bytes of payload after this header */
};
_Static_assert(sizeof(struct frame_header) == 12, "frame_header layout");

/* The executor announces itself: protocol version and what it can do. */
struct hello_reply {
	uint32_t version; /* PROTOCOL_VERSION */
	uint32_t libseccomp; /* 1 when libseccomp.so.2 was loaded with dlopen */
	uint32_t seccomp_major; /* seccomp_version()->major, 0 without libseccomp */
	uint32_t seccomp_minor; /* seccomp_version()->minor */
	uint32_t seccomp_micro; /* seccomp_version()->micro */
	uint32_t uid; /* the executor's own uid (it needs 0 to set up environments) */
	uint32_t mailbox; /* bytes of the shared mailbox a VM guest mapped (MAILBOX_BYTES), 0 when there is none */
};
_Static_assert(sizeof(struct hello_reply) == 28, "hello_reply layout");

/* The environment the next RUN sets up in a fresh child (filters come in FILTER frames). */
struct env_record {
	uint32_t uid; /* uid after setup */
	uint32_t gid; /* gid after setup */
	uint32_t ngroups; /* supplementary groups used */
	uint32_t groups[32]; /* supplementary gids */
	uint32_t cap_lo; /* effective (and permitted) capabilities 0..31 */
	uint32_t cap_hi; /* effective (and permitted) capabilities 32..63 */
	uint32_t namespaces; /* one of NS */
	uint32_t ping_lo; /* net.ipv4.ping_group_range low */
	uint32_t ping_hi; /* net.ipv4.ping_group_range high */
	int32_t mptcp; /* net.mptcp.enabled, or -1 to leave the new netns default */
	uint64_t rlimit_nofile; /* soft and hard RLIMIT_NOFILE */
	uint32_t timeout_ms; /* per-call time limit before the child is killed */
	uint8_t open_bits[256]; /* bitmap of fds that must be open */
	uint8_t cloexec_bits[256]; /* bitmap of those fds that have FD_CLOEXEC */
	uint8_t nonblock_bits[256]; /* bitmap of those fds whose file has O_NONBLOCK */
	uint64_t file_max; /* VM only: fs.file-max during the RUN (1 or more), 0 to leave it (the host refuses anything else) */
	uint32_t unix_socks; /* VM only: AF_UNIX sockets the executor holds open during the RUN (unix_nr_socks) */
	uint32_t nr_open; /* VM only: fs.nr_open the child sets after its RLIMIT_NOFILE and fd layout, 0 to leave it */
	uint32_t sequence; /* 1: the RUN is one sequence in one child, nothing closed between its calls, the fd table recorded after each (SNAPSHOTS); no filters, at most MAX_SEQ_STEPS calls */
};
_Static_assert(sizeof(struct env_record) == 964, "env_record layout");

/* Leads FILTER (instructions), CALLS (calls) and COMPILED (rules, instructions) payloads; is the whole MAILBOX and MAILBOX_REPLY payload (bytes in the mailbox). */
struct count_record {
	uint32_t count; /* how many records follow */
};
_Static_assert(sizeof(struct count_record) == 4, "count_record layout");

/* One classic-BPF instruction, as struct sock_filter. */
struct insn_record {
	uint16_t code; /* opcode */
	uint8_t jt; /* jump if true */
	uint8_t jf; /* jump if false */
	uint32_t k; /* constant */
};
_Static_assert(sizeof(struct insn_record) == 8, "insn_record layout");

/* One socket() call as raw register values. */
struct call_record {
	uint32_t entry; /* one of ENTRY */
	uint32_t block; /* one of BLOCK: where socketcall finds its arguments (ENTRY_I386_SOCKETCALL only, else READABLE) */
	uint64_t a0; /* family register */
	uint64_t a1; /* type register */
	uint64_t a2; /* protocol register */
	uint32_t syscall; /* one of SYSCALL */
	uint32_t sv; /* one of SV: where a socketpair's vector points (SYSCALL_SOCKETPAIR only, else WRITABLE) */
};
_Static_assert(sizeof(struct call_record) == 40, "call_record layout");

/* What one call did, sent packed in RESULTS. Query fields hold -errno when the query itself failed (a filter may deny it). */
struct result_record {
	uint32_t index; /* index of the call in the batch */
	uint32_t status; /* one of CALL_STATUS */
	uint32_t signal; /* the signal that killed the child (status KILLED) */
	int64_t ret; /* raw return value of the syscall instruction (a negative errno on failure) */
	int32_t getfd; /* fcntl(F_GETFD) of the new fd */
	int32_t getfl; /* fcntl(F_GETFL) of the new fd */
	int32_t domain; /* SO_DOMAIN */
	int32_t type; /* SO_TYPE */
	int32_t protocol; /* SO_PROTOCOL */
	int32_t close_ret; /* close() of the new fd: 0 or -errno */
	int32_t getfd2; /* socketpair: fcntl(F_GETFD) of sv[1] (the fields above are sv[0]'s) */
	int32_t getfl2; /* socketpair: fcntl(F_GETFL) of sv[1] */
	int32_t domain2; /* socketpair: SO_DOMAIN of sv[1] */
	int32_t type2; /* socketpair: SO_TYPE of sv[1] */
	int32_t protocol2; /* socketpair: SO_PROTOCOL of sv[1] */
	int32_t close_ret2; /* socketpair: close() of sv[1] */
	int32_t sv0; /* socketpair: sv[0] after the call, SV_UNWRITTEN when the kernel did not write it (or the executor cannot read it) */
	int32_t sv1; /* socketpair: sv[1] after the call, likewise */
};
_Static_assert(sizeof(struct result_record) == 76, "result_record layout");

/* Ends the replies to one RUN. */
struct done_record {
	uint32_t calls; /* calls of the RUN, each with its record in RESULTS */
	uint32_t setup_step; /* SETUP_STEP that failed, or 0 */
	int32_t setup_errno; /* errno of the failed setup step; negative: the child was killed by that signal during the step; 0 with step SECCOMP: an older filter answered seccomp() with ERRNO(0) */
	uint32_t children; /* children forked for this RUN */
	uint64_t elapsed_ns; /* wall time of the RUN */
};
_Static_assert(sizeof(struct done_record) == 24, "done_record layout");

/* A seccomp policy as libseccomp calls: seccomp_init, arch adds, rule adds in order, export. */
struct compile_header {
	uint32_t default_action; /* seccomp_init action */
	uint32_t bad_arch_action; /* SCMP_FLTATR_ACT_BADARCH, or 0xffffffff for libseccomp's default */
	uint32_t narches; /* arches to add (the native one is implicit) */
	uint32_t arches[8]; /* SCMP_ARCH_* tokens (AUDIT_ARCH values) */
	uint32_t optimize; /* SCMP_FLTATR_CTL_OPTIMIZE (2 = binary tree, as runc uses above 32 rules), 0 to leave */
	uint32_t nrules; /* COMPILE_RULE records that follow */
};
_Static_assert(sizeof(struct compile_header) == 52, "compile_header layout");

/* One seccomp_rule_add_array call. */
struct compile_rule {
	char name[48]; /* syscall name, resolved with seccomp_syscall_resolve_name */
	uint32_t action; /* rule action */
	uint32_t exact; /* 1 for seccomp_rule_add_exact_array */
	uint32_t ncond; /* conditions used */
	uint32_t cond_arg[6]; /* argument index per condition */
	uint32_t cond_op[6]; /* enum scmp_compare per condition */
	uint64_t cond_a[6]; /* datum_a per condition */
	uint64_t cond_b[6]; /* datum_b per condition */
};
_Static_assert(sizeof(struct compile_rule) == 204, "compile_rule layout");

/* The answer to COMPILE: each rule's return code, then the exported program. */
struct compiled_header {
	uint32_t init_ok; /* 1 when seccomp_init succeeded */
	uint32_t nrules; /* RC_RECORD records that follow */
	int32_t export_rc; /* seccomp_export_bpf return code */
	uint32_t ninsns; /* INSN_RECORD records that follow the return codes */
};
_Static_assert(sizeof(struct compiled_header) == 16, "compiled_header layout");

/* A libseccomp return code (0 or -errno) and the syscall number the name resolved to. */
struct rc_record {
	int32_t rc; /* return code */
	int32_t nr; /* resolved syscall number, or -1 */
};
_Static_assert(sizeof(struct rc_record) == 8, "rc_record layout");

/* Benchmark: repeat one call `iterations` times in this process (closing each fd), no protocol in between. */
struct loop_request {
	uint32_t iterations; /* repetitions */
	uint32_t entry; /* one of ENTRY */
	uint64_t a0; /* family */
	uint64_t a1; /* type */
	uint64_t a2; /* protocol */
};
_Static_assert(sizeof(struct loop_request) == 32, "loop_request layout");

/* Benchmark answer: how many calls succeeded and how long the loop took. */
struct loop_reply {
	uint32_t iterations; /* repetitions done */
	uint32_t successes; /* calls that returned an fd */
	uint64_t elapsed_ns; /* loop wall time */
};
_Static_assert(sizeof(struct loop_reply) == 16, "loop_reply layout");

/* A VM guest ran a program of its initramfs (EXEC, whose payload is the path): how it ended. Its output went to the console. */
struct exec_reply {
	int32_t status; /* the exit code, or -1 when it did not exit */
	uint32_t signal; /* the signal that ended it, 0 when it exited */
	int32_t err; /* errno of a fork or exec that failed, 0 otherwise */
};
_Static_assert(sizeof(struct exec_reply) == 12, "exec_reply layout");

/* Atomicity race: creator threads make sockets and pairs while one thread forks and execs a probe and another watches new fd numbers, for duration_ms. */
struct race_request {
	uint32_t mode; /* one of RACE_MODE */
	uint32_t duration_ms; /* how long the race runs (1 to RACE_MAX_MS) */
	uint32_t creators; /* creator threads (1 to RACE_MAX_CREATORS) */
};
_Static_assert(sizeof(struct race_request) == 12, "race_request layout");

/* What the atomicity race saw. */
struct race_reply {
	int32_t err; /* errno of a setup step that failed (fork, thread, pipe), 0 otherwise */
	uint32_t probes; /* probes forked and exec'd that reported */
	uint32_t leaky_probes; /* probes that found at least one inherited socket */
	uint64_t leaked; /* inherited sockets the probes found, summed */
	uint64_t created; /* sockets created (a pair counts two) */
	uint64_t watched; /* new fds the watcher read the flags of */
	uint64_t unflagged; /* of those, fds seen without FD_CLOEXEC or without O_NONBLOCK */
	uint64_t elapsed_ns; /* wall time of the race */
};
_Static_assert(sizeof(struct race_reply) == 52, "race_reply layout");

/* One open fd of a sequence snapshot, queried with the raw syscall instruction. */
struct snap_record {
	int32_t fd; /* the fd */
	int32_t getfd; /* fcntl(F_GETFD) */
	int32_t getfl; /* fcntl(F_GETFL) */
	int32_t domain; /* SO_DOMAIN, -ENOTSOCK for a file that is no socket */
	int32_t type; /* SO_TYPE */
	int32_t protocol; /* SO_PROTOCOL */
};
_Static_assert(sizeof(struct snap_record) == 24, "snap_record layout");

/* The executor could not understand or serve a request. */
struct error_record {
	uint32_t code; /* the request kind */
	int32_t err; /* errno, or 0 */
	char text[160]; /* what went wrong */
};
_Static_assert(sizeof(struct error_record) == 168, "error_record layout");

#pragma pack(pop)

#endif
