// Memory over a long model-only campaign, in a process of its own so that nothing else the
// benchmark did is in its heap: the property loop with the model's predicate, RSS sampled after
// each million runs (after a GC when node runs with --expose-gc). Prints one JSON object. Run it
// with a fixed young generation (--min/--max-semi-space-size): V8 otherwise doubles its semi-spaces
// when it sees fit, which moves RSS by ~17 MiB while the heap in use stays flat.

import fc from 'fast-check';
import { evaluateOutcome } from '../model';
import { callArb, envArb } from '../generators';
import { SEED } from './workload';

/** Runs `total` property runs and returns RSS and heap in use (bytes) after each million. */
export function memoryCampaign(total: number): { rss: number[]; heap: number[] } {
  const envs = fc.sample(envArb({ seccomp: false }), { seed: SEED, numRuns: 64 });
  const prop = fc.property(callArb(), fc.constantFrom(...envs), (c, e) => evaluateOutcome(c, e).kind.length > 0);
  const chunk = 1_000_000;
  const rss: number[] = [];
  const heap: number[] = [];
  for (let done = 0; done < total; done += chunk) {
    fc.assert(prop, { seed: SEED + done, numRuns: Math.min(chunk, total - done) });
    global.gc?.();
    const m = process.memoryUsage();
    rss.push(m.rss);
    heap.push(m.heapUsed);
  }
  return { rss, heap };
}

if (require.main === module) {
  const total = Number(process.argv[2] ?? 10_000_000);
  const t0 = Date.now();
  const { rss, heap } = memoryCampaign(total);
  process.stdout.write(`${JSON.stringify({ runs: total, rss, heap, seconds: (Date.now() - t0) / 1000, gc: typeof global.gc === 'function' })}\n`);
}
