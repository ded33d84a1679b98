// `sockspec spec`: KAPI specs: export one as JSON, lint it, or check it against the model and
// the kernels (the running one, and images booted in QEMU with --oracle vm). A file with several
// blocks: --block chooses one, else the only socket() block is read and the others are named on
// stderr. Sources: spec/, engine/spec.ts, engine/spec-check.ts, report/text.ts.

import type { Command } from 'commander';
import { ContractError } from '../../contract';
import { executorAvailable } from '../../oracle/host';
import { describeBlocks, exportSpec, lintSpec, loadSpec, requireSocketSpec } from '../../engine/spec';
import type { ParsedSpec } from '../../spec/parse';
import { specCheck, type SpecGroup, type SpecKernel } from '../../engine/spec-check';
import { writeSpecCheckFiles } from '../../report/outputs';
import { specCheckMarkdown } from '../../report/text';
import { DEFAULT_PROFILE, guestWithProfile, listArg, profileFor, requireHost, sharedOracle, vmFlagsOnlyWithVm, type Io } from '../shared';
import type { GuestOracle } from '../../oracle/vm/guest';
import { ensureDir, writeFileAtomic } from '../../engine/io';
import { specFix, type SpecFixResult } from '../../engine/spec-fix';

const BLOCK_HELP = 'which spec block of FILE to read: its number (from 1), its name (sys_socket) or its syscall (socket); default: the only block, or the only socket() block';

/** Names the blocks a command passed over, on stderr; the block it reads. */
function noteSkipped(io: Io, command: string, file: string, block: string | undefined): ParsedSpec {
  const { spec, skipped } = loadSpec(file, block);
  if (skipped.length > 0) io.err(`sockspec spec ${command}: ${file}: reading ${spec.name} (line ${spec.line}); other blocks, not read: ${describeBlocks(skipped)}\n`);
  return spec;
}

interface KernelFlags { kernelImage: string[]; modules?: string; moduleMode?: string; oracle?: string; kernel?: string }

/** The oracles asked for, the kernel flags checked against them (exit 2 before any boot). */
function checkKernelFlags(o: KernelFlags): string[] {
  const oracles = o.oracle === undefined ? [executorAvailable() ? 'host' : 'none'] : listArg(o.oracle);
  if (oracles.length === 0 || oracles.some((x) => x !== 'host' && x !== 'vm' && x !== 'none') || (oracles.includes('none') && oracles.length > 1)) {
    throw new ContractError('--oracle', 'expected host, vm, host,vm or none');
  }
  const vm = oracles.includes('vm');
  vmFlagsOnlyWithVm({ kernelImage: o.kernelImage[0], modules: o.modules, moduleMode: o.moduleMode }, vm);
  if (vm && o.kernelImage.length === 0) throw new ContractError('--kernel-image', 'missing: --oracle vm needs a kernel image (debian-6.1, debian-6.12 or a path)');
  if (o.modules !== undefined && o.kernelImage.length > 1) throw new ContractError('--modules', 'names the modules of one image; with several, each fetched kernel brings its own');
  const count = (oracles.includes('host') ? 1 : 0) + o.kernelImage.length;
  if (o.kernel !== undefined && count > 1) throw new ContractError('--kernel', 'one profile for one kernel: with several, each is judged by its own');
  if (oracles.includes('host')) requireHost('--oracle');
  return oracles;
}

/** Runs `body` on the kernels to judge on (the host, the model alone, or each image booted in QEMU), closing every guest after it. */
async function onSpecKernels(io: Io, o: KernelFlags, oracles: readonly string[], body: (kernels: SpecKernel[]) => Promise<void>): Promise<void> {
  const kernels: SpecKernel[] = [];
  const guests: GuestOracle[] = [];
  try {
    if (oracles.includes('host')) kernels.push({ name: 'host', profile: await profileFor(o.kernel ?? 'host'), oracle: await sharedOracle() });
    if (oracles.includes('none')) {
      const profile = await profileFor(o.kernel ?? DEFAULT_PROFILE);
      kernels.push({ name: profile.name, profile });
    }
    for (const image of oracles.includes('vm') ? o.kernelImage : []) {
      const { guest, profile } = await guestWithProfile({ kernelImage: image, modules: o.modules, moduleMode: o.moduleMode, kernel: o.kernel }, (line) => io.err(`${line}\n`));
      guests.push(guest);
      kernels.push({ name: image, profile, oracle: guest, image });
    }
    await body(kernels);
  } finally {
    for (const g of guests) await g.close();
  }
}

/** What a fix did, in a few lines for stderr. */
function specFixWords(r: SpecFixResult): string {
  const head = `sockspec spec fix: ${r.file} for ${r.kernels.join(', ')}: ${r.rounds} checks of the fixed text, ${r.seconds.toFixed(1)} s; ` +
    `errors added ${r.errorsAdded.join(', ') || 'none'}, removed ${r.errorsRemoved.join(', ') || 'none'}; ${r.informal.length} causes in words; ` +
    `${r.order.length} order sentences, ${r.orderLeftOpen} pairs of causes left open`;
  if (r.left.length === 0) return `${head}. The fixed spec checks clean on every kernel.`;
  return [`${head}. Still contradicted:`, ...r.left.map((l) => `  ${l.kernel}: ${l.class}: ${l.title}`)].join('\n');
}

export function register(program: Command, io: Io): void {
  const spec = program.command('spec').description('KAPI specs: export one as JSON, list its internal inconsistencies, check it against the model and the kernels, or fix it');
  spec
    .command('export')
    .description('parse the KAPI spec in FILE (a C file, a patch, or an e-mail carrying one) and print it as JSON')
    .argument('<file>', 'the file holding DEFINE_KERNEL_API_SPEC … KAPI_END_SPEC')
    .option('--block <block>', BLOCK_HELP)
    .action((file: string, o: { block?: string }) => {
      noteSkipped(io, 'export', file, o.block);
      io.out(exportSpec(file, o.block));
    });
  spec
    .command('check')
    .description('every contradiction between the socket() spec in FILE, the model and the kernel; exit 1 when there are any (a block for another syscall is refused, exit 2)')
    .argument('<file>', 'the file holding the spec')
    .option('--block <block>', BLOCK_HELP)
    .option('--oracle <oracles>', 'host: replay each counter-example on the running kernel (default where the executor runs); vm: on each --kernel-image booted in QEMU; host,vm: both; none')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12); repeat it for several kernels', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--modules <dir>', "with --oracle vm and one image: its lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --oracle vm: preload (default), autoload or none')
    .option('--kernel <profile>', "kernel profile, with one kernel (default: host where the executor runs; with --oracle vm, the image's shipped profile, or one probed from it)")
    .option('--group <by>', 'item: one entry per spec item, with the model clauses it meets (default); clause: one per spec item and model clause', 'item')
    .option('--out <dir>', 'write spec-check.md, spec-check.json and the reproducers here')
    .option('--json', 'print one summary object', false)
    .action(async (file: string, o: { kernelImage: string[]; modules?: string; moduleMode?: string; block?: string; oracle?: string; kernel?: string; group: string; out?: string; json: boolean }) => {
      if (o.group !== 'item' && o.group !== 'clause') throw new ContractError('--group', `expected item or clause, not ${JSON.stringify(o.group)}`);
      const group: SpecGroup = o.group;
      // Refused before the oracle starts: a bind() spec is not judged as socket().
      requireSocketSpec(file, noteSkipped(io, 'check', file, o.block));
      const oracles = checkKernelFlags(o);
      if (o.out !== undefined) ensureDir(o.out, '--out');
      await onSpecKernels(io, o, oracles, async (kernels) => {
        const s = await specCheck(file, kernels, o.out, Date.now, { block: o.block, group });
        if (o.out !== undefined) writeSpecCheckFiles(o.out, s);
        if (o.json) io.out(`${JSON.stringify(s)}\n`);
        else io.out(`${specCheckMarkdown(s)}\n`);
        io.setCode(s.contradictions.length > 0 ? 1 : 0);
      });
    });
  spec
    .command('fix')
    .description('a unified diff against FILE that makes its socket() spec agree with the kernels (git apply takes it; spec check of the result is clean); exit 1 when something could not be fixed')
    .argument('<file>', 'the file holding the spec')
    .option('--block <block>', BLOCK_HELP)
    .option('--oracle <oracles>', 'the kernels whose behaviour the fix states: host (the running one, default where the executor runs), vm (each --kernel-image), host,vm, or none (the model with --kernel)')
    .option('--kernel-image <image>', 'with --oracle vm: a bzImage/vmlinuz, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12); repeat it for several kernels', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--modules <dir>', "with --oracle vm and one image: its lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'with --oracle vm: preload (default), autoload or none')
    .option('--kernel <profile>', 'kernel profile, with one kernel')
    .option('-o, --output <file>', 'write the patch here (atomically) instead of standard output')
    .option('--json', 'print one summary object (the patch included) instead of the patch', false)
    .action(async (file: string, o: { kernelImage: string[]; modules?: string; moduleMode?: string; block?: string; oracle?: string; kernel?: string; output?: string; json: boolean }) => {
      requireSocketSpec(file, noteSkipped(io, 'fix', file, o.block));
      const oracles = checkKernelFlags(o);
      await onSpecKernels(io, o, oracles, async (kernels) => {
        const r = specFix(file, kernels, Date.now, o.block);
        if (o.output !== undefined) writeFileAtomic(o.output, r.patch);
        if (o.json) io.out(`${JSON.stringify(r)}\n`);
        else if (o.output === undefined) io.out(r.patch);
        io.err(`${specFixWords(r)}\n`);
        io.setCode(r.left.length > 0 ? 1 : 0);
      });
    });
  spec
    .command('lint')
    .description('list the internal inconsistencies of the spec in FILE; exit 1 when there are any')
    .argument('<file>', 'the file holding the spec')
    .option('--block <block>', BLOCK_HELP)
    .option('--json', 'one JSON object', false)
    .action((file: string, o: { block?: string; json: boolean }) => {
      noteSkipped(io, 'lint', file, o.block);
      const r = lintSpec(file, o.json, o.block);
      io.out(r.text);
      io.setCode(r.code);
    });
}
