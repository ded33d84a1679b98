// Names and numbers as strace prints them: parsing symbolic or numeric socket() arguments into
// 64-bit register values, and printing a call and its result in strace's style.
// Sources: include/linux/socket.h, include/linux/net.h, include/uapi/linux/in.h, netlink.h;
// strace's socket decoder output (as strace prints socket calls).

import {
  AF_NAMES, ERRNO_NAMES, FAMILY_PROTOCOLS, IPPROTO, NETLINK, SOCK_CLOEXEC, SOCK_NONBLOCK,
  SOCK_TYPE_MASK, SOCK_TYPE_NAMES, AF,
} from './constants';
import { reg, regFits32, regInt32, regLo, type Reg } from './registers';
import { svAddress, unreadableBlock } from './syscall';
import type { Call, Outcome } from './types';

const U64 = (1n << 64n) - 1n;

/** Thrown for an argument that is not a name or number this model knows. */
export class ArgError extends Error {}

/**
 * A number given as JSON: a safe integer (negative ones are a C `int` as glibc passes it:
 * zero-extended to 64 bits), or a string in decimal or hex ("0x80000", "-1").
 */
export function parseRegister(v: unknown, what: string): Reg {
  return reg(parseBig(v, what));
}

function parseBig(v: unknown, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new ArgError(`${what}: ${v} is not an exact integer (give large values as a hex string)`);
    return toRegister(BigInt(v), what);
  }
  if (typeof v === 'string' && /^-?(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim())) {
    const s = v.trim();
    const neg = s.startsWith('-');
    const n = BigInt(neg ? s.slice(1) : s);
    return toRegister(neg ? -n : n, what);
  }
  throw new ArgError(`${what}: expected a number, got ${JSON.stringify(v)}`);
}

function toRegister(n: bigint, what: string): bigint {
  if (n < 0n) {
    if (n < -(1n << 31n)) throw new ArgError(`${what}: ${n} is below INT_MIN; give a 64-bit value as hex`);
    return n & 0xffffffffn;
  }
  if (n > U64) throw new ArgError(`${what}: ${n} does not fit in 64 bits`);
  return n;
}

function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || (typeof v === 'string' && /^-?(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim()));
}

/** A family: `AF_INET`, `PF_INET`, `INET`, or a number. */
export function parseFamily(v: unknown): Reg {
  if (isNumeric(v)) return parseRegister(v, 'family');
  if (typeof v === 'string') {
    const name = v.trim().toUpperCase().replace(/^PF_/, 'AF_');
    const full = name.startsWith('AF_') ? name : `AF_${name}`;
    const i = AF_NAMES.findIndex((n) => n.toUpperCase() === full || (full === 'AF_LOCAL' && n === 'AF_UNIX'));
    if (i >= 0) return i;
  }
  throw new ArgError(`family: unknown family ${JSON.stringify(v)}`);
}

const TYPE_BY_NAME: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Object.entries(SOCK_TYPE_NAMES).map(([n, name]) => [name, Number(n)])),
  SOCK_CLOEXEC, SOCK_NONBLOCK,
};

/** A type: `SOCK_STREAM|SOCK_CLOEXEC`, names and numbers joined by `|`, or one number. */
export function parseType(v: unknown): Reg {
  if (isNumeric(v)) return parseRegister(v, 'type');
  if (typeof v === 'string' && v.trim() !== '') {
    let acc = 0n;
    for (const raw of v.split('|')) {
      const part = raw.trim();
      const byName = TYPE_BY_NAME[part.toUpperCase()];
      if (byName !== undefined) acc |= BigInt(byName);
      else if (isNumeric(part)) acc |= parseBig(part, 'type');
      else throw new ArgError(`type: unknown name ${JSON.stringify(part)} in ${JSON.stringify(v)}`);
    }
    return reg(acc);
  }
  throw new ArgError(`type: expected a number or names joined by |, got ${JSON.stringify(v)}`);
}

const PROTO_BY_NAME: ReadonlyMap<string, number> = new Map([
  ...Object.entries(IPPROTO),
  ...Object.entries(NETLINK),
  ...Object.values(FAMILY_PROTOCOLS).flatMap((t) => Object.entries(t)),
].filter(([name]) => !/^[0-9]+$/.test(name)).map(([n, v]) => [n.toUpperCase(), v] as [string, number]));

/** A protocol: `IPPROTO_ICMP`, `NETLINK_AUDIT`, `PF_KEY_V2`, `htons(ETH_P_ALL)`, … or a number. */
export function parseProtocol(v: unknown): Reg {
  if (isNumeric(v)) return parseRegister(v, 'protocol');
  if (typeof v === 'string') {
    const n = PROTO_BY_NAME.get(v.trim().toUpperCase());
    if (n !== undefined) return n;
  }
  throw new ArgError(`protocol: unknown protocol ${JSON.stringify(v)}`);
}

function withHigh(r: Reg, text: string): string {
  return regFits32(r) ? text : `0x${r.toString(16)} /* ${text} */`;
}

/** `AF_INET`, or the int the kernel sees (with the full register when high bits are set). */
export function formatFamily(r: Reg): string {
  const f = regInt32(r);
  return withHigh(r, f >= 0 && f < AF_NAMES.length ? AF_NAMES[f] : String(f));
}

/** `SOCK_STREAM|SOCK_CLOEXEC|0x40000000`, as strace decodes it. */
export function formatType(r: Reg): string {
  const t = regLo(r);
  const base = t & SOCK_TYPE_MASK;
  const parts = [SOCK_TYPE_NAMES[base] ?? String(base)];
  if (t & SOCK_CLOEXEC) parts.push('SOCK_CLOEXEC');
  if (t & SOCK_NONBLOCK) parts.push('SOCK_NONBLOCK');
  const rest = t & ~(SOCK_TYPE_MASK | SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return withHigh(r, parts.join('|'));
}

function nameIn(table: Readonly<Record<string, number>>, n: number): string | undefined {
  for (const [name, v] of Object.entries(table)) if (v === n && !/^[0-9]+$/.test(name)) return name;
  return undefined;
}

/** The protocol in the family's own vocabulary (IPPROTO_*, NETLINK_*, …), else the number. */
export function formatProtocol(familyReg: Reg, r: Reg): string {
  const f = regInt32(familyReg);
  const p = regInt32(r);
  let name: string | undefined;
  if (f === AF.INET || f === AF.INET6) name = nameIn(IPPROTO, p);
  else if (f === AF.NETLINK) name = nameIn(NETLINK, p);
  else if (f >= 0 && f < AF_NAMES.length && FAMILY_PROTOCOLS[AF_NAMES[f]] !== undefined) {
    name = nameIn(FAMILY_PROTOCOLS[AF_NAMES[f]], p);
  }
  return withHigh(r, name ?? String(p));
}

const MESSAGES: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', EINTR: 'Interrupted system call',
  EACCES: 'Permission denied', EINVAL: 'Invalid argument', ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files', ENOMEM: 'Cannot allocate memory', ENODEV: 'No such device',
  ENOSYS: 'Function not implemented', EPROTOTYPE: 'Protocol wrong type for socket',
  ENOPROTOOPT: 'Protocol not available', EPROTONOSUPPORT: 'Protocol not supported',
  ESOCKTNOSUPPORT: 'Socket type not supported', EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol', ENOBUFS: 'No buffer space available',
  E2BIG: 'Argument list too long', ERANGE: 'Numerical result out of range', EDOM: 'Numerical argument out of domain',
  EXDEV: 'Invalid cross-device link', EFAULT: 'Bad address', EBADF: 'Bad file descriptor',
};

/** strerror's text for an errno name, as strace prints it in parentheses. */
export function errnoMessage(name: string): string {
  return MESSAGES[name] ?? (ERRNO_NAMES.includes(name) ? name : `Unknown error ${name.replace(/^E#/, '')}`);
}

/**
 * `socket(AF_INET, SOCK_STREAM, IPPROTO_IP)`, without the result; `socketcall(SYS_SOCKET, NULL)`
 * for an unreadable argument block, whose arguments the kernel never sees.
 */
export function formatCall(call: Call): string {
  return callText(call, undefined);
}

function callText(call: Call, sv: string | undefined): string {
  const pair = call.syscall === 'socketpair';
  if (unreadableBlock(call)) return pair ? 'socketcall(SYS_SOCKETPAIR, NULL)' : 'socketcall(SYS_SOCKET, NULL)';
  const prefix = call.entry === 'i386' ? '[i386] ' : call.entry === 'i386-socketcall' ? '[i386 socketcall] ' : '';
  const args = `${formatFamily(call.a0)}, ${formatType(call.a1)}, ${formatProtocol(call.a0, call.a2)}`;
  if (!pair) return `${prefix}socket(${args})`;
  const addr = svAddress(call);
  return `${prefix}socketpair(${args}, ${sv ?? (addr === 0n ? 'NULL' : `0x${addr.toString(16)}`)})`;
}

/** ` = 3`, ` = -1 EPERM (Operation not permitted)`, ` = 0`, ` = ? +++ killed by SIGSYS +++`. */
export function formatResult(o: Outcome): string {
  switch (o.kind) {
    case 'fd':
      return `= ${o.fd}`;
    case 'pair':
      return '= 0';
    case 'errno':
      return `= -1 ${o.errno} (${errnoMessage(o.errno)})`;
    case 'ret':
      return `= ${o.value}`;
    case 'killed':
      return `= ? +++ killed by ${o.signal} +++`;
  }
}

/**
 * The whole strace line. A socketpair shows sv as strace does: `[3, 4]` on success; on failure
 * the pointer, and the fd numbers it wrote there anyway (`sv left [3, 4]`).
 */
export function formatStrace(call: Call, o: Outcome): string {
  if (o.kind === 'pair') return `${callText(call, `[${o.ends[0].fd}, ${o.ends[1].fd}]`)} ${formatResult(o)}`;
  const left = o.kind === 'errno' && o.sv !== undefined && o.sv.length > 0 ? ` (sv left [${o.sv.join(', ')}])` : '';
  return `${formatCall(call)} ${formatResult(o)}${left}`;
}

/** The short result string of the eval contract: `ok`, `EPERM`, `killed:SIGSYS`, `ret:0`. */
export function resultString(o: Outcome): string {
  switch (o.kind) {
    case 'fd':
    case 'pair':
      return 'ok';
    case 'errno':
      return o.errno;
    case 'ret':
      return `ret:${o.value}`;
    case 'killed':
      return `killed:${o.signal}`;
  }
}
