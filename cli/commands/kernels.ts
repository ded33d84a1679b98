// `sockspec kernels`: kernel images for the VM oracle: fetch Debian kernels, list the cached ones,
// probe an image's profile in QEMU. A kernel that cannot be fetched (no such package, apt failing)
// is exit 2 naming it; the kernels before it stay fetched. Sources: oracle/kernels.ts, oracle/probe.ts.

import * as path from 'node:path';
import type { Command } from 'commander';
import { ContractError } from '../../contract';
import { KERNEL_NAMES, cachedKernel, cachedKernels, fetchKernel, kernelDescription } from '../../oracle/kernels';
import { probeProfile } from '../../oracle/probe';
import { writeFileAtomic } from '../../engine/io';
import { vmOracleFor } from '../../engine/vm';
import type { Io } from '../shared';

export function register(program: Command, io: Io): void {
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
        const k = fetchKernel(n, (line) => { if (!o.json) io.err(`${line}\n`); });
        io.out(o.json ? `${JSON.stringify(k)}\n` : `${k.name.padEnd(14)} ${k.release.padEnd(30)} ${k.vmlinuz}\n`);
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
      const vm = vmOracleFor(image, o.modules, o.moduleMode, undefined, (line) => io.err(`${line}\n`));
      const release = o.release ?? (KERNEL_NAMES.includes(image) ? cachedKernel(image)?.release : /vmlinuz-(.+)$/.exec(path.basename(image))?.[1]);
      if (release === undefined) throw new ContractError('--release', `give the kernel release of ${image}`);
      const name = o.name ?? `${path.basename(image).replace(/^vmlinuz-/, '')}-probed`;
      const p = await probeProfile((env, calls) => vm.oracle.run(env, calls), release, name, `probed from ${image} (Linux ${release}) in QEMU, modules ${o.moduleMode ?? 'preload'}`, 'in a QEMU guest', true);
      writeFileAtomic(o.out, `${JSON.stringify(p, null, 2)}\n`);
      io.out(`${name}: ${p.families.length} families, written to ${o.out}\n`);
    });
  kernels
    .command('list')
    .description('the cached kernels, and the names fetch knows')
    .action(() => {
      for (const k of cachedKernels()) io.out(`${k.name.padEnd(14)} ${k.release.padEnd(30)} ${k.vmlinuz}\n`);
      for (const n of KERNEL_NAMES) if (cachedKernel(n) === undefined) io.out(`${n.padEnd(14)} (not fetched) ${kernelDescription(n)}\n`);
    });
}
