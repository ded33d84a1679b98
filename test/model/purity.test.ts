// The model is pure: nothing in model/ imports from outside model/, no node:* or npm module, and no
// clock or randomness. A failure names the file and the offending line.

import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..', 'model');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

describe('model/ purity', () => {
  const all = files(root);

  it('has source files to check', () => {
    expect(all.length).toBeGreaterThan(10);
  });

  it.each(all.map((f) => [path.relative(root, f), f]))('%s imports only from model/', (_rel, file) => {
    const text = fs.readFileSync(file, 'utf8');
    const bad: string[] = [];
    text.split('\n').forEach((line, i) => {
      const m = /(?:from|import|require\()\s*['"]([^'"]+)['"]/.exec(line);
      if (m === null) return;
      const spec = m[1];
      if (!spec.startsWith('.')) {
        bad.push(`line ${i + 1}: imports package or built-in ${spec}`);
        return;
      }
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(root + path.sep) && target !== root) bad.push(`line ${i + 1}: imports ${spec} outside model/`);
    });
    text.split('\n').forEach((line, i) => {
      if (/\b(Date\.now|new Date|Math\.random|performance\.now|process\.\w|console\.\w)/.test(line)) bad.push(`line ${i + 1}: ${line.trim()}`);
    });
    expect(bad).toEqual([]);
  });
});
