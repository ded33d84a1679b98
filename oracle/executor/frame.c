/*
 * Frame I/O: requests are read from stdin (a pipe from the host runner, /requests in a VM), and
 * replies are buffered and written to stdout in large writes (in a VM with SOCKSPEC_REPLIES=debugcon,
 * to QEMU's debug port). The frames are those of oracle/protocol.ts, through protocol.h.
 * Sources: oracle/protocol.ts; docs/vm-oracle.md (the reply channels).
 */
#include "executor.h"

/* The reply buffer: replies go out in writes of up to this many bytes. */
#define TX_MAX 65536u

/* One request's payload (see RX_MAX), and the replies buffered for the next large write. */
uint8_t rx[RX_MAX];
static uint8_t tx[TX_MAX];
static size_t tx_len;
/* VM mode with SOCKSPEC_REPLIES=debugcon: the debug port the replies go to (set by vm_init), else 0. */
uint16_t reply_port;
/* A kept-up VM guest: the mailbox shared with the host (MAILBOX_BYTES), or NULL (set by vm_init). */
uint8_t *mailbox;
/* While a MAILBOX is served: its request bytes not read yet, and the reply bytes written so far. */
static const uint8_t *mbox_in;
static size_t mbox_in_left;
static size_t mbox_out;
static int mbox_overflow;

/* Serves the next requests from the mailbox's first `n` bytes, and sends the replies into it. */
void mailbox_begin(size_t n)
{
	mbox_in = mailbox;
	mbox_in_left = n;
	mbox_out = 0;
	mbox_overflow = 0;
}

/* Whether a MAILBOX is being served. */
int mailbox_active(void)
{
	return mbox_in != NULL;
}

/* Whether request bytes of the mailbox are left. */
int mailbox_left(void)
{
	return mbox_in != NULL && mbox_in_left > 0;
}

/* Back to the UART; the bytes of replies in the mailbox, or -1 when they did not fit. */
long mailbox_end(void)
{
	long n = mbox_overflow ? -1 : (long)mbox_out;

	mbox_in = NULL;
	mbox_in_left = 0;
	mbox_out = 0;
	return n;
}

/* Reads exactly n bytes from fd (EINTR retried); 0, or -1 at end of input or on error. */
int read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	if (fd == 0 && mbox_in != NULL) {
		/* Serving a MAILBOX: a frame cut short by its end is the end of that input. */
		if (n > mbox_in_left) {
			mbox_in_left = 0;
			return -1;
		}
		memcpy(buf, mbox_in, n);
		mbox_in += n;
		mbox_in_left -= n;
		return 0;
	}
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Writes exactly n bytes (in VM mode with a debug port, to that port); a host that went away ends
 * the executor (there is no one to answer).
 */
static void write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	if (fd == 1 && mbox_in != NULL) {
		if (mbox_out + n > MAILBOX_BYTES - MAILBOX_REPLY_OFFSET) {
			mbox_overflow = 1;
			return;
		}
		memcpy(mailbox + MAILBOX_REPLY_OFFSET + mbox_out, buf, n);
		mbox_out += n;
		return;
	}
	if (fd == 1 && reply_port) {
		/* VM mode: the replies go to QEMU's debug port byte by byte, no interrupts, no tty. */
		__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(reply_port) : "memory");
		return;
	}

	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1);
		p += r;
		n -= (size_t)r;
	}
}

/* Sends whatever replies are buffered: replies go out in large writes, not one per frame. */
void tx_flush(void)
{
	write_full(1, tx, tx_len);
	tx_len = 0;
}

/* Buffers reply bytes; anything larger than the buffer is written straight through. */
void tx_put(const void *p, size_t n)
{
	if (tx_len + n > sizeof tx)
		tx_flush();
	if (n > sizeof tx) {
		write_full(1, p, n);
		return;
	}
	memcpy(tx + tx_len, p, n);
	tx_len += n;
}

/* Buffers a frame header; the caller then puts exactly `length` payload bytes. */
void tx_header(uint32_t kind, uint32_t length)
{
	struct frame_header h = { PROTOCOL_MAGIC, kind, length };

	tx_put(&h, sizeof h);
}

/* Sends an ERROR frame for request `code` with a text and an optional number (-1: none). */
void send_error(uint32_t code, int err, const char *text, int64_t num)
{
	struct error_record e;
	size_t n;

	memset(&e, 0, sizeof e);
	e.code = code;
	e.err = err;
	n = put_str(e.text, sizeof e.text, 0, text);
	if (num >= 0) {
		n = put_str(e.text, sizeof e.text, n, " ");
		put_num(e.text, sizeof e.text, n, num);
	}
	tx_header(KIND_ERROR, sizeof e);
	tx_put(&e, sizeof e);
}

/* Discards n payload bytes the executor will not use, keeping the stream in step. */
int skip_bytes(size_t n)
{
	while (n) {
		size_t k = n < sizeof tx ? n : sizeof tx;

		if (read_full(0, rx, k))
			return -1;
		n -= k;
	}
	return 0;
}

/* Whether the first four bytes of w are PROTOCOL_MAGIC (little-endian, as every field). */
static int is_magic(const uint8_t *w)
{
	uint32_t m;

	memcpy(&m, w, sizeof m);
	return m == PROTOCOL_MAGIC;
}

/*
 * Reads the next frame header. After garbage it reports one ERROR and slides byte by byte until
 * the magic lines up again, so a stray write costs one frame, not the session. -1 at EOF.
 */
int next_header(struct frame_header *h)
{
	uint8_t w[sizeof *h];

	if (read_full(0, w, sizeof w))
		return -1;
	if (!is_magic(w)) {
		send_error(0, 0, "bad frame magic; resynchronising on the next frame", -1);
		tx_flush();
		while (!is_magic(w)) {
			memmove(w, w + 1, sizeof w - 1);
			if (read_full(0, w + sizeof w - 1, 1))
				return -1;
		}
	}
	memcpy(h, w, sizeof *h);
	return 0;
}
