// Fault injection for campaigns: runs one campaign uninterrupted, then the same campaign again
// while killing it at random moments (the main process by SIGKILL, SIGINT or SIGTERM, a worker by
// SIGKILL, an executor by SIGKILL) and resuming it with `fuzz --resume DIR` until it ends, and
// compares the two results: summary (all but the seconds), findings, corpus and JUnit counters.
// The kill schedule comes from a seed, printed, so a failing schedule can be replayed.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import seedrandom from 'seedrandom';

export const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Children of `pid` (from /proc/PID/stat's ppid field). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The command name of process `pid` ('' once it is gone). */
export function commOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export interface Outcome {
  readonly code: number | null;
  readonly summary: Record<string, unknown>;
  readonly findings: string;
  readonly corpus: string;
  readonly junit: string;
  /** The timeline's last sample without its time (it must end where the uninterrupted one ends). */
  readonly timelineEnd: unknown;
}

/** What a finished campaign folder holds, in the form two runs are compared in. */
export function outcomeOf(dir: string, code: number | null): Outcome {
  const read = (f: string): string => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
  const summary = JSON.parse(read('summary.json')) as Record<string, unknown>;
  delete summary.seconds;
  // The calls run on the kernel are counted exactly across resumes; the time they took is not.
  if (summary.kernelCalls !== undefined) summary.kernelCalls = { ...(summary.kernelCalls as Record<string, unknown>), seconds: 0 };
  // The atomicity race's counts are the kernel's timing: a resumed campaign must have raced once
  // (kept, or raced again when killed during it) and found no leak.
  const race = summary.atomicity as { verdict: { atomic: boolean } } | undefined;
  if (race !== undefined) summary.atomicity = { atomic: race.verdict.atomic };
  const samples = read('timeline.jsonl').split('\n').filter((l) => l !== '');
  const last = samples.length > 0 ? JSON.parse(samples[samples.length - 1]) as Record<string, unknown> : undefined;
  const timelineEnd = last === undefined ? undefined : { runs: last.runs, findings: last.findings, clausesCovered: last.clausesCovered };
  return { code, summary, findings: read('findings.jsonl'), corpus: read('corpus.jsonl'), junit: read('junit.xml').replace(/time="[\d.]+"/g, 'time=""'), timelineEnd };
}

/** Runs `fuzz ARGS --out DIR` to its end, uninterrupted. */
export function uninterrupted(args: readonly string[], dir: string): Outcome {
  const r = spawnSync(process.execPath, [bin, 'fuzz', ...args, '--out', dir, '--json'], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`uninterrupted campaign failed (exit ${r.status}): ${r.stderr}`);
  return outcomeOf(dir, r.status);
}

export type Target = 'main SIGKILL' | 'main SIGINT' | 'main SIGTERM' | 'worker SIGKILL' | 'executor SIGKILL';

export interface Kill {
  readonly target: Target;
  readonly afterMs: number;
  /** Whether the target was running when the signal went (else the run had ended first). */
  readonly hit: boolean;
  readonly code: number | null;
}

/**
 * One trial: a fresh campaign into `dir`, killed at a random moment in [0, spanMs] after each
 * start (target and moment drawn from `rng`), resumed after each kill (started afresh if the
 * kill came before the campaign wrote campaign.json), up to `maxKills` kills, then resumed to its end.
 */
export async function trial(args: readonly string[], dir: string, rng: () => number, spanMs: number, maxKills: number, targets: readonly Target[]): Promise<{ kills: Kill[]; starts: number; outcome: Outcome }> {
  const kills: Kill[] = [];
  for (let starts = 1; ; starts++) {
    // A start killed before it wrote campaign.json began no campaign (--resume says so, and to start
    // one): the user starts it again, and nothing of it may be left behind.
    const begun = fs.existsSync(path.join(dir, 'campaign.json'));
    if (!begun && starts > 1) {
      const left = fs.readdirSync(dir).filter((e) => !/^(lock(\.stale\.\d+)?|\.campaign\.json\.\d+\.tmp)$/.test(e));
      if (left.length > 0) throw new Error(`start ${starts - 1} was killed before campaign.json existed but left ${left.join(', ')} in ${dir}`);
    }
    const argv = !begun ? [bin, 'fuzz', ...args, '--out', dir, '--json'] : [bin, 'fuzz', '--resume', dir, '--json'];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
    child.stdout.resume();
    const closed = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    let kill: Omit<Kill, 'code'> | undefined;
    if (kills.length < maxKills) {
      const target = targets[Math.floor(rng() * targets.length)];
      const afterMs = Math.floor(rng() * spanMs);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), afterMs); })]);
      clearTimeout(timer);
      let hit = false;
      if (!ended) {
        const main = child.pid as number;
        const workers = childrenOf(main).filter((p) => commOf(p) === 'node');
        const execs = [main, ...workers].flatMap(childrenOf).filter((p) => commOf(p).startsWith('sockspec-exec'));
        const pick = (l: number[]): number | undefined => (l.length === 0 ? undefined : l[Math.floor(rng() * l.length)]);
        const victim = target.startsWith('main') ? main : target.startsWith('worker') ? pick(workers) : pick(execs);
        if (victim !== undefined) {
          try {
            process.kill(victim, target.split(' ')[1] as NodeJS.Signals);
            hit = true;
          } catch {
            // it ended meanwhile
          }
        }
      }
      kill = { target, afterMs, hit };
    }
    // No start may hang: one that outlives `spanMs` several times over is a defect, reported as such.
    let hang: NodeJS.Timeout | undefined;
    const r = await Promise.race([closed, new Promise<never>((_, reject) => {
      hang = setTimeout(() => {
        const tree = [child.pid as number, ...childrenOf(child.pid as number)].flatMap((p) => [p, ...childrenOf(p)]).map((p) => `${p} ${commOf(p)}`);
        for (const line of tree) {
          try {
            process.kill(Number(line.split(' ')[0]), 'SIGKILL'); // the test's own processes
          } catch {
            // gone meanwhile
          }
        }
        reject(new Error(`start ${starts} (${kill ? `after ${kill.target} at ${kill.afterMs} ms` : 'no kill'}) hangs: still running after ${5 * spanMs + 60000} ms (${tree.join(', ')}); ${stderr}`));
      }, 5 * spanMs + 60000);
    })]).finally(() => clearTimeout(hang));
    if (kill !== undefined) kills.push({ ...kill, code: r.code });
    if (r.code === 0 || r.code === 1) return { kills, starts, outcome: outcomeOf(dir, r.code) };
    // Interrupted (3), or killed outright: resume. Anything else is a defect.
    if (r.code !== 3 && r.signal === null) throw new Error(`start ${starts} (${kill ? `${kill.target} at ${kill.afterMs} ms` : 'no kill'}) exited ${r.code}: ${stderr}`);
    if (kill === undefined) throw new Error(`start ${starts} ended with ${r.code ?? r.signal} though nothing killed it: ${stderr}`);
  }
}
