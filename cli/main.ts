#!/usr/bin/env -S node --min-semi-space-size=16 --max-semi-space-size=16
// The sockspec command line: fuzz (the main job: campaigns), eval (JSON Lines contract), explain
// (one call's decision trace), check (the bounded model check), repro, report, merge, bench,
// clauses and profiles (what the model knows).
// Bad input exits 2 with a message naming what and where; findings exit 1. The shebang fixes V8's
// young generation at 16 MiB: left adaptive, it doubles during long campaigns and RSS jumps by
// ~17 MiB with the heap in use unchanged, which hides real growth from memory checks.

import { Command, CommanderError, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALL_CLAUSES, capMask, defaultEnv, fdTable, FILE_MAX_DEFAULT, NR_OPEN_SYSCTL_DEFAULT, PROFILES, type Call, type Env, type KernelProfile, type Namespaces } from '../model';
import { executorAvailable, HostOracle } from '../oracle/host';
import { loadPreset, presetFilters, presetFromJson, presetNames, ProfileError } from '../oracle/oci';
import { observeOnHost } from '../oracle/observe';
import { probeHostProfile, probeProfile } from '../oracle/probe';
import { ContractError, parseEnv, registerProfile, resolveProfile } from './contract';
import { KERNEL_NAMES, KernelFetchError, cachedKernel, cachedKernels, fetchKernel, kernelDescription } from '../oracle/kernels';
import { VmOracle, type ModuleMode } from '../oracle/vm/runner';
import { classGroups, corpusGroups, diffClasses, formatDiff, perGroupSide, runDiff, tupleGroups, type DiffSide } from './diff';
import { formatCheck, runCheck } from './check';
import { writeFileAtomic } from './io';
import { ENV_CLASSES, VM_CLASSES } from '../generators/space';
import { runEval } from './eval';
import { reproCommand } from './repro-command';
import { writeMerged } from './merge';
import { campaignInputs } from './corpus';
import { writeReport } from './report';
import { exportSpec, lintSpec } from './spec';
import { specCheck, specCheckMarkdown } from './spec-check';
import { explain, parseCallText } from './explain';
import { fuzzCommand, type FuzzFlags } from './fuzz';

const DEFAULT_PROFILE = 'reference-6.18';

function intArg(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
    }
    return n;
  };
}

function listArg(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function buildProgram(out: (s: string) => void, err: (s: string) => void, setCode: (c: number) => void): Command {
  const program = new Command();
  program
    .name('sockspec')
    .description('Property-based fuzzer and model checker for the Linux socket(2) contract')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  program
    .command('eval')
    .description('evaluate JSON Lines requests from stdin; one result line per input line (model, kernel, or both)')
    .option('--kernel <profile>', `kernel profile: host (probed; the default where the executor runs), ${PROFILES.map((p) => p.name).join(', ')}`)
    .option('--oracle <oracle>', 'host: the real kernel answers instead of the model; none: the model', 'none')
    .option('--compare', 'both answer; each line gets the kernel result and a "mismatch" field', false)
    .action(async (o: { kernel?: string; oracle: string; compare: boolean }) => {
      if (o.oracle !== 'host' && o.oracle !== 'none') throw new ContractError('--oracle', 'expected host or none');
      const mode = o.compare ? 'compare' : o.oracle === 'host' ? 'host' : 'model';
      const profile = await profileFor(o.kernel, mode !== 'model');
      setCode(await runEval(process.stdin, process.stdout, process.stderr, {
        profile, mode, oracle: sharedOracle, presets: presetFilters, compileOci,
      }));
    });

  program
    .command('explain')
    .description("explain one call, e.g. sockspec explain 'socket(AF_PACKET, SOCK_STREAM, 0)' --caps none")
    .argument('<call>', 'socket(FAMILY, TYPE, PROTOCOL) with names or numbers')
    .option('--kernel <profile>', 'kernel profile (default: host where the executor runs)')
    .option('--env <json>', 'a whole environment as in the eval contract')
    .option('--caps <list>', 'effective capabilities, comma-separated, or "none" / "all"')
    .option('--uid <n>', 'uid', intArg('--uid'))
    .option('--gid <n>', 'gid', intArg('--gid'))
    .option('--groups <list>', 'supplementary gids, comma-separated')
    .option('--namespaces <ns>', 'init | user+net | user | net')
    .option('--rlimit-nofile <n>', 'RLIMIT_NOFILE', intArg('--rlimit-nofile'))
    .option('--open-fds <list>', 'open fds, comma-separated (default 0,1,2)')
    .option('--ping-range <lo,hi>', 'net.ipv4.ping_group_range')
    .option('--file-max <n>', 'fs.file-max', intArg('--file-max'))
    .option('--nr-open <n>', 'fs.nr_open', intArg('--nr-open', 1))
    .option('--mptcp <0|1>', 'net.mptcp.enabled', intArg('--mptcp', 0, 1))
    .option('--entry <entry>', 'x86_64 | i386 | i386-socketcall')
    .action(async (text: string, o: Record<string, string | number | undefined>) => {
      const profile = await profileFor(o.kernel === undefined ? undefined : String(o.kernel), false);
      let env: Env = o.env === undefined ? defaultEnv({ profile }) : parseEnv(parseJson(String(o.env), '--env'), profile);
      const creds = { ...env.creds };
      if (o.caps !== undefined) {
        const v = String(o.caps);
        try {
          creds.caps = v === 'all' ? defaultEnv().creds.caps : v === 'none' ? 0 : capMask(listArg(v));
        } catch (e) {
          throw new ContractError('--caps', (e as Error).message);
        }
      }
      if (o.uid !== undefined) creds.uid = Number(o.uid);
      if (o.gid !== undefined) creds.gid = Number(o.gid);
      if (o.groups !== undefined) creds.groups = listArg(String(o.groups)).map(intArg('--groups'));
      if (o.namespaces !== undefined) {
        if (!['init', 'user+net', 'user', 'net'].includes(String(o.namespaces))) throw new ContractError('--namespaces', 'expected init, user+net, user or net');
        creds.namespaces = String(o.namespaces) as Namespaces;
      }
      env = { ...env, creds };
      if (o.rlimitNofile !== undefined) env = { ...env, rlimitNofile: Number(o.rlimitNofile) };
      if (o.openFds !== undefined) env = { ...env, fds: fdTable(listArg(String(o.openFds)).map(intArg('--open-fds'))) };
      if (o.pingRange !== undefined) {
        const r = listArg(String(o.pingRange)).map(intArg('--ping-range'));
        if (r.length !== 2) throw new ContractError('--ping-range', 'expected LO,HI');
        env = { ...env, pingGroupRange: [r[0], r[1]] };
      }
      if (o.fileMax !== undefined) env = { ...env, fileMax: Number(o.fileMax) };
      if (o.nrOpen !== undefined) env = { ...env, nrOpen: Number(o.nrOpen) };
      if (o.mptcp !== undefined) env = { ...env, mptcpEnabled: Number(o.mptcp) === 1 };
      let call = parseCallText(text);
      if (o.entry !== undefined) {
        if (!['x86_64', 'i386', 'i386-socketcall'].includes(String(o.entry))) throw new ContractError('--entry', 'expected x86_64, i386 or i386-socketcall');
        call = { ...call, entry: String(o.entry) as 'x86_64' | 'i386' | 'i386-socketcall' };
      }
      out(`${explain(call, env).join('\n')}\n`);
    });

  program
    .command('fuzz')
    .description('the main job: every property, a coverage-guided exploration and the model ≡ kernel differential; exit 0 no findings, 1 findings, 2 bad input')
    .option('--seed <n>', 'campaign seed (default: from the clock, printed)', intArg('--seed', 0, 0x7fffffff))
    .option('--runs <n>', 'runs per property', intArg('--runs', 1), 10000)
    .option('--time <duration>', 'stop after this long (e.g. 90s, 10m, 2h); rounds in flight finish')
    .option('--oracle <oracle>', 'host: add the differential against the running kernel (default where the executor runs); none: model only')
    .option('--kernel <profile>', 'kernel profile (default: host where the executor runs)')
    .option('--properties <ids>', 'comma-separated property ids (default: all)')
    .option('--shard <i/n>', 'run the i-th of n deterministic shares of the rounds', '1/1')
    .option('--out <dir>', 'write findings.jsonl, summary.json, junit.xml and progress.json here', 'sockspec-out')
    .option('--resume <dir>', 'carry on a stopped campaign from its output folder (same seed and options)')
    .option('--replay-seed <n>', 'replay one finding: its round seed, with --properties ID and --path')
    .option('--path <path>', 'with --replay-seed: the counterexample path of the finding')
    .option('--workers <n>', 'child processes, each with its own executor (default: one per core)', intArg('--workers', 1, 256))
    .option('--json', 'print the summary as one JSON object', false)
    .action(async (o: FuzzFlags) => {
      setCode(await fuzzCommand(o, out, err));
    });

  program
    .command('repro')
    .description('write a standalone C reproducer for a finding: repro FINDINGS.jsonl[:N] [-o file.c]')
    .argument('<finding>', 'a findings.jsonl file, optionally :N for its N-th line (default: the first one about a single call)')
    .option('-o, --output <file>', 'write the C source here instead of stdout')
    .action((spec: string, o: { output?: string }) => {
      out(reproCommand(spec, o.output));
    });

  program
    .command('report')
    .description('write one self-contained HTML report of a campaign folder: outcome matrix, findings, coverage')
    .argument('<dir>', 'a campaign output folder')
    .option('-o, --output <file>', 'where to write the page (default DIR/report.html)')
    .action((dir: string, o: { output?: string }) => {
      out(`wrote ${writeReport(dir, o.output)}\n`);
    });

  program
    .command('merge')
    .description('combine shard outputs into one summary, findings de-duplicated: merge DIR… --out DIR')
    .argument('<dirs...>', 'campaign output folders (shards of one seed)')
    .option('--out <dir>', 'where the merged outputs go', 'sockspec-merged')
    .option('--json', 'print the merged summary as one JSON object', false)
    .action((dirs: string[], o: { out: string; json: boolean }) => {
      const s = writeMerged(dirs, o.out);
      out(o.json ? `${JSON.stringify(s)}\n` : `merged ${dirs.length} folders: ${s.runs} runs, ${s.findings} findings (${s.uniqueFindings} distinct), clause coverage ${s.clausesCovered}/${s.clausesTotal}; written to ${o.out}\n`);
      setCode(s.findings === 0 ? 0 : 1);
    });

  program
    .command('check')
    .description('exhaustive bounded model check over every environment class; exit 1 on mismatches')
    .option('--kernel <profile>', 'kernel profile: host (probed; the default where the executor runs) or a shipped one')
    .option('--oracle <oracle>', 'host: diff every point against the running kernel; vm: against --kernel-image booted in QEMU; none: model only', 'none')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12)')
    .option('--modules <dir>', "with --oracle vm: the image's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --oracle vm: preload (every socket-family module, then no loading; default), autoload or none')
    .option('--console-dir <dir>', "with --oracle vm: keep each boot's kernel console here (boot-N.log)")
    .option('--classes <ids>', 'comma-separated environment classes (default: all)')
    .option('--json', 'print one summary object', false)
    .action(async (o: { kernel?: string; oracle: string; kernelImage?: string; modules?: string; moduleMode?: string; consoleDir?: string; classes?: string; json: boolean }) => {
      if (o.oracle !== 'host' && o.oracle !== 'none' && o.oracle !== 'vm') throw new ContractError('--oracle', 'expected host, vm or none');
      if (o.consoleDir !== undefined && o.oracle !== 'vm') throw new ContractError('--console-dir', 'only with --oracle vm');
      const vm = o.oracle === 'vm' ? vmFor(o.kernelImage, o.modules, o.moduleMode, o.consoleDir) : undefined;
      if (vm !== undefined && o.kernel === undefined && vm.defaultProfile === undefined) throw new ContractError('--kernel', 'required with --oracle vm for this image: the profile the kernel is checked against');
      const profile = await profileFor(o.kernel ?? vm?.defaultProfile, o.oracle === 'host');
      let summary;
      try {
        const kernel = o.oracle === 'host' ? async (env: Env, calls: readonly Call[]) => observeOnHost(await sharedOracle(), env, calls)
          : vm !== undefined ? (env: Env, calls: readonly Call[]) => vm.oracle.observe(env, calls) : undefined;
        const progress = process.stderr.isTTY && !o.json ? (cls: string, done: number) => { process.stderr.write(`\r  ${cls} ${done} points`); } : undefined;
        summary = await runCheck({
          profile, classes: o.classes ? listArg(o.classes) : undefined, extraClasses: vm ? [...presetClasses(), ...VM_CLASSES] : presetClasses(),
          ...(kernel ? { kernel, oracleName: vm ? 'vm' as const : 'host' as const } : {}), ...(progress ? { onProgress: progress } : {}), now: Date.now,
          // In a VM every class is one boot: the whole class is one batch.
          ...(vm ? { batchSize: Number.MAX_SAFE_INTEGER, parallel: Math.max(1, os.cpus().length) } : {}),
        });
        if (progress) process.stderr.write('\n');
        if (vm !== undefined) summary = { ...summary, kernelAlerts: [...vm.oracle.alerts] };
      } catch (e) {
        if (/^unknown environment class/.test((e as Error).message)) throw new ContractError('--classes', (e as Error).message);
        throw e;
      }
      out(o.json ? `${JSON.stringify(summary)}\n` : `${formatCheck(summary).join('\n')}\n`);
      setCode(summary.mismatchCount > 0 ? 1 : 0);
    });

  program
    .command('diff')
    .description('run one corpus on two kernels (the host, or images booted in QEMU) and list every call whose outcome differs, by model clause; exit 1 when any does')
    .requiredOption('--b <kernel>', 'kernel B: a bzImage/vmlinuz path, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12)')
    .option('--a <kernel>', 'kernel A: host (the running kernel), an image path, or a fetched name', 'host')
    .option('--a-modules <dir>', "A's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--b-modules <dir>', "B's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'for kernels in QEMU: preload (default), autoload or none')
    .option('--kernel <profile>', "the profile whose clauses group the differences and whose environments the classes build (default: A's if it has one, else reference-6.18)")
    .option('--classes <ids>', 'environment classes of the bounded space to run (default: the nine kernel classes; all: every class, with the global-knob ones when both kernels are in QEMU)')
    .option('--tuples <file>', 'run these calls instead: JSON Lines eval requests, or FAMILY TYPE PROTOCOL lines')
    .option('--corpus <dir>', "run a campaign's corpus instead (sockspec fuzz --out DIR): the first input to decide each clause in each class, and the findings' calls")
    .option('--out <dir>', "write diff.json here (sockspec report shows it), and each VM boot's kernel console in console-a/ and console-b/")
    .option('--json', 'print one summary object', false)
    .action(async (o: { a: string; b: string; aModules?: string; bModules?: string; moduleMode?: string; kernel?: string; classes?: string; tuples?: string; corpus?: string; out?: string; json: boolean }) => {
      const inputs = [o.classes && '--classes', o.tuples && '--tuples', o.corpus && '--corpus'].filter((x) => x);
      if (inputs.length > 1) throw new ContractError(inputs[1] as string, `give one corpus: ${inputs.join(' or ')}`);
      if (o.corpus !== undefined) campaignInputs(o.corpus);
      const side = (which: string, k: string, modules: string | undefined): DiffSide & { profile?: string } => {
        if (k === 'host') {
          if (modules !== undefined) throw new ContractError(`--${which}-modules`, 'the host runs its own modules');
          if (!executorAvailable()) throw new ContractError(`--${which}`, 'host needs the executor (root and npm run build)');
          return perGroupSide('host', async (env, calls) => {
            // The host never changes a global knob: such an environment runs only in QEMU.
            if (env.fileMax !== FILE_MAX_DEFAULT || env.nrOpen !== NR_OPEN_SYSCTL_DEFAULT) return calls.map(() => ({ unobserved: 'the host never changes fs.file-max or fs.nr_open: diff this environment with both kernels in QEMU' }));
            return observeOnHost(await sharedOracle(), env, calls);
          });
        }
        let vm;
        try {
          vm = vmFor(k, modules, o.moduleMode, o.out === undefined ? undefined : path.join(o.out, `console-${which}`));
        } catch (e) {
          if (e instanceof ContractError) throw new ContractError(`--${which}`, e.message.replace(/^--[a-z-]+: /, ''));
          throw e;
        }
        const oracle = vm.oracle;
        return { name: k, observeGroups: (groups) => oracle.observeGroups(groups), alerts: () => oracle.alerts, ...(vm.defaultProfile ? { profile: vm.defaultProfile } : {}) };
      };
      const a = side('a', o.a, o.aModules);
      const b = side('b', o.b, o.bModules);
      const profile = await profileFor(o.kernel ?? a.profile ?? DEFAULT_PROFILE, o.a === 'host' && o.kernel === undefined);
      const groups = o.tuples !== undefined ? tupleGroups(o.tuples, profile, ENV_CLASSES[0].env(profile))
        : o.corpus !== undefined ? corpusGroups(o.corpus, profile, ENV_CLASSES[0].env(profile))
        : classGroups(diffClasses(o.classes ? listArg(o.classes) : undefined, presetClasses(), VM_CLASSES, o.a !== 'host' && o.b !== 'host'), profile);
      const total = groups.reduce((n, g) => n + g.calls.length, 0);
      const progress = process.stderr.isTTY && !o.json;
      const summary = await runDiff(a, b, groups, profile, Date.now, {
        onChunk: (done, all, points) => { if (progress) process.stderr.write(`\r  ${done}/${all} environments, ${points}/${total} points`); },
      });
      if (progress) process.stderr.write('\n');
      if (o.out !== undefined) {
        fs.mkdirSync(o.out, { recursive: true });
        writeFileAtomic(path.join(o.out, 'diff.json'), `${JSON.stringify(summary, null, 2)}\n`);
      }
      out(o.json ? `${JSON.stringify(summary)}\n` : `${formatDiff(summary).join('\n')}\n`);
      setCode(summary.differences.length > 0 ? 1 : 0);
    });

  program
    .command('bench')
    .description('run the benchmarks (benny suites, the check, the executor against a bare C loop, the VM oracle against the host one, memory) and write bench/results/')
    .option('--quick', 'shorter measurements, results marked -quick, README left alone', false)
    .option('--only <sections>', 'comma-separated sections: suites, check, oracle, vm (QEMU against the host oracle), memory; README left alone')
    .action(async (o: { quick: boolean; only?: string }) => {
      const { BENCH_SECTIONS, runBench, writeBenchResults } = await import('../bench/run');
      const only = o.only === undefined ? undefined : listArg(o.only).map((x) => {
        if (!(BENCH_SECTIONS as readonly string[]).includes(x)) throw new ContractError('--only', `unknown section ${x} (known: ${BENCH_SECTIONS.join(', ')})`);
        return x as (typeof BENCH_SECTIONS)[number];
      });
      const file = writeBenchResults(await runBench({ quick: o.quick, ...(only ? { only } : {}) }), o.quick, only);
      out(`results in ${file}\n`);
    });

  const spec = program.command('spec').description('KAPI specs: export one as JSON, or list its internal inconsistencies');
  spec
    .command('export')
    .description('parse the KAPI spec in FILE (a C file, a patch, or an e-mail carrying one) and print it as JSON')
    .argument('<file>', 'the file holding DEFINE_KERNEL_API_SPEC … KAPI_END_SPEC')
    .action((file: string) => {
      out(exportSpec(file));
    });
  spec
    .command('check')
    .description('every contradiction between the spec in FILE, the model and the kernel; exit 1 when there are any')
    .argument('<file>', 'the file holding the spec')
    .option('--oracle <oracle>', 'host: replay each counter-example on the running kernel (default where the executor runs); none')
    .option('--kernel <profile>', 'kernel profile (default: host where the executor runs)')
    .option('--out <dir>', 'write spec-check.md, spec-check.json and the reproducers here')
    .option('--json', 'print one summary object', false)
    .action(async (file: string, o: { oracle?: string; kernel?: string; out?: string; json: boolean }) => {
      if (o.oracle !== undefined && o.oracle !== 'host' && o.oracle !== 'none') throw new ContractError('--oracle', 'expected host or none');
      const useOracle = o.oracle === 'host' || (o.oracle === undefined && executorAvailable());
      const profile = await profileFor(o.kernel ?? (useOracle ? 'host' : DEFAULT_PROFILE), useOracle);
      const s = await specCheck(file, profile, useOracle ? await sharedOracle() : undefined, o.out, Date.now);
      if (o.json) out(`${JSON.stringify(s)}\n`);
      else out(`${specCheckMarkdown(s)}\n`);
      setCode(s.contradictions.length > 0 ? 1 : 0);
    });
  spec
    .command('lint')
    .description('list the internal inconsistencies of the spec in FILE; exit 1 when there are any')
    .argument('<file>', 'the file holding the spec')
    .option('--json', 'one JSON object', false)
    .action((file: string, o: { json: boolean }) => {
      const r = lintSpec(file, o.json);
      out(r.text);
      setCode(r.code);
    });

  program
    .command('clauses')
    .description('list every clause of the model with its errno and kernel citation')
    .option('--json', 'one JSON object a line', false)
    .action((o: { json: boolean }) => {
      if (o.json) {
        for (const c of ALL_CLAUSES) out(`${JSON.stringify(c)}\n`);
        return;
      }
      const groups = [...new Set(ALL_CLAUSES.map((c) => c.group))];
      for (const g of groups) {
        const cs = ALL_CLAUSES.filter((c) => c.group === g);
        out(`${g} (${cs.length})\n`);
        for (const c of cs) out(`  ${c.id.padEnd(24)} ${(c.errno ?? '-').padEnd(16)} ${c.title}  [${c.cite}]\n`);
      }
      out(`${ALL_CLAUSES.length} clauses\n`);
    });

  program
    .command('profiles')
    .description('list the kernel profiles')
    .action(() => {
      for (const p of PROFILES) out(`${p.name.padEnd(22)} ${p.description}\n`);
    });

  const kernels = program.command('kernels').description('kernel images for the VM oracle: fetch Debian kernels, list the cached ones');
  kernels
    .command('fetch')
    .description(`download and unpack kernels (${KERNEL_NAMES.join(', ')} or a linux-image-… package) into the cache; nothing is installed`)
    .argument('<name...>', 'kernels to fetch')
    .option('--json', 'one JSON line per kernel', false)
    .action((names: string[], o: { json: boolean }) => {
      for (const n of names) {
        if (kernelDescription(n) === undefined && !/^linux-image-/.test(n)) throw new ContractError(n, `unknown kernel: expected ${KERNEL_NAMES.join(', ')} or a linux-image-… package name`);
      }
      for (const n of names) {
        try {
          const k = fetchKernel(n, (line) => { if (!o.json) err(`${line}\n`); });
          out(o.json ? `${JSON.stringify(k)}\n` : `${k.name.padEnd(14)} ${k.release.padEnd(30)} ${k.vmlinuz}\n`);
        } catch (e) {
          if (!(e instanceof KernelFetchError)) throw e;
          err(`sockspec kernels fetch: ${n}: ${e.message}\n`);
          setCode(1);
        }
      }
    });
  kernels
    .command('probe')
    .description('boot a kernel in QEMU and probe its profile (families, inetsw lists, netlink, vsock, CAN) into a JSON file for --kernel')
    .argument('<image>', 'a bzImage/vmlinuz path, or a fetched name (debian-6.1, debian-6.12)')
    .option('--modules <dir>', "the image's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'preload (default), autoload or none')
    .option('--release <release>', 'its uname -r (default: the fetched kernel\'s, or read off a vmlinuz-RELEASE file name)')
    .option('--name <name>', 'the profile name (default: IMAGE-probed)')
    .requiredOption('--out <file>', 'where to write the profile (JSON)')
    .action(async (image: string, o: { modules?: string; moduleMode?: string; release?: string; name?: string; out: string }) => {
      const vm = vmFor(image, o.modules, o.moduleMode);
      const release = o.release ?? (KERNEL_NAMES.includes(image) ? cachedKernel(image)?.release : /vmlinuz-(.+)$/.exec(path.basename(image))?.[1]);
      if (release === undefined) throw new ContractError('--release', `give the kernel release of ${image}`);
      const name = o.name ?? `${path.basename(image).replace(/^vmlinuz-/, '')}-probed`;
      const p = await probeProfile((env, calls) => vm.oracle.run(env, calls), release, name, `probed from ${image} (Linux ${release}) in QEMU, modules ${o.moduleMode ?? 'preload'}`, 'in a QEMU guest', true);
      writeFileAtomic(o.out, `${JSON.stringify(p, null, 2)}\n`);
      out(`${name}: ${p.families.length} families, written to ${o.out}\n`);
    });
  kernels
    .command('list')
    .description('the cached kernels, and the names fetch knows')
    .action(() => {
      for (const k of cachedKernels()) out(`${k.name.padEnd(14)} ${k.release.padEnd(30)} ${k.vmlinuz}\n`);
      for (const n of KERNEL_NAMES) if (cachedKernel(n) === undefined) out(`${n.padEnd(14)} (not fetched) ${kernelDescription(n)}\n`);
    });

  return program;
}

let oracle: Promise<HostOracle> | undefined;

/** One executor for the whole command, started on first use. */
function sharedOracle(): Promise<HostOracle> {
  oracle ??= HostOracle.start();
  return oracle;
}

/** The VM oracle for --kernel-image/--modules/--module-mode, checked before anything boots. */
function vmFor(image: string | undefined, modules: string | undefined, mode: string | undefined, consoleDir?: string): { oracle: VmOracle; defaultProfile?: string } {
  if (image === undefined) throw new ContractError('--kernel-image', 'required with --oracle vm (a bzImage path, or debian-6.1 / debian-6.12)');
  if (mode !== undefined && !['preload', 'autoload', 'none'].includes(mode)) throw new ContractError('--module-mode', 'expected preload, autoload or none');
  let kernel: { image: string; modules?: string };
  let defaultProfile: string | undefined;
  if (KERNEL_NAMES.includes(image)) {
    let k;
    try {
      k = fetchKernel(image, (line) => process.stderr.write(`${line}\n`));
    } catch (e) {
      if (e instanceof KernelFetchError) throw new ContractError('--kernel-image', e.message);
      throw e;
    }
    kernel = { image: k.vmlinuz, ...(k.modules !== null ? { modules: k.modules } : {}) };
    defaultProfile = PROFILES.some((p) => p.name === `${image}${mode === 'autoload' ? '-autoload' : ''}`) ? `${image}${mode === 'autoload' ? '-autoload' : ''}` : undefined;
  } else {
    if (!fs.existsSync(image) || !fs.statSync(image).isFile()) throw new ContractError('--kernel-image', `${image} is not a file`);
    kernel = { image };
  }
  if (modules !== undefined) {
    if (!fs.existsSync(path.join(modules, 'modules.dep'))) throw new ContractError('--modules', `${modules} has no modules.dep (give lib/modules/RELEASE, indexed with depmod)`);
    kernel = { ...kernel, modules };
  }
  return { oracle: new VmOracle({ kernel, ...(mode !== undefined ? { moduleMode: mode as ModuleMode } : {}), ...(consoleDir !== undefined ? { consoleDir } : {}) }), ...(defaultProfile ? { defaultProfile } : {}) };
}

/** The profile for --kernel: `host` is probed through the executor; it is the default where one runs. */
async function profileFor(name: string | undefined, needOracle: boolean): Promise<KernelProfile> {
  const want = name ?? (executorAvailable() ? 'host' : DEFAULT_PROFILE);
  if (want.endsWith('.json')) {
    const p = loadProfileFile(want);
    registerProfile(p);
    return p;
  }
  if (want !== 'host') return resolveProfile(want);
  if (!executorAvailable()) throw new ContractError('--kernel', 'the host profile is probed by the executor, which needs root and a built executor (npm run build)');
  const p = await probeHostProfile(await sharedOracle());
  registerProfile(p);
  void needOracle;
  return p;
}

/** A kernel profile saved as JSON (by `sockspec kernels probe`); every field is checked, errors name it. */
function loadProfileFile(file: string): KernelProfile {
  if (!fs.existsSync(file)) throw new ContractError('--kernel', `${file} does not exist`);
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ContractError(file, `not JSON: ${(e as Error).message}`);
  }
  const bad = (field: string, what: string): never => { throw new ContractError(`${file}: ${field}`, `expected ${what}`); };
  const nums = (v: unknown): boolean => Array.isArray(v) && v.every((x) => Number.isInteger(x));
  const lists = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, l]) => /^\d+$/.test(k) && nums(l));
  if (typeof p !== 'object' || p === null) bad('(top)', 'one JSON object');
  if (typeof p.name !== 'string' || p.name === '' || p.name === 'host') bad('name', 'a profile name other than host');
  if (typeof p.version !== 'string') bad('version', 'a kernel version string');
  if (!nums(p.families)) bad('families', 'a list of family numbers');
  if (!lists(p.inetsw)) bad('inetsw', 'an object of type → protocol lists');
  if (!lists(p.inet6sw)) bad('inet6sw', 'an object of type → protocol lists');
  if (!nums(p.netlink)) bad('netlink', 'a list of netlink protocols');
  if (typeof p.vsockDgramTransport !== 'boolean') bad('vsockDgramTransport', 'true or false');
  if (typeof p.can !== 'object' || p.can === null) bad('can', 'an object of protocol → type');
  if (!nums(p.bluetooth)) bad('bluetooth', 'a list of protocols');
  if (p.fdtableGrowth !== 'pow2' && p.fdtableGrowth !== 'kib-chunks') bad('fdtableGrowth', 'pow2 or kib-chunks');
  if (typeof p.updateSocketProtocolHook !== 'boolean') bad('updateSocketProtocolHook', 'true or false');
  return { description: `from ${file}`, sources: [file], ...p } as unknown as KernelProfile;
}

/** Compiles an OCI profile with libseccomp in the executor into {"bpf": …} filters. */
async function compileOci(profile: unknown, where: string): Promise<unknown[]> {
  let preset;
  try {
    preset = presetFromJson(profile, where);
  } catch (e) {
    if (e instanceof ProfileError) throw new ContractError(where, e.message);
    throw e;
  }
  if (!executorAvailable()) throw new ContractError(where, 'compiling an OCI profile needs the executor (root, npm run build)');
  const o = await sharedOracle();
  const out: unknown[] = [];
  for (const plan of preset.plans) {
    const r = await o.compile(plan);
    const failed = r.rcs.findIndex((x) => x.rc < 0);
    if (!r.initOk || failed >= 0 || r.exportRc < 0) {
      throw new ContractError(where, `libseccomp refused the profile: ${failed >= 0 ? `${plan.origin[failed]} rc ${r.rcs[failed].rc}` : `export rc ${r.exportRc}`} (runc would not start the container)`);
    }
    out.push({ bpf: r.program, label: `oci (libseccomp ${o.info.seccompVersion})` });
  }
  return out;
}

/** Environment classes for each shipped seccomp preset (root, every capability, the preset's filters). */
function presetClasses() {
  return presetNames().map((name) => ({
    id: `preset-${name}`,
    description: loadPreset(name).description,
    calls: 'seccomp' as const,
    env: (p: KernelProfile) => ({ ...defaultEnv({ profile: p }), seccomp: presetFilters(name) }),
  }));
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ContractError(what, `not JSON: ${(e as Error).message}`);
  }
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const out = (s: string): void => void process.stdout.write(s);
  const err = (s: string): void => void process.stderr.write(s);
  const program = buildProgram(out, err, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof ContractError) {
      err(`sockspec: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    if (oracle !== undefined) await (await oracle.catch(() => undefined))?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`sockspec: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
