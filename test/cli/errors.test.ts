// Errors are data: engines raise SockspecErrors with a code, a field and the detail, and the CLI
// maps the code to the exit code without reading the message.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { reference618 } from '../../model';
import { ContractError, ERROR_CODES, SockspecError } from '../../contract';
import { selectProperties } from '../../properties';
import { runCheck } from '../../engine/check';
import { EXIT_CODES } from '../../cli/main';

describe('errors as data', () => {
  it('every error code has an exit code, and every one is bad input (2)', () => {
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...ERROR_CODES].sort());
    for (const c of ERROR_CODES) expect(EXIT_CODES[c]).toBe(c === 'incomplete' ? 4 : 2);
  });

  it('engines raise typed errors naming the field', async () => {
    const catchIt = async (f: () => unknown): Promise<SockspecError> => {
      try {
        await f();
      } catch (e) {
        expect(e).toBeInstanceOf(SockspecError);
        return e as SockspecError;
      }
      throw new Error('no error');
    };
    const unknown = await catchIt(() => selectProperties(['P-NOPE']));
    expect([unknown.code, unknown.field]).toEqual(['unknown-name', '--properties']);
    expect(unknown.detail).toMatch(/^unknown property P-NOPE \(known: P-/);
    const needs = await catchIt(() => selectProperties(['P-MODEL-EQ-KERNEL'], { oracle: false }));
    expect([needs.code, needs.field, needs.detail]).toEqual(['unavailable', '--properties', 'P-MODEL-EQ-KERNEL needs --oracle host']);
    const cls = await catchIt(() => runCheck({ profile: reference618, classes: ['no-such-class'] }));
    expect([cls.code, cls.field]).toEqual(['unknown-name', '--classes']);
    const moved = new ContractError('--kernel-image', 'x is not a file', 'bad-file').about('--a');
    expect([moved.code, moved.field, moved.message]).toEqual(['bad-file', '--a', '--a: x is not a file']);
  });

  it('the command line never decides by an error message', () => {
    const dir = path.join(__dirname, '..', '..', 'cli');
    const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(`${f}: ${/\.test\(\(?e\b[^)]*\.message|\.message\.(match|replace|startsWith|includes)\(/.test(text)}`).toBe(`${f}: false`);
    }
  });
});
