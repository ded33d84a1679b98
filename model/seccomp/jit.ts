// Classic BPF translated to JavaScript once per program, as the kernel translates a filter for
// its JIT once at load time (kernel/seccomp.c seccomp_prepare_filter -> net/core/filter.c
// bpf_prog_create_from_user -> bpf_prepare_filter -> bpf_migrate_filter). The interpreter in
// bpf.ts stays the reference: a translated program returns exactly what runBpf returns on every
// program checkFilter accepts, which a test checks on random programs and on every shipped preset.

import { checkFilter, packBpf, runBpf, SECCOMP_DATA_SIZE, type BpfInsn, type CompiledBpf, type SeccompWords } from './bpf';

/** A filter as a function of the 16 seccomp_data words, returning its u32 verdict. @example fn(words) // 0x7fff0000 */
export type BpfFunction = (words: SeccompWords) => number;

/**
 * The body of a JavaScript function of `w` (the seccomp_data words) that computes what the
 * interpreter computes for `prog`, which must be a program checkFilter accepts. Classic BPF
 * only jumps forward, so every jump target t gets a labelled block `Lt: { ... }` that opens at
 * the top and closes just before instruction t, and a jump to t is `break Lt`. A, X and the
 * scratch words M[k] are locals (`a`, `x`, `mk`) that start at 0, as the interpreter's do.
 *
 * @example
 * jsSource([[0x20, 0, 0, 0], [0x15, 0, 1, 41], [0x06, 0, 0, 0x7fff0000], [0x06, 0, 0, 0x50001]]);
 * // "let a = 0, x = 0;\nL3: {\na = w[0];\nif (a !== 41) break L3;\nreturn 2147418112;\n}\nreturn 327681;"
 */
export function jsSource(prog: readonly BpfInsn[]): string {
  const n = prog.length;
  const isTarget = jumpTargets(prog);
  const slots = new Set<number>();
  for (const [code, , , k] of prog) {
    if (code === 0x60 || code === 0x61 || code === 0x02 || code === 0x03) slots.add(k >>> 0);
  }
  const out: string[] = [`let a = 0, x = 0${[...slots].sort((p, q) => p - q).map((s) => `, m${s} = 0`).join('')};`];
  // Outermost block first: the block of the farthest target encloses all the others.
  for (let t = n; t > 0; t--) if (isTarget[t] === 1) out.push(`L${t}: {`);
  for (let pc = 0; pc < n; pc++) {
    if (isTarget[pc] === 1) out.push('}');
    out.push(insnSource(prog[pc], pc));
  }
  return out.join('\n');
}

// isTarget[t] is 1 when some jump lands on instruction t other than by falling through.
function jumpTargets(prog: readonly BpfInsn[]): Uint8Array {
  const isTarget = new Uint8Array(prog.length + 1);
  prog.forEach(([code, jt, jf, rawK], pc) => {
    const k = rawK >>> 0;
    if (code === 0x05) {
      if (k !== 0) isTarget[pc + 1 + k] = 1;
    } else if ((code & 0x07) === 0x05) {
      if (jt !== 0) isTarget[pc + 1 + jt] = 1;
      if (jf !== 0) isTarget[pc + 1 + jf] = 1;
    }
  });
  return isTarget;
}

/**
 * Most jump targets a translated program may have: each is a nested block, and V8's parser
 * runs out of stack at a depth of a few thousand. libseccomp's programs have far fewer (its
 * jumps share their RETs); a program with more stays with the interpreter.
 * @example bpfToJs(prog) // the interpreter when prog has more targets
 */
export const MAX_JUMP_TARGETS = 1000;

// One instruction, mirroring a case of the interpreter's switch (bpf.ts interpret).
function insnSource([code, jt, jf, rawK]: BpfInsn, pc: number): string {
  const k = rawK >>> 0;
  // `cond` holds when the jump is taken, `not` when it is not.
  const jump = (cond: string, not: string): string => {
    const t = pc + 1 + jt, f = pc + 1 + jf;
    if (jt === jf) return jt === 0 ? '' : `break L${t};`;
    if (jt === 0) return `if (${not}) break L${f};`;
    if (jf === 0) return `if (${cond}) break L${t};`;
    return `if (${cond}) break L${t}; else break L${f};`;
  };
  switch (code) {
    case 0x20: /* LD_W_ABS */ return `a = w[${k >>> 2}];`;
    case 0x80: /* LD_W_LEN */ return `a = ${SECCOMP_DATA_SIZE};`;
    case 0x81: /* LDX_W_LEN */ return `x = ${SECCOMP_DATA_SIZE};`;
    case 0x00: /* LD_IMM */ return `a = ${k};`;
    case 0x01: /* LDX_IMM */ return `x = ${k};`;
    case 0x60: /* LD_MEM */ return `a = m${k};`;
    case 0x61: /* LDX_MEM */ return `x = m${k};`;
    case 0x02: /* ST */ return `m${k} = a;`;
    case 0x03: /* STX */ return `m${k} = x;`;
    case 0x04: /* ADD_K */ return `a = (a + ${k}) >>> 0;`;
    case 0x0c: /* ADD_X */ return 'a = (a + x) >>> 0;';
    case 0x14: /* SUB_K */ return `a = (a - ${k}) >>> 0;`;
    case 0x1c: /* SUB_X */ return 'a = (a - x) >>> 0;';
    case 0x24: /* MUL_K */ return `a = Math.imul(a, ${k}) >>> 0;`;
    case 0x2c: /* MUL_X */ return 'a = Math.imul(a, x) >>> 0;';
    case 0x34: /* DIV_K */ return `a = Math.floor(a / ${k}) >>> 0;`;
    case 0x3c: /* DIV_X */ return 'if (x === 0) return 0; a = Math.floor(a / x) >>> 0;';
    case 0x54: /* AND_K */ return `a = (a & ${k}) >>> 0;`;
    case 0x5c: /* AND_X */ return 'a = (a & x) >>> 0;';
    case 0x44: /* OR_K */ return `a = (a | ${k}) >>> 0;`;
    case 0x4c: /* OR_X */ return 'a = (a | x) >>> 0;';
    case 0xa4: /* XOR_K */ return `a = (a ^ ${k}) >>> 0;`;
    case 0xac: /* XOR_X */ return 'a = (a ^ x) >>> 0;';
    case 0x64: /* LSH_K */ return `a = (a << ${k}) >>> 0;`;
    case 0x6c: /* LSH_X */ return 'a = (a << (x & 31)) >>> 0;';
    case 0x74: /* RSH_K */ return `a = a >>> ${k};`;
    case 0x7c: /* RSH_X */ return 'a = a >>> (x & 31);';
    case 0x84: /* NEG */ return 'a = (0 - a) >>> 0;';
    case 0x07: /* TAX */ return 'x = a;';
    case 0x87: /* TXA */ return 'a = x;';
    case 0x05: /* JA */ return k === 0 ? '' : `break L${pc + 1 + k};`;
    case 0x15: /* JEQ_K */ return jump(`a === ${k}`, `a !== ${k}`);
    case 0x1d: /* JEQ_X */ return jump('a === x', 'a !== x');
    case 0x25: /* JGT_K */ return jump(`a > ${k}`, `a <= ${k}`);
    case 0x2d: /* JGT_X */ return jump('a > x', 'a <= x');
    case 0x35: /* JGE_K */ return jump(`a >= ${k}`, `a < ${k}`);
    case 0x3d: /* JGE_X */ return jump('a >= x', 'a < x');
    case 0x45: /* JSET_K */ return jump(`(a & ${k}) !== 0`, `(a & ${k}) === 0`);
    case 0x4d: /* JSET_X */ return jump('(a & x) !== 0', '(a & x) === 0');
    case 0x06: /* RET_K */ return `return ${k};`;
    case 0x16: /* RET_A */ return 'return a;';
    default: throw new RangeError(`opcode 0x${code.toString(16)} at insn ${pc} was not verified`);
  }
}

/**
 * Translates a program into a JavaScript function. A program checkFilter refuses, or one with
 * more than MAX_JUMP_TARGETS jump targets (or too deep for the parser where it is called), is
 * not translated: the function returned then runs the interpreter, so it behaves (and throws)
 * as runBpf does.
 *
 * @example
 * bpfToJs([[0x20, 0, 0, 0], [0x16, 0, 0, 0]])(encodeSeccompData(data)); // data.nr as a u32
 */
export function bpfToJs(prog: readonly BpfInsn[]): BpfFunction {
  const interpreted = (): BpfFunction => {
    const packed = packBpf(prog);
    return (words) => runBpf(packed, words);
  };
  if (checkFilter(prog) !== null || jumpTargets(prog).reduce((sum, t) => sum + t, 0) > MAX_JUMP_TARGETS) return interpreted();
  try {
    return new Function('w', jsSource(prog)) as BpfFunction;
  } catch (e) {
    // The parser ran out of stack (a deep call site meeting a program near the limit).
    if (e instanceof RangeError) return interpreted();
    throw e;
  }
}

/**
 * Runs of a program under the interpreter before it is translated. A fresh translation costs
 * about as much as a thousand interpreted runs of a libseccomp-shaped program (the source, the
 * parse, and V8 warming the new function up), so a program pays for it only once it has shown
 * it will run often: at worst twice the interpreter's cost, and a program run many times gets
 * the translation's speed.
 * @example runFilter(prog, words)
 */
export const JIT_AFTER = 1000;

interface Tier {
  runs: number;
  fn: BpfFunction | null;
  readonly packed: CompiledBpf;
}

const tiers = new WeakMap<readonly BpfInsn[], Tier>();

/**
 * Runs `prog` on `words` as runBpf does: interpreted for its first JIT_AFTER runs, then
 * translated once by bpfToJs. Programs are remembered by identity and must not be mutated once
 * run (as for runBpf). Campaigns make a fresh stack for most environments and run it a few
 * times; classes and presets run one stack on many calls, and only they pay for a translation.
 *
 * @example
 * runFilter([[0x06, 0, 0, 0x7fff0000]], encodeSeccompData(data)); // 0x7fff0000
 */
export function runFilter(prog: readonly BpfInsn[], words: SeccompWords): number {
  let t = tiers.get(prog);
  if (t === undefined) {
    t = { runs: 0, fn: null, packed: packBpf(prog) };
    tiers.set(prog, t);
  }
  if (t.fn !== null) return t.fn(words);
  if (++t.runs >= JIT_AFTER) t.fn = bpfToJs(prog);
  return runBpf(t.packed, words);
}
