// One function builds the replay command, and what it prints replays: the jest hint of a failing
// property, a model property's `sockspec fuzz --replay-seed` line run through a shell, and a
// differential finding's `sockspec eval --compare` line, which shows the same disagreement again.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { PROPERTIES, replayCommand, runProperty, type PropertyDef } from '../../properties';
import { executorSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** A folder whose `sockspec` runs this build, to put first on PATH: the printed commands run as printed. */
function shim(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-shim-'));
  fs.writeFileSync(path.join(dir, 'sockspec'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 });
  return dir;
}

function sh(command: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', env: { ...process.env, PATH: `${shim()}:${process.env.PATH}` } });
}

describe('replay commands', () => {
  it('a failing property reports the command that replays it, with its seed and path', () => {
    const broken: PropertyDef = { id: 'P-TEST-BROKEN', title: 'never above 100', build: () => fc.property(fc.integer(), (n) => n <= 100) };
    const r = runProperty(broken, { seed: 42, numRuns: 100 });
    expect(r.failed).toBe(true);
    expect(r.replay).toBe(replayCommand({ property: 'P-TEST-BROKEN', seed: 42, path: r.path }));
    expect(r.replay).toBe(`sockspec fuzz --replay-seed 42 --properties P-TEST-BROKEN --path "${r.path}"`);
    // Replaying the path gives the same shrunk counterexample.
    const again = runProperty(broken, { seed: 42, numRuns: 100, path: r.path });
    expect(again.counterexample).toBe(r.counterexample);
  });

  it("a model property's printed command runs it again on the command line, with the same seed and runs", () => {
    const p = PROPERTIES.find((x) => (x.kind ?? 'model') === 'model') as PropertyDef;
    const r = runProperty(p, { seed: 7, numRuns: 200 });
    expect(r.failed).toBe(false);
    const out = sh(`${replayCommand({ property: p.id, seed: 7 })} --runs 200`);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(`${p.id}: no failure with seed 7\n`);
    expect(out.status).toBe(0);
    // A property the CLI cannot replay this way is refused by name.
    const bad = sh(replayCommand({ property: 'P-NO-SUCH', seed: 7 }));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--properties: with --replay-seed, name exactly one model property/);
  });

  const why = executorSkipReason();
  (why === '' ? it : it.skip)(`a differential finding's printed command shows the disagreement again${why ? ` — skipped: ${why}` : ''}`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-replay-'));
    const r = spawnSync(process.execPath, [bin, 'fuzz', '--seed', '9', '--kernel', 'debian-6.1', '--properties', 'P-MODEL-EQ-KERNEL', '--runs', '500', '--workers', '1', '--out', dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const line = /replay: (echo .* \| sockspec eval --compare)$/m.exec(r.stdout);
    expect(line).not.toBeNull();
    const out = sh((line as RegExpExecArray)[1]);
    // The disagreement shown again is a finding: eval --compare exits 1 on a mismatch.
    expect(out.status).toBe(1);
    const res = JSON.parse(out.stdout) as { mismatch: boolean; kernel: unknown; result: string };
    expect(res.mismatch).toBe(true);
    const finding = JSON.parse(fs.readFileSync(path.join(dir, 'findings.jsonl'), 'utf8').split('\n')[0]) as { model: string };
    expect(res.result).toBe(finding.model);
  }, 120000);
});
