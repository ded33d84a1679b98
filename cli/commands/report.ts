// `sockspec report`: one self-contained HTML page of a campaign, spec check or diff folder.
// Sources: report/html.ts.

import type { Command } from 'commander';
import { writeReport } from '../../report/html';
import type { Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('report')
    .description('write one self-contained HTML report of a campaign folder: outcome matrix, findings, coverage')
    .argument('<dir>', 'a campaign output folder')
    .option('-o, --output <file>', 'where to write the page (default DIR/report.html)')
    .action((dir: string, o: { output?: string }) => {
      io.out(`wrote ${writeReport(dir, o.output)}\n`);
    });
}
