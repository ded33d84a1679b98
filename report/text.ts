// Text renderings for the terminal and Markdown files: the check and diff summaries, a finding,
// and the spec check's report. Engines return data; these only format it.
// Sources: engine/check.ts, engine/diff.ts, engine/spec-check.ts, engine/campaign/campaign.ts.

import * as path from 'node:path';
import { replayCommand } from '../properties/replay';
import type { Finding } from '../engine/campaign/campaign';
import type { AtomicityHalf, AtomicityResult } from '../engine/atomicity';
import type { CheckSummary } from '../engine/check';
import type { DiffSummary } from '../engine/diff';
import type { SequenceSummary } from '../engine/sequences';
import { replayedOn, type KernelJudged, type SpecCheckEntry, type SpecCheckSummary } from '../engine/spec-check';

/** The human-readable report. */
export function formatCheck(s: CheckSummary): string[] {
  const out = [`sockspec check: kernel ${s.kernel}, oracle ${s.oracle}: ${s.points} points in ${s.classes.length} environment classes`];
  for (const c of s.classes) out.push(`  ${c.id.padEnd(26)} ${String(c.points).padStart(8)} points${s.oracle === 'none' ? '' : `  ${c.mismatches} mismatches`}`);
  out.push(`clause coverage: ${s.clausesCovered}/${s.clausesTotal}${s.uncovered.length ? ` (not decided by any point: ${s.uncovered.join(', ')})` : ''}`);
  for (const m of s.mismatches) out.push(`MISMATCH [${m.class}] ${m.call}: model ${m.model}, kernel ${m.kernel} (model clause ${m.clause}; ${m.details.join('; ')})`);
  if (s.oracle !== 'none') out.push(`${s.mismatchCount} mismatches${s.mismatchCount > s.mismatches.length ? ` (first ${s.mismatches.length} shown)` : ''}`);
  if (s.unavailable > 0) out.push(`${s.unavailable} points not compared: the kernel could not run them (${s.unavailableWhy})`);
  if (s.unobserved > 0) out.push(`${s.unobserved} points unobserved: the oracle lost their results, so this is no clean pass (first: ${s.unobservedWhy})`);
  if (s.sequences !== undefined) out.push(...formatSequences(s.sequences));
  if (s.kernelAlerts !== undefined && s.kernelAlerts.length > 0) out.push(`the kernel reported on its console (${s.kernelAlerts.length} lines):`, ...s.kernelAlerts.slice(0, 20).map((l) => `  ${l}`));
  out.push(`${s.seconds.toFixed(1)} s`);
  return out;
}

/** The bounded sequences: per layout, then each mismatch as its shrunk strace lines and both tables. */
export function formatSequences(q: SequenceSummary): string[] {
  const out = [`sequences: ${q.sequences} (every one up to ${q.maxLength} steps from ${q.layouts.length} layouts, ${q.steps} steps), fd table compared after each step`];
  for (const l of q.layouts) out.push(`  ${l.id.padEnd(26)} ${String(l.sequences).padStart(8)} sequences  ${l.mismatches} mismatches`);
  for (const m of q.mismatches) {
    out.push(`SEQUENCE MISMATCH [${m.layout}] at step ${m.at + 1} of ${m.lines.length} (shrunk from ${m.original.length} steps):`);
    m.lines.forEach((l, i) => out.push(`    ${i === m.at ? '>' : ' '} ${l}`));
    out.push(`    ${m.details.join('; ')}`, `    model table:  ${m.modelTable}`, `    kernel table: ${m.kernelTable}`);
  }
  out.push(`${q.mismatchCount} sequence mismatches${q.unobserved > 0 ? `, ${q.unobserved} sequences unobserved` : ''}`);
  return out;
}

/** One half of the atomicity race as a line. */
function raceLine(h: AtomicityHalf): string {
  const label = h.mode === 'atomic' ? 'SOCK_CLOEXEC|SOCK_NONBLOCK' : 'socket() then fcntl()';
  return `  ${label.padEnd(26)} ${h.leaked} leaked (${h.leakyProbes} of ${h.probes} probes), ${h.unflagged} unflagged of ${h.watched} fds watched, `
    + `${h.created} sockets created in ${(h.elapsedMs / 1000).toFixed(1)} s${h.error !== null ? `; the race failed: ${h.error}` : ''}`;
}

/** The atomicity check (`check --atomicity`): both halves' counts, then the verdict. */
export function formatAtomicity(r: AtomicityResult): string[] {
  const out = [`sockspec check --atomicity: kernel ${r.kernel}, ${r.creators} creator threads, ${r.durationMs / 1000} s per half`, raceLine(r.atomic), raceLine(r.fcntl)];
  const v = r.verdict;
  if (!v.atomic) out.push(`FINDING: with SOCK_CLOEXEC|SOCK_NONBLOCK, ${r.atomic.leaked} sockets leaked into an exec and ${r.atomic.unflagged} fds were seen without their flags`);
  else out.push('atomic: no socket made with the flags leaked or was seen without them');
  if (v.canFail) out.push('the check can fail: the non-atomic idiom leaked or was seen unflagged in the same time');
  else out.push('the check could not show it can fail: the non-atomic idiom showed nothing in the same time (a longer --duration may)');
  if (!v.complete) out.push('incomplete: a half of the race did not run whole (see the failure above)');
  if (r.kernelAlerts !== undefined && r.kernelAlerts.length > 0) out.push(`the kernel reported on its console (${r.kernelAlerts.length} lines):`, ...r.kernelAlerts.slice(0, 20).map((l) => `  ${l}`));
  return out;
}

/** The text report: the differences grouped by clause, a few calls each. */
export function formatDiff(s: DiffSummary, perClause = 5): string[] {
  const total = Object.values(s.byClause).reduce((x, y) => x + y, 0);
  const out = [`sockspec diff: A ${s.a}, B ${s.b}: ${s.points} points, ${total} differ${s.unobserved ? `, ${s.unobserved} not run on one side` : ''} (clauses of ${s.profile}), ${s.seconds.toFixed(1)} s`];
  for (const [clause, n] of Object.entries(s.byClause).sort((x, y) => y[1] - x[1])) {
    out.push(`  ${clause}: ${n} calls`);
    for (const d of s.differences.filter((x) => x.clause === clause).slice(0, perClause)) out.push(`    [${d.group}] ${d.call}: A ${d.a}, B ${d.b}`);
  }
  const why = Object.entries(s.unobservedWhy).sort((x, y) => y[1] - x[1]);
  if (why.length > 0) out.push('  not run on one side:', ...why.slice(0, perClause * 2).map(([w, n]) => `    ${n} calls [${w}]`));
  for (const side of ['a', 'b'] as const) {
    const alerts = s.kernelAlerts[side];
    if (alerts.length > 0) out.push(`  kernel ${side.toUpperCase()} (${s[side]}) reported on its console:`, ...alerts.slice(0, perClause * 2).map((l) => `    ${l}`));
  }
  return out;
}

/** How a kernel of a spec check is named in its report. */
function kernelWords(k: KernelJudged): string {
  return k.oracle === 'vm' ? `${k.name} in QEMU (profile ${k.profile})` : k.oracle === 'host' ? `the running kernel (profile ${k.profile})` : `the model alone (profile ${k.profile})`;
}

/** Where a contradiction holds and where it does not, kernel by kernel. */
function verdictWords(c: SpecCheckEntry): string {
  const on = c.kernels.filter((v) => v.holds).map((v) => `${v.kernel}${v.observed === null ? '' : v.confirmed ? ' (confirmed)' : ` (not confirmed: the kernel gave ${v.observed})`}`);
  const off = c.kernels.filter((v) => !v.holds).map((v) => `${v.kernel}${v.observed === null ? '' : ` (it gives ${v.observed})`}`);
  return `holds on ${on.join(', ')}${off.length > 0 ? `; not on ${off.join(', ')}` : ''}`;
}

/** How many of an item's clause entries the Markdown shows (spec-check.json has them all). */
const MEMBERS_SHOWN = 4;

/** The Markdown report. */
export function specCheckMarkdown(s: SpecCheckSummary): string {
  const kernels = s.kernels ?? [];
  const several = kernels.length > 1;
  const judged = several
    ? `Kernels: ${kernels.map((k) => `${kernelWords(k)}, ${k.holds} contradictions, ${k.confirmed} confirmed there`).join('; ')}. ${s.points} points judged on the first`
    : `Kernel profile: ${s.kernel}. Oracle: ${s.oracle}${s.kernelImage !== undefined ? ` (${s.kernelImage} in QEMU)` : ''}. ${s.points} points judged`;
  const out = [
    `# ${s.spec}: contradictions with the model${s.oracle !== 'none' || kernels.some((k) => k.oracle !== 'none') ? ' and the kernel' : ''}`,
    '',
    `Spec: \`${s.file}\`. ${judged} (the bounded space of \`sockspec check\`, ` +
      `fuzzed tuples and environments, the spec's examples); ${s.policyPoints} more were decided by a seccomp filter and not judged. ` +
      `Clauses: ${s.formalized} formalized, ${s.informal} informal (${((100 * s.formalized) / Math.max(1, s.formalized + s.informal)).toFixed(0)}%). ` +
      `${s.contradictions.length} contradictions${s.group === 'clause' ? ' (one per spec item and model clause)' : ''} (${Object.entries(s.byClass).map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
      `${s.contradictions.filter((c) => c.confirmed).length} confirmed on ${several ? 'at least one kernel' : 'the kernel'}. ${s.seconds.toFixed(1)} s.`,
    '',
    ...((s.skipped ?? []).length > 0 ? [`Other blocks in the file, not judged: ${s.skipped.map((b) => `${b.name} (line ${b.line}, ${b.syscall}(2))`).join(', ')}.`, ''] : []),
  ];
  // One line per contradiction before the details: where in the spec, what kind, on which kernels.
  const cell = (t: string): string => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  out.push('| # | spec lines | class | contradiction | holds on | confirmed |', '|---|---|---|---|---|---|');
  s.contradictions.forEach((c, i) => {
    const on = (c.kernels ?? []).filter((v) => v.holds).map((v) => `${v.kernel}${v.confirmed ? ' ✓' : ''}`).join(', ');
    out.push(`| ${i + 1} | ${c.specLines.join(', ')} | ${c.class} | ${cell(c.title)} | ${on || '-'} | ${c.confirmed ? 'yes' : 'no'} |`);
  });
  out.push('');
  s.contradictions.forEach((c, i) => {
    out.push(`## ${i + 1}. ${c.title}`, '', `- class: ${c.class}`, `- spec lines ${c.specLines.join(', ')}: ${c.specText.replace(/\n/g, ' ')}`);
    if (several) out.push(`- kernels: ${verdictWords(c)}`);
    if (c.counterexample !== '-') {
      // The counter-example is the first member's: replay it where that member holds.
      const first = kernels.find((k) => k.name === replayedOn(((c.members ?? [])[0] ?? c).kernels ?? [])?.kernel);
      const image = first !== undefined ? (first.oracle === 'vm' ? first.image : undefined) : s.kernelImage;
      out.push(`- counter-example: \`${c.counterexample}\` (${c.environment}; ${c.points} points in this group)`,
        `- kernel: ${c.kernel ?? 'not run (--oracle none)'}; confirmed: ${c.confirmed ? 'yes' : 'no'}`,
        `- model clause: ${c.clause} [${c.kernelFunction}]`);
      if (c.reproducer) out.push(`- reproducer: \`${c.reproducer}\` (cc -o repro ${path.basename(c.reproducer)} && ./repro; exits 1 while the kernel contradicts the spec)`);
      if (c.request) out.push(`- replay: \`echo '${c.request}' | sockspec eval${image !== undefined ? ` --oracle vm --kernel-image ${image}` : ''} --compare\``);
    }
    const members = c.members ?? [];
    if (members.length > 1) {
      out.push(`- model clauses (${members.length}): ${(c.clauses ?? []).join(', ')}; the first ${Math.min(MEMBERS_SHOWN, members.length)}, each with its own shrunk counter-example:`);
      for (const m of members.slice(0, MEMBERS_SHOWN)) {
        out.push(`  - ${m.clause} [${m.kernelFunction}]: \`${m.counterexample}\` (${m.environment})${several ? `; ${verdictWords(m)}` : ''}`);
      }
    }
    out.push('');
  });
  out.push(...orderMarkdown(s, cell), ...enforcementMarkdown(s, cell));
  out.push('## Formalization', '', '| line | kind | about | clause | predicate |', '|---|---|---|---|---|');
  for (const c of s.clauses) out.push(`| ${c.line} | ${c.kind} | ${cell(c.about)} | ${cell(c.text)} | ${c.formal === null ? 'informal' : `\`${cell(c.formal)}\``} |`);
  out.push('');
  return out.join('\n');
}

/** The order the spec leaves open, pair by pair, and the kernels' order of its errors as a matrix. */
function orderMarkdown(s: SpecCheckSummary, cell: (t: string) => string): string[] {
  const order = s.order;
  if (order === undefined) return [];
  const out = ['## The order of the errors', ''];
  if (order.unstated.length === 0) out.push('Where the causes of two listed errors hold at once, the spec states which the kernel returns.', '');
  else {
    out.push(`The spec lists its errors without an order. Where a stated cause of one and a stated cause of another hold at once, the kernel returns one; the spec would have to say which (${order.unstated.length} pairs of causes):`, '',
      '| # | where both hold | spec lines | holds on (✓ confirmed) | counter-example |', '|---|---|---|---|---|');
    order.unstated.forEach((c, i) => {
      const on = c.kernels.filter((v) => v.holds).map((v) => `${v.kernel}${v.confirmed ? ' ✓' : ''}`).join(', ');
      out.push(`| ${i + 1} | ${cell(c.title.replace(/^where /, '').replace(/: the spec does not say which comes first$/, ''))} | ${c.specLines.join(', ')} | ${on} | \`${cell(c.counterexample)}\` (${cell(c.environment)}) |`);
    });
    out.push('');
  }
  const t = order.table;
  if (t.errnos.length > 0) {
    out.push("The kernels' order: a row's error is returned before a column's (<) or after it (>) where causes of both hold; both where it depends on the call; the kernels in brackets where not all agree.", '',
      `| | ${t.errnos.join(' | ')} |`, `|---|${t.errnos.map(() => '---|').join('')}`);
    const all = (s.kernels ?? []).length;
    for (const r of t.errnos) {
      const cells = t.errnos.map((c) => {
        if (r === c) return '·';
        const before = t.wins[`${r}>${c}`] ?? [];
        const after = t.wins[`${c}>${r}`] ?? [];
        const mark = (sign: string, ks: readonly string[]): string => `${sign}${ks.length < all ? ` (${ks.join(', ')})` : ''}`;
        if (before.length > 0 && after.length > 0) return `both: ${mark('<', before)}, ${mark('>', after)}`;
        if (before.length > 0) return mark('<', before);
        if (after.length > 0) return mark('>', after);
        return '';
      });
      out.push(`| ${r} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  return out;
}

/** What KAPI's runtime checks would change if the spec's parameter constraints were enforced. */
function enforcementMarkdown(s: SpecCheckSummary, cell: (t: string) => string): string[] {
  const e = s.enforcement;
  if (e === undefined) return [];
  const out = ['## What runtime enforcement would change', '',
    "With CONFIG_KAPI_RUNTIME_CHECKS, KAPI rejects a call whose arguments fall outside the spec's parameter constraints with EINVAL before socket() runs (not on the i386 socketcall entry, which goes past the wrapper)."];
  if (e.length === 0) return [...out, 'No judged call would change.', ''];
  out.push('', '| check | spec line | kernel | calls that change | their result today |', '|---|---|---|---|---|');
  for (const c of e) {
    for (const k of c.kernels) {
      const today = Object.entries(k.today).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r === 'ok' ? 'working (ok)' : r} ${n}`).join(', ');
      out.push(`| ${cell(c.text)} | ${c.line} | ${k.kernel} | ${k.points} | ${today || '-'} |`);
    }
  }
  out.push('');
  for (const c of e) {
    out.push(`- ${c.text}: for example`);
    for (const x of c.examples) {
      const seen = x.kernels.filter((k) => k.observed !== null).map((k) => `${k.kernel} ${k.observed}`).join(', ');
      out.push(`  - \`${x.counterexample}\` would become EINVAL${seen !== '' ? ` (today: ${seen})` : ''}`);
    }
  }
  out.push('');
  return out;
}

/** Renders failing cases as formatted strace lines for the console. */
export function findingLines(f: Finding): string[] {
  const head = `FINDING ${f.property}: ${f.strace ?? f.message.split('\n')[0]}`;
  const extra = f.model !== undefined ? [`  model ${f.model} (clause ${f.clause}), kernel ${f.kernel}`] : f.message.split('\n').slice(1, 6).map((l) => `  ${l}`);
  return [head, ...extra, `  replay: ${replayCommand(f)}`];
}
