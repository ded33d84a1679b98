// `sockspec spec export FILE` (the parsed KAPI spec as JSON) and `sockspec spec lint FILE` (its
// internal inconsistencies), and choosing the block of a file that holds several. A malformed or
// truncated spec is exit 2 with the line and column; so is a file with several candidate blocks
// and no --block, and (for the checker, which judges socket() only) a block for another syscall.
// Sources: spec/parse.ts, spec/consistency.ts.

import * as fs from 'node:fs';
import { checkConsistency } from '../spec/consistency';
import { errorCauses, formalizationCoverage } from '../spec/formalize';
import { SpecError } from '../spec/lex';
import { parseSpec, specBlocks, syscallOf, type ParsedSpec, type SpecBlock } from '../spec/parse';
import { ContractError } from '../contract';

/** The block a command reads from a file, and the other blocks it passed over. */
export interface LoadedSpec {
  readonly spec: ParsedSpec;
  readonly skipped: readonly SpecBlock[];
}

/** `N. NAME (line L, SYSCALL(2))` for each block, for error messages and notes. */
export function describeBlocks(blocks: readonly SpecBlock[]): string {
  return blocks.map((b) => `${b.index}. ${b.name} (line ${b.line}, ${b.syscall}(2))`).join('; ');
}

/** The block `choice` names (a number from 1, a block name, or a syscall name). */
function chooseBlock(file: string, blocks: readonly SpecBlock[], choice: string | undefined): SpecBlock {
  if (choice !== undefined) {
    const found = /^\d+$/.test(choice) ? blocks.filter((b) => b.index === Number(choice)) : blocks.filter((b) => b.name === choice || b.syscall === choice);
    if (found.length === 1) return found[0];
    if (found.length === 0) throw new ContractError('--block', `${file} has no block ${JSON.stringify(choice)}; its blocks: ${describeBlocks(blocks)}`, 'unknown-name');
    throw new ContractError('--block', `${JSON.stringify(choice)} names ${found.length} blocks of ${file}; give its number: ${describeBlocks(found)}`);
  }
  if (blocks.length === 1) return blocks[0];
  const sockets = blocks.filter((b) => b.syscall === 'socket');
  if (sockets.length === 1) return sockets[0];
  const which = sockets.length === 0 ? 'none of them for socket(2)' : `${sockets.length} of them for socket(2)`;
  throw new ContractError(file, `holds ${blocks.length} KAPI blocks, ${which}; choose one with --block NAME|N: ${describeBlocks(blocks)}`);
}

/**
 * Reads a spec file and parses one of its blocks: `block` if given, else the only block, else the
 * only socket() block. Errors name the file, line and column.
 */
export function loadSpec(file: string, block?: string): LoadedSpec {
  if (!fs.existsSync(file)) throw new ContractError('file', `${file} does not exist`);
  if (!fs.statSync(file).isFile()) throw new ContractError('file', `${file} is not a file`, 'bad-file');
  const text = fs.readFileSync(file, 'utf8');
  try {
    const blocks = specBlocks(text);
    const chosen = chooseBlock(file, blocks, block);
    return { spec: parseSpec(text, chosen.index), skipped: blocks.filter((b) => b !== chosen) };
  } catch (e) {
    if (e instanceof SpecError) throw new ContractError(file, e.message, 'bad-file');
    throw e;
  }
}

/** Refuses a block for another syscall: the checker's model, points and causes are socket()'s. */
export function requireSocketSpec(file: string, spec: ParsedSpec): void {
  const syscall = syscallOf(spec.name);
  if (syscall !== 'socket') throw new ContractError(`${file}:${spec.line}`, `this KAPI block (${spec.name}) specifies ${syscall}(2), not socket(2); sockspec judges socket(2) specs only`, 'bad-file');
}

/** The export: the parsed spec with its internal inconsistencies. */
export function exportSpec(file: string, block?: string): string {
  const { spec, skipped } = loadSpec(file, block);
  const causes = errorCauses(spec).map((c) => ({ errno: c.errno, line: c.line, text: c.text, formal: c.formal ?? null }));
  return `${JSON.stringify({ file, ...spec, skipped, inconsistencies: checkConsistency(spec), causes, formalization: formalizationCoverage(errorCauses(spec)) }, null, 2)}\n`;
}

/** The lint report and its exit code (1 when the spec contradicts itself). */
export function lintSpec(file: string, json: boolean, block?: string): { text: string; code: number } {
  const { spec, skipped } = loadSpec(file, block);
  const found = checkConsistency(spec);
  if (json) {
    const cov = formalizationCoverage(errorCauses(spec));
    return { text: `${JSON.stringify({ file, spec: spec.name, skipped, inconsistencies: found, ...cov })}\n`, code: found.length > 0 ? 1 : 0 };
  }
  const causes = errorCauses(spec);
  const cov = formalizationCoverage(causes);
  const lines = [
    `${file}: spec ${spec.name} (lines ${spec.line}-${spec.endLine}): ${spec.params.length} params, ${spec.errors.length} errors, ${found.length} internal inconsistencies`,
    ...(skipped.length > 0 ? [`  other blocks, not read: ${describeBlocks(skipped)}`] : []),
    `  stated causes: ${cov.formalized} formalized, ${cov.informal} informal (${((100 * cov.formalized) / Math.max(1, causes.length)).toFixed(0)}% executable)`,
  ];
  for (const c of causes) lines.push(`    line ${c.line} ${c.errno.padEnd(16)} ${c.formal !== undefined ? `formal:   ${c.formal}` : `informal: ${c.text.slice(0, 100)}`}`);
  for (const f of found) lines.push(`  line ${f.lines.join(', ')}: ${f.title}`, `    ${f.detail}`);
  return { text: `${lines.join('\n')}\n`, code: found.length > 0 ? 1 : 0 };
}
