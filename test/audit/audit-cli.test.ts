// `sockspec audit` as users run it: every policy format (preset, raw BPF as JSON, binary and C
// initialisers, OCI profile and libseccomp C file through the real libseccomp), claims from flags
// and files, compare, --out and --json, the kernel confirmation, and bad input (exit 2 naming
// what and where). Sources: cli/commands/audit.ts, engine/audit/policy.ts.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { socketRule } from '../../model/seccomp';
import { parseRawBpf } from '../../engine/audit/policy';
import { ia32Unavailable } from '../../oracle/host/ia32';
import { executorSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = (args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, 'audit', ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-audit-cli-'));
const write = (name: string, text: string | Buffer): string => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};
const ne40 = socketRule({ cmp: { arg: 0, op: 'NE', datum: 40n }, action: 0x7fff0000, defaultAction: 0x00050001 });
const X86 = ['--kernel', 'reference-6.18', '--doors', 'x86_64,x86_64-high'];

/** The JSON object of a run. */
function json(args: string[]): { code: number | null; v: { audits: Array<Record<string, any>>; comparisons: Array<Record<string, any>> } } {
  const r = run([...args, '--json']);
  if (r.out === '') throw new Error(`no output: ${r.err}`);
  return { code: r.code, v: JSON.parse(r.out) };
}

const headline = (a: Record<string, any>, row: string, door: string): string[] =>
  a.cells.filter((c: any) => c.row === row && c.door === door).flatMap((c: any) => c.groups.map((g: any) => `${g.fate} ${g.detail}`));

describe('policy formats', () => {
  it('raw BPF as JSON, as the binary seccomp_export_bpf writes, and as C initialiser lines give the same audit', () => {
    const asJson = write('ne40.json', JSON.stringify(ne40));
    const bin8 = Buffer.alloc(ne40.length * 8);
    ne40.forEach(([c, t, f, k], i) => { bin8.writeUInt16LE(c, i * 8); bin8.writeUInt8(t, i * 8 + 2); bin8.writeUInt8(f, i * 8 + 3); bin8.writeUInt32LE(k >>> 0, i * 8 + 4); });
    const asBin = write('ne40.bpf', bin8);
    const asC = write('ne40-table.c', `/* exported */\nstatic struct sock_filter f[] = {\n${ne40.map(([c, t, f, k]) => `\t{ 0x${c.toString(16)}, ${t}, ${f}, 0x${(k >>> 0).toString(16).padStart(8, '0')} },`).join('\n')}\n};\n`);
    const results = [asJson, asBin, asC].map((f) => json([f, ...X86]));
    for (const r of results) expect(r.code).toBe(1);
    const cells = results.map((r) => JSON.stringify(r.v.audits[0].cells));
    expect(cells[1]).toBe(cells[0]);
    expect(cells[2]).toBe(cells[0]);
    expect(results[0].v.audits[0].format).toBe('bpf');
    expect(results[0].v.audits[0].findings.map((f: any) => `${f.kind} ${f.row} ${f.door}`)).toEqual(['bypass 40 x86_64-high']);
    expect(parseRawBpf(Buffer.from(JSON.stringify({ filters: [{ bpf: ne40 }, { bpf: ne40 }] })), 'stack.json')).toHaveLength(2);
  });

  it('a preset by name: the text matrix, the findings and --out files (audit.json, report.html, a reproducer per bypass or gap)', () => {
    const out = path.join(tmp, 'out-docker');
    const r = run(['docker-2026', '--kernel', 'reference-6.18', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/AF_VSOCK \(40\) +deny EPERM +open\* ! +deny EPERM +deny EPERM +open !/);
    expect(r.out).toMatch(/BYPASS +AF_VSOCK \(40\)/);
    expect(fs.readdirSync(out).sort()).toEqual(['audit.json', 'report.html', 'repro-1.c', 'repro-2.c', 'repro-3.c', 'repro-4.c']);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toMatch(/<td class="bypass"[^>]*>open !<\/td>/);
  });

  const skip = executorSkipReason();
  (skip ? it.skip : it)(`an OCI profile compiled by the real libseccomp${skip ? ` (skipped: ${skip})` : ''}: the audit equals the preset made from it, and a rule equal to the default is reported as skipped by runc`, () => {
    const profile = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'oracle', 'presets', 'docker-2026.json'), 'utf8')).profile;
    profile.syscalls.push({ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }] });
    const file = write('docker-plus.json', JSON.stringify(profile));
    const a = json([file, ...X86]);
    const b = json(['docker-2026', ...X86]);
    expect(a.v.audits[0].format).toBe('oci');
    expect(JSON.stringify(a.v.audits[0].cells)).toBe(JSON.stringify(b.v.audits[0].cells));
    expect(a.v.audits[0].findings.filter((f: any) => f.kind === 'rule-skipped').map((f: any) => f.title)).toEqual([expect.stringMatching(/syscalls\[\d+\] \(socket\): action equals the default action/)]);
  });

  (skip ? it.skip : it)(`an OCI rule with two conditions on a0 is split by runc into an OR${skip ? ` (skipped: ${skip})` : ''}: a rule-split finding, and the families it meant to deny are open`, () => {
    const file = write('two-ne.json', JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 38, op: 'SCMP_CMP_NE' }, { index: 0, value: 40, op: 'SCMP_CMP_NE' }] }],
    }));
    const r = json([file, '--kernel', 'reference-6.18', '--doors', 'x86_64', '--expect', 'deny AF_ALG,AF_VSOCK']);
    const a = r.v.audits[0];
    expect(a.findings.map((f: any) => f.kind)).toEqual(['rule-split']);
    expect(a.findings[0].title).toMatch(/syscalls\[0\] \(socket\): 2 conditions on a repeated argument index are split by runc into 2 rules/);
    expect(headline(a, '40', 'x86_64')).toContain('created fd');
    expect(a.claims[0]).toMatchObject({ holds: false });
    expect(r.code).toBe(1);
  });

  (skip ? it.skip : it)(`the libseccomp C fixtures${skip ? ` (skipped: ${skip})` : ''}: conditional ALLOWs for AF_INET, AF_INET6 and AF_UNIX, then an unconditional ERRNO(EPERM) on socket()`, () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'audit');
    // Default ALLOW: libseccomp refuses the three ALLOW rules (-EACCES, the default action), and
    // the program, which tests each rc, never reaches seccomp_load.
    const allow = json([path.join(dir, 'inet-then-errno.c'), ...X86]).v.audits[0];
    expect(allow.format).toBe('c');
    expect(allow.findings.map((f: any) => f.kind)).toEqual(['rule-refused', 'rule-refused', 'rule-refused', 'not-loaded']);
    expect(allow.findings[0].title).toMatch(/inet-then-errno\.c:37 seccomp_rule_add\(socket\): rc -13 \(EACCES/);
    expect(allow.findings[3].title).toMatch(/never installs this filter.*before seccomp_load \(line 55\)/);
    // Default ERRNO(EACCES): the rules load, and the unconditional one makes the three ALLOWs void:
    // AF_INET, AF_INET6 and AF_UNIX get EPERM like every other family.
    const file = path.join(dir, 'inet-then-errno-eacces.c');
    const r = json([file, ...X86, '--expect', 'allow AF_INET,AF_INET6,AF_UNIX on x86_64']);
    const eacces = r.v.audits[0];
    expect(eacces.findings.map((f: any) => `${f.kind} ${f.title.replace(/:.*$/, '')}`)).toEqual([38, 42, 46].map((l) => `rule-void ${file}`));
    expect(eacces.findings[0].title).toMatch(/:38 seccomp_rule_add\(socket\): has no effect.*unconditional rule on socket \(.*:52/);
    for (const row of ['1', '2', '10', '17']) expect(headline(eacces, row, 'x86_64')).toEqual(['denied EPERM']);
    expect(r.code).toBe(1);
    expect(eacces.claims[0]).toMatchObject({ holds: false, counterExamples: [{ door: 'x86_64', verdict: 'ERRNO(1)' }] });
  });
});

describe('claims, compare and exit codes', () => {
  it('--expect that holds exits 0; one that fails exits 1 with counter-examples; a claim file names its lines', () => {
    const holds = run(['docker-2026', ...X86, '--expect', 'allow AF_INET,AF_INET6,AF_UNIX', '--expect', 'deny AF_VSOCK on x86_64']);
    expect(holds.out).toMatch(/HOLDS +allow AF_INET,AF_INET6,AF_UNIX/);
    expect(holds.code).toBe(0);
    const fails = run(['docker-2026', ...X86, '--expect', 'deny AF_VSOCK,AF_ALG']);
    expect(fails.code).toBe(1);
    expect(fails.out).toMatch(/FAILS +deny AF_VSOCK,AF_ALG .*counter-examples/);
    expect(fails.out).toMatch(/x86_64-high: socket\(0x1000000(26|28) .*\[policy: ALLOW\]/);
    const file = write('claims.txt', '# what we ship\nallow AF_INET\n\ndeny AF_VSOCK\n');
    const fromFile = run(['docker-2026', ...X86, '--expect-file', file]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.out).toMatch(/HOLDS +allow AF_INET +\(.*claims\.txt:2/);
    expect(fromFile.out).toMatch(/FAILS +deny AF_VSOCK +\(.*claims\.txt:4/);
  });

  it('OLD NEW lists what changed, cell by cell, and exits 1 when something did', () => {
    const r = run(['docker-2022', 'docker-2026', '--kernel', 'reference-6.18', '--doors', 'x86_64']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/docker-2022 → docker-2026: \d[\d,]* of [\d,]+ calls changed, in 1 cells/);
    expect(r.out).toMatch(/AF_ALG \(38\) x86_64: EAFNOSUPPORT → deny EPERM/);
    const same = run(['docker-2026', 'docker-2026', '--kernel', 'reference-6.18', '--doors', 'x86_64', '--expect', 'allow AF_INET']);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/0 of [\d,]+ calls changed/);
  });

  it('bad input exits 2 naming what and where, and writes nothing', () => {
    const out = path.join(tmp, 'never');
    const cases: Array<[string[], RegExp]> = [
      [['no-such-policy', '--out', out], /no-such-policy: no such file, and no preset by that name \(presets: .*docker-2026/],
      [[write('broken.json', '{"defaultAction": '), '--out', out], /broken\.json: not JSON/],
      [[write('badop.json', JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_NOPE' }] }] })), '--out', out], /badop\.json.*syscalls\[0\]\.args\[0\]\.op: unknown comparison/],
      [[write('odd.bpf', Buffer.alloc(7)), '--out', out], /odd\.bpf: not a BPF program: 7 bytes/],
      [[write('badline.c', 'static struct sock_filter f[] = {\n { 0x20, 0, 0, 4 },\n { 0x15, zz, 0, 41 },\n};\n'), '--out', out], /badline\.c:3: expected \{ code, jt, jf, k \}/],
      [[write('badprog.json', JSON.stringify([[0x06, 0, 0, 0], [0x15, 5, 0, 1]])), '--out', out], /badprog\.json: the kernel would refuse this filter/],
      [['docker-2026', '--expect', 'deny AF_NOPE', '--out', out], /--expect #1: unknown family "AF_NOPE"/],
      [['docker-2026', '--expect-file', write('bad-claims.txt', 'deny AF_VSOCK\nrefuse AF_INET\n'), '--out', out], /bad-claims\.txt:2: expected "deny FAMILY/],
      [['docker-2026', '--doors', 'x86_64,mips', '--out', out], /--doors: unknown door "mips"/],
      [['docker-2026', '--caps', 'CAP_NOPE', '--out', out], /--caps: .*CAP_NOPE/],
      [['docker-2026', '--oracle', 'cloud', '--out', out], /--oracle: expected host, vm or none/],
      [['docker-2026', '--kernel-image', 'debian-6.1', '--out', out], /--kernel-image: only with --oracle vm/],
      [['docker-2026', '--killed-per-cell', '5', '--out', out], /--killed-per-cell: only with --oracle host or vm/],
      [[write('badaction.c', '#include <seccomp.h>\nint main(void)\n{\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n\tseccomp_rule_add(ctx, SCMP_ACT_FROB, SCMP_SYS(socket), 0);\n\treturn seccomp_load(ctx);\n}\n'), '--out', out], /badaction\.c:5: .*SCMP_ACT_FROB/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 2, err: expect.stringMatching(re) });
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('confirmed on the running kernel', () => {
  const skip = executorSkipReason();
  (skip ? it.skip : it)(`the i386 doors agree where the kernel has IA32 emulation, and are not compared (no exit 4) where it has not${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const { code, v } = json([write('allow-all.json', '[[6, 0, 0, 2147418112]]'), '--doors', 'x86_64,i386', '--oracle', 'host']);
    const c = v.audits[0].confirmation;
    const i386 = v.audits[0].points / 2;
    expect(c.mismatchCount).toBe(0);
    expect(c.unobserved).toBe(0);
    if (ia32Unavailable() === '') expect(c).toMatchObject({ agreed: c.points, unavailable: 0 });
    else expect(c).toMatchObject({ agreed: c.points - i386, unavailable: i386, unavailableWhy: expect.stringMatching(/no IA32 emulation/) });
    expect(code).toBe(0);
  });

  (skip ? it.skip : it)(`each x86_64 finding's C reproducer, built with cc and run here, gets what the audit says${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const out = path.join(tmp, 'out-repro');
    const r = run(['docker-2026', '--doors', 'x86_64,x86_64-high', '--out', out]);
    expect(r.code).toBe(1);
    const repros = fs.readdirSync(out).filter((f) => /^repro-\d+\.c$/.test(f));
    expect(repros.length).toBeGreaterThan(0);
    for (const f of repros) {
      const exe = path.join(out, f.replace(/\.c$/, ''));
      const cc = spawnSync('cc', ['-o', exe, path.join(out, f)], { encoding: 'utf8' });
      expect(cc.status).toBe(0);
      const x = spawnSync(exe, [], { encoding: 'utf8' });
      expect({ f, status: x.status, out: x.stdout }).toEqual({ f, status: 0, out: expect.stringMatching(/^sockspec-repro call=0 .*result=(\S+) expected=\1\b/) });
    }
  });

  (skip ? it.skip : it)(`docker-2026 on x86_64 and with high bits: every call agrees with the host kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const { code, v } = json(['docker-2026', '--doors', 'x86_64,x86_64-high', '--oracle', 'host']);
    const c = v.audits[0].confirmation;
    expect(c.mismatchCount).toBe(0);
    expect(c.agreed).toBe(c.points);
    expect(c.points).toBe(v.audits[0].points);
    expect(code).toBe(1); // the AF_VSOCK bypass
    // The host's own profile: AF_VSOCK through high bits is a socket on this kernel too.
    expect(headline(v.audits[0], '40', 'x86_64-high')).toContain('created fd');
  });
});
