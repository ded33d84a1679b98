// The golden corpus: test/corpus/*.jsonl pin the model to the kernel facts of
// docs/kernel.md (§3-§7, §10) and docs/seccomp.md (§5, §7). Each line is one
// call in the eval contract with its expected result, written from the documents and not from the
// model. This file runs every line through parseRequest + evaluate, then checks that every clause
// of the model decides at least one line.

import * as fs from 'fs';
import * as path from 'path';
import { parseRequest, resultObject } from '../../contract';
import { ALL_CLAUSES, evaluate, PROFILES, type Decision, type KernelProfile } from '../../model';

const CORPUS_DIR = path.join(__dirname, '..', 'corpus');

/** The profile name corpus lines use for families no shipped profile registers. */
const ALL_FAMILIES_NAME = 'test-all-families';

const reference = PROFILES.find((p) => p.name === 'reference-6.18') as KernelProfile;

/**
 * reference-6.18 plus every family the model has a table for, with the CAN and Bluetooth protocols
 * a typical distro kernel registers: CAN_RAW is SOCK_RAW, BCM, ISOTP and J1939 are SOCK_DGRAM;
 * Bluetooth L2CAP, HCI, SCO, RFCOMM, BNEP, CMTP, HIDP and ISO (not AVDTP, 7).
 */
const allFamilies: KernelProfile = {
  ...reference,
  name: ALL_FAMILIES_NAME,
  description: 'test only: reference-6.18 with every family the model knows registered',
  families: [1, 2, 10, 15, 16, 17, 21, 29, 30, 31, 38, 40, 41, 42, 43, 44, 45],
  can: { 1: 3, 2: 2, 6: 2, 7: 2 },
  bluetooth: [0, 1, 2, 3, 4, 5, 6, 8],
  sources: ['test/model/corpus.test.ts'],
};

/** Optional success expectations and the result-object field each one checks. */
const EXTRA_EXPECTATIONS: ReadonlyArray<readonly [string, string]> = [
  ['expectFd', 'fd'],
  ['expectCloexec', 'cloexec'],
  ['expectNonblock', 'nonblock'],
  ['expectDomain', 'domain'],
  ['expectSotype', 'sotype'],
  ['expectSoprotocol', 'soprotocol'],
  ['expectFds', 'fds'],
  ['expectEnds', 'ends'],
];
/** Expectations any line may carry: what a failed socketpair left in sv. */
const ANY_EXPECTATIONS: ReadonlyArray<readonly [string, string]> = [['expectSv', 'sv']];

interface CorpusLine {
  readonly file: string;
  readonly lineNo: number;
  readonly text: string;
  readonly obj: Record<string, unknown>;
  readonly id: string;
}

function loadCorpus(): CorpusLine[] {
  const files = fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.jsonl')).sort();
  const out: CorpusLine[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not JSON: ${(e as Error).message}`);
      }
      out.push({ file, lineNo: i + 1, text, obj, id: String(obj.id ?? `${file}:${i + 1}`) });
    });
  }
  return out;
}

/** Parses a line against its profile ("test-all-families" is stripped and supplied here). */
function decide(line: CorpusLine): { decision: Decision; result: Record<string, unknown> } {
  let text = line.text;
  let profile = reference;
  if (line.obj.kernel === ALL_FAMILIES_NAME) {
    const { kernel: _dropped, ...rest } = line.obj;
    text = JSON.stringify(rest);
    profile = allFamilies;
  }
  const req = parseRequest(text, profile);
  const decision = evaluate(req.call, req.env);
  return { decision, result: resultObject(req.id, decision) };
}

const corpus = loadCorpus();

describe('golden corpus files', () => {
  test('there are corpus lines, each with a unique id named after its file, an expectation and a reason', () => {
    expect(corpus.length).toBeGreaterThan(0);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const l of corpus) {
      const base = l.file.replace(/\.jsonl$/, '');
      if (typeof l.obj.id !== 'string' || !l.obj.id.startsWith(`${base}-`)) problems.push(`${l.file}:${l.lineNo}: id ${JSON.stringify(l.obj.id)} does not start with "${base}-"`);
      if (seen.has(l.id)) problems.push(`${l.file}:${l.lineNo}: duplicate id ${l.id}`);
      seen.add(l.id);
      if (typeof l.obj.expect !== 'string') problems.push(`${l.id}: missing "expect"`);
      if (typeof l.obj.why !== 'string' || l.obj.why.trim() === '') problems.push(`${l.id}: missing "why"`);
      for (const [key] of EXTRA_EXPECTATIONS) {
        if (key in l.obj && l.obj.expect !== 'ok') problems.push(`${l.id}: ${key} on a line that does not expect "ok"`);
      }
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
});

describe.each(Array.from(new Set(corpus.map((l) => l.file))))('%s', (file) => {
  const lines = corpus.filter((l) => l.file === file);
  test.each(lines.map((l) => [l.id, l] as const))('%s', (_id, line) => {
    const { decision, result } = decide(line);
    const mismatches: string[] = [];
    if (result.result !== line.obj.expect) {
      mismatches.push(`result: expected ${JSON.stringify(line.obj.expect)}, got ${JSON.stringify(result.result)}`);
    }
    for (const [key, field] of [...EXTRA_EXPECTATIONS, ...ANY_EXPECTATIONS]) {
      if (!(key in line.obj)) continue;
      if (JSON.stringify(result[field]) !== JSON.stringify(line.obj[key])) {
        mismatches.push(`${field}: expected ${JSON.stringify(line.obj[key])}, got ${JSON.stringify(result[field])}`);
      }
    }
    if (mismatches.length > 0) {
      throw new Error(
        [
          `${line.file}:${line.lineNo} ${line.id}`,
          `  line:     ${line.text}`,
          ...mismatches.map((m) => `  ${m}`),
          `  actual:   ${JSON.stringify(result)}`,
          `  trace:    ${decision.trace.join(' -> ')}`,
          `  why:      ${String(line.obj.why)}`,
        ].join('\n'),
      );
    }
  });
});

describe('clause coverage', () => {
  /** Effect rows: they never decide; they must show up in some trace. */
  const EFFECT_ROWS = ['G4-inet-packet', 'unix-raw-as-dgram'];
  /** Seccomp verdicts that let the call run: they show up in the trace of a successful call. */
  const PASS_THROUGH = ['seccomp-allow', 'seccomp-log'];

  test('every clause decides at least one corpus line (effect and pass-through rows appear in a trace)', () => {
    const deciding = new Set<string>();
    const traced = new Set<string>();
    const tracedInSuccess = new Set<string>();
    const errors: string[] = [];
    for (const line of corpus) {
      try {
        const { decision } = decide(line);
        const t = decision.trace;
        if (t.length > 0) deciding.add(t[t.length - 1]);
        for (const id of t) traced.add(id);
        if (decision.outcome.kind === 'fd' || decision.outcome.kind === 'pair') for (const id of t) tracedInSuccess.add(id);
      } catch (e) {
        errors.push(`${line.id}: ${(e as Error).message}`);
      }
    }
    const uncovered: string[] = [];
    for (const c of ALL_CLAUSES) {
      if (EFFECT_ROWS.includes(c.id)) {
        if (!traced.has(c.id)) uncovered.push(`${c.id} (effect row, in no trace)`);
      } else if (PASS_THROUGH.includes(c.id)) {
        if (!tracedInSuccess.has(c.id)) uncovered.push(`${c.id} (in no trace of a successful call)`);
      } else if (!deciding.has(c.id)) {
        uncovered.push(`${c.id} [${c.group}] (decides no line)`);
      }
    }
    if (errors.length > 0 || uncovered.length > 0) {
      throw new Error([
        ...(errors.length > 0 ? ['lines that failed to evaluate:', ...errors.map((e) => `  ${e}`)] : []),
        ...(uncovered.length > 0 ? [`uncovered clauses (${uncovered.length}):`, ...uncovered.map((u) => `  ${u}`)] : []),
      ].join('\n'));
    }
  });
});
