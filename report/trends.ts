// `sockspec report NIGHT1 NIGHT2 …`: one self-contained HTML page (inline SVG, no script, nothing
// fetched) of several campaigns night by night: runs, findings (all, distinct, new against the
// previous night) and clause coverage, as charts and, with the same numbers, as a table.
// Sources: engine/campaign/trends.ts (the figures), report/charts.ts.

import * as path from 'node:path';
import { readTrends, type Night, type Trends } from '../engine/campaign/trends';
import { writeFileAtomic } from '../engine/io';
import { CHART_CSS, lineChart, type ChartPoint } from './charts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A night's short name: the folder's name and the day it started. */
function nightName(n: Night): string {
  return `${path.basename(path.resolve(n.dir))}${n.startedAt !== undefined ? ` (${n.startedAt.slice(0, 10)})` : ''}`;
}

/** The points of one figure over the nights (nights where it is null are left out). */
function points(nights: readonly Night[], value: (n: Night) => number | null, what: string): ChartPoint[] {
  return nights.flatMap((n, i) => {
    const v = value(n);
    return v === null ? [] : [{ x: i, y: v, label: `${nightName(n)}: ${v} ${what}`, data: { night: i, dir: n.dir, ...(n.startedAt !== undefined ? { started: n.startedAt } : {}) } }];
  });
}

/** The page's HTML text. */
export function trendsHtml(t: Trends): string {
  const { nights } = t;
  const xTicks = nights.map((n, i) => ({ x: i, label: String(i + 1) }));
  const runs = lineChart({
    id: 'trend-runs', title: 'Runs per night', xLabel: 'night', yLabel: 'runs', xTicks,
    series: [{ name: 'runs', colour: '#1976d2', points: points(nights, (n) => n.runs, 'runs') }],
  });
  const findings = lineChart({
    id: 'trend-findings', title: 'Findings per night', xLabel: 'night', yLabel: 'findings', xTicks,
    series: [
      { name: 'findings', colour: '#c62828', points: points(nights, (n) => n.findings, 'findings') },
      { name: 'distinct', colour: '#ef6c00', dashed: true, points: points(nights, (n) => n.uniqueFindings, 'distinct findings') },
      { name: 'new', colour: '#6a1b9a', dashed: true, points: points(nights, (n) => n.newFindings, 'new against the previous night') },
    ],
  });
  const total = Math.max(...nights.map((n) => n.clausesTotal));
  const coverage = lineChart({
    id: 'trend-coverage', title: 'Clause coverage per night', xLabel: 'night', yLabel: `clauses (of ${total})`, xTicks, yMax: total,
    series: [{
      name: 'clausesCovered', colour: '#2e7d32',
      points: points(nights, (n) => n.clausesCovered, 'clauses covered').map((p, i) => ({ ...p, label: `${p.label} of ${nights[i].clausesTotal}`, data: { ...p.data, total: nights[i].clausesTotal } })),
    }],
  });
  const orderNote = t.order === 'start'
    ? '<p id="order" data-order="start">Nights in the order their campaigns started (campaign.json, startedAt).</p>'
    : `<p id="order" data-order="given">Nights in the order given: ${t.withoutStart.map((d) => `<code>${esc(d)}</code>`).join(', ')} ${t.withoutStart.length === 1 ? 'records' : 'record'} no start time (a folder of an older sockspec, or of sockspec merge).</p>`;
  const rows = nights.map((n, i) => `<tr class="night" data-night="${i}"><td>${i + 1}</td><td><code>${esc(n.dir)}</code></td><td>${esc(n.startedAt ?? '-')}</td>` +
    `<td>${n.seed}</td><td>${esc(n.kernel)}</td><td>${esc(n.status)}</td><td class="runs">${n.runs}</td><td class="findings">${n.findings}</td><td class="distinct">${n.uniqueFindings}</td>` +
    `<td class="new"${n.newSignatures.length > 0 ? ` title="${esc(n.newSignatures.join('\n'))}"` : ''}>${n.newFindings ?? '-'}</td><td class="gone">${n.goneFindings ?? '-'}</td>` +
    `<td class="coverage">${n.clausesCovered}/${n.clausesTotal}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sockspec trends: ${nights.length} nights</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222} h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse} th,td{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left} td.runs,td.findings,td.distinct,td.new,td.gone,td.coverage{text-align:right}
${CHART_CSS}
</style></head><body>
<h1>sockspec trends: ${nights.length} nights</h1>
${orderNote}
<p>New findings: distinct findings whose signature the previous night did not find; gone: the previous night's that this night did not find.</p>
${runs}
${findings}
${coverage}
<h2>Nights</h2>
<table id="nights"><tr><th>#</th><th>folder</th><th>started</th><th>seed</th><th>kernel</th><th>status</th><th>runs</th><th>findings</th><th>distinct</th><th>new</th><th>gone</th><th>clause coverage</th></tr>
${rows}</table>
</body></html>
`;
}

/** Reads the nights in `dirs` and writes the page to `file`; returns the file and the figures. */
export function writeTrends(dirs: readonly string[], file: string): { file: string; trends: Trends } {
  const trends = readTrends(dirs);
  writeFileAtomic(file, trendsHtml(trends));
  return { file, trends };
}
