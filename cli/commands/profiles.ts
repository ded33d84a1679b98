// `sockspec profiles`: the shipped kernel profiles. Sources: model/profiles/.

import type { Command } from 'commander';
import { PROFILES } from '../../model';
import type { Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('profiles')
    .description('list the kernel profiles')
    .action(() => {
      for (const p of PROFILES) io.out(`${p.name.padEnd(22)} ${p.description}\n`);
    });
}
