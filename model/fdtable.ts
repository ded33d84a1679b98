// The per-process fd table as socket() sees it: the lowest free fd, RLIMIT_NOFILE applied to the fd
// *number*, table growth refused at fs.nr_open, and CLOEXEC set in the same locked step as the bit
// that makes the fd open. A failed call never touches it.
// Sources: fs/file.c (alloc_fd, expand_files, alloc_fdtable, __set_open_fd); docs/kernel.md §4.

import type { FdtableGrowth } from './profile';
import type { FdEntry, FdTable } from './types';

/** `NR_OPEN_DEFAULT` (BITS_PER_LONG): the fd array embedded in files_struct. */
export const NR_OPEN_DEFAULT = 64;


// Tables are immutable, so the lowest free fd is computed once per table and remembered: a
// campaign evaluates many calls against one table, and a dense table costs a pass per call.
const LOWEST = new WeakMap<FdTable, number>();

/** The lowest fd not in the table. Entries are sorted, so one pass suffices. */
export function lowestFree(t: FdTable): number {
  let want = LOWEST.get(t);
  if (want !== undefined) return want;
  want = 0;
  for (const e of t.entries) {
    if (e.fd === want) want++;
    else if (e.fd > want) break;
  }
  LOWEST.set(t, want);
  return want;
}

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The size `alloc_fdtable` gives a table asked to hold fd `fd`, or -1 where it refuses (EMFILE).
 * Since "alloc_fdtable(): change calling conventions" (`pow2`: mainline, as on 6.18; stable 6.1.150
 * and 5.15.191; Debian's 6.12 from 6.12.43-1): roundup_pow_of_two(fd + 1), clamped down to a multiple of 64
 * below fs.nr_open and refused if that no longer covers `fd`. Before (`kib-chunks`): 1 KiB chunks
 * of pointers rounded to a power of two, clamped up to the next multiple of 64 above fs.nr_open.
 */
export function grownSize(fd: number, nrOpen: number, growth: FdtableGrowth): number {
  if (growth === 'pow2') {
    let nr = Math.max(roundupPow2(fd + 1), NR_OPEN_DEFAULT);
    if (nr > nrOpen) {
      nr = Math.floor(nrOpen / 64) * 64;
      if (nr < fd + 1) return -1;
    }
    return nr;
  }
  const perKiB = 128;
  let nr = roundupPow2(Math.floor(fd / perKiB) + 1) * perKiB;
  if (nr > nrOpen) nr = (((nrOpen - 1) | 63) >>> 0) + 1;
  return nr;
}

/** `fdt->max_fds`: given, or what growing the table to hold the highest open fd produced. */
export function tableSize(t: FdTable, nrOpen: number, growth: FdtableGrowth): number {
  if (t.maxFds !== undefined) return t.maxFds;
  const n = t.entries.length;
  const highest = n === 0 ? -1 : t.entries[n - 1].fd;
  if (highest < NR_OPEN_DEFAULT) return NR_OPEN_DEFAULT;
  return Math.max(grownSize(highest, Number.MAX_SAFE_INTEGER, growth), highest + 1);
}

/**
 * Whether giving out `fd` needs a table growth that fs.nr_open refuses (`expand_files`: fd >=
 * nr_open, or the clamped `alloc_fdtable` size no longer covers fd).
 */
export function growthRefused(t: FdTable, fd: number, nrOpen: number, growth: FdtableGrowth): boolean {
  if (fd < tableSize(t, nrOpen, growth)) return false;
  if (fd >= nrOpen) return true;
  return grownSize(fd, nrOpen, growth) < 0;
}

/** A table holding `fds` (no flags set). Duplicates are dropped; order does not matter. */
export function fdTable(fds: readonly number[], maxFds?: number): FdTable {
  const sorted = [...new Set(fds)].sort((a, b) => a - b);
  const entries = sorted.map((fd) => ({ fd, cloexec: false, nonblock: false }));
  return maxFds === undefined ? { entries } : { entries, maxFds };
}

/** The table with `e` added (its fd must be free). The size grows as fd_install's caller grew it. */
export function withEntry(t: FdTable, e: FdEntry): FdTable {
  const entries = t.entries.slice();
  let i = entries.length;
  while (i > 0 && entries[i - 1].fd > e.fd) i--;
  entries.splice(i, 0, e);
  return t.maxFds === undefined ? { entries } : { entries, maxFds: t.maxFds };
}

/** The table with `fd` closed; the table never shrinks. */
export function withoutFd(t: FdTable, fd: number): FdTable {
  const entries = t.entries.filter((e) => e.fd !== fd);
  return t.maxFds === undefined ? { entries } : { entries, maxFds: t.maxFds };
}

/** The entry for `fd`, if open. */
export function entryOf(t: FdTable, fd: number): FdEntry | undefined {
  return t.entries.find((e) => e.fd === fd);
}
