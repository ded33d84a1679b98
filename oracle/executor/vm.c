/*
 * VM mode. The executor is PID 1 of a throwaway QEMU guest (oracle/vm/): vm_init mounts /proc and
 * /dev and writes its replies to the second UART, /dev/ttyS1, in raw mode: the console (ttyS0)
 * carries kernel messages that would interleave with them. Its requests come from /requests when
 * the initramfs carries one (one boot per batch: oracle/vm/runner.ts), and otherwise from ttyS1
 * itself: the guest then serves the host until QUIT (oracle/vm/guest.ts), and says it is ready
 * with an unprompted HELLO reply, since bytes sent before the UART's driver is up would be lost.
 * A kept-up guest also maps a mailbox (vm_map_mailbox) for the bytes of requests and replies.
 * SOCKSPEC_MODULES (from the kernel command line) is "preload" (modprobe every alias in /preload,
 * then forbid loading: order-independent answers), "autoload" (the kernel loads modules on
 * demand, as an installed system does) or "none" (loading forbidden). At the end it powers the
 * guest off; PID 1 must never exit.
 * Only here may an ENV change global knobs (fs.file-max, fs.nr_open, AF_UNIX sockets held open):
 * they are set for one RUN (the knobs for each child) and put back after it.
 * Sources: docs/vm-oracle.md.
 */
#include "executor.h"

/* Files held open beyond the AF_UNIX sockets (see vm_hold). */
#define VM_FILE_PAD 96u

/* Whether the executor is PID 1 of a VM (set by vm_init). */
int vm_mode;
/* VM mode with no /requests: the requests come from ttyS1, the host's live channel. */
int vm_serving;

/* VM mode: the global knobs' values before the RUN, put back after each child and the RUN. */
static char vm_old_file_max[32];
static char vm_old_nr_open[32];
/* The process that holds the AF_UNIX sockets and padding files, kept from RUN to RUN, or -1; its pipes. */
static pid_t vm_holder = -1;
static int vm_holder_cmd = -1;
static int vm_holder_ack = -1;
/* PID 1's signal mask while it watches a child: SIGUSR2 (a child's knob request) let through. */
static sigset_t vm_watch_set;

/*
 * The holder's work: VM_FILE_PAD open files for as long as it lives, and as many AF_UNIX sockets
 * as each u32 read from `cmd` asks for (unix_nr_socks counts them), answered with one byte on
 * `ack` once they are open. The padding is for alloc_empty_file's fast test, which reads nr_files
 * with percpu_counter_read_positive: that lags the true count by up to a batch (32) per CPU, so
 * in a guest with few files it can read 0 and let a file through above a small fs.file-max; with
 * the padding the count it reads certainly exceeds one. Held open all along, they change nothing
 * while fs.file-max is at its default. They live in a process of their own because a child copies
 * its parent's fd table at fork, sized for the parent's highest open fd: were PID 1 to hold them,
 * every child would start with a table larger than its layout, and fs.nr_open would refuse nothing.
 */
static __attribute__((noreturn)) void vm_hold(int cmd, int ack)
{
	int socks[MAX_UNIX_HOLD];
	uint32_t k, n = 0, want;
	char c = 'h';

	for (k = 0; k < VM_FILE_PAD; k++)
		if (open("/proc/self/stat", O_RDONLY) < 0)
			break;
	while (read(cmd, &want, sizeof want) == (ssize_t)sizeof want) {
		while (n > want)
			close(socks[--n]);
		while (n < want && n < MAX_UNIX_HOLD && (socks[n] = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0)
			n++;
		if (write(ack, &c, 1) != 1)
			break;
	}
	_exit(0);
}

/* Ends the holder (it is restarted by the next RUN that needs it). */
static void vm_holder_stop(void)
{
	if (vm_holder > 0) {
		kill(vm_holder, SIGKILL);
		while (waitpid(vm_holder, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (vm_holder_cmd >= 0)
		close(vm_holder_cmd);
	if (vm_holder_ack >= 0)
		close(vm_holder_ack);
	vm_holder = -1;
	vm_holder_cmd = vm_holder_ack = -1;
}

/* Has the holder (started if need be) hold `want` AF_UNIX sockets; 0 once it says they are open. */
static int vm_holder_set(uint32_t want)
{
	int cmd[2], ack[2];
	char c;
	ssize_t r;

	if (vm_holder < 0) {
		if (pipe2(cmd, O_CLOEXEC))
			return -1;
		if (pipe2(ack, O_CLOEXEC)) {
			close(cmd[0]);
			close(cmd[1]);
			return -1;
		}
		vm_holder = fork();
		if (vm_holder == 0) {
			/*
			 * Nothing of PID 1's but its two pipe ends: a kept namespace's handle held here
			 * would keep that namespace alive after PID 1 drops it.
			 */
			int lo = cmd[0] < ack[1] ? cmd[0] : ack[1], hi = cmd[0] ^ ack[1] ^ lo;

			if (lo > 0)
				SYS3(SYS_close_range, 0, lo - 1, 0);
			if (hi > lo + 1)
				SYS3(SYS_close_range, lo + 1, hi - 1, 0);
			SYS3(SYS_close_range, hi + 1, ~0u, 0);
			vm_hold(cmd[0], ack[1]);
		}
		close(cmd[0]);
		close(ack[1]);
		vm_holder_cmd = cmd[1];
		vm_holder_ack = ack[0];
		if (vm_holder < 0) {
			vm_holder_stop();
			return -1;
		}
	}
	if (write(vm_holder_cmd, &want, sizeof want) != (ssize_t)sizeof want)
		return -1;
	while ((r = read(vm_holder_ack, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 1 ? 0 : -1;
}

/*
 * Before a RUN (VM mode only): records fs.file-max and fs.nr_open to put back later, and with
 * fs.file-max set has the holder hold the ENV's AF_UNIX sockets (with fs.file-max at its default
 * their count decides nothing). A holder that fails is restarted once. The knobs themselves are
 * lowered by PID 1 when the child asks, once its setup is done (vm_lower_knobs).
 */
void vm_globals_set(void)
{
	vm_old_file_max[0] = 0;
	vm_old_nr_open[0] = 0;
	if (env.nr_open && read_file("/proc/sys/fs/nr_open", vm_old_nr_open, sizeof vm_old_nr_open) <= 0)
		vm_old_nr_open[0] = 0;
	if (env.file_max && read_file("/proc/sys/fs/file-max", vm_old_file_max, sizeof vm_old_file_max) <= 0)
		vm_old_file_max[0] = 0;
	if (env.file_max && vm_holder_set(env.unix_socks) < 0) {
		vm_holder_stop();
		vm_holder_set(env.unix_socks);
	}
}

/*
 * Puts fs.nr_open and fs.file-max back to what they were before the RUN: before each child and
 * after the RUN. The holder and its files stay for the next RUN.
 */
void vm_knobs_back(void)
{
	if (vm_old_nr_open[0])
		write_file("/proc/sys/fs/nr_open", vm_old_nr_open, strlen(vm_old_nr_open));
	if (vm_old_file_max[0])
		write_file("/proc/sys/fs/file-max", vm_old_file_max, strlen(vm_old_file_max));
}

/*
 * A child's knob request (sh->knobs KNOBS_ASK): PID 1 writes fs.nr_open and fs.file-max from its
 * own fd table, as real root, and wakes the child with the outcome. PID 1 holds CAP_SYS_ADMIN, so
 * a small fs.file-max never refuses its own files.
 */
void vm_lower_knobs(void)
{
	char v[32];
	int bad = 0;

	if (env.nr_open) {
		put_num(v, sizeof v, 0, env.nr_open);
		bad |= write_file("/proc/sys/fs/nr_open", v, strlen(v)) < 0;
	}
	if (env.file_max) {
		put_num(v, sizeof v, 0, (int64_t)env.file_max);
		bad |= write_file("/proc/sys/fs/file-max", v, strlen(v)) < 0;
	}
	__atomic_store_n(&sh->knobs, bad ? KNOBS_FAILED : KNOBS_DONE, __ATOMIC_RELEASE);
	SYS3(SYS_futex, &sh->knobs, FUTEX_WAKE, 1);
}

/* The mask PID 1 watches a child with: its own, SIGUSR2 let through (see vm_init). */
const sigset_t *vm_watch_mask(void)
{
	return &vm_watch_set;
}

/* SIGUSR2's handler in PID 1: nothing to do, the signal only ends the watch's sleep early. */
static void vm_wake(int sig)
{
	(void)sig;
}

/*
 * Fault injection for the runner's tests (SOCKSPEC_FAULT on the kernel command line, never set
 * otherwise): "alert:F" writes a WARNING line to the kernel console after a RUN that called
 * family F; "panic:F" ends PID 1 there, which panics the kernel ("Attempted to kill init!").
 * They let the tests drive the console-alert and guest-death paths of oracle/vm/guest.ts
 * without a kernel bug at hand.
 */
void vm_fault_after_run(void)
{
	const char *f = vm_mode ? getenv("SOCKSPEC_FAULT") : NULL;
	const char *num;
	uint64_t family;
	uint32_t i;
	int fd;

	if (f == NULL || (num = strchr(f, ':')) == NULL)
		return;
	family = parse_num(num + 1, 10);
	for (i = 0; i < ncalls && calls[i].a0 != family; i++)
		;
	if (i == ncalls)
		return;
	if (strncmp(f, "panic:", 6) == 0) {
		tx_flush();
		_exit(1);
	}
	if (strncmp(f, "alert:", 6) == 0 && (fd = open("/dev/kmsg", O_WRONLY)) >= 0) {
		static const char line[] = "<3>WARNING: CPU: 0 PID: 1 at sockspec fault injection\n";

		if (write(fd, line, sizeof line - 1) < 0)
			(void)0;
		close(fd);
	}
}

/* VM mode's end: flush the replies, let the UART drain, power the guest off. */
void vm_end(void)
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

/* Whether sysfs file `dir`/`name` starts with `want` (a PCI id such as "0x1af4"). */
static int sysfs_is(const char *dir, const char *name, const char *want)
{
	char file[320], v[32];
	size_t n = put_str(file, sizeof file, 0, dir);

	n = put_str(file, sizeof file, n, "/");
	put_str(file, sizeof file, n, name);
	if (read_file(file, v, sizeof v) <= 0)
		return 0;
	return strncmp(v, want, strlen(want)) == 0;
}

/*
 * The mailbox: QEMU's ivshmem-plain device (PCI 1af4:1110), whose BAR 2 is memory shared with
 * the host. No driver is needed: sysfs maps a BAR of any device. Without the device (an older
 * runner, a kernel without PCI sysfs) the guest serves everything over the UART.
 */
static void vm_map_mailbox(void)
{
	static const char base[] = "/sys/bus/pci/devices";
	struct dirent *e;
	DIR *d;

	mkdir("/sys", 0555);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	d = opendir(base);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && mailbox == NULL) {
		char dir[300], file[320];
		struct stat st;
		void *m;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		put_str(dir, sizeof dir, put_str(dir, sizeof dir, put_str(dir, sizeof dir, 0, base), "/"),
			e->d_name);
		if (!sysfs_is(dir, "vendor", "0x1af4") || !sysfs_is(dir, "device", "0x1110"))
			continue;
		put_str(file, sizeof file, put_str(file, sizeof file, 0, dir), "/resource2");
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && st.st_size >= (off_t)MAILBOX_BYTES) {
			m = mmap(NULL, MAILBOX_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (m != MAP_FAILED) {
				mailbox = m;
				/* Only PID 1 uses it: a fork need not copy its 2,048 page table entries. */
				madvise(m, MAILBOX_BYTES, MADV_DONTFORK);
			}
		}
		close(fd);
	}
	closedir(d);
}

/* PID 1's setup: /proc and /dev, replies to ttyS1 in raw mode, requests from /requests, modules. */
void vm_init(void)
{
	const char *modules = getenv("SOCKSPEC_MODULES");
	const char *out;
	struct termios t;
	sigset_t usr2;
	int fd;

	vm_mode = 1;
	/* SIGUSR2 stays blocked but while PID 1 sleeps watching a child (watch.c wait_slice). */
	sigaction(SIGUSR2, &(struct sigaction){ .sa_handler = vm_wake }, NULL);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, &vm_watch_set);
	sigdelset(&vm_watch_set, SIGUSR2);
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
	if (fd < 0 && !reply_port) {
		/* No batch in the archive: serve the host over ttyS1, both ways. */
		vm_serving = 1;
		fd = dup(1);
		vm_map_mailbox();
	}
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
