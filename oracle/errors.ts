// The oracle's errors, thrown by the reply decoders (oracle/codec/replies.ts), the frame reader
// (oracle/host/frames.ts) and the host runner (oracle/host/oracle.ts), and caught by their callers.
// Sources: docs/architecture.md "The oracle"; docs/vm-oracle.md §9 (a guest that dies).

import type { Call, Env } from '../model/types';

/** A request the executor refused (an ERROR frame), or an executor that died or broke the protocol. */
export class ExecutorError extends Error {
  override readonly name: string = 'ExecutorError';
}

/** The executor's stream is out of step with ours: the host runner kills the process and restarts it. */
export class ProtocolError extends ExecutorError {
  override readonly name: string = 'ProtocolError';
}

/** The executor process ended (killed, crashed, or exited) while a request was in flight. */
export class ExecutorDied extends ExecutorError {
  override readonly name: string = 'ExecutorDied';
}

/**
 * The kernel under test died (a panic, a hang, the guest gone) while running one batch, and again
 * when the batch was retried on a fresh boot: a finding about that kernel, carrying the batch,
 * not an oracle failure. Only a VM oracle throws it (oracle/vm/guest.ts).
 */
export class KernelDied extends Error {
  override readonly name: string = 'KernelDied';
  constructor(
    message: string,
    /** The batch in flight both times: its environment and calls. */
    readonly batch: { readonly env: Env; readonly calls: readonly Call[] },
    /** The end of the console of the second death. */
    readonly consoleTail: string,
    /** The console alerts of both deaths. */
    readonly alerts: readonly string[],
  ) {
    super(message);
  }
}
