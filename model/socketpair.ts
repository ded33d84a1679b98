// socketpair(2) as ordered rows. Unlike socket(), __sys_socketpair reserves both fds and writes
// them into sv *before* it creates anything ("socketpair(): allocate descriptors first", v4.17), so
// EMFILE and EFAULT beat every family error, and a later failure leaves the two reserved numbers in
// sv. Then sock_create runs twice (the second can only differ by what the first counted:
// unix_nr_socks), the family's ops->socketpair joins them (sock_no_socketpair: EOPNOTSUPP, after
// both were created), and two files are allocated (fs.file-max counted twice).
// Sources: net/socket.c (__sys_socketpair, sock_alloc_file, sock_no_socketpair), fs/file.c
// (get_unused_fd_flags, alloc_fd, expand_files), fs/file_table.c (alloc_empty_file),
// net/unix/af_unix.c (unix_create1, unix_socketpair); docs/kernel.md §11.

import { check, type Clause, type Row } from './clause';
import { AF, CAP, SOCK_VALID_BITS } from './constants';
import { capableInit } from './creds';
import { familyTable } from './families';
import { growthRefused, tableSize, grownSize, withEntry } from './fdtable';
import type { FdTable } from './types';

const PAIR = 'net/socket.c:__sys_socketpair';

/** The table once `fd` is reserved: the bit set, the table grown as expand_files grew it. */
export function reserve(t: FdTable, fd: number, nrOpen: number, growth: 'pow2' | 'kib-chunks'): FdTable {
  const size = tableSize(t, nrOpen, growth);
  const grown = withEntry(t, { fd, cloexec: false, nonblock: false });
  return fd < size ? { ...grown, maxFds: size } : { ...grown, maxFds: grownSize(fd, nrOpen, growth) };
}

/** The second fd socketpair reserves: the lowest free once the first is taken. */
export function secondFree(t: FdTable, first: number): number {
  let want = first + 1;
  for (const e of t.entries) {
    if (e.fd < want) continue;
    if (e.fd === want) want++;
    else break;
  }
  return want;
}

/** Rows of __sys_socketpair before the first sock_create. `c.fd` and `c.fd2` hold the two fds it reserves. */
export const PAIR_BEFORE_CREATE: readonly Row[] = [
  check('SP1-flags', ['strayBits'], 'EINVAL', 'type has bits outside SOCK_TYPE_MASK | SOCK_CLOEXEC | SOCK_NONBLOCK (any negative type too)',
    PAIR, (c) => (c.rawType & ~SOCK_VALID_BITS) !== 0),
  check('SP2-fd1-rlimit', ['fds', 'rlimit'], 'EMFILE', 'the first fd: the lowest free fd >= RLIMIT_NOFILE',
    'fs/file.c:alloc_fd', (c) => c.fd >= c.env.rlimitNofile),
  check('SP2-fd1-nr-open', ['fds', 'nrOpen', 'profile'], 'EMFILE', 'the first fd: the table must grow and fs.nr_open refuses the size',
    'fs/file.c:expand_files', (c) => growthRefused(c.env.fds, c.fd, c.env.nrOpen, c.env.profile.fdtableGrowth)),
  check('SP3-fd2-rlimit', ['fds', 'rlimit'], 'EMFILE', 'the second fd (the lowest free once the first is taken) >= RLIMIT_NOFILE; the first is given back',
    'fs/file.c:alloc_fd', (c) => c.fd2 >= c.env.rlimitNofile),
  check('SP3-fd2-nr-open', ['fds', 'nrOpen', 'profile'], 'EMFILE', 'the second fd needs a table growth fs.nr_open refuses; the first is given back',
    'fs/file.c:expand_files', (c) => growthRefused(reserve(c.env.fds, c.fd, c.env.nrOpen, c.env.profile.fdtableGrowth), c.fd2, c.env.nrOpen, c.env.profile.fdtableGrowth)),
  check('SP4-sv0', ['sv'], 'EFAULT', 'put_user(fd1, &sv[0]) faults (sv is NULL): nothing written, both fds given back',
    PAIR, (c) => c.sv === 'unwritable'),
  check('SP4-sv1', ['sv'], 'EFAULT', 'put_user(fd2, &sv[1]) faults (sv[1] is on an unmapped page): sv[0] holds fd1, which is not open',
    PAIR, (c) => c.sv === 'one-word'),
];

/**
 * Rows after the first end's sock_create (SOCK_CREATE and the family's table, as for socket()).
 * The second sock_create repeats the first with the same arguments, so only what the first
 * counted can make it fail.
 */
export const PAIR_AFTER_CREATE: readonly Row[] = [
  check('SP5-second-unix-nr-socks', ['unixSockets', 'fileMax'], 'ENFILE', 'AF_UNIX: the second end counts too: unix_nr_socks + 2 > 2 * fs.file-max',
    'net/unix/af_unix.c:unix_create1', (c) => c.family === AF.UNIX && c.env.unixSockets + 2 > 2 * c.env.fileMax),
  check('SP6-no-socketpair', ['family'], 'EOPNOTSUPP', "the family's ops->socketpair is sock_no_socketpair (every family but AF_UNIX and AF_TIPC): both ends are released",
    'net/core/sock.c:sock_no_socketpair', (c) => familyTable(c.family)?.socketpair === undefined),
  check('SP7-file-max', ['nrFiles', 'fileMax', 'caps', 'namespaces'], 'ENFILE', 'the first file: files open system-wide >= fs.file-max and no CAP_SYS_ADMIN in the initial user namespace',
    'fs/file_table.c:alloc_empty_file', (c) => c.env.nrFiles >= c.env.fileMax && !capableInit(c.env.creds, CAP.SYS_ADMIN)),
  check('SP7-file-max-2', ['nrFiles', 'fileMax', 'caps', 'namespaces'], 'ENFILE', 'the second file: the first one counts too (files open + 1 >= fs.file-max), no CAP_SYS_ADMIN in the initial user namespace',
    'fs/file_table.c:alloc_empty_file', (c) => c.env.nrFiles + 1 >= c.env.fileMax && !capableInit(c.env.creds, CAP.SYS_ADMIN)),
];

/** The success row: both fds installed, in order, with the same flags. */
export const PAIR_INSTALL: Clause = {
  id: 'SP8-install',
  title: 'both reserved fds are installed (fd1 < fd2, the two lowest free); FD_CLOEXEC iff SOCK_CLOEXEC and O_NONBLOCK iff SOCK_NONBLOCK on both; returns 0',
  errno: null,
  cite: 'net/socket.c:__sys_socketpair',
  reads: ['fds', 'sockflags'],
};
