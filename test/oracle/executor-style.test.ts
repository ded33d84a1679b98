// The executor's C style, enforced the way syzkaller enforces its executor's: no allocation and no
// stdio (anything they open would move the lowest free fd under test), short lines, tab
// indentation, and a comment before every function saying why it exists. Every C source and
// header under oracle/executor/ is checked, but for the generated protocol.h (its lines carry the
// field docs of oracle/protocol.ts; protocol.test.ts keeps it in step with them).
// Sources: docs/architecture.md "The oracle" and "Style to follow".

import * as fs from 'node:fs';
import * as path from 'node:path';

const DIR = path.join(__dirname, '..', '..', 'oracle', 'executor');
const FILES = fs.readdirSync(DIR).filter((f) => /\.[ch]$/.test(f) && f !== 'protocol.h').sort();

/** The source with comments and string/char literals blanked (same length, newlines kept). */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Lines of every file, each with its file name. */
const SOURCES = FILES.map((name) => {
  const source = fs.readFileSync(path.join(DIR, name), 'utf8');
  return { name, source, lines: source.split('\n'), code: codeOnly(source).split('\n') };
});

/** `file:line` places (1-based) where `pattern` matches the code, outside comments and strings. */
function hits(pattern: RegExp): string[] {
  return SOURCES.flatMap(({ name, lines, code }) =>
    code.flatMap((l, i) => (pattern.test(l) ? [`${name}:${i + 1}: ${lines[i].trim()}`] : [])));
}

describe('oracle/executor C style', () => {
  it('checks the executor split into several files, the internal header and the probe', () => {
    expect(FILES).toEqual(expect.arrayContaining(['executor.c', 'executor.h', 'ia32-probe.c']));
    expect(FILES.filter((f) => f.endsWith('.c')).length).toBeGreaterThan(2);
  });

  it('never allocates (no malloc, calloc, realloc, free)', () => {
    expect(hits(/\b(malloc|calloc|realloc|reallocarray|free|strdup|asprintf)\s*\(/)).toEqual([]);
  });

  it('uses no stdio (no <stdio.h>, printf family, puts, fopen)', () => {
    expect(SOURCES.flatMap(({ name, lines }) =>
      lines.flatMap((l, i) => (/^\s*#\s*include\s*<stdio\.h>/.test(l) ? [`${name}:${i + 1}`] : [])))).toEqual([]);
    expect(hits(/\b(printf|fprintf|dprintf|sprintf|snprintf|vprintf|puts|fputs|fopen|fdopen|fwrite|fread|perror)\s*\(/)).toEqual([]);
  });

  it('has no line over 110 columns (a tab counts as 8)', () => {
    const long = SOURCES.flatMap(({ name, lines }) => lines.flatMap((l, i) => {
      let col = 0;
      for (const ch of l) col = ch === '\t' ? (Math.floor(col / 8) + 1) * 8 : col + 1;
      return col > 110 ? [`${name}:${i + 1}: ${col} columns`] : [];
    }));
    expect(long).toEqual([]);
  });

  it('indents with tabs (a space may only follow tabs to continue a comment or align a wrapped line)', () => {
    const bad = SOURCES.flatMap(({ name, lines }) => {
      let inComment = false;
      return lines.flatMap((l, i) => {
        const lead = /^[\t ]*/.exec(l)?.[0] ?? '';
        const wasInComment = inComment;
        const stripped = l.replace(/\/\*.*?\*\//g, '');
        if (/\/\*/.test(stripped)) inComment = !/\*\//.test(stripped.slice(stripped.indexOf('/*')));
        else if (/\*\//.test(stripped)) inComment = false;
        if (/^\t* \*/.test(l) && (wasInComment || /^\t* \*\//.test(l))) return []; // " * text" inside a block comment
        if (/^\t* {1,7}\S/.test(l)) return []; // tabs, then up to 7 spaces of alignment
        return lead.includes(' ') && l.trim() !== '' ? [`${name}:${i + 1}: ${JSON.stringify(lead)}`] : [];
      });
    });
    expect(bad).toEqual([]);
  });

  it('puts a comment right before every function definition', () => {
    const missing: string[] = [];
    const definition = /^(?:static\s+|inline\s+|__attribute__\(\([^)]*\)\)\s+)*[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;]*\)\s*$/;
    for (const { name, lines } of SOURCES) {
      for (let i = 0; i + 1 < lines.length; i++) {
        const m = definition.exec(lines[i]);
        if (m === null || lines[i + 1] !== '{' || /^\s/.test(lines[i])) continue;
        let j = i - 1;
        while (j >= 0 && lines[j].trim() === '') j--;
        if (j < 0 || !lines[j].trimEnd().endsWith('*/')) missing.push(`${name}:${i + 1}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('finds the functions it checks (the checker itself works)', () => {
    const defs = SOURCES.flatMap(({ name, lines }) =>
      lines.filter((l, i) => lines[i + 1] === '{' && /^[a-z].*\)\s*$/.test(l)).map((l) => `${name}: ${l}`));
    expect(defs.length).toBeGreaterThan(40);
    expect(defs.filter((l) => /^executor\.c: int main\(int argc, char \*\*argv\)/.test(l))).toHaveLength(1);
    // Each executor source holds some of them (a file of declarations only would be a header).
    for (const f of FILES.filter((n) => n.endsWith('.c'))) expect([f, defs.some((l) => l.startsWith(`${f}: `))]).toEqual([f, true]);
  });
});
