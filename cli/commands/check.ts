// `sockspec check`: the bounded space against the model, and against a kernel (the host or an
// image in QEMU). Exit 0: every point compared and agreed; 1: mismatches; 4: no mismatch, but the
// oracle lost some points' results (its executor died twice on their batch); 2: bad input, or a
// host oracle this machine cannot run (refused before any work). Sources: engine/check.ts,
// report/text.ts, docs/architecture.md "The host oracle survives its executor".

import * as os from 'node:os';
import type { Command } from 'commander';
import type { Call, Env } from '../../model';
import { ContractError } from '../../contract';
import { VM_CLASSES } from '../../generators/space';
import { observeOnHost } from '../../oracle/observe';
import { runCheck } from '../../engine/check';
import { presetClasses } from '../../engine/classes';
import { vmOracleFor } from '../../engine/vm';
import { formatCheck } from '../../report/text';
import { EXIT_UNOBSERVED, listArg, profileFor, requireHost, sharedOracle, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('check')
    .description('exhaustive bounded model check over every environment class; exit 1 on mismatches, 4 when none but the oracle lost some results (points unobserved)')
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
      if (o.oracle === 'host') requireHost('--oracle');
      const vm = o.oracle === 'vm' ? vmOracleFor(o.kernelImage, o.modules, o.moduleMode, o.consoleDir, (line) => io.err(`${line}\n`)) : undefined;
      if (vm !== undefined && o.kernel === undefined && vm.defaultProfile === undefined) throw new ContractError('--kernel', 'required with --oracle vm for this image: the profile the kernel is checked against');
      const profile = await profileFor(o.kernel ?? vm?.defaultProfile);
      const kernel = o.oracle === 'host' ? async (env: Env, calls: readonly Call[]) => observeOnHost(await sharedOracle(), env, calls)
        : vm !== undefined ? (env: Env, calls: readonly Call[]) => vm.oracle.observe(env, calls) : undefined;
      const progress = process.stderr.isTTY && !o.json ? (cls: string, done: number) => { process.stderr.write(`\r  ${cls} ${done} points`); } : undefined;
      let summary = await runCheck({
        profile, classes: o.classes ? listArg(o.classes) : undefined, extraClasses: vm ? [...presetClasses(), ...VM_CLASSES] : presetClasses(),
        ...(kernel ? { kernel, oracleName: vm ? 'vm' as const : 'host' as const } : {}), ...(progress ? { onProgress: progress } : {}), now: Date.now,
        // In a VM every class is one boot: the whole class is one batch.
        ...(vm ? { batchSize: Number.MAX_SAFE_INTEGER, parallel: Math.max(1, os.cpus().length) } : {}),
      });
      if (progress) process.stderr.write('\n');
      if (vm !== undefined) summary = { ...summary, kernelAlerts: [...vm.oracle.alerts] };
      io.out(o.json ? `${JSON.stringify(summary)}\n` : `${formatCheck(summary).join('\n')}\n`);
      io.setCode(summary.mismatchCount > 0 ? 1 : summary.unobserved > 0 ? EXIT_UNOBSERVED : 0);
    });
}
