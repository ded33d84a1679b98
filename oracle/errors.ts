// The oracle's errors, thrown by the reply decoders (oracle/codec/replies.ts), the frame reader
// (oracle/host/frames.ts) and the host runner (oracle/host/oracle.ts), and caught by their callers.
// Sources: docs/architecture.md "The oracle".

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
