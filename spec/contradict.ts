// Contradictions between a KAPI spec and the model (and, when confirmed, the kernel): over the
// bounded space of `sockspec check` and over fuzzed tuples and environments, each point's model outcome is compared with the outcomes the
// spec's formalized causes allow. Each contradiction is reported once per spec item and model
// clause, with the simplest counter-example found.
// Sources: spec/formalize.ts, generators/space.ts, model/evaluate.ts.

import { ALL_CLAUSES, capNames, evaluate, formatStrace, resultString, type Call, type Env, type KernelProfile } from '../model';
import fc from 'fast-check';
import { callArb, envArb } from '../generators';
import { classCalls, ENV_CLASSES } from '../generators/space';
import { errorCauses, type Cause, type SpecInput } from './formalize';
import type { ParsedSpec } from './parse';

export type ContradictionClass =
  | 'unlisted-errno' | 'cause-absent' | 'cause-holds-other' | 'capability-condition' | 'never-produced';

/** One contradiction, with the simplest counter-example found. */
export interface Contradiction {
  readonly class: ContradictionClass;
  readonly title: string;
  readonly specLines: readonly number[];
  readonly specText: string;
  readonly clause: string;
  readonly call: Call;
  readonly env: Env;
  readonly envClass: string;
  readonly counterexample: string;
  readonly model: string;
  /** The errno the spec requires here, where it names exactly one (for reproducers). */
  readonly specErrno?: string;
  readonly points: number;
}

function specInput(call: Call, env: Env): SpecInput {
  const i32 = (r: bigint): number => Number(BigInt.asIntN(32, r));
  const caps = new Set(capNames(env.creds.namespaces === 'user' ? 0 : env.creds.caps));
  return {
    family: i32(call.a0), type: i32(call.a1), protocol: i32(call.a2),
    hasCap: (c) => caps.has(c), registered: (f) => env.profile.families.includes(f),
  };
}

/** How simple a counter-example is: small registers and the first environment classes first. */
function weight(call: Call, classIndex: number): number {
  const w = (r: bigint): number => (r > 0xffffffffn ? 1e12 : Math.abs(Number(BigInt.asIntN(32, r))));
  return classIndex * 1e13 + w(call.a0) * 1e6 + w(call.a1) * 1e3 + w(call.a2);
}

/**
 * Every contradiction between `spec` and the model on `profile` over the kernel environment
 * classes of the bounded space (seccomp classes are left out: a filter's errno is not socket()'s).
 */
export function findContradictions(
  spec: ParsedSpec,
  profile: KernelProfile,
  fuzz: { readonly seed: number; readonly runs: number } = { seed: 0x5bec, runs: 100000 },
): { contradictions: Contradiction[]; causes: Cause[]; points: number } {
  const causes = errorCauses(spec);
  const listed = new Set(spec.errors.map((e) => String(e.name)));
  const byErrno = new Map<string, Cause[]>();
  for (const c of causes) byErrno.set(c.errno, [...(byErrno.get(c.errno) ?? []), c]);
  const found = new Map<string, Contradiction & { w: number }>();
  const produced = new Set<string>();
  let points = 0;
  const note = (key: string, c: Omit<Contradiction, 'points'>, w: number): void => {
    const old = found.get(key);
    if (old === undefined) found.set(key, { ...c, points: 1, w });
    else found.set(key, w < old.w ? { ...c, points: old.points + 1, w } : { ...old, points: old.points + 1 });
  };
  const classes = ENV_CLASSES.filter((c) => c.calls === 'full');
  const visit = (call: Call, env: Env, envClass: string, ci: number): void => {
    points++;
    const d = evaluate(call, env);
    const result = resultString(d.outcome);
    const clause = d.trace[d.trace.length - 1];
    produced.add(result);
    const x = specInput(call, env);
    const holding = causes.filter((c) => c.predicate?.(x) === true);
    const allowed = new Set(holding.map((c) => c.errno));
    const w = weight(call, ci);
    const base = { call, env, envClass, clause, model: result, counterexample: formatStrace(call, d.outcome) };
    if (d.outcome.kind === 'errno' && !listed.has(result)) {
      note(`unlisted|${result}|${clause}`, { ...base, class: 'unlisted-errno', title: `the kernel returns ${result}, which the spec does not list`, specLines: [spec.line], specText: `errors: ${[...listed].join(', ')}` }, w);
      return;
    }
    if (d.outcome.kind === 'errno' && !allowed.has(result)) {
      const own = byErrno.get(result) ?? [];
      if (own.length > 0 && own.every((c) => c.predicate !== undefined)) {
        note(`absent|${result}|${clause}`, { ...base, class: 'cause-absent', title: `${result} is returned although none of its stated causes holds`, specLines: [...new Set(own.map((c) => c.line))], specText: own.map((c) => c.text).join('; ') }, w);
      }
    }
    for (const c of holding) {
      if (c.errno === result || allowed.has(result)) continue;
      const own = d.outcome.kind === 'errno' ? byErrno.get(result) ?? [] : [];
      if (own.some((o) => o.predicate === undefined)) continue;
      const cap = c.text.includes(' without CAP_');
      note(`holds|${c.line}|${c.text}|${clause}`, {
        ...base,
        specErrno: c.errno,
        class: cap ? 'capability-condition' : 'cause-holds-other',
        title: cap ? `the capability condition "${c.text}" holds, yet the kernel returns ${result}` : `the cause "${c.text}" of ${c.errno} holds, yet the kernel returns ${result}`,
        specLines: [c.line], specText: c.text,
      }, w);
    }
  };
  classes.forEach((cls, ci) => {
    const env = cls.env(profile);
    for (const call of classCalls(cls)) visit(call, env, cls.id, ci);
  });
  // Fuzzed tuples and environments (credentials, namespaces, ping ranges, MPTCP, fd tables and
  // limits, global sysctls), seeded; seccomp stacks are left out: a filter's errno is not socket()'s.
  const pairs = fc.sample(fc.tuple(callArb(), envArb({ profile, seccomp: false })), { seed: fuzz.seed, numRuns: fuzz.runs });
  for (const [call, env] of pairs) visit(call, env, 'fuzzed', classes.length);
  // "No input can produce it": no clause of the model returns it, and it is neither an errno of
  // memory exhaustion (real but not an input) nor ENOSYS (which seccomp can produce for any call).
  const modelled = new Set(ALL_CLAUSES.map((c) => c.errno).filter((e): e is string => e !== null));
  for (const e of spec.errors) {
    const name = String(e.name);
    if (!produced.has(name) && !modelled.has(name) && !['ENOMEM', 'ENOBUFS', 'ENOSYS'].includes(name)) {
      found.set(`never|${name}`, {
        class: 'never-produced', title: `${name} is listed, but no input makes the kernel return it (no clause of the model returns it)`, specLines: [e.line],
        specText: String(e.description ?? ''), clause: '-', call: { a0: 0n, a1: 0n, a2: 0n }, env: classes[0].env(profile), envClass: '-',
        counterexample: '-', model: '-', points: 0, w: 0,
      });
    }
  }
  return { contradictions: [...found.values()].map(({ w: _w, ...c }) => c), causes, points };
}

/** The counter-example's environment in words. */
export function envWords(c: Contradiction): string {
  const e = c.env;
  const caps = capNames(e.creds.caps);
  return `${c.envClass}: uid ${e.creds.uid}, ${caps.length === 41 ? 'all capabilities' : caps.length === 0 ? 'no capabilities' : caps.join(',')}, namespaces ${e.creds.namespaces}`;
}

