// `sockspec repro FINDINGS.jsonl[:N]`: picks a finding and writes its C reproducer.
// Sources: repro/c-source.ts, engine/campaign/campaign.ts (the finding format).

import * as fs from 'node:fs';
import { reference618, type KernelProfile } from '../model';
import type { Finding } from './campaign/campaign';
import { ContractError, parseRequest } from '../contract';
import { readJsonLines, writeFileAtomic } from './io';
import { reproSource } from '../repro/c-source';

/** Resolves `spec`, writes the source to `output` (atomically) or returns it; returns what to print. */
export function reproCommand(spec: string, output?: string): string {
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
  const src = reproSource(req.call, req.env, f.model, `${f.property} ${f.signature}`);
  if (output === undefined) return src;
  writeFileAtomic(output, src);
  return `wrote ${output}: ${f.strace ?? f.signature}\n`;
}
