// A small assembler for seccomp filters, and the shape libseccomp 2.5.4 emits for one socket()
// rule on x86_64 (docs/seccomp.md §4.3 and §7). Sources: libseccomp src/db.c (_db_rule_gen_64) and
// src/gen_bpf.c (_gen_bpf_node, accumulator tracking); kernel/seccomp.c for the data layout and
// arch/x86/entry/syscalls/syscall_{64,32}.tbl for the syscall numbers.

import {
  BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH, BPF_MEM, BPF_MISC, BPF_MUL,
  BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X,
  BPF_XOR, type BpfInsn,
} from './bpf';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_THREAD } from './actions';

/** `AUDIT_ARCH_X86_64`: 64-bit `syscall` entry. @example archCheck(AUDIT_ARCH_X86_64, 0) */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** `AUDIT_ARCH_I386`: `int $0x80` from any process. @example jeq(AUDIT_ARCH_I386, 0, 1) */
export const AUDIT_ARCH_I386 = 0x40000003;
/** socket(2) on x86_64. @example jeq(NR_SOCKET_X86_64, 0, 1) */
export const NR_SOCKET_X86_64 = 41;
/** socket(2) on i386 (direct, since Linux 4.3). @example jeq(NR_SOCKET_I386, 0, 1) */
export const NR_SOCKET_I386 = 359;
/** socketpair(2) on x86_64. @example jeq(NR_SOCKETPAIR_X86_64, 0, 1) */
export const NR_SOCKETPAIR_X86_64 = 53;
/** socketpair(2) on i386 (direct, since Linux 4.3). @example jeq(NR_SOCKETPAIR_I386, 0, 1) */
export const NR_SOCKETPAIR_I386 = 360;
/** socketcall(2) on i386; `args[0]` is the sub-call (SYS_SOCKET = 1), the rest sit behind a pointer.
 * @example jeq(NR_SOCKETCALL_I386, 0, 1) */
export const NR_SOCKETCALL_I386 = 102;
/** `__X32_SYSCALL_BIT`: libseccomp's x86_64 filters send nr at or above it to the bad-arch action.
 * @example jge(X32_SYSCALL_BIT, 0, 1) */
export const X32_SYSCALL_BIT = 0x40000000;

/** Byte offset of `nr` in `struct seccomp_data`. @example ld(OFFSET_NR) */
export const OFFSET_NR = 0;
/** Byte offset of `arch` in `struct seccomp_data`. @example ld(OFFSET_ARCH) */
export const OFFSET_ARCH = 4;

function insn(code: number, jt: number, jf: number, k: number): BpfInsn {
  return [code, jt, jf, k >>> 0];
}

/** `ld [offset]`: A = the u32 at `offset` in seccomp_data. @example ld(4) // A = arch */
export const ld = (offset: number): BpfInsn => insn(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
/** `ld [16+8i]`: A = low word of args[i]. @example ldArgLo(0) // ld [16] */
export const ldArgLo = (i: number): BpfInsn => ld(16 + 8 * argIndex(i));
/** `ld [20+8i]`: A = high word of args[i]. @example ldArgHi(0) // ld [20] */
export const ldArgHi = (i: number): BpfInsn => ld(20 + 8 * argIndex(i));
/** `ld #k`. @example ldImm(7) */
export const ldImm = (k: number): BpfInsn => insn(BPF_LD | BPF_IMM, 0, 0, k);
/** `ldx #k`. @example ldxImm(7) */
export const ldxImm = (k: number): BpfInsn => insn(BPF_LDX | BPF_IMM, 0, 0, k);
/** `ld #len` (64 under seccomp). @example ldLen() */
export const ldLen = (): BpfInsn => insn(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
/** `ldx #len` (64 under seccomp). @example ldxLen() */
export const ldxLen = (): BpfInsn => insn(BPF_LDX | BPF_W | BPF_LEN, 0, 0, 0);
/** `ld M[i]`. @example ldMem(0) */
export const ldMem = (i: number): BpfInsn => insn(BPF_LD | BPF_MEM, 0, 0, i);
/** `ldx M[i]`. @example ldxMem(0) */
export const ldxMem = (i: number): BpfInsn => insn(BPF_LDX | BPF_MEM, 0, 0, i);
/** `st M[i]`: M[i] = A. @example st(0) */
export const st = (i: number): BpfInsn => insn(BPF_ST, 0, 0, i);
/** `stx M[i]`: M[i] = X. @example stx(0) */
export const stx = (i: number): BpfInsn => insn(BPF_STX, 0, 0, i);
/** `tax`: X = A. @example tax() */
export const tax = (): BpfInsn => insn(BPF_MISC | BPF_TAX, 0, 0, 0);
/** `txa`: A = X. @example txa() */
export const txa = (): BpfInsn => insn(BPF_MISC | BPF_TXA, 0, 0, 0);

const alu = (op: number) => (k: number): BpfInsn => insn(BPF_ALU | op | BPF_K, 0, 0, k);
const aluX = (op: number) => (): BpfInsn => insn(BPF_ALU | op | BPF_X, 0, 0, 0);
/** A op= k, 32-bit. @example and(0xff) */
export const add = alu(BPF_ADD), sub = alu(BPF_SUB), mul = alu(BPF_MUL), div = alu(BPF_DIV),
  or = alu(BPF_OR), and = alu(BPF_AND), xor = alu(BPF_XOR), lsh = alu(BPF_LSH), rsh = alu(BPF_RSH);
/** A op= X, 32-bit; `divX` with X == 0 makes the program return 0. @example addX() */
export const addX = aluX(BPF_ADD), subX = aluX(BPF_SUB), mulX = aluX(BPF_MUL), divX = aluX(BPF_DIV),
  orX = aluX(BPF_OR), andX = aluX(BPF_AND), xorX = aluX(BPF_XOR), lshX = aluX(BPF_LSH), rshX = aluX(BPF_RSH);
/** `neg`: A = -A. @example neg() */
export const neg = (): BpfInsn => insn(BPF_ALU | BPF_NEG, 0, 0, 0);

const jmp = (op: number) => (k: number, jt: number, jf: number): BpfInsn => insn(BPF_JMP | op | BPF_K, jt, jf, k);
const jmpX = (op: number) => (jt: number, jf: number): BpfInsn => insn(BPF_JMP | op | BPF_X, jt, jf, 0);
/** Conditional jumps against k: skip `jt` instructions when true, `jf` when false. @example jeq(41, 0, 3) */
export const jeq = jmp(BPF_JEQ), jgt = jmp(BPF_JGT), jge = jmp(BPF_JGE), jset = jmp(BPF_JSET);
/** Conditional jumps against X. @example jeqX(0, 1) */
export const jeqX = jmpX(BPF_JEQ), jgtX = jmpX(BPF_JGT), jgeX = jmpX(BPF_JGE), jsetX = jmpX(BPF_JSET);
/** `ja`: skip k instructions. @example ja(2) */
export const ja = (k: number): BpfInsn => insn(BPF_JMP | BPF_JA, 0, 0, k);
/** `ret #k`. @example ret(SECCOMP_RET_ALLOW) */
export const ret = (k: number): BpfInsn => insn(BPF_RET | BPF_K, 0, 0, k);
/** `ret a`. @example retA() */
export const retA = (): BpfInsn => insn(BPF_RET | BPF_A, 0, 0, 0);

function argIndex(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i > 5) throw new RangeError(`syscall argument index ${i} is not 0..5`);
  return i;
}

/**
 * A three-instruction prologue: fall through when `arch` matches, else return `badArchAction`.
 *
 * @example
 * [...archCheck(AUDIT_ARCH_X86_64, SECCOMP_RET_KILL_PROCESS), ...allowAll()]
 */
export function archCheck(arch: number, badArchAction: number): BpfInsn[] {
  return [ld(OFFSET_ARCH), jeq(arch, 1, 0), ret(badArchAction)];
}

/** A filter that allows everything. @example allowAll() // [ret #0x7fff0000] */
export function allowAll(): BpfInsn[] {
  return [ret(SECCOMP_RET_ALLOW)];
}

/** A filter that returns `value` for every syscall. @example retAlways(0x00050001) // ERRNO(EPERM) */
export function retAlways(value: number): BpfInsn[] {
  return [ret(value)];
}

/** libseccomp's argument comparisons (`enum scmp_compare`). @example const op: CmpOp = 'GE'; */
export type CmpOp = 'EQ' | 'NE' | 'LT' | 'LE' | 'GT' | 'GE' | 'MASKED_EQ';

/**
 * One `SCMP_Ax(op, datum)` condition; `datum` and `mask` are taken as u64 (negative: two's complement,
 * like `SCMP_A0(op, (int)-2)`).
 *
 * @example
 * const noVsock: ArgCmp = { arg: 0, op: 'NE', datum: 40n };
 */
export interface ArgCmp {
  readonly arg: number;
  readonly op: CmpOp;
  readonly datum: bigint;
  /** MASKED_EQ only: `(args[arg] & mask) == (datum & mask)`. */
  readonly mask?: bigint;
}

/**
 * What socketRule builds: "arch is x86_64 and nr matches and cmp holds, then action".
 *
 * @example
 * const o: SocketRuleOptions = { action: 0x7fff0000, defaultAction: 0x00050001 };
 */
export interface SocketRuleOptions {
  /** Omitted: the rule is unconditional, as `seccomp_rule_add(ctx, action, nr, 0)`. */
  readonly cmp?: ArgCmp;
  readonly action: number;
  readonly defaultAction: number;
  /** libseccomp's default is KILL_THREAD (SCMP_ACT_KILL). */
  readonly badArchAction?: number;
  /** Defaults to socket (41). */
  readonly nr?: number;
}

type Target = 'action' | 'default' | number;
interface Node {
  readonly offset: number;
  readonly mask: number;
  readonly op: number;
  readonly datum: number;
  readonly t: Target;
  readonly f: Target;
}

const MAX32 = 0xffffffff;

// _db_rule_gen_64: each 64-bit comparison becomes a chain of 32-bit nodes (hi word first).
// Targets name the rule's action, the filter default, or the next node of the chain.
function chainFor(cmp: ArgCmp): Node[] {
  const i = argIndex(cmp.arg);
  const hiOff = 20 + 8 * i, loOff = 16 + 8 * i;
  const d = BigInt.asUintN(64, cmp.datum);
  const m = cmp.op === 'MASKED_EQ' ? BigInt.asUintN(64, cmp.mask ?? 0n) : 0xffffffffffffffffn;
  const mh = Number(m >> 32n), ml = Number(m & 0xffffffffn);
  const dh = Number(d >> 32n) & mh, dl = Number(d & 0xffffffffn) & ml;
  const node = (offset: number, mask: number, op: number, datum: number, t: Target, f: Target): Node =>
    ({ offset, mask, op, datum: datum >>> 0, t, f });
  switch (cmp.op) {
    case 'EQ':
    case 'MASKED_EQ':
      if (mh === 0 && ml === 0) return [];
      return [node(hiOff, mh, BPF_JEQ, dh, 1, 'default'), node(loOff, ml, BPF_JEQ, dl, 'action', 'default')];
    case 'NE':
      return [node(hiOff, MAX32, BPF_JEQ, dh, 1, 'action'), node(loOff, MAX32, BPF_JEQ, dl, 'default', 'action')];
    case 'GT':
    case 'GE': {
      const lo = cmp.op === 'GT' ? BPF_JGT : BPF_JGE;
      return [node(hiOff, MAX32, BPF_JGT, dh, 'action', 1), node(hiOff, MAX32, BPF_JEQ, dh, 2, 'default'),
        node(loOff, MAX32, lo, dl, 'action', 'default')];
    }
    case 'LT':
    case 'LE': {
      const lo = cmp.op === 'LE' ? BPF_JGT : BPF_JGE;
      return [node(hiOff, MAX32, BPF_JGT, dh, 'default', 1), node(hiOff, MAX32, BPF_JEQ, dh, 2, 'action'),
        node(loOff, MAX32, lo, dl, 'default', 'action')];
    }
  }
}

/**
 * The program libseccomp 2.5.4 exports for a filter on x86_64 alone with one rule on `nr`:
 * arch check, x32 guard, `jeq nr`, then the comparison as hi-word and lo-word tests (loads and
 * `and` masks only where the accumulator does not already hold them), and the RETs last: the
 * chain's final false target, its true target, then the bad-arch action, with equal values
 * sharing one RET. Checked instruction for instruction against seccomp_export_bpf of the
 * reference machine's libseccomp 2.5.4 for every op. libseccomp itself refuses some actions
 * (TRAP with data, for one); this builder does not.
 *
 * @example
 * // docs/seccomp.md §7: default ERRNO(EPERM), ALLOW socket if a0 != 40
 * socketRule({ cmp: { arg: 0, op: 'NE', datum: 40n }, action: 0x7fff0000, defaultAction: 0x00050001 });
 */
export function socketRule(opts: SocketRuleOptions): BpfInsn[] {
  const action = opts.action >>> 0, dflt = opts.defaultAction >>> 0;
  if (action === dflt) throw new RangeError('libseccomp refuses a rule whose action is the default (-EACCES)');
  const chain = opts.cmp === undefined ? [] : chainFor(opts.cmp);
  // _gen_bpf_node: reload A only when it does not already hold this word under this mask.
  const body: (BpfInsn | Node)[] = [];
  const start: number[] = [];
  let accOffset = OFFSET_NR, accMask = MAX32;
  for (const n of chain) {
    start.push(body.length);
    if (n.offset !== accOffset || (n.mask & accMask) >>> 0 !== n.mask) {
      body.push(ld(n.offset));
      accOffset = n.offset;
      accMask = MAX32;
    }
    if (n.mask !== accMask) {
      body.push(and(n.mask));
      accMask = n.mask;
    }
    body.push(n);
  }
  // gen_bpf shares identical RET blocks and puts the bad-arch one last; the others come in the
  // order the chain's final jump reaches them, false target first.
  const bad = (opts.badArchAction ?? SECCOMP_RET_KILL_THREAD) >>> 0;
  const last: { t: Target; f: Target } = chain.length > 0 ? chain[chain.length - 1] : { t: 'action', f: 'default' };
  const value = (t: Target): number => (t === 'action' ? action : dflt);
  const rets = [value(last.f), value(last.t)].filter((v) => v !== bad).concat(bad);
  const head = 6, end = head + body.length, badArch = end + rets.length - 1;
  const pcOf = (t: Target): number => (typeof t === 'number' ? head + start[t] : end + rets.indexOf(value(t)));
  const out: BpfInsn[] = [
    ld(OFFSET_ARCH),
    jeq(AUDIT_ARCH_X86_64, 0, badArch - 2),
    ld(OFFSET_NR),
    jge(X32_SYSCALL_BIT, 0, 1),
    jeq(MAX32, 0, badArch - 5),
    jeq(opts.nr ?? NR_SOCKET_X86_64, pcOf(chain.length > 0 ? 0 : 'action') - 6, pcOf('default') - 6),
  ];
  body.forEach((b, i) => {
    const pc = head + i;
    out.push('op' in b ? insn(BPF_JMP | b.op | BPF_K, pcOf(b.t) - pc - 1, pcOf(b.f) - pc - 1, b.datum) : b);
  });
  for (const v of rets) out.push(ret(v));
  return out;
}
