// Classic BPF as seccomp loads and runs it: the load-time verifier and the interpreter.
// Kernel sources: net/core/filter.c (bpf_check_classic, chk_code_allowed, check_load_and_stores,
// bpf_convert_filter) and kernel/seccomp.c (seccomp_prepare_filter, seccomp_check_filter,
// populate_seccomp_data). A filter that checkFilter accepts behaves here as under the kernel.

/** One `struct sock_filter`: opcode (u16), jump-if-true (u8), jump-if-false (u8), k (u32). @example [0x06, 0, 0, 0x7fff0000] */
export type BpfInsn = readonly [code: number, jt: number, jf: number, k: number];

/** Instruction classes (`code & 0x07`). @example BPF_RET | BPF_K // 0x06, ret #k */
export const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03,
  BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
/** Load sizes (`code & 0x18`) and modes (`code & 0xe0`). @example BPF_LD | BPF_W | BPF_ABS // ld [k] */
export const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10,
  BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_LEN = 0x80, BPF_MSH = 0xa0;
/** ALU operations (`code & 0xf0`). @example BPF_ALU | BPF_AND | BPF_K // and #k */
export const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50,
  BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_MOD = 0x90, BPF_XOR = 0xa0;
/** Jump operations (`code & 0xf0`). @example BPF_JMP | BPF_JEQ | BPF_K // jeq #k */
export const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
/** Operand source (`code & 0x08`); BPF_A is the RET source of `ret a`. @example BPF_RET | BPF_A */
export const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
/** BPF_MISC operations: X = A and A = X. @example BPF_MISC | BPF_TAX */
export const BPF_TAX = 0x00, BPF_TXA = 0x80;

/** Longest program one filter may have (`bpf_common.h`). @example prog.length <= BPF_MAXINSNS */
export const BPF_MAXINSNS = 4096;
/** Scratch memory words M[0..15]. @example k < BPF_MEMWORDS */
export const BPF_MEMWORDS = 16;
/** `sizeof(struct seccomp_data)`: what `ld #len` yields and the bound on `ld [k]`. @example k < SECCOMP_DATA_SIZE */
export const SECCOMP_DATA_SIZE = 64;
/** Start of the socket-filter ancillary area, `SKF_AD_OFF` (-0x1000) as a u32. @example SKF_AD_OFF + 0 // protocol */
export const SKF_AD_OFF = 0xfffff000;

// Whole opcodes, so that the verifier and the interpreter switch on a single number.
const LD_W_ABS = 0x20, LD_H_ABS = 0x28, LD_B_ABS = 0x30, LD_W_IND = 0x40, LD_H_IND = 0x48;
const LD_B_IND = 0x50, LD_W_LEN = 0x80, LDX_W_LEN = 0x81, LDX_B_MSH = 0xb1;
const LD_IMM = 0x00, LDX_IMM = 0x01, LD_MEM = 0x60, LDX_MEM = 0x61, ST = 0x02, STX = 0x03;
const ADD_K = 0x04, ADD_X = 0x0c, SUB_K = 0x14, SUB_X = 0x1c, MUL_K = 0x24, MUL_X = 0x2c;
const DIV_K = 0x34, DIV_X = 0x3c, OR_K = 0x44, OR_X = 0x4c, AND_K = 0x54, AND_X = 0x5c;
const LSH_K = 0x64, LSH_X = 0x6c, RSH_K = 0x74, RSH_X = 0x7c, NEG = 0x84, MOD_K = 0x94;
const MOD_X = 0x9c, XOR_K = 0xa4, XOR_X = 0xac;
const JA = 0x05, JEQ_K = 0x15, JEQ_X = 0x1d, JGT_K = 0x25, JGT_X = 0x2d, JGE_K = 0x35;
const JGE_X = 0x3d, JSET_K = 0x45, JSET_X = 0x4d;
const RET_K = 0x06, RET_A = 0x16, TAX = 0x07, TXA = 0x87;

// chk_code_allowed: every opcode classic BPF knows, for sockets and seccomp alike.
const CLASSIC_CODES: ReadonlySet<number> = new Set([
  ADD_K, ADD_X, SUB_K, SUB_X, MUL_K, MUL_X, DIV_K, DIV_X, MOD_K, MOD_X, AND_K, AND_X, OR_K,
  OR_X, XOR_K, XOR_X, LSH_K, LSH_X, RSH_K, RSH_X, NEG, LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_W_LEN,
  LD_W_IND, LD_H_IND, LD_B_IND, LD_IMM, LD_MEM, LDX_W_LEN, LDX_B_MSH, LDX_IMM, LDX_MEM, ST,
  STX, TAX, TXA, RET_K, RET_A, JA, JEQ_K, JEQ_X, JGE_K, JGE_X, JGT_K, JGT_X, JSET_K, JSET_X,
]);

// seccomp_check_filter's explicit allow list; the three loads it rewrites are handled apart.
// MOD is absent: upstream declined to add it (it is expressible with DIV, MUL and SUB).
const SECCOMP_CODES: ReadonlySet<number> = new Set([
  RET_K, RET_A, ADD_K, ADD_X, SUB_K, SUB_X, MUL_K, MUL_X, DIV_K, DIV_X, AND_K, AND_X, OR_K,
  OR_X, XOR_K, XOR_X, LSH_K, LSH_X, RSH_K, RSH_X, NEG, LD_IMM, LDX_IMM, TAX, TXA, LD_MEM,
  LDX_MEM, ST, STX, JA, JEQ_K, JEQ_X, JGE_K, JGE_X, JGT_K, JGT_X, JSET_K, JSET_X,
]);

const COND_JUMPS: ReadonlySet<number> = new Set([JEQ_K, JEQ_X, JGE_K, JGE_X, JGT_K, JGT_X, JSET_K, JSET_X]);

/**
 * What a filter sees: `struct seccomp_data` with every field as the kernel fills it in
 * populate_seccomp_data. `args` are the raw 64-bit registers, before any `int` truncation.
 *
 * @example
 * const d: SeccompData = { nr: 41, arch: 0xc000003e, instructionPointer: 0n, args: [2n, 1n, 0n] };
 */
export interface SeccompData {
  /** Syscall number (`int`; -1 when a tracer skipped the call). */
  readonly nr: number;
  /** AUDIT_ARCH_* value (u32). */
  readonly arch: number;
  /** User-space instruction pointer (u64). */
  readonly instructionPointer: bigint;
  /** Up to six u64 arguments; missing ones read as 0, negative ones as two's complement. */
  readonly args: readonly bigint[];
}

/** `struct seccomp_data` as sixteen u32 words, the form the interpreter reads. @example encodeSeccompData(d) */
export type SeccompWords = Uint32Array;

const U32 = 0xffffffffn;

/**
 * Lays out `data` as the 16 u32 words at byte offsets 0, 4, ..., 60 (x86 is little-endian):
 * nr, arch, ip lo, ip hi, then args[i] lo at 16+8i and hi at 20+8i.
 *
 * @example
 * encodeSeccompData({ nr: 41, arch: 0xc000003e, instructionPointer: 0n, args: [0x1_00000028n] })[4]; // 0x28
 */
export function encodeSeccompData(data: SeccompData, out?: SeccompWords): SeccompWords {
  if (data.args.length > 6) throw new RangeError(`seccomp_data has 6 args, got ${data.args.length}`);
  const w = out ?? new Uint32Array(16);
  w[0] = data.nr >>> 0;
  w[1] = data.arch >>> 0;
  const ip = BigInt.asUintN(64, data.instructionPointer);
  w[2] = Number(ip & U32);
  w[3] = Number(ip >> 32n);
  for (let i = 0; i < 6; i++) {
    const a = BigInt.asUintN(64, data.args[i] ?? 0n);
    w[4 + 2 * i] = Number(a & U32);
    w[5 + 2 * i] = Number(a >> 32n);
  }
  return w;
}

/**
 * The u32 that `ld [k]` loads from `data`. `k` must be what seccomp_check_filter accepts:
 * below 64 and a multiple of 4.
 *
 * @example
 * seccompDataWord({ nr: 41, arch: 0xc000003e, instructionPointer: 0n, args: [0x1_00000028n] }, 20); // 1
 */
export function seccompDataWord(data: SeccompData, k: number): number {
  if (!Number.isInteger(k) || k < 0 || k >= SECCOMP_DATA_SIZE || k % 4 !== 0) {
    throw new RangeError(`seccomp_data has no aligned word at offset ${k}`);
  }
  return encodeSeccompData(data)[k >> 2];
}

/**
 * Why the kernel would refuse `prog` at SECCOMP_SET_MODE_FILTER (always EINVAL), or null when
 * it loads. The checks run in the kernel's order: seccomp_prepare_filter's length check,
 * bpf_check_classic (opcode, constants, jump ranges, final RET), check_load_and_stores (no read
 * of a scratch word some path has not written), then seccomp_check_filter (its allow list,
 * aligned `ld [k]` inside seccomp_data). Values that do not fit `struct sock_filter` are refused
 * too, since no such program can be passed.
 *
 * @example
 * checkFilter([[0x06, 0, 0, 0x7fff0000]]); // null
 * checkFilter([[0x20, 0, 0, 2], [0x06, 0, 0, 0]]); // "insn 0 (ld [2]): seccomp loads only aligned words ..."
 */
export function checkFilter(prog: readonly BpfInsn[]): string | null {
  const len = prog.length;
  if (len === 0 || len > BPF_MAXINSNS) {
    return `program length ${len} is outside 1..${BPF_MAXINSNS} (BPF_MAXINSNS)`;
  }
  for (let pc = 0; pc < len; pc++) {
    const bad = checkRepresentable(prog[pc], pc);
    if (bad !== null) return bad;
  }
  for (let pc = 0; pc < len; pc++) {
    const bad = classicProblem(prog[pc], pc, len);
    if (bad !== null) return `${where(prog, pc)}: ${bad}`;
  }
  const last = prog[len - 1][0];
  if (last !== RET_K && last !== RET_A) return `${where(prog, len - 1)}: the program must end with a RET`;
  const mem = checkLoadAndStores(prog);
  if (mem !== null) return mem;
  for (let pc = 0; pc < len; pc++) {
    const bad = seccompProblem(prog[pc]);
    if (bad !== null) return `${where(prog, pc)}: ${bad}`;
  }
  return null;
}

function where(prog: readonly BpfInsn[], pc: number): string {
  return `insn ${pc} (${formatInsn(prog[pc], pc)})`;
}

// bpf_check_classic's per-instruction rules.
function classicProblem(insn: BpfInsn, pc: number, len: number): string | null {
  const [code, jt, jf, rawK] = insn;
  const k = rawK >>> 0;
  if (!CLASSIC_CODES.has(code)) return `opcode 0x${hex(code, 2)} is not classic BPF`;
  switch (code) {
    case DIV_K:
    case MOD_K:
      return k === 0 ? 'division by the constant 0' : null;
    case LSH_K:
    case RSH_K:
      return k >= 32 ? `shift by ${k} (must be below 32)` : null;
    case LD_MEM:
    case LDX_MEM:
    case ST:
    case STX:
      return k >= BPF_MEMWORDS ? `scratch slot ${k} (must be below ${BPF_MEMWORDS}, BPF_MEMWORDS)` : null;
    case JA:
      return k >= len - pc - 1 ? `jump target ${pc + 1 + k} is past the end` : null;
    case LD_W_ABS:
    case LD_H_ABS:
    case LD_B_ABS:
      return k >= SKF_AD_OFF && !isAncillary(k) ? 'unknown ancillary load' : null;
  }
  if (COND_JUMPS.has(code) && (pc + jt + 1 >= len || pc + jf + 1 >= len)) {
    return `jump target ${pc + 1 + Math.max(jt, jf)} is past the end`;
  }
  return null;
}

// seccomp_check_filter: only aligned loads inside seccomp_data, and its allow list.
function seccompProblem([code, , , rawK]: BpfInsn): string | null {
  const k = rawK >>> 0;
  if (code === LD_W_ABS && (k >= SECCOMP_DATA_SIZE || (k & 3) !== 0)) {
    return `seccomp loads only aligned words inside seccomp_data (k < ${SECCOMP_DATA_SIZE}, k % 4 == 0)`;
  }
  if (code === LD_W_ABS || code === LD_W_LEN || code === LDX_W_LEN || SECCOMP_CODES.has(code)) return null;
  return `opcode 0x${hex(code, 2)} is not allowed in seccomp filters`;
}

function checkRepresentable(insn: BpfInsn, pc: number): string | null {
  const [code, jt, jf, k] = insn;
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) return `insn ${pc}: code ${code} is not a u16`;
  if (!Number.isInteger(jt) || jt < 0 || jt > 0xff) return `insn ${pc}: jt ${jt} is not a u8`;
  if (!Number.isInteger(jf) || jf < 0 || jf > 0xff) return `insn ${pc}: jf ${jf} is not a u8`;
  if (!Number.isInteger(k) || k < -0x80000000 || k > 0xffffffff) return `insn ${pc}: k ${k} is not a 32-bit value`;
  return null;
}

// bpf_anc_helper: SKF_AD_PROTOCOL (0) .. SKF_AD_VLAN_TPID (60), every 4 bytes.
function isAncillary(k: number): boolean {
  const off = k - SKF_AD_OFF;
  return off < 64 && off % 4 === 0;
}

// A path-insensitive bitmask walk, exactly as the kernel does it: a jump narrows its targets'
// masks and resets the running set, so code after a RET inherits whatever fell through to it.
function checkLoadAndStores(prog: readonly BpfInsn[]): string | null {
  const masks = new Uint16Array(prog.length).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    valid &= masks[pc];
    const [code, jt, jf, rawK] = prog[pc];
    const k = rawK >>> 0;
    if (code === ST || code === STX) {
      valid |= 1 << k;
    } else if (code === LD_MEM || code === LDX_MEM) {
      if ((valid & (1 << k)) === 0) {
        return `${where(prog, pc)}: reads scratch M[${k}] before every path has written it`;
      }
    } else if (code === JA) {
      masks[pc + 1 + k] &= valid;
      valid = 0xffff;
    } else if (COND_JUMPS.has(code)) {
      masks[pc + 1 + jt] &= valid;
      masks[pc + 1 + jf] &= valid;
      valid = 0xffff;
    }
  }
  return null;
}

/**
 * A verified program in flat typed arrays, ready for repeated runs. Build it with compileBpf.
 *
 * @example
 * const c = compileBpf([[0x06, 0, 0, 0x7fff0000]]); // c.length === 1
 */
export interface CompiledBpf {
  readonly length: number;
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
}

/**
 * Verifies `prog` with checkFilter and packs it for runBpf. Throws a RangeError carrying the
 * reason when the kernel would refuse the program, since the kernel never runs such a filter.
 *
 * @example
 * runBpf(compileBpf([[0x06, 0, 0, 0x00050001]]), data); // 0x00050001
 */
export function compileBpf(prog: readonly BpfInsn[]): CompiledBpf {
  const reason = checkFilter(prog);
  if (reason !== null) throw new RangeError(`seccomp would refuse this filter: ${reason}`);
  return packBpf(prog);
}

/**
 * Packs a program into typed arrays for runBpf without verifying it (the caller vouches for it,
 * as for a raw program given to runBpf).
 *
 * @example
 * runBpf(packBpf([[0x06, 0, 0, 0x7fff0000]]), data); // 0x7fff0000
 */
export function packBpf(prog: readonly BpfInsn[]): CompiledBpf {
  const n = prog.length;
  const code = new Uint16Array(n), jt = new Uint8Array(n), jf = new Uint8Array(n), k = new Uint32Array(n);
  prog.forEach(([c, t, f, kk], i) => {
    code[i] = c;
    jt[i] = t;
    jf[i] = f;
    k[i] = kk >>> 0;
  });
  return { length: n, code, jt, jf, k };
}

const scratch = new Uint32Array(BPF_MEMWORDS);
const dataWords = new Uint32Array(16);

/**
 * Runs a filter on one syscall and returns its u32 verdict, with the semantics of the kernel's
 * classic-to-eBPF conversion: A and X start at 0, ALU is 32-bit and wraps, comparisons are
 * unsigned, `ld #len` is 64, and division by X == 0 makes the whole program return 0.
 * A raw instruction array is verified and compiled on first use and remembered by identity,
 * so programs must not be mutated once run (BpfInsn is readonly for that reason).
 *
 * @example
 * runBpf([[0x20, 0, 0, 0], [0x16, 0, 0, 0]], data); // data.nr as a u32
 */
export function runBpf(prog: readonly BpfInsn[] | CompiledBpf, data: SeccompData | SeccompWords): number {
  const p = 'code' in prog ? prog : compiledFor(prog);
  const words = data instanceof Uint32Array ? data : encodeSeccompData(data, dataWords);
  if (words.length !== 16) throw new RangeError(`seccomp_data is 16 words, got ${words.length}`);
  return interpret(p, words);
}

const compiledCache = new WeakMap<readonly BpfInsn[], CompiledBpf>();

// A raw program reaching runBpf is one the kernel accepted: environments are built from
// verified input (the eval contract runs checkFilter, generators and libseccomp emit valid
// programs). Verifying costs about 3 µs, fifty times a run, so it is not repeated here; the
// interpreter still refuses an unknown opcode or a jump past the end, and the scratch words are
// zeroed on every run.
function compiledFor(prog: readonly BpfInsn[]): CompiledBpf {
  let c = compiledCache.get(prog);
  if (c === undefined) {
    c = packBpf(prog);
    compiledCache.set(prog, c);
  }
  return c;
}

// Hot path: one flat loop and a switch over full opcodes, no allocation and no closures per
// instruction. Values live as u32 numbers; `>>> 0` after each ALU op is the 32-bit wrap. The case
// labels are numeric literals on purpose: V8 turns a switch over literal small integers into a
// jump table, but one over named constants into a chain of comparisons (about 2.5x slower here).
function interpret(p: CompiledBpf, words: SeccompWords): number {
  const { code, jt, jf, k, length } = p;
  // Zeroed on every run: a verified program never reads a word before writing it, but an
  // unverified one may, and it must not see another run's values.
  const mem = scratch.fill(0);
  let a = 0, x = 0, pc = 0;
  for (;;) {
    if (pc >= length) throw new RangeError(`BPF ran off the end at insn ${pc}`);
    const kk = k[pc];
    switch (code[pc]) {
      case 0x20: /* LD_W_ABS */ a = words[kk >>> 2]; break;
      case 0x80: /* LD_W_LEN */ a = SECCOMP_DATA_SIZE; break;
      case 0x81: /* LDX_W_LEN */ x = SECCOMP_DATA_SIZE; break;
      case 0x00: /* LD_IMM */ a = kk; break;
      case 0x01: /* LDX_IMM */ x = kk; break;
      case 0x60: /* LD_MEM */ a = mem[kk]; break;
      case 0x61: /* LDX_MEM */ x = mem[kk]; break;
      case 0x02: /* ST */ mem[kk] = a; break;
      case 0x03: /* STX */ mem[kk] = x; break;
      case 0x04: /* ADD_K */ a = (a + kk) >>> 0; break;
      case 0x0c: /* ADD_X */ a = (a + x) >>> 0; break;
      case 0x14: /* SUB_K */ a = (a - kk) >>> 0; break;
      case 0x1c: /* SUB_X */ a = (a - x) >>> 0; break;
      case 0x24: /* MUL_K */ a = Math.imul(a, kk) >>> 0; break;
      case 0x2c: /* MUL_X */ a = Math.imul(a, x) >>> 0; break;
      case 0x34: /* DIV_K */ a = Math.floor(a / kk) >>> 0; break;
      case 0x3c: /* DIV_X */
        if (x === 0) return 0;
        a = Math.floor(a / x) >>> 0;
        break;
      case 0x54: /* AND_K */ a = (a & kk) >>> 0; break;
      case 0x5c: /* AND_X */ a = (a & x) >>> 0; break;
      case 0x44: /* OR_K */ a = (a | kk) >>> 0; break;
      case 0x4c: /* OR_X */ a = (a | x) >>> 0; break;
      case 0xa4: /* XOR_K */ a = (a ^ kk) >>> 0; break;
      case 0xac: /* XOR_X */ a = (a ^ x) >>> 0; break;
      case 0x64: /* LSH_K */ a = (a << kk) >>> 0; break;
      case 0x6c: /* LSH_X */ a = (a << (x & 31)) >>> 0; break;
      case 0x74: /* RSH_K */ a = a >>> kk; break;
      case 0x7c: /* RSH_X */ a = a >>> (x & 31); break;
      case 0x84: /* NEG */ a = (0 - a) >>> 0; break;
      case 0x07: /* TAX */ x = a; break;
      case 0x87: /* TXA */ a = x; break;
      case 0x05: /* JA */ pc += kk; break;
      case 0x15: /* JEQ_K */ pc += a === kk ? jt[pc] : jf[pc]; break;
      case 0x1d: /* JEQ_X */ pc += a === x ? jt[pc] : jf[pc]; break;
      case 0x25: /* JGT_K */ pc += a > kk ? jt[pc] : jf[pc]; break;
      case 0x2d: /* JGT_X */ pc += a > x ? jt[pc] : jf[pc]; break;
      case 0x35: /* JGE_K */ pc += a >= kk ? jt[pc] : jf[pc]; break;
      case 0x3d: /* JGE_X */ pc += a >= x ? jt[pc] : jf[pc]; break;
      case 0x45: /* JSET_K */ pc += (a & kk) !== 0 ? jt[pc] : jf[pc]; break;
      case 0x4d: /* JSET_X */ pc += (a & x) !== 0 ? jt[pc] : jf[pc]; break;
      case 0x06: /* RET_K */ return kk;
      case 0x16: /* RET_A */ return a;
      default: throw new RangeError(`opcode 0x${hex(code[pc], 2)} at insn ${pc} was not verified`);
    }
    pc++;
  }
}

/**
 * One line per instruction in the style of bpf_dbg / scmp_bpf_disasm, for explanations.
 * Jump targets are absolute instruction indexes. Unknown opcodes print as `.word`.
 *
 * @example
 * disassemble([[0x20, 0, 0, 4], [0x15, 0, 10, 0x29]]);
 * // ["  0: ld [4]", "  1: jeq #0x29 true->2 false->12"]
 */
export function disassemble(prog: readonly BpfInsn[]): string[] {
  return prog.map((insn, pc) => `${String(pc).padStart(3)}: ${formatInsn(insn, pc)}`);
}

const FORMS: Readonly<Record<number, string>> = {
  [LD_W_ABS]: 'ld [{k}]', [LD_H_ABS]: 'ldh [{k}]', [LD_B_ABS]: 'ldb [{k}]', [LD_W_IND]: 'ld [x + {k}]',
  [LD_H_IND]: 'ldh [x + {k}]', [LD_B_IND]: 'ldb [x + {k}]', [LD_W_LEN]: 'ld #len', [LDX_W_LEN]: 'ldx #len',
  [LDX_B_MSH]: 'ldxb 4*([{k}]&0xf)', [LD_IMM]: 'ld {imm}', [LDX_IMM]: 'ldx {imm}', [LD_MEM]: 'ld M[{k}]',
  [LDX_MEM]: 'ldx M[{k}]', [ST]: 'st M[{k}]', [STX]: 'stx M[{k}]', [NEG]: 'neg', [TAX]: 'tax', [TXA]: 'txa',
  [RET_K]: 'ret {imm}', [RET_A]: 'ret a',
};
const ALU_NAMES: Readonly<Record<number, string>> = {
  [BPF_ADD]: 'add', [BPF_SUB]: 'sub', [BPF_MUL]: 'mul', [BPF_DIV]: 'div', [BPF_OR]: 'or',
  [BPF_AND]: 'and', [BPF_LSH]: 'lsh', [BPF_RSH]: 'rsh', [BPF_MOD]: 'mod', [BPF_XOR]: 'xor',
};
const JMP_NAMES: Readonly<Record<number, string>> = {
  [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset',
};

function formatInsn(insn: BpfInsn, pc: number): string {
  const [code, jt, jf, rawK] = insn;
  const k = rawK >>> 0;
  const imm = `#0x${k.toString(16)}`;
  const form = FORMS[code];
  if (form !== undefined) return form.replace('{k}', String(k)).replace('{imm}', imm);
  if (code === JA) return `ja ${pc + 1 + k}`;
  const op = code & 0xf0;
  const src = (code & BPF_X) !== 0 ? 'x' : imm;
  if ((code & ~0xf8) === BPF_ALU && op !== BPF_NEG && ALU_NAMES[op] !== undefined) return `${ALU_NAMES[op]} ${src}`;
  if ((code & ~0xf8) === BPF_JMP && JMP_NAMES[op] !== undefined) {
    return `${JMP_NAMES[op]} ${src} true->${pc + 1 + jt} false->${pc + 1 + jf}`;
  }
  return `.word 0x${hex(code, 4)} jt=${jt} jf=${jf} k=0x${hex(k, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
