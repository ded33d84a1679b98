// Campaigns on a kernel image, as a nightly user runs them (the short version of issue 16's
// "done means"): `sockspec fuzz --oracle vm --kernel-image debian-6.12` with two workers, each
// keeping its own guest up, reports its runs, the calls made in the guests and the boots, and no
// finding; the same against the debian-6.1 profile (the wrong one) finds the IPPROTO_SMC
// difference, whose C reproducer exits 1 on 6.12 and 0 on 6.1 in QEMU and whose printed eval line
// replays it; a VM campaign killed mid-run resumes to exactly the uninterrupted outputs; bad VM
// flags exit 2. Skipped only where the machine lacks QEMU or the Debian tools.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchKernel } from '../../oracle/kernels';
import { staticElf, staticExecutorPath } from '../../oracle/vm/runner';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['qemu-system-x86_64', 'apt-get', 'dpkg-deb', 'depmod', 'cc'].filter((c) => !has(c));
if (!['/bin/busybox', '/usr/bin/busybox'].some((b) => fs.existsSync(b) && staticElf(b))) missing.push('static busybox');
if (!fs.existsSync(staticExecutorPath())) missing.push('the static executor (npm run build)');
const why = missing.length === 0 ? '' : `no ${missing.join(', ')} on this machine (.ci/run installs them)`;

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-vmfuzz-'));
const run = (args: string[], input?: string): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

(why === '' ? describe : describe.skip)(`fuzz --oracle vm${why ? ` — skipped: ${why}` : ''}`, () => {
  beforeAll(() => {
    process.env.SOCKSPEC_CACHE ??= path.join(os.tmpdir(), 'sockspec-test-cache');
    fetchKernel('debian-6.1');
    fetchKernel('debian-6.12');
  }, 600000);

  it('against Debian 6.12 with two workers: every property, runs, calls in the guests, one boot per worker, no finding', () => {
    const dir = tmp();
    const r = run(['fuzz', '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--workers', '2', '--runs', '1500', '--seed', '2026', '--out', dir, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ oracle: 'vm', kernel: 'debian-6.12', findings: 0, status: 'complete' });
    expect(s.properties.map((p: { id: string }) => p.id)).toContain('P-MODEL-EQ-KERNEL');
    expect(s.properties.find((p: { id: string }) => p.id === 'P-MODEL-EQ-KERNEL').runs).toBe(1500);
    expect(s.properties.find((p: { id: string }) => p.id === 'P-PAIR-EQ-KERNEL').runs).toBe(1500);
    // Three kernel properties (socket() batches, socketpair() batches, fd-table sequences), 150 batches each.
    expect(s.kernelCalls.batches).toBe(450);
    expect(s.kernelCalls.calls).toBeGreaterThan(450 * 5);
    expect(s.atomicity.verdict).toMatchObject({ atomic: true, complete: true });
    expect(s.guest).toMatchObject({ boots: 2, reboots: 0, retries: 0, narrowingBoots: 0 });
    expect(s.guest.bootSeconds).toBeGreaterThan(0);
    // Each worker kept its guest's console.
    for (const w of ['worker-1', 'worker-2']) expect(fs.readdirSync(path.join(dir, w, 'console'))).toEqual(['boot-1.log']);
    const id = JSON.parse(fs.readFileSync(path.join(dir, 'campaign.json'), 'utf8'));
    expect(id).toMatchObject({ oracle: 'vm', vm: { image: 'debian-6.12', modules: null, moduleMode: null }, kernel: 'debian-6.12', kernelRelease: null });
  }, 900000);

  it('against the debian-6.1 profile finds IPPROTO_SMC; the reproducer exits 1 on 6.12 and 0 on 6.1 in QEMU, the eval line replays it', () => {
    const dir = tmp();
    // About one run in 10,000 makes such a call in an environment that lets it through: 2,000 runs
    // found it with this seed by chance, and stopped when the socketcall generator changed the
    // stream (seeds 24 to 27 then find nothing in 2,000 runs); 20,000 runs with seed 24 find it
    // twice, in about 40 s.
    const r = run(['fuzz', '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--kernel', 'debian-6.1', '--properties', 'P-MODEL-EQ-KERNEL', '--workers', '1', '--runs', '20000', '--seed', '24', '--out', dir]);
    expect(r.code).toBe(1);
    const findings = lines(path.join(dir, 'findings.jsonl')).map((l) => JSON.parse(l));
    expect(findings.length).toBeGreaterThan(0);
    // Debian 6.12 and the 6.1 profile differ in nothing else (docs/vm-oracle.md §4).
    for (const f of findings) {
      expect(f.strace).toMatch(/socket\(AF_INET6?, .*SOCK_STREAM.*, IPPROTO_SMC\) = -1 EPROTONOSUPPORT/);
      // 6.12 gets past the protocol check: a socket, or a limit on fds or files of the environment.
      expect(f.kernel).toMatch(/^(ok|EMFILE|ENFILE)/);
      expect(f.clause).toMatch(/^inet6?-proto$/);
      expect(f.kernelFlags).toBe('--oracle vm --kernel-image debian-6.12');
    }
    const file = path.join(dir, 'findings.jsonl');
    const on612 = run(['repro', file, '--kernel-image', 'debian-6.12']);
    expect(on612.err).toContain('the kernel did not do what the finding expected');
    expect(on612.out).toMatch(/^sockspec-repro call=0 ret=\S+ result=(ok|EMFILE|ENFILE) expected=EPROTONOSUPPORT/);
    expect(on612.code).toBe(1);
    const on61 = run(['repro', file, '--kernel-image', 'debian-6.1']);
    expect(on61.out).toMatch(/^sockspec-repro call=0 ret=-93 result=EPROTONOSUPPORT expected=EPROTONOSUPPORT/);
    expect(on61.code).toBe(0);
    // The replay line the campaign printed, run as printed.
    const replay = /replay: (echo .* \| sockspec eval .*--compare)/.exec(r.out);
    expect(replay?.[1]).toContain('sockspec eval --oracle vm --kernel-image debian-6.12 --compare');
    const request = JSON.parse(findings[0].request);
    const ev = run(['eval', '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--compare'], `${JSON.stringify(request)}\n`);
    expect(ev.code).toBe(1);
    expect(JSON.parse(ev.out)).toMatchObject({ result: 'EPROTONOSUPPORT', mismatch: true });
    expect(JSON.parse(ev.out).kernel.result).toMatch(/^(ok|EMFILE|ENFILE)$/);
  }, 900000);

  it('killed mid-run, a VM campaign resumes to exactly the outputs of an uninterrupted one', async () => {
    const args = ['--oracle', 'vm', '--kernel-image', 'debian-6.12', '--properties', 'P-MODEL-EQ-KERNEL,P-EXPLORE', '--workers', '1', '--runs', '6000', '--seed', '8'];
    const whole = tmp();
    expect(run(['fuzz', ...args, '--out', whole, '--json']).code).toBe(0);
    const cut = tmp();
    const c = spawn(process.execPath, [bin, 'fuzz', ...args, '--out', cut, '--json'], { stdio: 'ignore' });
    // Listened for from the start: a campaign that ends before the kill must not leave this waiting.
    const exited = new Promise((resolve) => c.once('exit', resolve));
    // Killed once the first round is recorded: the guest goes with it (its parent is gone).
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const p = path.join(cut, 'progress.json');
        if (c.exitCode !== null || (fs.existsSync(p) && JSON.parse(fs.readFileSync(p, 'utf8')).unitsDone >= 1)) {
          clearInterval(t);
          c.kill('SIGKILL');
          resolve();
        }
      }, 50);
    });
    await exited;
    // It was killed mid-run, not after it had finished (else this would test nothing).
    expect(c.signalCode).toBe('SIGKILL');
    expect(fs.existsSync(path.join(cut, 'summary.json'))).toBe(false);
    // Its guest went with it: no QEMU writing to this campaign's console is left behind.
    const guests = (): string[] => spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('qemu-system') && l.includes(path.join(cut, 'console')));
    for (let i = 0; i < 50 && guests().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(guests()).toEqual([]);
    const again = run(['fuzz', '--resume', cut, '--json']);
    expect(again.code).toBe(0);
    const strip = (d: string): unknown => {
      const s = JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8'));
      // The race's counts are the guest's timing; what must agree is that it ran once and found no leak.
      return { ...s, seconds: 0, kernelCalls: undefined, guest: undefined, atomicity: s.atomicity?.verdict.atomic };
    };
    expect(strip(cut)).toEqual(strip(whole));
    expect(lines(path.join(cut, 'corpus.jsonl'))).toEqual(lines(path.join(whole, 'corpus.jsonl')));
    expect(lines(path.join(cut, 'findings.jsonl'))).toEqual(lines(path.join(whole, 'findings.jsonl')));
  }, 900000);

  it('refuses bad VM flags with exit 2, naming the flag', () => {
    const cases: Array<[string[], string]> = [
      [['fuzz', '--oracle', 'vm', '--runs', '10'], '--kernel-image'],
      [['fuzz', '--oracle', 'vm', '--kernel-image', '/etc/passwd', '--runs', '10'], 'not a kernel image'],
      [['fuzz', '--oracle', 'none', '--kernel-image', 'debian-6.12', '--runs', '10'], '--kernel-image: only with --oracle vm'],
      [['fuzz', '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--module-mode', 'often', '--runs', '10'], '--module-mode'],
      [['fuzz', '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--kernel', 'no-such-profile', '--runs', '10'], '--kernel'],
      [['eval', '--oracle', 'vm'], '--kernel-image'],
      [['eval', '--kernel-image', 'debian-6.12'], '--kernel-image: only with --oracle vm'],
      [['repro', '/dev/null', '--modules', '/tmp'], '--modules: only with --kernel-image'],
    ];
    for (const [args, text] of cases) {
      const r = run(args[0] === 'fuzz' ? [...args, '--out', tmp()] : args, '');
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toContain(text);
    }
    // A resume that names another image than the campaign's.
    const dir = tmp();
    expect(run(['fuzz', '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--properties', 'P-HIGH-BITS', '--runs', '100', '--seed', '1', '--out', dir, '--json']).code).toBe(0);
    const r = run(['fuzz', '--resume', dir, '--kernel-image', 'debian-6.1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('vm is');
  }, 600000);
});
