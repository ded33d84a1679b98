// The HTML report in a real headless browser (Debian's chromium driven by playwright-core): the
// matrix, the findings of a wrong-profile campaign, switching the environment, and a screenshot.
// Skipped only where the machine has no chromium (.ci/run installs it) or cannot run the oracle.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { executorAvailable } from '../../oracle/host';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const CHROMIUM = '/usr/bin/chromium';
const why = !fs.existsSync(CHROMIUM) ? `no ${CHROMIUM} on this machine (.ci/run installs Debian's chromium)`
  : !executorAvailable() ? 'the campaign needs the executor (root and npm run build)' : '';
const maybe = why === '' ? describe : describe.skip;

maybe(`sockspec report in headless chromium${why ? ` — skipped: ${why}` : ''}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-report-'));
  let browser: Browser;

  beforeAll(async () => {
    const r = spawnSync(process.execPath, [bin, 'fuzz', '--seed', '9', '--kernel', 'debian-6.1', '--properties', 'P-MODEL-EQ-KERNEL,P-EXPLORE', '--runs', '2000', '--out', dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const spec = path.join(__dirname, '..', 'fixtures', 'kapi-socket-rfc-v2.eml');
    expect(spawnSync(process.execPath, [bin, 'spec', 'check', spec, '--out', dir, '--json'], { encoding: 'utf8' }).status).toBe(1);
    expect(spawnSync(process.execPath, [bin, 'report', dir], { encoding: 'utf8' }).status).toBe(0);
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
    await page.selectOption('#env', 'nobody');
    const packetRaw = page.locator('div.env:not(.hidden) tr:nth-child(19) td.cell').nth(3);
    expect(await packetRaw.getAttribute('data-result')).toBe('EPERM');
    const shot = path.join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: false });
    expect(fs.statSync(shot).size).toBeGreaterThan(20000);
  });
});
