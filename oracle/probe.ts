// The `host` kernel profile, probed from the live kernel through the executor the way syzkaller
// probes before fuzzing: which families are registered, the inetsw/inetsw6 lists, netlink
// protocols, the vsock datagram transport and CAN protocols. The probe discovers configuration
// only; every rule stays the model's. Sources: docs/kernel.md §5 and §10.3.

import * as os from 'node:os';
import { AF, defaultEnv, fdTable, reference618, SOCK, type Call, type Env, type FdtableGrowth, type KernelProfile, type Outcome } from '../model';
import type { HostOracle } from './host';
import { ContractError } from '../contract/errors';

const NOT_THERE = new Set(['EAFNOSUPPORT']);

function results(run: { results: ReadonlyArray<{ status: string; outcome?: Outcome }> }): (Outcome | undefined)[] {
  return run.results.map((r) => ('outcome' in r ? r.outcome : undefined));
}

function errnoOf(o: Outcome | undefined): string | undefined {
  return o?.kind === 'errno' ? o.errno : undefined;
}

/** Linux release `6.18.44-…` as [major, minor]. */
export function kernelVersion(release: string = os.release()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}

/**
 * The fd-table growth a release implies: `pow2` from 6.12 (Debian's 6.12 has it from 6.12.43-1;
 * earlier 6.12.y may not), and in the stable series that took "alloc_fdtable(): change calling
 * conventions" (6.1.150, 5.15.191). A distribution release such as Debian's `6.1.0-57` hides the
 * stable sublevel, so a probe that can set fs.nr_open measures it instead.
 */
export function growthOfRelease(release: string): FdtableGrowth {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (m === null) return 'pow2';
  const [major, minor, sub] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major > 6 || (major === 6 && minor >= 12)) return 'pow2';
  if ((major === 6 && minor === 1 && sub >= 150) || (major === 5 && minor === 15 && sub >= 191)) return 'pow2';
  return 'kib-chunks';
}

/**
 * Measures the growth where fs.nr_open can be set (in a VM): with fds 0..63 open (the embedded
 * table is full) and fs.nr_open 100, `pow2` clamps the grown table down to 64 (EMFILE) while
 * `kib-chunks` clamps it up to 128 (fd 64). Undefined when the answer is neither.
 */
async function measureGrowth(runOn: ProbeRun): Promise<FdtableGrowth | undefined> {
  const env: Env = { ...defaultEnv(), nrOpen: 100, rlimitNofile: 1024, fds: fdTable(Array.from({ length: 64 }, (_, i) => i)) };
  const [o] = results(await runOn(env, [{ a0: AF.UNIX, a1: SOCK.STREAM, a2: 0 }]));
  if (errnoOf(o) === 'EMFILE') return 'pow2';
  return o?.kind === 'fd' && o.fd === 64 ? 'kib-chunks' : undefined;
}

/** Runs calls in an environment on some kernel: the host oracle's `run`, or a VM oracle's. */
export type ProbeRun = (env: Env, calls: readonly Call[]) => Promise<{ results: ReadonlyArray<{ status: string; outcome?: Outcome }> }>;

/**
 * Probes the kernel behind `oracle` as real root with every capability, in a fresh netns with
 * ping_group_range open. Bluetooth is not probed: it refuses every netns but init_net, and the
 * executor never uses init_net.
 */
export async function probeHostProfile(oracle: HostOracle, release: string = os.release()): Promise<KernelProfile> {
  const run: ProbeRun = async (env, calls) => {
    const r = await oracle.run(env, calls);
    // A profile built from lost answers would be wrong: refuse it.
    if (r.lost !== undefined) throw new ContractError('--kernel host', `the probe lost its answers: ${r.lost}`, 'unavailable');
    return r;
  };
  return probeProfile(run, release, 'host', `probed from the running kernel (Linux ${release})`, 'through the executor');
}

/**
 * The profile of any kernel `run` reaches (the host, or an image in a VM), named `name`. With
 * `globals` (a VM, where fs.nr_open may change) the fd-table growth is measured, not inferred.
 */
export async function probeProfile(runOn: ProbeRun, release: string, name: string, description: string, how: string, globals = false): Promise<KernelProfile> {
  const oracle = { run: runOn };
  const env: Env = { ...defaultEnv(), pingGroupRange: [0, 2147483647], rlimitNofile: 1 << 16 };
  const famCalls: Call[] = [];
  for (let f = 0; f < 46; f++) for (const t of [1, 2, 3, 5, 4, 6, 10]) famCalls.push({ a0: f, a1: t, a2: 0 });
  const fam = results(await oracle.run(env, famCalls));
  const families: number[] = [];
  for (let f = 0; f < 46; f++) {
    const rs = fam.slice(f * 7, f * 7 + 7);
    if (rs.some((o) => o !== undefined && !NOT_THERE.has(errnoOf(o) ?? ''))) families.push(f);
  }
  const inetLists = async (family: number): Promise<Record<number, number[]>> => {
    const calls: Call[] = [];
    for (let t = 0; t <= 10; t++) for (let p = 0; p < 263; p++) calls.push({ a0: family, a1: t, a2: p });
    const rs = results(await oracle.run(env, calls));
    const lists: Record<number, number[]> = {};
    for (let t = 0; t <= 10; t++) {
      const row = rs.slice(t * 263, t * 263 + 263);
      const e0 = errnoOf(row[0]);
      // AF_INET + SOCK_PACKET never reaches inetsw: __sock_create remaps it to AF_PACKET.
      if (e0 === 'ESOCKTNOSUPPORT' || (family === AF.INET && t === SOCK.PACKET)) continue;
      const matched = row.map((o, p) => (p > 0 && (o?.kind === 'fd' || (errnoOf(o) !== 'EPROTONOSUPPORT' && errnoOf(o) !== undefined)) ? p : -1)).filter((p) => p > 0);
      if (matched.length === 262 && e0 === 'EPROTONOSUPPORT') {
        lists[t] = [0];
        continue;
      }
      const first = row[0]?.kind === 'fd' ? row[0].soprotocol : undefined;
      lists[t] = first === undefined ? matched : [first, ...matched.filter((p) => p !== first)];
    }
    return lists;
  };
  const inetsw = families.includes(AF.INET) ? await inetLists(AF.INET) : {};
  const inet6sw = families.includes(AF.INET6) ? await inetLists(AF.INET6) : {};
  const nl = results(await oracle.run(env, Array.from({ length: 32 }, (_, p): Call => ({ a0: AF.NETLINK, a1: SOCK.RAW, a2: p }))));
  const netlink = families.includes(AF.NETLINK) ? nl.flatMap((o, p) => (o?.kind === 'fd' ? [p] : [])) : [];
  const vs = results(await oracle.run(env, [{ a0: AF.VSOCK, a1: SOCK.DGRAM, a2: 0 }]));
  const can: Record<number, number> = {};
  if (families.includes(AF.CAN)) {
    const calls: Call[] = [];
    for (let p = 0; p < 8; p++) for (let t = 1; t <= 5; t++) calls.push({ a0: AF.CAN, a1: t, a2: p });
    const rs = results(await oracle.run(env, calls));
    for (let p = 0; p < 8; p++) for (let t = 1; t <= 5; t++) if (rs[p * 5 + t - 1]?.kind === 'fd') can[p] = t;
  }
  const [major, minor] = kernelVersion(release);
  const atLeast = (a: number, b: number): boolean => major > a || (major === a && minor >= b);
  return {
    name,
    description,
    version: `${major}.${minor}`,
    families: families.filter((f) => f !== AF.BLUETOOTH),
    inetsw,
    inet6sw,
    netlink,
    vsockDgramTransport: vs[0]?.kind === 'fd',
    can,
    bluetooth: [],
    fdtableGrowth: (globals ? await measureGrowth(runOn) : undefined) ?? growthOfRelease(release),
    updateSocketProtocolHook: atLeast(6, 6),
    sources: [`probe of Linux ${release} ${how}`, `compare with ${reference618.name}`],
  };
}
