// Specs that are not one socket() block (issue 15): a KAPI block for another syscall is refused by
// `spec check` with the syscall and the line named, not judged as socket(); a file with several
// blocks lists them, --block chooses one, and the only socket() block is read without it.
// Sources: spec/parse.ts (specBlocks, syscallOf), engine/spec.ts, engine/spec-check.ts, cli/commands/spec.ts.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reference618 } from '../../model';
import { SockspecError } from '../../contract';
import { parseSpec, specBlocks, syscallOf } from '../../spec/parse';
import { SpecError } from '../../spec/lex';
import { loadSpec } from '../../engine/spec';
import { specCheck } from '../../engine/spec-check';

const FIX = path.join(__dirname, '..', 'fixtures');
const SOCKET = fs.readFileSync(path.join(FIX, 'kapi-socket-agrees.c'), 'utf8');
const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const BIND = `/* bind(2), as a KAPI series would specify it next to socket(2) */
DEFINE_KERNEL_API_SPEC(sys_bind)
\tKAPI_DESCRIPTION("Bind a name to a socket")
\tKAPI_PARAM(0, "fd", "int", "Socket file descriptor")
\tKAPI_PARAM_END
\tKAPI_PARAM(1, "umyaddr", "struct sockaddr __user *", "The address")
\tKAPI_PARAM_END
\tKAPI_PARAM(2, "addrlen", "int", "Length of the address")
\tKAPI_PARAM_END
\tKAPI_ERROR(0, -EBADF, "EBADF", "Bad file descriptor", "fd is not a valid file descriptor.")
\tKAPI_ERROR(1, -EINVAL, "EINVAL", "Invalid argument", "The socket is already bound, or addrlen is wrong.")
\tKAPI_ERROR_COUNT(2)
\tKAPI_PARAM_COUNT(3)
KAPI_END_SPEC;
`;
const BIND_LINES = BIND.split('\n').length - 1;

function write(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-foreign-')), name);
  fs.writeFileSync(file, text);
  return file;
}

const run = (args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

async function refusal(f: () => unknown): Promise<SockspecError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof SockspecError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('which syscall a block specifies', () => {
  it('reads the syscall off the block name', () => {
    expect(['sys_socket', '__x64_sys_socket', '__ia32_compat_sys_socket', 'compat_sys_socket', 'sys_bind', 'socket', 'my_spec'].map(syscallOf))
      .toEqual(['socket', 'socket', 'socket', 'socket', 'bind', 'socket', 'my_spec']);
  });

  it('lists every block with its line, and parses the one asked for', () => {
    const text = BIND + SOCKET;
    expect(specBlocks(text).map((b) => [b.index, b.name, b.line, b.syscall])).toEqual([[1, 'sys_bind', 2, 'bind'], [2, 'sys_socket', BIND_LINES + 6, 'socket']]);
    expect(parseSpec(text).name).toBe('sys_bind');
    expect(parseSpec(text, 2)).toMatchObject({ name: 'sys_socket', line: BIND_LINES + 6 });
    expect(() => parseSpec(text, 3)).toThrow(/no spec block 3: the input has 2/);
    // The macro's own definition in a header is not a block.
    expect(specBlocks(`#define DEFINE_KERNEL_API_SPEC(name) static const struct kernel_api_spec name = {\n${SOCKET}`).map((b) => b.name)).toEqual(['sys_socket']);
  });

  it('a block without KAPI_END_SPEC does not swallow the next one', () => {
    expect(() => parseSpec(BIND.replace('KAPI_END_SPEC;', '') + SOCKET)).toThrow(SpecError);
    expect(() => parseSpec(BIND.replace('KAPI_END_SPEC;', '') + SOCKET)).toThrow(/line 2, column 1: the spec of sys_bind has no KAPI_END_SPEC before the next DEFINE_KERNEL_API_SPEC \(line \d+\)/);
  });
});

describe('spec check refuses a spec for another syscall', () => {
  it('a bind() block is refused with the file, line and syscall, not judged as socket()', async () => {
    const file = write('bind.c', BIND);
    const e = await refusal(() => specCheck(file, [{ name: 'reference-6.18', profile: reference618 }], undefined, Date.now));
    expect([e.code, e.field]).toEqual(['bad-file', `${file}:2`]);
    expect(e.detail).toMatch(/^this KAPI block \(sys_bind\) specifies bind\(2\), not socket\(2\)/);
    const r = run(['spec', 'check', file, '--oracle', 'none', '--kernel', 'reference-6.18']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`sockspec: ${file}:2: this KAPI block (sys_bind) specifies bind(2), not socket(2)`);
    // Export and lint describe any block: they judge nothing against the socket() model.
    expect(run(['spec', 'lint', file]).code).toBe(0);
  });

  it('the same block chosen with --block is refused too', async () => {
    const file = write('both.c', SOCKET + BIND);
    const e = await refusal(() => specCheck(file, [{ name: 'reference-6.18', profile: reference618 }], undefined, Date.now, { block: 'sys_bind' }));
    expect(e.field).toBe(`${file}:${SOCKET.split('\n').length + 1}`);
  });
});

describe('several blocks in one file', () => {
  it('one socket() block among others is read without a flag, and the others are named', async () => {
    const file = write('series.c', BIND + SOCKET);
    const l = loadSpec(file);
    expect(l.spec.name).toBe('sys_socket');
    expect(l.skipped.map((b) => b.name)).toEqual(['sys_bind']);
    const s = await specCheck(file, [{ name: 'reference-6.18', profile: reference618 }], undefined, Date.now);
    expect([s.spec, s.contradictions.length, s.skipped.map((b) => `${b.name}@${b.line}`)]).toEqual(['sys_socket', 0, ['sys_bind@2']]);
    const r = run(['spec', 'lint', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^.*: spec sys_socket \(lines /);
    expect(r.err).toContain('other blocks, not read: 1. sys_bind (line 2, bind(2))');
  }, 60000);

  it('two socket() candidates and no flag: exit 2 listing them; --block by number, name or syscall', () => {
    const file = write('two.c', SOCKET + BIND + SOCKET.replace('sys_socket', '__x64_sys_socket'));
    const r = run(['spec', 'export', file]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/holds 3 KAPI blocks, 2 of them for socket\(2\); choose one with --block NAME\|N: 1\. sys_socket \(line \d+, socket\(2\)\); 2\. sys_bind \(line \d+, bind\(2\)\); 3\. __x64_sys_socket \(line \d+, socket\(2\)\)/);
    expect(JSON.parse(run(['spec', 'export', file, '--block', '3']).out).name).toBe('__x64_sys_socket');
    expect(JSON.parse(run(['spec', 'export', file, '--block', 'sys_socket']).out).name).toBe('sys_socket');
    expect(JSON.parse(run(['spec', 'export', file, '--block', 'bind']).out).name).toBe('sys_bind');
    const ambiguous = run(['spec', 'export', file, '--block', 'socket']);
    expect([ambiguous.code, /--block: "socket" names 2 blocks/.test(ambiguous.err)]).toEqual([2, true]);
    const missing = run(['spec', 'lint', file, '--block', '4']);
    expect([missing.code, /--block: .* has no block "4"; its blocks: 1\. sys_socket/.test(missing.err)]).toEqual([2, true]);
  });

  it('several blocks, none for socket(): exit 2 listing them', () => {
    const file = write('binds.c', BIND + BIND.replace('sys_bind', 'sys_listen'));
    const r = run(['spec', 'lint', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/holds 2 KAPI blocks, none of them for socket\(2\); choose one with --block NAME\|N: 1\. sys_bind \(line 2, bind\(2\)\); 2\. sys_listen/);
  });

  it('a folder or a file with no block is exit 2, not an internal error', () => {
    expect(run(['spec', 'lint', os.tmpdir()]).code).toBe(2);
    const none = run(['spec', 'check', '/etc/passwd', '--oracle', 'none', '--kernel', 'reference-6.18']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^sockspec: \/etc\/passwd: line \d+, column \d+: |^sockspec: \/etc\/passwd: line 1, column 1: no DEFINE_KERNEL_API_SPEC/);
  });
});
