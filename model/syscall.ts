// What seccomp is shown for a socket() call on each x86 entry path: the native `syscall` (nr 41,
// 64-bit registers), `int $0x80` (nr 359, 32-bit registers) and i386 socketcall (nr 102, where
// the arguments sit behind a pointer the filter cannot follow).
// Sources: kernel/seccomp.c (populate_seccomp_data), arch/x86/include/asm/syscall.h
// (syscall_get_arguments), arch/x86/entry/syscalls/syscall_{64,32}.tbl,
// net/compat.c (compat_sys_socketcall); seccomp.md §4.4 and §6.

import type { SeccompData } from './seccomp/bpf';
import type { Call } from './types';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const NR_SOCKET_X86_64 = 41;
export const NR_SOCKET_I386 = 359;
export const NR_SOCKETCALL_I386 = 102;
export const SYS_SOCKET = 1;
/** The address of the socketcall argument block (the executor maps it there, below 4 GiB). */
export const SOCKETCALL_ARGS_ADDR = 0x10000n;

const MASK64 = 0xffffffffffffffffn;

/** The `seccomp_data` a filter sees for this call. */
export function seccompDataFor(call: Call): SeccompData {
  const entry = call.entry ?? 'x86_64';
  if (entry === 'x86_64') {
    return {
      nr: NR_SOCKET_X86_64,
      arch: AUDIT_ARCH_X86_64,
      instructionPointer: 0n,
      args: [call.a0 & MASK64, call.a1 & MASK64, call.a2 & MASK64, 0n, 0n, 0n],
    };
  }
  if (entry === 'i386') {
    // int $0x80 from a 64-bit process: the syscall reads the low words, but seccomp_data.args[]
    // holds the whole 64-bit registers (probed on 6.18: a filter testing args[0].hi under
    // AUDIT_ARCH_I386 matched rbx = 0x1_00000001).
    return {
      nr: NR_SOCKET_I386,
      arch: AUDIT_ARCH_I386,
      instructionPointer: 0n,
      args: [call.a0 & MASK64, call.a1 & MASK64, call.a2 & MASK64, 0n, 0n, 0n],
    };
  }
  return {
    nr: NR_SOCKETCALL_I386,
    arch: AUDIT_ARCH_I386,
    instructionPointer: 0n,
    args: [BigInt(SYS_SOCKET), SOCKETCALL_ARGS_ADDR, 0n, 0n, 0n, 0n],
  };
}

const TWO32 = 4294967296;

function putReg(words: Uint32Array, at: number, reg: bigint): void {
  if (reg <= 0x1fffffffffffffn) {
    const n = Number(reg);
    words[at] = n >>> 0;
    words[at + 1] = Math.floor(n / TWO32);
  } else {
    words[at] = Number(reg & 0xffffffffn);
    words[at + 1] = Number((reg >> 32n) & 0xffffffffn);
  }
}

/**
 * Writes the `seccomp_data` of this call into `words` (16 little-endian u32 words, the layout
 * `encodeSeccompData` produces), without allocating: the hot path of evaluate under seccomp.
 */
export function fillSeccompWords(call: Call, words: Uint32Array): Uint32Array {
  words.fill(0);
  const entry = call.entry ?? 'x86_64';
  if (entry === 'i386-socketcall') {
    words[0] = NR_SOCKETCALL_I386;
    words[1] = AUDIT_ARCH_I386;
    words[4] = SYS_SOCKET;
    words[6] = Number(SOCKETCALL_ARGS_ADDR);
    return words;
  }
  words[0] = entry === 'x86_64' ? NR_SOCKET_X86_64 : NR_SOCKET_I386;
  words[1] = entry === 'x86_64' ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386;
  putReg(words, 4, call.a0);
  putReg(words, 6, call.a1);
  putReg(words, 8, call.a2);
  return words;
}
