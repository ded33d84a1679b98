// The policies `sockspec audit` reads, as the filters the kernel would run: a shipped preset (its
// compiled programs, or recompiled for other capabilities), an OCI/Docker/Podman seccomp profile
// (translated as runc does, oracle/oci.ts, and compiled by the system's libseccomp in the
// executor), a libseccomp C file (its calls read by oracle/seccomp-c.ts, then compiled the same
// way) and a raw classic-BPF program (JSON `[[code, jt, jf, k], …]`, `{"bpf": …}` or a stack
// `{"filters": [{"bpf": …}, …]}`; the binary `struct sock_filter` array `seccomp_export_bpf`
// writes; or C initialiser lines `{ 0x20, 0, 0, 0x00000004 },`). Compiling also yields findings
// about the rules: refused by libseccomp, skipped by runc, or without effect on any socket() call.
// Sources: docs/seccomp.md §3, §4, §7, §11 and §12.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError, parseBpf } from '../../contract';
import { errnoName, type SeccompFilter } from '../../model';
import type { BpfInsn } from '../../model/seccomp';
import type { CompileResult } from '../../oracle/codec';
import {
  loadPreset, parseProfileText, presetDir, presetFilters, presetFromJson, presetNames, ProfileError, type CompilePlan,
} from '../../oracle/oci';
import { parseSeccompC, seccompCOutcome, type SeccompCPlan } from '../../oracle/seccomp-c';
import { policyVerdicts, type AuditFinding } from './audit';
import { auditSpace } from './space';

/** Compiles one plan with the system's libseccomp (the executor's COMPILE). */
export type PolicyCompiler = (plan: CompilePlan) => Promise<CompileResult>;

/** A policy read and compiled. */
export interface LoadedPolicy {
  /** What the user named: a preset name or a file. */
  readonly name: string;
  readonly format: 'preset' | 'oci' | 'c' | 'bpf';
  /** The filters the kernel runs, oldest first. */
  readonly filters: SeccompFilter[];
  /** The capabilities the policy declares it was made for (presets), if any. */
  readonly caps?: readonly string[];
  /** The plans compiled and what libseccomp made of each rule (OCI and C policies). */
  readonly plans?: ReadonlyArray<{ readonly plan: CompilePlan; readonly result: CompileResult }>;
  /** Rules refused or skipped. */
  readonly findings: AuditFinding[];
  /** Where the filters came from, for the report (libseccomp version, preset cache). */
  readonly notes: string[];
}

export interface LoadOptions {
  /** The capability set for Docker's includes/excludes; absent: the policy's own, else every capability. */
  readonly caps?: ReadonlySet<string>;
  /** The executor's libseccomp; absent where it cannot run (then OCI and C policies are refused). */
  readonly compiler?: () => Promise<{ compile: PolicyCompiler; version: string }>;
}

/** The syscalls a socket() audit depends on. */
export const SOCKET_SYSCALLS: ReadonlySet<string> = new Set(['socket', 'socketcall']);

function bad(where: string, detail: string): never {
  throw new ContractError(where, detail, 'bad-file');
}

/** A raw program in one of the three text/binary shapes; errors name the file (and line or instruction). */
export function parseRawBpf(data: Buffer, file: string): SeccompFilter[] {
  const text = data.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      bad(file, `not JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(v)) return [{ prog: parseBpf(v, file), label: path.basename(file) }];
    const o = v as Record<string, unknown>;
    if (o !== null && typeof o === 'object' && 'bpf' in o) return [{ prog: parseBpf(o.bpf, `${file}: bpf`), label: path.basename(file) }];
    if (o !== null && typeof o === 'object' && Array.isArray(o.filters)) {
      return o.filters.map((f, i) => {
        const fo = f as Record<string, unknown>;
        if (fo === null || typeof fo !== 'object' || !('bpf' in fo)) bad(`${file}: filters[${i}]`, 'expected {"bpf": [[code, jt, jf, k], …]}');
        return { prog: parseBpf(fo.bpf, `${file}: filters[${i}].bpf`), label: `${path.basename(file)} #${i}` };
      });
    }
    bad(file, 'expected a BPF program: [[code, jt, jf, k], …], {"bpf": […]} or {"filters": [{"bpf": […]}, …]}');
  }
  if (/\{\s*(0x[0-9a-fA-F]+|\d+)\s*,/.test(text) && !text.includes('\0')) return [{ prog: parseCInitialiser(text, file), label: path.basename(file) }];
  if (data.length === 0 || data.length % 8 !== 0) bad(file, `not a BPF program: ${data.length} bytes is not a whole number of 8-byte struct sock_filter, and not JSON or C initialiser lines`);
  const prog: BpfInsn[] = [];
  for (let o = 0; o < data.length; o += 8) prog.push([data.readUInt16LE(o), data.readUInt8(o + 2), data.readUInt8(o + 3), data.readUInt32LE(o + 4)]);
  return [{ prog: parseBpf(prog, file), label: path.basename(file) }];
}

/** `{ code, jt, jf, k },` lines (what `scmp_bpf_disasm`-style dumps and hand-written tables hold). */
function parseCInitialiser(text: string, file: string): BpfInsn[] {
  const prog: Array<[number, number, number, number]> = [];
  text.split('\n').forEach((line, i) => {
    const body = line.replace(/\/\/.*$/, '').replace(/\/\*.*?\*\//g, '');
    const re = /\{([^{}]*)\}/g;
    for (let m = re.exec(body); m !== null; m = re.exec(body)) {
      const parts = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
      const nums = parts.map((s) => (/^(0x[0-9a-fA-F]+|\d+)[uUlL]*$/.test(s) ? Number(s.replace(/[uUlL]+$/, '')) : NaN));
      if (nums.length !== 4 || nums.some((n) => !Number.isFinite(n))) bad(`${file}:${i + 1}`, `expected { code, jt, jf, k } with numbers, got {${m[1]}}`);
      prog.push(nums as [number, number, number, number]);
    }
  });
  return parseBpf(prog, file);
}

/** What libseccomp and runc made of an OCI profile's rules: refused, skipped and split socket rules, as findings. */
function ociRuleFindings(plan: CompilePlan, result: CompileResult, where: string): AuditFinding[] {
  const out: AuditFinding[] = [];
  result.rcs.forEach((r, i) => {
    if (r.rc < 0) {
      const err = errnoName(-r.rc) || `-${-r.rc}`;
      out.push({ kind: 'rule-refused', title: `${plan.origin[i]}: libseccomp refused the rule (${err}); runc would refuse to start the container. The audit shows the filter without it.` });
    }
  });
  // A rule runc drops because its action is the default is silently lost; one that includes or
  // excludes drop is what the profile asks for (a note, not a finding).
  for (const s of plan.skipped) if (/\b(socket|socketcall)\b/.test(s) && !/includes\/excludes/.test(s)) out.push({ kind: 'rule-skipped', title: s });
  for (const s of plan.split ?? []) if (/\b(socket|socketcall)\b/.test(s)) out.push({ kind: 'rule-split', title: s });
  if (!result.initOk) bad(where, 'libseccomp refused seccomp_init with this default action');
  if (result.exportRc < 0) bad(where, `libseccomp could not export the filter (rc ${result.exportRc})`);
  return out;
}

async function compilePlans(plans: readonly CompilePlan[], format: 'oci' | 'c', where: string, opts: LoadOptions): Promise<{ filters: SeccompFilter[]; compiled: Array<{ plan: CompilePlan; result: CompileResult }>; findings: AuditFinding[]; version: string; notes: string[] }> {
  if (opts.compiler === undefined) {
    throw new ContractError(where, `${format === 'oci' ? 'an OCI profile' : 'a libseccomp C file'} is compiled by the system's libseccomp in the executor, which cannot run here (it needs root and npm run build)`, 'unavailable');
  }
  const { compile, version } = await opts.compiler();
  const filters: SeccompFilter[] = [];
  const compiled: Array<{ plan: CompilePlan; result: CompileResult }> = [];
  const findings: AuditFinding[] = [];
  for (const [i, plan] of plans.entries()) {
    // Refused rules are left out and the rest compiled again, as a C program that ignores the
    // rc would load it (a runc container would not start; the finding says so).
    let result = await compile(plan);
    const refused = result.rcs.map((r, k) => (r.rc < 0 ? k : -1)).filter((k) => k >= 0);
    if (format === 'c' && 'lines' in plan) {
      const c = seccompCOutcome(plan as SeccompCPlan, result.rcs);
      for (const f of c.failures) findings.push({ kind: 'rule-refused', title: `${f.text}; a program that ignores the rc loads the filter without it` });
      if (!c.reachesLoad) findings.push({ kind: 'not-loaded', title: `the program never installs this filter: ${c.why}. The audit shows the filter libseccomp built without the refused rules (what the program would load if it went on).` });
      if (!result.initOk) bad(where, 'libseccomp refused seccomp_init with this default action');
      if (result.exportRc < 0) bad(where, `libseccomp could not export the filter (rc ${result.exportRc})`);
    } else {
      findings.push(...ociRuleFindings(plan, result, where));
    }
    if (refused.length > 0) {
      const kept = { ...plan, rules: plan.rules.filter((_, k) => !refused.includes(k)), origin: plan.origin.filter((_, k) => !refused.includes(k)) };
      result = await compile(kept);
      compiled.push({ plan: kept, result });
    } else {
      compiled.push({ plan, result });
    }
    filters.push({ prog: result.program, label: `${path.basename(where)}${plans.length > 1 ? ` #${i}` : ''} (libseccomp ${version})` });
  }
  findings.push(...await voidRules(filters, compiled, compile));
  const notes = plans.flatMap((p) => p.skipped.filter((x) => /\b(socket|socketcall)\b/.test(x) && /includes\/excludes/.test(x)));
  return { filters, compiled, findings, version, notes };
}

/**
 * Rules on socket or socketcall that change nothing: the plan compiled without the rule gives every
 * call of the audit's space the same verdict (a conditional ALLOW made void by an unconditional
 * rule on the same syscall, a rule merged into another, a rule equal to what happens anyway).
 */
async function voidRules(filters: readonly SeccompFilter[], compiled: ReadonlyArray<{ plan: CompilePlan; result: CompileResult }>, compile: PolicyCompiler): Promise<AuditFinding[]> {
  const space = auditSpace();
  const full = policyVerdicts(filters, space);
  const out: AuditFinding[] = [];
  for (const [j, { plan }] of compiled.entries()) {
    for (const [i, rule] of plan.rules.entries()) {
      if (!SOCKET_SYSCALLS.has(rule.name)) continue;
      const without = await compile({ ...plan, rules: plan.rules.filter((_, k) => k !== i), origin: plan.origin.filter((_, k) => k !== i) });
      if (!without.initOk || without.exportRc < 0 || without.rcs.some((r) => r.rc < 0)) continue;
      const v = policyVerdicts(filters.map((f, k) => (k === j ? { ...f, prog: without.program } : f)), space);
      if (v.every((x, k) => x === full[k])) {
        const other = plan.rules.find((r, k) => k !== i && r.name === rule.name && r.conds.length === 0);
        const why = other !== undefined && rule.conds.length > 0 ? `; the unconditional rule on ${rule.name} (${plan.origin[plan.rules.indexOf(other)]}) decides every call instead` : '';
        out.push({ kind: 'rule-void', title: `${plan.origin[i]}: has no effect: without it the filter gives every socket() call of the audit the same verdict${why}` });
      }
    }
  }
  return out;
}

/**
 * Reads a policy: a preset name, or a file (`.json` OCI profile or BPF, `.c` libseccomp calls or
 * BPF initialisers, anything else a binary BPF program). Errors are ContractErrors naming the
 * file (and line): bad-file for a broken policy, unavailable when it needs the executor.
 */
export async function loadPolicy(spec: string, opts: LoadOptions = {}): Promise<LoadedPolicy> {
  if (!fs.existsSync(spec)) {
    if (!presetNames().includes(spec)) {
      throw new ContractError(spec, `no such file, and no preset by that name (presets: ${presetNames().join(', ')})`, 'unknown-name');
    }
    const preset = loadPreset(spec);
    const declared = presetCaps(spec);
    if (opts.caps === undefined) {
      return { name: spec, format: 'preset', filters: presetFilters(spec), ...(declared ? { caps: declared } : {}), findings: [], notes: [`preset ${spec}: ${preset.description}`, 'filters from the preset\'s compiled programs (oracle/presets/compiled/)'] };
    }
    const plans = presetFromJson(parseProfileText(fs.readFileSync(presetFile(spec), 'utf8'), spec), spec, opts.caps).plans;
    const c = await compilePlans(plans, 'oci', spec, opts);
    return { name: spec, format: 'preset', filters: c.filters, plans: c.compiled, findings: c.findings, notes: [`preset ${spec}: ${preset.description}`, `compiled for the given capabilities by libseccomp ${c.version}`, ...c.notes] };
  }
  let data: Buffer;
  try {
    data = fs.readFileSync(spec);
  } catch (e) {
    throw new ContractError(spec, `cannot read: ${(e as Error).message}`, 'bad-file');
  }
  const text = data.toString('utf8');
  try {
    if (spec.endsWith('.c') && /\bseccomp_init\s*\(/.test(text)) {
      const plan = parseSeccompC(text, spec);
      const c = await compilePlans([plan], 'c', spec, opts);
      return { name: spec, format: 'c', filters: c.filters, plans: c.compiled, findings: c.findings, notes: [`libseccomp calls read from ${spec}, built by libseccomp ${c.version}`, ...c.notes] };
    }
    if (spec.endsWith('.json')) {
      const v = parseProfileText(text, spec) as Record<string, unknown>;
      const isBpf = Array.isArray(v) || (v !== null && typeof v === 'object' && ('bpf' in v || (Array.isArray(v.filters) && v.filters.every((f) => f !== null && typeof f === 'object' && 'bpf' in (f as object)))));
      if (!isBpf) {
        const preset = presetFromJson(v, spec, opts.caps ?? capsOf(v));
        const c = await compilePlans(preset.plans, 'oci', spec, opts);
        return { name: spec, format: 'oci', filters: c.filters, plans: c.compiled, findings: c.findings, notes: [`OCI profile ${spec}, translated as runc does and compiled by libseccomp ${c.version}`, ...c.notes] };
      }
    }
  } catch (e) {
    if (e instanceof ProfileError) {
      // `FILE:LINE: detail` (C) keeps its line in the field; `FILE.field: detail` (JSON) its field.
      const rest = e.message.startsWith(spec) ? e.message.slice(spec.length) : `: ${e.message}`;
      const m = /^(:\d+)?[:.\s]+([\s\S]*)$/.exec(rest);
      throw new ContractError(`${spec}${m?.[1] ?? ''}`, m?.[2] ?? rest, 'bad-file');
    }
    throw e;
  }
  return { name: spec, format: 'bpf', filters: parseRawBpf(data, spec), findings: [], notes: [`raw BPF program ${spec}`] };
}

function capsOf(v: Record<string, unknown>): ReadonlySet<string> | undefined {
  return Array.isArray(v.capabilities) ? new Set(v.capabilities as string[]) : undefined;
}

function presetFile(name: string): string {
  return path.join(presetDir(), `${name}.json`);
}

function presetCaps(name: string): string[] | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(presetFile(name), 'utf8')) as Record<string, unknown>;
    return Array.isArray(v.capabilities) ? (v.capabilities as string[]) : undefined;
  } catch {
    return undefined;
  }
}
