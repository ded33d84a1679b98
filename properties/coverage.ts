// Clause coverage of generated decisions: which clauses decided at least once, overall and per
// environment class (root, unprivileged, each namespace shape, seccomp). The exploration steers by
// it; campaigns report it and key their corpus by it. Sources: model/clauses.ts (effect rows).

import { ALL_CAPS, ALL_CLAUSES, type Env } from '../model';

const EFFECT_ROWS = new Set(ALL_CLAUSES.filter((c) => c.errno === null).map((c) => c.id));

/** What a decision covers: its deciding clause, and the effect rows (no errno) it applied on the way. */
export function coveredIds(trace: readonly string[]): string[] {
  const out = [trace[trace.length - 1]];
  for (const id of trace) if (EFFECT_ROWS.has(id) && !out.includes(id)) out.push(id);
  return out;
}

/** The environment class a generated environment falls in, for coverage per class. */
export function envClassOf(env: Env): string {
  if (env.seccomp.length > 0) return 'seccomp';
  if (env.creds.namespaces !== 'init') return `namespaces ${env.creds.namespaces}`;
  if (env.creds.caps === ALL_CAPS) return env.creds.uid === 0 ? 'root' : 'all caps, not uid 0';
  if (env.creds.caps === 0) return env.creds.uid === 0 ? 'uid 0, no caps' : 'unprivileged';
  return 'some caps';
}

/** Clauses decided at least once, overall and per environment class. */
export class Coverage {
  readonly covered = new Set<string>();
  readonly byClass = new Map<string, Set<string>>();

  /** Records a decision: its deciding clause, and effect rows it applied. */
  record(env: Env, trace: readonly string[]): void {
    const cls = envClassOf(env);
    let set = this.byClass.get(cls);
    if (set === undefined) {
      set = new Set();
      this.byClass.set(cls, set);
    }
    for (const id of coveredIds(trace)) {
      this.covered.add(id);
      set.add(id);
    }
  }

  toJSON(): { covered: string[]; byClass: Record<string, string[]> } {
    return { covered: [...this.covered], byClass: Object.fromEntries([...this.byClass].map(([k, v]) => [k, [...v]])) };
  }

  load(j: { covered?: string[]; byClass?: Record<string, string[]> }): void {
    for (const id of j.covered ?? []) this.covered.add(id);
    for (const [k, ids] of Object.entries(j.byClass ?? {})) this.byClass.set(k, new Set(ids));
  }
}
