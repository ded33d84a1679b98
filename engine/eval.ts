// `sockspec eval`: the JSON Lines contract. One result line per input line, in order; a malformed
// line gets an error result naming the line and field, the rest still run, and the exit code is 2.
// With --oracle host the kernel answers; with --compare both answer and `mismatch` says whether
// they agree (any mismatch makes the exit code 1: a finding, as for check and diff). Consecutive
// lines in the same environment go to the executor as one batch; a batch the executor cannot take
// (an environment beyond its limits) makes each of its lines an error result, and a batch the
// oracle lost (its executor died twice) answers "unobserved" with the reason: no mismatch, but
// exit code 4 (incomplete). Sources: docs/eval-contract.md, contract/request.ts, oracle/host/.

import * as readline from 'node:readline';
import { evaluate, type Call, type Env, type KernelProfile, type Outcome } from '../model';
import { compareOutcomes, describeMismatch, shortResult, type Observation } from '../oracle/compare';
import type { KernelOracle } from '../oracle/oracle';
import { KernelDied } from '../oracle/errors';
import { observeOnHost } from '../oracle/observe';
import { checkRequestFields, ContractError, parseJsonLine, parseRequest, outcomeFields, resultObject, type PresetResolver } from '../contract';

export type EvalMode = 'model' | 'host' | 'compare';

export interface EvalOptions {
  readonly profile: KernelProfile;
  readonly mode: EvalMode;
  /** Needed for host/compare, and for lines with an `oci` profile. */
  readonly oracle?: () => Promise<KernelOracle>;
  readonly presets?: PresetResolver;
  /** Compiles an OCI profile object into filters (libseccomp in the executor). */
  readonly compileOci?: (profile: unknown, where: string) => Promise<unknown[]>;
  readonly batch?: number;
}

interface Pending {
  readonly lineNo: number;
  readonly id: unknown;
  readonly call: Call;
  readonly env: Env;
  readonly envKey: string;
}

function outcomeObject(o: Outcome): Record<string, unknown> {
  return { result: shortResult(o), ...outcomeFields(o) };
}

function observationObject(k: Observation): Record<string, unknown> {
  return 'outcome' in k ? outcomeObject(k.outcome) : { result: 'unobserved', reason: k.unobserved };
}

/** Replaces `{"oci": …}` filters by the programs libseccomp makes of them. */
async function resolveOci(obj: Record<string, unknown>, opts: EvalOptions): Promise<void> {
  const env = obj.env;
  if (typeof env !== 'object' || env === null || !Array.isArray((env as Record<string, unknown>).seccomp)) return;
  const list = (env as Record<string, unknown>).seccomp as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    if (typeof f === 'object' && f !== null && 'oci' in f) {
      for (const k of Object.keys(f)) if (k !== 'oci') throw new ContractError(`env.seccomp[${i}].${k}`, 'unknown field (known: oci)');
      if (opts.compileOci === undefined) throw new ContractError(`env.seccomp[${i}].oci`, 'compiling an OCI profile needs the executor with libseccomp');
      out.push(...(await opts.compileOci((f as Record<string, unknown>).oci, `env.seccomp[${i}].oci`)));
    } else {
      out.push(f);
    }
  }
  (env as Record<string, unknown>).seccomp = out;
}

/** The exit code of a run with an unobserved (lost) answer, no bad line and no mismatch: no clean answer. */
export const EXIT_UNOBSERVED = 4;

/** Streams `input` to `output`; resolves to the exit code: 2 when any line was bad, else 1 when any --compare result mismatched, else 4 when the oracle lost an answer, else 0. */
export async function runEval(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, err: NodeJS.WritableStream, opts: EvalOptions): Promise<number> {
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  const limit = opts.batch ?? 1024;
  let pending: Pending[] = [];
  let bad = 0;
  let lost = 0;
  let mismatches = 0;
  const write = (o: Record<string, unknown>): void => void output.write(`${JSON.stringify(o)}\n`);
  const badLine = (lineNo: number, id: unknown, e: ContractError): void => {
    bad++;
    const msg = `line ${lineNo}: ${e.message}`;
    err.write(`sockspec eval: ${msg}\n`);
    write({ id, result: 'error', error: msg });
  };

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const group = pending;
    pending = [];
    let kernel: Observation[] | undefined;
    if (opts.mode !== 'model') {
      if (opts.oracle === undefined) throw new Error('an oracle mode without an oracle');
      try {
        kernel = await observeOnHost(await opts.oracle(), group[0].env, group.map((p) => p.call));
      } catch (e) {
        if (e instanceof KernelDied) {
          // A guest kernel that died on these calls twice gave no answer: unobserved, and exit 4.
          kernel = group.map((): Observation => ({ unobserved: e.message, lost: true }));
        } else {
          if (!(e instanceof ContractError) || e.code !== 'bad-input') throw e;
          for (const p of group) badLine(p.lineNo, p.id, e);
          return;
        }
      }
      lost += kernel.filter((k) => 'lost' in k).length;
    }
    group.forEach((p, i) => {
      if (opts.mode === 'host' && kernel !== undefined) {
        write({ id: p.id, ...observationObject(kernel[i]), source: 'kernel' });
        return;
      }
      const d = evaluate(p.call, p.env);
      const out = resultObject(p.id, d);
      if (opts.mode === 'compare' && kernel !== undefined) {
        // A lost answer says nothing about the kernel: no mismatch (the exit code says incomplete).
        const ms = 'lost' in kernel[i] ? [] : compareOutcomes(d.outcome, kernel[i]);
        Object.assign(out, { kernel: observationObject(kernel[i]), mismatch: ms.length > 0 });
        if (ms.length > 0) {
          out.differences = ms.map(describeMismatch);
          mismatches++;
        }
      }
      write(out);
    });
  };

  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    let obj: Record<string, unknown> | undefined;
    try {
      obj = parseJsonLine(line);
      checkRequestFields(obj);
      await resolveOci(obj, opts);
      const req = parseRequest(obj, opts.profile, opts.presets);
      const envKey = JSON.stringify(obj.env ?? null) + String(obj.kernel ?? '');
      if (pending.length > 0 && (pending[0].envKey !== envKey || pending.length >= limit)) await flush();
      pending.push({ lineNo, id: req.id, call: req.call, env: req.env, envKey });
    } catch (e) {
      if (!(e instanceof ContractError)) throw e;
      await flush();
      badLine(lineNo, obj?.id ?? null, e);
    }
  }
  await flush();
  return bad > 0 ? 2 : mismatches > 0 ? 1 : lost > 0 ? EXIT_UNOBSERVED : 0;
}
