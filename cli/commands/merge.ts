// `sockspec merge`: shard outputs into one summary, findings de-duplicated. Sources:
// engine/campaign/merge.ts, report/outputs.ts.

import type { Command } from 'commander';
import { writeMerged } from '../../report/outputs';
import { EXIT, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('merge')
    .description('combine shard outputs into one summary, findings de-duplicated: merge DIR… --out DIR; exit 3 when a shard was interrupted')
    .argument('<dirs...>', 'campaign output folders (shards of one seed)')
    .option('--out <dir>', 'where the merged outputs go', 'sockspec-merged')
    .option('--json', 'print the merged summary as one JSON object', false)
    .action((dirs: string[], o: { out: string; json: boolean }) => {
      const s = writeMerged(dirs, o.out);
      io.out(o.json ? `${JSON.stringify(s)}\n` : `merged ${dirs.length} folders: ${s.runs} runs, ${s.findings} findings (${s.uniqueFindings} distinct), clause coverage ${s.clausesCovered}/${s.clausesTotal}; written to ${o.out}\n`);
      io.setCode(s.status === 'interrupted' ? EXIT.interrupted : s.findings === 0 ? EXIT.ok : EXIT.findings);
    });
}
