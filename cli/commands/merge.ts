// `sockspec merge`: shard outputs into one summary, findings de-duplicated, with junit.xml and
// report.html; `--baseline DIR` sets the merged findings against a previous night's (new,
// persisting, gone) and `--fail-on new` exits 1 only for new ones, as `fuzz` does.
// Sources: engine/campaign/merge.ts, engine/campaign/baseline.ts, report/outputs.ts.

import * as path from 'node:path';
import type { Command } from 'commander';
import { ContractError } from '../../contract';
import { checkBaseline } from '../../engine/campaign/baseline';
import { writeReport } from '../../report/html';
import { writeMerged } from '../../report/outputs';
import { EXIT, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('merge')
    .description('combine shard outputs into one summary, findings de-duplicated, with junit.xml and report.html: merge DIR… --out DIR; exit 1 with findings (with --fail-on new: new ones), 3 when a shard was interrupted')
    .argument('<dirs...>', 'campaign output folders (shards of one seed)')
    .option('--out <dir>', 'where the merged outputs go', 'sockspec-merged')
    .option('--baseline <dir>', "a previous campaign's (or merge's) folder: say which findings are new, which persist and which are gone")
    .option('--fail-on <which>', 'any: every finding exits 1 (default); new: only findings the baseline lacks', 'any')
    .option('--json', 'print the merged summary as one JSON object', false)
    .action((dirs: string[], o: { out: string; json: boolean; baseline?: string; failOn: string }) => {
      if (o.failOn !== 'any' && o.failOn !== 'new') throw new ContractError('--fail-on', `expected any or new, got ${JSON.stringify(o.failOn)}`);
      if (o.failOn === 'new' && o.baseline === undefined) throw new ContractError('--fail-on', 'new needs --baseline DIR (the campaign to compare with)');
      if (o.baseline !== undefined) checkBaseline(o.baseline);
      const s = writeMerged(dirs, o.out, o.baseline === undefined ? undefined : path.resolve(o.baseline));
      const report = writeReport(o.out);
      const b = s.baseline;
      const against = b === undefined ? '' : `; against the baseline ${b.dir}: ${b.new.length} new, ${b.persisting.length} persisting, ${b.gone.length} gone`;
      io.out(o.json ? `${JSON.stringify(s)}\n` : `merged ${dirs.length} folders: ${s.runs} runs, ${s.findings} findings (${s.uniqueFindings} distinct), clause coverage ${s.clausesCovered}/${s.clausesTotal}${against}; written to ${o.out}, report in ${report}\n`);
      const failing = o.failOn === 'new' && b !== undefined ? b.new.length : s.findings;
      io.setCode(s.status === 'interrupted' ? EXIT.interrupted : failing === 0 ? EXIT.ok : EXIT.findings);
    });
}
