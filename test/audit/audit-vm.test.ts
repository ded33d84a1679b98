// `sockspec audit --oracle vm` (issue 20): a policy's every call confirmed on Debian 6.12 booted in
// QEMU, the i386 doors included (the host may lack IA32 emulation; the guest kernel has it), and a
// libseccomp C policy built on the host and run in the guest. Skipped only where the machine lacks
// QEMU, a static busybox or the static executor (.ci/run installs them).
// Sources: cli/commands/audit.ts, engine/audit/audit.ts (confirmOnKernel), test/oracle/vm.test.ts.

import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchKernel } from '../../oracle/kernels';
import { executorSkipReason, vmSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const why = vmSkipReason();

(why === '' ? describe : describe.skip)(`sockspec audit on Debian 6.12 in QEMU${why ? ` — skipped: ${why}` : ''}`, () => {
  beforeAll(() => {
    process.env.SOCKSPEC_CACHE ??= path.join(os.tmpdir(), 'sockspec-test-cache');
    fetchKernel('debian-6.12');
  }, 600000);

  const audit = (args: string[]): { code: number | null; v: Record<string, any> } => {
    const r = spawnSync(process.execPath, [bin, 'audit', ...args, '--oracle', 'vm', '--kernel-image', 'debian-6.12', '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.stdout === '') throw new Error(`no output (exit ${r.status}): ${r.stderr}`);
    return { code: r.status, v: JSON.parse(r.stdout).audits[0] };
  };

  it('podman-2026 through x86_64 and the i386 doors: every call agrees with the kernel, and the socketcall bypasses (NETLINK_AUDIT, AF_VSOCK) are sockets there', () => {
    const { code, v } = audit(['podman-2026', '--doors', 'x86_64,i386,i386-high,socketcall']);
    expect(v.confirmation).toMatchObject({ mismatchCount: 0, unobserved: 0, unavailable: 0, agreed: v.points });
    expect(v.kernel).toBe('debian-6.12');
    const bypass = v.findings.filter((f: any) => f.kind === 'bypass').map((f: any) => `${f.row} ${f.door}`).sort();
    expect(bypass).toEqual(['16 socketcall', '40 socketcall']);
    expect(code).toBe(1);
  }, 600000);

  const skip = executorSkipReason();
  (skip ? it.skip : it)(`the libseccomp C fixture whose ALLOWs are void, built on the host, denies AF_INET in the guest too${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const { v } = audit([path.join(__dirname, '..', 'fixtures', 'audit', 'inet-then-errno-eacces.c'), '--doors', 'x86_64']);
    expect(v.confirmation).toMatchObject({ mismatchCount: 0, unobserved: 0, unavailable: 0, agreed: v.points });
    const inet = v.cells.find((c: any) => c.row === '2' && c.door === 'x86_64');
    expect(inet.groups.map((g: any) => `${g.fate} ${g.detail}`)).toEqual(['denied EPERM']);
  }, 600000);
});
