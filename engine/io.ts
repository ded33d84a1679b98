// Writing results so that nothing is ever half-written: whole files go through a temporary file
// and a rename; findings are appended one line at a time and flushed.
// Sources: POSIX rename(2) atomicity within one directory.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes `text` to `file` atomically (temporary file in the same directory, then rename). */
export function writeFileAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** Appends one line to `file` and flushes it to the disk before returning. */
export function appendLineSync(file: string, line: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
