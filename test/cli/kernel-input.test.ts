// Kernels that are not there or not kernels (issue 15): a linux-image package the registry lacks
// is exit 2 naming it (not the findings code 1), a file without the x86 boot header given as a
// kernel image is exit 2 naming the file before anything boots (not an internal error), and a
// corrupt cache entry is a bad file. Sources: oracle/kernels.ts, engine/vm.ts, cli/commands/kernels.ts.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SockspecError } from '../../contract';
import { fetchKernel, isBootImage, KernelFetchError } from '../../oracle/kernels';
import { vmOracleFor } from '../../engine/vm';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-kernel-input-'));
const run = (args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, SOCKSPEC_CACHE: cache } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A file of `size` bytes with `magic` at 0x202 (a bzImage's setup header, or not). */
function image(name: string, magic: string, size = 0x400): string {
  const b = Buffer.alloc(size);
  b.write(magic, 0x202, 'latin1');
  const file = path.join(cache, name);
  fs.writeFileSync(file, b);
  return file;
}

describe('kernel images', () => {
  it('isBootImage reads the "HdrS" magic at 0x202, and nothing else passes', () => {
    expect(isBootImage(image('bz', 'HdrS'))).toBe(true);
    expect(isBootImage(image('elf', 'ELF!'))).toBe(false);
    expect(isBootImage(image('short', '', 0x203))).toBe(false);
    expect(isBootImage('/etc/passwd')).toBe(false);
    expect(isBootImage(path.join(cache, 'none'))).toBe(false);
    expect(isBootImage(cache)).toBe(false);
  });

  it('a file that is not a kernel image is refused before booting, naming the flag and the file', () => {
    expect(() => vmOracleFor('/etc/passwd', undefined, undefined, undefined, () => undefined)).toThrow(SockspecError);
    expect(() => vmOracleFor('/etc/passwd', undefined, undefined, undefined, () => undefined)).toThrow('--kernel-image: /etc/passwd is not a kernel image: no x86 boot header ("HdrS" at offset 0x202)');
    expect(vmOracleFor(image('ok', 'HdrS'), undefined, undefined, undefined, () => undefined).oracle).toBeDefined();
  });

  it('check --oracle vm, diff and kernels probe exit 2 for /etc/passwd, not 70', () => {
    const c = run(['check', '--oracle', 'vm', '--kernel-image', '/etc/passwd', '--classes', 'root']);
    expect([c.code, c.err.trim()]).toEqual([2, 'sockspec: --kernel-image: /etc/passwd is not a kernel image: no x86 boot header ("HdrS" at offset 0x202); give a bzImage or vmlinuz']);
    const d = run(['diff', '--a', '/etc/passwd', '--b', '/etc/passwd', '--tuples', '/dev/null']);
    expect([d.code, d.err]).toEqual([2, expect.stringMatching(/^sockspec: --a: \/etc\/passwd is not a kernel image/)]);
    const p = run(['kernels', 'probe', '/etc/passwd', '--release', '6.18', '--out', path.join(cache, 'p.json')]);
    expect([p.code, /\/etc\/passwd is not a kernel image/.test(p.err)]).toEqual([2, true]);
  });
});

describe('kernels fetch', () => {
  it('an unknown name is an unknown-name error naming it', () => {
    let e: unknown;
    try {
      fetchKernel('debian-9.9');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(KernelFetchError);
    expect([(e as SockspecError).code, (e as SockspecError).field]).toEqual(['unknown-name', 'debian-9.9']);
  });

  (has('apt-get') && has('apt-cache') ? it : it.skip)('a linux-image package the registry lacks exits 2 naming it, not 1', () => {
    const r = run(['kernels', 'fetch', 'linux-image-nosuch']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^sockspec: linux-image-nosuch: no package linux-image-nosuch in the registry/m);
    expect(fs.existsSync(path.join(cache, 'kernels', 'linux-image-nosuch'))).toBe(false);
  }, 120000);

  it('a corrupt kernel.json in the cache is a bad file naming it, not an internal error', () => {
    const dir = path.join(cache, 'kernels', 'debian-6.1');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'kernel.json'), '{"name": "debian-6.1", ');
    const r = run(['kernels', 'list']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`sockspec: ${path.join(dir, 'kernel.json')}: not JSON`);
    fs.rmSync(dir, { recursive: true });
  });
});
