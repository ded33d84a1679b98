// The order of a spec's errors. KAPI lists errors without an order, but where the stated causes
// of two errors hold at once the kernel returns one of them, always the same one for the same
// path: the order of the checks in __sys_socket(), __sock_create() and the family's ->create.
// A spec states the order it means in a constraint named "Error order" (or "Error precedence"),
// one chain per sentence, optionally for some families: "EINVAL before EAFNOSUPPORT;
// AF_PACKET: EPERM before ESOCKTNOSUPPORT; AF_INET/AF_INET6: EPROTONOSUPPORT before EPERM".
// A chain applies to the calls its guard admits; a pair of errors is stated where an applying
// chain names both.
// Sources: net/socket.c (__sys_socket, __sock_create), docs/kernel.md §10 (the clause order).

import { guardOf, type Predicate, type SpecInput } from './formalize';
import type { ParsedSpec } from './parse';

/** One stated chain: errors in the order the spec says the kernel checks them. */
export interface OrderChain {
  readonly line: number;
  readonly text: string;
  readonly errnos: readonly string[];
  /** The calls it speaks of; every call where absent. */
  readonly guard?: Predicate;
}

/** The chains of every "Error order" constraint; a sentence that is not a chain is left out. */
export function statedOrder(spec: ParsedSpec): OrderChain[] {
  const out: OrderChain[] = [];
  for (const c of spec.constraints) {
    if (!/^error (order|precedence)$/i.test(String(c.name ?? '').trim())) continue;
    for (const part of String(c.description ?? '').split(/;|\.(?:\s+|$)/).map((s) => s.trim()).filter((s) => s !== '')) {
      const g = guardOf(part);
      if (!/^E[A-Z0-9]+(\s+before\s+E[A-Z0-9]+)+$/.test(g.rest)) continue;
      const errnos = g.rest.split(/\s+before\s+/);
      out.push({ line: c.line, text: part, errnos, ...(g.guard !== undefined ? { guard: g.guard } : {}) });
    }
  }
  return out;
}

/** How the stated chains judge `winner` returned while a cause of `loser` held too: stated right, stated wrong (the chain), or not stated. */
export function judgeOrder(chains: readonly OrderChain[], x: SpecInput, winner: string, loser: string): { stated: 'right' } | { stated: 'wrong'; chain: OrderChain } | { stated: 'no' } {
  let right = false;
  for (const c of chains) {
    if (c.guard !== undefined && !c.guard(x)) continue;
    const w = c.errnos.indexOf(winner);
    const l = c.errnos.indexOf(loser);
    if (w < 0 || l < 0) continue;
    if (w > l) return { stated: 'wrong', chain: c };
    right = true;
  }
  return right ? { stated: 'right' } : { stated: 'no' };
}
