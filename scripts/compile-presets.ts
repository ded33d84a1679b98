// Compiles every shipped seccomp preset with the real libseccomp (through the executor) and writes
// oracle/presets/compiled/<name>.json, the programs the model evaluates. Run as root after a build:
//   npx ts-node scripts/compile-presets.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HostOracle } from '../oracle/host';
import { compiledPresetFile, loadPreset, presetNames } from '../oracle/oci';

async function main(): Promise<void> {
  const oracle = await HostOracle.start();
  try {
    if (!oracle.info.libseccomp) throw new Error('the executor could not load libseccomp.so.2');
    for (const name of presetNames()) {
      const preset = loadPreset(name);
      const filters = [];
      for (const plan of preset.plans) {
        const r = await oracle.compile(plan);
        const bad = r.rcs.findIndex((x) => x.rc < 0);
        if (!r.initOk || bad >= 0 || r.exportRc < 0) throw new Error(`${name}: libseccomp refused ${bad >= 0 ? plan.origin[bad] : 'the export'}`);
        filters.push({ rcs: r.rcs.map((x) => x.rc), program: r.program });
      }
      const file = compiledPresetFile(name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify({ name, libseccomp: oracle.info.seccompVersion, filters })}\n`);
      process.stdout.write(`${name}: ${filters.map((f) => f.program.length).join('+')} instructions\n`);
    }
  } finally {
    await oracle.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`compile-presets: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
