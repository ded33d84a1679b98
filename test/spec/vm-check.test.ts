// `sockspec spec check --oracle vm --kernel-image debian-6.12`: the RFC spec's counter-examples
// replayed on Debian's 6.12 kernel booted in QEMU. The guest has the families this host lacks
// (AF_KEY, TIPC, RDS, SMC, …), so contradictions about them are confirmed there; every one the
// model finds with the 6.12 profile is reported, and each counter-example's kernel result equals
// the model's. Skipped only where the machine lacks QEMU or the Debian tools.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { staticElf, staticExecutorPath } from '../../oracle/vm/runner';

const FIX = path.join(__dirname, '..', 'fixtures');
const RFC = path.join(FIX, 'kapi-socket-rfc-v2.eml');
const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['qemu-system-x86_64', 'apt-get', 'dpkg-deb', 'depmod'].filter((c) => !has(c));
if (!['/bin/busybox', '/usr/bin/busybox'].some((b) => fs.existsSync(b) && staticElf(b))) missing.push('static busybox');
if (!fs.existsSync(staticExecutorPath())) missing.push('the static executor (npm run build)');
const why = missing.length === 0 ? '' : `no ${missing.join(', ')} on this machine (.ci/run installs them)`;

interface Entry { title: string; counterexample: string; model: string; kernel: string | null; confirmed: boolean; request: string | null }

(why === '' ? describe : describe.skip)(`spec check on a kernel image${why ? ` — skipped: ${why}` : ''}`, () => {
  beforeAll(() => {
    process.env.SOCKSPEC_CACHE ??= path.join(os.tmpdir(), 'sockspec-test-cache');
  });

  it('confirms every counter-example in QEMU, the families the host lacks included', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-vmspec-'));
    const r = spawnSync(process.execPath, [bin, 'spec', 'check', RFC, '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--out', out], { encoding: 'utf8' });
    expect(`${r.status} ${r.stderr}`).toMatch(/^1 /);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'spec-check.json'), 'utf8')) as { oracle: string; kernel: string; kernelImage: string; contradictions: Entry[] };
    expect(s).toMatchObject({ oracle: 'vm', kernel: 'debian-6.12', kernelImage: 'debian-6.12' });
    // The same contradictions as the model alone finds with the 6.12 profile, in the same order.
    const m = spawnSync(process.execPath, [bin, 'spec', 'check', RFC, '--oracle', 'none', '--kernel', 'debian-6.12', '--json'], { encoding: 'utf8' });
    const model = JSON.parse(m.stdout) as { contradictions: Entry[] };
    expect(s.contradictions.map((c) => c.title)).toEqual(model.contradictions.map((c) => c.title));
    const withCall = s.contradictions.filter((c) => c.counterexample !== '-');
    expect(withCall.map((c) => `${c.counterexample}: ${c.kernel}`)).toEqual(withCall.map((c) => `${c.counterexample}: ${c.model}`));
    expect(withCall.every((c) => c.confirmed)).toBe(true);
    expect(s.contradictions.filter((c) => c.counterexample === '-').every((c) => !c.confirmed)).toBe(true);
    for (const family of ['AF_KEY', 'AF_TIPC', 'AF_RDS', 'AF_SMC', 'AF_KCM']) {
      expect(withCall.filter((c) => c.counterexample.startsWith(`socket(${family},`)).length).toBeGreaterThan(0);
    }
    // The report names the image, and its replay lines ask the same kernel.
    expect(r.stdout).toContain('Oracle: vm (debian-6.12 in QEMU)');
    expect(r.stdout).toContain('| sockspec eval --oracle vm --kernel-image debian-6.12 --compare`');
    expect(r.stdout).not.toMatch(/sockspec eval --compare/);
  }, 600000);

  it('refuses the image flags without --oracle vm, before any boot', () => {
    const r = spawnSync(process.execPath, [bin, 'spec', 'check', RFC, '--kernel-image', 'debian-6.12'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--kernel-image: only with --oracle vm/);
  });
});
