// The diff's corpus selection and boot packing, without a kernel: which classes each --classes
// value means (the global-knob ones only with both kernels in QEMU), and how environments are
// packed into boots. The diff itself, on real kernels, is in test/oracle/vm.test.ts.

import { debian61, defaultEnv, type Call } from '../../model';
import { ENV_CLASSES, VM_CLASSES, type EnvClass } from '../../generators/space';
import { ContractError } from '../../contract';
import { chunkGroups, diffClasses, runDiff, type DiffGroup, type DiffSide } from '../../engine/diff';
import { formatDiff } from '../../report/text';
import type { Observation } from '../../oracle/compare';
import { writeReport } from '../../report/html';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const extra: EnvClass[] = [{ id: 'preset-x', description: 'a preset', calls: 'seccomp', env: (p) => defaultEnv({ profile: p }) }];

describe('diff --classes', () => {
  it('defaults to the nine kernel classes; all adds seccomp, presets and, in QEMU only, the global-knob classes', () => {
    expect(diffClasses(undefined, extra, VM_CLASSES, true).map((c) => c.id)).toEqual(ENV_CLASSES.filter((c) => c.calls === 'full').map((c) => c.id));
    expect(diffClasses(undefined, extra, VM_CLASSES, true)).toHaveLength(9);
    expect(diffClasses(['all'], extra, VM_CLASSES, true)).toHaveLength(ENV_CLASSES.length + 1 + VM_CLASSES.length);
    expect(diffClasses(['all'], extra, VM_CLASSES, false).map((c) => c.id)).not.toContain('vm-file-max');
    expect(diffClasses(['vm-nr-open', 'root'], extra, VM_CLASSES, true).map((c) => c.id)).toEqual(['vm-nr-open', 'root']);
  });

  it('refuses a global-knob class with the host on one side, and an unknown class, naming --classes', () => {
    expect(() => diffClasses(['vm-file-max'], extra, VM_CLASSES, false)).toThrow(ContractError);
    expect(() => diffClasses(['vm-file-max'], extra, VM_CLASSES, false)).toThrow('only when both kernels are booted in QEMU');
    expect(() => diffClasses(['rooot'], extra, VM_CLASSES, true)).toThrow('--classes: unknown environment class rooot');
  });
});

describe('diff boots', () => {
  const group = (label: string, n: number): DiffGroup => ({ label, env: defaultEnv({ profile: debian61 }), calls: Array.from({ length: n }, (): Call => ({ a0: 1n, a1: 1n, a2: 0n })) });

  it('packs consecutive environments into chunks of at most the limit, a larger one alone', () => {
    const chunks = chunkGroups([group('a', 3), group('b', 4), group('c', 10), group('d', 1), group('e', 2)], 8);
    expect(chunks.map((c) => c.map((g) => g.label).join(''))).toEqual(['ab', 'c', 'de']);
    expect(chunkGroups([], 8)).toEqual([]);
  });

  it('counts what a side could not run by class, side and reason, apart from the differences', async () => {
    const ok: Observation = { outcome: { kind: 'errno', errno: 'EAFNOSUPPORT' } };
    const side = (name: string, f: (g: DiffGroup) => Observation[]): DiffSide => ({ name, observeGroups: async (gs) => gs.map(f) });
    const a = side('A', (g) => g.calls.map(() => ok));
    const b = side('B', (g) => g.calls.map((_c, i) => (g.label === 'x' && i === 0 ? { unobserved: 'the boot failed' } : g.label === 'y' ? { outcome: { kind: 'errno', errno: 'EPERM' } } : ok)));
    const s = await runDiff(a, b, [group('x', 2), group('y', 1)], debian61, () => 0);
    expect(s).toMatchObject({ points: 3, unobserved: 1, unobservedWhy: { 'x: B: the boot failed': 1 }, kernelAlerts: { a: [], b: [] } });
    expect(s.differences.map((d) => [d.group, d.a, d.b])).toEqual([['y', '-1 EAFNOSUPPORT (Address family not supported by protocol)', '-1 EPERM (Operation not permitted)']]);
  });

  it('shows the differences and what was not run in the report of a folder holding diff.json', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-diff-report-'));
    const ok: Observation = { outcome: { kind: 'errno', errno: 'EAFNOSUPPORT' } };
    const a: DiffSide = { name: 'A', observeGroups: async (gs) => gs.map((g) => g.calls.map(() => ok)) };
    const b: DiffSide = { name: 'B', observeGroups: async (gs) => gs.map((g) => g.calls.map((_c, i) => (i === 0 ? { unobserved: 'the boot failed' } : { outcome: { kind: 'errno', errno: 'EPERM' } }))) };
    const warn = 'boot 1: WARNING: CPU: 0 PID: 57 at net/core/sock.c:2097 sk_alloc+0x1a/0x40';
    const s = await runDiff(a, { ...b, alerts: () => [warn] }, [group('x', 3)], debian61, () => 0);
    expect(s.kernelAlerts).toEqual({ a: [], b: [warn] });
    expect(formatDiff(s)).toContain(`    ${warn}`);
    fs.writeFileSync(path.join(dir, 'diff.json'), JSON.stringify(s));
    const html = fs.readFileSync(writeReport(dir), 'utf8');
    expect(html).toContain(`<tr><td>B</td><td><code>${warn}</code></td></tr>`);
    expect(html).toContain('Kernel diff: A A, B B (3 points, 2 differ, 1 not run on one side)');
    expect(html).toContain('<table id="diff-unobserved"><tr><th>class: side: reason</th><th>calls</th></tr><tr><td>x: B: the boot failed</td><td>1</td></tr></table>');
  });
});
