// The generic path of socket() as ordered rows: the flag-bit check, family and type ranges, the
// PF_INET + SOCK_PACKET remap and registration before the family's ->create; fd and file allocation
// after it, so every family error beats EMFILE and ENFILE.
// Sources: net/socket.c (__sys_socket_create, __sock_create, sock_map_fd, sock_alloc_file),
// fs/file.c (alloc_fd, expand_files), fs/file_table.c (alloc_empty_file); docs/kernel.md §3, §10.1.

import { check, effect, type Clause, type Row } from './clause';
import { AF, CAP, NPROTO, SOCK, SOCK_MAX, SOCK_VALID_BITS } from './constants';
import { capableInit } from './creds';
import { growthRefused } from './fdtable';
import { familyRegistered } from './profile';

const CREATE = 'net/socket.c:__sock_create';

/** socket()'s own flag check, before __sock_create (socketpair has its own, in __sys_socketpair). */
export const FLAGS_ROW = check('G1-flags', ['strayBits'], 'EINVAL', 'type has bits outside SOCK_TYPE_MASK | SOCK_CLOEXEC | SOCK_NONBLOCK (any negative type too)',
  'net/socket.c:__sys_socket_create', (c) => (c.rawType & ~SOCK_VALID_BITS) !== 0);

/**
 * The rows of __sock_create before the family's ->create: what socket() and socketpair() share
 * (socketpair calls sock_create once per end with the flags already masked off).
 */
export const SOCK_CREATE: readonly Row[] = [
  check('G2-family-range', ['family'], 'EAFNOSUPPORT', 'family < 0 or family >= NPROTO (46)', CREATE,
    (c) => c.family < 0 || c.family >= NPROTO),
  check('G3-type-range', ['type'], 'EINVAL', '(type & 0xf) >= SOCK_MAX (11)', CREATE, (c) => c.type >= SOCK_MAX),
  effect('G4-inet-packet', ['family', 'type'], 'PF_INET with SOCK_PACKET is created as PF_PACKET', CREATE,
    (c) => c.family === AF.INET && c.type === SOCK.PACKET, (c) => { c.family = AF.PACKET; c.domain = AF.PACKET; }),
  check('G8-family-registered', ['family', 'profile'], 'EAFNOSUPPORT', 'no family registered with this number (AF_UNSPEC never is)', CREATE,
    (c) => !familyRegistered(c.env.profile, c.family)),
];

/** socket()'s rows before the family's ->create. */
export const BEFORE_CREATE: readonly Row[] = [FLAGS_ROW, ...SOCK_CREATE];

/** Rows after a successful ->create. `c.fd` holds the lowest free fd. */
export const AFTER_CREATE: readonly Row[] = [
  check('G13-rlimit', ['fds', 'rlimit'], 'EMFILE', 'the lowest free fd >= RLIMIT_NOFILE (the limit is on the fd number)',
    'fs/file.c:alloc_fd', (c) => c.fd >= c.env.rlimitNofile),
  check('G13-nr-open', ['fds', 'nrOpen', 'profile'], 'EMFILE', 'the fd table must grow and fs.nr_open refuses the size',
    'fs/file.c:expand_files', (c) => growthRefused(c.env.fds, c.fd, c.env.nrOpen, c.env.profile.fdtableGrowth)),
  check('G14-file-max', ['nrFiles', 'fileMax', 'caps', 'namespaces'], 'ENFILE', 'files open system-wide >= fs.file-max and no CAP_SYS_ADMIN in the initial user namespace',
    'fs/file_table.c:alloc_empty_file',
    (c) => c.env.nrFiles >= c.env.fileMax && !capableInit(c.env.creds, CAP.SYS_ADMIN)),
];

/** The success row: the fd is installed with its flags. */
export const INSTALL: Clause = {
  id: 'G15-install',
  title: 'the lowest free fd is installed; FD_CLOEXEC iff SOCK_CLOEXEC, O_NONBLOCK iff SOCK_NONBLOCK, O_RDWR always',
  errno: null,
  cite: 'fs/file.c:fd_install',
  reads: ['fds', 'sockflags'],
};
