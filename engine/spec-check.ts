// `sockspec spec check FILE`: every contradiction between a KAPI spec, the model and (with
// --oracle host) the running kernel or (--oracle vm) a kernel image in QEMU, once each, with the spec text and its input lines, the
// shrunk counter-example, the kernel's observed result, the model clause and the kernel function
// behind it, whether the oracle confirmed it, and a C reproducer that exits 1 while the kernel
// still contradicts the spec. Also lists which of the spec's clauses were formalized.
// Writes spec-check.md and spec-check.json atomically. A block for another syscall is refused, not
// judged as socket(). Sources: spec/contradict.ts.

import * as path from 'node:path';
import { clauseById, type KernelProfile } from '../model';
import { findContradictions, envWords, type SpecJudge } from '../spec/contradict';
import type { KernelOracle } from '../oracle/oracle';
import { observeOnHost } from '../oracle/observe';
import { shortResult } from '../oracle/compare';
import { requestLine } from '../contract';
import { writeFileAtomic } from './io';
import { reproSource } from '../repro/c-source';
import type { SpecBlock } from '../spec/parse';
import { loadSpec, requireSocketSpec } from './spec';

export interface SpecCheckEntry {
  readonly class: string;
  readonly title: string;
  readonly specLines: readonly number[];
  readonly specText: string;
  readonly counterexample: string;
  readonly environment: string;
  readonly request: string | null;
  readonly model: string;
  readonly kernel: string | null;
  readonly confirmed: boolean;
  readonly clause: string;
  readonly kernelFunction: string;
  readonly points: number;
  readonly reproducer: string | null;
}

export interface SpecCheckSummary {
  readonly file: string;
  readonly spec: string;
  /** The other blocks of the file, not judged. */
  readonly skipped: readonly SpecBlock[];
  readonly kernel: string;
  readonly oracle: 'host' | 'vm' | 'none';
  /** With the VM oracle: the image the counter-examples were replayed on, as given (a path or a fetched name). */
  readonly kernelImage?: string;
  readonly points: number;
  /** Points a seccomp filter decided: a policy, not judged against the spec. */
  readonly policyPoints: number;
  readonly formalized: number;
  readonly informal: number;
  /** Every normative clause of the spec, with its predicate where it was formalized. */
  readonly clauses: readonly SpecClause[];
  readonly contradictions: readonly SpecCheckEntry[];
  readonly byClass: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** One clause of the spec as the checker reads it. */
export interface SpecClause {
  readonly line: number;
  readonly kind: 'error cause' | 'capability' | 'parameter' | 'success claim' | 'example';
  readonly about: string;
  readonly text: string;
  readonly formal: string | null;
}

/** The spec's clauses, formalized or informal, in input order. */
export function specClauses(j: SpecJudge): SpecClause[] {
  const out: SpecClause[] = [
    ...j.causes.map((c) => ({ line: c.line, kind: c.source === 'capability' ? 'capability' as const : 'error cause' as const, about: c.errno, text: c.text, formal: c.formal ?? null })),
    ...j.constraints.map((c) => ({ line: c.line, kind: 'parameter' as const, about: c.param, text: c.text, formal: c.formal ?? null })),
    ...j.claims.map((c) => ({ line: c.line, kind: 'success claim' as const, about: 'return', text: c.text, formal: c.formal })),
    ...j.examples.map((c) => ({ line: c.line, kind: 'example' as const, about: 'a working call', text: c.text, formal: `socket(${c.family}, ${c.type}, ${c.protocol}) succeeds as root` })),
  ];
  return out.sort((a, b) => a.line - b.line);
}

/**
 * Runs the check on block `block` of the file (see loadSpec: by default the only one, or the only
 * socket() one); with an oracle, each counter-example is replayed on the kernel. With `out`, each
 * counter-example's C reproducer is written there as it is found (the report files are written by
 * report/outputs.ts: writeSpecCheckFiles).
 */
export async function specCheck(
  file: string, profile: KernelProfile, oracle: KernelOracle | undefined, out: string | undefined, now: () => number, block?: string, kernelImage?: string,
): Promise<SpecCheckSummary> {
  const t0 = now();
  const { spec, skipped } = loadSpec(file, block);
  requireSocketSpec(file, spec);
  const { contradictions, judge, points, policyPoints } = findContradictions(spec, profile);
  const entries: SpecCheckEntry[] = [];
  let n = 0;
  for (const c of contradictions) {
    n++;
    let kernel: string | null = null;
    if (oracle !== undefined && c.counterexample !== '-') {
      const [obs] = await observeOnHost(oracle, c.env, [c.call]);
      kernel = 'outcome' in obs ? shortResult(obs.outcome) : `unobserved: ${obs.unobserved}`;
    }
    let reproducer: string | null = null;
    if (out !== undefined && c.expect !== undefined) {
      reproducer = path.join(out, `repro-${n}.c`);
      writeFileAtomic(reproducer, reproSource(c.call, c.env, c.expect, `spec line ${c.specLines.join(',')}: ${c.title}`));
    }
    entries.push({
      class: c.class, title: c.title, specLines: c.specLines, specText: c.specText, counterexample: c.counterexample,
      environment: c.counterexample === '-' ? '-' : envWords(c), request: c.counterexample === '-' ? null : requestLine(c.call, c.env),
      model: c.model, kernel, confirmed: kernel !== null && kernel === c.model, clause: c.clause,
      kernelFunction: clauseById(c.clause)?.cite ?? '-', points: c.points, reproducer,
    });
  }
  const clauses = specClauses(judge);
  const cov = { formalized: clauses.filter((c) => c.formal !== null).length, informal: clauses.filter((c) => c.formal === null).length };
  const byClass: Record<string, number> = {};
  for (const e of entries) byClass[e.class] = (byClass[e.class] ?? 0) + 1;
  const summary: SpecCheckSummary = {
    file, spec: spec.name, skipped, kernel: profile.name, oracle: oracle === undefined ? 'none' : oracle.kind, ...(oracle?.kind === 'vm' && kernelImage !== undefined ? { kernelImage } : {}), points, policyPoints,
    formalized: cov.formalized, informal: cov.informal, clauses, contradictions: entries, byClass, seconds: (now() - t0) / 1000,
  };
  return summary;
}
