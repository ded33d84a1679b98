// The HTML report in a real headless browser (Debian's chromium driven by playwright-core): the
// matrix, the findings of a wrong-profile campaign, switching the environment, the charts of the
// campaign's timeline, and a screenshot; the trends page of several nights (`report A B C`): its
// order, its numbers against the nights' own files, in the page and in chromium; bad folders exit 2
// naming the file. The browser tests are skipped only where the machine has no chromium (.ci/run
// installs it) or cannot run the oracle (the nights with findings need it too).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { executorAvailable } from '../../oracle/host';
import { executorSkipReason } from '../helpers';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const CHROMIUM = '/usr/bin/chromium';
const why = !fs.existsSync(CHROMIUM) ? `no ${CHROMIUM} on this machine (.ci/run installs Debian's chromium)`
  : !executorAvailable() ? 'the campaign needs the executor (root and npm run build)' : '';
const maybe = why === '' ? describe : describe.skip;

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-report-'));
const run = (args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const json = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8'));
const signatures = (dir: string): string[] => (fs.existsSync(path.join(dir, 'findings.jsonl')) ? fs.readFileSync(path.join(dir, 'findings.jsonl'), 'utf8') : '').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l).signature);
/** Distinct signatures of night `b` that night `a` did not find. */
const newAgainst = (a: string, b: string): number => new Set(signatures(b).filter((x) => !signatures(a).includes(x))).size;

/** The nights' rows of a trends page: folder and the numbers of each, in page order. */
function tableOf(html: string): Array<{ dir: string; runs: number; findings: number; distinct: number; new: string; coverage: string }> {
  const rows = [...html.matchAll(/<tr class="night"[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
  return rows.map((r) => {
    const cell = (cls: string): string => (new RegExp(`<td class="${cls}"[^>]*>([^<]*)<`).exec(r) as RegExpExecArray)[1];
    return { dir: (/<code>([^<]*)<\/code>/.exec(r) as RegExpExecArray)[1], runs: Number(cell('runs')), findings: Number(cell('findings')), distinct: Number(cell('distinct')), new: cell('new'), coverage: cell('coverage') };
  });
}

/** Three nights with findings (a host campaign, then two against a wrong profile), made once. */
let nights: string[] | undefined;
function findingNights(): string[] {
  if (nights !== undefined) return nights;
  const common = ['fuzz', '--seed', '9', '--properties', 'P-MODEL-EQ-KERNEL', '--runs', '2000', '--workers', '1', '--json'];
  const made = [tmp(), tmp(), tmp()];
  expect(run([...common, '--out', made[0]]).code).toBe(0);
  expect(run([...common, '--kernel', 'debian-6.1', '--out', made[1]]).code).toBe(1);
  expect(run([...common, '--seed', '10', '--kernel', 'debian-6.1', '--out', made[2]]).code).toBe(1);
  nights = made;
  return made;
}

describe('sockspec report NIGHT…', () => {
  const model = ['--oracle', 'none', '--kernel', 'reference-6.18', '--workers', '1', '--properties', 'P-HIGH-BITS,P-EXPLORE,P-FD-SEQUENCES'];
  const [n1, n2] = [tmp(), tmp()];

  beforeAll(() => {
    expect(run(['fuzz', '--seed', '21', '--runs', '300', ...model, '--out', n1]).code).toBe(0);
    expect(run(['fuzz', '--seed', '22', '--runs', '600', ...model, '--out', n2]).code).toBe(0);
  });

  it('orders the nights by their start, whatever order they are named in, with the numbers of their summaries', () => {
    const out = path.join(tmp(), 'trends.html');
    const r = run(['report', n2, n1, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 nights, ordered by their start/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('data-order="start"');
    const rows = tableOf(html);
    expect(rows.map((x) => x.dir)).toEqual([n1, n2]);
    rows.forEach((row, i) => {
      const s = json(path.join([n1, n2][i], 'summary.json'));
      expect(row).toEqual({ dir: [n1, n2][i], runs: s.runs, findings: s.findings, distinct: s.uniqueFindings, new: i === 0 ? '-' : '0', coverage: `${s.clausesCovered}/${s.clausesTotal}` });
    });
    expect(rows[0].runs).not.toBe(rows[1].runs);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('keeps the order given, and says so, when a folder records no start', () => {
    const old = tmp();
    fs.cpSync(n1, old, { recursive: true });
    const { startedAt, ...rest } = json(path.join(old, 'campaign.json'));
    expect(typeof startedAt).toBe('string');
    fs.writeFileSync(path.join(old, 'campaign.json'), JSON.stringify(rest));
    const out = path.join(tmp(), 'trends.html');
    const r = run(['report', n2, old, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`in the order given (no start time recorded in ${old})`);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('data-order="given"');
    expect(tableOf(html).map((x) => x.dir)).toEqual([n2, old]);
  });

  it('refuses what is not a finished campaign folder, naming the file (and line), exit 2', () => {
    const cases: Array<[string, (d: string) => void, string]> = [
      ['no campaign', (d) => fs.readdirSync(d).forEach((f) => fs.rmSync(path.join(d, f), { recursive: true })), 'summary.json: does not exist'],
      ['unfinished', (d) => fs.rmSync(path.join(d, 'summary.json')), 'summary.json: does not exist: the campaign has not finished'],
      ['corrupt summary', (d) => fs.writeFileSync(path.join(d, 'summary.json'), '{"seed": 21, "runs"'), 'summary.json: is not valid JSON'],
      ['foreign summary', (d) => fs.writeFileSync(path.join(d, 'summary.json'), JSON.stringify({ seed: 21, runs: 'many' })), 'summary.json: is not a campaign summary (field runs'],
      ['corrupt finding', (d) => fs.writeFileSync(path.join(d, 'findings.jsonl'), '{"signature":"s"}\nnot json\n'), 'findings.jsonl:2: is not valid JSON'],
      ['corrupt campaign.json', (d) => fs.writeFileSync(path.join(d, 'campaign.json'), JSON.stringify({ ...json(path.join(d, 'campaign.json')), startedAt: 'yesterday' })), 'campaign.json: field startedAt'],
    ];
    for (const [what, spoil, msg] of cases) {
      const d = tmp();
      fs.cpSync(n1, d, { recursive: true });
      spoil(d);
      const r = run(['report', n2, d, '-o', path.join(tmp(), 'trends.html')]);
      expect({ what, code: r.code }).toEqual({ what, code: 2 });
      expect({ what, err: r.err }).toEqual({ what, err: expect.stringContaining(`${d}/${msg}`) });
    }
  });
});

const whyExec = executorSkipReason();
(whyExec === '' ? describe : describe.skip)(`trends of nights with findings${whyExec ? ` — skipped: ${whyExec}` : ''}`, () => {
  it('counts each night\'s findings, and the new ones against the night before by signature', () => {
    const [clean, wrong, other] = findingNights();
    const out = path.join(tmp(), 'trends.html');
    expect(run(['report', other, clean, wrong, '-o', out]).code).toBe(0);
    const rows = tableOf(fs.readFileSync(out, 'utf8'));
    expect(rows.map((x) => x.dir)).toEqual([clean, wrong, other]);
    const s = [clean, wrong, other].map((d) => json(path.join(d, 'summary.json')));
    expect(rows.map((x) => x.findings)).toEqual(s.map((x) => x.findings));
    expect(rows.map((x) => x.distinct)).toEqual(s.map((x) => x.uniqueFindings));
    expect(rows.map((x) => x.new)).toEqual(['-', String(newAgainst(clean, wrong)), String(newAgainst(wrong, other))]);
    expect(newAgainst(clean, wrong)).toBeGreaterThan(0);
    expect(rows[1].findings).toBeGreaterThan(0);
  });
});

/** A chart's points of one series, as drawn: their data attributes and position. */
async function pointsOf(page: Page, chart: string, series: string): Promise<Array<{ value: number; x: number; night: number; dir: string; total: number; elapsed: number; cx: number }>> {
  return page.locator(`${chart} circle.point[data-series="${series}"]`).evaluateAll((els) => els.map((e) => ({
    value: Number(e.getAttribute('data-value')), x: Number(e.getAttribute('data-x')), night: Number(e.getAttribute('data-night')), dir: e.getAttribute('data-dir') ?? '',
    total: Number(e.getAttribute('data-total')), elapsed: Number(e.getAttribute('data-elapsed-ms')), cx: Number(e.getAttribute('cx')),
  })));
}

/** Opens a page, recording console errors, page errors and every request that is not to a file. */
async function open(browser: Browser, file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => { if (!r.url().startsWith('file://')) requests.push(r.url()); });
  await page.goto(`file://${file}`);
  await page.waitForLoadState('load');
  return { page, errors, requests };
}

const increasing = (xs: readonly number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]);

maybe(`sockspec report in headless chromium${why ? ` — skipped: ${why}` : ''}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-report-'));
  const long = tmp();
  let browser: Browser;

  beforeAll(async () => {
    const r = spawnSync(process.execPath, [bin, 'fuzz', '--seed', '9', '--kernel', 'debian-6.1', '--properties', 'P-MODEL-EQ-KERNEL,P-EXPLORE', '--runs', '2000', '--out', dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const spec = path.join(__dirname, '..', 'fixtures', 'kapi-socket-rfc-v2.eml');
    expect(spawnSync(process.execPath, [bin, 'spec', 'check', spec, '--out', dir, '--json'], { encoding: 'utf8' }).status).toBe(1);
    expect(spawnSync(process.execPath, [bin, 'report', dir], { encoding: 'utf8' }).status).toBe(0);
    // Long enough (a few seconds) for several samples.
    expect(run(['fuzz', '--seed', '5', '--runs', '150000', '--oracle', 'none', '--kernel', 'reference-6.18', '--workers', '1', '--properties', 'P-HIGH-BITS,P-EXPLORE', '--out', long]).code).toBe(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the matrix, the findings and the coverage, and switches environments', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`file://${path.join(dir, 'report.html')}`);
    expect(await page.locator('div.env:not(.hidden) td.cell').count()).toBe(46 * 11);
    const inetStream = page.locator('div.env:not(.hidden) tr:nth-child(4) td.cell').nth(1);
    expect(await inetStream.getAttribute('data-result')).toBe('ok');
    expect(await inetStream.getAttribute('title')).toMatch(/socket\(AF_INET, SOCK_STREAM, IPPROTO_IP\) = 3\ndecided by G15-install/);
    const rows = page.locator('#findings tr.finding');
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await rows.first().innerText()).toMatch(/P-MODEL-EQ-KERNEL\s+socket\(AF_[A-Z]+/);
    expect(await page.locator('#coverage .clause').count()).toBeGreaterThan(60);
    expect(await page.locator('#spec-contradictions tr.contradiction').count()).toBeGreaterThan(5);
    expect(await page.locator('#spec-contradictions').innerText()).toMatch(/ENODEV, which the spec does not list/);
    // The spec check's order and runtime-enforcement sections (the RFC's family range turns EAFNOSUPPORT into EINVAL).
    expect(await page.locator('#spec-order tr.order-pair').count()).toBeGreaterThan(0);
    expect(await page.locator('#spec-enforcement tr.enforced').first().innerText()).toMatch(/family: KAPI_CONSTRAINT_RANGE\(0, 45\)\s+60\s+\S+\s+\d+\s+EAFNOSUPPORT \d+/);
    await page.selectOption('#env', 'nobody');
    const packetRaw = page.locator('div.env:not(.hidden) tr:nth-child(19) td.cell').nth(3);
    expect(await packetRaw.getAttribute('data-result')).toBe('EPERM');
    const shot = path.join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: false });
    expect(fs.statSync(shot).size).toBeGreaterThan(20000);
  });

  it('draws the campaign\'s timeline: the samples of timeline.jsonl in order, ending at the summary', async () => {
    for (const d of [long, dir]) {
      const { page, errors, requests } = await open(browser, path.join(d, 'report.html'));
      const samples = fs.readFileSync(path.join(d, 'timeline.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const s = json(path.join(d, 'summary.json'));
      for (const [chart, series] of [['#timeline-coverage', 'clausesCovered'], ['#timeline-findings', 'findings'], ['#timeline-runs', 'runs']]) {
        const pts = await pointsOf(page, chart, series);
        expect({ chart, values: pts.map((p) => p.value) }).toEqual({ chart, values: samples.map((x) => x[series]) });
        expect(pts.map((p) => p.elapsed)).toEqual(samples.map((x) => x.elapsedMs));
        expect(pts[pts.length - 1].value).toBe(s[series]);
        expect(increasing(pts.map((p) => p.cx)) || pts.length === 1).toBe(true);
      }
      expect(await page.locator('#timeline-coverage svg').isVisible()).toBe(true);
      expect({ d, errors, requests }).toEqual({ d, errors: [], requests: [] });
      await page.close();
    }
    expect(fs.readFileSync(path.join(long, 'timeline.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(3);
    expect(json(path.join(dir, 'summary.json')).findings).toBeGreaterThan(0);
  });

  it('draws the trends of three nights in the order they ran, with the numbers of their folders', async () => {
    const ordered = findingNights();
    const out = path.join(tmp(), 'trends.html');
    expect(run(['report', ordered[2], ordered[0], ordered[1], '-o', out]).code).toBe(0);
    const { page, errors, requests } = await open(browser, out);
    const s = ordered.map((d) => json(path.join(d, 'summary.json')));
    const runs = await pointsOf(page, '#trend-runs', 'runs');
    expect(runs.map((p) => p.dir)).toEqual(ordered);
    expect(runs.map((p) => p.night)).toEqual([0, 1, 2]);
    expect(increasing(runs.map((p) => p.cx))).toBe(true);
    expect(runs.map((p) => p.value)).toEqual(s.map((x) => x.runs));
    expect((await pointsOf(page, '#trend-findings', 'findings')).map((p) => p.value)).toEqual(s.map((x) => x.findings));
    expect((await pointsOf(page, '#trend-findings', 'distinct')).map((p) => p.value)).toEqual(s.map((x) => x.uniqueFindings));
    const fresh = await pointsOf(page, '#trend-findings', 'new');
    expect(fresh.map((p) => [p.night, p.value])).toEqual([[1, newAgainst(ordered[0], ordered[1])], [2, newAgainst(ordered[1], ordered[2])]]);
    const cov = await pointsOf(page, '#trend-coverage', 'clausesCovered');
    expect(cov.map((p) => [p.value, p.total])).toEqual(s.map((x) => [x.clausesCovered, x.clausesTotal]));
    expect(await page.locator('#nights tr.night').count()).toBe(3);
    expect(await page.locator('#nights tr.night td.runs').allInnerTexts()).toEqual(s.map((x) => String(x.runs)));
    expect(await page.locator('#order').getAttribute('data-order')).toBe('start');
    for (const id of ['#trend-runs', '#trend-findings', '#trend-coverage']) expect(await page.locator(`${id} svg`).isVisible()).toBe(true);
    expect({ errors, requests }).toEqual({ errors: [], requests: [] });
    await page.screenshot({ path: path.join(tmp(), 'trends.png'), fullPage: true });
  });
});
