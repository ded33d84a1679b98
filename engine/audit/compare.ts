// `sockspec audit OLD NEW`: what changed between two policies, cell by cell. Both are audited on
// the same space, kernel profile and capabilities, so their points pair one to one; a point changed
// when its fate, detail or the policy's verdict differs. Sources: engine/audit/audit.ts.

import { formatCall } from '../../model';
import { actionName } from '../../model/seccomp';
import { cellHeadline, type AuditCell, type AuditPoints } from './audit';
import type { Door } from './space';

/** One cell that changed. */
export interface AuditChange {
  readonly row: string;
  readonly label: string;
  readonly door: Door;
  readonly before: string;
  readonly after: string;
  /** Points of the cell whose fate, detail or verdict changed. */
  readonly changed: number;
  readonly points: number;
  /** The first changed call, what it got before and after. */
  readonly example: { readonly call: string; readonly before: string; readonly after: string };
}

/** The comparison of two audits. */
export interface AuditComparison {
  readonly before: string;
  readonly after: string;
  readonly changedPoints: number;
  readonly points: number;
  readonly changes: readonly AuditChange[];
}

function pointText(pts: AuditPoints, i: number): string {
  const d = pts.decisions[i];
  const out = d.outcome.kind === 'fd' ? 'fd' : d.outcome.kind === 'errno' ? d.outcome.errno : d.outcome.kind === 'killed' ? 'SIGSYS' : `ret ${d.outcome.kind === 'ret' ? d.outcome.value : ''}`;
  return `${pts.fates[i]} ${out} (${actionName(pts.verdicts[i])})`;
}

/** Every cell whose points changed between `a` and `b` (audited over the same space). */
export function compareAudits(a: { name: string; points: AuditPoints; cells: readonly AuditCell[] }, b: { name: string; points: AuditPoints; cells: readonly AuditCell[] }): AuditComparison {
  const pa = a.points;
  const pb = b.points;
  if (pa.space.points.length !== pb.space.points.length) throw new Error('compareAudits: the two audits ran different spaces');
  const per = new Map<string, { changed: number; first: number }>();
  let changedPoints = 0;
  pa.space.points.forEach((p, i) => {
    if (pa.fates[i] === pb.fates[i] && pa.verdicts[i] === pb.verdicts[i] && pointText(pa, i) === pointText(pb, i)) return;
    changedPoints++;
    const k = `${pa.space.rows[p.row].id}|${p.door}`;
    const c = per.get(k);
    if (c === undefined) per.set(k, { changed: 1, first: i });
    else c.changed++;
  });
  const cellOf = (cells: readonly AuditCell[], row: string, door: Door): AuditCell | undefined => cells.find((c) => c.row === row && c.door === door);
  const changes: AuditChange[] = [];
  for (const [k, c] of per) {
    const [row, door] = k.split('|') as [string, Door];
    const ca = cellOf(a.cells, row, door);
    const cb = cellOf(b.cells, row, door);
    changes.push({
      row, label: pa.space.rows.find((r) => r.id === row)?.label ?? row, door,
      before: ca ? cellHeadline(ca) : '-', after: cb ? cellHeadline(cb) : '-',
      changed: c.changed, points: ca?.points ?? 0,
      example: { call: formatCall(pa.space.points[c.first].call), before: pointText(pa, c.first), after: pointText(pb, c.first) },
    });
  }
  return { before: a.name, after: b.name, changedPoints, points: pa.space.points.length, changes };
}
