// What a property or an engine needs of a kernel oracle, whichever kernel answers: the running
// one through the host executor (oracle/host/oracle.ts) or an image booted in QEMU and kept up
// (oracle/vm/guest.ts). Both run an environment's batch of calls in one child and answer each call
// as the model's Outcome; a result neither could observe says so, never a guess.
// Sources: docs/architecture.md "The oracle"; docs/vm-oracle.md §9.

import type { KernelRun, RaceMode, RaceReply, SequenceRun } from './codec';
import type { Call, Env } from '../model/types';
import type { Step } from '../model/sequence';

/** A kernel that answers batches of calls. */
export interface KernelOracle {
  /** `host`: the running kernel; `vm`: a kernel image in a QEMU guest. */
  readonly kind: 'host' | 'vm';
  /**
   * Runs `calls` in one child set up as `env`. A VM oracle applies the global knobs too; the host
   * never does (see HostOracle). A batch that cannot be encoded rejects with a ContractError.
   */
  run(env: Env, calls: readonly Call[], opts?: { timeoutMs?: number }): Promise<KernelRun>;
  /**
   * Runs `steps` in order in one child set up as `env`, nothing restored between them, and
   * answers each with the fd table after it. Absent where the oracle cannot (yet).
   */
  sequence?(env: Env, steps: readonly Step[], opts?: { timeoutMs?: number }): Promise<SequenceRun>;
  /** One half of the CLOEXEC/NONBLOCK atomicity race (oracle/executor/race.c), with a guest's console alerts. */
  race?(mode: RaceMode, durationMs: number, creators: number): Promise<RaceReply & { alerts?: readonly string[] }>;
  /** Why this kernel cannot run the i386 entries for a 64-bit process, or '' where it can. */
  ia32Unavailable(): string;
  /**
   * A VM oracle only: the shortest part of a batch that still shows a symptom (the kernel dying,
   * or a console alert), found by replaying halves, each on a fresh boot.
   */
  narrow?(env: Env, calls: readonly Call[], symptom: 'died' | 'alert'): Promise<readonly Call[]>;
  /** Ends the oracle (the executor, or the guest) and refuses further requests. */
  close(): Promise<void>;
}
