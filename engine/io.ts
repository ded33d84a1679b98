// Writing results so that nothing is ever half-written, and reading them back so that a damaged
// file is a clear error: whole files go through a temporary file and a rename; findings are
// appended one line at a time and flushed; folders are made one level at a time (Node's
// recursive mkdir loops forever under /proc); JSON that does not parse names the file and the
// position. Sources: POSIX rename(2) atomicity within one directory.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError } from '../contract';

/**
 * Makes `dir` and any missing parents, one level at a time; a path that cannot be a folder (under
 * /proc, below a file, unwritable) is a ContractError about `field`, never a hang.
 */
export function ensureDir(dir: string, field = dir): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch {
      st = undefined;
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw new ContractError(field, `${d} is not a folder`, 'bad-file');
      break;
    }
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new ContractError(field, `cannot create the folder ${m} (${code ?? (e as Error).message})`, 'bad-file');
    }
  }
}

/** Writes `text` to `file` atomically (temporary file in the same directory, then rename). */
export function writeFileAtomic(file: string, text: string): void {
  ensureDir(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Appends one line to `file` and flushes it to the disk before returning. */
export function appendLineSync(file: string, line: string): void {
  ensureDir(path.dirname(file));
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The JSON value of `text`, read from `file`; a parse error names the file and the position. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = text.trim() === '' ? 'is empty' : `is not valid JSON (${(e as Error).message})`;
    throw new ContractError(file, detail, 'bad-file');
  }
}

/** The JSON value stored in `file` (a ContractError naming the file when it is missing or damaged). */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ContractError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'bad-file');
  }
  return parseJsonText(text, file);
}

/** The JSON object stored in `file`, or a ContractError saying it is not one. */
export function readJsonObject(file: string): Record<string, unknown> {
  const v = readJsonFile(file);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ContractError(file, 'is not a JSON object', 'bad-file');
  return v as Record<string, unknown>;
}

/** The values of a JSON Lines file (none when it does not exist); a bad line is named `FILE:LINE`. */
export function readJsonLines(file: string): unknown[] {
  if (!fs.existsSync(file)) return [];
  const out: unknown[] = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    const v = parseJsonText(l, `${file}:${i + 1}`);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ContractError(`${file}:${i + 1}`, 'is not a JSON object', 'bad-file');
    out.push(v);
  });
  return out;
}
