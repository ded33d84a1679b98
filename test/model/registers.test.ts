// Registers held as numbers below 2^53 and as bigints above mean the same 64-bit value: every view
// the model takes of a register (the kernel's int, the two seccomp words, the 32-bit fit) agrees
// with the same view computed in BigInt arithmetic, in both forms.

import fc from 'fast-check';
import { defaultEnv, evaluate, reg, regBig, regEqual, regFits32, regHi, regInt32, regLo, seccompDataFor, type Call } from '../../model';

const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: (1n << 54n) }),
  fc.constantFrom(0n, 1n, 0xffffffffn, 0x100000000n, (1n << 53n) - 1n, 1n << 53n, (1n << 64n) - 1n),
);

describe('registers', () => {
  test('reg() is canonical: a number exactly below 2^53, a bigint from there', () => {
    fc.assert(fc.property(u64, (v) => {
      const r = reg(v);
      expect(typeof r).toBe(v < 1n << 53n ? 'number' : 'bigint');
      expect(regBig(r)).toBe(v);
      expect(reg(r)).toBe(r);
    }));
  });

  test('every view equals its BigInt definition, for both forms of the value', () => {
    fc.assert(fc.property(u64, (v) => {
      for (const r of [reg(v), v]) {
        expect(regInt32(r)).toBe(Number(BigInt.asIntN(32, v)));
        expect(regLo(r)).toBe(Number(v & 0xffffffffn));
        expect(regHi(r)).toBe(Number(v >> 32n));
        expect(regFits32(r)).toBe(v <= 0xffffffffn);
        expect(regEqual(r, reg(v))).toBe(true);
        expect(regEqual(r, reg(v ^ 1n))).toBe(false);
      }
    }));
  });

  test('negative int32 numbers are their u32 bit pattern; anything else is refused', () => {
    expect(reg(-1)).toBe(0xffffffff);
    expect(reg(-0x80000000)).toBe(0x80000000);
    expect(reg(-1n)).toBe(0xffffffffffffffffn);
    expect(() => reg(-0x80000001)).toThrow(RangeError);
    expect(() => reg(0.5)).toThrow(RangeError);
    expect(() => reg(2 ** 53)).toThrow(RangeError);
  });

  test('the model decides a call the same whichever form its registers come in', () => {
    const env = defaultEnv();
    fc.assert(fc.property(u64, u64, u64, fc.constantFrom('x86_64', 'i386', 'i386-socketcall' as const), (a0, a1, a2, entry) => {
      const big: Call = { a0, a1, a2, entry };
      const num: Call = { a0: reg(a0), a1: reg(a1), a2: reg(a2), entry };
      expect(evaluate(num, env)).toEqual(evaluate(big, env));
      expect(seccompDataFor(num)).toEqual(seccompDataFor(big));
    }));
  });
});
