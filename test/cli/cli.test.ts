// The built binary end to end: eval's contract (order, error lines, exit 2), explain's trace, fuzz's
// summary and exit codes, and a clear exit 2 for bad flags. Runs dist/ (npm test builds it first).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

function run(args: string[], input = ''): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('sockspec binary', () => {
  beforeAll(() => {
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run npm run build (npm test does it first)`);
  });

  it('--help lists the subcommands', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['eval', 'explain', 'fuzz', 'clauses', 'profiles']) expect(r.out).toContain(c);
  });

  it('eval answers line by line, in order, and marks bad lines without stopping', () => {
    const input = [
      JSON.stringify({ id: 'a', family: 'AF_INET', type: 'SOCK_DGRAM|SOCK_NONBLOCK', protocol: 0 }),
      '{"id": "b", "family": 2,',
      JSON.stringify({ id: 'c', family: 17, type: 1, protocol: 0, env: { caps: [] } }),
      JSON.stringify({ id: 'd', family: 'AF_NOPE', type: 1, protocol: 0 }),
      JSON.stringify({ id: 'e', family: '0x100000001', type: '0x80001', protocol: '-1', env: { rlimitNofile: 3 } }),
    ].join('\n');
    const r = run(['eval'], input);
    expect(r.code).toBe(2);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['a', null, 'c', 'd', 'e']);
    expect(lines[0]).toMatchObject({ result: 'ok', fd: 3, nonblock: true, cloexec: false, domain: 2, sotype: 2, soprotocol: 17 });
    expect(lines[1].result).toBe('error');
    expect(lines[1].error).toMatch(/^line 2: json:/);
    expect(lines[2]).toMatchObject({ result: 'EPERM' });
    expect(lines[2].clauses[lines[2].clauses.length - 1]).toBe('packet-cap');
    expect(lines[3].error).toMatch(/line 4: family: .*AF_NOPE/);
    expect(lines[4]).toMatchObject({ result: 'EPROTONOSUPPORT' });
    expect(r.err).toContain('line 2');
  });

  it('eval exits 0 when every line is good, and rejects an unknown profile with exit 2', () => {
    expect(run(['eval'], JSON.stringify({ family: 1, type: 1, protocol: 0 })).code).toBe(0);
    const bad = run(['eval', '--kernel', 'nope'], '');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/kernel: unknown profile "nope"/);
  });

  it('explain prints the strace line and the deciding clause with its citation', () => {
    const r = run(['explain', 'socket(AF_INET, SOCK_RAW, 0)', '--caps', 'none']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('socket(AF_INET, SOCK_RAW, IPPROTO_IP) = -1 EPROTONOSUPPORT (Protocol not supported)');
    expect(r.out).toMatch(/inet-proto\s+DECIDES: EPROTONOSUPPORT/);
    expect(r.out).toContain('[net/ipv4/af_inet.c:inet_create]');
  });

  it('explain rejects a malformed call with exit 2', () => {
    const r = run(['explain', 'socket(AF_INET)']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/call: expected socket\(FAMILY, TYPE, PROTOCOL\)/);
  });

  it('fuzz writes summary.json and junit.xml atomically and is deterministic for a seed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-'));
    const a = run(['fuzz', '--seed', '42', '--runs', '200', '--oracle', 'none', '--kernel', 'reference-6.18', '--workers', '1', '--out', dir, '--json']);
    expect(a.code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ seed: 42, findings: 0, oracle: 'none', kernel: 'reference-6.18', shard: '1/1' });
    expect(summary.runs).toBe(200 * summary.properties.length);
    expect(summary.clausesTotal).toBeGreaterThan(60);
    expect(fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toContain('<testcase classname="sockspec.properties" name="P-FD-SEQUENCES"');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const b = run(['fuzz', '--seed', '42', '--runs', '200', '--oracle', 'none', '--kernel', 'reference-6.18', '--workers', '1', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-')), '--json']);
    const strip = (s: string) => ({ ...JSON.parse(s), seconds: 0 });
    expect(strip(b.out)).toEqual(strip(a.out));
  });

  it('bad flags and unknown properties exit 2', () => {
    expect(run(['fuzz', '--runs', 'many']).code).toBe(2);
    const r = run(['fuzz', '--oracle', 'none', '--properties', 'P-NOPE', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-'))]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('P-NOPE');
    expect(run(['no-such-command']).code).toBe(2);
  });
});

describe('a reader that stops early', () => {
  it('sockspec clauses | head -1: no EPIPE stack trace, the command ends with its own exit code', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" clauses | head -1`], { encoding: 'utf8' });
    expect(r.stdout.split('\n')[0]).toMatch(/^seccomp \(\d+\)$/);
    expect(r.stderr).toBe('');
    const code = spawnSync('bash', ['-c', `"${process.execPath}" "${bin}" clauses | head -1 >/dev/null; echo \${PIPESTATUS[0]}`], { encoding: 'utf8' });
    expect(code.stdout.trim()).toBe('0');
    expect(code.stderr).toBe('');
  });
});
