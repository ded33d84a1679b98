// The executor's C style, enforced the way syzkaller enforces its executor's: no allocation and no
// stdio (anything they open would move the lowest free fd under test), short lines, tab
// indentation, and a comment before every function saying why it exists.
// Sources: ARCHITECTURE.md "The oracle" and "Style to follow".

import * as fs from 'node:fs';
import * as path from 'node:path';

const FILE = path.join(__dirname, '..', '..', 'oracle', 'executor', 'executor.c');
const source = fs.readFileSync(FILE, 'utf8');
const lines = source.split('\n');

/** The source with comments and string/char literals blanked (same length, newlines kept). */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Lines (1-based) where `pattern` matches the code, outside comments and strings. */
function hits(pattern: RegExp): string[] {
  return codeOnly(source).split('\n').flatMap((l, i) => (pattern.test(l) ? [`executor.c:${i + 1}: ${lines[i].trim()}`] : []));
}

describe('oracle/executor/executor.c style', () => {
  it('never allocates (no malloc, calloc, realloc, free)', () => {
    expect(hits(/\b(malloc|calloc|realloc|reallocarray|free|strdup|asprintf)\s*\(/)).toEqual([]);
  });

  it('uses no stdio (no <stdio.h>, printf family, puts, fopen)', () => {
    expect(lines.flatMap((l, i) => (/^\s*#\s*include\s*<stdio\.h>/.test(l) ? [`executor.c:${i + 1}`] : []))).toEqual([]);
    expect(hits(/\b(printf|fprintf|dprintf|sprintf|snprintf|vprintf|puts|fputs|fopen|fdopen|fwrite|fread|perror)\s*\(/)).toEqual([]);
  });

  it('has no line over 110 columns (a tab counts as 8)', () => {
    const long = lines.flatMap((l, i) => {
      let col = 0;
      for (const ch of l) col = ch === '\t' ? (Math.floor(col / 8) + 1) * 8 : col + 1;
      return col > 110 ? [`executor.c:${i + 1}: ${col} columns`] : [];
    });
    expect(long).toEqual([]);
  });

  it('indents with tabs (a space may only follow tabs to continue a comment or align a wrapped line)', () => {
    let inComment = false;
    const bad = lines.flatMap((l, i) => {
      const lead = /^[\t ]*/.exec(l)?.[0] ?? '';
      const wasInComment = inComment;
      const stripped = l.replace(/\/\*.*?\*\//g, '');
      if (/\/\*/.test(stripped)) inComment = !/\*\//.test(stripped.slice(stripped.indexOf('/*')));
      else if (/\*\//.test(stripped)) inComment = false;
      if (/^\t* \*/.test(l) && (wasInComment || /^\t* \*\//.test(l))) return []; // " * text" inside a block comment
      if (/^\t* {1,7}\S/.test(l)) return []; // tabs, then up to 7 spaces of alignment
      return lead.includes(' ') && l.trim() !== '' ? [`executor.c:${i + 1}: ${JSON.stringify(lead)}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it('puts a comment right before every function definition', () => {
    const missing: string[] = [];
    const definition = /^(?:static\s+|inline\s+|__attribute__\(\([^)]*\)\)\s+)*[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;]*\)\s*$/;
    for (let i = 0; i + 1 < lines.length; i++) {
      const m = definition.exec(lines[i]);
      if (m === null || lines[i + 1] !== '{' || /^\s/.test(lines[i])) continue;
      let j = i - 1;
      while (j >= 0 && lines[j].trim() === '') j--;
      if (j < 0 || !lines[j].trimEnd().endsWith('*/')) missing.push(`executor.c:${i + 1}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('finds the functions it checks (the checker itself works)', () => {
    const defs = lines.filter((l, i) => lines[i + 1] === '{' && /^[a-z].*\)\s*$/.test(l));
    expect(defs.length).toBeGreaterThan(40);
    expect(defs.some((l) => /\bint main\(void\)/.test(l))).toBe(true);
  });
});
