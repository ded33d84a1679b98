// Laws of the fd table over sequences of socket(), socketpair() and close(): the lowest free fd
// (the two lowest for a pair), RLIMIT_NOFILE on the fd number, CLOEXEC/NONBLOCK set atomically on
// the new fds only, and a failed call that changes nothing but the table's size.
// Sources: fs/file.c (alloc_fd, __set_open_fd, put_unused_fd), net/socket.c (sock_alloc_file);
// docs/kernel.md §4.

import fc from 'fast-check';
import { lowestFree, regLo, SOCK_CLOEXEC, SOCK_NONBLOCK, type Env } from '../model';
import { commandsArb, envArb, type FdShadow, type FdWorld, type SocketStep } from '../generators';
import { violated, type PropertyDef } from './law';

function shadowOf(env: Env): FdShadow {
  return { open: new Map(env.fds.entries.map((e) => [e.fd, { cloexec: e.cloexec, nonblock: e.nonblock }])) };
}

function lowestIn(shadow: FdShadow): number {
  let fd = 0;
  while (shadow.open.has(fd)) fd++;
  return fd;
}

/** Every fd other than `except` has the flags the shadow recorded. */
function othersUnchanged(env: Env, shadow: FdShadow, except: number, log: string[]): void {
  for (const [fd, flags] of shadow.open) {
    if (fd === except) continue;
    const e = env.fds.entries.find((x) => x.fd === fd);
    if (e === undefined || e.cloexec !== flags.cloexec || e.nonblock !== flags.nonblock) {
      violated(`fd ${fd} changed (expected ${JSON.stringify(flags)}, got ${JSON.stringify(e)})\n${log.join('\n')}`);
    }
  }
}

/** The lowest fd the shadow does not hold, above `after`. */
function nextIn(shadow: FdShadow, after: number): number {
  let fd = after + 1;
  while (shadow.open.has(fd)) fd++;
  return fd;
}

function checkSocket(log: string[]) {
  return (s: SocketStep, shadow: FdShadow): void => {
    const o = s.decision.outcome;
    const lowest = lowestIn(shadow);
    if (o.kind === 'pair') {
      const want = [lowest, nextIn(shadow, lowest)];
      const type = regLo(s.call.a1);
      o.ends.forEach((end, i) => {
        if (end.fd !== want[i]) violated(`socketpair() end ${i} is fd ${end.fd}, the lowest free are ${want.join(', ')}\n${log.join('\n')}`);
        if (end.fd >= s.before.rlimitNofile) violated(`fd ${end.fd} >= RLIMIT_NOFILE ${s.before.rlimitNofile}\n${log.join('\n')}`);
        const e = s.after.fds.entries.find((x) => x.fd === end.fd);
        const wantCloexec = (type & SOCK_CLOEXEC) !== 0;
        const wantNonblock = (type & SOCK_NONBLOCK) !== 0;
        if (e === undefined || e.cloexec !== wantCloexec || e.nonblock !== wantNonblock || end.cloexec !== wantCloexec || end.nonblock !== wantNonblock) {
          violated(`new fd ${end.fd} flags ${JSON.stringify(e)} do not match the request\n${log.join('\n')}`);
        }
      });
      for (const [fd, flags] of shadow.open) {
        const e = s.after.fds.entries.find((x) => x.fd === fd);
        if (e === undefined || e.cloexec !== flags.cloexec || e.nonblock !== flags.nonblock) violated(`fd ${fd} changed\n${log.join('\n')}`);
      }
      if (s.after.nrFiles !== s.before.nrFiles + 2) violated(`nr_files did not grow by two\n${log.join('\n')}`);
      return;
    }
    if (lowestFree(s.before.fds) !== lowest) violated(`model's lowest free fd ${lowestFree(s.before.fds)} != ${lowest}\n${log.join('\n')}`);
    if (o.kind === 'fd') {
      if (o.fd !== lowest) violated(`socket() returned ${o.fd}, the lowest free fd is ${lowest}\n${log.join('\n')}`);
      if (o.fd >= s.before.rlimitNofile) violated(`fd ${o.fd} >= RLIMIT_NOFILE ${s.before.rlimitNofile}\n${log.join('\n')}`);
      const type = regLo(s.call.a1);
      const e = s.after.fds.entries.find((x) => x.fd === o.fd);
      const wantCloexec = (type & SOCK_CLOEXEC) !== 0;
      const wantNonblock = (type & SOCK_NONBLOCK) !== 0;
      if (e === undefined || e.cloexec !== wantCloexec || e.nonblock !== wantNonblock || o.cloexec !== wantCloexec || o.nonblock !== wantNonblock) {
        violated(`new fd ${o.fd} flags ${JSON.stringify(e)} do not match the request\n${log.join('\n')}`);
      }
      othersUnchanged(s.after, shadow, o.fd, log);
      if (s.after.nrFiles !== s.before.nrFiles + 1) violated(`nr_files did not grow by one\n${log.join('\n')}`);
      return;
    }
    // A failure changes nothing, but a socket() whose file allocation failed had reserved its fd:
    // the table grew to hold it (fs/file.c expand_files) and never shrinks.
    const grownOnly = s.decision.reserved !== undefined && s.after.fds.entries === s.before.fds.entries && sameButFds(s.after, s.before);
    if (s.after !== s.before && !grownOnly) violated(`a failed call changed the environment\n${log.join('\n')}`);
    const reachedRlimit = s.decision.trace.includes('G13-rlimit');
    const emfileHere = s.decision.trace[s.decision.trace.length - 1] === 'G13-rlimit';
    if (reachedRlimit && emfileHere !== lowest >= s.before.rlimitNofile) {
      violated(`EMFILE must hold exactly when the lowest free fd ${lowest} >= RLIMIT_NOFILE ${s.before.rlimitNofile}\n${log.join('\n')}`);
    }
    othersUnchanged(s.after, shadow, -1, log);
  };
}

/** Whether two environments are equal in everything but `fds` (field by field: the same object, or equal as JSON). */
function sameButFds(a: Env, b: Env): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof Env)[]);
  for (const k of keys) if (k !== 'fds' && a[k] !== b[k] && JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  return true;
}

function checkClose(log: string[]) {
  return (fd: number, before: Env, after: Env, shadow: FdShadow): void => {
    if (after.fds.entries.some((e) => e.fd === fd)) violated(`close(${fd}) left it open\n${log.join('\n')}`);
    if (after.fds.entries.length !== before.fds.entries.length - 1) violated(`close(${fd}) closed more than one fd\n${log.join('\n')}`);
    othersUnchanged(after, shadow, fd, log);
  };
}

const sequences: PropertyDef = {
  id: 'P-FD-SEQUENCES',
  title: 'over socket/close sequences: lowest free fd, EMFILE exactly at RLIMIT_NOFILE, atomic per-fd flags, failures change nothing',
  build: () => fc.property(envArb({ seccomp: false }), commandsArb({ maxCommands: 24 }), (env, cmds) => {
    const log: string[] = [];
    const world: FdWorld = { env, log, checkSocket: checkSocket(log), checkClose: checkClose(log) };
    fc.modelRun(() => ({ model: shadowOf(env), real: world }), cmds);
  }),
};

export const FD_PROPERTIES: readonly PropertyDef[] = [sequences];
