// `sockspec spec fix`: the RFC spec's fix is a patch git applies, after which the spec checks
// clean on the kernel it was made for; a spec already in agreement gets no patch; bad flags are
// refused before any work. (The fix for the host and both Debian kernels in QEMU is measured in
// the closing note: it takes minutes.)

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reference618 } from '../../model';
import { specCheck } from '../../engine/spec-check';
import { specFix } from '../../engine/spec-fix';

const root = path.join(__dirname, '..', '..');
const FIX = path.join('test', 'fixtures');
const RFC = path.join(FIX, 'kapi-socket-rfc-v2.eml');
const AGREES = path.join(FIX, 'kapi-socket-agrees.c');
const bin = path.join(root, 'dist', 'cli', 'main.js');
const model = [{ name: 'reference-6.18', profile: reference618 }];

describe('spec fix', () => {
  const cwd = process.cwd();
  beforeAll(() => process.chdir(root));
  afterAll(() => process.chdir(cwd));

  it('writes a patch git applies, after which the RFC spec checks clean', async () => {
    const r = specFix(RFC, model, Date.now);
    expect(r.left).toEqual([]);
    expect(r.patch.startsWith(`diff --git a/${RFC} b/${RFC}\n--- a/${RFC}\n+++ b/${RFC}\n@@ `)).toBe(true);
    expect(r.errorsRemoved).toEqual(['EAGAIN', 'EINTR']);
    expect([...r.errorsAdded].sort()).toEqual(['ENODEV', 'ENOPROTOOPT']);
    // Causes that read the environment or the kernel's tables stay in words, each with its reason.
    expect(r.informal.map((i) => i.clause)).toEqual(expect.arrayContaining(['inet-ping-group', 'G14-file-max', 'G13-rlimit', 'vsock-dgram-transport']));
    expect(r.order.length).toBeGreaterThan(0);
    // git takes it: a copy of the fixture at the same path in a fresh repository.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-fix-'));
    fs.mkdirSync(path.join(dir, FIX), { recursive: true });
    fs.copyFileSync(RFC, path.join(dir, RFC));
    fs.writeFileSync(path.join(dir, 'fix.patch'), r.patch);
    const git = (...args: string[]): { status: number | null; stderr: string } => spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    expect(git('init', '-q').status).toBe(0);
    expect(git('apply', '--check', 'fix.patch')).toMatchObject({ status: 0, stderr: '' });
    expect(git('apply', 'fix.patch').status).toBe(0);
    // The embedded patch's hunk still counts its lines.
    const fixed = fs.readFileSync(path.join(dir, RFC), 'utf8');
    const hunk = /^@@ -1692,6 \+1694,(\d+) @@/m.exec(fixed);
    const body = fixed.split('\n').slice(fixed.split('\n').findIndex((l) => l.startsWith('@@ -1692')) + 1);
    expect(Number(hunk?.[1])).toBe(body.findIndex((l) => !/^[+ -]/.test(l) || l.startsWith('-- ')));
    const s = await specCheck(path.join(dir, RFC), model, undefined, Date.now);
    expect(s.contradictions.map((c) => c.title)).toEqual([]);
    expect(s.enforcement).toEqual([]);
    expect(s.formalized).toBeGreaterThan(40); // the input has 40
  }, 600000);

  it('leaves a spec the kernel agrees with as it is', () => {
    const r = specFix(AGREES, model, Date.now);
    expect([r.patch, r.left, r.rounds]).toEqual(['', [], 0]);
  }, 120000);

  it('sockspec spec fix -o writes the patch, says what it did, and refuses bad flags with exit 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-fix-cli-'));
    const out = path.join(dir, 'fix.patch');
    const r = spawnSync(process.execPath, [bin, 'spec', 'fix', AGREES, '--oracle', 'none', '--kernel', 'reference-6.18', '-o', out], { cwd: root, encoding: 'utf8' });
    expect(`${r.status} ${r.stderr}`).toMatch(/^0 sockspec spec fix: .* 0 checks of the fixed text.*The fixed spec checks clean on every kernel\.\n$/s);
    expect(fs.readFileSync(out, 'utf8')).toBe('');
    for (const [args, message] of [
      [['--oracle', 'qemu'], /--oracle: expected host, vm, host,vm or none/],
      [['--kernel-image', 'debian-6.12'], /--kernel-image: only with --oracle vm/],
    ] as Array<[string[], RegExp]>) {
      const bad = spawnSync(process.execPath, [bin, 'spec', 'fix', AGREES, ...args], { cwd: root, encoding: 'utf8' });
      expect(`${args.join(' ')}: ${bad.status}`).toBe(`${args.join(' ')}: 2`);
      expect(bad.stderr).toMatch(message);
    }
  }, 120000);
});
