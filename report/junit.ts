// JUnit XML for CI systems: one test case per property, a failure per finding with the
// counterexample as its text. Sources: the JUnit XML schema as Jenkins and GitLab read it.

import type { CampaignSummary, Finding } from '../engine/campaign/campaign';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The junit.xml text of a campaign. */
export function junitXml(summary: CampaignSummary, findings: readonly Finding[]): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sockspec" tests="${summary.properties.length}" failures="${summary.properties.filter((p) => p.findings > 0).length}" time="${summary.seconds.toFixed(3)}">`,
    `  <testsuite name="sockspec fuzz (seed ${summary.seed}, shard ${summary.shard}, kernel ${esc(summary.kernel)}, oracle ${summary.oracle})" tests="${summary.properties.length}" failures="${summary.properties.filter((p) => p.findings > 0).length}">`,
  ];
  for (const p of summary.properties) {
    const fs = findings.filter((f) => f.property === p.id);
    out.push(`    <testcase classname="sockspec.properties" name="${esc(p.id)}" assertions="${p.runs}">`);
    for (const f of fs) {
      const text = [f.strace ?? '', f.model !== undefined ? `model ${f.model} (clause ${f.clause}), kernel ${f.kernel}` : '', f.message, `counterexample: ${f.counterexample}`, `seed ${f.seed} path ${f.path ?? ''}`].filter((l) => l !== '').join('\n');
      out.push(`      <failure message="${esc(f.signature)}" type="finding">${esc(text)}</failure>`);
    }
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
