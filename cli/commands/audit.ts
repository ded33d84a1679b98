// `sockspec audit POLICY…`: what a seccomp policy lets socket() do, family by family and door by
// door, with its bypasses and surprises, optional claims (`--expect`) and, with two or more
// policies, what changed from each to the next. Exit 0: nothing found (with claims: every claim
// holds); 1: a finding, a failed claim, a change between policies or a model/kernel mismatch (with
// claims, only failed claims and mismatches count); 4: no mismatch but some kernel results lost;
// 2: bad input. Sources: engine/audit/, report/audit.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ContractError } from '../../contract';
import { ALL_CAPS, capMask, capNames, defaultEnv, type Call, type Env } from '../../model';
import { presetNames } from '../../oracle/oci';
import { observeOnHost } from '../../oracle/observe';
import { runAudit, type AuditResult } from '../../engine/audit/audit';
import { checkClaims, parseClaim, parseClaimFile, type Claim, type ClaimResult } from '../../engine/audit/claims';
import { compareAudits, type AuditComparison } from '../../engine/audit/compare';
import { loadPolicy, type LoadedPolicy } from '../../engine/audit/policy';
import { DOORS, parseDoors, type Door } from '../../engine/audit/space';
import { writeFileAtomic } from '../../engine/io';
import { vmOracleFor } from '../../engine/vm';
import { auditHtml, formatAudit, formatClaims, formatComparison } from '../../report/audit';
import { EXIT, EXIT_UNOBSERVED, listArg, profileFor, requireHost, sharedOracle, sharedOracleIfAvailable, vmFlagsOnlyWithVm, type Io } from '../shared';

interface AuditFlags {
  kernel?: string;
  caps?: string;
  doors?: string;
  oracle?: string;
  kernelImage?: string;
  modules?: string;
  moduleMode?: string;
  killedPerCell?: string;
  expect: string[];
  expectFile?: string;
  out?: string;
  json: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command, io: Io): void {
  program
    .command('audit')
    .description('what a seccomp policy lets socket() do: family × entry path, bypasses and surprises with C reproducers, claims; with two or more policies, what changed')
    .argument('<policy...>', `a preset name (${presetNames().join(', ')}), an OCI/Docker/Podman seccomp .json, a libseccomp .c file, or a raw BPF program (.json [[code,jt,jf,k],…], C initialiser lines, or the binary seccomp_export_bpf writes)`)
    .option('--kernel <profile>', 'kernel profile the model decides with (default: host where the executor runs, else reference-6.18; with --oracle vm the image\'s)')
    .option('--caps <list>', 'the process\'s effective capabilities, comma-separated, or all / none (default: the preset\'s own, else all); also resolves Docker\'s includes/excludes')
    .option('--doors <list>', `entry paths to audit (default all: ${DOORS.join(',')})`)
    .option('--oracle <oracle>', 'host: confirm every call on the running kernel; vm: on --kernel-image in QEMU; none (default)')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows')
    .option('--modules <dir>', "with --oracle vm: the image's lib/modules/RELEASE")
    .option('--module-mode <mode>', 'with --oracle vm: preload (default), autoload or none')
    .option('--killed-per-cell <n>', 'with --oracle: run at most n of each cell\'s calls the policy kills, spread over the cell (each costs a new child; default 128), or all')
    .option('--expect <claim>', "a claim the policy must keep: 'deny AF_NETLINK,AF_PACKET' or 'allow AF_INET,AF_UNIX', optionally ending 'on DOOR,…' (repeatable); exit 1 with counter-examples when one fails", collect, [])
    .option('--expect-file <file>', 'claims, one per line (# comments)')
    .option('--out <dir>', 'write audit.json, report.html and each finding\'s C reproducer (repro-N.c) here')
    .option('--json', 'print one JSON object', false)
    .action(async (policies: string[], o: AuditFlags) => run(policies, o, io));
}

function capsFrom(text: string | undefined): { mask: number; set?: ReadonlySet<string>; label: string } | undefined {
  if (text === undefined) return undefined;
  if (text === 'all') return { mask: ALL_CAPS, set: new Set(capNames(ALL_CAPS)), label: 'all' };
  if (text === 'none') return { mask: 0, set: new Set(), label: 'none' };
  try {
    const names = listArg(text);
    return { mask: capMask(names), set: new Set(names), label: names.join(',') };
  } catch (e) {
    throw new ContractError('--caps', (e as Error).message, 'unknown-name');
  }
}

async function run(specs: string[], o: AuditFlags, io: Io): Promise<void> {
  const oracle = o.oracle ?? 'none';
  if (oracle !== 'host' && oracle !== 'vm' && oracle !== 'none') throw new ContractError('--oracle', 'expected host, vm or none');
  vmFlagsOnlyWithVm(o, oracle === 'vm');
  let killedPerCell: number | undefined;
  if (o.killedPerCell !== undefined) {
    if (oracle === 'none') throw new ContractError('--killed-per-cell', 'only with --oracle host or vm');
    killedPerCell = o.killedPerCell === 'all' ? Infinity : Number(o.killedPerCell);
    if (!(killedPerCell === Infinity || (Number.isInteger(killedPerCell) && killedPerCell >= 1))) throw new ContractError('--killed-per-cell', `expected a whole number of at least 1, or all, got ${JSON.stringify(o.killedPerCell)}`);
  }
  let doors: Door[] = [...DOORS];
  if (o.doors !== undefined) {
    try {
      doors = parseDoors(o.doors);
    } catch (e) {
      throw new ContractError('--doors', (e as Error).message, 'unknown-name');
    }
    if (doors.length === 0) throw new ContractError('--doors', 'expected at least one door');
  }
  const claims: Claim[] = o.expect.map((c, i) => parseClaim(c, `--expect #${i + 1}`));
  if (o.expectFile !== undefined) {
    if (!fs.existsSync(o.expectFile)) throw new ContractError('--expect-file', `no such file: ${o.expectFile}`, 'bad-file');
    claims.push(...parseClaimFile(fs.readFileSync(o.expectFile, 'utf8'), o.expectFile));
  }
  const caps = capsFrom(o.caps);
  if (oracle === 'host') requireHost('--oracle');
  const vm = oracle === 'vm' ? vmOracleFor(o.kernelImage, o.modules, o.moduleMode, undefined, (line) => io.err(`${line}\n`)) : undefined;
  if (vm !== undefined && o.kernel === undefined && vm.defaultProfile === undefined) throw new ContractError('--kernel', 'required with --oracle vm for this image');
  const profile = await profileFor(o.kernel ?? vm?.defaultProfile);
  const started = sharedOracleIfAvailable();
  const compiler = started === undefined ? undefined : async () => {
    const h = await started;
    if (h.info.seccompVersion === null) throw new ContractError('libseccomp', 'libseccomp.so.2 is not installed, so OCI profiles and C files cannot be compiled', 'unavailable');
    return { compile: (plan: Parameters<typeof h.compile>[0]) => h.compile(plan), version: h.info.seccompVersion };
  };
  // Every policy is read before anything runs: a broken one is refused at once.
  const loaded: LoadedPolicy[] = [];
  for (const spec of specs) loaded.push(await loadPolicy(spec, { ...(caps?.set ? { caps: caps.set } : {}), ...(compiler ? { compiler } : {}) }));
  const kernel = oracle === 'host' ? async (env: Env, calls: readonly Call[]) => observeOnHost(await sharedOracle(), env, calls)
    : vm !== undefined ? (env: Env, calls: readonly Call[]) => vm.oracle.observe(env, calls) : undefined;
  const progress = process.stderr.isTTY && !o.json ? (stage: string, done: number, total: number) => { process.stderr.write(`\r  ${stage} ${done}/${total} calls`); } : undefined;
  const audits: Array<{ policy: LoadedPolicy; result: AuditResult; points: Awaited<ReturnType<typeof runAudit>>['points']; claims: ClaimResult[] }> = [];
  for (const p of loaded) {
    const capsHere = caps ?? (p.caps ? { mask: capMask([...p.caps]), label: p.caps.join(',') } : { mask: ALL_CAPS, label: 'all' });
    const base = defaultEnv({ profile });
    const env: Env = { ...base, creds: { ...base.creds, caps: capsHere.mask } };
    const { result, points } = await runAudit({
      env, filters: p.filters, policy: p.name, caps: capsHere.label, doors, policyFindings: p.findings,
      ...(kernel ? { kernel, oracleName: vm ? `vm ${o.kernelImage ?? ''}`.trim() : 'host' } : {}),
      ...(vm ? { batchSize: 100000 } : {}),
      ...(killedPerCell !== undefined ? { killedPerCell } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    if (progress) process.stderr.write('\n');
    audits.push({ policy: p, result, points, claims: checkClaims(claims, points) });
  }
  const comparisons: AuditComparison[] = [];
  for (let i = 1; i < audits.length; i++) {
    const a = audits[i - 1];
    const b = audits[i];
    comparisons.push(compareAudits({ name: a.policy.name, points: a.points, cells: a.result.cells }, { name: b.policy.name, points: b.points, cells: b.result.cells }));
  }
  const json = { audits: audits.map((a) => ({ ...a.result, format: a.policy.format, notes: a.policy.notes, claims: a.claims })), comparisons };
  if (o.out !== undefined) {
    // The folder holds this run's reproducers only: an earlier run's are removed first.
    if (fs.existsSync(o.out)) for (const f of fs.readdirSync(o.out)) if (/^repro-\d+\.c$/.test(f)) fs.rmSync(path.join(o.out, f));
    writeFileAtomic(path.join(o.out, 'audit.json'), `${JSON.stringify(json, null, 1)}\n`);
    const last = audits[audits.length - 1];
    writeFileAtomic(path.join(o.out, 'report.html'), auditHtml(last.result, last.policy.notes, last.claims, comparisons[comparisons.length - 1]));
    let k = 0;
    for (const a of audits) for (const f of a.result.findings) if (f.repro !== undefined) writeFileAtomic(path.join(o.out, `repro-${++k}.c`), f.repro);
  }
  if (o.json) {
    io.out(`${JSON.stringify(json)}\n`);
  } else {
    const lines: string[] = [];
    for (const [i, a] of audits.entries()) {
      if (i > 0) lines.push('');
      lines.push(...formatAudit(a.result, a.policy.notes));
    }
    for (const c of comparisons) lines.push('', ...formatComparison(c));
    const judged = audits.flatMap((a) => a.claims.map((c) => ({ ...c, where: audits.length > 1 ? `${c.where}, ${a.policy.name}` : c.where })));
    if (judged.length > 0) lines.push('', ...formatClaims(judged));
    if (o.out !== undefined) lines.push('', `written: ${path.join(o.out, 'audit.json')}, ${path.join(o.out, 'report.html')}`);
    io.out(`${lines.join('\n')}\n`);
  }
  const mismatches = audits.some((a) => (a.result.confirmation?.mismatchCount ?? 0) > 0);
  const lost = audits.some((a) => (a.result.confirmation?.unobserved ?? 0) > 0);
  const failed = audits.some((a) => a.claims.some((c) => !c.holds));
  const found = claims.length > 0 ? failed : audits.some((a) => a.result.findings.length > 0) || comparisons.some((c) => c.changedPoints > 0);
  io.setCode(mismatches || found ? EXIT.findings : lost ? EXIT_UNOBSERVED : EXIT.ok);
}
