// `sockspec eval`: JSON Lines requests on stdin, one result line each (model, kernel, or both);
// exit 2 for a bad line, 1 for a --compare mismatch, 4 when the oracle lost an answer. With
// --oracle host or --compare a machine that cannot run the executor is refused before any line is
// read. `--oracle vm --kernel-image IMG` asks a kernel image booted in QEMU instead (kept up for
// the whole input), with --compare too. Sources: docs/eval-contract.md, engine/eval.ts, engine/vm.ts.

import type { Command } from 'commander';
import { PROFILES, type KernelProfile } from '../../model';
import { ContractError } from '../../contract';
import { runEval } from '../../engine/eval';
import { compileOciProfile } from '../../engine/oci';
import { presetFilters } from '../../oracle/oci';
import type { GuestOracle } from '../../oracle/vm/guest';
import { guestWithProfile, profileFor, requireHost, sharedOracle, sharedOracleIfAvailable, vmFlagsOnlyWithVm, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('eval')
    .description('evaluate JSON Lines requests from stdin; one result line per input line (model, kernel, or both); exit 2 when a line is bad, 1 when --compare finds a mismatch, 4 when the oracle lost an answer')
    .option('--kernel <profile>', `kernel profile: host (probed; the default where the executor runs), ${PROFILES.map((p) => p.name).join(', ')}`)
    .option('--oracle <oracle>', 'host: the running kernel answers instead of the model; vm: --kernel-image booted in QEMU answers; none: the model', 'none')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12)')
    .option('--modules <dir>', "with --oracle vm: the image's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --oracle vm: preload (default), autoload or none')
    .option('--compare', 'both answer (the kernel of --oracle, host by default); each line gets the kernel result and a "mismatch" field; exit 1 when any line mismatches', false)
    .action(async (o: { kernel?: string; oracle: string; compare: boolean; kernelImage?: string; modules?: string; moduleMode?: string }) => {
      if (o.oracle !== 'host' && o.oracle !== 'vm' && o.oracle !== 'none') throw new ContractError('--oracle', 'expected host, vm or none');
      vmFlagsOnlyWithVm(o, o.oracle === 'vm');
      const mode = o.compare ? 'compare' : o.oracle !== 'none' ? 'host' : 'model';
      let guest: GuestOracle | undefined;
      try {
        let profile: KernelProfile;
        if (o.oracle === 'vm') {
          ({ guest, profile } = await guestWithProfile(o, (line) => io.err(`${line}\n`)));
        } else {
          if (mode !== 'model') requireHost(o.compare ? '--compare' : '--oracle');
          profile = await profileFor(o.kernel);
        }
        const vm = guest;
        io.setCode(await runEval(process.stdin, process.stdout, process.stderr, {
          profile, mode, oracle: vm !== undefined ? () => Promise.resolve(vm) : sharedOracle, presets: presetFilters,
          compileOci: (profile: unknown, where: string) => compileOciProfile(sharedOracleIfAvailable, profile, where),
        }));
      } finally {
        await guest?.close();
      }
    });
}
