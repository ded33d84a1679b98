// The JavaScript translation of classic BPF (model/seccomp/jit.ts) against the interpreter it
// must equal (model/seccomp/bpf.ts runBpf): random valid programs over every opcode seccomp
// accepts, every shipped preset, and evaluate's hot path (stackVerdict) before and after a
// program is translated.

import fc from 'fast-check';
import {
  checkFilter, encodeSeccompData, runBpf, type BpfInsn, type SeccompWords,
} from '../../../model/seccomp/bpf';
import { bpfToJs, jsSource, JIT_AFTER, MAX_JUMP_TARGETS, runFilter } from '../../../model/seccomp/jit';
import { runStack, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, stackVerdict } from '../../../model/seccomp/actions';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, add, addX, div, divX, ja, jeq, jgeX, jset, ld, ldImm, ldxImm, lsh, lshX,
  ldMem, neg, ret, retA, rsh, rshX, st, sub, tax,
} from '../../../model/seccomp/asm';
import { fillSeccompWords } from '../../../model';
import { callArb, pairCallArb } from '../../../generators';
import * as api from '../../../model/seccomp';
import { presetFilters, presetNames } from '../../../oracle/oci';

const SEED = 0x717c0de;
const SEED_NAME = `seed 0x${SEED.toString(16)}`;

/** Whether bpfToJs made a JavaScript function rather than falling back to the interpreter. */
const translated = (prog: readonly BpfInsn[]): boolean => bpfToJs(prog).toString().includes('let a = 0');

const words = (...w: number[]): SeccompWords => Uint32Array.from({ length: 16 }, (_, i) => w[i] ?? 0);

// Values that make comparisons go both ways: the same pools feed the data words and the
// constants, the small one often enough that `a == k` and `a == x` hold in many runs.
const SMALL = [0, 1, 41, 0x80000000, 0xffffffff, AUDIT_ARCH_X86_64];
const POOL = [2, 3, 31, 32, 33, 64, 255, 0x7fffffff, 0xfffffffe, AUDIT_ARCH_I386];
const u32 = fc.oneof(
  { arbitrary: fc.constantFrom(...SMALL), weight: 3 },
  { arbitrary: fc.constantFrom(...POOL), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 0xffffffff }), weight: 1 },
);
const wordsArb: fc.Arbitrary<SeccompWords> = fc.array(u32, { minLength: 16, maxLength: 16 }).map((w) => Uint32Array.from(w));

/**
 * One body instruction before its jumps are placed: `t` and `f` are fractions of the distance
 * left to the end, so every jump lands inside the program whatever its position (or, when
 * `fixed`, the offsets themselves), and scratch reads name a slot by index into the slots the
 * prologue wrote.
 */
type Template = readonly [code: number, t: number, f: number, k: number, fixed?: boolean];
const frac = fc.double({ min: 0, max: 1, noNaN: true });
const ALU_K = [0x04, 0x14, 0x24, 0x54, 0x44, 0xa4]; // add sub mul and or xor
const ALU_X = [0x0c, 0x1c, 0x2c, 0x3c, 0x5c, 0x4c, 0xac, 0x6c, 0x7c]; // add sub mul div and or xor lsh rsh, by X
const JMP_K = [0x15, 0x25, 0x35, 0x45]; // jeq jgt jge jset #k
const JMP_X = [0x1d, 0x2d, 0x3d, 0x4d]; // the same against X
const single: fc.Arbitrary<Template> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 15 }).map((i): Template => [0x20, 0, 0, 4 * i]), weight: 2 }, // ld [4i]
  { arbitrary: fc.tuple(fc.constantFrom(0x00, 0x01), u32).map(([c, k]): Template => [c, 0, 0, k]), weight: 2 }, // ld #k, ldx #k
  { arbitrary: fc.constantFrom<Template>([0x80, 0, 0, 0], [0x81, 0, 0, 0], [0x84, 0, 0, 0], [0x07, 0, 0, 0], [0x87, 0, 0, 0]), weight: 2 }, // len, neg, tax, txa
  { arbitrary: fc.tuple(fc.constantFrom(0x60, 0x61, 0x02, 0x03), fc.nat()).map(([c, r]): Template => [c, 0, 0, r]), weight: 3 }, // ld M[], ldx M[], st, stx (slots chosen later)
  { arbitrary: fc.tuple(fc.constantFrom(...ALU_K), u32).map(([c, k]): Template => [c, 0, 0, k]), weight: 3 },
  { arbitrary: u32.filter((k) => k !== 0).map((k): Template => [0x34, 0, 0, k]), weight: 1 }, // div #k, k != 0
  { arbitrary: fc.tuple(fc.constantFrom(0x64, 0x74), fc.integer({ min: 0, max: 31 })).map(([c, k]): Template => [c, 0, 0, k]), weight: 1 }, // lsh, rsh #k
  { arbitrary: fc.constantFrom(...ALU_X).map((c): Template => [c, 0, 0, 0]), weight: 4 },
  { arbitrary: frac.map((t): Template => [0x05, t, 0, 0]), weight: 1 }, // ja
  { arbitrary: fc.tuple(fc.constantFrom(...JMP_K, ...JMP_X), frac, frac, u32).map(([c, t, f, k]): Template => [c, t, f, k]), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(0x06, 0x16), u32).map(([c, k]): Template => [c, 0, 0, k]), weight: 1 }, // ret #k, ret a mid-program
);
/**
 * One instruction, alone or followed by `ret a` or `txa; ret a` (so that what it left in A or X
 * shows in the verdict); a scratch word stored and read back; a division by X = 0; an ALU
 * operation on a data word and a constant X; or a data word compared with a constant or with
 * another word right after its load (the shape libseccomp emits), the comparison jumping
 * anywhere, over a RET of its own, or to one of two RETs.
 */
const word = fc.integer({ min: 0, max: 15 });
const branch = fc.oneof(
  fc.tuple(frac, frac).map(([t, f]) => ({ t, f, exit: [] as Template[] })),
  fc.tuple(fc.boolean(), u32).map(([over, k]) => ({ t: over ? 1 : 0, f: over ? 0 : 1, exit: [[0x06, 0, 0, k]] as Template[] })),
  fc.tuple(fc.boolean(), u32, u32, u32).map(([swap, k0, k1, k2]) => ({
    t: swap ? 2 : 1, f: swap ? 1 : 2, exit: [[0x06, 0, 0, k0], [0x06, 0, 0, k1], [0x06, 0, 0, k2]] as Template[],
  })),
);
const template: fc.Arbitrary<Template[]> = fc.oneof(
  { arbitrary: single.map((t) => [t]), weight: 8 },
  { arbitrary: single.map((t): Template[] => [t, [0x16, 0, 0, 0]]), weight: 1 },
  { arbitrary: single.map((t): Template[] => [t, [0x87, 0, 0, 0], [0x16, 0, 0, 0]]), weight: 1 },
  {
    arbitrary: fc.tuple(fc.constantFrom(0x02, 0x03), fc.nat({ max: 15 }), fc.boolean())
      .map(([store, q, viaX]): Template[] => [[store, 0, 0, 2 * q], ...(viaX ? [[0x61, 0, 0, q], [0x87, 0, 0, 0]] as Template[] : [[0x60, 0, 0, q]] as Template[]), [0x16, 0, 0, 0]]),
    weight: 1,
  },
  { arbitrary: u32.map((k): Template[] => [[0x00, 0, 0, k], [0x01, 0, 0, 0], [0x3c, 0, 0, 0]]), weight: 1 },
  {
    arbitrary: fc.tuple(word, u32, fc.constantFrom(...ALU_X))
      .map(([i, k, c]): Template[] => [[0x20, 0, 0, 4 * i], [0x01, 0, 0, k], [c, 0, 0, 0], [0x16, 0, 0, 0]]),
    weight: 1,
  },
  {
    arbitrary: fc.tuple(word, fc.constantFrom(...JMP_K), branch, u32)
      .map(([i, c, b, k]): Template[] => [[0x20, 0, 0, 4 * i], [c, b.t, b.f, k, b.exit.length > 0], ...b.exit]),
    weight: 2,
  },
  {
    arbitrary: fc.tuple(word, word, fc.constantFrom(...JMP_X), branch)
      .map(([i, j, c, b]): Template[] => [
        [0x20, 0, 0, 4 * i], [0x07, 0, 0, 0], [0x20, 0, 0, 4 * j], [c, b.t, b.f, 0, b.exit.length > 0], ...b.exit,
      ]),
    weight: 2,
  },
);

/**
 * A program checkFilter accepts, over every opcode seccomp allows: a prologue that stores into
 * some scratch slots, a body of any instructions (forward jumps of any reach, up to the u8 limit
 * of jt/jf, and RETs in the middle), and a final ret #k or ret a.
 */
const programArb: fc.Arbitrary<BpfInsn[]> = fc
  .record({
    slots: fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }),
    init: fc.array(u32, { minLength: 16, maxLength: 16 }),
    body: fc.array(template, { maxLength: 50 }),
    last: fc.tuple(fc.constantFrom(0x06, 0x16), u32),
  })
  .map(({ slots, init, body: parts, last }) => {
    const body = parts.flat();
    const prologue: BpfInsn[] = slots.flatMap((s, i): BpfInsn[] => [ldImm(init[i]!), st(s)]);
    const n = prologue.length + body.length + 1;
    const placed = body.map(([code, t, f, k, fixed], i): BpfInsn => {
      const pc = prologue.length + i;
      const room = Math.min(n - pc - 2, 255); // the farthest jt/jf: the last instruction, and a u8
      const reach = (x: number): number => Math.round(x * room);
      if (code === 0x05) return [code, 0, 0, Math.round(t * (n - pc - 2))];
      if ((code & 0x07) === 0x05) return fixed === true ? [code, t, f, k] : [code, reach(t), reach(f), k];
      if (code === 0x60 || code === 0x61) return slots.length === 0 ? ldImm(k) : [code, 0, 0, slots[k % slots.length]!];
      // Stores go to a slot that is read back one time in two (st 2q and ld M[q] name the same one).
      if (code === 0x02 || code === 0x03) return [code, 0, 0, slots.length > 0 && k % 2 === 0 ? slots[(k / 2) % slots.length]! : k % 16];
      return [code, 0, 0, k];
    });
    return [...prologue, ...placed, [last[0], 0, 0, last[1]] as BpfInsn];
  });

/** Every opcode seccomp_check_filter lets through, with the three loads it rewrites. */
const SECCOMP_OPCODES = [0x06, 0x16, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x54, 0x5c, 0x44, 0x4c, 0xa4,
  0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x00, 0x01, 0x07, 0x87, 0x60, 0x61, 0x02, 0x03, 0x05, 0x15, 0x1d, 0x35, 0x3d,
  0x25, 0x2d, 0x45, 0x4d, 0x20, 0x80, 0x81];

describe('bpfToJs equals the interpreter', () => {
  it(`on random programs over every opcode seccomp accepts (${SEED_NAME})`, () => {
    fc.assert(
      fc.property(programArb, fc.array(wordsArb, { minLength: 1, maxLength: 6 }), (prog, data) => {
        expect(checkFilter(prog)).toBeNull();
        const fn = bpfToJs(prog);
        expect(fn.toString()).toContain('let a = 0');
        for (const w of data) expect(fn(w)).toBe(runBpf(prog, w));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it(`the program generator covers every opcode, jumps that go both ways and division by X = 0 (${SEED_NAME})`, () => {
    const seen = new Set<number>();
    let taken = 0, notTaken = 0, divByZero = 0;
    const data = fc.sample(wordsArb, { seed: SEED, numRuns: 4 });
    for (const p of fc.sample(programArb, { seed: SEED, numRuns: 1000 })) {
      for (const [c] of p) seen.add(c);
      // Comparisons against a constant, with A loaded from the data: both outcomes must be common.
      for (const [c, , , k] of p.filter(([c]) => JMP_K.includes(c))) {
        for (const w of data) {
          if (runBpf([ld(0), [c, 0, 1, k], ret(1), ret(2)], w) === 1) taken++;
          else notTaken++;
        }
      }
      // X starts at 0: a division by X before anything writes X, or right after `ldx #0`, divides by 0.
      const firstX = p.find(([c]) => c === 0x3c || c === 0x01 || c === 0x61 || c === 0x81 || c === 0x07);
      if (firstX?.[0] === 0x3c || p.some(([c, , , k], i) => c === 0x01 && k === 0 && p[i + 1]?.[0] === 0x3c)) divByZero++;
    }
    expect(SECCOMP_OPCODES.filter((c) => !seen.has(c))).toEqual([]);
    expect([...seen].filter((c) => !SECCOMP_OPCODES.includes(c))).toEqual([]);
    expect(taken).toBeGreaterThan(200);
    expect(notTaken).toBeGreaterThan(200);
    expect(divByZero).toBeGreaterThan(20);
  });

  it.each<[string, BpfInsn[], SeccompWords]>([
    ['division by X = 0 ends the program with 0', [ldImm(7), divX(), ret(SECCOMP_RET_ALLOW)], words()],
    ['division by X is unsigned and truncates', [ldImm(0xffffffff), ldxImm(2), divX(), retA()], words()],
    ['division by a constant', [ld(0), div(7), retA()], words(0xfffffffe)],
    ['shifts by X keep the low 5 bits of X', [ldImm(1), ldxImm(33), lshX(), tax(), ldImm(0x80000000), rshX(), addX(), retA()], words()],
    ['shifts by a constant', [ld(0), lsh(31), rsh(1), retA()], words(3)],
    ['ALU wraps at 32 bits', [ldImm(0xffffffff), add(2), sub(5), neg(), retA()], words()],
    ['jge X is unsigned', [ldImm(0x80000000), ldxImm(1), jgeX(0, 1), ret(1), ret(2)], words()],
    ['jset with a high bit', [ld(4), jset(0x80000000, 0, 1), ret(1), ret(2)], words(0, 0xc000003e)],
    ['ja over a RET', [ja(1), ret(1), ld(60), retA()], words(...Array<number>(15).fill(0), 0xdeadbeef)],
    ['scratch words start written and keep their values', [ldImm(5), st(15), ldImm(0), add(9), ldMem(15), retA()], words()],
  ])('%s', (_name, prog, w) => {
    expect(checkFilter(prog)).toBeNull();
    expect(translated(prog)).toBe(true);
    expect(bpfToJs(prog)(w)).toBe(runBpf(prog, w));
  });
});

/** Data words aimed at every comparison of `prog`: each constant it tests, and its neighbours, in each word it loads. */
function aimedWords(prog: readonly BpfInsn[]): SeccompWords[] {
  const ks = new Set<number>();
  for (const [c, , , k] of prog) if ((c & 0x07) === 0x05 && c !== 0x05) for (const d of [-1, 0, 1]) ks.add((k + d) >>> 0);
  const offsets = [...new Set(prog.filter(([c]) => c === 0x20).map(([, , , k]) => k >>> 2))];
  const out: SeccompWords[] = [];
  for (const k of ks) {
    for (const at of offsets) {
      const w = words(41, AUDIT_ARCH_X86_64);
      w[at] = k;
      out.push(w);
      const i386 = words(359, AUDIT_ARCH_I386);
      i386[at] = k;
      out.push(i386);
    }
  }
  return out;
}

describe('every shipped preset', () => {
  const calls = [
    ...fc.sample(callArb({ entries: true }), { seed: SEED, numRuns: 500 }),
    ...fc.sample(pairCallArb({ entries: true }), { seed: SEED, numRuns: 200 }),
  ];
  const callWords = calls.map((c) => fillSeccompWords(c, new Uint32Array(16)));

  it.each(presetNames())('%s: every program translates and equals the interpreter on calls and on each of its comparisons', (name) => {
    const filters = presetFilters(name);
    expect(filters.length).toBeGreaterThan(0);
    for (const { prog } of filters) {
      expect(translated(prog)).toBe(true);
      const fn = bpfToJs(prog);
      for (const w of [...callWords, ...aimedWords(prog)]) expect(fn(w)).toBe(runBpf(prog, w));
    }
  });

  it.each(presetNames())('%s: stackVerdict, before and after the translation, equals runStack', (name) => {
    // A fresh copy, so that this test sees the program's first runs.
    const stack = presetFilters(name);
    const data = [...callWords, ...stack.flatMap((f) => aimedWords(f.prog))];
    const runs = Math.max(JIT_AFTER + 200, data.length);
    for (let i = 0; i < runs; i++) {
      const w = data[i % data.length]!;
      expect(stackVerdict(stack, w)).toBe(runStack(stack.map((f) => f.prog), w).ret);
    }
  });
});

describe('what is not translated behaves as the interpreter', () => {
  it('a program checkFilter refuses runs on the interpreter, errors included', () => {
    expect(translated([ldImm(1)])).toBe(false);
    expect(() => bpfToJs([ldImm(1)])(words())).toThrow(/ran off the end at insn 1/);
    expect(() => runFilter([ldImm(1)], words())).toThrow(/ran off the end at insn 1/);
    // Refused by seccomp (ld [2] is unaligned) but runnable: the interpreter's answer.
    const unaligned: BpfInsn[] = [[0x20, 0, 0, 2], retA()];
    expect(bpfToJs(unaligned)(words(0, 7))).toBe(runBpf(unaligned, words(0, 7)));
  });

  it(`a program with up to ${MAX_JUMP_TARGETS} jump targets translates; one with more is interpreted`, () => {
    // ld [0]; then `jeq #i` whose false branch skips one instruction: every one lands elsewhere.
    const chain = (targets: number): BpfInsn[] => [
      ld(0), ...Array.from({ length: targets }, (_, i) => jeq(i, 0, 1)), ret(SECCOMP_RET_ALLOW), ret(SECCOMP_RET_ERRNO | 1),
    ];
    for (const [targets, want] of [[MAX_JUMP_TARGETS, true], [MAX_JUMP_TARGETS + 1, false], [4000, false]] as const) {
      const prog = chain(targets);
      expect(checkFilter(prog)).toBeNull();
      expect(translated(prog)).toBe(want);
      const fn = bpfToJs(prog);
      for (const v of [0, 1, 2, targets - 2, targets - 1, targets, 0xffffffff]) {
        expect(fn(words(v))).toBe(runBpf(prog, words(v)));
      }
    }
  });
});

describe('runFilter and the source', () => {
  it('interprets a program for its first JIT_AFTER runs, then runs its translation, with the same results', () => {
    const prog = [ld(16), jeq(40, 0, 1), ret(SECCOMP_RET_ERRNO | 1), ret(SECCOMP_RET_ALLOW)];
    const data = [words(41, AUDIT_ARCH_X86_64, 0, 0, 40), words(41, AUDIT_ARCH_X86_64, 0, 0, 2)];
    for (let i = 0; i < 2 * JIT_AFTER; i++) expect(runFilter(prog, data[i & 1]!)).toBe(runBpf(prog, data[i & 1]!));
  });

  it('checks the length of the seccomp_data words', () => {
    expect(() => stackVerdict([{ prog: [ret(SECCOMP_RET_ALLOW)] }], new Uint32Array(4))).toThrow(/16 words, got 4/);
  });

  it('writes forward jumps as breaks out of labelled blocks (the example of jsSource)', () => {
    expect(jsSource([[0x20, 0, 0, 0], [0x15, 0, 1, 41], [0x06, 0, 0, 0x7fff0000], [0x06, 0, 0, 0x50001]]))
      .toBe('let a = 0, x = 0;\nL3: {\na = w[0];\nif (a !== 41) break L3;\nreturn 2147418112;\n}\nreturn 327681;');
  });

  it('the example of encodeSeccompData still reads as the translation expects', () => {
    const w = encodeSeccompData({ nr: 41, arch: AUDIT_ARCH_X86_64, instructionPointer: 0n, args: [0x1_00000028n] });
    expect(bpfToJs([ld(20), retA()])(w)).toBe(1);
  });

  it('is exported from the seccomp index', () => {
    expect(api.bpfToJs).toBe(bpfToJs);
    expect(api.runFilter).toBe(runFilter);
  });
});
