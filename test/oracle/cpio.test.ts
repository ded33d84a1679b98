// The initramfs writer: newc entries read back by our reader and, where the machine has it, by
// GNU cpio itself; gzip members concatenate as the kernel expects; archives are reproducible.

import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { cpio, cpioGz, readCpio, type CpioEntry } from '../../oracle/vm/cpio';

const entries: CpioEntry[] = [
  { path: 'dev', kind: 'dir' },
  { path: 'dev/console', kind: 'char', major: 5, minor: 1 },
  { path: 'init', kind: 'file', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]), mode: 0o755 },
  { path: 'sbin/modprobe', kind: 'symlink', target: '../bin/busybox' },
  { path: 'calls', kind: 'file', data: '2 1 0\n1 2 0\n' },
];

describe('cpio newc', () => {
  it('writes entries that read back with their modes, data and device numbers, 4-byte aligned', () => {
    const a = cpio(entries);
    expect(a.length % 4).toBe(0);
    const back = readCpio(a);
    expect(back.map((e) => e.name)).toEqual(['dev', 'dev/console', 'init', 'sbin/modprobe', 'calls']);
    expect(back[1].mode).toBe(0o020600);
    expect(back[1].rdev).toEqual([5, 1]);
    expect(back[2].mode).toBe(0o100755);
    expect([...back[2].data]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
    expect(back[3].data.toString()).toBe('../bin/busybox');
    expect(back[4].data.toString()).toBe('2 1 0\n1 2 0\n');
    expect(cpio(entries).equals(a)).toBe(true);
    expect(() => cpio([{ path: '/', kind: 'dir' }])).toThrow(RangeError);
  });

  it('gzips members that concatenate into one stream of both archives', () => {
    const both = Buffer.concat([cpioGz(entries.slice(0, 3)), cpioGz(entries.slice(4))]);
    const raw = zlib.gunzipSync(both);
    const first = readCpio(raw);
    expect(first.map((e) => e.name)).toEqual(['dev', 'dev/console', 'init']);
    const second = readCpio(raw.subarray(cpio(entries.slice(0, 3)).length));
    expect(second.map((e) => e.name)).toEqual(['calls']);
  });

  const gnu = spawnSync('sh', ['-c', 'command -v cpio']).status === 0;
  (gnu ? it : it.skip)(`is read by GNU cpio${gnu ? '' : ' — skipped: no cpio on this machine'}`, () => {
    const r = spawnSync('cpio', ['-t', '--quiet'], { input: cpio(entries), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['dev', 'dev/console', 'init', 'sbin/modprobe', 'calls']);
  });
});
