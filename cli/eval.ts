// `sockspec eval`: the JSON Lines contract. One result line per input line, in order; a malformed
// line gets an error result naming the line and field, the rest still run, and the exit code is 2.
// Sources: ARCHITECTURE.md (eval contract), cli/contract.ts.

import * as readline from 'node:readline';
import { evaluate, type KernelProfile } from '../model';
import { ContractError, parseRequest, resultObject } from './contract';

/** Evaluates one line; returns the output object and whether the line was bad. */
export function evalLine(line: string, lineNo: number, profile: KernelProfile): { out: Record<string, unknown>; bad: boolean } {
  try {
    const req = parseRequest(line, profile);
    return { out: resultObject(req.id, evaluate(req.call, req.env)), bad: false };
  } catch (e) {
    let id: unknown = null;
    try {
      const o = JSON.parse(line);
      if (o !== null && typeof o === 'object' && 'id' in o) id = o.id;
    } catch {
      // the id stays null for a line that is not JSON
    }
    const msg = e instanceof ContractError ? e.message : (e as Error).message;
    return { out: { id, result: 'error', error: `line ${lineNo}: ${msg}` }, bad: true };
  }
}

/** Streams `input` to `output`; resolves to the exit code (0, or 2 when any line was bad). */
export async function runEval(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, err: NodeJS.WritableStream, profile: KernelProfile): Promise<number> {
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let bad = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    const r = evalLine(line, lineNo, profile);
    if (r.bad) {
      bad++;
      err.write(`sockspec eval: ${String(r.out.error)}\n`);
    }
    output.write(`${JSON.stringify(r.out)}\n`);
  }
  return bad > 0 ? 2 : 0;
}
