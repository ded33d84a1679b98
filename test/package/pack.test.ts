// sockspec from another project's tests: `npm pack` the package, install the tarball in a scratch
// project in a temporary folder (offline: the tarball and the local npm cache only), and run a jest
// test there that imports sockspec, runs one of its properties with its arbitraries and evaluates a
// call; the installed `sockspec` binary works too, and `sockspec bench` is not part of it.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');

const SCRATCH_TEST = `
const fc = require('fast-check');
const { PROPERTIES, runProperty, evaluate, callArb, envArb, parseCall, defaultEnv, resultString, explain } = require('sockspec');

test('one of sockspec\\'s properties runs with its arbitraries', () => {
  const p = PROPERTIES.find((x) => x.id === 'P-FD-SEQUENCES');
  const r = runProperty(p, { seed: 1, numRuns: 300 });
  expect(r.failed).toBe(false);
  expect(r.runs).toBe(300);
  fc.assert(fc.property(callArb(), envArb(), (call, env) => evaluate(call, env).trace.length > 0), { seed: 2, numRuns: 300 });
});

test('evaluates and explains a call', () => {
  const env = { ...defaultEnv(), creds: { ...defaultEnv().creds, caps: 0 } };
  const call = parseCall({ family: 'AF_PACKET', type: 'SOCK_STREAM', protocol: 0 });
  expect(resultString(evaluate(call, env).outcome)).toBe('EPERM');
  expect(explain(call, env)[0]).toBe('socket(AF_PACKET, SOCK_STREAM, 0) = -1 EPERM (Operation not permitted)');
});
`;

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
}

describe('the package, installed in another project', () => {
  let scratch = '';
  let tarball = '';

  beforeAll(() => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-pack-'));
    // The suite's build (npm test builds first) is what gets packed; prepack would build again.
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root);
    expect(packed.stderr.replace(/npm (notice|warn).*\n/g, '')).toBe('');
    expect(packed.status).toBe(0);
    tarball = path.join(tmp, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0].filename);
    scratch = path.join(tmp, 'scratch');
    fs.mkdirSync(scratch);
    // Offline, npm installs only what a lockfile pins by integrity: the scratch project's lock pins
    // the tarball and, from this repository's lock, every package sockspec needs at run time.
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const runtime = Object.fromEntries(Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && v.dev !== true));
    const spec = `file:../${path.basename(tarball)}`;
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, dependencies: { sockspec: spec } }));
    fs.writeFileSync(path.join(scratch, 'package-lock.json'), JSON.stringify({
      name: 'scratch', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: {
        '': { name: 'scratch', version: '1.0.0', dependencies: { sockspec: spec } },
        'node_modules/sockspec': { version: pkg.version, resolved: spec, license: 'MIT', dependencies: pkg.dependencies, bin: { sockspec: 'dist/cli/main.js' }, engines: { node: '>=20' } },
        ...runtime,
      },
    }));
    const installed = run('npm', ['ci', '--offline'], scratch);
    expect(`${installed.status} ${installed.stderr}`).toMatch(/^0 /);
  }, 300000);

  it('ships the entry, its declarations and the runtime files, and nothing of the tests or benchmarks', () => {
    const files = run('tar', ['-tzf', tarball], root).stdout.split('\n');
    for (const f of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/dist/executor/sockspec-executor', 'package/oracle/presets/docker-2026.json', 'package/docs/eval-contract.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^package\/(test|bench|dist\/bench|dist\/test)\//.test(f))).toEqual([]);
  });

  it('runs a jest test in the scratch project that imports sockspec', () => {
    fs.writeFileSync(path.join(scratch, 'sockspec.test.js'), SCRATCH_TEST);
    const r = run(process.execPath, [jestBin, '--rootDir', scratch, '--ci', '--transform', '{}', '--testEnvironment', 'node'], scratch);
    expect(r.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(r.status).toBe(0);
  }, 120000);

  it('has the sockspec binary, without the benchmarks', () => {
    const bin = path.join(scratch, 'node_modules', '.bin', 'sockspec');
    const ok = run(bin, ['explain', 'socket(AF_PACKET, SOCK_STREAM, 0)', '--caps', 'none', '--kernel', 'reference-6.18'], scratch);
    expect(ok.stdout.split('\n')[0]).toBe('socket(AF_PACKET, SOCK_STREAM, 0) = -1 EPERM (Operation not permitted)');
    expect(ok.status).toBe(0);
    const bench = run(bin, ['bench'], scratch);
    expect(bench.status).toBe(2);
    expect(bench.stderr).toMatch(/unknown command 'bench'/);
  });
});
