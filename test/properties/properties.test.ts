// Every registered property against the model, with a fixed printed seed and at least 10,000 runs
// (SOCKSPEC_SEED and SOCKSPEC_RUNS override both). A failure prints the seed and the replay path.

import { PROPERTIES, runProperty } from '../../properties';

const seed = Number(process.env.SOCKSPEC_SEED ?? 0x50cce7);
const numRuns = Number(process.env.SOCKSPEC_RUNS ?? 10000);

describe(`properties (seed ${seed}, ${numRuns} runs each)`, () => {
  it('has unique stable ids', () => {
    const ids = PROPERTIES.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^P-[A-Z0-9-]+$/);
  });

  // The differential needs the kernel: test/oracle/differential.test.ts runs it.
  for (const p of PROPERTIES.filter((x) => x.kind !== 'kernel')) {
    it(`${p.id}: ${p.title}`, () => {
      const r = runProperty(p, { seed, numRuns });
      if (r.failed) {
        throw new Error(
          `${p.id} failed after ${r.runs} runs\n  replay: SOCKSPEC_SEED=${seed} npx jest test/properties, or ${r.replay}\n` +
          `  counterexample: ${r.counterexample}\n${r.error}`,
        );
      }
      expect(r.runs).toBe(numRuns);
    });
  }
});
