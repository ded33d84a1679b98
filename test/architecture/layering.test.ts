// The architecture, enforced: each source folder has a layer, and a file may import only from its
// own folder or from a lower layer (the model at the bottom, the command line and the benchmarks on
// top, side by side); and no module imports itself through a cycle, type-only imports included.
// The layers are written down in docs/architecture.md. A failure names the file, the line and
// the import.

import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** Layer of each top-level source folder; `index.ts` at the root (the package entry) is on top. */
const LAYERS: Readonly<Record<string, number>> = {
  model: 0,
  contract: 1,
  generators: 2,
  oracle: 3,
  properties: 4,
  spec: 5,
  repro: 6,
  engine: 7,
  report: 8,
  cli: 9,
  bench: 9,
  scripts: 10,
  '(root)': 10,
};

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : []);
}

function folderOf(file: string): string {
  const rel = path.relative(root, file).split(path.sep);
  return rel.length === 1 ? '(root)' : rel[0];
}

/** Every relative import of a file: static, type-only, re-exports, dynamic import() and require(). */
function importsOf(text: string): Array<{ spec: string; line: number }> {
  const out: Array<{ spec: string; line: number }> = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ spec: m[1], line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** The .ts file an import names, or undefined for a package or a non-TypeScript file. */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c)) return c;
  return undefined;
}

const sources = [
  ...Object.keys(LAYERS).filter((d) => d !== '(root)' && fs.existsSync(path.join(root, d))).flatMap((d) => files(path.join(root, d))),
  ...fs.readdirSync(root).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, f)),
];

const graph = new Map<string, Array<{ target: string; spec: string; line: number }>>();
for (const f of sources) {
  graph.set(f, importsOf(fs.readFileSync(f, 'utf8')).flatMap(({ spec, line }) => {
    const target = resolve(f, spec);
    return target === undefined ? [] : [{ target, spec, line }];
  }));
}

/** Strongly connected components of more than one module (or a module importing itself). */
function cycles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const { target: w } of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(path.relative(root, w));
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).some((e) => e.target === v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('layering', () => {
  it('finds the source folders and their imports', () => {
    expect(sources.length).toBeGreaterThan(80);
    for (const d of ['model', 'contract', 'generators', 'oracle', 'properties', 'engine', 'report', 'cli']) {
      expect(sources.some((f) => folderOf(f) === d)).toBe(true);
    }
    const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
    expect(edges).toBeGreaterThan(200);
  });

  it('reads every kind of import', () => {
    const text = "import a from './a';\nimport type { B } from '../b';\nexport * from './c';\nconst d = await import('./d');\nrequire('./e');\nimport './f';\n";
    expect(importsOf(text).map((i) => i.spec)).toEqual(['./a', '../b', './c', './d', './e', './f']);
  });

  it('every folder imports only from itself and the layers below it', () => {
    const bad: string[] = [];
    for (const [f, edges] of graph) {
      const from = folderOf(f);
      for (const e of edges) {
        const to = folderOf(e.target);
        if (to === from) continue;
        if (!(to in LAYERS)) bad.push(`${path.relative(root, f)}:${e.line} imports ${e.spec}, outside every layer`);
        else if (LAYERS[to] >= LAYERS[from]) bad.push(`${path.relative(root, f)}:${e.line} (${from}, layer ${LAYERS[from]}) imports ${e.spec} (${to}, layer ${LAYERS[to]})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    expect(cycles()).toEqual([]);
  });

  it('sees a cycle and an upward import when there is one', () => {
    const a = path.join(root, 'model', '__a.ts');
    const b = path.join(root, 'model', '__b.ts');
    graph.set(a, [{ target: b, spec: './__b', line: 1 }]);
    graph.set(b, [{ target: a, spec: './__a', line: 1 }]);
    try {
      expect(cycles()).toContainEqual(['model/__a.ts', 'model/__b.ts']);
    } finally {
      graph.delete(a);
      graph.delete(b);
    }
    expect(LAYERS.model < LAYERS.cli && LAYERS.cli === LAYERS.bench).toBe(true);
  });
});
