// Kernel images for the VM oracle: `sockspec kernels fetch debian-6.1 debian-6.12` downloads
// Debian's cloud kernel package with `apt-get download` and unpacks it with `dpkg-deb -x` (nothing
// is installed, no hook runs), then builds the module index with `depmod -b`. Each kernel is cached
// under `$SOCKSPEC_CACHE/kernels/NAME` (default `~/.cache/sockspec`), moved into place only when
// complete, with a kernel.json naming the image and the module tree. A package the registry does
// not have is an unknown name and a tool or download that fails is unavailable (both exit 2, as
// errors are data: contract/errors.ts); a file given as an image must carry the x86 boot header.
// Sources: docs/vm-oracle.md §2-3 (packages, sizes, the recipe), the x86 boot protocol
// (Documentation/arch/x86/boot.rst: the setup header's "HdrS" at 0x202).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SockspecError, type ErrorCode } from '../contract';

/** A fetched kernel: the image to boot and the modules of the same package. */
export interface KernelImage {
  readonly name: string;
  readonly package: string;
  /** `uname -r` of the kernel, e.g. `6.1.0-50-cloud-amd64`. */
  readonly release: string;
  readonly vmlinuz: string;
  /** `lib/modules/RELEASE` with modules.dep, or null for a kernel without modules. */
  readonly modules: string | null;
  readonly dir: string;
}

/**
 * A fetch that cannot be done, about the kernel name (`field`): an unknown name or a package the
 * registry does not have (`unknown-name`), a tool missing or a step failing (`unavailable`).
 */
export class KernelFetchError extends SockspecError {
  constructor(field: string, detail: string, code: ErrorCode = 'unavailable') {
    super(code, field, detail);
    this.name = 'KernelFetchError';
  }
}

function sh(cmd: string, args: readonly string[], cwd?: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error !== undefined) throw new KernelFetchError(cmd, `could not run (${r.error.message}); on Debian: apt-get install ${cmd === 'depmod' ? 'kmod' : 'apt dpkg'}`);
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

/** The package of a known kernel name, resolved in the registry now (ABI numbers move). */
const KNOWN: Readonly<Record<string, { readonly description: string; readonly resolve: () => string | undefined }>> = {
  'debian-6.1': {
    description: "Debian 12's cloud kernel, 6.1 LTS (the package linux-image-cloud-amd64 depends on)",
    resolve: () => /Depends:\s*(linux-image-6\.1\.\S+-cloud-amd64)\b/.exec(sh('apt-cache', ['depends', 'linux-image-cloud-amd64']).out)?.[1],
  },
  'debian-6.12': {
    description: "Debian's 6.12 LTS cloud kernel from bookworm-security (the newest linux-image-6.12.*+deb12-cloud-amd64)",
    resolve: () => {
      const names = sh('apt-cache', ['search', '--names-only', '^linux-image-6\\.12\\.[0-9.]+\\+deb12-cloud-amd64$']).out
        .split('\n').map((l) => l.split(' ')[0]).filter((n) => /^linux-image-6\.12\.[0-9.]+\+deb12-cloud-amd64$/.test(n));
      const num = (n: string): number[] => (/6\.12\.([0-9.]+)\+/.exec(n)?.[1] ?? '0').split('.').map(Number);
      return names.sort((a, b) => { const x = num(a); const y = num(b); for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0); return 0; }).pop();
    },
  },
};

export const KERNEL_NAMES: readonly string[] = Object.keys(KNOWN);

/** Where fetched kernels live. */
export function cacheRoot(): string {
  const c = process.env.SOCKSPEC_CACHE;
  return path.join(c !== undefined && c !== '' ? c : path.join(os.homedir(), '.cache', 'sockspec'), 'kernels');
}

/** The cached kernel called `name`, if it was fetched; a kernel.json that is not JSON is a bad file. */
export function cachedKernel(name: string): KernelImage | undefined {
  const f = path.join(cacheRoot(), name, 'kernel.json');
  if (!fs.existsSync(f)) return undefined;
  let k: Omit<KernelImage, 'dir' | 'vmlinuz' | 'modules'> & { vmlinuz: string; modules: string | null };
  try {
    k = JSON.parse(fs.readFileSync(f, 'utf8')) as typeof k;
  } catch (e) {
    throw new SockspecError('bad-file', f, `not JSON (${(e as Error).message}); delete ${path.dirname(f)} and fetch ${name} again`);
  }
  if (typeof k !== 'object' || k === null || typeof k.vmlinuz !== 'string') throw new SockspecError('bad-file', f, `not a kernel.json (no vmlinuz); delete ${path.dirname(f)} and fetch ${name} again`);
  const dir = path.dirname(f);
  return { ...k, dir, vmlinuz: path.join(dir, k.vmlinuz), modules: k.modules === null ? null : path.join(dir, k.modules) };
}

/** Every cached kernel. */
export function cachedKernels(): KernelImage[] {
  if (!fs.existsSync(cacheRoot())) return [];
  return fs.readdirSync(cacheRoot()).map(cachedKernel).filter((k): k is KernelImage => k !== undefined);
}

/**
 * Fetches `name` (a known name, or a `linux-image-…` package) unless it is cached. `log` hears
 * each step. Throws KernelFetchError with what failed.
 */
export function fetchKernel(name: string, log: (line: string) => void = () => undefined): KernelImage {
  const known = KNOWN[name];
  if (known === undefined && !/^linux-image-[A-Za-z0-9.+~-]+$/.test(name)) {
    throw new KernelFetchError(name, `unknown kernel: expected ${KERNEL_NAMES.join(', ')} or a linux-image-… package name`, 'unknown-name');
  }
  const hit = cachedKernel(name);
  if (hit !== undefined) {
    log(`${name}: cached (${hit.release}) in ${hit.dir}`);
    return hit;
  }
  const resolve = (): string | undefined => (known === undefined ? name : known.resolve());
  // apt-cache show reads the local lists: a package missing there after an update does not exist.
  const listed = (p: string | undefined): p is string => p !== undefined && sh('apt-cache', ['show', '-q', p]).ok;
  let pkg = resolve();
  if (!listed(pkg)) {
    log(`${name}: ${pkg ?? 'its package'} is not in the package lists; apt-get update`);
    const up = sh('apt-get', ['update', '-qq']);
    if (!up.ok) throw new KernelFetchError(name, `apt-get update failed: ${up.err.trim().split('\n').pop() ?? ''}`);
    pkg = resolve();
    if (pkg === undefined) throw new KernelFetchError(name, 'no package for it in the registry, even after apt-get update', 'unknown-name');
    if (!listed(pkg)) throw new KernelFetchError(name, `no package ${pkg} in the registry, even after apt-get update (apt-cache search linux-image lists the kernels there)`, 'unknown-name');
  }
  const work = fs.mkdtempSync(path.join(fs.mkdirSync(cacheRoot(), { recursive: true }) ?? cacheRoot(), `.${name}-`));
  try {
    const dl = sh('apt-get', ['download', '-q', pkg], work);
    if (!dl.ok) throw new KernelFetchError(name, `apt-get download ${pkg} failed: ${dl.err.trim().split('\n').pop() ?? ''}`);
    const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'));
    if (deb === undefined) throw new KernelFetchError(name, `apt-get download ${pkg} left no .deb`);
    log(`${name}: downloaded ${deb} (${(fs.statSync(path.join(work, deb)).size / 1e6).toFixed(1)} MB); unpacking`);
    const x = sh('dpkg-deb', ['-x', deb, 'root'], work);
    if (!x.ok) throw new KernelFetchError(name, `dpkg-deb -x ${deb} failed: ${x.err.trim()}`);
    fs.rmSync(path.join(work, deb));
    const boot = path.join(work, 'root', 'boot');
    const image = fs.existsSync(boot) ? fs.readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
    if (image === undefined) throw new KernelFetchError(name, `${pkg} holds no boot/vmlinuz-*: not a kernel image package`, 'bad-file');
    const release = image.slice('vmlinuz-'.length);
    const modRel = path.join('root', 'lib', 'modules', release);
    let modules: string | null = null;
    if (fs.existsSync(path.join(work, modRel))) {
      const d = sh('depmod', ['-b', path.join(work, 'root'), release]);
      if (!d.ok) throw new KernelFetchError(name, `depmod -b for ${release} failed: ${d.err.trim()}`);
      modules = modRel;
    }
    fs.writeFileSync(path.join(work, 'kernel.json'), `${JSON.stringify({ name, package: pkg, release, vmlinuz: path.join('root', 'boot', image), modules }, null, 2)}\n`);
    const dest = path.join(cacheRoot(), name);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(work, dest);
    const k = cachedKernel(name) as KernelImage;
    log(`${name}: ${k.release} in ${k.dir}`);
    return k;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Whether `file` is an x86 boot image (a bzImage/vmlinuz): the setup header's magic "HdrS" at offset 0x202. */
export function isBootImage(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const magic = Buffer.alloc(4);
    return fs.readSync(fd, magic, 0, 4, 0x202) === 4 && magic.toString('latin1') === 'HdrS';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What a known name stands for, for `sockspec kernels`. */
export function kernelDescription(name: string): string | undefined {
  return KNOWN[name]?.description;
}
