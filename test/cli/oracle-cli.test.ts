// The oracle through the command line: eval --oracle host and --compare, presets and OCI profiles
// in the contract, the probed host profile as the default, and check --oracle host --json.
// Skipped only where the executor cannot run (not root, or not built), with the reason.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { executorSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const why = executorSkipReason();
const maybe = why === '' ? describe : describe.skip;

function run(args: string[], input = ''): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

maybe(`sockspec with the host oracle${why ? ` — skipped: ${why}` : ''}`, () => {
  it('eval --compare answers with both results and a mismatch field, batching one environment', () => {
    const input = [
      { id: 1, family: 'AF_INET', type: 'SOCK_STREAM|SOCK_CLOEXEC', protocol: 0 },
      { id: 2, family: 'AF_PACKET', type: 'SOCK_RAW', protocol: 'htons(ETH_P_ALL)', env: { caps: [], uid: 65534, gid: 65534 } },
      { id: 3, family: '0x100000028', type: 1, protocol: 0, env: { seccomp: [{ preset: 'docker-2026' }] } },
      { id: 4, family: 40, type: 1, protocol: 0, env: { seccomp: [{ preset: 'docker-2026' }] } },
    ].map((o) => JSON.stringify(o)).join('\n');
    const r = run(['eval', '--compare'], input);
    expect(r.code).toBe(0);
    const out = lines(r.out);
    expect(out.map((o) => [o.id, o.result, o.kernel.result, o.mismatch])).toEqual([
      [1, 'ok', 'ok', false],
      [2, 'EPERM', 'EPERM', false],
      [3, 'ok', 'ok', false],
      [4, 'EPERM', 'EPERM', false],
    ]);
    expect(out[0].kernel).toMatchObject({ fd: 3, cloexec: true, domain: 2, sotype: 1, soprotocol: 6 });
    expect(out[2].kernel.domain).toBe(40);
  });

  it('eval --oracle host answers from the kernel alone', () => {
    const r = run(['eval', '--oracle', 'host'], JSON.stringify({ id: 'x', family: 'AF_INET', type: 'SOCK_DGRAM', protocol: 'IPPROTO_ICMP' }));
    expect(r.code).toBe(0);
    expect(lines(r.out)[0]).toEqual({ id: 'x', result: 'EACCES', source: 'kernel' });
  });

  it('eval compiles an OCI profile with libseccomp and applies it', () => {
    const oci = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 97, args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }] }] };
    const input = [16, 1].map((f) => JSON.stringify({ family: f, type: 3, protocol: 0, env: { seccomp: [{ oci }] } })).join('\n');
    const r = run(['eval', '--compare'], input);
    expect(r.code).toBe(0);
    expect(lines(r.out).map((o) => [o.result, o.kernel.result])).toEqual([['EAFNOSUPPORT', 'EAFNOSUPPORT'], ['ok', 'ok']]);
  });

  it('eval reports a broken OCI profile and an unknown preset by field, exit 2', () => {
    const input = [
      JSON.stringify({ family: 1, type: 1, protocol: 0, env: { seccomp: [{ oci: { defaultAction: 'SCMP_ACT_MAYBE' } }] } }),
      JSON.stringify({ family: 1, type: 1, protocol: 0, env: { seccomp: [{ preset: 'docker-1999' }] } }),
    ].join('\n');
    const r = run(['eval'], input);
    expect(r.code).toBe(2);
    const out = lines(r.out);
    expect(out[0].error).toMatch(/line 1: env\.seccomp\[0\]\.oci: .*defaultAction: unknown action/);
    expect(out[1].error).toMatch(/line 2: env\.seccomp\[0\]\.preset: unknown preset "docker-1999"/);
  });

  it('check --oracle host --json prints the summary object with no mismatches', () => {
    const r = run(['check', '--oracle', 'host', '--classes', 'nobody,seccomp-kill-process,preset-podman-2026', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ kernel: 'host', oracle: 'host', mismatches: [], mismatchCount: 0 });
    expect(s.points).toBe(355080 + 4286 + 4286);
    expect(s.sequences).toBeUndefined(); // --classes without --sequences: the classes only
    expect(s.clausesTotal).toBeGreaterThan(60);
    expect(typeof s.seconds).toBe('number');
  });
});
