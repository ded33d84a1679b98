// KAPI spec ingestion: the RFC posting as it is (an e-mail carrying a patch), the same spec as a
// plain C file, every block with its input line, errors with line and column for malformed or
// truncated input, the internal consistency checks, and the CLI's export and lint.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSpec } from '../../spec/parse';
import { checkConsistency } from '../../spec/consistency';
import { SpecError } from '../../spec/lex';

const SEED = path.join(__dirname, '..', 'fixtures', 'kapi-socket-rfc-v2.eml');
const seedText = fs.readFileSync(SEED, 'utf8');
const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const MINI = `/* a spec written for the tests */
DEFINE_KERNEL_API_SPEC(sys_demo)
\tKAPI_DESCRIPTION("Demo " "call")
\tKAPI_PARAM(0, "family", "int", "Family")
\t\tKAPI_PARAM_RANGE(0, 45) // inclusive
\t\tKAPI_PARAM_CONSTRAINT("Range: 0-45.")
\tKAPI_PARAM_END
\tKAPI_ERROR(0, -EPERM, "EPERM", "Not permitted", "Needs CAP_NET_RAW.")
\tKAPI_CAPABILITY(0, CAP_NET_RAW, "CAP_NET_RAW", KAPI_CAP_GRANT_PERMISSION)
\t\tKAPI_CAP_WITHOUT("EPERM")
\tKAPI_CAPABILITY_END
\tKAPI_ERROR_COUNT(1)
\tKAPI_PARAM_COUNT(1)
\t.is_connection_oriented = false,
KAPI_END_SPEC;
`;

describe('parseSpec', () => {
  it('reads a plain C file with comments, joined strings, flags and designated fields', () => {
    const s = parseSpec(MINI);
    expect(s).toMatchObject({ name: 'sys_demo', line: 2, endLine: 15, description: 'Demo call' });
    expect(s.params[0]).toMatchObject({ line: 4, index: 0, name: 'family', min: 0, max: 45, constraint: 'Range: 0-45.' });
    expect(s.errors[0]).toMatchObject({ line: 8, code: { expr: '-EPERM' }, name: 'EPERM' });
    expect(s.capabilities[0]).toMatchObject({ line: 9, name: 'CAP_NET_RAW', without: 'EPERM' });
    expect(s.characteristics.is_connection_oriented).toEqual({ value: 'false', line: 14 });
    expect(checkConsistency(s)).toEqual([]);
  });

  it('names the line and column of an unterminated string, an unclosed call and a missing end', () => {
    expect(() => parseSpec(MINI.replace('"Family")', '"Family)'))).toThrow(/line 4, column \d+: unterminated string/);
    expect(() => parseSpec(MINI.replace('KAPI_PARAM_RANGE(0, 45)', 'KAPI_PARAM_RANGE(0, 45'))).toThrow(SpecError);
    expect(() => parseSpec(MINI.replace('KAPI_END_SPEC;', ''))).toThrow(/line 2, column 1: the spec of sys_demo has no KAPI_END_SPEC: the input is truncated/);
    expect(() => parseSpec(MINI.replace('\tKAPI_PARAM_END\n', ''))).toThrow(/line 8, column 2: KAPI_CAPABILITY starts a block inside KAPI_PARAM \(line 4\), which has no KAPI_PARAM_END/);
    expect(() => parseSpec('int x;')).toThrow(/no DEFINE_KERNEL_API_SPEC/);
  });

  it('finds planted inconsistencies: counts, ranges, error codes, capability errnos', () => {
    const bad = MINI.replace('KAPI_ERROR_COUNT(1)', 'KAPI_ERROR_COUNT(2)').replace('Range: 0-45.', 'Range: 0-46.')
      .replace('-EPERM, "EPERM"', '-EACCES, "EPERM"').replace('KAPI_CAP_WITHOUT("EPERM")', 'KAPI_CAP_WITHOUT("EPERM or ENOTSUP")');
    const titles = checkConsistency(parseSpec(bad)).map((i) => i.title);
    expect(titles).toEqual([
      'KAPI_ERROR_COUNT says 2, the spec lists 1',
      'param family: KAPI_PARAM_RANGE(0, 45) against "Range: 0-46"',
      'error EPERM has code -EACCES',
      'capability CAP_NET_RAW: "without" names ENOTSUP, which the error list does not have',
    ]);
  });
});

describe('the RFC socket() spec as posted (test/fixtures/kapi-socket-rfc-v2.eml)', () => {
  const spec = parseSpec(seedText);

  it('parses every block with its input line', () => {
    const s = spec;
    expect(s).toMatchObject({ name: 'sys_socket', line: 49, endLine: 534, description: 'Create an endpoint for communication', since: '4.2BSD' });
    expect(s.params.map((p) => [p.name, p.line])).toEqual([['family', 60], ['type', 71], ['protocol', 81]]);
    expect(s.params[0]).toMatchObject({ min: 0, max: 45 });
    expect(s.errors).toHaveLength(14);
    expect(s.errors.map((e) => e.name)).toContain('EAFNOSUPPORT');
    expect(s.errors[0].line).toBe(105);
    expect([s.locks.length, s.signals.length, s.sideEffects.length, s.stateTransitions.length]).toEqual([3, 1, 7, 4]);
    expect([s.protocolBehaviors.length, s.addressFamilies.length, s.capabilities.length, s.constraints.length]).toEqual([7, 6, 1, 5]);
    expect(s.capabilities[0]).toMatchObject({ condition: 'family == AF_PACKET || type == SOCK_RAW', without: 'Permission denied (EPERM)' });
    expect(s.socketState).toMatchObject({ required: { expr: 'KAPI_SOCK_STATE_UNSPEC' }, condition: 'Successful socket creation' });
    expect(s.return).toMatchObject({ ctype: 'long', success: 0 });
    expect(Object.keys(s.counts).sort()).toEqual(['ADDR_FAMILY', 'CAPABILITY', 'CONSTRAINT', 'ERROR', 'LOCK', 'PARAM', 'PROTOCOL_BEHAVIOR', 'SIDE_EFFECT', 'SIGNAL', 'STATE_TRANS']);
  });

  it('has one internal inconsistency: the type mask admits 11..15 while the text says 0-10', () => {
    const found = checkConsistency(spec);
    expect(found.map((f) => f.lines)).toEqual([[71]]);
    expect(found[0].title).toMatch(/VALID_MASK admits base values up to 15/);
  });

  it('gives the same structure from the spec as a plain C file (the patch prefixes removed)', () => {
    const c = seedText.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n');
    const s = parseSpec(c);
    expect(s.errors.map((e) => e.name)).toEqual(spec.errors.map((e) => e.name));
  });

  it('sockspec spec export prints JSON, spec lint exits 1; a truncated copy exits 2 naming the line', () => {
    const e = spawnSync(process.execPath, [bin, 'spec', 'export', SEED], { encoding: 'utf8' });
    expect(e.status).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ name: 'sys_socket', inconsistencies: [{ lines: [71] }] });
    expect(spawnSync(process.execPath, [bin, 'spec', 'lint', SEED], { encoding: 'utf8' }).status).toBe(1);
    const cut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-spec-')), 'cut.txt');
    fs.writeFileSync(cut, seedText.split('\n').slice(0, 140).join('\n'));
    const t = spawnSync(process.execPath, [bin, 'spec', 'export', cut], { encoding: 'utf8' });
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/cut\.txt: line 136, column 12: the \( of KAPI_ERROR is never closed/);
  });
});
