// Errors as data. Everything below the command line reports a failure it expects (bad input, a
// missing facility, state that does not belong to the run) as a SockspecError: a code saying what
// kind of failure it is, the field or input it concerns (a flag, `FILE:LINE`, a request field) and
// the detail. The CLI maps codes to exit codes and prints `sockspec: FIELD: DETAIL`; it never
// reads the message text to decide anything. Input echoed in an error is cut here, once, so a
// 10 MB family name or field name never comes back whole. Sources: docs/architecture.md "Errors".

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

/** Echoed input longer than this many characters is cut to this many. */
export const ECHO_LIMIT = 120;
/** A whole detail longer than this is cut too (a long input with spaces in it). */
const DETAIL_LIMIT = 4096;

/** `text` cut to `limit` characters, with its full size, when it is longer. */
export function clip(text: string, limit = ECHO_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${Buffer.byteLength(text)} bytes)`;
}

/** Every run of non-space characters (a quoted value, a name, a path) cut to ECHO_LIMIT, then the whole to DETAIL_LIMIT. */
function clipEchoes(text: string): string {
  // A scan, not a regular expression: V8's regex engine overflows its stack on a 10 MB run.
  if (text.length <= ECHO_LIMIT) return text;
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text.charCodeAt(i);
    if (i < text.length && c !== 32 && (c < 9 || c > 13)) continue;
    if (i > start) parts.push(clip(text.slice(start, i)));
    if (i < text.length) parts.push(text[i]);
    start = i + 1;
  }
  return clip(parts.join(''), DETAIL_LIMIT);
}

/** A failure the user can act on: `field` names what is wrong, `detail` says how (both with echoed input cut). */
export class SockspecError extends Error {
  readonly field: string;
  readonly detail: string;

  /** `clipped`: the detail is cut already (a failure re-addressed by `about`), and is kept as it is. */
  constructor(readonly code: ErrorCode, field: string, detail: string, clipped = false) {
    const f = clipEchoes(field);
    const d = clipped ? detail : clipEchoes(detail);
    super(`${f}: ${d}`);
    this.field = f;
    this.detail = d;
    this.name = 'SockspecError';
  }

  /** The same failure about another field (a flag that carried the input, say). */
  about(field: string): SockspecError {
    return new SockspecError(this.code, field, this.detail, true);
  }
}

/** Bad input to the eval contract or a command (the most common SockspecError). */
export class ContractError extends SockspecError {
  constructor(field: string, detail: string, code: ErrorCode = 'bad-input') {
    super(code, field, detail);
    this.name = 'ContractError';
  }
}
