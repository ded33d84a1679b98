// The VM oracle kept up: one QEMU guest booted once, whose PID 1 (the static executor) serves
// request frames over the second UART until told to QUIT, so a campaign pays for one boot, not one
// per batch. The UART is QEMU's stdio here (`-chardev stdio`), so the guest is spoken to exactly
// as the host executor is, through pipes; the console goes to a file that is read after every
// request for kernel alerts. The request and reply bytes themselves go through a mailbox, QEMU's
// ivshmem memory shared with this process as a file: the emulated UART costs about 10 µs a byte,
// so it carries only the MAILBOX frame and its MAILBOX_REPLY (12 bytes each way). A guest that panics, hangs past the request's deadline, or goes away
// is rebooted and the batch retried once on the fresh boot; when the same batch kills it again,
// that is a finding about the kernel (KernelDied), carrying the batch. A guest that cannot boot at
// all is an oracle failure (ExecutorDied), never a kernel answer.
// Sources: docs/vm-oracle.md §3 (the recipe), §6.5 (console alerts), §9 (the kept-up guest).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultEnv } from '../../model/state';
import type { Call, Env } from '../../model/types';
import type { Step } from '../../model/sequence';
import {
  decodeRaceReply, decodeRecord, errorText, raceRequest, requestFrame, runReplyDecoder, runRequest, sequenceReplyDecoder, sequenceRequest,
  type KernelRun, type RaceMode, type RaceReply, type SequenceRun,
} from '../codec';
import { ExecutorDied, ExecutorError, KernelDied, ProtocolError } from '../errors';
import { FrameReader } from '../host/frames';
import { executorPath } from '../host/discovery';
import { ContractError } from '../../contract/errors';
import type { KernelOracle } from '../oracle';
import { COUNT_RECORD, EXEC_REPLY, HELLO_REPLY, KIND, MAILBOX_BYTES, MAILBOX_REPLY_OFFSET, PROTOCOL_VERSION } from '../protocol';
import { encodeRecord } from '../codec/records';
import { baseInitramfs, consoleAlerts, vmGlobals, type ModuleMode, type VmKernel } from './runner';
import { cpioGz } from './cpio';

/** How a guest is booted and spoken to. */
export interface GuestOptions {
  readonly kernel: VmKernel;
  /** Default: preload where there are modules, none otherwise (docs/vm-oracle.md §6.2). */
  readonly moduleMode?: ModuleMode;
  /** Per-call time limit inside the guest, in ms (default 5000: calls are about ten times slower under TCG). */
  readonly callTimeoutMs?: number;
  /** How long a boot may take until PID 1 says it is ready, in ms (default 180 s). */
  readonly bootTimeoutMs?: number;
  /** A request's deadline on top of its calls' time limits, in ms (default 60 s); past it the guest counts as hung. */
  readonly requestSlackMs?: number;
  /** Where base initramfs archives are cached (default $SOCKSPEC_CACHE/initramfs). */
  readonly cacheDir?: string;
  /** Guest CPUs (default 1). */
  readonly cpus?: number;
  /** Keep each boot's console here as boot-N.log (default: a temporary folder, removed at close). */
  readonly consoleDir?: string;
  /** Whether requests and replies go through the shared mailbox (default true; false: all over the UART). */
  readonly mailbox?: boolean;
  /** Files added to the guest's initramfs (a reproducer to EXEC, say), as a second archive. */
  readonly files?: ReadonlyArray<{ readonly path: string; readonly data: Buffer; readonly mode?: number }>;
  /** Test hook: SOCKSPEC_FAULT for PID 1 (`alert:F` or `panic:F`, oracle/executor/vm.c). */
  readonly fault?: string;
}

/** What a kept-up guest has done so far. */
export interface GuestStats {
  /** Boots, the first included. */
  boots: number;
  /** Boots after a guest died (panic, hang, gone). */
  reboots: number;
  /** Seconds from QEMU's start to PID 1's ready signal, of every boot. */
  bootSeconds: number[];
  /** RUN requests answered. */
  requests: number;
  /** Calls run in the guest (answered requests only). */
  calls: number;
  /** Batches sent a second time after the guest died on them. */
  retries: number;
  /** Milliseconds spent in answered requests, boots excluded. */
  busyMs: number;
  /** Fresh boots made to narrow a batch down to the calls that kill the kernel or raise an alert. */
  narrowingBoots: number;
}

/** A guest that went away while a request was in flight (internal: the caller reboots and retries). */
class GuestDown extends Error {}

interface Pending {
  readonly step: (kind: number, payload: Buffer) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

/** One QEMU process and what belongs to it. */
interface Boot {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly console: string;
  readonly n: number;
  /** The mailbox file's descriptor, when the guest has one (-1 otherwise, or until PID 1 says it mapped it). */
  mailboxFd: number;
  readonly mailboxFile: string;
  mailbox: boolean;
  consoleRead: number;
  consoleRest: string;
  stderr: string;
  exited: boolean;
}

/**
 * A kernel image kept up in QEMU, answering RUN requests like the host executor.
 * @example
 * const g = await GuestOracle.start({ kernel: { image: 'vmlinuz', modules: 'lib/modules/6.12.0' } });
 * const run = await g.run(defaultEnv({ profile: debian612 }), [{ a0: 2n, a1: 1n, a2: 0n }]);
 * await g.close();
 */
export class GuestOracle implements KernelOracle {
  readonly kind = 'vm' as const;
  readonly stats: GuestStats = { boots: 0, reboots: 0, bootSeconds: [], requests: 0, calls: 0, retries: 0, busyMs: 0, narrowingBoots: 0 };
  /** Every console alert so far, as `boot N: LINE`. */
  readonly alerts: string[] = [];
  private boot: Boot | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly tmp: string;
  private ia32 = '';

  private constructor(readonly opts: GuestOptions) {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-guest-'));
  }

  /** Boots the guest and waits until PID 1 is ready; rejects with an ExecutorDied when it never is. */
  static async start(opts: GuestOptions): Promise<GuestOracle> {
    const g = new GuestOracle(opts);
    try {
      await g.serial(() => g.ensureBooted());
      await g.probeIa32();
    } catch (e) {
      await g.close();
      throw e;
    }
    return g;
  }

  /** Why the guest's kernel cannot run the i386 entries, or '' where it can (probed at start). */
  ia32Unavailable(): string {
    return this.ia32;
  }

  /** The process id of the running QEMU, if any (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.boot?.proc.pid;
  }

  /**
   * Runs `calls` in one child of the guest set up as `env`, global knobs included. Rejects with a
   * ContractError or RangeError for an environment the guest cannot set up, with a KernelDied when
   * the guest died on this batch twice, and with an ExecutorDied when it cannot boot.
   */
  run(env: Env, calls: readonly Call[], opts: { timeoutMs?: number } = {}): Promise<KernelRun> {
    if (this.closed) return Promise.reject(new ExecutorError('RUN after close()'));
    let req: { out: Buffer; deadline: number };
    try {
      req = this.request(env, calls, opts.timeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
    const { out, deadline } = req;
    return this.serial(async () => {
      const deaths: string[] = [];
      const alerts: string[] = [];
      for (let attempt = 0; ; attempt++) {
        const boot = await this.ensureBooted();
        const t0 = Date.now();
        try {
          const run = await this.exchange<KernelRun>(boot, out, deadline, runReplyDecoder(env, calls));
          this.stats.requests++;
          this.stats.calls += calls.length;
          this.stats.busyMs += Date.now() - t0;
          const seen = this.readAlerts(boot);
          return seen.length > 0 ? { ...run, alerts: seen } : run;
        } catch (e) {
          if (!(e instanceof GuestDown)) throw e;
          const seen = this.readAlerts(boot);
          alerts.push(...seen);
          deaths.push(`boot ${boot.n}: ${e.message}`);
          this.kill(boot);
          if (attempt === 0) {
            this.stats.retries++;
            continue;
          }
          throw new KernelDied(`the guest kernel died on this batch twice (${deaths.join('; ')})`, { env, calls }, consoleTail(boot), alerts);
        }
      }
    });
  }

  /**
   * Runs a sequence of steps in one child of the guest set up as `env` (global knobs included, no
   * filters), the fd table after each step. Rejects as `run` does; a guest that dies on it twice
   * is a KernelDied.
   */
  sequence(env: Env, steps: readonly Step[], opts: { timeoutMs?: number } = {}): Promise<SequenceRun> {
    if (this.closed) return Promise.reject(new ExecutorError('RUN after close()'));
    const timeout = opts.timeoutMs ?? this.opts.callTimeoutMs ?? 5000;
    let out: Buffer;
    try {
      out = sequenceRequest(env, steps, timeout, vmGlobals(env));
    } catch (e) {
      return Promise.reject(e instanceof RangeError ? new ContractError('env.sysctl', e.message, 'bad-input') : e);
    }
    const deadline = (this.opts.requestSlackMs ?? 60000) + timeout * Math.max(1, steps.length);
    return this.serial(async () => {
      const deaths: string[] = [];
      for (let attempt = 0; ; attempt++) {
        const boot = await this.ensureBooted();
        try {
          const run = await this.exchange<SequenceRun>(boot, out, deadline, sequenceReplyDecoder(steps));
          this.stats.requests++;
          this.stats.calls += steps.length;
          this.readAlerts(boot);
          return run;
        } catch (e) {
          if (!(e instanceof GuestDown)) throw e;
          deaths.push(`boot ${boot.n}: ${e.message}`);
          this.kill(boot);
          if (attempt === 0) {
            this.stats.retries++;
            continue;
          }
          throw new KernelDied(`the guest kernel died on this sequence twice (${deaths.join('; ')})`, { env, calls: [] }, consoleTail(boot), []);
        }
      }
    });
  }

  /**
   * Runs a program of the guest's initramfs (one of `files`) as root and waits for it: its exit
   * status or signal, and what it wrote (to the console, read back from the console log).
   */
  exec(file: string): Promise<{ status: number; signal: number; output: string }> {
    if (this.closed) return Promise.reject(new ExecutorError('EXEC after close()'));
    return this.serial(async () => {
      const boot = await this.ensureBooted();
      const from = boot.consoleRead;
      const r = await this.exchange<Record<string, unknown>>(boot, requestFrame(KIND.EXEC, Buffer.from(file)), this.opts.requestSlackMs ?? 60000, (kind, payload) => {
        if (kind === KIND.ERROR) throw new ExecutorError(`EXEC refused: ${errorText(payload).text}`);
        if (kind !== KIND.EXEC_REPLY) throw new ProtocolError(`frame kind ${kind} in an EXEC reply`);
        return decodeRecord(EXEC_REPLY, payload);
      });
      this.readAlerts(boot);
      if ((r.err as number) !== 0) throw new ExecutorError(`EXEC ${file}: fork failed (errno ${r.err})`);
      const output = fs.readFileSync(boot.console, 'latin1').slice(from).replace(/\r/g, '');
      return { status: r.status as number, signal: r.signal as number, output };
    });
  }

  /**
   * One half of the CLOEXEC/NONBLOCK atomicity race on the guest's kernel (as HostOracle.race),
   * with the console alerts it raised. Its deadline is the race's duration plus the request's
   * slack; a guest that dies or hangs in it rejects with a KernelDied (no retry: a race is not a
   * batch to replay), one that never boots with an ExecutorDied.
   */
  race(mode: RaceMode, durationMs: number, creators: number): Promise<RaceReply & { alerts: string[] }> {
    if (this.closed) return Promise.reject(new ExecutorError('RACE after close()'));
    let out: Buffer;
    try {
      out = raceRequest(mode, durationMs, creators);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(async () => {
      const boot = await this.ensureBooted();
      let r: RaceReply;
      try {
        r = await this.exchange<RaceReply>(boot, out, (this.opts.requestSlackMs ?? 60000) + durationMs, (kind, payload) => {
          if (kind === KIND.ERROR) throw new ExecutorError(`RACE refused: ${errorText(payload).text}`);
          if (kind !== KIND.RACE_REPLY) throw new ProtocolError(`frame kind ${kind} in a RACE reply`);
          return decodeRaceReply(payload);
        });
      } catch (e) {
        if (!(e instanceof GuestDown)) throw e;
        const alerts = this.readAlerts(boot);
        this.kill(boot);
        throw new KernelDied(`the guest kernel died in the ${mode} race (boot ${boot.n}: ${e.message})`, { env: defaultEnv(), calls: [] }, consoleTail(boot), alerts);
      }
      return { ...r, alerts: this.readAlerts(boot) };
    });
  }

  /**
   * The shortest part of a batch that still shows `symptom` on a fresh boot: halves are replayed
   * (the first, else the second) while one of them shows it. A kernel warns once per boot for
   * many of its checks (WARN_ON_ONCE), so every replay boots afresh.
   */
  async narrow(env: Env, calls: readonly Call[], symptom: 'died' | 'alert'): Promise<readonly Call[]> {
    const shows = async (cs: readonly Call[]): Promise<boolean> => {
      const r = await this.fresh(env, cs);
      return symptom === 'died' ? r.died : r.alerts.length > 0;
    };
    let cur = calls;
    while (cur.length > 1) {
      const h = Math.ceil(cur.length / 2);
      if (await shows(cur.slice(0, h))) cur = cur.slice(0, h);
      else if (await shows(cur.slice(h))) cur = cur.slice(h);
      else break;
    }
    return cur;
  }

  /**
   * A batch's RUN request with the guest's knobs, and its deadline: the request's slack plus each
   * call's time limit. A knob the guest cannot take (fs.nr_open below 64, say) is the request's
   * fault: a ContractError ('bad-input').
   */
  private request(env: Env, calls: readonly Call[], timeoutMs?: number): { out: Buffer; deadline: number } {
    const timeout = timeoutMs ?? this.opts.callTimeoutMs ?? 5000;
    let out: Buffer;
    try {
      out = runRequest(env, calls, timeout, vmGlobals(env));
    } catch (e) {
      throw e instanceof RangeError ? new ContractError('env.sysctl', e.message, 'bad-input') : e;
    }
    return { out, deadline: (this.opts.requestSlackMs ?? 60000) + timeout * Math.max(1, calls.length) };
  }

  /** Runs one batch on a fresh boot, without a retry: whether the guest died, and the alerts. */
  private fresh(env: Env, calls: readonly Call[]): Promise<{ died: boolean; alerts: string[] }> {
    const { out, deadline } = this.request(env, calls);
    return this.serial(async () => {
      if (this.boot !== null) this.kill(this.boot);
      this.boot = null;
      this.stats.narrowingBoots++;
      const boot = await this.ensureBooted();
      try {
        await this.exchange<KernelRun>(boot, out, deadline, runReplyDecoder(env, calls));
        return { died: false, alerts: this.readAlerts(boot) };
      } catch (e) {
        if (!(e instanceof GuestDown)) throw e;
        const alerts = this.readAlerts(boot);
        this.kill(boot);
        return { died: true, alerts };
      }
    });
  }

  /** Asks PID 1 to power the guest off (SIGKILL after 5 s), and removes the temporary files. */
  close(): Promise<void> {
    this.closed = true;
    return this.serial(async () => {
      const boot = this.boot;
      if (boot !== null && !boot.exited) {
        const exited = new Promise<void>((resolve) => boot.proc.once('exit', () => resolve()));
        boot.proc.stdin.end(requestFrame(KIND.QUIT));
        const timer = setTimeout(() => boot.proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (boot !== null) {
        this.readAlerts(boot);
        this.kill(boot);
      }
      this.boot = null;
      fs.rmSync(this.tmp, { recursive: true, force: true });
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** An i386 socket() on a fresh boot: SIGSEGV (the child killed) means no IA32 emulation. */
  private async probeIa32(): Promise<void> {
    const run = await this.run(defaultEnv(), [{ a0: 1n, a1: 1n, a2: 0n, entry: 'i386' }]);
    const r = run.results[0];
    this.ia32 = r.status === 'returned' ? '' : `the guest's kernel cannot run the i386 entry (${r.status}${'signal' in r && r.signal !== undefined ? `, signal ${r.signal}` : ''}): no IA32 emulation`;
  }

  /** The running guest, booting one (a reboot when an earlier one died) when there is none. */
  private async ensureBooted(): Promise<Boot> {
    if (this.boot !== null && !this.boot.exited) return this.boot;
    if (this.boot !== null) this.stats.reboots++;
    const limit = this.opts.bootTimeoutMs ?? 180000;
    let last = '';
    // A boot that fails is tried once more: QEMU failing to start, or a guest that never becomes
    // ready, says nothing about the batches.
    for (let attempt = 0; attempt < 2; attempt++) {
      const boot = this.spawnGuest();
      const t0 = Date.now();
      try {
        const hello = await this.exchange<Record<string, unknown>>(boot, null, limit, (kind, payload) => {
          if (kind !== KIND.HELLO_REPLY) throw new ProtocolError(`the guest's first frame is kind ${kind}, not HELLO_REPLY`);
          return decodeRecord(HELLO_REPLY, payload);
        });
        if ((hello.version as number) !== PROTOCOL_VERSION) {
          this.kill(boot);
          throw new ExecutorError(`the guest's executor speaks protocol ${hello.version}, this sockspec ${PROTOCOL_VERSION}: rebuild (npm run build)`);
        }
        boot.mailbox = boot.mailboxFd >= 0 && (hello.mailbox as number) === MAILBOX_BYTES;
        this.stats.bootSeconds.push((Date.now() - t0) / 1000);
        this.readAlerts(boot);
        return boot;
      } catch (e) {
        if (!(e instanceof GuestDown)) throw e;
        this.readAlerts(boot);
        this.kill(boot);
        last = `${e.message}${boot.stderr.trim() ? `; qemu: ${boot.stderr.trim()}` : ''}; console: ${consoleTail(boot).slice(-400)}`;
      }
    }
    throw new ExecutorDied(`the guest did not boot (twice): ${last}`);
  }

  private spawnGuest(): Boot {
    const mode = this.opts.moduleMode ?? (this.opts.kernel.modules !== undefined ? 'preload' : 'none');
    const cacheDir = this.opts.cacheDir ?? path.join(process.env.SOCKSPEC_CACHE || path.join(os.homedir(), '.cache', 'sockspec'), 'initramfs');
    let initrd = baseInitramfs(this.opts.kernel, mode, cacheDir);
    if (this.opts.files !== undefined && this.opts.files.length > 0) {
      const own = path.join(this.tmp, 'initrd.cpio.gz');
      if (!fs.existsSync(own)) {
        const extra = cpioGz(this.opts.files.map((f) => ({ path: f.path, kind: 'file' as const, data: f.data, mode: f.mode ?? 0o755 })));
        fs.writeFileSync(own, Buffer.concat([fs.readFileSync(initrd), extra]));
      }
      initrd = own;
    }
    const n = ++this.stats.boots;
    const dir = this.opts.consoleDir ?? this.tmp;
    fs.mkdirSync(dir, { recursive: true });
    const console = path.join(dir, `boot-${n}.log`);
    fs.writeFileSync(console, '');
    let mailboxFd = -1;
    const mailboxFile = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : this.tmp, `sockspec-mailbox-${process.pid}-${path.basename(this.tmp)}-${n}`);
    if (this.opts.mailbox !== false) {
      mailboxFd = fs.openSync(mailboxFile, 'w+', 0o600);
      fs.ftruncateSync(mailboxFd, MAILBOX_BYTES);
    }
    const args = [
      '-accel', 'tcg', '-M', 'pc', '-m', '512', '-smp', String(this.opts.cpus ?? 1), '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-nodefaults', '-no-user-config', '-serial', `file:${console}`, '-chardev', 'stdio,id=io,signal=off', '-serial', 'chardev:io',
      ...(mailboxFd >= 0 ? ['-object', `memory-backend-file,id=mbox,mem-path=${mailboxFile},size=${MAILBOX_BYTES},share=on`, '-device', 'ivshmem-plain,memdev=mbox'] : []),
      '-kernel', this.opts.kernel.image, '-initrd', initrd,
      '-append', `console=ttyS0 quiet panic=-1 SOCKSPEC_MODULES=${mode}${this.opts.fault ? ` SOCKSPEC_FAULT=${this.opts.fault}` : ''}`,
    ];
    // Through the executor's --with-parent: QEMU gets SIGKILL when this process dies, however it dies.
    const proc = spawn(executorPath(), ['--with-parent', 'qemu-system-x86_64', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const boot: Boot = { proc, console, n, mailboxFd, mailboxFile, mailbox: false, consoleRead: 0, consoleRest: '', stderr: '', exited: false };
    this.boot = boot;
    const reader = new FrameReader();
    proc.stdout.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (kind, payload) => this.onFrame(boot, kind, payload));
      } catch (e) {
        this.down(boot, new GuestDown(`the guest's replies were out of step (${(e as Error).message})`));
      }
    });
    proc.stderr.on('data', (b: Buffer) => { boot.stderr = (boot.stderr + b.toString()).slice(-2000); });
    proc.stdin.on('error', () => undefined); // EPIPE after the guest went away: 'exit' reports it
    proc.on('error', (e) => {
      boot.exited = true;
      this.down(boot, new GuestDown(`QEMU could not be started through ${executorPath()} (${e.message}; build it with npm run build)`));
    });
    proc.on('exit', (code, signal) => {
      boot.exited = true;
      const how = code === 127 ? 'qemu-system-x86_64 not found (Debian: apt-get install qemu-system-x86)' : `qemu ${signal ?? `exit ${code}`}${code === 0 ? ': the kernel panicked or powered off' : ''}`;
      this.down(boot, new GuestDown(`the guest went away (${how}${boot.stderr.trim() ? `: ${boot.stderr.trim().slice(-300)}` : ''})`));
    });
    return boot;
  }

  /**
   * Sends `out` (nothing for the boot's ready signal) and reads the reply with `step`, which
   * returns undefined until the reply is complete. Past `deadlineMs` the guest is hung.
   */
  private exchange<T>(boot: Boot, out: Buffer | null, deadlineMs: number, step: (kind: number, payload: Buffer) => T | undefined): Promise<T> {
    if (boot.exited) return Promise.reject(new GuestDown('the guest is gone'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.down(boot, new GuestDown(`no reply within ${deadlineMs} ms: the guest hung`)), deadlineMs);
      const done = <V>(f: (v: V) => void) => (v: V): void => { clearTimeout(timer); f(v); };
      this.pending = { step, resolve: done(resolve as (v: unknown) => void), reject: done(reject) };
      if (out === null) return;
      if (boot.mailbox && out.length <= MAILBOX_REPLY_OFFSET) {
        fs.writeSync(boot.mailboxFd, out, 0, out.length, 0);
        boot.proc.stdin.write(requestFrame(KIND.MAILBOX, encodeRecord(COUNT_RECORD, { count: out.length })));
      } else {
        boot.proc.stdin.write(out);
      }
    });
  }

  private onFrame(boot: Boot, kind: number, payload: Buffer): void {
    if (kind === KIND.MAILBOX_REPLY && boot.mailbox) {
      // The replies are in the mailbox: read them as if they had come over the UART.
      const n = decodeRecord(COUNT_RECORD, payload).count as number;
      if (n > MAILBOX_BYTES - MAILBOX_REPLY_OFFSET) throw new ProtocolError(`MAILBOX_REPLY of ${n} bytes`);
      const bytes = Buffer.alloc(n);
      fs.readSync(boot.mailboxFd, bytes, 0, n, MAILBOX_REPLY_OFFSET);
      const reader = new FrameReader();
      reader.push(bytes, (k, p) => this.onFrame(boot, k, p));
      if (reader.pending !== 0) throw new ProtocolError(`a MAILBOX_REPLY ends in the middle of a frame (${reader.pending} bytes left)`);
      return;
    }
    const p = this.pending;
    if (p === null || boot !== this.boot) {
      if (kind === KIND.ERROR) return;
      throw new ProtocolError(`frame kind ${kind} with no request waiting`);
    }
    let value: unknown;
    try {
      value = p.step(kind, payload);
    } catch (e) {
      this.pending = null;
      if (e instanceof ProtocolError) {
        this.kill(boot);
        p.reject(new GuestDown(`the guest's reply was out of step (${e.message})`));
      } else {
        p.reject(e as Error);
      }
      return;
    }
    if (value !== undefined) {
      this.pending = null;
      p.resolve(value);
    }
  }

  /** The guest went away or hung: the request in flight fails with `why`, and QEMU is ended. */
  private down(boot: Boot, why: GuestDown): void {
    if (boot !== this.boot) return;
    this.kill(boot);
    const p = this.pending;
    this.pending = null;
    p?.reject(why);
  }

  private kill(boot: Boot): void {
    if (!boot.exited && boot.proc.exitCode === null && boot.proc.signalCode === null) boot.proc.kill('SIGKILL');
    boot.exited = true;
    boot.proc.stdin.destroy();
    boot.mailbox = false;
    if (boot.mailboxFd >= 0) {
      fs.closeSync(boot.mailboxFd);
      boot.mailboxFd = -1;
      fs.rmSync(boot.mailboxFile, { force: true });
    }
  }

  /** The console's new complete lines since the last look, scanned for alerts (kept as `boot N: LINE`). */
  private readAlerts(boot: Boot): string[] {
    let text: Buffer;
    try {
      const fd = fs.openSync(boot.console, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        text = Buffer.alloc(Math.max(0, size - boot.consoleRead));
        fs.readSync(fd, text, 0, text.length, boot.consoleRead);
        boot.consoleRead = size;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return [];
    }
    const all = boot.consoleRest + text.toString('latin1');
    const cut = boot.exited ? all.length : all.lastIndexOf('\n') + 1;
    boot.consoleRest = all.slice(cut);
    const found = consoleAlerts(all.slice(0, cut)).map((l) => `boot ${boot.n}: ${l}`);
    this.alerts.push(...found);
    return found;
  }
}

/** The last 4,000 characters of a boot's console. */
function consoleTail(boot: Boot): string {
  try {
    return fs.readFileSync(boot.console, 'latin1').slice(-4000);
  } catch {
    return '';
  }
}
