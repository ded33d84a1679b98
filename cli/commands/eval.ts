// `sockspec eval`: JSON Lines requests on stdin, one result line each (model, kernel, or both);
// exit 2 for a bad line, 1 for a --compare mismatch, 4 when the oracle lost an answer. With
// --oracle host or --compare a machine that cannot run the executor is refused before any line is
// read. Sources: docs/eval-contract.md, engine/eval.ts.

import type { Command } from 'commander';
import { PROFILES } from '../../model';
import { ContractError } from '../../contract';
import { runEval } from '../../engine/eval';
import { compileOciProfile } from '../../engine/oci';
import { presetFilters } from '../../oracle/oci';
import { profileFor, requireHost, sharedOracle, sharedOracleIfAvailable, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('eval')
    .description('evaluate JSON Lines requests from stdin; one result line per input line (model, kernel, or both); exit 2 when a line is bad, 1 when --compare finds a mismatch, 4 when the oracle lost an answer')
    .option('--kernel <profile>', `kernel profile: host (probed; the default where the executor runs), ${PROFILES.map((p) => p.name).join(', ')}`)
    .option('--oracle <oracle>', 'host: the real kernel answers instead of the model; none: the model', 'none')
    .option('--compare', 'both answer; each line gets the kernel result and a "mismatch" field; exit 1 when any line mismatches', false)
    .action(async (o: { kernel?: string; oracle: string; compare: boolean }) => {
      if (o.oracle !== 'host' && o.oracle !== 'none') throw new ContractError('--oracle', 'expected host or none');
      const mode = o.compare ? 'compare' : o.oracle === 'host' ? 'host' : 'model';
      if (mode !== 'model') requireHost(o.compare ? '--compare' : '--oracle');
      const profile = await profileFor(o.kernel);
      io.setCode(await runEval(process.stdin, process.stdout, process.stderr, {
        profile, mode, oracle: sharedOracle, presets: presetFilters, compileOci: (profile: unknown, where: string) => compileOciProfile(sharedOracleIfAvailable, profile, where),
      }));
    });
}
