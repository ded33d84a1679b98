// The CLOEXEC/NONBLOCK atomicity check (`sockspec check --atomicity`): the executor's race
// (oracle/executor/race.c) run twice on one kernel for the same duration, first with the flags in
// the call (SOCK_CLOEXEC|SOCK_NONBLOCK: no socket may leak into a probe's exec, none may be seen
// without its flags), then with the non-atomic idiom (socket() bare, then fcntl()), which must
// show leaks or unflagged fds: that half proves the check can fail. Returns data only.
// Sources: docs/kernel.md §4.1; oracle/codec/replies.ts (RaceReply).

import type { RaceMode, RaceReply } from '../oracle/codec';
import { ExecutorDied, KernelDied } from '../oracle/errors';

/** One half of the check: what the race saw. */
export interface AtomicityHalf extends RaceReply {
  readonly mode: RaceMode;
}

/** Both halves and the verdict. */
export interface AtomicityResult {
  /** Where it ran (`host`, or the guest's image), as the caller names it. */
  readonly kernel: string;
  readonly durationMs: number;
  readonly creators: number;
  /** The flags in the call: must show zero leaked and zero unflagged. */
  readonly atomic: AtomicityHalf;
  /** socket() then fcntl(): must show some, within the same duration. */
  readonly fcntl: AtomicityHalf;
  readonly verdict: {
    /** The ATOMIC half saw no leaked socket and no unflagged fd. */
    readonly atomic: boolean;
    /** The FCNTL half saw at least one leaked socket or unflagged fd: the check can fail. */
    readonly canFail: boolean;
    /** Both halves ran whole: no setup failure, probes spawned and sockets created in each. */
    readonly complete: boolean;
  };
  /** Kernel console alerts raised during the race (a guest only). */
  readonly kernelAlerts?: readonly string[];
}

export interface AtomicityOptions {
  /** One half of the race on the kernel under test (HostOracle.race, GuestOracle.race). */
  readonly race: (mode: RaceMode, durationMs: number, creators: number) => Promise<RaceReply & { alerts?: readonly string[] }>;
  readonly durationMs: number;
  /** Creator threads (default 2). */
  readonly creators?: number;
  /** How the kernel is named in the result (default `host`). */
  readonly kernel?: string;
}

/** The default number of creator threads: two, one per core of a small CI machine. */
export const DEFAULT_CREATORS = 2;

/** A half the oracle could not run (the executor or the guest died in it): nothing seen, the reason kept. */
function lostHalf(mode: RaceMode, why: string): AtomicityHalf {
  return { mode, error: why, probes: 0, leakyProbes: 0, leaked: 0, created: 0, watched: 0, unflagged: 0, elapsedMs: 0 };
}

/** Whether a half ran whole. */
function whole(h: AtomicityHalf): boolean {
  return h.error === null && h.probes > 0 && h.created > 0;
}

/**
 * Runs the ATOMIC half, then the FCNTL half, for `durationMs` each.
 * @example await runAtomicity({ race: (m, ms, c) => oracle.race(m, ms, c), durationMs: 1000 })
 */
export async function runAtomicity(opts: AtomicityOptions): Promise<AtomicityResult> {
  const creators = opts.creators ?? DEFAULT_CREATORS;
  const alerts: string[] = [];
  const half = async (mode: RaceMode): Promise<AtomicityHalf> => {
    try {
      const { alerts: seen, ...r } = await opts.race(mode, opts.durationMs, creators);
      alerts.push(...(seen ?? []));
      return { mode, ...r };
    } catch (e) {
      // A kernel or executor that died in the race gave no answer: the check is incomplete.
      if (e instanceof KernelDied) {
        alerts.push(...e.alerts);
        return lostHalf(mode, e.message);
      }
      if (e instanceof ExecutorDied) return lostHalf(mode, e.message);
      throw e;
    }
  };
  const atomic = await half('atomic');
  const fcntl = await half('fcntl');
  return {
    kernel: opts.kernel ?? 'host',
    durationMs: opts.durationMs,
    creators,
    atomic,
    fcntl,
    verdict: {
      atomic: atomic.leaked === 0 && atomic.unflagged === 0,
      canFail: fcntl.leaked > 0 || fcntl.unflagged > 0,
      complete: whole(atomic) && whole(fcntl),
    },
    ...(alerts.length > 0 ? { kernelAlerts: alerts } : {}),
  };
}
