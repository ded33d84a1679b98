// The benchmark cases, grouped in suites, each with the baseline its figure is divided by. Cases
// are plain functions so the same definitions run under benny (`npm run bench`) and once each in
// the smoke test. Sources: bench/workload.ts.

import fc from 'fast-check';
import { evaluateOutcome, seccompDataFor } from '../model';
import { compileBpf, encodeSeccompData, runBpf } from '../model/seccomp/bpf';
import { bpfToJs } from '../model/seccomp/jit';
import { callArb, commandsArb, envArb } from '../generators';
import { BENCH_FAMILIES, dockerStack, familyInputs, mixedInputs, SEED, threeRawFilters } from './workload';

/** One benchmark case: `fn` is one operation; `unit` says what one operation is. */
export interface BenchCase {
  readonly name: string;
  readonly fn: () => void;
  readonly unit: string;
  /** Operations one call of `fn` stands for (a case may batch). */
  readonly opsPerCall?: number;
}

export interface BenchSuite {
  readonly name: string;
  readonly cases: readonly BenchCase[];
}

let sink = 0;
/** Keeps results alive so the JIT cannot drop the work. */
export function sinkValue(): number {
  return sink;
}

function evalCase(name: string, ring: ReturnType<typeof mixedInputs>): BenchCase {
  return {
    name,
    unit: 'evaluate',
    fn: () => {
      const [c, e] = ring.next();
      sink += evaluateOutcome(c, e).kind.length;
    },
  };
}

/** The validator core: evaluate on the realistic mix, per family, with seccomp stacks; BPF alone. */
export function coreSuite(): BenchSuite {
  const docker = dockerStack();
  const three = threeRawFilters();
  const prog = compileBpf(docker[0].prog);
  const data = mixedInputs().items.slice(0, 256).map(([c]) => encodeSeccompData(seccompDataFor(c), new Uint32Array(16)));
  const jitted = bpfToJs(docker[0].prog);
  let i = 0;
  let j = 0;
  return {
    name: 'validator core',
    cases: [
      evalCase('evaluate, realistic mix, no seccomp', mixedInputs()),
      evalCase('evaluate, realistic mix, docker-2026 preset', mixedInputs(docker)),
      evalCase('evaluate, realistic mix, three raw filters', mixedInputs(three)),
      ...BENCH_FAMILIES.map(([n, f]) => evalCase(`evaluate, ${n} only`, familyInputs(f))),
      {
        name: 'BPF interpreter alone, docker-2026 program',
        unit: 'program run',
        fn: () => {
          sink += runBpf(prog, data[i]);
          i = (i + 1) & 255;
        },
      },
      {
        name: 'BPF translated to JavaScript, docker-2026 program',
        unit: 'program run',
        fn: () => {
          sink += jitted(data[j]);
          j = (j + 1) & 255;
        },
      },
    ],
  };
}

/** The property loop: fast-check with the model's predicate against a trivial one, same arbitraries. */
export function propertySuite(): BenchSuite {
  const runs = 200;
  const arbs = [callArb(), envArb()] as const;
  let seed = SEED;
  return {
    name: 'property loop',
    cases: [
      {
        name: 'fast-check, trivial predicate',
        unit: 'run',
        opsPerCall: runs,
        fn: () => { fc.assert(fc.property(arbs[0], arbs[1], () => true), { seed: seed++, numRuns: runs }); },
      },
      {
        name: "fast-check, the model's evaluate as predicate",
        unit: 'run',
        opsPerCall: runs,
        fn: () => { fc.assert(fc.property(arbs[0], arbs[1], (c, e) => { sink += evaluateOutcome(c, e).kind.length; }), { seed: seed++, numRuns: runs }); },
      },
    ],
  };
}

/** The generators alone. */
export function generatorSuite(): BenchSuite {
  const n = 100;
  let seed = SEED;
  return {
    name: 'generators',
    cases: [
      { name: 'callArb', unit: 'value', opsPerCall: n, fn: () => { sink += fc.sample(callArb(), { seed: seed++, numRuns: n }).length; } },
      { name: 'envArb', unit: 'value', opsPerCall: n, fn: () => { sink += fc.sample(envArb(), { seed: seed++, numRuns: n }).length; } },
      { name: 'commandsArb (socket/close sequences)', unit: 'sequence', opsPerCall: n, fn: () => { sink += fc.sample(commandsArb(), { seed: seed++, numRuns: n }).length; } },
    ],
  };
}

export const SUITES: ReadonlyArray<() => BenchSuite> = [coreSuite, propertySuite, generatorSuite];
