// OCI / Docker seccomp profiles as libseccomp calls, the way runc (and crun) translate them:
// Docker's archMap and includes/excludes resolved first, rules whose action equals the default
// skipped, conditions on a repeated argument index split into separate rules, MASKED_EQ's mask in
// `value` and datum in `valueTwo`. libseccomp itself (in the executor) turns the calls into BPF.
// Sources: docs/seccomp.md §1-§3 (runc libcontainer/seccomp/seccomp_linux.go, crun src/libcrun/seccomp.c,
// moby/profiles seccomp_linux.go); opencontainers/runtime-spec config-linux.md.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE, SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF,
} from '../model/seccomp/actions';

/** One libseccomp filter to build: seccomp_init, arches, rules in order (the executor's COMPILE). */
export interface CompilePlan {
  readonly defaultAction: number;
  readonly badArchAction?: number;
  readonly arches: number[];
  readonly optimize?: number;
  readonly rules: Array<{ name: string; action: number; exact?: boolean; conds: Array<{ arg: number; op: number; a: bigint; b: bigint }> }>;
  /** Where each rule came from (`syscalls[i]` and the name), for reports. */
  readonly origin: string[];
  /** Rules runc would not add, with the reason. */
  readonly skipped: string[];
  /** Rules runc split into one rule per condition (a repeated argument index): an OR where the profile wrote an AND. */
  readonly split?: string[];
}

/** A profile that is not what the translator expects: names the field. */
export class ProfileError extends Error {}

export const SCMP_ARCH: Readonly<Record<string, number>> = {
  SCMP_ARCH_X86: 0x40000003,
  SCMP_ARCH_X86_64: 0xc000003e,
  SCMP_ARCH_X32: 0x4000003e,
};

/** libseccomp's enum scmp_compare. */
export const SCMP_CMP: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

const EPERM = 1;

/** An OCI action name with its errnoRet as the u32 the kernel sees. */
export function actionValue(action: unknown, errnoRet: unknown, where: string): number {
  const errno = errnoRet === undefined ? EPERM : Number(errnoRet);
  if (!Number.isInteger(errno) || errno < 0) throw new ProfileError(`${where}: errnoRet must be a non-negative integer`);
  switch (action) {
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET_KILL_PROCESS >>> 0;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET_TRAP;
    // runc passes int16(errnoRet); libseccomp keeps the low 16 bits; the kernel clamps to 4095.
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET_ERRNO | (errno & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET_TRACE | (errno & 0xffff)) >>> 0;
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_LOG': return SECCOMP_RET_LOG;
    case 'SCMP_ACT_NOTIFY': return SECCOMP_RET_USER_NOTIF;
    default: throw new ProfileError(`${where}: unknown action ${JSON.stringify(action)}`);
  }
}

/** JSON.parse that keeps integers beyond 2^53 in `value`/`valueTwo` exact (as strings). */
export function parseProfileText(text: string, file: string): unknown {
  const safe = text.replace(/("value(?:Two)?"\s*:\s*)(\d{16,})/g, '$1"$2"');
  try {
    return JSON.parse(safe);
  } catch (e) {
    throw new ProfileError(`${file}: not JSON: ${(e as Error).message}`);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function u64(v: unknown, where: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (v === undefined) return 0n;
  throw new ProfileError(`${where}: expected an unsigned 64-bit integer, got ${JSON.stringify(v)}`);
}

/** Arches on an x86_64 host: `architectures`, or Docker's archMap entry for SCMP_ARCH_X86_64. */
function archesOf(p: Record<string, unknown>, where: string): number[] {
  let names: unknown[] = [];
  if (Array.isArray(p.architectures)) names = p.architectures;
  else if (Array.isArray(p.archMap)) {
    const entry = p.archMap.find((m) => isObj(m) && m.architecture === 'SCMP_ARCH_X86_64');
    if (isObj(entry)) names = [entry.architecture, ...(Array.isArray(entry.subArchitectures) ? entry.subArchitectures : [])];
  } else if (Array.isArray(p.arches)) names = p.arches;
  return names.flatMap((n) => {
    if (typeof n !== 'string') throw new ProfileError(`${where}: architecture names must be strings`);
    const v = SCMP_ARCH[n];
    return v === undefined ? [] : [v];
  });
}

/** Docker's includes/excludes: keep a rule only if all included caps are held and no excluded one is. */
function kept(rule: Record<string, unknown>, caps: ReadonlySet<string>): boolean {
  const inc = isObj(rule.includes) && Array.isArray(rule.includes.caps) ? (rule.includes.caps as string[]) : [];
  const exc = isObj(rule.excludes) && Array.isArray(rule.excludes.caps) ? (rule.excludes.caps as string[]) : [];
  return inc.every((c) => caps.has(c)) && !exc.some((c) => caps.has(c));
}

/**
 * Translates one OCI/Docker profile into the libseccomp calls runc makes on an x86_64 host.
 * @example translateProfile(JSON.parse(text), { caps: new Set(['CAP_AUDIT_WRITE']) }, 'docker.json')
 */
export function translateProfile(profile: unknown, ctx: { caps: ReadonlySet<string>; exact?: boolean }, where = 'profile'): CompilePlan {
  if (!isObj(profile)) throw new ProfileError(`${where}: expected an object`);
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet, `${where}.defaultAction`);
  const arches = archesOf(profile, where);
  const syscalls = profile.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw new ProfileError(`${where}.syscalls: expected a list`);
  const rules: CompilePlan['rules'] = [];
  const origin: string[] = [];
  const skipped: string[] = [];
  const split: string[] = [];
  syscalls.forEach((s, i) => {
    const w = `${where}.syscalls[${i}]`;
    if (!isObj(s)) throw new ProfileError(`${w}: expected an object`);
    if (!Array.isArray(s.names) || s.names.length === 0 || !s.names.every((n) => typeof n === 'string')) {
      throw new ProfileError(`${w}.names: expected a non-empty list of syscall names`);
    }
    if (!kept(s, ctx.caps)) {
      skipped.push(`${w} (${(s.names as string[]).join(', ')}): dropped by includes/excludes for this capability set`);
      return;
    }
    const action = actionValue(s.action, s.errnoRet, `${w}.action`);
    if (action === defaultAction) {
      skipped.push(`${w} (${(s.names as string[]).join(', ')}): action equals the default action (runc skips it)`);
      return;
    }
    const args = s.args ?? [];
    if (!Array.isArray(args)) throw new ProfileError(`${w}.args: expected a list`);
    const conds = args.map((a, j) => {
      const aw = `${w}.args[${j}]`;
      if (!isObj(a)) throw new ProfileError(`${aw}: expected an object`);
      const op = SCMP_CMP[String(a.op)];
      if (op === undefined) throw new ProfileError(`${aw}.op: unknown comparison ${JSON.stringify(a.op)}`);
      const index = Number(a.index);
      if (!Number.isInteger(index) || index < 0 || index > 5) throw new ProfileError(`${aw}.index: expected 0..5`);
      return { arg: index, op, a: u64(a.value, `${aw}.value`), b: u64(a.valueTwo, `${aw}.valueTwo`) };
    });
    // runc: a repeated argument index splits the conditions into one rule each (an OR).
    const indices = conds.map((c) => c.arg);
    const repeated = new Set(indices).size !== indices.length;
    const groups = repeated ? conds.map((c) => [c]) : [conds];
    if (repeated) split.push(`${w} (${(s.names as string[]).join(', ')}): ${conds.length} conditions on a repeated argument index are split by runc into ${conds.length} rules, which match when any one holds (an OR, not the AND the profile wrote)`);
    const exact = s.exact === true || ctx.exact === true;
    for (const name of s.names as string[]) {
      for (const g of groups) {
        rules.push({ name, action, conds: g, ...(exact ? { exact: true } : {}) });
        origin.push(`${w} ${name}`);
      }
    }
  });
  const bad = profile.badArchAction === undefined ? {} : { badArchAction: actionValue(profile.badArchAction, undefined, `${where}.badArchAction`) };
  return { defaultAction, ...bad, arches, ...(rules.length > 32 ? { optimize: 2 } : {}), rules, origin, skipped, ...(split.length > 0 ? { split } : {}) };
}

/** A shipped preset: what it models, and the filters it installs (oldest first). */
export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly i386: string;
  readonly highBits: string;
  readonly plans: readonly CompilePlan[];
}

/** The folder of shipped presets (source tree and compiled dist/ layouts alike). */
export function presetDir(): string {
  for (const d of [path.join(__dirname, 'presets'), path.join(__dirname, '..', '..', 'oracle', 'presets')]) {
    if (fs.existsSync(d)) return d;
  }
  throw new Error('the presets folder is missing');
}

/** Names of the shipped presets. */
export function presetNames(): string[] {
  return fs.readdirSync(presetDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** Parses a preset or profile file: `profile` (OCI/Docker) or `filters` (libseccomp calls). */
export function presetFromJson(data: unknown, where: string, caps?: ReadonlySet<string>): Preset {
  if (!isObj(data)) throw new ProfileError(`${where}: expected an object`);
  const capSet = caps ?? new Set(Array.isArray(data.capabilities) ? (data.capabilities as string[]) : []);
  let plans: CompilePlan[];
  if (isObj(data.profile)) plans = [translateProfile(data.profile, { caps: capSet }, `${where}.profile`)];
  else if (Array.isArray(data.filters)) plans = data.filters.map((f, i) => translateProfile(f, { caps: capSet }, `${where}.filters[${i}]`));
  else if ('defaultAction' in data) plans = [translateProfile(data, { caps: capSet }, where)];
  else throw new ProfileError(`${where}: expected "profile", "filters" or an OCI linux.seccomp object`);
  const text = (k: string): string => (typeof data[k] === 'string' ? (data[k] as string) : '');
  return { name: text('name') || path.basename(where, '.json'), description: text('description'), source: text('source'), i386: text('i386'), highBits: text('highBits'), plans };
}

/** Loads a shipped preset by name; throws ProfileError naming the known ones. */
export function loadPreset(name: string): Preset {
  const file = path.join(presetDir(), `${name}.json`);
  if (!/^[a-z0-9.-]+$/.test(name) || !fs.existsSync(file)) {
    throw new ProfileError(`unknown preset ${JSON.stringify(name)} (known: ${presetNames().join(', ')})`);
  }
  return presetFromJson(parseProfileText(fs.readFileSync(file, 'utf8'), file), file);
}

/** A preset's programs as libseccomp exported them, cached with the version that made them. */
export interface CompiledPreset {
  readonly name: string;
  readonly libseccomp: string;
  readonly filters: ReadonlyArray<{ readonly rcs: readonly number[]; readonly program: ReadonlyArray<readonly [number, number, number, number]> }>;
}

/** The cache file of a preset's compiled programs. */
export function compiledPresetFile(name: string): string {
  return path.join(presetDir(), 'compiled', `${name}.json`);
}

/**
 * The filters a preset installs, as the model evaluates them, from the cache written by
 * scripts/compile-presets.ts (a test checks the cache against a live libseccomp compile).
 */
export function presetFilters(name: string): Array<{ prog: Array<[number, number, number, number]>; label: string }> {
  loadPreset(name);
  const file = compiledPresetFile(name);
  if (!fs.existsSync(file)) throw new ProfileError(`preset ${name} has no compiled program (run scripts/compile-presets.ts)`);
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as CompiledPreset;
  return c.filters.map((f, i) => ({ prog: f.program.map((x) => [x[0], x[1], x[2], x[3]] as [number, number, number, number]), label: `${name}${c.filters.length > 1 ? ` #${i}` : ''} (libseccomp ${c.libseccomp})` }));
}
