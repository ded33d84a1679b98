// The calls `sockspec audit` makes of a policy: every family (each number below AF_MAX, named or
// not, and a row of numbers beyond it), every base type with each flag class and stray bits, and
// for each family the protocols that name something plus the boundaries, through five doors: the
// x86_64 syscall, the same with high bits set in a register, i386 `int $0x80` (also with high
// bits: seccomp sees the whole 64-bit register there too, docs/seccomp.md §0 item 2) and i386
// socketcall, whose filter sees no family at all. Every door's calls derive from one canonical
// call (32-bit values, as a C program passes them), so a door can be set against x86_64 point by
// point. Sources: docs/seccomp.md §0, §5, §6; model/syscall.ts (fillSeccompWords).

import {
  AF_NAMES, CAN_NPROTO, BT_MAX_PROTO, FAMILY_PROTOCOLS, IPPROTO, MAX_LINKS, NPROTO, reg, SOCK_CLOEXEC, SOCK_NONBLOCK,
  type Call, type Reg,
} from '../../model';

/** How a call enters the kernel, as the audit tells them apart. */
export type Door = 'x86_64' | 'x86_64-high' | 'i386' | 'i386-high' | 'socketcall';

/** The doors in matrix order. */
export const DOORS: readonly Door[] = ['x86_64', 'x86_64-high', 'i386', 'i386-high', 'socketcall'];

/** What each door is, for people. */
export const DOOR_TITLES: Readonly<Record<Door, string>> = {
  x86_64: 'x86_64 syscall (nr 41), registers as a C program passes them',
  'x86_64-high': 'x86_64 syscall with high bits set in a0, a1 or a2 (the kernel reads the low 32 bits; seccomp all 64)',
  i386: 'i386 int $0x80 socket (nr 359)',
  'i386-high': 'i386 int $0x80 from a 64-bit process with high bits set (seccomp sees the whole register)',
  socketcall: 'i386 socketcall(SYS_SOCKET, args) (nr 102): the filter sees the sub-call, not the family',
};

/** One row of the matrix: a family number, or the out-of-range ones together. */
export interface AuditRow {
  readonly id: string;
  readonly label: string;
  /** The a0 values of the row (32-bit). */
  readonly families: readonly number[];
}

/** One call of the audit, with the canonical call it derives from. */
export interface AuditPoint {
  readonly row: number;
  readonly door: Door;
  readonly call: Call;
  /** Index of the canonical call (the x86_64 door's point) in `AuditSpace.canonical`. */
  readonly base: number;
  /** Which high-bit shape (0..3) on the high doors; 0 elsewhere. */
  readonly variant: number;
}

/** The whole space: rows, canonical calls and every door's points. */
export interface AuditSpace {
  readonly rows: readonly AuditRow[];
  /** Canonical calls (32-bit registers), with their row. */
  readonly canonical: ReadonlyArray<{ readonly row: number; readonly a0: number; readonly a1: number; readonly a2: number }>;
  readonly points: readonly AuditPoint[];
}

/** Base types 0..15 with each flag class, a stray bit and a high stray bit on SOCK_STREAM, and -1. */
export const AUDIT_TYPES: readonly number[] = [
  ...Array.from({ length: 16 }, (_, t) => [0, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_CLOEXEC | SOCK_NONBLOCK].map((f) => (t | f) >>> 0)).flat(),
  1 | 0x10, (1 | 0x40000000) >>> 0, 0xffffffff,
];

/** Protocols every family is tried with: the small numbers, the inet boundaries, INT_MAX and -1. */
const BASE_PROTOCOLS: readonly number[] = [0, 1, 2, 3, 6, 9, 17, 40, 255, 256, 262, 263, 0x7fffffff, 0xffffffff];

/** The protocols of family `f`: the base ones and every protocol number the family names. */
export function protocolsFor(f: number): number[] {
  const named: number[] = [];
  if (f === 2 || f === 10) named.push(...Object.values(IPPROTO));
  if (f === 16) named.push(...Array.from({ length: MAX_LINKS + 1 }, (_, i) => i));
  if (f === 29) named.push(...Array.from({ length: CAN_NPROTO + 1 }, (_, i) => i));
  if (f === 31) named.push(...Array.from({ length: BT_MAX_PROTO + 1 }, (_, i) => i));
  const name = AF_NAMES[f];
  if (name !== undefined && FAMILY_PROTOCOLS[name] !== undefined) named.push(...Object.values(FAMILY_PROTOCOLS[name]));
  return [...new Set([...BASE_PROTOCOLS, ...named])].sort((a, b) => a - b);
}

/** Family numbers beyond AF_MAX and below zero, one row. */
export const OUT_OF_RANGE_FAMILIES: readonly number[] = [NPROTO, NPROTO + 1, 0x7fffffff, 0x80000000, 0xffffffff];

/** The rows: each family below AF_MAX, then the out-of-range row. */
export function auditRows(): AuditRow[] {
  const rows: AuditRow[] = Array.from({ length: NPROTO }, (_, f) => ({ id: String(f), label: `${AF_NAMES[f] ?? 'unnamed'} (${f})`, families: [f] }));
  rows.push({ id: 'out-of-range', label: `out of range (${NPROTO}, ${NPROTO + 1}, INT_MAX, INT_MIN, -1)`, families: OUT_OF_RANGE_FAMILIES });
  return rows;
}

const HI1 = 1n << 32n;
const HIF = 0xffffffffn << 32n;

/** The high-bit shapes of one canonical call: a0 with 1 and with all ones above, a1 and a2 with 1 above. */
function highVariants(a0: number, a1: number, a2: number): Array<[Reg, Reg, Reg]> {
  return [
    [reg(HI1 | BigInt(a0)), a1, a2],
    [reg(HIF | BigInt(a0)), a1, a2],
    [a0, reg(HI1 | BigInt(a1)), a2],
    [a0, a1, reg(HI1 | BigInt(a2))],
  ];
}

/**
 * The audit's space, optionally cut to some doors. Deterministic: the same points in the same
 * order every time.
 */
export function auditSpace(doors: readonly Door[] = DOORS): AuditSpace {
  const rows = auditRows();
  const canonical: Array<{ row: number; a0: number; a1: number; a2: number }> = [];
  rows.forEach((r, row) => {
    for (const a0 of r.families) {
      const protocols = a0 < NPROTO ? protocolsFor(a0) : BASE_PROTOCOLS;
      for (const a1 of AUDIT_TYPES) for (const a2 of protocols) canonical.push({ row, a0, a1, a2 });
    }
  });
  const points: AuditPoint[] = [];
  const want = new Set(doors);
  canonical.forEach((c, base) => {
    const { row, a0, a1, a2 } = c;
    const high = highVariants(a0, a1, a2);
    if (want.has('x86_64')) points.push({ row, door: 'x86_64', base, variant: 0, call: { a0, a1, a2 } });
    if (want.has('x86_64-high')) high.forEach(([h0, h1, h2], variant) => points.push({ row, door: 'x86_64-high', base, variant, call: { a0: h0, a1: h1, a2: h2 } }));
    if (want.has('i386')) points.push({ row, door: 'i386', base, variant: 0, call: { a0, a1, a2, entry: 'i386' } });
    if (want.has('i386-high')) high.forEach(([h0, h1, h2], variant) => points.push({ row, door: 'i386-high', base, variant, call: { a0: h0, a1: h1, a2: h2, entry: 'i386' } }));
    if (want.has('socketcall')) points.push({ row, door: 'socketcall', base, variant: 0, call: { a0, a1, a2, entry: 'i386-socketcall' } });
  });
  return { rows, canonical, points };
}

/** Parses a comma-separated list of doors; throws a message naming the unknown one. */
export function parseDoors(text: string): Door[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    if (!(DOORS as readonly string[]).includes(s)) throw new Error(`unknown door ${JSON.stringify(s)} (known: ${DOORS.join(', ')})`);
    return s as Door;
  });
}
