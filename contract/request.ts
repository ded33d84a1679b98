// The eval contract (docs/eval-contract.md): one JSON object a line in, one out.
// Parses a request into a Call and an Env with errors that name the field, and renders an outcome
// and its trace as the stable result object scripts depend on.
// Sources: docs/eval-contract.md, model/names.ts (symbolic values).

import {
  ArgError, capMask, capNames, defaultEnv, fdTable, parseFamily, parseProtocol, parseType,
  resultString, unreadableBlock, ALL_CAPS,
  type Call, type Decision, type Entry, type Env, type FdEntry, type KernelProfile, type Namespaces, type Outcome,
  type Reg, type SeccompFilter, type SvPlacement,
} from '../model';
import { checkFilter, type BpfInsn } from '../model/seccomp/bpf';
import { resolveProfile } from './profiles';
import { ContractError } from './errors';

const NAMESPACES: readonly Namespaces[] = ['init', 'user+net', 'user', 'net'];
const ENTRIES: readonly Entry[] = ['x86_64', 'i386', 'i386-socketcall'];
const SV_PLACEMENTS: readonly SvPlacement[] = ['unwritable', 'one-word'];
const ENV_KEYS = new Set([
  'caps', 'uid', 'gid', 'groups', 'namespaces', 'pingGroupRange', 'rlimitNofile', 'openFds', 'maxFds',
  'sysctl', 'seccomp', 'nrFiles', 'unixSockets',
]);
const SYSCTL_KEYS = new Set(['fs.file-max', 'fs.nr_open', 'net.mptcp.enabled', 'net.ipv4.ping_group_range']);
/**
 * The top-level fields of a request: the contract's own (docs/eval-contract.md §2), what golden
 * corpus files add (`expect…`, `why`: test/corpus/), and a campaign corpus entry's `covers`
 * (engine/campaign/corpus.ts). Anything else is a mistake: a misspelt `entry` must not answer
 * silently for x86_64.
 */
export const REQUEST_KEYS: readonly string[] = [
  'id', 'syscall', 'family', 'type', 'protocol', 'entry', 'block', 'sv', 'env', 'kernel',
  'expect', 'expectFd', 'expectFds', 'expectEnds', 'expectSv', 'expectCloexec', 'expectNonblock', 'expectDomain', 'expectSotype', 'expectSoprotocol',
  'why', 'covers',
];
const REQUEST_KEY_SET = new Set(REQUEST_KEYS);
const FD_KEYS = new Set(['fd', 'cloexec', 'nonblock']);

/** Throws for the first key of `obj` outside `known`, naming it as `prefix` + key. */
function onlyKeys(obj: Record<string, unknown>, known: ReadonlySet<string>, prefix: string, what = 'unknown field'): void {
  for (const k of Object.keys(obj)) if (!known.has(k)) throw new ContractError(`${prefix}${k}`, `${what} (known: ${[...known].join(', ')})`);
}

function bool(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ContractError(field, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(v: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ContractError(field, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function intList(v: unknown, field: string): number[] {
  if (!Array.isArray(v)) throw new ContractError(field, `expected a list of integers, got ${JSON.stringify(v)}`);
  return v.map((x, i) => int(x, `${field}[${i}]`, 0, 0xffffffff));
}

function parseFds(v: unknown, maxFds: number | undefined): Env['fds'] {
  if (!Array.isArray(v)) throw new ContractError('env.openFds', `expected a list, got ${JSON.stringify(v)}`);
  const entries: FdEntry[] = v.map((x, i) => {
    if (typeof x === 'number') return { fd: int(x, `env.openFds[${i}]`, 0, 1 << 30), cloexec: false, nonblock: false };
    if (isObject(x)) {
      onlyKeys(x, FD_KEYS, `env.openFds[${i}].`);
      return {
        fd: int(x.fd, `env.openFds[${i}].fd`, 0, 1 << 30),
        cloexec: bool(x.cloexec, `env.openFds[${i}].cloexec`),
        nonblock: bool(x.nonblock, `env.openFds[${i}].nonblock`),
      };
    }
    throw new ContractError(`env.openFds[${i}]`, `expected an fd number or {fd, cloexec, nonblock}, got ${JSON.stringify(x)}`);
  });
  const byFd = new Map(entries.map((e) => [e.fd, e]));
  if (byFd.size !== entries.length) throw new ContractError('env.openFds', 'lists an fd twice');
  const base = fdTable([...byFd.keys()], maxFds);
  return { ...base, entries: base.entries.map((e) => byFd.get(e.fd) as FdEntry) };
}

/** A `[[code, jt, jf, k], …]` list as a program the kernel accepts; errors name `field` and the instruction. */
export function parseBpf(v: unknown, field: string): BpfInsn[] {
  if (!Array.isArray(v) || v.length === 0) throw new ContractError(field, 'expected a non-empty list of [code, jt, jf, k]');
  const prog = v.map((insn, i): BpfInsn => {
    if (!Array.isArray(insn) || insn.length !== 4) throw new ContractError(`${field}[${i}]`, `expected [code, jt, jf, k], got ${JSON.stringify(insn)}`);
    return [
      int(insn[0], `${field}[${i}].code`, 0, 0xffff),
      int(insn[1], `${field}[${i}].jt`, 0, 255),
      int(insn[2], `${field}[${i}].jf`, 0, 255),
      int(insn[3], `${field}[${i}].k`, -0x80000000, 0xffffffff) >>> 0,
    ];
  });
  const bad = checkFilter(prog);
  if (bad !== null) throw new ContractError(field, `the kernel would refuse this filter (EINVAL): ${bad}`);
  return prog;
}

const BPF_KEYS = new Set(['bpf', 'label']);
const PRESET_KEYS = new Set(['preset']);

/** Turns `{"preset": name}` into the filters it installs; throws a message for an unknown name. */
export type PresetResolver = (name: string) => SeccompFilter[];

function parseSeccomp(v: unknown, presets: PresetResolver | undefined): SeccompFilter[] {
  if (!Array.isArray(v)) throw new ContractError('env.seccomp', 'expected a list of filters, oldest first');
  return v.flatMap((f, i): SeccompFilter[] => {
    const field = `env.seccomp[${i}]`;
    if (isObject(f) && 'bpf' in f) {
      onlyKeys(f, BPF_KEYS, `${field}.`);
      if (f.label !== undefined && typeof f.label !== 'string') throw new ContractError(`${field}.label`, `expected a string, got ${JSON.stringify(f.label)}`);
      return [{ prog: parseBpf(f.bpf, `${field}.bpf`), label: typeof f.label === 'string' ? f.label : `bpf #${i}` }];
    }
    if (isObject(f) && 'preset' in f) {
      onlyKeys(f, PRESET_KEYS, `${field}.`);
      if (presets === undefined) throw new ContractError(`${field}.preset`, 'presets are not available here');
      try {
        return presets(String(f.preset));
      } catch (e) {
        throw new ContractError(`${field}.preset`, (e as Error).message);
      }
    }
    if (isObject(f) && 'oci' in f) {
      throw new ContractError(`${field}.oci`, 'an OCI profile is compiled by libseccomp in the executor; build it (npm run build) and run as root');
    }
    throw new ContractError(field, `expected {"bpf": [[code, jt, jf, k], …]}, {"preset": name} or {"oci": {…}}, got ${JSON.stringify(f)}`);
  });
}

/** The Env of a request's `env` object on top of the defaults for `profile`. */
export function parseEnv(v: unknown, profile: KernelProfile, presets?: PresetResolver): Env {
  if (v === undefined) return defaultEnv({ profile });
  if (!isObject(v)) throw new ContractError('env', `expected an object, got ${JSON.stringify(v)}`);
  onlyKeys(v, ENV_KEYS, 'env.');
  const base = defaultEnv({ profile });
  let caps = ALL_CAPS;
  if (v.caps !== undefined) {
    if (!Array.isArray(v.caps)) throw new ContractError('env.caps', 'expected a list of capability names');
    try {
      caps = capMask(v.caps as (string | number)[]);
    } catch (e) {
      throw new ContractError('env.caps', (e as Error).message);
    }
  }
  const ns = v.namespaces ?? 'init';
  if (!NAMESPACES.includes(ns as Namespaces)) throw new ContractError('env.namespaces', `expected one of ${NAMESPACES.join(', ')}, got ${JSON.stringify(ns)}`);
  const sysctl = v.sysctl === undefined ? {} : v.sysctl;
  if (!isObject(sysctl)) throw new ContractError('env.sysctl', 'expected an object');
  onlyKeys(sysctl, SYSCTL_KEYS, 'env.sysctl.', 'unknown sysctl');
  const ping = v.pingGroupRange ?? sysctl['net.ipv4.ping_group_range'];
  let pingGroupRange = base.pingGroupRange;
  if (ping !== undefined) {
    const r = intList(ping, 'env.pingGroupRange');
    if (r.length !== 2) throw new ContractError('env.pingGroupRange', 'expected [low, high]');
    pingGroupRange = [r[0], r[1]];
  }
  const mptcp = sysctl['net.mptcp.enabled'];
  const maxFds = v.maxFds === undefined ? undefined : int(v.maxFds, 'env.maxFds', 64, 1 << 30);
  return {
    ...base,
    creds: {
      uid: v.uid === undefined ? 0 : int(v.uid, 'env.uid', 0, 0xfffffffe),
      gid: v.gid === undefined ? 0 : int(v.gid, 'env.gid', 0, 0xfffffffe),
      groups: v.groups === undefined ? [] : intList(v.groups, 'env.groups'),
      caps,
      namespaces: ns as Namespaces,
    },
    pingGroupRange,
    mptcpEnabled: mptcp === undefined ? true : int(mptcp, 'env.sysctl["net.mptcp.enabled"]', 0, 2) !== 0,
    fileMax: sysctl['fs.file-max'] === undefined ? base.fileMax : int(sysctl['fs.file-max'], 'env.sysctl["fs.file-max"]'),
    nrOpen: sysctl['fs.nr_open'] === undefined ? base.nrOpen : int(sysctl['fs.nr_open'], 'env.sysctl["fs.nr_open"]', 1, 0x7fffffff),
    nrFiles: v.nrFiles === undefined ? base.nrFiles : int(v.nrFiles, 'env.nrFiles'),
    unixSockets: v.unixSockets === undefined ? base.unixSockets : int(v.unixSockets, 'env.unixSockets'),
    rlimitNofile: v.rlimitNofile === undefined ? base.rlimitNofile : int(v.rlimitNofile, 'env.rlimitNofile', 0, 0x7fffffff),
    fds: v.openFds === undefined ? (maxFds === undefined ? base.fds : { ...base.fds, maxFds }) : parseFds(v.openFds, maxFds),
    seccomp: v.seccomp === undefined ? [] : parseSeccomp(v.seccomp, presets),
  };
}

/**
 * The Call of a request: `family`, `type`, `protocol` (names or numbers), optional `entry`,
 * `block: "unreadable"` for a socketcall whose argument block the kernel cannot read, and
 * `syscall: "socketpair"` (default `socket`) with an optional `sv` placement.
 */
export function parseCall(req: Record<string, unknown>): Call {
  const wrap = <T>(field: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ArgError) throw new ContractError(field, e.message.replace(/^[a-z]+: /, ''));
      throw e;
    }
  };
  for (const k of ['family', 'type', 'protocol']) if (!(k in req)) throw new ContractError(k, 'missing');
  const syscall = req.syscall ?? 'socket';
  if (syscall !== 'socket' && syscall !== 'socketpair') throw new ContractError('syscall', `expected "socket" or "socketpair", got ${JSON.stringify(req.syscall)}`);
  if (req.sv !== undefined) {
    if (syscall !== 'socketpair') throw new ContractError('sv', 'only socketpair has a vector (add "syscall": "socketpair")');
    if (!SV_PLACEMENTS.includes(req.sv as SvPlacement)) throw new ContractError('sv', `expected one of ${SV_PLACEMENTS.join(', ')} (absent: a writable vector), got ${JSON.stringify(req.sv)}`);
  }
  const entry = req.entry ?? 'x86_64';
  if (!ENTRIES.includes(entry as Entry)) throw new ContractError('entry', `expected one of ${ENTRIES.join(', ')}`);
  if (req.block !== undefined) {
    if (req.block !== 'unreadable') throw new ContractError('block', `expected "unreadable" (absent: a readable argument block), got ${JSON.stringify(req.block)}`);
    if (entry !== 'i386-socketcall') throw new ContractError('block', `only the i386-socketcall entry passes an argument block, not ${String(entry)}`);
  }
  return {
    a0: wrap('family', () => parseFamily(req.family)),
    a1: wrap('type', () => parseType(req.type)),
    a2: wrap('protocol', () => parseProtocol(req.protocol)),
    ...(entry === 'x86_64' ? {} : { entry: entry as Entry }),
    ...(req.block === undefined ? {} : { block: 'unreadable' as const }),
    ...(syscall === 'socketpair' ? { syscall: 'socketpair' as const } : {}),
    ...(req.sv === undefined ? {} : { sv: req.sv as SvPlacement }),
  };
}

/** One parsed request line. */
export interface Request {
  readonly id: unknown;
  readonly call: Call;
  readonly env: Env;
  /** Optional expected result string, as golden corpus files carry it. */
  readonly expect?: string;
}

/** Parses one line of JSON text; throws ContractError with field `json` for bad syntax. */
export function parseJsonLine(line: string): Record<string, unknown> {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new ContractError('json', (e as Error).message);
  }
  if (!isObject(obj)) throw new ContractError('json', 'expected one JSON object');
  return obj;
}

/** Throws for a top-level field a request does not have (REQUEST_KEYS), naming it. */
export function checkRequestFields(obj: Record<string, unknown>): void {
  onlyKeys(obj, REQUEST_KEY_SET, '');
}

/** Parses one request (a line of text, or its parsed object); throws ContractError naming the field. */
export function parseRequest(line: string | Record<string, unknown>, profile: KernelProfile, presets?: PresetResolver): Request {
  const obj = typeof line === 'string' ? parseJsonLine(line) : line;
  checkRequestFields(obj);
  const p = obj.kernel === undefined ? profile : resolveProfile(String(obj.kernel));
  const expect = obj.expect === undefined ? undefined : String(obj.expect);
  return { id: obj.id ?? null, call: parseCall(obj), env: parseEnv(obj.env, p, presets), ...(expect === undefined ? {} : { expect }) };
}

/**
 * The fields an outcome adds to a result object: an fd's number, flags and SO_* values; a pair's
 * `fds` and the same for each end (`ends`); what a failed socketpair left in `sv`.
 */
export function outcomeFields(o: Outcome): Record<string, unknown> {
  if (o.kind === 'fd') return { fd: o.fd, cloexec: o.cloexec, nonblock: o.nonblock, domain: o.domain, sotype: o.sotype, soprotocol: o.soprotocol };
  if (o.kind === 'pair') {
    return {
      fds: o.ends.map((e) => e.fd),
      ends: o.ends.map((e) => ({ fd: e.fd, cloexec: e.cloexec, nonblock: e.nonblock, domain: e.domain, sotype: e.sotype, soprotocol: e.soprotocol })),
    };
  }
  if (o.kind === 'errno' && o.sv !== undefined) return { sv: [...o.sv] };
  return {};
}

/** The result object of the contract for a decision. */
export function resultObject(id: unknown, d: Decision): Record<string, unknown> {
  const out: Record<string, unknown> = { id, result: resultString(d.outcome), ...outcomeFields(d.outcome) };
  out.clauses = d.trace;
  return out;
}

/** An Env back in the eval contract's terms, so that a finding can be replayed with `sockspec eval`. */
export function envToContract(env: Env): Record<string, unknown> {
  return {
    caps: capNames(env.creds.caps),
    uid: env.creds.uid,
    gid: env.creds.gid,
    groups: [...env.creds.groups],
    namespaces: env.creds.namespaces,
    pingGroupRange: [...env.pingGroupRange],
    rlimitNofile: env.rlimitNofile,
    openFds: env.fds.entries.map((e) => (e.cloexec || e.nonblock ? { fd: e.fd, cloexec: e.cloexec, nonblock: e.nonblock } : e.fd)),
    ...(env.fds.maxFds !== undefined ? { maxFds: env.fds.maxFds } : {}),
    nrFiles: env.nrFiles,
    unixSockets: env.unixSockets,
    sysctl: { 'fs.file-max': env.fileMax, 'fs.nr_open': env.nrOpen, 'net.mptcp.enabled': env.mptcpEnabled ? 1 : 0 },
    seccomp: env.seccomp.map((f) => ({ bpf: f.prog.map((i) => [i[0], i[1], i[2], i[3]]), ...(f.label ? { label: f.label } : {}) })),
  };
}

/** One eval request line for a call in an environment. */
export function requestLine(call: Call, env: Env, id: unknown = null): string {
  const hex = (r: Reg): string => `0x${r.toString(16)}`;
  return JSON.stringify({
    id, ...(call.syscall === 'socketpair' ? { syscall: 'socketpair' } : {}), family: hex(call.a0), type: hex(call.a1), protocol: hex(call.a2),
    ...(call.entry ? { entry: call.entry } : {}), ...(unreadableBlock(call) ? { block: call.block } : {}),
    ...(call.syscall === 'socketpair' && call.sv !== undefined ? { sv: call.sv } : {}), kernel: env.profile.name, env: envToContract(env),
  });
}
