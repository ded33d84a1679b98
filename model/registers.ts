// A syscall register as the model carries it: an unsigned 64-bit value, held as a number when it
// is below 2^53 (every double up to there is an exact integer) and as a bigint only above. Calls
// an application makes, and most generated ones, never need BigInt arithmetic: the kernel's int
// view is `| 0` and the two seccomp words are a shift and a division.
// Sources: include/linux/syscalls.h (SYSCALL_DEFINEx casts each register to the argument's C type,
// so `int family` is the low 32 bits, signed), kernel/seccomp.c (populate_seccomp_data copies
// the whole 64-bit registers into seccomp_data.args[]).

/**
 * One unsigned 64-bit register value. Canonical form: a number (a non-negative integer) below
 * 2^53, a bigint from 2^53 up; `reg()` makes it. The model accepts a bigint below 2^53 too (it
 * means the same value), but two canonical registers are equal exactly when `===` says so.
 */
export type Reg = number | bigint;

/** 2^53: the first value a register holds as a bigint. */
const BIG = 0x20000000000000n;
const TWO32 = 4294967296;
const U64_MAX = 0xffffffffffffffffn;

/**
 * The canonical register for a value: a bigint (taken modulo 2^64, so -1n is all ones) or a
 * number (a non-negative safe integer, or a negative int32 taken as its u32 bit pattern: `reg(-1)`
 * is 0xffffffff, as the generators and the contract write 32-bit values).
 */
export function reg(x: bigint | number): Reg {
  if (typeof x === 'number') {
    if (Number.isSafeInteger(x) && x >= 0) return x;
    if (Number.isInteger(x) && x >= -0x80000000 && x < 0) return x >>> 0;
    throw new RangeError(`register value ${x} is not a non-negative safe integer or an int32`);
  }
  const v = x >= 0n && x <= U64_MAX ? x : BigInt.asUintN(64, x);
  return v < BIG ? Number(v) : v;
}

/** The register as a bigint (exact, 0..2^64-1). */
export function regBig(r: Reg): bigint {
  return typeof r === 'number' ? BigInt(r) : r;
}

/** The low 32 bits as the kernel's `int` argument (SYSCALL_DEFINE's cast): signed. */
export function regInt32(r: Reg): number {
  // `| 0` is ToInt32, modulo 2^32, exact for the integers a number register holds.
  return typeof r === 'number' ? r | 0 : Number(BigInt.asIntN(32, r));
}

/** The low 32-bit word, unsigned. */
export function regLo(r: Reg): number {
  return typeof r === 'number' ? r >>> 0 : Number(r & 0xffffffffn);
}

/** The high 32-bit word, unsigned. */
export function regHi(r: Reg): number {
  return typeof r === 'number' ? Math.floor(r / TWO32) : Number((r >> 32n) & 0xffffffffn);
}

/** Whether the register fits in 32 bits (what socketcall's u32 argument block can hold). */
export function regFits32(r: Reg): boolean {
  return typeof r === 'number' ? r <= 0xffffffff : r <= 0xffffffffn;
}

/** Whether two registers hold the same value, whatever their form. */
export function regEqual(a: Reg, b: Reg): boolean {
  return typeof a === typeof b ? a === b : regBig(a) === regBig(b);
}
