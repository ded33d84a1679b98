// AF_UNIX ->create: the protocol is checked before the type, SOCK_RAW silently becomes SOCK_DGRAM,
// and the global unix_nr_socks limit (twice fs.file-max, no capability bypass) is the family's ENFILE.
// Source: net/unix/af_unix.c (unix_create, unix_create1); docs/kernel.md §5.1.

import { check, effect, type FamilyTable } from '../clause';
import { AF, SOCK } from '../constants';

const F = 'net/unix/af_unix.c:unix_create';

export const unixTable: FamilyTable = {
  family: AF.UNIX,
  name: 'AF_UNIX',
  create: F,
  socketpair: 'net/unix/af_unix.c:unix_socketpair',
  rows: [
    check('unix-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is neither 0 nor PF_UNIX (1)', F,
      (c) => c.protocol !== 0 && c.protocol !== AF.UNIX),
    effect('unix-raw-as-dgram', ['type'], 'SOCK_RAW is accepted as SOCK_DGRAM (SO_TYPE reads 2)', F,
      (c) => c.type === SOCK.RAW, (c) => { c.sotype = SOCK.DGRAM; }),
    check('unix-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not STREAM, DGRAM, SEQPACKET or RAW', F,
      (c) => c.type !== SOCK.STREAM && c.type !== SOCK.DGRAM && c.type !== SOCK.SEQPACKET && c.type !== SOCK.RAW),
    check('unix-nr-socks', ['unixSockets', 'fileMax'], 'ENFILE', 'unix_nr_socks + 1 > 2 * fs.file-max (no capability bypasses it)',
      'net/unix/af_unix.c:unix_create1', (c) => c.env.unixSockets + 1 > 2 * c.env.fileMax),
  ],
};
