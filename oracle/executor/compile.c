/*
 * COMPILE: a seccomp policy built with the system's libseccomp exactly as the request lists it
 * (seccomp_init, attributes, arches, rules in order) and exported as the kernel would get it. The
 * library is loaded with dlopen, so the executor needs neither its -dev package nor a link-time
 * dependency; the static VM build (-DSOCKSPEC_STATIC) has none and refuses COMPILE.
 * Sources: docs/seccomp.md §3 and §7 (libseccomp export).
 */
#include "executor.h"

#ifndef SOCKSPEC_STATIC
#include <dlfcn.h>

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
void lib_version(struct hello_reply *r)
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
void handle_compile(const uint8_t *p, uint32_t len)
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
void lib_version(struct hello_reply *r)
{
	(void)r;
}

/* The static build cannot compile policies; the host compiles with the dynamic executor. */
void handle_compile(const uint8_t *p, uint32_t len)
{
	(void)p;
	(void)len;
	send_error(KIND_COMPILE, ENOSYS, "static build: no libseccomp, use the dynamic executor", -1);
}
#endif
