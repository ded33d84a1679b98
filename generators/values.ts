// fast-check arbitraries for the three socket() registers. Mostly meaningful values from the
// model's own tables, canonical value first so counterexamples shrink to socket(AF_INET,
// SOCK_STREAM, 0); sometimes clause boundaries; sometimes any 64-bit value.
// Sources: model/constants.ts, model/profiles (which families and protocols exist).

import fc from 'fast-check';
import {
  AF, FAMILY_PROTOCOLS, FAMILY_TABLES, IPPROTO, NETLINK, NPROTO, SOCK, SOCK_CLOEXEC, SOCK_NONBLOCK,
  reg, regLo, type Call, type Entry, type Reg,
} from '../model';

const U64_MAX = (1n << 64n) - 1n;

/** Any 64-bit register value. */
export const anyRegister: fc.Arbitrary<Reg> = fc.bigInt({ min: 0n, max: U64_MAX }).map(reg);

/** A register whose low 32 bits are `low` and whose high 32 bits are random (non-zero). */
function withHighBits(low: fc.Arbitrary<number>): fc.Arbitrary<Reg> {
  return fc.tuple(low, fc.bigInt({ min: 1n, max: 0xffffffffn })).map(([lo, hi]) => reg((hi << 32n) | BigInt(lo >>> 0)));
}

const KNOWN_FAMILIES: readonly number[] = [AF.INET, ...FAMILY_TABLES.map((t) => t.family).filter((f) => f !== AF.INET)];

/** The weights of the three kinds of value: meaningful, boundary, random. */
export interface Bias {
  readonly meaningful: number;
  readonly edge: number;
  readonly random: number;
}
export const DEFAULT_BIAS: Bias = { meaningful: 14, edge: 4, random: 2 };

function biased(meaningful: fc.Arbitrary<Reg>, edge: fc.Arbitrary<Reg>, bias: Bias): fc.Arbitrary<Reg> {
  return fc.oneof(
    { arbitrary: meaningful, weight: bias.meaningful },
    { arbitrary: edge, weight: bias.edge },
    { arbitrary: anyRegister, weight: bias.random },
  );
}

/**
 * `a0`: a family the model knows (AF_INET first), any family number in range, the range
 * boundaries (-1, 0, AF_MAX-1, AF_MAX, INT_MIN, INT_MAX) and high-bit variants of real families.
 * @example fc.sample(familyArb(), 3)
 */
export function familyArb(bias: Bias = DEFAULT_BIAS): fc.Arbitrary<Reg> {
  const meaningful = fc.oneof(
    { arbitrary: fc.constantFrom(...KNOWN_FAMILIES), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: NPROTO - 1 }), weight: 1 },
  );
  const edge = fc.oneof(
    fc.constantFrom(-1, 0, NPROTO - 1, NPROTO, NPROTO + 1, -0x80000000, 0x7fffffff).map(reg),
    withHighBits(fc.constantFrom(...KNOWN_FAMILIES)),
    fc.constant<Reg>(0xffffffffffffffffn),
  );
  return biased(meaningful, edge, bias);
}

const BASE_TYPES = [SOCK.STREAM, SOCK.DGRAM, SOCK.RAW, SOCK.SEQPACKET, SOCK.RDM, SOCK.DCCP, SOCK.PACKET, 0, 7, 8, 9, 11, 12, 13, 14, 15];

/**
 * `a1`: a base type (SOCK_STREAM first) with CLOEXEC/NONBLOCK, or a stray flag bit, -1, or high bits.
 */
export function typeArb(bias: Bias = DEFAULT_BIAS): fc.Arbitrary<Reg> {
  const flags = fc.constantFrom(0, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK);
  const meaningful = fc.tuple(fc.constantFrom(...BASE_TYPES), flags).map(([t, f]) => t | f);
  const edge = fc.oneof(
    fc.tuple(fc.constantFrom(...BASE_TYPES), fc.integer({ min: 4, max: 31 })).map(([t, bit]) => reg(t | (1 << bit))),
    fc.constantFrom(-1, -0x80000000, 0x7fffffff, 0x10 | SOCK.STREAM, 0x100 | SOCK.STREAM).map(reg),
    withHighBits(fc.constantFrom(SOCK.STREAM, SOCK.DGRAM, SOCK.RAW)),
  );
  return biased(meaningful, edge, bias);
}

const PROTOCOLS: readonly number[] = [...new Set([
  0, ...Object.values(IPPROTO), ...Object.values(NETLINK),
  ...Object.values(FAMILY_PROTOCOLS).flatMap((t) => Object.values(t)),
])];

/** `a2`: 0 first, then named protocols of every family, then boundaries and high bits. */
export function protocolArb(bias: Bias = DEFAULT_BIAS): fc.Arbitrary<Reg> {
  const meaningful = fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: fc.constantFrom(...PROTOCOLS), weight: 6 },
    { arbitrary: fc.integer({ min: 0, max: 300 }), weight: 1 },
  );
  const edge = fc.oneof(
    fc.constantFrom(-1, 1, 2, 8, 9, 31, 32, 255, 256, 262, 263, 0x10000, -0x80000000, 0x7fffffff).map(reg),
    withHighBits(fc.constantFrom(0, 1, 6, 9)),
  );
  return biased(meaningful, edge, bias);
}

/** Options of `callArb`. */
export interface CallOptions {
  readonly bias?: Bias;
  /**
   * Also generate the i386 entry paths (only seccomp tells them apart), socketcall one time in
   * five with an unreadable argument block (EFAULT after seccomp).
   */
  readonly entries?: boolean;
}

/** A whole call; its `toString` is not strace (see model/names formatCall). */
export function callArb(opts: CallOptions = {}): fc.Arbitrary<Call> {
  const bias = opts.bias ?? DEFAULT_BIAS;
  const base = fc.record({ a0: familyArb(bias), a1: typeArb(bias), a2: protocolArb(bias) });
  if (opts.entries !== true) return base;
  const entry = fc.constantFrom<Entry>('x86_64', 'i386', 'i386-socketcall');
  // Shrinks towards 0: a readable block.
  const unreadable = fc.integer({ min: 0, max: 4 }).map((n) => n === 4);
  // int $0x80 passes whole registers (seccomp sees all 64 bits); socketcall's arguments are u32
  // values in memory.
  return fc.tuple(base, entry, unreadable).map(([c, e, u]): Call => (e === 'x86_64' ? c : e === 'i386' ? { ...c, entry: e } : {
    a0: regLo(c.a0), a1: regLo(c.a1), a2: regLo(c.a2), entry: e, ...(u ? { block: 'unreadable' as const } : {}),
  }));
}

/**
 * A socketpair() call: `callArb`'s registers and entry paths, with sv writable four times in six
 * and each unwritable placement once (shrinking towards a writable vector).
 */
export function pairCallArb(opts: CallOptions = {}): fc.Arbitrary<Call> {
  const sv = fc.integer({ min: 0, max: 5 }).map((n) => (n === 4 ? 'one-word' as const : n === 5 ? 'unwritable' as const : undefined));
  return fc.tuple(callArb(opts), sv).map(([c, p]): Call => ({ ...c, syscall: 'socketpair', ...(p === undefined ? {} : { sv: p }) }));
}
