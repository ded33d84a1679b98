// `sockspec report`: one self-contained HTML page of a campaign, spec check or diff folder; of
// several campaign folders (nights), one page of their trends.
// Sources: report/html.ts, report/trends.ts.

import type { Command } from 'commander';
import { writeReport } from '../../report/html';
import { writeTrends } from '../../report/trends';
import type { Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('report')
    .description('write one self-contained HTML report of a campaign folder (outcome matrix, findings, coverage, charts over time); of several campaign folders, one page of trends night by night')
    .argument('<dirs...>', 'a campaign output folder; or several, one a night, for trends')
    .option('-o, --output <file>', 'where to write the page (default DIR/report.html; with several folders trends.html)')
    .action((dirs: string[], o: { output?: string }) => {
      if (dirs.length === 1) {
        io.out(`wrote ${writeReport(dirs[0], o.output)}\n`);
        return;
      }
      const { file, trends } = writeTrends(dirs, o.output ?? 'trends.html');
      const order = trends.order === 'start' ? 'ordered by their start' : `in the order given (no start time recorded in ${trends.withoutStart.join(', ')})`;
      io.out(`wrote ${file}: ${trends.nights.length} nights, ${order}\n`);
    });
}
