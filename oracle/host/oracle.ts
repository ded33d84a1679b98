// The host runner of the real-kernel oracle: one long-lived executor process
// (oracle/executor/, started from oracle/host/discovery.ts's path) spoken to in the frames of
// oracle/protocol.ts, encoded and decoded by oracle/codec/. An Env becomes ENV and FILTER frames,
// each call comes back as the model's Outcome, policies compile through libseccomp. This file is
// the process's lifecycle: start (refused up front without root, oracle/host/discovery.ts),
// HELLO, one request at a time, restart after a death with the request in flight retried once,
// close. Sources: docs/architecture.md "The oracle" and "The host oracle survives its executor";
// docs/seccomp.md §5 (harness) and §7 (libseccomp export).
//
// Global state is never touched on the host: env.fileMax, env.nrOpen, env.nrFiles and
// env.unixSockets describe fs.file-max, fs.nr_open and system-wide counts, so they are NOT applied
// here (only a QEMU runner may set them, inside its VM), and env.fds.maxFds is not applied either
// (the kernel sizes the child's fd table from the layout). Per-netns sysctls are applied, inside
// the child's own new network namespace.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import {
  compileRequest, decodeCompiled, decodeLoopReply, decodeRaceReply, decodeRecord, errorText, loopRequest, raceRequest,
  requestFrame, runReplyDecoder, runRequest, sequenceReplyDecoder, sequenceRequest, u32, type CompileRequest, type CompileResult,
  type KernelResult, type KernelRun, type RaceMode, type RaceReply, type SequenceRun,
} from '../codec';
import { ExecutorDied, ExecutorError, ProtocolError } from '../errors';
import { DEFAULT_TIMEOUT_MS, HELLO_REPLY, KIND, PROTOCOL_VERSION } from '../protocol';
import { executorPath, requireHostOracle } from './discovery';
import { FrameReader } from './frames';
import { ia32Unavailable } from './ia32';
import { ALL_CAPS, capNames } from '../../model/creds';
import type { Call, Env } from '../../model/types';
import type { Step } from '../../model/sequence';
import type { KernelOracle } from '../oracle';

/** What the executor said about itself at start. */
export interface ExecutorInfo {
  readonly version: number;
  readonly libseccomp: boolean;
  readonly seccompVersion: string | null;
  readonly uid: number;
  /** The executor's permitted capabilities (CapPrm of /proc/<pid>/status) as a model mask; a
   * machine whose root has a restricted bounding set cannot grant the rest outside a user namespace. */
  readonly capsHeld: number;
}

/** How HostOracle.start runs the executor. */
export interface HostOracleOptions {
  /** The executor binary; default executorPath(). */
  readonly path?: string;
  /** Per-call time limit in ms before the executor SIGKILLs a child; default DEFAULT_TIMEOUT_MS (2000). */
  readonly timeoutMs?: number;
  /** Called when a request's frames have been written to the executor `pid` (diagnostics, tests). */
  readonly onSent?: (what: string, pid: number) => void;
}

/** The request being served: what it is, how its reply frames are read, and its promise. */
interface Pending {
  readonly what: string;
  readonly step: (kind: number, payload: Buffer) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

/**
 * The real kernel as an oracle: one executor child kept alive, requests served one at a time in
 * order. An executor that dies (crash, kill -9, a broken stream) is restarted and the request it
 * died in is sent once more; if the executor dies again, a RUN resolves with every call `lost`
 * (the reason in each result and in `lost`), and a COMPILE or LOOP rejects with an ExecutorDied.
 * @example
 * const o = await HostOracle.start();
 * const run = await o.run(defaultEnv(), [{ a0: 2n, a1: 1n, a2: 0n }]);   // results[0].outcome: fd 3
 * await o.close();
 */
export class HostOracle implements KernelOracle {
  readonly kind = 'host' as const;
  private proc: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private stderrTail = '';
  private currentInfo: ExecutorInfo | null = null;
  private closed = false;
  private starts = 0;
  private retried = 0;

  private constructor(private readonly path: string, private readonly timeoutMs: number, private readonly onSent?: (what: string, pid: number) => void) {}

  /**
   * Starts the executor and says hello. Throws a ContractError ('unavailable') before spawning
   * anything without root and the capabilities the executor uses, or without the binary; rejects
   * when the executor does not answer.
   */
  static async start(opts: HostOracleOptions = {}): Promise<HostOracle> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    u32(timeoutMs, 'timeoutMs');
    const path = opts.path ?? executorPath();
    requireHostOracle('host oracle', path);
    const oracle = new HostOracle(path, timeoutMs, opts.onSent);
    await oracle.serial(() => oracle.ensureRunning());
    return oracle;
  }

  /** Why the running kernel cannot run the i386 entries, or '' where it can (ia32.ts). */
  ia32Unavailable(): string {
    return ia32Unavailable();
  }

  /** How often the executor was started again after a death, and how many requests were sent twice. */
  get restarts(): { readonly restarts: number; readonly retries: number } {
    return { restarts: Math.max(0, this.starts - 1), retries: this.retried };
  }

  /** The executor's process id while one runs (for diagnostics). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The executor's HELLO_REPLY (from the latest start). */
  get info(): ExecutorInfo {
    if (this.currentInfo === null) throw new ExecutorError('executor not started');
    return this.currentInfo;
  }

  /**
   * Runs `calls` in a fresh child set up as `env` (see the file comment for what is not applied).
   * Rejects with a ContractError naming the field for an env beyond the executor's limits, and
   * with an ExecutorError when the executor refuses the batch; if it dies twice (see the class
   * comment) every call comes back `lost`.
   */
  run(env: Env, calls: readonly Call[], opts: { timeoutMs?: number } = {}): Promise<KernelRun> {
    const why = calls.some((c) => (c.entry ?? 'x86_64') !== 'x86_64') ? ia32Unavailable() : '';
    if (why === '') return this.runAll(env, calls, opts);
    // Each call runs from the same environment (its fd closed after it), so the others run alone.
    const sent = calls.map((c, i) => ((c.entry ?? 'x86_64') === 'x86_64' ? i : -1)).filter((i) => i >= 0);
    return this.runAll(env, sent.map((i) => calls[i]), opts).then((run) => {
      const results: KernelResult[] = calls.map(() => ({ status: 'unavailable', reason: why }));
      sent.forEach((i, k) => { results[i] = run.results[k]; });
      return { ...run, results };
    });
  }

  private runAll(env: Env, calls: readonly Call[], opts: { timeoutMs?: number }): Promise<KernelRun> {
    let out: Buffer;
    try {
      out = runRequest(env, calls, opts.timeoutMs ?? this.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    // A retry decodes afresh: a decoder keeps the results it has read so far.
    return this.request<KernelRun>('RUN', out, () => {
      const decode = runReplyDecoder(env, calls);
      return (kind, payload) => {
        const run = decode(kind, payload);
        return run === undefined ? undefined : { ...this.missingCaps(env), ...run };
      };
    }, (reason) => ({ results: calls.map(() => ({ status: 'lost', reason })), children: 0, elapsedNs: 0n, lost: reason }));
  }

  /**
   * Runs a sequence of steps in one fresh child set up as `env` (no filters), keeping what each
   * creates, and answers every step with the fd table after it. An i386 step on a kernel without
   * IA32 emulation makes the whole sequence unavailable; a lost one comes back `lost`.
   */
  sequence(env: Env, steps: readonly Step[], opts: { timeoutMs?: number } = {}): Promise<SequenceRun> {
    const why = steps.some((s) => s.op === 'call' && (s.call.entry ?? 'x86_64') !== 'x86_64') ? ia32Unavailable() : '';
    if (why !== '') return Promise.resolve({ steps: steps.map(() => ({ status: 'unavailable' as const, reason: why })), elapsedNs: 0n });
    let out: Buffer;
    try {
      out = sequenceRequest(env, steps, opts.timeoutMs ?? this.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.request<SequenceRun>('RUN', out, () => sequenceReplyDecoder(steps),
      (reason) => ({ steps: steps.map(() => ({ status: 'lost' as const, reason })), elapsedNs: 0n, lost: reason }));
  }

  /** Builds a policy with libseccomp (seccomp_init, attrs, arches, rules in order) and exports it. */
  compile(req: CompileRequest): Promise<CompileResult> {
    let out: Buffer;
    try {
      out = compileRequest(req);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.request<CompileResult>('COMPILE', out, () => (kind, payload) => {
      if (kind === KIND.ERROR) {
        const e = errorText(payload);
        throw new ExecutorError(`COMPILE failed: ${e.text} (rc -${e.err})`);
      }
      if (kind !== KIND.COMPILED) throw new ProtocolError(`unexpected frame kind ${kind} in a COMPILE reply`);
      return decodeCompiled(payload);
    });
  }

  /** The benchmark baseline: `iterations` bare calls (each fd closed) inside the executor itself. */
  loop(call: Call, iterations: number): Promise<{ iterations: number; successes: number; elapsedNs: bigint }> {
    const out = loopRequest(call, iterations);
    return this.request('LOOP', out, () => (kind, payload) => {
      if (kind === KIND.ERROR) throw new ExecutorError(`LOOP failed: ${errorText(payload).text}`);
      if (kind !== KIND.LOOP_REPLY) throw new ProtocolError(`unexpected frame kind ${kind} in a LOOP reply`);
      return decodeLoopReply(payload);
    });
  }

  /**
   * One half of the CLOEXEC/NONBLOCK atomicity race on this kernel (oracle/executor/race.c):
   * `creators` threads for `durationMs`, the sockets made with the flags (`atomic`) or bare and
   * then fcntl()'d (`fcntl`), while probes are spawned and new fds watched. Rejects with a
   * RangeError for values out of range; a race that could not be set up comes back with `error`.
   */
  race(mode: RaceMode, durationMs: number, creators: number): Promise<RaceReply> {
    let out: Buffer;
    try {
      out = raceRequest(mode, durationMs, creators);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.request('RACE', out, () => (kind, payload) => {
      if (kind === KIND.ERROR) throw new ExecutorError(`RACE failed: ${errorText(payload).text}`);
      if (kind !== KIND.RACE_REPLY) throw new ProtocolError(`unexpected frame kind ${kind} in a RACE reply`);
      return decodeRaceReply(payload);
    });
  }

  /** Asks the executor to quit (SIGKILL after 2 s) and refuses further requests. */
  close(): Promise<void> {
    this.closed = true;
    return this.serial(async () => {
      const proc = this.proc;
      if (proc === null) return;
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.stdin.end(requestFrame(KIND.QUIT));
        const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      HostOracle.letGo(proc);
    });
  }

  private missingCaps(env: Env): { capsNotHeld?: string[] } {
    const ns = env.creds.namespaces;
    if (ns === 'user' || ns === 'user+net') return {};
    const held = BigInt(this.currentInfo?.capsHeld ?? ALL_CAPS);
    const missing = BigInt(env.creds.caps) & ~held;
    return missing === 0n ? {} : { capsNotHeld: capNames(Number(missing)) };
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Sends one request and reads its reply with a fresh `steps()`. If the executor dies first, it
   * is restarted and the request sent once more; a second death resolves to `lost(reason)`, or
   * rejects with the ExecutorDied when there is no `lost`. A refusal (an ERROR frame) is no death.
   */
  private request<T>(
    what: string, out: Buffer, steps: () => (kind: number, payload: Buffer) => T | undefined, lost?: (reason: string) => T,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ExecutorError(`${what} after close()`));
    return this.serial(async () => {
      let first: ExecutorDied | undefined;
      for (;;) {
        try {
          const proc = await this.ensureRunning();
          return await this.exchange(proc, what, out, steps());
        } catch (err) {
          if (!(err instanceof ExecutorDied)) throw err;
          if (first === undefined) {
            first = err;
            this.retried++;
            continue;
          }
          const reason = `the executor died during this ${what} and again when it was retried (${first.message}; then ${err.message})`;
          if (lost === undefined) throw new ExecutorDied(reason);
          return lost(reason);
        }
      }
    });
  }

  private exchange<T>(
    proc: ChildProcessWithoutNullStreams, what: string, out: Buffer, step: (kind: number, payload: Buffer) => T | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending = { what, step, resolve: resolve as (v: unknown) => void, reject };
      proc.stdin.write(out);
      if (proc.pid !== undefined) this.onSent?.(what, proc.pid);
    });
  }

  private async ensureRunning(): Promise<ChildProcessWithoutNullStreams> {
    if (this.proc !== null) return this.proc;
    const proc = this.spawnExecutor();
    const hello = await this.exchange(proc, 'HELLO', requestFrame(KIND.HELLO), (kind, payload) => {
      if (kind !== KIND.HELLO_REPLY) throw new ProtocolError(`expected HELLO_REPLY, got frame kind ${kind}`);
      return decodeRecord(HELLO_REPLY, payload);
    });
    if ((hello.version as number) !== PROTOCOL_VERSION) {
      proc.kill('SIGKILL');
      throw new ExecutorError(`executor ${this.path} speaks protocol ${hello.version}, this sockspec ${PROTOCOL_VERSION}: rebuild it (npm run build)`);
    }
    const lib = (hello.libseccomp as number) !== 0;
    this.currentInfo = {
      version: hello.version as number,
      libseccomp: lib,
      seccompVersion: lib ? `${hello.seccomp_major}.${hello.seccomp_minor}.${hello.seccomp_micro}` : null,
      uid: hello.uid as number,
      capsHeld: capsOf(proc.pid),
    };
    return proc;
  }

  private spawnExecutor(): ChildProcessWithoutNullStreams {
    if (!fs.existsSync(this.path)) {
      throw new ExecutorError(`executor binary ${this.path} is missing; build it with scripts/build-executor.sh`);
    }
    const proc = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new FrameReader();
    this.proc = proc;
    this.starts++;
    this.stderrTail = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, (kind, payload) => this.onFrame(proc, kind, payload));
      } catch (err) {
        this.fail(proc, err instanceof ProtocolError ? outOfStep(this.pending?.what ?? 'no request', err) : err as Error);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    proc.stdin.on('error', () => undefined); // EPIPE when it died: reported by 'exit' below
    proc.on('error', (err) => this.fail(proc, new ExecutorDied(`executor ${this.path}: ${err.message}`)));
    proc.on('exit', (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `code ${code}`;
      const tail = this.stderrTail.trim();
      this.fail(proc, new ExecutorDied(`executor exited (${how}) during ${this.pending?.what ?? 'no request'}${tail ? `; stderr: ${tail}` : ''}`));
      HostOracle.letGo(proc);
    });
    return proc;
  }

  /**
   * Drops our ends of a dead executor's pipes. A batch child it left behind (killed between fork
   * and its parent-death signal) may hold the other ends; they must not keep this process alive.
   */
  private static letGo(proc: ChildProcessWithoutNullStreams): void {
    proc.stdin.destroy();
    proc.stdout.destroy();
    proc.stderr.destroy();
  }

  private onFrame(proc: ChildProcessWithoutNullStreams, kind: number, payload: Buffer): void {
    const p = this.pending;
    if (p === null || proc !== this.proc) {
      if (kind === KIND.ERROR) return; // an ERROR for a request already rejected
      throw new ProtocolError(`frame kind ${kind} with no request waiting`);
    }
    let value: unknown;
    try {
      value = p.step(kind, payload);
    } catch (err) {
      this.pending = null;
      // A refusal ends the exchange cleanly; anything else means the stream is out of step, and
      // the executor is killed. A protocol error counts as a death (the request is retried once).
      if (!(err instanceof ExecutorError) || err instanceof ProtocolError) {
        this.proc = null;
        proc.kill('SIGKILL');
      }
      p.reject(err instanceof ProtocolError ? outOfStep(p.what, err) : err as Error);
      return;
    }
    if (value !== undefined) {
      this.pending = null;
      p.resolve(value);
    }
  }

  private fail(proc: ChildProcessWithoutNullStreams, err: Error): void {
    if (proc !== this.proc) return;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }
}

/** A broken stream as the death it causes (the executor is killed). */
function outOfStep(what: string, err: ProtocolError): ExecutorDied {
  return new ExecutorDied(`the executor's reply to ${what} was out of step (${err.message}); it was killed`);
}

/** CapPrm of a process as a model mask (bits above CAP_LAST_CAP dropped); all caps if unreadable. */
function capsOf(pid: number | undefined): number {
  try {
    const m = /^CapPrm:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m !== null) return Number(BigInt(`0x${m[1]}`) & BigInt(ALL_CAPS));
  } catch {
    // no /proc: assume the executor holds what root holds
  }
  return ALL_CAPS;
}
