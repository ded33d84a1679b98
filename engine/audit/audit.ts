// `sockspec audit`: what a seccomp policy lets socket() do. Every point of the audit's space
// (engine/audit/space.ts) is decided by the model with the policy's filters installed; each is
// sorted into created, failed in the kernel (errno and deciding clause), denied by the policy
// (action and errno), returned 0 (ERRNO(0)), killed or trapped; the points are summed per family
// and door into the matrix. Findings compare doors point by point: a call the policy stops on
// x86_64 whose twin through another door passes it (a bypass when the kernel then creates the
// socket, a gap when only this kernel's build refuses it), and calls whose verdict differs between
// the two architectures of the policy. With a kernel, every point is also run there and compared
// (as `sockspec check` does). Sources: docs/seccomp.md §0, §5, §6 and §12.

import { ALL_CLAUSES, evaluate, fillSeccompWords, formatCall, formatResult, type Env, type Outcome, type SeccompFilter } from '../../model';
import { actionName, SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_TRAP, stackVerdict } from '../../model/seccomp';
import { harnessSafe } from '../../generators/seccomp';
import { compareOutcomes, describeMismatch, type Observation } from '../../oracle/compare';
import { ExecutorDied, KernelDied } from '../../oracle/errors';
import { VmFailure } from '../../oracle/vm/runner';
import { requestLine } from '../../contract';
import { reproSource } from '../../repro/c-source';
import { auditSpace, DOORS, type AuditPoint, type AuditRow, type AuditSpace, type Door } from './space';

/** How one call ended, as the audit sorts it. */
export type Fate = 'created' | 'failed' | 'denied' | 'returned' | 'killed' | 'trapped';

/** Fates where the policy stopped the call before the kernel read an argument. */
export const STOPPED: ReadonlySet<Fate> = new Set<Fate>(['denied', 'returned', 'killed', 'trapped']);

/** Points of one cell that ended the same way. */
export interface FateGroup {
  readonly fate: Fate;
  /** The errno (failed, denied), the action (killed, trapped), `0` (returned) or `fd` (created). */
  readonly detail: string;
  /** The deciding clause: a seccomp clause for stopped calls, the kernel's otherwise. */
  readonly clause: string;
  /** The policy's verdict as people write it: ALLOW, ERRNO(1), KILL_PROCESS, … */
  readonly verdict: string;
  readonly count: number;
  /** The first call of the cell that ended this way (the simplest, by the space's order). */
  readonly example: string;
}

/** One cell of the matrix: a family row through one door. */
export interface AuditCell {
  readonly row: string;
  readonly door: Door;
  readonly points: number;
  /** Largest group first. */
  readonly groups: readonly FateGroup[];
}

/** A finding of the audit. */
export interface AuditFinding {
  /**
   * `bypass`: stopped on x86_64, passes through `door`, and the kernel creates the socket;
   * `gap`: the same, but this kernel refuses it (a kernel with the family built would create it);
   * `arch-difference`: the policy's verdict for the same call differs between x86_64 and i386;
   * rule findings (from the policy's compile): `rule-refused`, `rule-skipped`, `rule-split` (runc
   * made an OR of an AND), `rule-void`, and `not-loaded` (a C program that takes its error path
   * before seccomp_load).
   */
  readonly kind: 'bypass' | 'gap' | 'arch-difference' | 'rule-refused' | 'rule-skipped' | 'rule-split' | 'rule-void' | 'not-loaded';
  readonly title: string;
  /** The first family row it concerns (a gap or arch-difference may group several: `rows`). */
  readonly row?: string;
  /** Every family row of a grouped finding. */
  readonly rows?: readonly string[];
  readonly door?: Door;
  /** How many calls of the row and door it covers. */
  readonly count?: number;
  /** The smallest example: the call through the door, what it did, and its x86_64 twin. */
  readonly example?: {
    readonly call: string;
    readonly result: string;
    readonly verdict: string;
    readonly twin: string;
    readonly twinResult: string;
    readonly twinVerdict: string;
    /** An eval request line that replays the call (`sockspec eval --compare`). */
    readonly eval: string;
  };
  /** A C program that shows it on a kernel (repro/c-source.ts), for bypasses and gaps. */
  readonly repro?: string;
}

/** A point where the model and the kernel disagree. */
export interface AuditMismatch {
  readonly row: string;
  readonly door: Door;
  readonly call: string;
  readonly model: string;
  readonly kernel: string;
  readonly clause: string;
  readonly details: readonly string[];
}

/** What the kernel said about the points, when the audit was confirmed on one. */
export interface AuditConfirmation {
  readonly oracle: string;
  readonly points: number;
  readonly agreed: number;
  readonly mismatchCount: number;
  readonly mismatches: readonly AuditMismatch[];
  /** Points the kernel cannot run (an entry path it lacks, such as i386 without IA32 emulation): not compared. */
  readonly unavailable: number;
  readonly unavailableWhy: string | null;
  /** Points whose answer the oracle lost (its executor or guest died twice on their batch): no clean pass. */
  readonly unobserved: number;
  readonly unobservedWhy: string | null;
  /**
   * Calls the model says the policy kills, left out beyond `killedPerCell` in a cell: each costs the
   * executor a new child (about 2 ms on a host, more in QEMU), so a cell's killed calls are run at
   * most that many times, spread evenly over the cell. 0 when every call ran.
   */
  readonly killedNotRun: number;
  readonly killedPerCell: number;
}

/** The audit of one policy: the `--json` object. */
export interface AuditResult {
  readonly policy: string;
  readonly kernel: string;
  readonly caps: string;
  readonly doors: readonly Door[];
  readonly rows: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly points: number;
  readonly cells: readonly AuditCell[];
  readonly findings: readonly AuditFinding[];
  readonly confirmation?: AuditConfirmation;
}

/** Runs a batch of calls in one environment on a kernel (the host's or a guest's). */
export type AuditKernel = (env: Env, calls: readonly AuditPoint['call'][]) => Promise<Observation[]>;

export interface AuditOptions {
  /** The environment the policy is audited in (profile, creds); its seccomp stack is replaced. */
  readonly env: Env;
  /** The policy's filters, oldest first. */
  readonly filters: readonly SeccompFilter[];
  readonly policy: string;
  /** Capabilities as people read them (all, none, or a list), for the report. */
  readonly caps: string;
  readonly doors?: readonly Door[];
  /** Findings from the policy itself (rules refused, skipped or void), put first. */
  readonly policyFindings?: readonly AuditFinding[];
  readonly kernel?: AuditKernel;
  readonly oracleName?: string;
  /** Points per kernel batch (default 8192). */
  readonly batchSize?: number;
  /** Killed calls run per cell at most (default 128; Infinity runs them all). */
  readonly killedPerCell?: number;
  /** Keep at most this many mismatches (all are counted). */
  readonly keep?: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/** Every point's verdict and fate: what the findings, claims and compare read. */
export interface AuditPoints {
  readonly space: AuditSpace;
  readonly verdicts: Uint32Array;
  readonly fates: readonly Fate[];
  readonly decisions: ReadonlyArray<{ readonly outcome: Outcome; readonly clause: string }>;
}

/** The fate of a decision under a verdict. */
export function fateOf(outcome: Outcome, clause: string, verdict: number): Fate {
  if (clause.startsWith('seccomp-') && clause !== 'seccomp-allow' && clause !== 'seccomp-log') {
    if (outcome.kind === 'killed') return (verdict & SECCOMP_RET_ACTION_FULL) >>> 0 === SECCOMP_RET_TRAP ? 'trapped' : 'killed';
    if (outcome.kind === 'ret') return 'returned';
    return 'denied';
  }
  if (outcome.kind === 'fd' || outcome.kind === 'pair') return 'created';
  return 'failed';
}

function detailOf(outcome: Outcome, fate: Fate, verdict: number): string {
  if (fate === 'created') return 'fd';
  if (fate === 'returned') return '0';
  if (fate === 'killed' || fate === 'trapped') return actionName(verdict).replace(/\(.*$/, '');
  return outcome.kind === 'errno' ? outcome.errno : formatResult(outcome);
}

/** Decides every point of the space with the model under `filters`. */
export function decidePoints(env: Env, filters: readonly SeccompFilter[], doors: readonly Door[] = DOORS): AuditPoints {
  const space = auditSpace(doors);
  const e: Env = { ...env, seccomp: filters };
  const words = new Uint32Array(16);
  const verdicts = new Uint32Array(space.points.length);
  const fates: Fate[] = new Array(space.points.length);
  const decisions: Array<{ outcome: Outcome; clause: string }> = new Array(space.points.length);
  space.points.forEach((p, i) => {
    const v = filters.length === 0 ? SECCOMP_RET_ALLOW : stackVerdict(filters, fillSeccompWords(p.call, words)) >>> 0;
    const d = evaluate(p.call, e);
    const clause = d.trace[d.trace.length - 1];
    verdicts[i] = v;
    fates[i] = fateOf(d.outcome, clause, v);
    decisions[i] = { outcome: d.outcome, clause };
  });
  return { space, verdicts, fates, decisions };
}

/** The policy's verdict for every point of `space` (no kernel decision: what rule analysis compares). */
export function policyVerdicts(filters: readonly SeccompFilter[], space: AuditSpace): Uint32Array {
  const words = new Uint32Array(16);
  const out = new Uint32Array(space.points.length);
  space.points.forEach((p, i) => { out[i] = filters.length === 0 ? SECCOMP_RET_ALLOW : stackVerdict(filters, fillSeccompWords(p.call, words)) >>> 0; });
  return out;
}

/** The cells of the matrix, row by row, door by door. */
export function cellsOf(pts: AuditPoints, doors: readonly Door[]): AuditCell[] {
  const { space } = pts;
  const key = (row: number, door: Door): string => `${row}|${door}`;
  const acc = new Map<string, { points: number; groups: Map<string, { fate: Fate; detail: string; clause: string; verdict: string; count: number; example: string }> }>();
  space.points.forEach((p, i) => {
    const k = key(p.row, p.door);
    let cell = acc.get(k);
    if (cell === undefined) acc.set(k, (cell = { points: 0, groups: new Map() }));
    cell.points++;
    const fate = pts.fates[i];
    const d = pts.decisions[i];
    const detail = detailOf(d.outcome, fate, pts.verdicts[i]);
    const verdict = actionName(pts.verdicts[i]);
    const gk = `${fate}|${detail}|${d.clause}|${verdict}`;
    const g = cell.groups.get(gk);
    if (g === undefined) cell.groups.set(gk, { fate, detail, clause: d.clause, verdict, count: 1, example: formatCall(p.call) });
    else g.count++;
  });
  const out: AuditCell[] = [];
  space.rows.forEach((r, row) => {
    for (const door of doors) {
      const cell = acc.get(key(row, door));
      if (cell === undefined) continue;
      const groups = [...cell.groups.values()].sort((a, b) => b.count - a.count);
      out.push({ row: r.id, door, points: cell.points, groups });
    }
  });
  return out;
}

/** Whether the policy lets the call through (ALLOW or LOG). */
export function passes(verdict: number): boolean {
  const a = (verdict & SECCOMP_RET_ACTION_FULL) >>> 0;
  return a === SECCOMP_RET_ALLOW || a === SECCOMP_RET_LOG;
}

function resultText(o: Outcome): string {
  return formatResult(o).replace(/^= /, '');
}

/**
 * Bypasses and gaps: for every door other than x86_64, the points whose canonical call the policy
 * stops on x86_64 but which pass the policy through the door, one finding per row and door. A
 * bypass when the kernel creates a socket for any of them (the example is the first created one);
 * a gap when the kernel refuses every one, so only this kernel's build or the call's other
 * arguments stand between the policy and a socket (the example is the first one).
 */
export function doorFindings(pts: AuditPoints, env: Env, filters: readonly SeccompFilter[], policy: string): AuditFinding[] {
  const { space } = pts;
  const x86 = new Map<number, number>();
  space.points.forEach((p, i) => { if (p.door === 'x86_64') x86.set(p.base, i); });
  const groups = new Map<string, { row: number; door: Door; passed: number; created: number; first: number; firstCreated: number }>();
  space.points.forEach((p, i) => {
    if (p.door === 'x86_64') return;
    const t = x86.get(p.base);
    if (t === undefined || passes(pts.verdicts[t]) || !passes(pts.verdicts[i])) return;
    const k = `${p.row}|${p.door}`;
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = { row: p.row, door: p.door, passed: 0, created: 0, first: i, firstCreated: -1 }));
    g.passed++;
    if (pts.fates[i] === 'created') {
      g.created++;
      if (g.firstCreated < 0) g.firstCreated = i;
    }
  });
  const out: AuditFinding[] = [];
  for (const g of groups.values()) {
    const bypass = g.created > 0;
    const i = bypass ? g.firstCreated : g.first;
    const p = space.points[i];
    const t = x86.get(p.base) as number;
    const row = space.rows[g.row];
    const d = pts.decisions[i];
    const stopped = actionName(pts.verdicts[t]);
    const title = bypass
      ? `${row.label}: the policy stops it on x86_64 (${stopped}), but ${g.passed} call(s) through ${g.door} pass it and the kernel creates a socket for ${g.created} of them`
      : `the policy stops it on x86_64 (${stopped}), but ${g.passed} call(s) through ${g.door} pass it; this kernel refuses each (first: ${resultText(d.outcome).replace(/ \(.*$/, '')}, ${clauseTitle(d.clause)})`;
    out.push({
      kind: bypass ? 'bypass' : 'gap',
      title,
      row: row.id,
      door: g.door,
      count: bypass ? g.created : g.passed,
      example: exampleOf(pts, i, t, env, filters),
      repro: reproSource(p.call, { ...env, seccomp: filters.map(harnessSafe) }, d.outcome.kind === 'errno' ? d.outcome.errno : 'ok',
        `${policy}: ${formatCall(p.call)} passes the policy, while ${formatCall(space.points[t].call)} gets ${resultText(pts.decisions[t].outcome)}`),
    });
  }
  const bypasses = out.filter((f) => f.kind === 'bypass');
  return [...bypasses, ...grouped(out.filter((f) => f.kind === 'gap'), space)];
}

/**
 * Findings of one kind that say the same of several families (the same door and the same
 * sentence), as one finding naming them all; its example and reproducer are the first family's.
 */
function grouped(findings: readonly AuditFinding[], space: AuditSpace): AuditFinding[] {
  const by = new Map<string, AuditFinding[]>();
  for (const f of findings) {
    const k = `${f.door}|${f.title.replace(/\b\d+ call\(s\)/, 'N')}`;
    const list = by.get(k);
    if (list === undefined) by.set(k, [f]);
    else list.push(f);
  }
  return [...by.values()].map((list) => {
    const labels = list.map((f) => space.rows.find((r) => r.id === f.row)?.label ?? String(f.row));
    const names = labels.length <= 6 ? labels.join(', ') : `${labels.slice(0, 6).join(', ')} and ${labels.length - 6} more`;
    const count = list.reduce((n, f) => n + (f.count ?? 0), 0);
    const title = list.length === 1 ? `${labels[0]}: ${list[0].title}` : `${list.length} families (${names}): ${list[0].title.replace(/\b\d+ call\(s\)/, `${count} call(s)`).replace(/stops it\b/, 'stops them').replace(/ pass it\b/, ' pass it')}`;
    return { ...list[0], title, count, rows: list.map((f) => f.row as string) };
  });
}

function exampleOf(pts: AuditPoints, i: number, t: number, env: Env, filters: readonly SeccompFilter[]): NonNullable<AuditFinding['example']> {
  const p = pts.space.points[i];
  const tw = pts.space.points[t];
  return {
    call: formatCall(p.call),
    result: resultText(pts.decisions[i].outcome),
    verdict: actionName(pts.verdicts[i]),
    twin: formatCall(tw.call),
    twinResult: resultText(pts.decisions[t].outcome),
    twinVerdict: actionName(pts.verdicts[t]),
    eval: requestLine(p.call, { ...env, seccomp: filters }),
  };
}

/**
 * Calls whose verdict differs between the x86_64 syscall and the i386 one (same registers, same
 * high bits): one finding per row, with the first such call.
 */
export function archFindings(pts: AuditPoints, env: Env, filters: readonly SeccompFilter[]): AuditFinding[] {
  const { space } = pts;
  const key = (p: AuditPoint): string => `${p.base}|${p.door.endsWith('-high') ? 'high' : 'low'}|${p.variant}`;
  const x86 = new Map<string, number>();
  space.points.forEach((p, i) => { if (p.door === 'x86_64' || p.door === 'x86_64-high') x86.set(key(p), i); });
  const rows = new Map<number, { count: number; first: number; twin: number }>();
  space.points.forEach((p, i) => {
    if (p.door !== 'i386' && p.door !== 'i386-high') return;
    const t = x86.get(key(p));
    if (t === undefined || pts.verdicts[t] === pts.verdicts[i]) return;
    const r = rows.get(p.row);
    if (r === undefined) rows.set(p.row, { count: 1, first: i, twin: t });
    else r.count++;
  });
  return grouped([...rows.entries()].map(([row, r]) => ({
    kind: 'arch-difference' as const,
    title: `the policy answers the same call differently on x86_64 (${actionName(pts.verdicts[r.twin])}) and on i386 (${actionName(pts.verdicts[r.first])})`,
    row: space.rows[row].id,
    door: space.points[r.first].door,
    count: r.count,
    example: exampleOf(pts, r.first, r.twin, env, filters),
  })), space);
}

/**
 * The points to run on the kernel: every one, except that a cell's killed calls beyond `perCell`
 * are left out, the rest spread evenly over the cell (deterministic). Returns the indices and how
 * many were left out.
 */
export function pointsToRun(pts: AuditPoints, perCell: number): { indices: number[]; killedNotRun: number } {
  const killed = new Map<string, number[]>();
  const indices: number[] = [];
  pts.space.points.forEach((p, i) => {
    if (pts.fates[i] !== 'killed' && pts.fates[i] !== 'trapped') {
      indices.push(i);
      return;
    }
    const k = `${p.row}|${p.door}`;
    const list = killed.get(k);
    if (list === undefined) killed.set(k, [i]);
    else list.push(i);
  });
  let killedNotRun = 0;
  for (const list of killed.values()) {
    if (list.length <= perCell) {
      indices.push(...list);
      continue;
    }
    const step = list.length / perCell;
    for (let j = 0; j < perCell; j++) indices.push(list[Math.floor(j * step)]);
    killedNotRun += list.length - perCell;
  }
  return { indices: indices.sort((a, b) => a - b), killedNotRun };
}

/**
 * Runs the points on the kernel and compares each with the model. A batch the oracle fails on
 * (its executor or guest died twice) counts as unobserved, with the reason, and the rest goes on.
 */
export async function confirmOnKernel(pts: AuditPoints, opts: AuditOptions): Promise<AuditConfirmation> {
  const kernel = opts.kernel;
  if (kernel === undefined) throw new Error('confirmOnKernel needs a kernel');
  const env: Env = { ...opts.env, seccomp: opts.filters.map(harnessSafe) };
  const batchSize = opts.batchSize ?? 8192;
  const keep = opts.keep ?? 200;
  const killedPerCell = opts.killedPerCell ?? 128;
  const { indices, killedNotRun } = pointsToRun(pts, killedPerCell);
  const mismatches: AuditMismatch[] = [];
  let mismatchCount = 0;
  let agreed = 0;
  let unobserved = 0;
  let unobservedWhy: string | null = null;
  let unavailable = 0;
  let unavailableWhy: string | null = null;
  const total = indices.length;
  for (let start = 0; start < total; start += batchSize) {
    const idx = indices.slice(start, start + batchSize);
    let obs: Observation[];
    try {
      obs = await kernel(env, idx.map((i) => pts.space.points[i].call));
    } catch (e) {
      if (!(e instanceof VmFailure) && !(e instanceof KernelDied) && !(e instanceof ExecutorDied)) throw e;
      obs = idx.map(() => ({ unobserved: `the oracle failed on this batch: ${(e as Error).message}`, lost: true as const }));
    }
    idx.forEach((i, k) => {
      const o = obs[k];
      if ('unobserved' in o) {
        if (o.unavailable === true) {
          unavailable++;
          unavailableWhy ??= o.unobserved;
        } else {
          unobserved++;
          unobservedWhy ??= o.unobserved;
        }
        return;
      }
      const ms = compareOutcomes(pts.decisions[i].outcome, o);
      if (ms.length === 0) {
        agreed++;
        return;
      }
      mismatchCount++;
      if (mismatches.length < keep) {
        const p = pts.space.points[i];
        mismatches.push({
          row: pts.space.rows[p.row].id, door: p.door, call: formatCall(p.call), model: resultText(pts.decisions[i].outcome),
          kernel: resultText(o.outcome), clause: pts.decisions[i].clause, details: ms.map(describeMismatch),
        });
      }
    });
    opts.onProgress?.('kernel', start + idx.length, total);
  }
  return { oracle: opts.oracleName ?? 'host', points: total, agreed, mismatchCount, mismatches, unavailable, unavailableWhy, unobserved, unobservedWhy, killedNotRun, killedPerCell };
}

/** Audits one policy: the matrix, the findings and, with a kernel, the confirmation. */
export async function runAudit(opts: AuditOptions): Promise<{ result: AuditResult; points: AuditPoints }> {
  const doors = opts.doors ?? DOORS;
  const pts = decidePoints(opts.env, opts.filters, doors);
  opts.onProgress?.('model', pts.space.points.length, pts.space.points.length);
  const findings = [
    ...(opts.policyFindings ?? []),
    ...doorFindings(pts, opts.env, opts.filters, opts.policy),
    ...archFindings(pts, opts.env, opts.filters),
  ];
  const confirmation = opts.kernel === undefined ? undefined : await confirmOnKernel(pts, opts);
  const result: AuditResult = {
    policy: opts.policy,
    kernel: opts.env.profile.name,
    caps: opts.caps,
    doors,
    rows: pts.space.rows.map((r: AuditRow) => ({ id: r.id, label: r.label })),
    points: pts.space.points.length,
    cells: cellsOf(pts, doors),
    findings,
    ...(confirmation !== undefined ? { confirmation } : {}),
  };
  return { result, points: pts };
}

/** The title of a clause, for "why" in reports. */
export function clauseTitle(id: string): string {
  return ALL_CLAUSES.find((c) => c.id === id)?.title ?? id;
}

/**
 * A cell in a few characters, for the matrix: `open` (every call passes the policy and the kernel
 * creates some sockets), `open*` (some created, the policy stops others), an errno alone (every
 * call passes; the kernel refuses them all, mostly with it), `deny EPERM` / `kill` / `trap` /
 * `ret 0` (the policy stops every call so), and a trailing `*` on those when the policy stops only
 * some calls (the rest pass, and the kernel refuses them).
 */
export function cellHeadline(cell: AuditCell): string {
  const stopped = cell.groups.filter((g) => STOPPED.has(g.fate));
  const created = cell.groups.some((g) => g.fate === 'created');
  if (stopped.length === 0) return created ? 'open' : (cell.groups[0]?.detail ?? '-');
  if (created) return 'open*';
  const top = stopped[0];
  const text = top.fate === 'denied' ? `deny ${top.detail}` : top.fate === 'returned' ? 'ret 0' : top.fate === 'trapped' ? 'trap' : 'kill';
  const mixed = stopped.some((g) => g.fate !== top.fate || g.detail !== top.detail) || stopped.length < cell.groups.length;
  return mixed ? `${text}*` : text;
}
