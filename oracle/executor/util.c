/*
 * The executor's small helpers, without stdio or allocation (anything they opened would move the
 * lowest free fd under test): the monotonic clock, bounded string building and number parsing,
 * /proc paths, and whole-file reads and writes through the raw syscall instruction.
 * Sources: docs/architecture.md "The oracle" and "Style to follow".
 */
#include "executor.h"

/* CLOCK_MONOTONIC in nanoseconds; the vDSO answers it without a syscall. */
uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Appends a C string to a bounded buffer, always NUL-terminated; returns the new length. */
size_t put_str(char *buf, size_t cap, size_t len, const char *s)
{
	while (*s && len + 1 < cap)
		buf[len++] = *s++;
	buf[len] = 0;
	return len;
}

/* Appends a signed decimal number to a bounded buffer (no stdio: see the file comment). */
size_t put_num(char *buf, size_t cap, size_t len, int64_t v)
{
	char digits[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[n++] = '-';
	while (n > 0 && len + 1 < cap)
		buf[len++] = digits[--n];
	buf[len] = 0;
	return len;
}

/* Parses an unsigned number in `base` (8 or 10) after optional blanks; stops at the first non-digit. */
uint64_t parse_num(const char *s, unsigned base)
{
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= '0' && *s < (char)('0' + base))
		v = v * base + (uint64_t)(*s++ - '0');
	return v;
}

/* "/proc/<pid><tail><num>" (num < 0 leaves it out): the paths the parent reads about a child. */
void proc_path(char *buf, size_t cap, pid_t pid, const char *tail, long num)
{
	size_t n = put_str(buf, cap, 0, "/proc/");

	n = put_num(buf, cap, n, pid);
	n = put_str(buf, cap, n, tail);
	if (num >= 0)
		put_num(buf, cap, n, num);
}

/* Writes `len` bytes to an existing file with open/write/close; 0 or -errno. */
long write_file(const char *path, const char *s, size_t len)
{
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return fd;
	r = SYS3(SYS_write, fd, s, len);
	SYS1(SYS_close, fd);
	if (r < 0)
		return r;
	return (size_t)r == len ? 0 : -EIO;
}

/* Reads up to cap-1 bytes of a file and NUL-terminates them; the length or -errno. */
long read_file(const char *path, char *buf, size_t cap)
{
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	long r;

	if (fd < 0)
		return fd;
	r = SYS3(SYS_read, fd, buf, cap - 1);
	SYS1(SYS_close, fd);
	buf[r < 0 ? 0 : r] = 0;
	return r;
}
