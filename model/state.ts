// Environments and how a call changes them: the defaults of a fresh process on the reference
// machine, the fd table after a successful socket(), and close(). A failed call changes nothing.
// Sources: fs/file.c (fd_install, close_fd), net/unix/af_unix.c (unix_nr_socks), fs/file_table.c
// (nr_files); docs/kernel.md §4.

import { ALL_CAPS } from './creds';
import { AF } from './constants';
import { fdTable, grownSize, tableSize, withEntry, withoutFd, entryOf } from './fdtable';
import { reference618 } from './profiles';
import type { Decision, Env } from './types';

/** `fs.file-max` on a 64-bit systemd machine (LONG_MAX), as a safe number. */
export const FILE_MAX_DEFAULT = Number.MAX_SAFE_INTEGER;
/** `fs.nr_open` default: 1024 * 1024. */
export const NR_OPEN_SYSCTL_DEFAULT = 1048576;

/**
 * Root with every capability in the initial namespaces, fds 0-2 open, RLIMIT_NOFILE 1024, the
 * per-netns defaults of a new netns (ping range "1 0", MPTCP on), no seccomp filter.
 * @example evaluate(call, defaultEnv({ rlimitNofile: 3 }))
 */
export function defaultEnv(over: Partial<Env> = {}): Env {
  return {
    profile: reference618,
    creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS, namespaces: 'init' },
    pingGroupRange: [1, 0],
    mptcpEnabled: true,
    fileMax: FILE_MAX_DEFAULT,
    nrOpen: NR_OPEN_SYSCTL_DEFAULT,
    nrFiles: 1024,
    unixSockets: 16,
    rlimitNofile: 1024,
    fds: fdTable([0, 1, 2]),
    seccomp: [],
    ...over,
  };
}

/**
 * The environment after `decision`: new fds are installed and counted (one for socket(), two for
 * socketpair()); a failed call that had reserved fds leaves the table grown to hold them (the fds
 * themselves are free again); anything else is a no-op.
 */
export function applyDecision(env: Env, decision: Decision): Env {
  const o = decision.outcome;
  if (o.kind !== 'fd' && o.kind !== 'pair') {
    const r = decision.reserved;
    if (r === undefined || r.length === 0) return env;
    const growth = env.profile.fdtableGrowth;
    const size = tableSize(env.fds, env.nrOpen, growth);
    const highest = Math.max(...r);
    if (highest < size && env.fds.maxFds !== undefined) return env;
    const maxFds = highest < size ? size : grownSize(highest, env.nrOpen, growth);
    return { ...env, fds: { entries: env.fds.entries, maxFds } };
  }
  const opened = o.kind === 'fd' ? [o] : o.ends;
  let fds = env.fds;
  let unix = 0;
  for (const e of opened) {
    fds = withEntry(fds, { fd: e.fd, cloexec: e.cloexec, nonblock: e.nonblock, socket: { domain: e.domain, type: e.sotype, protocol: e.soprotocol } });
    if (fds.maxFds !== undefined && e.fd >= fds.maxFds) {
      fds = { ...fds, maxFds: grownSize(e.fd, env.nrOpen, env.profile.fdtableGrowth) };
    }
    if (e.domain === AF.UNIX) unix++;
  }
  return { ...env, fds, nrFiles: env.nrFiles + opened.length, unixSockets: env.unixSockets + unix };
}

/** close(fd): the environment without it; EBADF (unchanged env) when it is not open. */
export function closeFd(env: Env, fd: number): { env: Env; result: 0 | 'EBADF' } {
  const e = entryOf(env.fds, fd);
  if (e === undefined) return { env, result: 'EBADF' };
  return {
    env: {
      ...env,
      fds: withoutFd(env.fds, fd),
      nrFiles: Math.max(0, env.nrFiles - 1),
      unixSockets: env.unixSockets - (e.socket?.domain === AF.UNIX ? 1 : 0),
    },
    result: 0,
  };
}
