#!/usr/bin/env -S node --min-semi-space-size=16 --max-semi-space-size=16
// The sockspec command line: one file per command in cli/commands/, each parsing its flags,
// calling an engine, printing and setting the exit code. Errors below the CLI are data
// (contract/errors.ts); this file maps their codes to exit codes: bad input of any kind exits 2
// with `sockspec: FIELD: DETAIL`, findings exit 1, and check or eval whose host oracle lost some
// kernel results (nothing else found) exit 4 (cli/shared.ts EXIT_UNOBSERVED), interrupted campaigns 3. The shebang fixes
// V8's young generation at 16 MiB: left adaptive, it doubles during long campaigns and RSS jumps
// by ~17 MiB with the heap in use unchanged, which hides real growth from memory checks.

import { Command, CommanderError } from 'commander';
import { SockspecError, type ErrorCode } from '../contract';
import * as audit from './commands/audit';
import * as check from './commands/check';
import * as clauses from './commands/clauses';
import * as diff from './commands/diff';
import * as evalCommand from './commands/eval';
import * as explain from './commands/explain';
import * as fuzz from './commands/fuzz';
import * as kernels from './commands/kernels';
import * as merge from './commands/merge';
import * as profiles from './commands/profiles';
import * as report from './commands/report';
import * as repro from './commands/repro';
import * as spec from './commands/spec';
import { closeSharedOracle, EXIT, type Io } from './shared';

/** The exit code of each kind of error. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  'bad-input': EXIT.badInput,
  'unknown-name': EXIT.badInput,
  'bad-file': EXIT.badInput,
  unavailable: EXIT.badInput,
  'state-mismatch': EXIT.badInput,
  incomplete: EXIT.incomplete,
};

/** The program with every command, in the order `sockspec --help` lists them. */
export function buildProgram(io: Io): Command {
  const program = new Command();
  program
    .name('sockspec')
    .description('Property-based fuzzer and model checker for the Linux socket(2) contract')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const c of [evalCommand, explain, fuzz, repro, report, merge, check, diff, spec, audit, clauses, profiles, kernels]) c.register(program, io);
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const io: Io = {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    setCode: (c) => { code = c; },
  };
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof SockspecError) {
      io.err(`sockspec: ${e.message}\n`);
      return EXIT_CODES[e.code];
    }
    throw e;
  } finally {
    await closeSharedOracle();
  }
}

/**
 * A reader that stops early (`sockspec clauses | head`) closes the pipe: later output is dropped
 * instead of crashing with an unhandled EPIPE, and the command finishes its work (result files,
 * campaign state) and exits with its own code.
 */
function dropOutputOnEpipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
}

if (require.main === module) {
  dropOutputOnEpipe();
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`sockspec: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
