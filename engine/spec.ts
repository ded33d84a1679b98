// `sockspec spec export FILE` (the parsed KAPI spec as JSON) and `sockspec spec lint FILE` (its
// internal inconsistencies). A malformed or truncated spec is exit 2 with the line and column.
// Sources: spec/parse.ts, spec/consistency.ts.

import * as fs from 'node:fs';
import { checkConsistency } from '../spec/consistency';
import { errorCauses, formalizationCoverage } from '../spec/formalize';
import { SpecError } from '../spec/lex';
import { parseSpec, type ParsedSpec } from '../spec/parse';
import { ContractError } from '../contract';

/** Reads and parses a spec file; errors name the file, line and column. */
export function loadSpec(file: string): ParsedSpec {
  if (!fs.existsSync(file)) throw new ContractError('file', `${file} does not exist`);
  try {
    return parseSpec(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof SpecError) throw new ContractError(file, e.message);
    throw e;
  }
}

/** The export: the parsed spec with its internal inconsistencies. */
export function exportSpec(file: string): string {
  const spec = loadSpec(file);
  const causes = errorCauses(spec).map((c) => ({ errno: c.errno, line: c.line, text: c.text, formal: c.formal ?? null }));
  return `${JSON.stringify({ file, ...spec, inconsistencies: checkConsistency(spec), causes, formalization: formalizationCoverage(errorCauses(spec)) }, null, 2)}\n`;
}

/** The lint report and its exit code (1 when the spec contradicts itself). */
export function lintSpec(file: string, json: boolean): { text: string; code: number } {
  const spec = loadSpec(file);
  const found = checkConsistency(spec);
  if (json) {
    const cov = formalizationCoverage(errorCauses(spec));
    return { text: `${JSON.stringify({ file, spec: spec.name, inconsistencies: found, ...cov })}\n`, code: found.length > 0 ? 1 : 0 };
  }
  const causes = errorCauses(spec);
  const cov = formalizationCoverage(causes);
  const lines = [
    `${file}: spec ${spec.name} (lines ${spec.line}-${spec.endLine}): ${spec.params.length} params, ${spec.errors.length} errors, ${found.length} internal inconsistencies`,
    `  stated causes: ${cov.formalized} formalized, ${cov.informal} informal (${((100 * cov.formalized) / Math.max(1, causes.length)).toFixed(0)}% executable)`,
  ];
  for (const c of causes) lines.push(`    line ${c.line} ${c.errno.padEnd(16)} ${c.formal !== undefined ? `formal:   ${c.formal}` : `informal: ${c.text.slice(0, 100)}`}`);
  for (const f of found) lines.push(`  line ${f.lines.join(', ')}: ${f.title}`, `    ${f.detail}`);
  return { text: `${lines.join('\n')}\n`, code: found.length > 0 ? 1 : 0 };
}
