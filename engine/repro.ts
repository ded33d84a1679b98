// `sockspec repro FINDINGS.jsonl[:N]`: picks a finding and writes its C reproducer; with a kernel
// image, compiles it statically and runs it in a QEMU guest of that kernel, as root, and reports
// how it ended (0: the kernel did what the finding expected, 1: it did not, 2: setup failed).
// Sources: repro/c-source.ts, engine/campaign/campaign.ts (the finding format), oracle/vm/guest.ts.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reference618, type KernelProfile } from '../model';
import type { Finding } from './campaign/campaign';
import { ContractError, parseRequest } from '../contract';
import { readJsonLines, writeFileAtomic } from './io';
import { reproSource } from '../repro/c-source';
import { startGuest } from './vm';

/** Resolves `spec`, writes the source to `output` (atomically) or returns it; returns what to print. */
export function reproCommand(spec: string, output?: string): string {
  const { src, finding: f } = reproFor(spec);
  if (output === undefined) return src;
  writeFileAtomic(output, src);
  return `wrote ${output}: ${f.strace ?? f.signature}\n`;
}

/** How a reproducer ended in a guest: its exit status (or -1) or signal, and what it printed. */
export interface GuestRepro {
  readonly status: number;
  readonly signal: number;
  readonly output: string;
  /** The strace line (or signature) of the finding. */
  readonly what: string;
}

/**
 * Compiles the reproducer of `spec` statically (`cc -static`; $CC overrides cc) and runs it as
 * root in a guest booting `image` (a path, or a fetched name), with its modules and module mode.
 */
export async function reproInGuest(spec: string, image: string, modules: string | undefined, mode: string | undefined, log: (line: string) => void): Promise<GuestRepro> {
  const { src, finding: f } = reproFor(spec);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-repro-'));
  try {
    fs.writeFileSync(path.join(dir, 'repro.c'), src);
    const cc = process.env.CC || 'cc';
    const r = spawnSync(cc, ['-static', '-O1', '-o', path.join(dir, 'repro'), path.join(dir, 'repro.c')], { encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) {
      throw new ContractError('--kernel-image', `the reproducer did not compile with ${cc} -static (${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' ')}; Debian: apt-get install gcc libc6-dev)`, 'unavailable');
    }
    const { guest } = await startGuest(image, modules, mode, undefined, log, [{ path: 'repro', data: fs.readFileSync(path.join(dir, 'repro')) }]);
    try {
      const run = await guest.exec('/repro');
      const output = run.output.split('\n').filter((l) => l.startsWith('sockspec-repro')).join('\n');
      return { status: run.status, signal: run.signal, output, what: f.strace ?? f.signature };
    } finally {
      await guest.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The finding `spec` names (FILE or FILE:N) and its reproducer's source. */
function reproFor(spec: string): { src: string; finding: Finding } {
  const m = /^(.*?)(?::(\d+))?$/.exec(spec) as RegExpExecArray;
  const file = m[1];
  if (!fs.existsSync(file)) throw new ContractError('finding', `${file} does not exist`);
  const findings = readJsonLines(file) as Finding[];
  const n = m[2] === undefined ? findings.findIndex((f) => f.request !== undefined) + 1 : Number(m[2]);
  const f = findings[n - 1];
  if (n < 1 || f === undefined) throw new ContractError('finding', `${file} has no finding ${m[2] ?? 'about a single call'}`);
  if (f.request === undefined || f.model === undefined) {
    throw new ContractError('finding', `${file}:${n} (${f.property}) is not about a single call; replay it with: sockspec fuzz --replay-seed ${f.seed} --properties ${f.property}`);
  }
  // The profile only decides the model's answer, which the finding already carries.
  const req = parseRequest({ ...JSON.parse(f.request), kernel: undefined }, reference618 as KernelProfile);
  return { src: reproSource(req.call, req.env, f.model, `${f.property} ${f.signature}`), finding: f };
}
