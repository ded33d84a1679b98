// `sockspec check`: the bounded space against the model, and against a kernel (the host or an
// image in QEMU). Exit 0: every point compared and agreed; 1: mismatches; 4: no mismatch, but the
// oracle lost some points' results (its executor died twice on their batch); 2: bad input, or a
// host oracle this machine cannot run (refused before any work). With an oracle, the bounded set
// of fd-table sequences runs after the classes (engine/sequences.ts; `--sequences N`), and its
// mismatches count as mismatches too. `--atomicity` runs the
// CLOEXEC/NONBLOCK race instead (engine/atomicity.ts): exit 0 when the flags held and the
// non-atomic idiom was caught, 1 when a socket made with the flags leaked or was seen without them,
// 4 when the check could not show it can fail or a half did not run whole. Sources:
// engine/check.ts, engine/atomicity.ts, report/text.ts, docs/architecture.md "The host oracle
// survives its executor", docs/kernel.md §4.1.

import * as os from 'node:os';
import type { Command } from 'commander';
import type { Call, Env, Step } from '../../model';
import { ContractError } from '../../contract';
import { RACE_MAX_MS } from '../../oracle/protocol';
import { VM_CLASSES } from '../../generators/space';
import { observeOnHost } from '../../oracle/observe';
import { runAtomicity, type AtomicityResult } from '../../engine/atomicity';
import { runCheck } from '../../engine/check';
import { SEQUENCE_LAYOUTS, VM_SEQUENCE_LAYOUTS } from '../../engine/sequences';
import { presetClasses } from '../../engine/classes';
import { startGuest, vmOracleFor } from '../../engine/vm';
import { formatAtomicity, formatCheck } from '../../report/text';
import { EXIT, EXIT_UNOBSERVED, listArg, profileFor, requireHost, sharedOracle, vmFlagsOnlyWithVm, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('check')
    .description('exhaustive bounded model check over every environment class; exit 1 on mismatches, 4 when none but the oracle lost some results (points unobserved)')
    .option('--kernel <profile>', 'kernel profile: host (probed; the default where the executor runs) or a shipped one')
    .option('--oracle <oracle>', 'host: diff every point against the running kernel; vm: against --kernel-image booted in QEMU; none: model only (default none; host with --atomicity)')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12)')
    .option('--modules <dir>', "with --oracle vm: the image's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --oracle vm: preload (every socket-family module, then no loading; default), autoload or none')
    .option('--console-dir <dir>', "with --oracle vm: keep each boot's kernel console here (boot-N.log)")
    .option('--classes <ids>', 'comma-separated environment classes (default: all)')
    .option('--atomicity', 'instead of the bounded space: the SOCK_CLOEXEC/SOCK_NONBLOCK race on the kernel (--oracle host or vm), then the non-atomic idiom that must fail it; exit 1 on a leak, 4 when the check could not show it can fail', false)
    .option('--duration <D>', 'with --atomicity: how long each half races, as 500ms, 5s or 2m (default 10s, at most 10m)')
    .option('--sequences <n>', 'with an oracle: every fd-table sequence up to n steps (socket, socketpair, close, dup2) from four layouts, the table compared after each step; 0 skips them (default 4 on the host, 3 in a VM; with --classes only when given)')
    .option('--json', 'print one summary object', false)
    .action(async (o: CheckFlags) => {
      if (o.atomicity) return atomicity(o, io);
      if (o.duration !== undefined) throw new ContractError('--duration', 'only with --atomicity');
      const seqLength = o.sequences === undefined ? undefined : Number(o.sequences);
      if (seqLength !== undefined && (!Number.isInteger(seqLength) || seqLength < 0 || seqLength > 6)) throw new ContractError('--sequences', `expected a length from 0 to 6, got ${JSON.stringify(o.sequences)}`);
      if (seqLength !== undefined && (o.oracle ?? 'none') === 'none') throw new ContractError('--sequences', 'only with --oracle host or vm: the model alone agrees with itself');
      o.oracle ??= 'none';
      if (o.oracle !== 'host' && o.oracle !== 'none' && o.oracle !== 'vm') throw new ContractError('--oracle', 'expected host, vm or none');
      if (o.consoleDir !== undefined && o.oracle !== 'vm') throw new ContractError('--console-dir', 'only with --oracle vm');
      if (o.oracle === 'host') requireHost('--oracle');
      const vm = o.oracle === 'vm' ? vmOracleFor(o.kernelImage, o.modules, o.moduleMode, o.consoleDir, (line) => io.err(`${line}\n`)) : undefined;
      if (vm !== undefined && o.kernel === undefined && vm.defaultProfile === undefined) throw new ContractError('--kernel', 'required with --oracle vm for this image: the profile the kernel is checked against');
      const profile = await profileFor(o.kernel ?? vm?.defaultProfile);
      const kernel = o.oracle === 'host' ? async (env: Env, calls: readonly Call[]) => observeOnHost(await sharedOracle(), env, calls)
        : vm !== undefined ? (env: Env, calls: readonly Call[]) => vm.oracle.observe(env, calls) : undefined;
      const progress = process.stderr.isTTY && !o.json ? (cls: string, done: number) => { process.stderr.write(`\r  ${cls} ${done} points`); } : undefined;
      const length = seqLength ?? (o.classes !== undefined ? 0 : vm !== undefined ? 3 : 4);
      const sequences = length === 0 || kernel === undefined ? undefined : vm !== undefined
        ? {
          kernel: async (env: Env, steps: readonly Step[]) => (await vm.oracle.sequences([{ env, steps }]))[0],
          kernelMany: (jobs: ReadonlyArray<{ env: Env; steps: readonly Step[] }>) => vm.oracle.sequences(jobs), maxLength: length,
          layouts: [...SEQUENCE_LAYOUTS, ...VM_SEQUENCE_LAYOUTS],
        }
        : { kernel: async (env: Env, steps: readonly Step[]) => (await sharedOracle()).sequence(env, steps), maxLength: length };
      let summary = await runCheck({
        ...(sequences !== undefined ? { sequences: { ...sequences, ...(progress ? { onProgress: (l: string, n: number) => progress(l, n) } : {}) } } : {}),
        profile, classes: o.classes ? listArg(o.classes) : undefined, extraClasses: vm ? [...presetClasses(), ...VM_CLASSES] : presetClasses(),
        ...(kernel ? { kernel, oracleName: vm ? 'vm' as const : 'host' as const } : {}), ...(progress ? { onProgress: progress } : {}), now: Date.now,
        // In a VM every class is one boot: the whole class is one batch.
        ...(vm ? { batchSize: Number.MAX_SAFE_INTEGER, parallel: Math.max(1, os.cpus().length) } : {}),
      });
      if (progress) process.stderr.write('\n');
      if (vm !== undefined) summary = { ...summary, kernelAlerts: [...vm.oracle.alerts] };
      io.out(o.json ? `${JSON.stringify(summary)}\n` : `${formatCheck(summary).join('\n')}\n`);
      const seqBad = summary.sequences?.mismatchCount ?? 0;
      io.setCode(summary.mismatchCount > 0 || seqBad > 0 ? 1 : summary.unobserved > 0 || (summary.sequences?.unobserved ?? 0) > 0 ? EXIT_UNOBSERVED : 0);
    });
}

/** The flags of `check`. */
interface CheckFlags {
  kernel?: string;
  oracle?: string;
  kernelImage?: string;
  modules?: string;
  moduleMode?: string;
  consoleDir?: string;
  classes?: string;
  atomicity: boolean;
  duration?: string;
  sequences?: string;
  json: boolean;
}

/** The default length of each half of the atomicity race. */
const ATOMICITY_DEFAULT_MS = 10000;

/**
 * `--duration`: `500ms`, `5s`, `2m` or plain seconds, in whole milliseconds from 1 ms to the
 * executor's limit (10 minutes); anything else is a ContractError naming the flag.
 * @example parseRaceDuration('1.5s') // 1500
 */
export function parseRaceDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (m === null) throw new ContractError('--duration', `expected a duration like 500ms, 5s or 2m, got ${JSON.stringify(v)}`);
  const unit = m[2] ?? 's';
  const ms = Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60000);
  if (!Number.isInteger(ms) || ms < 1 || ms > RACE_MAX_MS) throw new ContractError('--duration', `expected whole milliseconds from 1ms to ${RACE_MAX_MS / 60000}m, got ${JSON.stringify(v)}`);
  return ms;
}

/** `check --atomicity`: both halves of the race on the host or a guest, printed, and the exit code. */
async function atomicity(o: CheckFlags, io: Io): Promise<void> {
  const durationMs = o.duration === undefined ? ATOMICITY_DEFAULT_MS : parseRaceDuration(o.duration);
  const oracle = o.oracle ?? 'host';
  if (oracle !== 'host' && oracle !== 'vm') throw new ContractError('--oracle', 'the atomicity race runs on a kernel: expected host or vm');
  if (o.classes !== undefined) throw new ContractError('--classes', 'not with --atomicity (it runs no bounded space)');
  if (o.kernel !== undefined) throw new ContractError('--kernel', 'not with --atomicity (the race judges the kernel, not a profile)');
  if (o.consoleDir !== undefined && oracle !== 'vm') throw new ContractError('--console-dir', 'only with --oracle vm');
  vmFlagsOnlyWithVm(o, oracle === 'vm');
  let result: AtomicityResult;
  if (oracle === 'host') {
    requireHost('--oracle');
    const host = await sharedOracle();
    result = await runAtomicity({ race: (mode, ms, creators) => host.race(mode, ms, creators), durationMs, kernel: `host (${os.release()})` });
  } else {
    const g = await startGuest(o.kernelImage, o.modules, o.moduleMode, o.consoleDir, (line) => io.err(`${line}\n`));
    try {
      result = await runAtomicity({ race: (mode, ms, creators) => g.guest.race(mode, ms, creators), durationMs, kernel: `${o.kernelImage} in QEMU` });
    } finally {
      await g.guest.close();
    }
  }
  io.out(o.json ? `${JSON.stringify(result)}\n` : `${formatAtomicity(result).join('\n')}\n`);
  const v = result.verdict;
  if (!v.atomic) {
    io.setCode(EXIT.findings);
  } else if (!v.canFail || !v.complete) {
    io.err(`sockspec: --atomicity: ${!v.complete ? 'a half of the race did not run whole' : 'the non-atomic idiom showed no leak and no unflagged fd'}, so the check could not show it can fail: no clean pass (exit ${EXIT_UNOBSERVED})\n`);
    io.setCode(EXIT_UNOBSERVED);
  } else {
    io.setCode(EXIT.ok);
  }
}
