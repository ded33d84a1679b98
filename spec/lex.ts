// Reading a KAPI spec out of a C file, a patch, or an e-mail carrying a patch, and lexing its
// C macro calls: strings (adjacent literals join), identifiers, numbers, punctuation, with the
// input line and column of every token. Comments are skipped.
// Sources: the KAPI RFC posting (test/fixtures/kapi-socket-rfc-v2.eml), C11 §6.4 (tokens, string literal concatenation).

/** A spec the reader cannot make sense of: names the input line and column. */
export class SpecError extends Error {
  constructor(readonly line: number, readonly col: number, message: string) {
    super(`line ${line}, column ${col}: ${message}`);
  }
}

/** One source line of the spec with its line number in the input. */
export interface SourceLine {
  readonly text: string;
  readonly line: number;
}

/**
 * The C lines of the input: for a patch (or an e-mail carrying one), the lines the patch adds or
 * keeps, without their diff prefix; for a C file, every line. Line numbers are the input's.
 */
export function sourceLines(input: string): SourceLine[] {
  const lines = input.split(/\r?\n/);
  const isPatch = lines.some((l) => /^(diff --git |@@ -\d)/.test(l));
  if (!isPatch) return lines.map((text, i) => ({ text, line: i + 1 }));
  const out: SourceLine[] = [];
  let inHunk = false;
  lines.forEach((l, i) => {
    if (l.startsWith('@@')) {
      inHunk = true;
      return;
    }
    if (l.startsWith('diff --git') || l.startsWith('-- ')) {
      inHunk = false;
      return;
    }
    if (!inHunk) return;
    if (l.startsWith('+') && !l.startsWith('+++')) out.push({ text: l.slice(1), line: i + 1 });
    else if (l.startsWith(' ')) out.push({ text: l.slice(1), line: i + 1 });
  });
  return out;
}

export type Token =
  | { readonly kind: 'ident'; readonly text: string; readonly line: number; readonly col: number }
  | { readonly kind: 'number'; readonly text: string; readonly line: number; readonly col: number }
  | { readonly kind: 'string'; readonly text: string; readonly line: number; readonly col: number }
  | { readonly kind: 'punct'; readonly text: string; readonly line: number; readonly col: number };

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };

/** Tokens of `src`; a string or comment left open is a SpecError at its start. */
export function lex(src: readonly SourceLine[]): Token[] {
  const out: Token[] = [];
  let inComment: { line: number; col: number } | null = null;
  for (const { text, line } of src) {
    let i = 0;
    while (i < text.length) {
      const col = i + 1;
      if (inComment !== null) {
        const end = text.indexOf('*/', i);
        if (end < 0) { i = text.length; break; }
        i = end + 2;
        inComment = null;
        continue;
      }
      const c = text[i];
      if (/\s/.test(c)) { i++; continue; }
      if (text.startsWith('//', i)) break;
      if (text.startsWith('/*', i)) { inComment = { line, col }; i += 2; continue; }
      if (c === '"' || c === "'") {
        let s = '';
        let j = i + 1;
        for (;;) {
          if (j >= text.length) throw new SpecError(line, col, `unterminated ${c === '"' ? 'string' : 'character'} literal`);
          const d = text[j];
          if (d === c) break;
          if (d === '\\') {
            const e = text[j + 1];
            s += ESCAPES[e] ?? e;
            j += 2;
            continue;
          }
          s += d;
          j++;
        }
        out.push(c === '"' ? { kind: 'string', text: s, line, col } : { kind: 'number', text: String(s.charCodeAt(0)), line, col });
        i = j + 1;
        continue;
      }
      const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      if (ident !== null) { out.push({ kind: 'ident', text: ident[0], line, col }); i += ident[0].length; continue; }
      const num = /^(0x[0-9a-fA-F]+|\d+)[uUlL]*/.exec(text.slice(i));
      if (num !== null) { out.push({ kind: 'number', text: num[1], line, col }); i += num[0].length; continue; }
      const op = /^(->|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>=?:;,.(){}[\]#])/.exec(text.slice(i));
      if (op === null) throw new SpecError(line, col, `unexpected character ${JSON.stringify(c)}`);
      out.push({ kind: 'punct', text: op[0], line, col });
      i += op[0].length;
    }
  }
  if (inComment !== null) throw new SpecError(inComment.line, inComment.col, 'unterminated comment');
  return out;
}
