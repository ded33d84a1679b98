// The initramfs archive format (cpio "newc", as the kernel unpacks it in init/initramfs.c):
// a 110-byte ASCII header per entry ("070701" and 13 eight-digit hex fields), the NUL-terminated
// name padded to 4 bytes, the data padded to 4 bytes, and a "TRAILER!!!" entry at the end. The
// kernel unpacks concatenated (and separately gzipped) archives in order, which is how a batch
// of calls is appended to a prebuilt initramfs. Owners are 0:0 and times 0, so archives are
// byte-for-byte reproducible.
// Sources: Documentation/driver-api/early-userspace/buffer-format.rst; init/initramfs.c.

import * as zlib from 'node:zlib';

export type CpioEntry =
  | { readonly path: string; readonly kind: 'dir'; readonly mode?: number }
  | { readonly path: string; readonly kind: 'file'; readonly data: Buffer | string; readonly mode?: number }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string }
  | { readonly path: string; readonly kind: 'char'; readonly major: number; readonly minor: number; readonly mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, size: number, nameSize: number, rmaj = 0, rmin = 0): string {
  const f = [ino, mode, 0, 0, 1, 0, size, 0, 0, rmaj, rmin, nameSize, 0];
  return `070701${f.map((v) => (v >>> 0).toString(16).padStart(8, '0')).join('')}`;
}

/** One newc archive of `entries` (paths without a leading slash), with its trailer. */
export function cpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const push = (h: string, name: string, data: Buffer): void => {
    const head = Buffer.from(`${h}${name}\0`, 'latin1');
    parts.push(head, Buffer.alloc(pad4(head.length)), data, Buffer.alloc(pad4(data.length)));
  };
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, '');
    if (name === '' || name.includes('\0')) throw new RangeError(`bad cpio path ${JSON.stringify(e.path)}`);
    const nameSize = Buffer.byteLength(name, 'latin1') + 1;
    switch (e.kind) {
      case 'dir':
        return push(header(i + 1, S_IFDIR | (e.mode ?? 0o755), 0, nameSize), name, Buffer.alloc(0));
      case 'file': {
        const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data;
        return push(header(i + 1, S_IFREG | (e.mode ?? 0o644), data.length, nameSize), name, data);
      }
      case 'symlink': {
        const data = Buffer.from(e.target);
        return push(header(i + 1, S_IFLNK | 0o777, data.length, nameSize), name, data);
      }
      case 'char':
        return push(header(i + 1, S_IFCHR | (e.mode ?? 0o600), 0, nameSize, e.major, e.minor), name, Buffer.alloc(0));
    }
  });
  push(header(0, 0, 0, 11), 'TRAILER!!!', Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** The archive gzipped, as an initramfs member (level 6, as the recipe measured). */
export function cpioGz(entries: readonly CpioEntry[]): Buffer {
  return zlib.gzipSync(cpio(entries), { level: 6 });
}

/** Reads a newc archive back (for tests and diagnostics): each entry's name, mode and data. */
export function readCpio(buf: Buffer): Array<{ name: string; mode: number; data: Buffer; rdev: [number, number] }> {
  const out: Array<{ name: string; mode: number; data: Buffer; rdev: [number, number] }> = [];
  let at = 0;
  for (;;) {
    const magic = buf.toString('latin1', at, at + 6);
    if (magic !== '070701') throw new RangeError(`bad cpio magic ${JSON.stringify(magic)} at byte ${at}`);
    const field = (k: number): number => parseInt(buf.toString('latin1', at + 6 + 8 * k, at + 14 + 8 * k), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString('latin1', at + 110, at + 110 + nameSize - 1);
    let p = at + 110 + nameSize;
    p += pad4(p);
    if (name === 'TRAILER!!!') return out;
    out.push({ name, mode, data: buf.subarray(p, p + size), rdev: [field(9), field(10)] });
    at = p + size + pad4(p + size);
  }
}
