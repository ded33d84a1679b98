// JUnit XML for CI systems, in the shape the strictest consumers accept (the Ant/Jenkins schema:
// at most one <failure> or <error> per <testcase>): one test case per property, failing with one
// <failure> that lists every finding of that property, plus one test case for the campaign itself
// that errs when the campaign was interrupted (its results are partial; resume it). Every counter
// is computed from the elements written, so `tests`, `failures` and `errors` always equal what
// the file holds. Sources: the JUnit XML schema as Jenkins, GitLab and the Ant task read it.

import type { CampaignSummary, Finding } from '../engine/campaign/campaign';

function esc(s: string): string {
  // XML 1.0 has no escape for most control characters; they are dropped.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function findingText(f: Finding): string {
  return [f.strace ?? '', f.model !== undefined ? `model ${f.model} (clause ${f.clause}), kernel ${f.kernel}` : '', f.message,
    `counterexample: ${f.counterexample}`, `round ${f.round}, seed ${f.seed}${f.path !== undefined ? `, path ${f.path}` : ''}`].filter((l) => l !== '').join('\n');
}

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly assertions?: number;
  readonly failure?: { message: string; text: string };
  readonly error?: { message: string; text: string };
}

/** The junit.xml text of a campaign. */
export function junitXml(summary: CampaignSummary, findings: readonly Finding[]): string {
  // With a baseline, each failure says how many of its findings are new.
  const isNew = new Set(summary.baseline?.new ?? []);
  const fresh = (sigs: readonly string[]): string => (summary.baseline === undefined ? '' : `, ${sigs.filter((x) => isNew.has(x)).length} new against the baseline`);
  const cases: Case[] = summary.properties.map((p) => {
    const mine = findings.filter((f) => f.property === p.id);
    const distinct = [...new Set(mine.map((f) => f.signature))];
    // A merged folder keeps each distinct finding once; the summary counts them all.
    const n = Math.max(p.findings, mine.length);
    return {
      classname: 'sockspec.properties', name: p.id, assertions: p.runs,
      ...(n > 0 ? {
        failure: {
          message: `${n} finding${n === 1 ? '' : 's'} (${distinct.length} distinct${fresh(distinct)}): ${distinct[0] ?? p.id}`,
          text: mine.map(findingText).join('\n\n'),
        },
      } : {}),
    };
  });
  const interrupted = summary.status === 'interrupted' || (summary.status === undefined && summary.stopped);
  cases.push({
    classname: 'sockspec.campaign', name: 'the campaign ran to its end',
    ...(interrupted ? { error: { message: 'interrupted: the results are partial', text: `resume it with sockspec fuzz --resume DIR (${summary.runs} runs done)` } } : {}),
  });
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const errors = cases.filter((c) => c.error !== undefined).length;
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${summary.seconds.toFixed(3)}"`;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sockspec" ${counts}>`,
    `  <testsuite name="sockspec fuzz (seed ${summary.seed}, shard ${esc(summary.shard)}, kernel ${esc(summary.kernel)}, oracle ${summary.oracle})" ${counts}>`,
  ];
  for (const c of cases) {
    const attrs = `classname="${c.classname}" name="${esc(c.name)}"${c.assertions !== undefined ? ` assertions="${c.assertions}"` : ''}`;
    if (c.failure === undefined && c.error === undefined) {
      out.push(`    <testcase ${attrs}/>`);
      continue;
    }
    out.push(`    <testcase ${attrs}>`);
    if (c.failure !== undefined) out.push(`      <failure message="${esc(c.failure.message)}" type="finding">${esc(c.failure.text)}</failure>`);
    if (c.error !== undefined) out.push(`      <error message="${esc(c.error.message)}" type="interrupted">${esc(c.error.text)}</error>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
