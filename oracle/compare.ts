// The pure comparator: the model's outcome against the kernel's for one call, as typed mismatches.
// A kernel result that could not be observed (timeout, not run) is its own kind, never a match.
// Sources: docs/architecture.md "Data flow" (differential: model ≡ kernel).

import type { Outcome } from '../model';

/** Why two outcomes differ. */
export type Mismatch =
  | { readonly kind: 'result'; readonly model: string; readonly kernel: string }
  | { readonly kind: 'fd'; readonly model: number; readonly kernel: number }
  | { readonly kind: 'flags'; readonly field: 'cloexec' | 'nonblock'; readonly model: boolean; readonly kernel: boolean }
  | { readonly kind: 'sockopt'; readonly field: 'domain' | 'sotype' | 'soprotocol'; readonly model: number; readonly kernel: number }
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
    case 'fd': return 'ok';
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
  if (shortResult(model) !== shortResult(k)) return [{ kind: 'result', model: shortResult(model), kernel: shortResult(k) }];
  if (model.kind !== 'fd' || k.kind !== 'fd') return [];
  const out: Mismatch[] = [];
  if (model.fd !== k.fd) out.push({ kind: 'fd', model: model.fd, kernel: k.fd });
  for (const field of ['cloexec', 'nonblock'] as const) {
    if (model[field] !== k[field]) out.push({ kind: 'flags', field, model: model[field], kernel: k[field] });
  }
  for (const field of ['domain', 'sotype', 'soprotocol'] as const) {
    if (model[field] !== k[field]) out.push({ kind: 'sockopt', field, model: model[field], kernel: k[field] });
  }
  return out;
}

/** One line per mismatch, for reports. */
export function describeMismatch(m: Mismatch): string {
  switch (m.kind) {
    case 'result': return `model ${m.model}, kernel ${m.kernel}`;
    case 'fd': return `model fd ${m.model}, kernel fd ${m.kernel}`;
    case 'flags': return `${m.field}: model ${m.model}, kernel ${m.kernel}`;
    case 'sockopt': return `${m.field}: model ${m.model}, kernel ${m.kernel}`;
    case 'unobserved': return `kernel result unobserved: ${m.reason}`;
  }
}
