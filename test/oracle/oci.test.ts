// The runc/crun translation of OCI and Docker profiles into libseccomp calls, and the shipped presets.

import { loadPreset, parseProfileText, presetNames, ProfileError, SCMP_ARCH, SCMP_CMP, translateProfile } from '../../oracle/oci';

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;

describe('translateProfile (runc rules)', () => {
  it('skips a rule whose action equals the default action, errno included', () => {
    const plan = translateProfile({
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
      syscalls: [
        { names: ['socket'], action: 'SCMP_ACT_ERRNO' },
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    }, { caps: new Set() });
    expect(plan.defaultAction).toBe(EPERM);
    expect(plan.rules).toEqual([{ name: 'socket', action: 0x00050026, conds: [] }]);
    expect(plan.skipped[0]).toMatch(/syscalls\[0\].*equals the default/);
  });

  it('puts conditions on distinct arguments in one rule and splits a repeated index into one rule each', () => {
    const plan = translateProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }] },
        { names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 38, op: 'SCMP_CMP_NE' }, { index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
      ],
    }, { caps: new Set() });
    expect(plan.rules.map((r) => r.conds.length)).toEqual([2, 1, 1]);
    expect(plan.rules[1].conds[0]).toEqual({ arg: 0, op: SCMP_CMP.SCMP_CMP_NE, a: 38n, b: 0n });
  });

  it('keeps MASKED_EQ mask in value and datum in valueTwo, and 64-bit values exactly', () => {
    const text = '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["socket"],"action":"SCMP_ACT_KILL",' +
      '"args":[{"index":0,"value":18446744073709551615,"valueTwo":66,"op":"SCMP_CMP_MASKED_EQ"}]}]}';
    const plan = translateProfile(parseProfileText(text, 't.json'), { caps: new Set() });
    expect(plan.rules[0]).toEqual({ name: 'socket', action: 0, conds: [{ arg: 0, op: 7, a: 0xffffffffffffffffn, b: 66n }] });
  });

  it("resolves Docker's includes/excludes against the capability set and archMap on x86_64", () => {
    const p = {
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
      syscalls: [
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_AUDIT_WRITE'] } },
        { names: ['socketpair'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_AUDIT_WRITE', 'CAP_NET_RAW'] } },
      ],
    };
    const none = translateProfile(p, { caps: new Set() });
    expect(none.rules.map((r) => r.name)).toEqual(['socket']);
    expect(none.arches).toEqual([SCMP_ARCH.SCMP_ARCH_X86_64, SCMP_ARCH.SCMP_ARCH_X86, SCMP_ARCH.SCMP_ARCH_X32]);
    const both = translateProfile(p, { caps: new Set(['CAP_AUDIT_WRITE', 'CAP_NET_RAW']) });
    expect(both.rules.map((r) => r.name)).toEqual(['socketpair']);
  });

  it('names the field of a broken profile', () => {
    expect(() => translateProfile({ defaultAction: 'SCMP_ACT_NOPE' }, { caps: new Set() }, 'p.json')).toThrow(/p\.json\.defaultAction: unknown action/);
    expect(() => translateProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] }] }, { caps: new Set() }, 'p.json'))
      .toThrow(/p\.json\.syscalls\[0\]\.args\[0\]\.index/);
    expect(() => parseProfileText('{"defaultAction":', 'q.json')).toThrow(ProfileError);
  });
});

describe('shipped presets', () => {
  it('include the presets of the design', () => {
    expect(presetNames()).toEqual(expect.arrayContaining(['docker-2022', 'docker-2026', 'podman-2026', 'podman-2026-audit-write', 'podman-2025', 'systemd-allow-inet', 'systemd-deny-netlink-packet', 'flatpak']));
  });

  it.each(presetNames().map((n) => [n]))('%s loads, states its i386 and high-bit story, and translates', (name) => {
    const p = loadPreset(name);
    expect(p.description.length).toBeGreaterThan(10);
    expect(p.i386.length).toBeGreaterThan(5);
    expect(p.highBits.length).toBeGreaterThan(5);
    expect(p.plans.length).toBeGreaterThan(0);
    for (const plan of p.plans) expect(plan.rules.length).toBeGreaterThan(0);
  });

  it('podman-2026 without CAP_AUDIT_WRITE keeps the NETLINK_AUDIT rules, with it only the AF_VSOCK ones', () => {
    const names = (n: string) => loadPreset(n).plans[0].rules.filter((r) => r.name === 'socket').map((r) => r.action.toString(16));
    expect(names('podman-2026')).toEqual(['50001', '50016', '7fff0000', '7fff0000']);
    expect(names('podman-2026-audit-write')).toEqual(['50001', '7fff0000']);
  });

  it('rejects an unknown preset by name', () => {
    expect(() => loadPreset('docker-1999')).toThrow(/unknown preset "docker-1999" \(known: .*docker-2026/);
  });
});
