// `sockspec spec check`: the RFC spec's contradictions by class, zero for a spec written from the
// model, exactly the planted ones in a mutated copy, and (on a machine that can run the executor)
// every counter-example confirmed on the kernel with a reproducer that compiles and reproduces.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reference618 } from '../../model';
import { specCheck } from '../../cli/spec-check';
import { HostOracle } from '../../oracle/host';
import { executorSkipReason } from '../helpers';
import { probeHostProfile } from '../../oracle/probe';

const FIX = path.join(__dirname, '..', 'fixtures');
const RFC = path.join(FIX, 'kapi-socket-rfc-v2.eml');
const AGREES = path.join(FIX, 'kapi-socket-agrees.c');
const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-speccheck-'));

describe('spec check against the model', () => {
  it('finds the RFC spec contradictions, once each, by class', async () => {
    const s = await specCheck(RFC, reference618, undefined, undefined, Date.now);
    expect(s.byClass).toEqual({ 'cause-holds-other': 3, 'cause-absent': 2, 'unlisted-errno': 3, 'capability-condition': 1, 'never-produced': 3 });
    expect([s.formalized, s.informal]).toEqual([13, 14]);
    const titles = s.contradictions.map((c) => c.title);
    expect(titles).toContain('the kernel returns ENODEV, which the spec does not list');
    expect(titles).toContain('EACCES is returned although none of its stated causes holds');
    expect(titles).toContain('EFAULT is listed, but no input makes the kernel return it (no clause of the model returns it)');
    const cap = s.contradictions.find((c) => c.class === 'capability-condition');
    expect(cap?.counterexample).toBe('socket(AF_UNIX, SOCK_RAW, 0) = 3');
    expect(cap?.specLines).toEqual([472]);
    expect(s.contradictions.every((c) => c.kernel === null && c.confirmed === false)).toBe(true);
  }, 60000);

  it('finds nothing in a spec written from the model', async () => {
    const s = await specCheck(AGREES, reference618, undefined, undefined, Date.now);
    expect(s.contradictions).toEqual([]);
  }, 60000);

  it('finds exactly the contradictions planted in a mutated copy', async () => {
    const text = fs.readFileSync(AGREES, 'utf8')
      .replace(/\tKAPI_ERROR\(6, -ENODEV[\s\S]*?\)\n/, '')
      .replace('"(type & SOCK_TYPE_MASK) >= SOCK_MAX (11); "', '"type >= SOCK_MAX (11); "')
      .replace('\tKAPI_ERROR_COUNT(10)', '\tKAPI_ERROR(10, -EFAULT, "EFAULT", "Bad address", "Listed for completeness.")\n\tKAPI_ERROR_COUNT(10)');
    const file = path.join(tmp(), 'mutated.c');
    fs.writeFileSync(file, text);
    const s = await specCheck(file, reference618, undefined, undefined, Date.now);
    expect(s.contradictions.map((c) => `${c.class}: ${c.title}`).sort()).toEqual([
      'cause-holds-other: the cause "type >= SOCK_MAX (11)" of EINVAL holds, yet the kernel returns ok',
      'never-produced: EFAULT is listed, but no input makes the kernel return it (no clause of the model returns it)',
      'unlisted-errno: the kernel returns ENODEV, which the spec does not list',
    ]);
  }, 60000);
});

const why = executorSkipReason();
(why === '' ? describe : describe.skip)(`spec check confirmed on the host kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  it('confirms every counter-example on the kernel and writes reproducers that reproduce', async () => {
    const oracle = await HostOracle.start();
    try {
      const dir = tmp();
      const s = await specCheck(RFC, await probeHostProfile(oracle), oracle, dir, Date.now);
      const withCall = s.contradictions.filter((c) => c.counterexample !== '-');
      expect(withCall.length).toBeGreaterThan(5);
      for (const c of withCall) {
        expect(c.kernel).toBe(c.model);
        expect(c.confirmed).toBe(true);
      }
      expect(s.contradictions.filter((c) => c.counterexample === '-').every((c) => !c.confirmed)).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'spec-check.md'), 'utf8')).toContain('confirmed: yes');
      const repro = withCall.find((c) => c.reproducer !== null)?.reproducer as string;
      const exe = path.join(dir, 'repro');
      expect(spawnSync('cc', ['-o', exe, repro], { encoding: 'utf8' }).status).toBe(0);
      const r = spawnSync(exe, [], { encoding: 'utf8' });
      expect(r.stdout).toMatch(/^sockspec-repro call=0 ret=\S+ result=\S+ expected=E[A-Z]+\n$/);
      expect(r.status).toBe(1);
    } finally {
      await oracle.close();
    }
  }, 120000);

  it('sockspec spec check --json prints the summary and exits 1', () => {
    const r = spawnSync(process.execPath, [bin, 'spec', 'check', RFC, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ oracle: 'host', kernel: 'host', formalized: 13, informal: 14 });
    for (const c of s.contradictions) for (const k of ['class', 'title', 'specLines', 'counterexample', 'kernel', 'confirmed']) expect(c).toHaveProperty(k);
  }, 120000);
});
