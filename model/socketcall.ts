// The i386 socketcall entry's own check, between seccomp and __sys_socket(): the multiplexer
// copies the argument block from user memory and fails with EFAULT when it cannot, before any
// argument reaches the generic path. seccomp ran earlier, at syscall entry, on nr 102 and the
// pointer, so a filter's verdict beats this EFAULT.
// Sources: net/compat.c (COMPAT_SYSCALL_DEFINE2(socketcall): the call-number range and
// nas[call] <= sizeof(a) checks, then copy_from_user, then audit_socketcall_compat and
// __sys_socket); docs/kernel.md §3.2 "Compatibility entry points".

import { entryCheck, type EntryRow } from './clause';
import { unreadableBlock } from './syscall';

/**
 * The rows of compat_sys_socketcall() that can decide a `socketcall(SYS_SOCKET, args)`. The call
 * number is always SYS_SOCKET (in range, 3 words: nas[1] = 12 <= sizeof(a)), so its EINVAL rows
 * never decide and are not listed; audit_socketcall_compat() cannot fail for 3 arguments.
 */
export const SOCKETCALL_ROWS: readonly EntryRow[] = [
  entryCheck('socketcall-args', ['block'], 'EFAULT',
    'the argument block of socketcall(SYS_SOCKET, args) cannot be read (copy_from_user faults): EFAULT before __sys_socket reads any argument',
    'net/compat.c:compat_sys_socketcall', (call) => call.entry === 'i386-socketcall', unreadableBlock),
];
