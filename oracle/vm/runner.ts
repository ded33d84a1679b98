// The VM oracle: boots a kernel image in QEMU (software emulation, `-M pc`: /dev/kvm here cannot
// run a stock kernel, and microvm sometimes hangs calibrating its clock) with an initramfs whose
// PID 1 is the static executor, and replays request frames in it. The requests go in as a
// second, separately gzipped cpio archive appended to a cached base archive; the replies come
// back on the second UART (ttyS1 → a file), the console (ttyS0) goes to a log kept for WARN and
// oops evidence. A run is valid only if the end marker (a HELLO reply after the last request)
// and every RUN's DONE arrive; a timeout, panic or hang is an oracle failure, retried once and
// then reported, never a kernel result.
// Sources: docs/vm-oracle.md (measurements, caveats); oracle/codec/ (the requests and replies).

import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Call, Env } from '../../model/types';
import type { Step } from '../../model/sequence';
import { FILE_MAX_DEFAULT, NR_OPEN_SYSCTL_DEFAULT } from '../../model/state';
import {
  decodeRecord, requestFrame, runReplyDecoder, runRequest, sequenceReplyDecoder, sequenceRequest, type KernelRun, type SequenceRun, type VmGlobals,
} from '../codec';
import { executorPath } from '../host/discovery';
import { replyFrames } from '../host/frames';
import type { Observation } from '../compare';
import { observe } from '../observe';
import { HELLO_REPLY, KIND, MAX_CALLS, MAX_UNIX_HOLD, PROTOCOL_VERSION } from '../protocol';
import { cpioGz, type CpioEntry } from './cpio';
import { ContractError } from '../../contract/errors';

/** How modules behave in the guest (see docs/vm-oracle.md §6). */
export type ModuleMode = 'preload' | 'autoload' | 'none';

export interface VmKernel {
  /** The bzImage / vmlinuz to boot. */
  readonly image: string;
  /** `lib/modules/RELEASE` of the same kernel (with modules.dep), or undefined for none. */
  readonly modules?: string;
}

export interface VmOptions {
  readonly kernel: VmKernel;
  /** Default: preload where there are modules (deterministic), none otherwise. */
  readonly moduleMode?: ModuleMode;
  /** Wall-clock limit of one boot, in ms (default 180 s; TCG boots take 2-4 s plus the calls). */
  readonly bootTimeoutMs?: number;
  /** Per-call timeout inside the guest (ms), as the host executor's. */
  readonly callTimeoutMs?: number;
  /** Where base initramfs archives are cached (default: $SOCKSPEC_CACHE/initramfs). */
  readonly cacheDir?: string;
  /**
   * The replies' channel: `serial` (the second UART, ttyS1) or `debugcon` (QEMU's isa-debugcon
   * port 0xe9, written with outsb: no interrupts and no tty layer, so large batches come back
   * many times faster). Default serial.
   */
  readonly replies?: 'serial' | 'debugcon';
  /** Guest CPUs (default 1; TCG runs one host thread per vCPU). */
  readonly cpus?: number;
  /** Where each boot's kernel console is kept, as boot-N.log (failed boots too); default nowhere. */
  readonly consoleDir?: string;
}

/**
 * The console lines that say the kernel itself went wrong (a WARN, a BUG, an oops, a sanitizer
 * report, a panic), without their timestamps: with socket() calls as the only workload, each is a
 * finding about the kernel, whatever the calls returned. Console text may be cut mid-line by
 * other messages, so a headline is matched anywhere in a line.
 * @example consoleAlerts('[    2.5] WARNING: CPU: 0 PID: 1 at net/socket.c:1 x\n') // ['WARNING: CPU: 0 PID: 1 at net/socket.c:1 x']
 */
export function consoleAlerts(console: string): string[] {
  const out: string[] = [];
  for (const line of console.split(/\r?\n/)) {
    const m = /(WARNING: .*|BUG: .*|kernel BUG at .*|Oops: .*|general protection fault.*|UBSAN: .*|KASAN: .*|Kernel panic - .*|RCU detected stall.*|rcu: INFO: .*stall.*)$/.exec(line);
    if (m !== null) out.push(m[1].trim());
  }
  return out;
}

/** A boot that did not give a complete result: never a kernel answer. */
export class VmFailure extends Error {
  override readonly name = 'VmFailure';
  constructor(message: string, readonly consoleTail: string) {
    super(message);
  }
}

/** The aliases socket() itself can request (docs/vm-oracle.md §6.2): net-pf-F[-proto-P[-type-T]], without genl and sock_diag. */
export function socketAlias(alias: string): boolean {
  return /^net-pf-\d+(-proto-\d+(-type-\d+)?)?$/.test(alias) && !/^net-pf-16-proto-4-type-/.test(alias);
}

/**
 * Socket-family modules with no net-pf alias in Debian's packages (so autoload never loads them);
 * "preload" loads them by name too, which is what the debian-6.1 profile ("every socket-family
 * module loaded") describes, while debian-6.1-autoload leaves them out.
 */
export const ALIASLESS_FAMILY_MODULES: readonly string[] = ['rds', 'tipc', 'dccp_ipv4', 'dccp_ipv6'];

/** The static executor binary the guest runs as PID 1. */
export function staticExecutorPath(): string {
  return path.join(path.dirname(executorPath()), 'sockspec-executor-static');
}

/** Whether an ELF64 file has no program interpreter (PT_INTERP): it runs in a guest with no libc. */
export function staticElf(file: string): boolean {
  const b = fs.readFileSync(file);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const off = Number(b.readBigUInt64LE(0x20));
  const size = b.readUInt16LE(0x36);
  for (let i = 0; i < b.readUInt16LE(0x38); i++) if (b.readUInt32LE(off + i * size) === 3) return false;
  return true;
}

function findBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    if (fs.existsSync(p) && staticElf(p)) return p;
  }
  throw new VmFailure('no static busybox for the guest\'s modprobe (Debian: apt-get install busybox-static)', '');
}

/** The module subset of the initramfs: every module with a socket alias and its modules.dep closure, re-indexed with depmod. */
function moduleEntries(modules: string, release: string): { entries: CpioEntry[]; aliases: string[] } {
  const alias = fs.readFileSync(path.join(modules, 'modules.alias'), 'utf8');
  const deps = new Map<string, string[]>();
  for (const line of fs.readFileSync(path.join(modules, 'modules.dep'), 'utf8').split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m !== null) deps.set(m[1], m[2].split(/\s+/).filter((x) => x !== ''));
  }
  const byName = new Map<string, string>();
  for (const file of deps.keys()) byName.set(path.basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_'), file);
  const aliases: string[] = [];
  const want = new Set<string>();
  const add = (file: string): void => {
    if (want.has(file)) return;
    want.add(file);
    for (const d of deps.get(file) ?? []) add(d);
  };
  for (const line of alias.split('\n')) {
    const m = /^alias (\S+) (\S+)$/.exec(line);
    if (m === null || !socketAlias(m[1])) continue;
    const file = byName.get(m[2].replace(/-/g, '_'));
    if (file === undefined) continue;
    aliases.push(m[1]);
    add(file);
  }
  for (const name of ALIASLESS_FAMILY_MODULES) {
    const file = byName.get(name);
    if (file === undefined) continue;
    aliases.push(name);
    add(file);
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-mods-'));
  try {
    const base = path.join(stage, 'lib', 'modules', release);
    for (const file of want) {
      const src = path.join(modules, file);
      const dst = path.join(base, file.replace(/\.ko\.xz$/, '.ko'));
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      if (file.endsWith('.xz')) {
        const x = spawnSync('xz', ['-dc', src], { maxBuffer: 1 << 28 });
        if (x.status !== 0) throw new VmFailure(`xz -dc ${src} failed (Debian: apt-get install xz-utils)`, '');
        fs.writeFileSync(dst, x.stdout);
      } else {
        fs.copyFileSync(src, dst);
      }
    }
    for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
      if (fs.existsSync(path.join(modules, f))) fs.copyFileSync(path.join(modules, f), path.join(base, f));
    }
    const d = spawnSync('depmod', ['-b', stage, release], { encoding: 'utf8' });
    if (d.status !== 0) throw new VmFailure(`depmod -b over the module subset failed: ${d.stderr}`, '');
    const entries: CpioEntry[] = [];
    const walk = (dir: string, rel: string): void => {
      entries.push({ path: rel, kind: 'dir' });
      for (const name of fs.readdirSync(dir).sort()) {
        const full = path.join(dir, name);
        if (fs.statSync(full).isDirectory()) walk(full, `${rel}/${name}`);
        else entries.push({ path: `${rel}/${name}`, kind: 'file', data: fs.readFileSync(full) });
      }
    };
    entries.push({ path: 'lib', kind: 'dir' }, { path: 'lib/modules', kind: 'dir' });
    walk(base, `lib/modules/${release}`);
    return { entries, aliases: [...new Set(aliases)] };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

const BASE_FORMAT = 1;

/** The base initramfs (gzipped) for a kernel and module mode, built once and cached by content. */
export function baseInitramfs(kernel: VmKernel, mode: ModuleMode, cacheDir: string): string {
  const exe = staticExecutorPath();
  if (!fs.existsSync(exe)) throw new VmFailure(`${exe} is missing; build it with scripts/build-executor.sh`, '');
  // The key covers everything the archive is made of: the executor, the mode, the module tree and
  // the subset rules (bump BASE_FORMAT when moduleEntries changes).
  const h = crypto.createHash('sha256').update(`${BASE_FORMAT}|${mode}|${kernel.modules ?? '-'}|${ALIASLESS_FAMILY_MODULES.join(',')}|`).update(fs.readFileSync(exe));
  if (kernel.modules !== undefined) h.update(fs.readFileSync(path.join(kernel.modules, 'modules.dep')));
  const file = path.join(cacheDir, `base-${h.digest('hex').slice(0, 20)}.cpio.gz`);
  if (fs.existsSync(file)) return file;
  const entries: CpioEntry[] = [
    { path: 'dev', kind: 'dir' }, { path: 'dev/console', kind: 'char', major: 5, minor: 1 }, { path: 'proc', kind: 'dir' },
    { path: 'init', kind: 'file', data: fs.readFileSync(exe), mode: 0o755 },
  ];
  if (kernel.modules !== undefined && mode !== 'none') {
    const release = path.basename(kernel.modules);
    const m = moduleEntries(kernel.modules, release);
    entries.push(
      { path: 'bin', kind: 'dir' }, { path: 'bin/busybox', kind: 'file', data: fs.readFileSync(findBusybox()), mode: 0o755 },
      { path: 'sbin', kind: 'dir' }, { path: 'sbin/modprobe', kind: 'symlink', target: '../bin/busybox' },
      ...m.entries, { path: 'preload', kind: 'file', data: `${m.aliases.join('\n')}\n` },
    );
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, cpioGz(entries));
  fs.renameSync(tmp, file);
  return file;
}

/** One boot: the requests in, the raw reply bytes and the console log out. */
export async function bootOnce(opts: VmOptions, requests: Buffer, consoleFile?: string): Promise<{ replies: Buffer; console: string; seconds: number }> {
  const mode = opts.moduleMode ?? (opts.kernel.modules !== undefined ? 'preload' : 'none');
  const cacheDir = opts.cacheDir ?? path.join(process.env.SOCKSPEC_CACHE || path.join(os.homedir(), '.cache', 'sockspec'), 'initramfs');
  const base = baseInitramfs(opts.kernel, mode, cacheDir);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-vm-'));
  try {
    const initrd = path.join(dir, 'run.cpio.gz');
    fs.writeFileSync(initrd, Buffer.concat([fs.readFileSync(base), cpioGz([{ path: 'requests', kind: 'file', data: requests }])]));
    const consoleLog = path.join(dir, 'console.log');
    const repliesFile = path.join(dir, 'replies.bin');
    const args = [
      '-accel', 'tcg', '-M', 'pc', '-m', '512', '-smp', String(opts.cpus ?? 1), '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-nodefaults', '-no-user-config', '-serial', `file:${consoleLog}`,
      ...(opts.replies === 'debugcon'
        ? ['-chardev', `file,id=replies,path=${repliesFile}`, '-device', 'isa-debugcon,iobase=0xe9,chardev=replies']
        : ['-serial', `file:${repliesFile}`]),
      '-kernel', opts.kernel.image, '-initrd', initrd,
      '-append', `console=ttyS0 quiet panic=-1 SOCKSPEC_MODULES=${mode} SOCKSPEC_REPLIES=${opts.replies ?? 'serial'}`,
    ];
    const t0 = process.hrtime.bigint();
    const limit = opts.bootTimeoutMs ?? 180000;
    const outcome = await new Promise<string>((resolve) => {
      const q = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      q.stderr.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-2000); });
      const timer = setTimeout(() => { q.kill('SIGKILL'); }, limit);
      q.on('error', (e) => { clearTimeout(timer); resolve(`qemu-system-x86_64 could not start (${e.message}; Debian: apt-get install qemu-system-x86)`); });
      q.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(signal === 'SIGKILL' ? `timed out after ${limit} ms` : code === 0 ? '' : `qemu exited with ${signal ?? code}: ${err.trim()}`);
      });
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const console = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, 'latin1') : '';
    if (consoleFile !== undefined) {
      fs.mkdirSync(path.dirname(consoleFile), { recursive: true });
      fs.writeFileSync(consoleFile, console, 'latin1');
    }
    if (outcome !== '') throw new VmFailure(`the VM run failed: ${outcome}`, console.slice(-4000));
    return { replies: fs.existsSync(repliesFile) ? fs.readFileSync(repliesFile) : Buffer.alloc(0), console, seconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The global knobs an environment asks the guest for: fs.nr_open when it differs from the model's
 * default; fs.file-max when it differs from the model's (no limit), and then as many AF_UNIX
 * sockets held open as it counts (the guest has none of its own). With the default file-max the
 * unix count cannot matter (it is compared with twice it).
 */
export function vmGlobals(env: Env): VmGlobals {
  const nrOpen = env.nrOpen === NR_OPEN_SYSCTL_DEFAULT ? 0 : env.nrOpen;
  if (nrOpen !== 0 && (nrOpen < 64 || !Number.isSafeInteger(nrOpen))) throw new RangeError(`fs.nr_open ${env.nrOpen}: the kernel takes 64 or more`);
  if (env.fileMax === FILE_MAX_DEFAULT) return { file_max: 0n, unix_socks: 0, nr_open: nrOpen };
  // 0 in the record means "leave it"; fs.file-max 1 has the same effect as 0 in a guest whose PID 1 holds files.
  if (env.fileMax < 1 || !Number.isSafeInteger(env.fileMax)) throw new RangeError(`fs.file-max ${env.fileMax}: the guest takes 1 or more`);
  if (env.unixSockets > MAX_UNIX_HOLD) throw new RangeError(`${env.unixSockets} unix sockets: the guest holds at most ${MAX_UNIX_HOLD}`);
  return { file_max: BigInt(env.fileMax), unix_socks: env.unixSockets, nr_open: nrOpen };
}

/** The oracle in a VM: many RUNs per boot, each decoded as the host oracle decodes its own. */
export class VmOracle {
  /** Seconds of the latest boot, launch to QEMU exit. */
  lastBootSeconds = 0;
  /** Boots so far, failed ones included. */
  boots = 0;
  /** consoleAlerts of every boot so far, each as `boot N: line`. */
  readonly alerts: string[] = [];

  constructor(readonly opts: VmOptions) {}

  /** Runs each job (an environment and its calls) in its own child, all in one boot; retried once on an oracle failure. */
  async runMany(jobs: ReadonlyArray<{ readonly env: Env; readonly calls: readonly Call[] }>): Promise<KernelRun[]> {
    const timeout = this.opts.callTimeoutMs ?? 5000;
    // Encoding errors (an env the executor cannot represent) surface here, before any boot.
    const requests = jobs.map((j) => runRequest(j.env, j.calls, timeout, vmGlobals(j.env)));
    return this.bootWith(requests, () => jobs.map((job) => runReplyDecoder(job.env, job.calls)));
  }

  run(env: Env, calls: readonly Call[]): Promise<KernelRun> {
    return this.runMany([{ env, calls }]).then((r) => r[0]);
  }

  /**
   * Runs sequences (each in its own child, steps in order, the fd table after each), all in one
   * boot; retried once on an oracle failure. An environment the guest cannot set up rejects here,
   * before any boot.
   */
  async sequences(jobs: ReadonlyArray<{ readonly env: Env; readonly steps: readonly Step[] }>): Promise<SequenceRun[]> {
    const timeout = this.opts.callTimeoutMs ?? 5000;
    const requests = jobs.map((j) => sequenceRequest(j.env, j.steps, timeout, vmGlobals(j.env)));
    return this.bootWith(requests, () => jobs.map((j) => sequenceReplyDecoder(j.steps)));
  }

  /** One boot serving `requests` between two HELLOs, its replies decoded (fresh decoders per attempt); retried once. */
  private async bootWith<T>(requests: readonly Buffer[], decoders: () => ReadonlyArray<(kind: number, payload: Buffer) => T | undefined>): Promise<T[]> {
    const hello = requestFrame(KIND.HELLO);
    const stream = Buffer.concat([hello, ...requests, hello, requestFrame(KIND.QUIT)]);
    let last: VmFailure | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const n = ++this.boots;
      let boot;
      try {
        boot = await bootOnce(this.opts, stream, this.opts.consoleDir === undefined ? undefined : path.join(this.opts.consoleDir, `boot-${n}.log`));
      } catch (e) {
        if (!(e instanceof VmFailure)) throw e;
        this.alerts.push(...consoleAlerts(e.consoleTail).map((l) => `boot ${n} (failed): ${l}`));
        last = e;
        continue;
      }
      this.lastBootSeconds = boot.seconds;
      this.alerts.push(...consoleAlerts(boot.console).map((l) => `boot ${n}: ${l}`));
      try {
        return decodeFrames(boot.replies, boot.console, decoders());
      } catch (e) {
        if (!(e instanceof VmFailure)) throw e;
        last = e;
      }
    }
    throw last as VmFailure;
  }

  /** Any number of calls in one environment, in one boot (see observeGroups). */
  async observe(env: Env, calls: readonly Call[]): Promise<Observation[]> {
    return (await this.observeGroups([{ env, calls }]))[0];
  }

  /**
   * Calls in many environments, all in one boot (each split into RUNs of at most MAX_CALLS).
   * An environment the guest cannot set up (a knob out of its range, more fds or filters than the
   * executor lays out) makes its calls unobserved, with the reason, and the others still run.
   */
  async observeGroups(groups: ReadonlyArray<{ readonly env: Env; readonly calls: readonly Call[] }>): Promise<Observation[][]> {
    const out: Observation[][] = groups.map(() => []);
    const jobs: Array<{ group: number; env: Env; calls: readonly Call[] }> = [];
    groups.forEach((g, i) => {
      try {
        runRequest(g.env, g.calls.slice(0, 1), 0, vmGlobals(g.env));
      } catch (e) {
        if (!(e instanceof RangeError) && !(e instanceof ContractError)) throw e;
        const why: Observation = { unobserved: `the guest cannot set up this environment: ${e.message}` };
        out[i] = g.calls.map(() => why);
        return;
      }
      for (let k = 0; k < g.calls.length; k += MAX_CALLS) jobs.push({ group: i, env: g.env, calls: g.calls.slice(k, k + MAX_CALLS) });
    });
    if (jobs.length === 0) return out;
    const runs = await this.runMany(jobs);
    runs.forEach((run, j) => {
      const dst = out[jobs[j].group];
      for (const r of run.results) dst.push(observe(r, run));
    });
    return out;
  }
}

/** The replies of one boot as runs; anything short of the end marker is a VmFailure. */
export function decodeBoot(replies: Buffer, console: string, jobs: ReadonlyArray<{ readonly env: Env; readonly calls: readonly Call[] }>): KernelRun[] {
  return decodeFrames(replies, console, jobs.map((job) => runReplyDecoder(job.env, job.calls)));
}

/** The replies of one boot, one decoder per request between the two HELLOs; anything short of the end marker is a VmFailure. */
function decodeFrames<T>(replies: Buffer, console: string, decoders: ReadonlyArray<(kind: number, payload: Buffer) => T | undefined>): T[] {
  const { frames } = replyFrames(replies);
  const tail = console.slice(-4000);
  let k = 0;
  const next = (): { kind: number; payload: Buffer } => {
    const f = frames[k++];
    if (f === undefined) throw new VmFailure(`the replies end early (${frames.length} frames, ${replies.length} bytes): no end marker`, tail);
    return f;
  };
  const first = next();
  if (first.kind !== KIND.HELLO_REPLY) throw new VmFailure(`the first reply is frame kind ${first.kind}, not HELLO_REPLY`, tail);
  const version = decodeRecord(HELLO_REPLY, first.payload).version as number;
  if (version !== PROTOCOL_VERSION) throw new VmFailure(`the guest's executor speaks protocol ${version}, this sockspec ${PROTOCOL_VERSION}: rebuild (npm run build)`, tail);
  const runs: T[] = [];
  for (const decode of decoders) {
    for (;;) {
      const f = next();
      const run = decode(f.kind, f.payload);
      if (run !== undefined) {
        runs.push(run);
        break;
      }
    }
  }
  const end = next();
  if (end.kind !== KIND.HELLO_REPLY) throw new VmFailure(`frame kind ${end.kind} where the end marker was due`, tail);
  decodeRecord(HELLO_REPLY, end.payload);
  return runs;
}
