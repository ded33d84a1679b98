// What seccomp is shown for a socket() or socketpair() call on each x86 entry path: the native
// `syscall` (nr 41 / 53, 64-bit registers), `int $0x80` (nr 359 / 360) and i386 socketcall (nr 102,
// where the arguments sit behind a pointer the filter cannot follow).
// Sources: kernel/seccomp.c (populate_seccomp_data), arch/x86/include/asm/syscall.h
// (syscall_get_arguments), arch/x86/entry/syscalls/syscall_{64,32}.tbl,
// net/compat.c (compat_sys_socketcall); docs/seccomp.md §4.4 and §6.

import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, NR_SOCKETCALL_I386, NR_SOCKETPAIR_I386, NR_SOCKETPAIR_X86_64, NR_SOCKET_I386,
  NR_SOCKET_X86_64,
} from './seccomp/asm';
import type { SeccompData } from './seccomp/bpf';
import { regHi, regLo, type Reg } from './registers';
import type { Call } from './types';

export {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, NR_SOCKETCALL_I386, NR_SOCKETPAIR_I386, NR_SOCKETPAIR_X86_64, NR_SOCKET_I386,
  NR_SOCKET_X86_64,
};
export const SYS_SOCKET = 1;
export const SYS_SOCKETPAIR = 8;
/** Where socketpair's sv points (in the executor's argument page, below 4 GiB for the i386 entries). */
export const SOCKETPAIR_SV_ADDR = 0x10800n;
/** sv for `one-word`: the last word of the argument page; the executor keeps the next page unmapped. */
export const SOCKETPAIR_SV_ONE_WORD_ADDR = 0x10ffcn;
/** sv for `unwritable`: NULL, which no process of ours maps. */
export const SOCKETPAIR_SV_UNWRITABLE_ADDR = 0n;

/** Whether the call is socketpair(2). */
export function isPair(call: Call): boolean {
  return call.syscall === 'socketpair';
}

/** The sv pointer a socketpair call passes. */
export function svAddress(call: Call): bigint {
  return call.sv === 'unwritable' ? SOCKETPAIR_SV_UNWRITABLE_ADDR : call.sv === 'one-word' ? SOCKETPAIR_SV_ONE_WORD_ADDR : SOCKETPAIR_SV_ADDR;
}
/** The address of the socketcall argument block (the executor maps it there, below 4 GiB). */
export const SOCKETCALL_ARGS_ADDR = 0x10000n;
/**
 * The pointer passed for an unreadable block: NULL, below `vm.mmap_min_addr` (4096 at least), so
 * no process of ours can have a page there and `copy_from_user()` faults.
 */
export const SOCKETCALL_UNREADABLE_ADDR = 0n;

/** Whether the call is `socketcall(SYS_SOCKET or SYS_SOCKETPAIR, args)` with an argument block the kernel cannot read. */
export function unreadableBlock(call: Call): boolean {
  return call.entry === 'i386-socketcall' && call.block === 'unreadable';
}

/** The `seccomp_data` a filter sees for this call, as an object (read off `fillSeccompWords`). */
export function seccompDataFor(call: Call): SeccompData {
  const w = fillSeccompWords(call, new Uint32Array(16));
  const arg = (i: number): bigint => (BigInt(w[5 + 2 * i]) << 32n) | BigInt(w[4 + 2 * i]);
  return { nr: w[0], arch: w[1], instructionPointer: 0n, args: [0, 1, 2, 3, 4, 5].map(arg) };
}

function putReg(words: Uint32Array, at: number, r: Reg): void {
  if (typeof r === 'number') {
    // Below 2^53: the low word is ToUint32, the high word the quotient (exact in a double).
    words[at] = r >>> 0;
    words[at + 1] = (r / 4294967296) >>> 0;
  } else {
    words[at] = regLo(r);
    words[at + 1] = regHi(r);
  }
}

/**
 * Writes the `seccomp_data` of this call into `words` (16 little-endian u32 words, the layout
 * `encodeSeccompData` produces), without allocating: the hot path of evaluate under seccomp.
 */
export function fillSeccompWords(call: Call, words: Uint32Array): Uint32Array {
  words.fill(0);
  const entry = call.entry ?? 'x86_64';
  const pair = call.syscall === 'socketpair';
  if (entry === 'i386-socketcall') {
    words[0] = NR_SOCKETCALL_I386;
    words[1] = AUDIT_ARCH_I386;
    words[4] = pair ? SYS_SOCKETPAIR : SYS_SOCKET;
    words[6] = Number(unreadableBlock(call) ? SOCKETCALL_UNREADABLE_ADDR : SOCKETCALL_ARGS_ADDR);
    return words;
  }
  // int $0x80 from a 64-bit process: the syscall reads the low words, but seccomp_data.args[]
  // holds the whole 64-bit registers (probed on 6.18: a filter testing args[0].hi under
  // AUDIT_ARCH_I386 matched rbx = 0x1_00000001).
  if (entry === 'x86_64') words[0] = pair ? NR_SOCKETPAIR_X86_64 : NR_SOCKET_X86_64;
  else words[0] = pair ? NR_SOCKETPAIR_I386 : NR_SOCKET_I386;
  words[1] = entry === 'x86_64' ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386;
  putReg(words, 4, call.a0);
  putReg(words, 6, call.a1);
  putReg(words, 8, call.a2);
  if (pair) putReg(words, 10, svAddress(call));
  return words;
}
