// A campaign's corpus: every entry replays in the eval contract, decides the clause it claims in
// its class, needs no global knob, covers pairs no earlier entry covers; the same seed gives the
// same corpus, a resumed campaign appends nothing twice, merge keeps one entry per pair, and the
// diff reads a campaign folder (bad folders exit 2).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluate, FILE_MAX_DEFAULT, NR_OPEN_SYSCTL_DEFAULT, reference618 } from '../../model';
import { runCampaign } from '../../engine/campaign/campaign';
import { envClassOf } from '../../properties';
import { parseRequest } from '../../contract';
import { CORPUS_FILE, campaignInputs, mergeCorpora } from '../../engine/campaign/corpus';
import { corpusGroups } from '../../engine/diff';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-corpus-'));
const lines = (dir: string): string[] => fs.readFileSync(path.join(dir, CORPUS_FILE), 'utf8').trim().split('\n');
const base = { seed: 7, runs: 2000, profile: reference618, properties: ['P-EXPLORE'], shard: { index: 0, count: 1 }, roundSize: 500 };

describe('the corpus of a campaign', () => {
  it('holds replayable inputs, each the first to decide a clause in its class, none needing a global knob', async () => {
    const dir = tmp();
    const { summary } = await runCampaign({ ...base, out: dir });
    const entries = lines(dir).map((l) => JSON.parse(l) as { id: string; covers: string[] } & Record<string, unknown>);
    expect(entries.length).toBe(summary.corpus);
    expect(entries.length).toBeGreaterThan(30);
    const pairs = entries.flatMap((e) => e.covers);
    expect(new Set(pairs).size).toBe(pairs.length);
    for (const e of entries) {
      const r = parseRequest(e, reference618);
      expect(r.env.fileMax).toBe(FILE_MAX_DEFAULT);
      expect(r.env.nrOpen).toBe(NR_OPEN_SYSCTL_DEFAULT);
      const d = evaluate(r.call, r.env);
      const cls = envClassOf(r.env);
      for (const p of e.covers) expect(p.startsWith(`${cls}|`) && d.trace.includes(p.slice(cls.length + 1))).toBe(true);
    }
    // Every clause the campaign decided somewhere outside the global-knob clauses has an entry.
    const inCorpus = new Set(pairs.map((p) => p.split('|')[1]));
    const missing = Object.values(summary.clausesByClass).flat().filter((id) => !inCorpus.has(id) && !/^G1[34]-|unix-nr-socks/.test(id));
    expect([...new Set(missing)]).toEqual([]);
  });

  it('is the same for the same seed, is not appended twice on resume, and merges to one entry per pair', async () => {
    const a = tmp();
    const b = tmp();
    await runCampaign({ ...base, out: a });
    let units = 0;
    await runCampaign({ ...base, out: b, shouldStop: () => units++ >= 2 });
    await runCampaign({ ...base, out: b });
    expect(lines(b)).toEqual(lines(a));
    const merged = mergeCorpora([a, b]);
    expect(merged.map((l) => JSON.parse(l).covers)).toEqual(lines(a).map((l) => JSON.parse(l).covers));
  });

  it('feeds sockspec diff --corpus: one group per environment, findings\' calls included; bad folders exit 2', async () => {
    const dir = tmp();
    await runCampaign({ ...base, out: dir });
    const request = JSON.parse(lines(dir)[0]).family as string;
    fs.writeFileSync(path.join(dir, 'findings.jsonl'), `${JSON.stringify({ property: 'P-MODEL-EQ-KERNEL', request: `{"family":"${request}","type":"0x1","protocol":"0x0","env":{"caps":[]}}` })}\n`);
    const inputs = campaignInputs(dir);
    expect(inputs).toHaveLength(lines(dir).length + 1);
    const groups = corpusGroups(dir, reference618, parseRequest({ family: 1, type: 1, protocol: 0 }, reference618).env);
    expect(groups.reduce((n, g) => n + g.calls.length, 0)).toBe(inputs.length);
    expect(new Set(groups.map((g) => JSON.stringify(g.env, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).size).toBe(groups.length);
    const empty = tmp();
    const r = spawnSync(process.execPath, [bin, 'diff', '--a', 'nowhere.img', '--b', 'nowhere.img', '--corpus', empty], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--corpus: ${empty} has no ${CORPUS_FILE}`);
    fs.writeFileSync(path.join(empty, CORPUS_FILE), '{"family":1,"type":1,"protocol":0,"covers":["root|G15-install"]}\nnot json\n');
    expect(() => campaignInputs(empty)).toThrow(`${CORPUS_FILE}:2`);
    const both = spawnSync(process.execPath, [bin, 'diff', '--b', 'debian-6.1', '--corpus', dir, '--tuples', 'x.txt'], { encoding: 'utf8' });
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('give one corpus');
  });
});
