// `sockspec repro`: a standalone C reproducer for a finding; with --kernel-image, the reproducer
// compiled and run in a QEMU guest of that kernel, its exit code passed on (0 the kernel did what
// the finding expected, 1 it did not, 2 its setup failed; 4 when it was killed by a signal).
// Sources: engine/repro.ts.

import type { Command } from 'commander';
import { reproCommand, reproInGuest } from '../../engine/repro';
import { ContractError } from '../../contract';
import { EXIT, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('repro')
    .description('write a standalone C reproducer for a finding: repro FINDINGS.jsonl[:N] [-o file.c]; with --kernel-image, run it in QEMU on that kernel (exit 0 as expected, 1 not, 2 setup failed)')
    .argument('<finding>', 'a findings.jsonl file, optionally :N for its N-th line (default: the first one about a single call)')
    .option('-o, --output <file>', 'write the C source here instead of stdout')
    .option('--kernel-image <image>', 'compile the reproducer (cc -static) and run it in QEMU on this bzImage/vmlinuz, or a fetched name (debian-6.1, debian-6.12)')
    .option('--modules <dir>', "with --kernel-image: the image's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --kernel-image: preload (default), autoload or none')
    .action(async (spec: string, o: { output?: string; kernelImage?: string; modules?: string; moduleMode?: string }) => {
      if (o.kernelImage === undefined) {
        for (const [flag, v] of [['--modules', o.modules], ['--module-mode', o.moduleMode]] as const) {
          if (v !== undefined) throw new ContractError(flag, 'only with --kernel-image');
        }
        io.out(reproCommand(spec, o.output));
        return;
      }
      if (o.output !== undefined) throw new ContractError('--output', 'not with --kernel-image (the reproducer is run, not written)');
      const r = await reproInGuest(spec, o.kernelImage, o.modules, o.moduleMode, (line) => io.err(`${line}\n`));
      io.out(`${r.output}\n`);
      const how = r.signal !== 0 ? `killed by signal ${r.signal}` : r.status === 0 ? 'the kernel did what the finding expected'
        : r.status === 1 ? 'the kernel did not do what the finding expected' : r.status === 2 ? 'the reproducer could not set up the environment' : `exit ${r.status}`;
      io.err(`sockspec repro: ${r.what} on ${o.kernelImage}: ${how}\n`);
      io.setCode(r.signal !== 0 ? EXIT.incomplete : r.status);
    });
}
