// The audit as people read it: the matrix family × door in the terminal and as a self-contained
// HTML page (no script, nothing fetched), then the findings with their examples, the claims and,
// when the audit was confirmed on a kernel, what the kernel said. Sources: engine/audit/.

import { cellHeadline, type AuditCell, type AuditResult } from '../engine/audit/audit';
import type { ClaimResult } from '../engine/audit/claims';
import type { AuditComparison } from '../engine/audit/compare';
import { DOOR_TITLES, type Door } from '../engine/audit/space';

/** Short column heads. */
const HEAD: Readonly<Record<Door, string>> = { x86_64: 'x86_64', 'x86_64-high': 'x86_64 hi', i386: 'i386', 'i386-high': 'i386 hi', socketcall: 'socketcall' };

const LEGEND = [
  'open: the policy passes every call and the kernel creates sockets; open*: it creates some, the policy stops others',
  'an errno alone: the policy passes every call and the kernel refuses them (mostly with it)',
  'deny E…: the policy stops every call with that errno; kill, trap, ret 0: killed by SIGSYS, trapped, ERRNO(0)',
  '*: the policy stops only some of the calls; !: a bypass (stopped on x86_64, a socket through this door)',
];

/** The cells of a result by row and door, with the bypass marks. */
function grid(r: AuditResult): { rowLabel: (id: string) => string; cell: (row: string, door: Door) => { text: string; cell?: AuditCell } } {
  const byKey = new Map(r.cells.map((c) => [`${c.row}|${c.door}`, c]));
  const bypass = new Set(r.findings.filter((f) => f.kind === 'bypass').map((f) => `${f.row}|${f.door}`));
  return {
    rowLabel: (id) => (id === 'out-of-range' ? 'out of range' : r.rows.find((x) => x.id === id)?.label ?? id),
    cell: (row, door) => {
      const c = byKey.get(`${row}|${door}`);
      if (c === undefined) return { text: '' };
      return { text: `${cellHeadline(c)}${bypass.has(`${row}|${door}`) ? ' !' : ''}`, cell: c };
    },
  };
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

/**
 * The matrix as fixed-width lines. Three or more families whose cells read the same on every door
 * share one row, labelled with their count and listed under the matrix, so the rows that differ
 * stand out.
 */
export function auditMatrix(r: AuditResult): string[] {
  const g = grid(r);
  const texts = (id: string): string[] => r.doors.map((d) => g.cell(id, d).text);
  const bySig = new Map<string, string[]>();
  for (const row of r.rows) {
    const k = texts(row.id).join('|');
    const list = bySig.get(k);
    if (list === undefined) bySig.set(k, [row.id]);
    else list.push(row.id);
  }
  const shown: Array<{ label: string; id: string }> = [];
  const notes: string[] = [];
  const done = new Set<string>();
  for (const row of r.rows) {
    if (done.has(row.id)) continue;
    const members = bySig.get(texts(row.id).join('|')) ?? [row.id];
    if (members.length >= 3) {
      const mark = `[${notes.length + 1}]`;
      shown.push({ label: `${members.length} families ${mark}`, id: row.id });
      notes.push(`${mark} ${members.map((m) => g.rowLabel(m)).join(', ')}`);
      for (const m of members) done.add(m);
    } else {
      shown.push({ label: g.rowLabel(row.id), id: row.id });
      done.add(row.id);
    }
  }
  const w0 = Math.max(...shown.map((x) => x.label.length), 6) + 2;
  // Every column as wide as its widest cell or head, plus two spaces: cells never run together.
  const w = Math.max(...r.doors.map((d) => HEAD[d].length), ...shown.flatMap((x) => texts(x.id).map((t) => t.length))) + 2;
  const lines = [`${'family'.padEnd(w0)}${r.doors.map((d) => HEAD[d].padEnd(w)).join('')}`.trimEnd()];
  for (const row of shown) lines.push(`${row.label.padEnd(w0)}${r.doors.map((d) => g.cell(row.id, d).text.padEnd(w)).join('')}`.trimEnd());
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}

/** The whole audit as terminal lines. */
export function formatAudit(r: AuditResult, notes: readonly string[], claims?: readonly ClaimResult[]): string[] {
  const out = [`sockspec audit: ${r.policy} on ${r.kernel}, capabilities ${r.caps}, ${n(r.points)} calls through ${r.doors.length} doors`];
  for (const note of notes) out.push(`  ${note}`);
  out.push('', ...auditMatrix(r), '', ...LEGEND.map((l) => `  ${l}`), '');
  out.push(`doors: ${r.doors.map((d) => `${HEAD[d]} = ${DOOR_TITLES[d]}`).join('; ')}`, '');
  if (r.findings.length === 0) out.push('findings: none');
  else out.push(`findings (${r.findings.length}):`);
  for (const f of r.findings) {
    out.push(`  ${f.kind.toUpperCase()}  ${f.title}`);
    if (f.example) out.push(`      ${f.example.call} = ${f.example.result}  [policy: ${f.example.verdict}]`, `      x86_64: ${f.example.twin} = ${f.example.twinResult}  [policy: ${f.example.twinVerdict}]`);
  }
  if (claims !== undefined && claims.length > 0) out.push('', ...formatClaims(claims));
  if (r.confirmation !== undefined) {
    const c = r.confirmation;
    out.push('', `kernel (${c.oracle}): ${n(c.points)} calls run, ${n(c.agreed)} agree with the model, ${n(c.mismatchCount)} mismatches${c.unavailable > 0 ? `, ${n(c.unavailable)} not compared: the kernel cannot run them (${c.unavailableWhy})` : ''}${c.unobserved > 0 ? `, ${n(c.unobserved)} unobserved: the oracle lost their results, so this is no clean pass (${c.unobservedWhy})` : ''}`);
    if (c.killedNotRun > 0) out.push(`  ${n(c.killedNotRun)} calls the policy kills were not run: at most ${c.killedPerCell} of each cell's, spread over it (each costs a new child)`);
    for (const m of c.mismatches.slice(0, 20)) out.push(`  MISMATCH ${m.call}: model ${m.model} [${m.clause}], kernel ${m.kernel}`);
  }
  return out;
}

/** Claims as lines: HOLDS or FAILS, with counter-examples. */
export function formatClaims(claims: readonly ClaimResult[]): string[] {
  const out = ['claims:'];
  for (const c of claims) {
    out.push(`  ${c.holds ? 'HOLDS' : 'FAILS'}  ${c.claim}  (${c.where}; ${n(c.checked)} calls${c.holds ? '' : `, ${n(c.counterCount)} counter-examples`})`);
    if (c.checked === 0) out.push('      it covers no call of this audit (no door of the claim was run)');
    for (const e of c.counterExamples) out.push(`      ${e.door}: ${e.call}  [policy: ${e.verdict}] = ${e.result}`);
  }
  return out;
}

/** A comparison as lines. */
export function formatComparison(c: AuditComparison): string[] {
  const out = [`${c.before} → ${c.after}: ${n(c.changedPoints)} of ${n(c.points)} calls changed, in ${c.changes.length} cells`];
  for (const ch of c.changes) {
    out.push(`  ${ch.label} ${HEAD[ch.door]}: ${ch.before} → ${ch.after}  (${n(ch.changed)} of ${n(ch.points)} calls)`);
    out.push(`      ${ch.example.call}: ${ch.example.before} → ${ch.example.after}`);
  }
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function cellClass(text: string): string {
  if (text.endsWith('!')) return 'bypass';
  if (text.startsWith('open')) return 'open';
  if (/^(deny|kill|trap|ret)/.test(text)) return text.includes('*') ? 'partial' : 'stopped';
  return 'kernel';
}

/** The audit as one self-contained HTML page. */
export function auditHtml(r: AuditResult, notes: readonly string[], claims?: readonly ClaimResult[], comparison?: AuditComparison): string {
  const g = grid(r);
  const head = r.doors.map((d) => `<th title="${esc(DOOR_TITLES[d])}">${esc(HEAD[d])}</th>`).join('');
  const rows = r.rows.map((row) => {
    const tds = r.doors.map((d) => {
      const c = g.cell(row.id, d);
      const tip = c.cell ? c.cell.groups.map((x) => `${x.count} ${x.fate} ${x.detail} (${x.verdict}; ${x.clause}), e.g. ${x.example}`).join('\n') : '';
      return `<td class="${cellClass(c.text)}" title="${esc(tip)}">${esc(c.text)}</td>`;
    }).join('');
    return `<tr><th>${esc(g.rowLabel(row.id))}</th>${tds}</tr>`;
  }).join('\n');
  const findings = r.findings.map((f) => `<li><b>${esc(f.kind)}</b> ${esc(f.title)}${f.example ? `<br><code>${esc(`${f.example.call} = ${f.example.result}`)}</code> [policy: ${esc(f.example.verdict)}]; x86_64 <code>${esc(`${f.example.twin} = ${f.example.twinResult}`)}</code>` : ''}${f.repro ? `<details><summary>C reproducer</summary><pre>${esc(f.repro)}</pre></details>` : ''}</li>`).join('\n');
  const claimList = claims === undefined || claims.length === 0 ? '' : `<h2>Claims</h2><ul>${claims.map((c) => `<li class="${c.holds ? 'holds' : 'fails'}"><b>${c.holds ? 'HOLDS' : 'FAILS'}</b> ${esc(c.claim)} (${esc(c.where)}; ${n(c.checked)} calls${c.holds ? '' : `, ${n(c.counterCount)} counter-examples`})${c.counterExamples.map((e) => `<br><code>${esc(`${e.door}: ${e.call} = ${e.result}`)}</code> [policy: ${esc(e.verdict)}]`).join('')}</li>`).join('')}</ul>`;
  const conf = r.confirmation === undefined ? '<p>Model only: run with <code>--oracle host</code> or <code>--oracle vm</code> to confirm every cell on a kernel.</p>'
    : `<h2>Kernel</h2><p>${esc(r.confirmation.oracle)}: ${n(r.confirmation.points)} calls run, ${n(r.confirmation.agreed)} agree with the model, ${n(r.confirmation.mismatchCount)} mismatches, ${n(r.confirmation.unavailable)} not compared (the kernel cannot run them), ${n(r.confirmation.unobserved)} unobserved${r.confirmation.killedNotRun > 0 ? `; ${n(r.confirmation.killedNotRun)} calls the policy kills were not run (at most ${r.confirmation.killedPerCell} a cell)` : ''}.</p>${r.confirmation.mismatches.length ? `<ul>${r.confirmation.mismatches.map((m) => `<li><code>${esc(m.call)}</code>: model ${esc(m.model)} [${esc(m.clause)}], kernel ${esc(m.kernel)}</li>`).join('')}</ul>` : ''}`;
  const cmp = comparison === undefined ? '' : `<h2>Changes</h2><pre>${esc(formatComparison(comparison).join('\n'))}</pre>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sockspec audit: ${esc(r.policy)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:13px}
td.open{background:#d8f0d8}td.stopped{background:#f3d6d6}td.partial{background:#f6e7c8}td.kernel{background:#eee}
td.bypass{background:#c62828;color:#fff;font-weight:bold}li.fails{color:#a00}pre{white-space:pre-wrap;font-size:12px}
</style></head><body>
<h1>sockspec audit: ${esc(r.policy)}</h1>
<p>Kernel profile ${esc(r.kernel)}, capabilities ${esc(r.caps)}, ${n(r.points)} calls through ${r.doors.length} doors.</p>
<ul>${notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
<table><tr><th>family</th>${head}</tr>
${rows}
</table>
<ul>${LEGEND.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
<h2>Findings (${r.findings.length})</h2><ul>${findings}</ul>
${claimList}
${cmp}
${conf}
</body></html>
`;
}
