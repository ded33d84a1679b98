// The one command that replays a counterexample, printed by campaigns, findings, reports and the
// jest failure hints alike (a test runs what it prints and sees the same failure).
// Sources: cli/commands/fuzz.ts (--replay-seed), engine/eval.ts (--compare).

/** What names one shrunk counterexample: a property's round seed and fast-check path, or an eval request line. */
export interface ReplayTarget {
  readonly property: string;
  readonly seed: number;
  readonly path?: string;
  /** For the differential: the eval request line of the disagreeing call. */
  readonly request?: string;
  /** The eval flags that name the kernel it ran on, when not the host (`--oracle vm --kernel-image debian-6.12`). */
  readonly kernelFlags?: string;
}

/** A shell word: the text in single quotes, inner single quotes escaped. */
function quote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** The shell command that replays the counterexample. */
export function replayCommand(t: ReplayTarget): string {
  if (t.request !== undefined) return `echo ${quote(t.request)} | sockspec eval${t.kernelFlags ? ` ${t.kernelFlags}` : ''} --compare`;
  return `sockspec fuzz --replay-seed ${t.seed} --properties ${t.property}${t.path ? ` --path "${t.path}"` : ''}`;
}
