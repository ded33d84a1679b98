// `sockspec repro`: a standalone C reproducer for a finding. Sources: engine/repro.ts.

import type { Command } from 'commander';
import { reproCommand } from '../../engine/repro';
import type { Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('repro')
    .description('write a standalone C reproducer for a finding: repro FINDINGS.jsonl[:N] [-o file.c]')
    .argument('<finding>', 'a findings.jsonl file, optionally :N for its N-th line (default: the first one about a single call)')
    .option('-o, --output <file>', 'write the C source here instead of stdout')
    .action((spec: string, o: { output?: string }) => {
      io.out(reproCommand(spec, o.output));
    });
}
