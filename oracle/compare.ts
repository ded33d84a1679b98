// The pure comparator: the model's outcome against the kernel's for one call, as typed mismatches.
// A kernel result that could not be observed (timeout, not run) is its own kind, never a match.
// Sources: docs/architecture.md "Data flow" (differential: model ≡ kernel).

import type { Outcome, PairEnd } from '../model';

/** Why two outcomes differ. */
export type Mismatch =
  | { readonly kind: 'result'; readonly model: string; readonly kernel: string }
  | { readonly kind: 'fd'; readonly model: number; readonly kernel: number; readonly end?: 0 | 1 }
  | { readonly kind: 'flags'; readonly field: 'cloexec' | 'nonblock'; readonly model: boolean; readonly kernel: boolean; readonly end?: 0 | 1 }
  | { readonly kind: 'sockopt'; readonly field: 'domain' | 'sotype' | 'soprotocol'; readonly model: number; readonly kernel: number; readonly end?: 0 | 1 }
  | { readonly kind: 'sv'; readonly model: readonly number[]; readonly kernel: readonly number[] }
  | { readonly kind: 'unobserved'; readonly reason: string };

/**
 * What the oracle saw for one call: an outcome, or why there is none. `unavailable`: the kernel
 * cannot run the call here (an entry path it lacks); `lost`: the oracle lost the answer (its
 * executor died twice), which says nothing about the kernel.
 */
export type Observation =
  | { readonly outcome: Outcome }
  | { readonly unobserved: string; readonly unavailable?: true; readonly lost?: true };

/** The short result string: `ok`, an errno name, `ret:N`, `killed:SIGSYS`. */
export function shortResult(o: Outcome): string {
  switch (o.kind) {
    case 'fd': case 'pair': return 'ok';
    case 'errno': return o.errno;
    case 'ret': return `ret:${o.value}`;
    case 'killed': return `killed:${o.signal}`;
  }
}

/**
 * Every difference between the model's and the kernel's outcome; empty when they agree.
 * @example compareOutcomes({ kind: 'errno', errno: 'EPERM' }, { outcome: { kind: 'errno', errno: 'EACCES' } })
 */
export function compareOutcomes(model: Outcome, kernel: Observation): Mismatch[] {
  if ('unobserved' in kernel) return [{ kind: 'unobserved', reason: kernel.unobserved }];
  const k = kernel.outcome;
  if (shortResult(model) !== shortResult(k) || model.kind !== k.kind) {
    return [{ kind: 'result', model: shortResult(model), kernel: shortResult(k) }];
  }
  if (model.kind === 'errno' && k.kind === 'errno') {
    const a = model.sv ?? [];
    const b = k.sv ?? [];
    return a.length === b.length && a.every((x, i) => x === b[i]) ? [] : [{ kind: 'sv', model: a, kernel: b }];
  }
  if (model.kind === 'fd' && k.kind === 'fd') return compareEnds(model, k);
  if (model.kind === 'pair' && k.kind === 'pair') return [...compareEnds(model.ends[0], k.ends[0], 0), ...compareEnds(model.ends[1], k.ends[1], 1)];
  return [];
}

type End = Pick<PairEnd, 'fd' | 'cloexec' | 'nonblock' | 'domain' | 'sotype' | 'soprotocol'>;

function compareEnds(model: End, k: End, end?: 0 | 1): Mismatch[] {
  const at = end === undefined ? {} : { end };
  const out: Mismatch[] = [];
  if (model.fd !== k.fd) out.push({ kind: 'fd', model: model.fd, kernel: k.fd, ...at });
  for (const field of ['cloexec', 'nonblock'] as const) {
    if (model[field] !== k[field]) out.push({ kind: 'flags', field, model: model[field], kernel: k[field], ...at });
  }
  for (const field of ['domain', 'sotype', 'soprotocol'] as const) {
    if (model[field] !== k[field]) out.push({ kind: 'sockopt', field, model: model[field], kernel: k[field], ...at });
  }
  return out;
}

function endOf(m: { end?: 0 | 1 }): string {
  return m.end === undefined ? '' : `sv[${m.end}] `;
}

/** One line per mismatch, for reports. */
export function describeMismatch(m: Mismatch): string {
  switch (m.kind) {
    case 'result': return `model ${m.model}, kernel ${m.kernel}`;
    case 'fd': return `${endOf(m)}model fd ${m.model}, kernel fd ${m.kernel}`;
    case 'flags': return `${endOf(m)}${m.field}: model ${m.model}, kernel ${m.kernel}`;
    case 'sockopt': return `${endOf(m)}${m.field}: model ${m.model}, kernel ${m.kernel}`;
    case 'sv': return `sv left after the failure: model [${m.model.join(', ')}], kernel [${m.kernel.join(', ')}]`;
    case 'unobserved': return `kernel result unobserved: ${m.reason}`;
  }
}
