// A verdict cache per filter stack, keyed on the seccomp_data words the stack's programs can
// load (their `ld [k]` offsets): every other input of a verified program is a constant, so two
// calls that agree on those words get the same verdict. Kernel sources: kernel/seccomp.c
// (seccomp_check_filter: the only data loads are aligned words of seccomp_data).

import { checkFilter, runBpf, type BpfInsn, type SeccompWords } from './bpf';
import { actionOnly, SECCOMP_RET_ALLOW } from './actions';

/** Entries per stack, direct-mapped. @example cachedStackVerdict(stack, words) */
export const CACHE_SIZE = 1024;

/** Uses of a stack before its cache is built (the build verifies every program). @example CACHE_AFTER */
export const CACHE_AFTER = 100;

interface VerdictCache {
  /** Word indexes the stack can read. */
  readonly at: Int32Array;
  readonly keys: Uint32Array;
  readonly vals: Uint32Array;
  readonly used: Uint8Array;
}

const caches = new WeakMap<readonly { readonly prog: readonly BpfInsn[] }[], VerdictCache | null | number>();

function uncached(filters: readonly { readonly prog: readonly BpfInsn[] }[], words: SeccompWords): number {
  let ret = SECCOMP_RET_ALLOW;
  for (let i = filters.length - 1; i >= 0; i--) {
    const cur = runBpf(filters[i].prog, words);
    if (actionOnly(cur) < actionOnly(ret)) ret = cur;
  }
  return ret;
}

function build(filters: readonly { readonly prog: readonly BpfInsn[] }[]): VerdictCache | null {
  const read = new Set<number>();
  for (const f of filters) {
    if (checkFilter(f.prog) !== null) return null;
    for (const [code, , , k] of f.prog) if (code === 0x20) read.add((k >>> 0) >>> 2);
  }
  const at = Int32Array.from([...read].sort((p, q) => p - q));
  return { at, keys: new Uint32Array(CACHE_SIZE * at.length), vals: new Uint32Array(CACHE_SIZE), used: new Uint8Array(CACHE_SIZE) };
}

/**
 * The stack's verdict for `words`, as stackVerdict computes it, remembered per stack (by
 * identity) and per value of the words the stack reads.
 *
 * @example
 * cachedStackVerdict([{ prog: [[0x06, 0, 0, 0x00050001]] }], words); // 0x00050001
 */
export function cachedStackVerdict(filters: readonly { readonly prog: readonly BpfInsn[] }[], words: SeccompWords): number {
  let c = caches.get(filters);
  if (c === undefined || typeof c === 'number') {
    const uses = (c ?? 0) + 1;
    if (uses < CACHE_AFTER) {
      caches.set(filters, uses);
      return uncached(filters, words);
    }
    c = build(filters);
    caches.set(filters, c);
  }
  if (c === null) return uncached(filters, words);
  const { at, keys, vals, used } = c;
  const n = at.length;
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ words[at[i]], 0x01000193);
  h ^= h >>> 15;
  const slot = h & (CACHE_SIZE - 1);
  const base = slot * n;
  if (used[slot] === 1) {
    let i = 0;
    while (i < n && keys[base + i] === words[at[i]]) i++;
    if (i === n) return vals[slot];
  }
  const ret = uncached(filters, words);
  for (let i = 0; i < n; i++) keys[base + i] = words[at[i]];
  vals[slot] = ret;
  used[slot] = 1;
  return ret;
}
