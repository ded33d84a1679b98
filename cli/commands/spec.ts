// `sockspec spec`: KAPI specs: export one as JSON, lint it, or check it against the model and
// the kernel. Sources: spec/, engine/spec.ts, engine/spec-check.ts, report/spec-check.ts.

import type { Command } from 'commander';
import { ContractError } from '../../contract';
import { executorAvailable } from '../../oracle/host';
import { exportSpec, lintSpec } from '../../engine/spec';
import { specCheck } from '../../engine/spec-check';
import { writeSpecCheckFiles } from '../../report/outputs';
import { specCheckMarkdown } from '../../report/text';
import { DEFAULT_PROFILE, profileFor, sharedOracle, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  const spec = program.command('spec').description('KAPI specs: export one as JSON, or list its internal inconsistencies');
  spec
    .command('export')
    .description('parse the KAPI spec in FILE (a C file, a patch, or an e-mail carrying one) and print it as JSON')
    .argument('<file>', 'the file holding DEFINE_KERNEL_API_SPEC … KAPI_END_SPEC')
    .action((file: string) => {
      io.out(exportSpec(file));
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
      const profile = await profileFor(o.kernel ?? (useOracle ? 'host' : DEFAULT_PROFILE));
      const s = await specCheck(file, profile, useOracle ? await sharedOracle() : undefined, o.out, Date.now);
      if (o.out !== undefined) writeSpecCheckFiles(o.out, s);
      if (o.json) io.out(`${JSON.stringify(s)}\n`);
      else io.out(`${specCheckMarkdown(s)}\n`);
      io.setCode(s.contradictions.length > 0 ? 1 : 0);
    });
  spec
    .command('lint')
    .description('list the internal inconsistencies of the spec in FILE; exit 1 when there are any')
    .argument('<file>', 'the file holding the spec')
    .option('--json', 'one JSON object', false)
    .action((file: string, o: { json: boolean }) => {
      const r = lintSpec(file, o.json);
      io.out(r.text);
      io.setCode(r.code);
    });
}
