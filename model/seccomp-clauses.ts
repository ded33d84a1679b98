// The seccomp layer as clauses: what the filter stack's verdict does to a socket() call before the
// kernel reads any argument.
// Sources: kernel/entry/syscall-common.c (syscall_trace_enter), kernel/seccomp.c
// (seccomp_run_filters, __seccomp_filter); docs/kernel.md §2 and §7, docs/seccomp.md §5.

import type { Clause } from './clause';

const F = 'kernel/seccomp.c:__seccomp_filter';

export const SECCOMP_CLAUSES: readonly Clause[] = [
  { id: 'seccomp-allow', errno: null, cite: F, reads: ['seccomp'], title: 'the strongest action of the stack is ALLOW: the syscall runs' },
  { id: 'seccomp-log', errno: null, cite: F, reads: ['seccomp'], title: 'the strongest action is LOG: the syscall is logged and runs' },
  { id: 'seccomp-errno', errno: 'errno', cite: F, reads: ['seccomp'],
    title: 'the strongest action is ERRNO(n), n > 0: returns -n (clamped to 4095); ties go to the newest filter' },
  { id: 'seccomp-errno-zero', errno: null, cite: F, reads: ['seccomp'],
    title: 'the strongest action is ERRNO(0): the syscall is skipped and returns 0; no socket, no fd' },
  { id: 'seccomp-no-listener', errno: 'ENOSYS', cite: F, reads: ['seccomp'],
    title: 'TRACE with no tracer attached, or USER_NOTIF with no listener: ENOSYS' },
  { id: 'seccomp-kill', errno: null, cite: F, reads: ['seccomp'],
    title: 'KILL_PROCESS, KILL_THREAD, TRAP without a handler, or an unknown action: killed by SIGSYS' },
];
