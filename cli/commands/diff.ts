// `sockspec diff`: one corpus on two kernels (the host, or images in QEMU), every differing call
// listed by model clause. Sources: engine/diff.ts, report/text.ts.

import * as path from 'node:path';
import type { Command } from 'commander';
import { FILE_MAX_DEFAULT, NR_OPEN_SYSCTL_DEFAULT } from '../../model';
import { ContractError, SockspecError } from '../../contract';
import { ENV_CLASSES, VM_CLASSES } from '../../generators/space';
import { observeOnHost } from '../../oracle/observe';
import { campaignInputs } from '../../engine/campaign/corpus';
import { presetClasses } from '../../engine/classes';
import { classGroups, corpusGroups, diffClasses, perGroupSide, runDiff, tupleGroups, type DiffSide } from '../../engine/diff';
import { ensureDir, writeFileAtomic } from '../../engine/io';
import { vmOracleFor } from '../../engine/vm';
import { formatDiff } from '../../report/text';
import { DEFAULT_PROFILE, listArg, profileFor, requireHost, sharedOracle, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('diff')
    .description('run one corpus on two kernels (the host, or images booted in QEMU) and list every call whose outcome differs, by model clause; exit 1 when any does')
    .requiredOption('--b <kernel>', 'kernel B: a bzImage/vmlinuz path, or a name `sockspec kernels fetch` knows (debian-6.1, debian-6.12)')
    .option('--a <kernel>', 'kernel A: host (the running kernel), an image path, or a fetched name', 'host')
    .option('--a-modules <dir>', "A's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--b-modules <dir>', "B's lib/modules/RELEASE (default: the fetched kernel's)")
    .option('--module-mode <mode>', 'for kernels in QEMU: preload (default), autoload or none')
    .option('--kernel <profile>', "the profile whose clauses group the differences and whose environments the classes build (default: A's if it has one, else reference-6.18)")
    .option('--classes <ids>', 'environment classes of the bounded space to run (default: the nine kernel classes; all: every class, with the global-knob ones when both kernels are in QEMU)')
    .option('--tuples <file>', 'run these calls instead: JSON Lines eval requests, or FAMILY TYPE PROTOCOL lines')
    .option('--corpus <dir>', "run a campaign's corpus instead (sockspec fuzz --out DIR): the first input to decide each clause in each class, and the findings' calls")
    .option('--out <dir>', "write diff.json here (sockspec report shows it), and each VM boot's kernel console in console-a/ and console-b/")
    .option('--json', 'print one summary object', false)
    .action(async (o: { a: string; b: string; aModules?: string; bModules?: string; moduleMode?: string; kernel?: string; classes?: string; tuples?: string; corpus?: string; out?: string; json: boolean }) => {
      const inputs = [o.classes && '--classes', o.tuples && '--tuples', o.corpus && '--corpus'].filter((x) => x);
      if (inputs.length > 1) throw new ContractError(inputs[1] as string, `give one corpus: ${inputs.join(' or ')}`);
      if (o.corpus !== undefined) campaignInputs(o.corpus);
      // The output folder is made before any kernel boots, so a bad path fails at once.
      if (o.out !== undefined) ensureDir(o.out, '--out');
      const side = (which: string, k: string, modules: string | undefined): DiffSide & { profile?: string } => {
        if (k === 'host') {
          if (modules !== undefined) throw new ContractError(`--${which}-modules`, 'the host runs its own modules');
          requireHost(`--${which}`);
          return perGroupSide('host', async (env, calls) => {
            // The host never changes a global knob: such an environment runs only in QEMU.
            if (env.fileMax !== FILE_MAX_DEFAULT || env.nrOpen !== NR_OPEN_SYSCTL_DEFAULT) return calls.map(() => ({ unobserved: 'the host never changes fs.file-max or fs.nr_open: diff this environment with both kernels in QEMU' }));
            return observeOnHost(await sharedOracle(), env, calls);
          });
        }
        let vm;
        try {
          vm = vmOracleFor(k, modules, o.moduleMode, o.out === undefined ? undefined : path.join(o.out, `console-${which}`), (line) => io.err(`${line}\n`));
        } catch (e) {
          if (e instanceof SockspecError) throw e.about(`--${which}`);
          throw e;
        }
        const oracle = vm.oracle;
        return { name: k, observeGroups: (groups) => oracle.observeGroups(groups), alerts: () => oracle.alerts, ...(vm.defaultProfile ? { profile: vm.defaultProfile } : {}) };
      };
      const a = side('a', o.a, o.aModules);
      const b = side('b', o.b, o.bModules);
      const profile = await profileFor(o.kernel ?? a.profile ?? DEFAULT_PROFILE);
      const groups = o.tuples !== undefined ? tupleGroups(o.tuples, profile, ENV_CLASSES[0].env(profile))
        : o.corpus !== undefined ? corpusGroups(o.corpus, profile, ENV_CLASSES[0].env(profile))
        : classGroups(diffClasses(o.classes ? listArg(o.classes) : undefined, presetClasses(), VM_CLASSES, o.a !== 'host' && o.b !== 'host'), profile);
      const total = groups.reduce((n, g) => n + g.calls.length, 0);
      const progress = process.stderr.isTTY && !o.json;
      const summary = await runDiff(a, b, groups, profile, Date.now, {
        onChunk: (done, all, points) => { if (progress) process.stderr.write(`\r  ${done}/${all} environments, ${points}/${total} points`); },
      });
      if (progress) process.stderr.write('\n');
      if (o.out !== undefined) {
        writeFileAtomic(path.join(o.out, 'diff.json'), `${JSON.stringify(summary, null, 2)}\n`);
      }
      io.out(o.json ? `${JSON.stringify(summary)}\n` : `${formatDiff(summary).join('\n')}\n`);
      io.setCode(summary.differences.length > 0 ? 1 : 0);
    });
}
