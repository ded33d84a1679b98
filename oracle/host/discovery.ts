// Where the executor binaries are, and whether the host oracle can run here at all.
// Sources: scripts/build-executor.sh (what it builds under dist/executor/).

import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The dynamic executor binary: dist/executor/sockspec-executor under the package root, found from
 * this file for both the ts-node/jest and the compiled dist/ layouts; SOCKSPEC_EXECUTOR overrides.
 * @example spawn(executorPath())
 */
export function executorPath(): string {
  const override = process.env.SOCKSPEC_EXECUTOR;
  if (override !== undefined && override !== '') return override;
  return path.join(packageRoot(), 'dist', 'executor', 'sockspec-executor');
}

/** The nearest directory above this file whose package.json is sockspec's (oracle/host/ is two below it). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sockspec') return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..');
    dir = up;
  }
}

/**
 * Whether the host oracle can run here: root (namespaces, credentials) and a built executor.
 * @example if (executorAvailable()) await HostOracle.start()
 */
export function executorAvailable(): boolean {
  return process.getuid?.() === 0 && fs.existsSync(executorPath());
}
