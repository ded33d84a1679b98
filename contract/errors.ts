// Errors as data. Everything below the command line reports a failure it expects (bad input, a
// missing facility, state that does not belong to the run) as a SockspecError: a code saying what
// kind of failure it is, the field or input it concerns (a flag, `FILE:LINE`, a request field) and
// the detail. The CLI maps codes to exit codes and prints `sockspec: FIELD: DETAIL`; it never
// reads the message text to decide anything. Sources: docs/architecture.md "Errors".

/** What kind of failure an error is. */
export type ErrorCode =
  /** A malformed request, flag value or file line. */
  | 'bad-input'
  /** A name nothing knows: a profile, property, environment class, preset, kernel, section. */
  | 'unknown-name'
  /** A file that is missing, unreadable, or not what it should be (JSON, a spec, a profile). */
  | 'bad-file'
  /** A facility this machine lacks for the request: root, the executor, libseccomp, a kernel image. */
  | 'unavailable'
  /** Saved state that does not belong to this run (another seed, another campaign). */
  | 'state-mismatch'
  /** A run that could not finish: a worker process kept dying (its state is kept; resume it). */
  | 'incomplete';

export const ERROR_CODES: readonly ErrorCode[] = ['bad-input', 'unknown-name', 'bad-file', 'unavailable', 'state-mismatch', 'incomplete'];

/** A failure the user can act on: `field` names what is wrong, `detail` says how. */
export class SockspecError extends Error {
  constructor(readonly code: ErrorCode, readonly field: string, readonly detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'SockspecError';
  }

  /** The same failure about another field (a flag that carried the input, say). */
  about(field: string): SockspecError {
    return new SockspecError(this.code, field, this.detail);
  }
}

/** Bad input to the eval contract or a command (the most common SockspecError). */
export class ContractError extends SockspecError {
  constructor(field: string, detail: string, code: ErrorCode = 'bad-input') {
    super(code, field, detail);
    this.name = 'ContractError';
  }
}
