// `sockspec kernels fetch`: a real Debian kernel package downloaded with apt-get download,
// unpacked with dpkg-deb -x into a private cache (nothing installed), its module index built with
// depmod -b, cached, and listed. Skipped only where the machine has no apt-get, dpkg-deb or depmod.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-kernels-'));
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, SOCKSPEC_CACHE: cache } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['apt-get', 'dpkg-deb', 'depmod'].filter((c) => !has(c));

describe('sockspec kernels', () => {
  it('refuses an unknown kernel name with exit 2, naming it, before fetching anything', () => {
    const r = run(['kernels', 'fetch', 'debian-6.1', 'debian-9.9']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('debian-9.9: unknown kernel');
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  (missing.length === 0 ? it : it.skip)(`fetches Debian 6.1 into the cache, with its module index, and reuses it${missing.length ? ` — skipped: no ${missing.join(', ')} on this machine` : ''}`, () => {
    const r = run(['kernels', 'fetch', 'debian-6.1', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.out);
    expect(k.release).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
    expect(k.package).toBe(`linux-image-${k.release}`);
    // A bzImage: the setup header's "HdrS" magic at 0x202.
    const head = Buffer.alloc(0x210);
    const fd = fs.openSync(k.vmlinuz, 'r');
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    expect(head.toString('latin1', 0x202, 0x206)).toBe('HdrS');
    // depmod -b made the index: AF_KEY (15) and AF_ALG (38) are modules reached by their net-pf aliases.
    expect(fs.readFileSync(path.join(k.modules, 'modules.alias'), 'utf8')).toMatch(/^alias net-pf-15 af_key$/m);
    expect(fs.readFileSync(path.join(k.modules, 'modules.alias'), 'utf8')).toMatch(/^alias net-pf-38 af_alg$/m);
    expect(fs.readFileSync(path.join(k.modules, 'modules.dep'), 'utf8')).toMatch(/^kernel\/net\/key\/af_key\.ko: /m);
    const again = run(['kernels', 'fetch', 'debian-6.1']);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/debian-6\.1: cached/);
    expect(run(['kernels', 'list']).out).toMatch(new RegExp(`^debian-6\\.1\\s+${k.release.replace(/[.+]/g, '\\$&')}\\s`, 'm'));
    expect(fs.readdirSync(path.join(cache, 'kernels')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 180000);
});
