// `sockspec report DIR`: one self-contained HTML file (no network needed to view it) with the
// run's parameters, the outcome matrix family × type for each environment class (colour per
// result, the strace line and the deciding clause with its kernel citation on hover), the findings
// with their counterexamples and reproducers, clause coverage, and charts of the coverage, findings
// and runs over the campaign's time (its timeline.jsonl, as inline SVG).
// Sources: engine/campaign/campaign.ts (outputs), engine/campaign/timeline.ts, generators/space.ts
// (environment classes), model/clauses.ts, report/charts.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AF_NAMES, ALL_CLAUSES, clauseById, evaluate, formatStrace, resultString, SOCK_TYPE_NAMES, type KernelProfile,
} from '../model';
import { ENV_CLASSES } from '../generators/space';
import type { CampaignSummary, Finding } from '../engine/campaign/campaign';
import { replayCommand } from '../properties/replay';
import { ContractError, resolveProfile } from '../contract';
import { readJsonLines, readJsonObject, writeFileAtomic } from '../engine/io';
import type { SpecCheckSummary } from '../engine/spec-check';
import type { DiffSummary } from '../engine/diff';
import { readTimelineOf, type TimelineSample } from '../engine/campaign/timeline';
import { CHART_CSS, lineChart, type ChartPoint } from './charts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLOURS: Readonly<Record<string, string>> = {
  ok: '#4caf50', EAFNOSUPPORT: '#e0e0e0', EINVAL: '#bdbdbd', ESOCKTNOSUPPORT: '#ffcc80', EPROTONOSUPPORT: '#ffe082',
  EPERM: '#ef5350', EACCES: '#f48fb1', ENODEV: '#90caf9', EPROTOTYPE: '#ce93d8', EMFILE: '#80deea', ENFILE: '#80cbc4',
  ENOPROTOOPT: '#b39ddb', 'killed:SIGSYS': '#212121',
};

const TYPES = Array.from({ length: 11 }, (_, t) => t);

/** The matrix for one environment class as an HTML table. */
function matrix(profile: KernelProfile, classId: string): string {
  const cls = ENV_CLASSES.find((c) => c.id === classId);
  if (cls === undefined) throw new ContractError('--env', `unknown environment class ${classId}`);
  const env = cls.env(profile);
  const head = TYPES.map((t) => `<th>${esc(SOCK_TYPE_NAMES[t] ?? String(t))}</th>`).join('');
  const rows = AF_NAMES.map((name, f) => {
    const cells = TYPES.map((t) => {
      const call = { a0: f, a1: t, a2: 0 };
      const d = evaluate(call, env);
      const r = resultString(d.outcome);
      const c = clauseById(d.trace[d.trace.length - 1]);
      const tip = `${formatStrace(call, d.outcome)}\ndecided by ${c?.id} — ${c?.title} [${c?.cite}]`;
      const text = r === 'ok' ? 'ok' : r.replace(/^E/, '').slice(0, 8);
      return `<td class="cell" data-result="${esc(r)}" style="background:${COLOURS[r] ?? '#fff59d'}" title="${esc(tip)}">${esc(text)}</td>`;
    }).join('');
    return `<tr><th>${f} ${esc(name)}</th>${cells}</tr>`;
  }).join('\n');
  return `<table class="matrix" data-env="${esc(classId)}"><caption>${esc(classId)}: ${esc(cls.description)} (protocol 0)</caption><tr><th>family \\ type</th>${head}</tr>\n${rows}</table>`;
}

/** The spec contradictions section, from a spec-check.json in the campaign folder. */
function specSection(check: SpecCheckSummary | undefined): string {
  if (check === undefined) return '';
  const rows = check.contradictions.map((c, i) => `<tr class="contradiction"><td>${i + 1}</td><td>${esc(c.class)}</td><td>${esc(c.title)}</td>` +
    `<td>${esc(c.specLines.join(', '))}</td><td><code>${esc(c.counterexample)}</code></td><td>${esc(c.kernel ?? '-')}</td><td>${c.confirmed ? 'yes' : 'no'}</td>` +
    `<td>${esc((c.kernels ?? []).map((v) => `${v.kernel}: ${v.holds ? (v.confirmed ? 'holds, confirmed' : 'holds') : 'does not hold'}`).join('; ') || '-')}</td>` +
    `<td>${esc((c.clauses ?? [c.clause]).join(', '))}</td></tr>`).join('\n');
  // Older spec-check.json files have neither order nor enforcement.
  const pairs = (check.order?.unstated ?? []).map((c, i) => `<tr class="order-pair"><td>${i + 1}</td><td>${esc(c.title)}</td><td>${esc(c.specLines.join(', '))}</td>` +
    `<td><code>${esc(c.counterexample)}</code></td><td>${esc(c.kernels.filter((v) => v.holds).map((v) => `${v.kernel}${v.confirmed ? ' ✓' : ''}`).join(', '))}</td></tr>`).join('\n');
  const enforced = (check.enforcement ?? []).flatMap((e) => e.kernels.map((k) => `<tr class="enforced"><td>${esc(e.text)}</td><td>${e.line}</td><td>${esc(k.kernel)}</td><td>${k.points}</td>` +
    `<td>${esc(Object.entries(k.today).map(([r, n]) => `${r} ${n}`).join(', '))}</td><td>${esc(e.examples.map((x) => x.counterexample).join('; '))}</td></tr>`)).join('\n');
  return `<h2>Spec contradictions (${esc(check.spec)}: ${check.contradictions.length}; ${check.formalized} clauses formalized, ${check.informal} informal)</h2>
<table id="spec-contradictions"><tr><th>#</th><th>class</th><th>contradiction</th><th>spec lines</th><th>counter-example</th><th>kernel</th><th>confirmed</th><th>kernels</th><th>model clauses</th></tr>
${rows}</table>
<h3>Order the spec leaves open (${(check.order?.unstated ?? []).length} pairs of causes)</h3>
<table id="spec-order"><tr><th>#</th><th>where both hold</th><th>spec lines</th><th>counter-example</th><th>holds on (✓ confirmed)</th></tr>
${pairs}</table>
<h3>What runtime enforcement would change</h3>
<table id="spec-enforcement"><tr><th>check</th><th>spec line</th><th>kernel</th><th>calls that would become EINVAL</th><th>their result today</th><th>examples</th></tr>
${enforced}</table>`;
}

/** The kernel A/B section, from a diff.json in the folder. */
function diffSection(diff: DiffSummary | undefined): string {
  if (diff === undefined) return '';
  const total = Object.values(diff.byClause).reduce((x, y) => x + y, 0);
  // A page stays readable: the first REPORT_ROWS differences, the rest counted (diff.json has them all).
  const rows = diff.differences.slice(0, REPORT_ROWS).map((d, i) => `<tr class="difference"><td>${i + 1}</td><td>${esc(d.clause)}</td><td>${esc(d.group)}</td>` +
    `<td><code>${esc(d.call)}</code></td><td>${esc(d.a)}</td><td>${esc(d.b)}</td></tr>`).join('\n');
  const clauses = Object.entries(diff.byClause).sort((x, y) => y[1] - x[1]).map(([c, n]) => `<tr><th>${esc(c)}</th><td>${n}</td></tr>`).join('');
  // Older diff.json files have neither kernelAlerts nor unobservedWhy.
  const alerts = (['a', 'b'] as const).flatMap((k) => (diff.kernelAlerts?.[k] ?? []).map((l) => `<tr><td>${esc(diff[k])}</td><td><code>${esc(l)}</code></td></tr>`)).join('');
  const why = Object.entries(diff.unobservedWhy ?? {}).sort((x, y) => y[1] - x[1]).map(([w, n]) => `<tr><td>${esc(w)}</td><td>${n}</td></tr>`).join('');
  return `<h2>Kernel diff: A ${esc(diff.a)}, B ${esc(diff.b)} (${diff.points} points, ${total} differ${diff.unobserved ? `, ${diff.unobserved} not run on one side` : ''})</h2>
<table id="diff-by-clause">${clauses}</table>
${why === '' ? '' : `<h3>Not run on one side</h3>\n<table id="diff-unobserved"><tr><th>class: side: reason</th><th>calls</th></tr>${why}</table>`}
${alerts === '' ? '' : `<h3>Kernel console: WARN, BUG, oops</h3>\n<table id="diff-alerts"><tr><th>kernel</th><th>line</th></tr>${alerts}</table>`}
${diff.differences.length === 0 ? '<p id="no-differences">No call differs.</p>' : `<table id="diff"><tr><th>#</th><th>model clause</th><th>class</th><th>call</th><th>A</th><th>B</th></tr>\n${rows}</table>`}${diff.differences.length > REPORT_ROWS ? `\n<p id="diff-more">${diff.differences.length - REPORT_ROWS} more differences in diff.json.</p>` : ''}`;
}

const REPORT_ROWS = 2000;

/** Charts of the campaign's samples over its time: clause coverage, findings and runs (nothing without a timeline). */
function timelineSection(timeline: readonly TimelineSample[] | undefined, clausesTotal: number): string {
  if (timeline === undefined) return '';
  if (timeline.length === 0) return '<h2>Over time</h2>\n<p id="no-timeline">No sample was taken (timeline.jsonl is empty).</p>';
  const pts = (value: (x: TimelineSample) => number, what: string): ChartPoint[] => timeline.map((x) => ({
    x: x.elapsedMs / 1000, y: value(x), label: `${(x.elapsedMs / 1000).toFixed(1)} s: ${value(x)} ${what}`,
    data: { 'elapsed-ms': x.elapsedMs, runs: x.runs },
  }));
  const xLabel = 'campaign time (s)';
  const xMin = 0;
  return `<h2>Over time (${timeline.length} samples, timeline.jsonl)</h2>
${lineChart({ id: 'timeline-coverage', title: `Clause coverage (of ${clausesTotal})`, xLabel, xMin, yLabel: 'clauses', yMax: clausesTotal, series: [{ name: 'clausesCovered', colour: '#2e7d32', points: pts((x) => x.clausesCovered, 'clauses covered') }] })}
${lineChart({ id: 'timeline-findings', title: 'Findings', xLabel, xMin, yLabel: 'findings', series: [{ name: 'findings', colour: '#c62828', points: pts((x) => x.findings, 'findings') }] })}
${lineChart({ id: 'timeline-runs', title: 'Runs', xLabel, xMin, yLabel: 'runs', series: [{ name: 'runs', colour: '#1976d2', points: pts((x) => x.runs, 'runs') }] })}`;
}

/** The report's HTML text. */
export function reportHtml(dir: string, summary: CampaignSummary, findings: readonly Finding[], profile: KernelProfile, envIds: readonly string[], check?: SpecCheckSummary, diff?: DiffSummary,
  timeline?: readonly TimelineSample[]): string {
  const params = Object.entries({
    seed: summary.seed, runs: summary.runs, kernel: summary.kernel, oracle: summary.oracle, shard: summary.shard,
    seconds: summary.seconds, findings: summary.findings, 'distinct findings': summary.uniqueFindings,
    'clause coverage': `${summary.clausesCovered}/${summary.clausesTotal}`, stopped: summary.stopped,
    ...(summary.corpus !== undefined ? { 'corpus (corpus.jsonl, for sockspec diff --corpus)': `${summary.corpus} inputs` } : {}),
  }).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  const seen = new Set<string>();
  const findingRows = findings.map((f, i) => {
    const dup = seen.has(f.signature);
    seen.add(f.signature);
    return `<tr class="finding${dup ? ' duplicate' : ''}"><td>${i + 1}</td><td>${esc(f.property)}</td><td><code>${esc(f.strace ?? f.message.split('\n')[0])}</code></td>` +
      `<td>${esc(f.model ?? '')}</td><td>${esc(f.kernel ?? '')}</td><td>${esc(f.clause ?? '')}</td>` +
      `<td><details><summary>reproduce</summary><pre>${esc(f.request !== undefined ? (f.kernelFlags !== undefined ? `sockspec repro ${path.join(dir, 'findings.jsonl')}:${i + 1} ${f.kernelFlags.replace(/^--oracle vm /, '')}\n\n` : `sockspec repro ${path.join(dir, 'findings.jsonl')}:${i + 1} -o repro.c && cc -o repro repro.c && ./repro\n\n`) : '')}${esc(replayCommand(f))}\n\ncounterexample: ${esc(f.counterexample)}</pre></details></td></tr>`;
  }).join('\n');
  const uncovered = new Set(summary.uncovered);
  const groups = [...new Set(ALL_CLAUSES.map((c) => c.group))];
  const coverage = groups.map((g) => {
    const cs = ALL_CLAUSES.filter((c) => c.group === g);
    return `<tr><th>${esc(g)}</th><td>${cs.map((c) => `<span class="clause ${uncovered.has(c.id) ? 'uncovered' : 'covered'}" title="${esc(`${c.title} [${c.cite}]`)}">${esc(c.id)}</span>`).join(' ')}</td></tr>`;
  }).join('\n');
  const options = envIds.map((id, i) => `<option value="${esc(id)}"${i === 0 ? ' selected' : ''}>${esc(id)}</option>`).join('');
  const legend = Object.entries(COLOURS).map(([r, c]) => `<span class="key" style="background:${c}">${esc(r)}</span>`).join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sockspec report: seed ${summary.seed}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222} h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse} th,td{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left}
.matrix td.cell{text-align:center;min-width:64px;font-family:monospace} .matrix caption{text-align:left;font-weight:bold;padding:4px 0}
.key{display:inline-block;padding:1px 6px;margin:2px;font:11px monospace;border:1px solid #999} span.key[style*="#212121"]{color:#fff}
td.cell[data-result="killed:SIGSYS"]{color:#fff} .clause{display:inline-block;padding:1px 4px;margin:1px;font:11px monospace}
.covered{background:#c8e6c9} .uncovered{background:#ffcdd2} tr.duplicate{color:#888} .hidden{display:none}
${CHART_CSS}
</style></head><body>
<h1>sockspec report</h1>
<h2>Run</h2><table id="params">${params}</table>
<h2>Findings (${summary.findings}, ${summary.uniqueFindings} distinct)</h2>
${findings.length === 0 ? '<p id="no-findings">No findings.</p>' : `<table id="findings"><tr><th>#</th><th>property</th><th>counterexample</th><th>model</th><th>kernel</th><th>model clause</th><th></th></tr>\n${findingRows}</table>`}
${timelineSection(timeline, summary.clausesTotal)}
${specSection(check)}
${diffSection(diff)}
<h2>Outcome matrix (kernel profile ${esc(profile.name)})</h2>
<p>Environment: <select id="env">${options}</select> Hover a cell for the call, its result and the clause that decided it.</p>
<p>${legend}</p>
${envIds.map((id, i) => `<div class="env${i === 0 ? '' : ' hidden'}" data-env="${esc(id)}">${matrix(profile, id)}</div>`).join('\n')}
<h2>Clause coverage (${summary.clausesCovered}/${summary.clausesTotal})</h2>
<table id="coverage">${coverage}</table>
<h3>Clauses decided per environment class</h3>
<table id="coverage-by-class">${Object.entries(summary.coverageByClass ?? {}).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>
<script>
document.getElementById('env').addEventListener('change', function (e) {
  document.querySelectorAll('div.env').forEach(function (d) { d.classList.toggle('hidden', d.getAttribute('data-env') !== e.target.value); });
});
</script>
</body></html>
`;
}

/** Reads a campaign folder and writes DIR/report.html (or `output`); returns the file. */
export function writeReport(dir: string, output?: string): string {
  const file = output ?? path.join(dir, 'report.html');
  const cf = path.join(dir, 'spec-check.json');
  const check = fs.existsSync(cf) ? (readJsonObject(cf) as unknown as SpecCheckSummary) : undefined;
  const df = path.join(dir, 'diff.json');
  const diff = fs.existsSync(df) ? (readJsonObject(df) as unknown as DiffSummary) : undefined;
  const sf = path.join(dir, 'summary.json');
  if (!fs.existsSync(sf)) {
    if (check === undefined && diff === undefined) {
      throw new ContractError('dir', `${dir} has no summary.json, spec-check.json or diff.json (run sockspec fuzz, spec check or diff with --out ${dir} first)`);
    }
    // A folder of a spec check or a kernel diff alone: just those sections.
    writeFileAtomic(file, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sockspec report</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222} h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse} th,td{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left}</style></head><body>
<h1>sockspec report</h1>
${specSection(check)}
${diffSection(diff)}
</body></html>
`);
    return file;
  }
  const summary = readJsonObject(sf) as unknown as CampaignSummary;
  if (!Array.isArray(summary.properties) || !Array.isArray(summary.uncovered) || typeof summary.kernel !== 'string') throw new ContractError(sf, 'is not a campaign summary (properties, uncovered and kernel expected)', 'bad-file');
  const ff = path.join(dir, 'findings.jsonl');
  const findings = readJsonLines(ff) as Finding[];
  const pf = path.join(dir, 'profile.json');
  const profile = fs.existsSync(pf) ? (readJsonObject(pf) as unknown as KernelProfile) : resolveProfile(summary.kernel);
  const envIds = ENV_CLASSES.filter((c) => c.calls === 'full').map((c) => c.id);
  const timeline = readTimelineOf(dir);
  writeFileAtomic(file, reportHtml(dir, summary, findings, profile, envIds, check, diff, timeline));
  return file;
}
