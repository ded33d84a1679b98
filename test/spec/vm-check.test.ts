// `sockspec spec check --oracle host,vm --kernel-image debian-6.1 --kernel-image debian-6.12`: the
// RFC spec judged on the running kernel and on both Debian kernels booted in QEMU. Each
// contradiction is one entry listing the kernels it holds on (and what the others do); on each
// Debian kernel the entries that hold are exactly what the model finds with its profile, and each
// is confirmed there. The guests have the families this host lacks (AF_KEY, TIPC, RDS, SMC, …).
// Skipped only where the machine lacks QEMU or the Debian tools.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vmSkipReason } from '../helpers';

const FIX = path.join(__dirname, '..', 'fixtures');
const RFC = path.join(FIX, 'kapi-socket-rfc-v2.eml');
const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const why = vmSkipReason();

interface Verdict { kernel: string; holds: boolean; observed: string | null; confirmed: boolean }
interface Entry { item: string; title: string; clause: string; counterexample: string; model: string; kernel: string | null; confirmed: boolean; request: string | null; kernels: Verdict[]; members: Entry[] }
interface Summary { oracle: string; kernel: string; kernelImage?: string; kernels: Array<{ name: string; profile: string; oracle: string; holds: number; confirmed: number }>; contradictions: Entry[] }

const run = (args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } =>
  spawnSync(process.execPath, [bin, 'spec', 'check', RFC, ...args], { encoding: 'utf8' }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };

(why === '' ? describe : describe.skip)(`spec check on kernel images${why ? ` — skipped: ${why}` : ''}`, () => {
  beforeAll(() => {
    process.env.SOCKSPEC_CACHE ??= path.join(os.tmpdir(), 'sockspec-test-cache');
  });

  it('judges the host and both Debian kernels in QEMU: each contradiction once, with the kernels it holds on, confirmed there', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-vmspec-'));
    const r = run(['--oracle', 'host,vm', '--kernel-image', 'debian-6.1', '--kernel-image', 'debian-6.12', '--out', out]);
    expect(`${r.status} ${r.stderr}`).toMatch(/^1 /);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'spec-check.json'), 'utf8')) as Summary;
    expect(s.kernels.map((k) => `${k.name} ${k.profile} ${k.oracle}`)).toEqual(['host host host', 'debian-6.1 debian-6.1 vm', 'debian-6.12 debian-6.12 vm']);
    // On each Debian kernel, the items that hold, and the model clauses of each that hold there, are
    // exactly what the model alone finds with its profile (in the order the kernels first find them: the host's first).
    for (const [j, name] of [[1, 'debian-6.1'], [2, 'debian-6.12']] as const) {
      const model = JSON.parse(run(['--oracle', 'none', '--kernel', name, '--json']).stdout) as Summary;
      const key = (c: Entry, on: (m: Entry) => boolean): string => `${c.item} | ${c.members.filter(on).map((m) => m.clause).sort().join(' ')}`;
      expect(s.contradictions.filter((c) => c.kernels[j].holds).map((c) => key(c, (m) => m.kernels[j].holds)).sort())
        .toEqual(model.contradictions.map((c) => key(c, () => true)).sort());
      expect(s.kernels[j].holds).toBe(model.contradictions.length);
    }
    // Every verdict with a kernel result where it holds is confirmed (the model equals these kernels);
    // an entry is confirmed exactly when some kernel confirmed it, and every one with a call is.
    for (const c of [...s.contradictions, ...s.contradictions.flatMap((x) => x.members)]) {
      for (const v of c.kernels) {
        // The host never sets fs.file-max: such a counter-example is for the guests.
        if (v.kernel === 'host' && v.observed?.startsWith('unobserved: the host never changes fs.file-max') === true) continue;
        // A host without IA32 emulation cannot run the i386 entries: unobserved there, judged in the guests.
        if (v.kernel === 'host' && /^unobserved: not run: this kernel has no IA32 emulation/.test(v.observed ?? '')) continue;
        if (v.holds && v.observed !== null) expect(`${c.title} on ${v.kernel}: ${v.observed} ${v.confirmed}`).toBe(`${c.title} on ${v.kernel}: ${v.observed} true`);
      }
      expect(c.confirmed).toBe(c.kernels.some((v) => v.confirmed));
      if (c.counterexample !== '-') expect(c.confirmed).toBe(true);
      else expect(c.kernels.every((v) => v.observed === null && !v.confirmed)).toBe(true);
    }
    // The limit CAP_SYS_ADMIN lets a caller past is confirmed in the guests, which set fs.file-max.
    const bypass = s.contradictions.find((c) => c.title.startsWith('CAP_SYS_ADMIN'));
    expect(bypass?.kernels.map((v) => `${v.kernel} ${v.holds} ${v.confirmed}`)).toEqual(['host true false', 'debian-6.1 true true', 'debian-6.12 true true']);
    // The families this host lacks are judged in the guests.
    for (const family of ['AF_KEY', 'AF_TIPC', 'AF_RDS', 'AF_SMC', 'AF_KCM']) {
      const about = s.contradictions.flatMap((x) => x.members).filter((c) => c.kernels.some((v) => v.holds && v.kernel !== 'host' && v.confirmed) && c.kernels[2].holds && c.counterexample.startsWith(`socket(${family},`));
      expect(`${family}: ${about.length > 0}`).toBe(`${family}: true`);
    }
    // The report lists the kernels of each entry, and a replay line asks the first kernel it holds on.
    expect(r.stdout).toMatch(/Kernels: the running kernel \(profile host\), \d+ contradictions, \d+ confirmed there; debian-6\.1 in QEMU \(profile debian-6\.1\)/);
    expect(r.stdout).toMatch(/^- kernels: holds on .*debian-6\.12 \(confirmed\)/m);
    // (An item's counter-example is its first member's: the replay asks where that member holds.)
    // (the first that ran it: the host never sets fs.file-max).
    const ran = (v: Verdict): boolean => v.holds && v.observed !== null && !v.observed.startsWith('unobserved');
    const firstVm = s.contradictions.find((c) => c.request !== null && !ran(c.members[0].kernels[0]));
    if (firstVm !== undefined) expect(r.stdout).toContain(`echo '${firstVm.request}' | sockspec eval --oracle vm --kernel-image ${firstVm.members[0].kernels.find(ran)?.kernel} --compare`);
    for (const c of s.contradictions) if (c.counterexample !== '-') expect(`${c.title}: ${c.kernel}`).toBe(`${c.title}: ${c.model}`);
  }, 900000);

  it('refuses bad kernel choices before any boot', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--kernel-image', 'debian-6.12'], /--kernel-image: only with --oracle vm/],
      [['--oracle', 'vm'], /--kernel-image: missing/],
      [['--oracle', 'vm,qemu', '--kernel-image', 'debian-6.12'], /--oracle: expected host, vm, host,vm or none/],
      [['--oracle', 'vm', '--kernel-image', 'debian-6.1', '--kernel-image', 'debian-6.12', '--kernel', 'debian-6.1'], /--kernel: one profile for one kernel/],
      [['--oracle', 'vm', '--kernel-image', 'debian-6.1', '--kernel-image', 'debian-6.12', '--modules', '/nonexistent'], /--modules: names the modules of one image/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(`${args.join(' ')}: ${r.status}`).toBe(`${args.join(' ')}: 2`);
      expect(r.stderr).toMatch(message);
    }
  });
});
