// `sockspec audit` (issue 20): the space and its doors, the matrix, bypasses and gaps with C
// reproducers, architecture differences, claims that hold and fail, and compare. Model only here;
// test/audit/audit-cli.test.ts runs the command, the policy formats and the kernel confirmation.
// Sources: engine/audit/, docs/seccomp.md §12.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultEnv, NPROTO, regLo, type SeccompFilter } from '../../model';
import { retAlways, socketRule } from '../../model/seccomp';
import { presetFilters } from '../../oracle/oci';
import { cellHeadline, pointsToRun, runAudit, type AuditResult } from '../../engine/audit/audit';
import { checkClaims, parseClaim, parseClaimFile } from '../../engine/audit/claims';
import { compareAudits } from '../../engine/audit/compare';
import { auditSpace, DOORS } from '../../engine/audit/space';
import { auditHtml, formatAudit } from '../../report/audit';
import { ContractError } from '../../contract';

const EPERM = 0x00050001;
const ALLOW = 0x7fff0000;
const env = defaultEnv();

const ne40: SeccompFilter[] = [{ prog: socketRule({ cmp: { arg: 0, op: 'NE', datum: 40n }, action: ALLOW, defaultAction: EPERM }), label: 'a0 != 40' }];

const cell = (r: AuditResult, row: string, door: string): string => {
  const c = r.cells.find((x) => x.row === row && x.door === door);
  if (c === undefined) throw new Error(`no cell ${row} ${door}`);
  return cellHeadline(c);
};

describe('the audit space', () => {
  const space = auditSpace();

  it('has a row for every family below AF_MAX and one beyond, and every door of every canonical call', () => {
    expect(space.rows).toHaveLength(NPROTO + 1);
    const perDoor = new Map<string, number>();
    for (const p of space.points) perDoor.set(p.door, (perDoor.get(p.door) ?? 0) + 1);
    expect(perDoor.get('x86_64')).toBe(space.canonical.length);
    expect(perDoor.get('i386')).toBe(space.canonical.length);
    expect(perDoor.get('socketcall')).toBe(space.canonical.length);
    expect(perDoor.get('x86_64-high')).toBe(4 * space.canonical.length);
    expect(perDoor.get('i386-high')).toBe(4 * space.canonical.length);
  });

  it('derives every door from its canonical call: the same low 32 bits, high bits only on the high doors', () => {
    const wrong = space.points.filter((p) => {
      const c = space.canonical[p.base];
      const high = [p.call.a0, p.call.a1, p.call.a2].filter((r) => typeof r === 'bigint' || r > 0xffffffff).length;
      const entry = p.door === 'socketcall' ? 'i386-socketcall' : p.door.startsWith('i386') ? 'i386' : 'x86_64';
      return regLo(p.call.a0) !== c.a0 || regLo(p.call.a1) !== c.a1 || regLo(p.call.a2) !== c.a2
        || high !== (p.door.endsWith('-high') ? 1 : 0) || (p.call.entry ?? 'x86_64') !== entry;
    });
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('is the same every time and can be cut to some doors', () => {
    expect(auditSpace(['x86_64']).points.map((p) => p.call)).toEqual(space.points.filter((p) => p.door === 'x86_64').map((p) => p.call));
  });
});

describe('the matrix and the findings', () => {
  it('no policy: every cell passes, nothing is found', async () => {
    const { result } = await runAudit({ env, filters: [], policy: 'none', caps: 'all' });
    expect(result.findings).toEqual([]);
    for (const c of result.cells) expect(cellHeadline(c)).not.toMatch(/deny|kill|trap|\*/);
    expect(cell(result, '2', 'x86_64')).toBe('open');
    expect(cell(result, '13', 'x86_64')).toBe('EAFNOSUPPORT');
  });

  it('deny everything: every cell is "deny EPERM" and nothing is found', async () => {
    const { result } = await runAudit({ env, filters: [{ prog: retAlways(EPERM) }], policy: 'all', caps: 'all' });
    expect(new Set(result.cells.map(cellHeadline))).toEqual(new Set(['deny EPERM']));
    expect(result.findings).toEqual([]);
  });

  it('a0 != 40 for x86_64 only: AF_VSOCK stopped on x86_64, every i386 call killed, AF_VSOCK created with high bits; each bypass has a reproducer that compiles', async () => {
    const { result } = await runAudit({ env, filters: ne40, policy: 'a0-ne-40', caps: 'all', doors: ['x86_64', 'x86_64-high', 'i386'] });
    expect(cell(result, '40', 'x86_64')).toBe('deny EPERM');
    expect(cell(result, '2', 'i386')).toBe('kill');
    // Grouped by the pair of verdicts: every family is killed on i386, allowed or denied on x86_64.
    const arch = result.findings.filter((f) => f.kind === 'arch-difference');
    expect(arch.flatMap((f) => f.rows ?? []).sort()).toEqual(auditSpace().rows.map((r) => r.id).sort());
    expect(arch.map((f) => f.title.replace(/^.*?: /, '')).sort()).toEqual([
      'the policy answers the same call differently on x86_64 (ALLOW) and on i386 (KILL_THREAD)',
      'the policy answers the same call differently on x86_64 (ERRNO(1)) and on i386 (KILL_THREAD)',
    ]);
    expect(cell(result, '2', 'x86_64')).toBe('open');
    const bypass = result.findings.filter((f) => f.kind === 'bypass');
    expect(bypass.map((f) => `${f.row} ${f.door}`).sort()).toEqual(['40 x86_64-high']);
    const high = bypass.find((f) => f.door === 'x86_64-high');
    expect(high?.example?.call).toBe('socket(0x100000028 /* AF_VSOCK */, SOCK_STREAM, 0)');
    expect(high?.example?.result).toMatch(/^3$/);
    expect(high?.example?.twinResult).toMatch(/EPERM/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-audit-'));
    for (const f of bypass) {
      const file = path.join(dir, `${f.door}.c`);
      fs.writeFileSync(file, f.repro ?? '');
      const cc = spawnSync('cc', ['-fsyntax-only', file], { encoding: 'utf8' });
      expect(cc.stderr).toBe('');
      expect(cc.status).toBe(0);
    }
    // The finding's eval line replays the call with the policy.
    const line = JSON.parse(high?.example?.eval ?? '{}') as Record<string, unknown>;
    expect(line.family).toBeDefined();
  });

  it('docker-2026: AF_VSOCK bypasses, AF_ALG gaps on a kernel without AF_ALG, and the i386 filter compares only the low words', async () => {
    const { result } = await runAudit({ env, filters: presetFilters('docker-2026'), policy: 'docker-2026', caps: 'all' });
    const kinds = result.findings.map((f) => `${f.kind} ${(f.rows ?? [f.row]).join('+')} ${f.door}`).sort();
    expect(kinds).toEqual([
      'arch-difference 38+40 i386-high',
      'bypass 40 socketcall', 'bypass 40 x86_64-high',
      'gap 38 socketcall', 'gap 38 x86_64-high',
    ]);
    expect(cell(result, '40', 'x86_64-high')).toBe('open*');
    expect(cell(result, '40', 'i386-high')).toBe('deny EPERM');
    const text = formatAudit(result, []).join('\n');
    expect(text).toMatch(/AF_VSOCK \(40\) +deny EPERM +open\* ! +deny EPERM +deny EPERM +open !/);
    // Families that read the same on every door share a row, listed under the matrix.
    expect(text).toMatch(/^\d+ families \[1\] +EAFNOSUPPORT +EAFNOSUPPORT/m);
    expect(text).toMatch(/^\[1\] AF_UNSPEC \(0\), AF_AX25 \(3\), /m);
    expect(text).toMatch(/^AF_ALG \(38\) +deny EPERM +deny EPERM\* +deny EPERM +deny EPERM +EAFNOSUPPORT/m);
    expect(text).toMatch(/^\d+ families \[2\] +open +open +open +open +open$/m);
    const html = auditHtml(result, ['note <b>']);
    expect(html).toContain('<td class="bypass"');
    expect(html).toContain('note &lt;b&gt;');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('the terminal matrix keeps two spaces between cells however long a cell is (flatpak: "deny EAFNOSUPPORT*")', async () => {
    const { result } = await runAudit({ env, filters: presetFilters('flatpak'), policy: 'flatpak', caps: 'all' });
    const lines = formatAudit(result, []);
    const head = lines.findIndex((l) => l.startsWith('family'));
    const rows = lines.slice(head + 1, lines.indexOf('', head));
    expect(rows.some((l) => l.includes('deny EAFNOSUPPORT*'))).toBe(true);
    for (const l of rows) expect(l.replace(/^.*?\)  +|^\d+ families \[\d+\]  +/, '').split(/  +/)).toHaveLength(result.doors.length);
  });

  it('podman-2026 without CAP_AUDIT_WRITE: NETLINK_AUDIT is stopped on x86_64 but a high-bit protocol register opens it', async () => {
    const { result } = await runAudit({ env, filters: presetFilters('podman-2026'), policy: 'podman-2026', caps: 'all' });
    const f = result.findings.find((x) => x.kind === 'bypass' && x.row === '16' && x.door === 'x86_64-high');
    expect(f?.example?.call).toMatch(/AF_NETLINK.*0x100000009|NETLINK_AUDIT/);
    expect(f?.example?.twinResult).toMatch(/EINVAL/);
  });
});

describe('what the kernel runs', () => {
  it('every call but the killed ones beyond the limit per cell, spread over the cell', async () => {
    const { points } = await runAudit({ env, filters: ne40, policy: 'a0-ne-40', caps: 'all', doors: ['x86_64', 'i386'] });
    const all = pointsToRun(points, Infinity);
    expect(all).toEqual({ indices: points.space.points.map((_, i) => i), killedNotRun: 0 });
    const cut = pointsToRun(points, 10);
    const killed = points.fates.filter((f) => f === 'killed').length;
    expect(killed).toBe(points.space.canonical.length); // every i386 call: the filter is x86_64 only
    expect(cut.killedNotRun).toBe(killed - 10 * (NPROTO + 1));
    expect(cut.indices.length).toBe(points.space.points.length - cut.killedNotRun);
    const perCell = new Map<string, number>();
    for (const i of cut.indices) {
      if (points.fates[i] !== 'killed') continue;
      const k = `${points.space.points[i].row}|${points.space.points[i].door}`;
      perCell.set(k, (perCell.get(k) ?? 0) + 1);
    }
    expect(new Set(perCell.values())).toEqual(new Set([10]));
    expect(points.space.points.filter((_, i) => points.fates[i] !== 'killed').length).toBe(cut.indices.filter((i) => points.fates[i] !== 'killed').length);
  });
});

describe('claims', () => {
  it('parses deny and allow with families and doors, and names where a bad one was written', () => {
    expect(parseClaim('deny AF_NETLINK, AF_PACKET', 'x')).toMatchObject({ verb: 'deny', families: [16, 17], doors: DOORS });
    expect(parseClaim('allow PF_INET,10 on x86_64', 'x')).toMatchObject({ verb: 'allow', families: [2, 10], doors: ['x86_64'] });
    expect(() => parseClaim('forbid AF_INET', '--expect #1')).toThrow(/expected "deny FAMILY/);
    expect(() => parseClaim('deny AF_NOPE', '--expect #2')).toThrow(ContractError);
    expect(() => parseClaim('deny AF_INET on mips', '--expect #3')).toThrow(/unknown door "mips"/);
    expect(() => parseClaimFile('# mine\ndeny AF_VSOCK\n\nallow AF_INET on sparc\n', 'claims.txt')).toThrow(/claims\.txt:4/);
    expect(parseClaimFile('# mine\ndeny AF_VSOCK # the point\n\nallow AF_INET\n', 'c.txt').map((c) => c.where)).toEqual(['c.txt:2', 'c.txt:4']);
  });

  it('a claim that holds and one that fails, with counter-examples through each door', async () => {
    const { points } = await runAudit({ env, filters: presetFilters('docker-2026'), policy: 'docker-2026', caps: 'all' });
    const [allow, denyAll, denyNative] = checkClaims([
      parseClaim('allow AF_INET,AF_INET6,AF_UNIX', 'a'),
      parseClaim('deny AF_VSOCK,AF_ALG', 'b'),
      parseClaim('deny AF_VSOCK,AF_ALG on x86_64,i386', 'c'),
    ], points);
    expect(allow.holds).toBe(true);
    expect(allow.checked).toBeGreaterThan(1000);
    expect(denyAll.holds).toBe(false);
    expect(denyAll.counterExamples.map((e) => e.door).sort()).toEqual(['socketcall', 'x86_64-high']);
    expect(denyAll.counterExamples.every((e) => e.verdict === 'ALLOW')).toBe(true);
    expect(denyNative.holds).toBe(true);
  });
});

describe('compare', () => {
  it('docker-2022 → docker-2026: AF_ALG becomes denied on x86_64, AF_VSOCK stays denied, nothing else moves there', async () => {
    const a = await runAudit({ env, filters: presetFilters('docker-2022'), policy: 'docker-2022', caps: 'all' });
    const b = await runAudit({ env, filters: presetFilters('docker-2026'), policy: 'docker-2026', caps: 'all' });
    const c = compareAudits({ name: 'docker-2022', points: a.points, cells: a.result.cells }, { name: 'docker-2026', points: b.points, cells: b.result.cells });
    const x86 = c.changes.filter((ch) => ch.door === 'x86_64');
    expect(x86.map((ch) => `${ch.row}: ${ch.before} → ${ch.after}`)).toEqual(['38: EAFNOSUPPORT → deny EPERM']);
    expect(c.changedPoints).toBeGreaterThan(0);
    const same = compareAudits({ name: 'a', points: b.points, cells: b.result.cells }, { name: 'b', points: b.points, cells: b.result.cells });
    expect(same.changes).toEqual([]);
  });
});
