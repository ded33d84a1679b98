/*
 * VM mode. The executor is PID 1 of a throwaway QEMU guest (oracle/vm/): vm_init mounts /proc and
 * /dev, reads its requests from /requests (appended to the initramfs as a second archive) and
 * writes its replies to the second UART, /dev/ttyS1, in raw mode: the console (ttyS0) carries
 * kernel messages that would interleave with them. SOCKSPEC_MODULES (from the kernel command
 * line) is "preload" (modprobe every alias in /preload, then forbid loading: order-independent
 * answers), "autoload" (the kernel loads modules on demand, as an installed system does) or
 * "none" (loading forbidden). At the end it powers the guest off; PID 1 must never exit.
 * Only here may an ENV change global knobs (fs.file-max, fs.nr_open, AF_UNIX sockets held open):
 * they are set around one RUN and put back after it.
 * Sources: docs/vm-oracle.md.
 */
#include "executor.h"

/* Files held open beyond the AF_UNIX sockets when fs.file-max is set (see vm_globals_set). */
#define VM_FILE_PAD 96u

/* Whether the executor is PID 1 of a VM (set by vm_init). */
int vm_mode;

/* VM mode: the global knobs the ENV asks for, set around one RUN by PID 1 and put back after. */
static char vm_old_file_max[32];
static char vm_old_nr_open[32];
static int vm_holders[MAX_UNIX_HOLD + VM_FILE_PAD];
static uint32_t vm_nholders;

/* Sets fs.file-max and opens the AF_UNIX sockets that unix_nr_socks counts (VM mode only). */
void vm_globals_set(void)
{
	char v[32];

	vm_old_file_max[0] = 0;
	vm_old_nr_open[0] = 0;
	if (env.nr_open && read_file("/proc/sys/fs/nr_open", vm_old_nr_open, sizeof vm_old_nr_open) <= 0)
		vm_old_nr_open[0] = 0;
	if (env.file_max) {
		if (read_file("/proc/sys/fs/file-max", vm_old_file_max, sizeof vm_old_file_max) <= 0)
			vm_old_file_max[0] = 0;
		put_num(v, sizeof v, 0, (int64_t)env.file_max);
		write_file("/proc/sys/fs/file-max", v, strlen(v));
	}
	for (vm_nholders = 0; vm_nholders < env.unix_socks; vm_nholders++) {
		vm_holders[vm_nholders] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (vm_holders[vm_nholders] < 0)
			break;
	}
	/*
	 * alloc_empty_file's fast test reads nr_files with percpu_counter_read_positive, which lags
	 * the true count by up to a batch (32) per CPU: in a guest with few files it can read 0 and
	 * let a file through above fs.file-max. Holding VM_FILE_PAD more files open makes the count
	 * it reads certainly exceed a small limit.
	 */
	if (env.file_max) {
		uint32_t k;

		for (k = 0; k < VM_FILE_PAD; k++) {
			int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				break;
			vm_holders[vm_nholders++] = fd;
		}
	}
}

/* Puts fs.nr_open back to what it was before the RUN (a child lowers it during its setup). */
void vm_nr_open_back(void)
{
	if (vm_old_nr_open[0])
		write_file("/proc/sys/fs/nr_open", vm_old_nr_open, strlen(vm_old_nr_open));
}

/* Closes the held sockets and puts fs.file-max and fs.nr_open back. */
void vm_globals_restore(void)
{
	while (vm_nholders)
		close(vm_holders[--vm_nholders]);
	if (vm_old_file_max[0])
		write_file("/proc/sys/fs/file-max", vm_old_file_max, strlen(vm_old_file_max));
	vm_nr_open_back();
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

/* PID 1's setup: /proc and /dev, replies to ttyS1 in raw mode, requests from /requests, modules. */
void vm_init(void)
{
	const char *modules = getenv("SOCKSPEC_MODULES");
	const char *out;
	struct termios t;
	int fd;

	vm_mode = 1;
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
