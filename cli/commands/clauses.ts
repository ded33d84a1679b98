// `sockspec clauses`: every clause of the model with its errno and kernel citation.
// Sources: model/clauses.ts.

import type { Command } from 'commander';
import { ALL_CLAUSES } from '../../model';
import type { Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('clauses')
    .description('list every clause of the model with its errno and kernel citation')
    .option('--json', 'one JSON object a line', false)
    .action((o: { json: boolean }) => {
      if (o.json) {
        for (const c of ALL_CLAUSES) io.out(`${JSON.stringify(c)}\n`);
        return;
      }
      const groups = [...new Set(ALL_CLAUSES.map((c) => c.group))];
      for (const g of groups) {
        const cs = ALL_CLAUSES.filter((c) => c.group === g);
        io.out(`${g} (${cs.length})\n`);
        for (const c of cs) io.out(`  ${c.id.padEnd(24)} ${(c.errno ?? '-').padEnd(16)} ${c.title}  [${c.cite}]\n`);
      }
      io.out(`${ALL_CLAUSES.length} clauses\n`);
    });
}
