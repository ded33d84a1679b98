// The comparator for sequences: one step's result and the whole fd table after it, the model's
// against the kernel's snapshot (open fds, FD_CLOEXEC, O_NONBLOCK, SO_DOMAIN/TYPE/PROTOCOL), as
// lines saying each difference; and the strace text of a step. Pure, like oracle/compare.ts.
// Sources: model/sequence.ts, oracle/codec/replies.ts (SNAPSHOTS).

import { formatStrace, type FdEntry, type Step, type StepOutcome } from '../model';
import { compareOutcomes, describeMismatch } from './compare';
import type { KernelFd, SequenceStepResult } from './codec';

/** A step as strace prints it, with its result. */
export function formatStep(step: Step, o: StepOutcome['result']): string {
  const r = o.kind === 'errno' ? `-1 ${o.errno}` : o.kind === 'ret' ? String(o.value) : o.kind === 'killed' ? '? (killed)' : '';
  switch (step.op) {
    case 'call': return formatStrace(step.call, o);
    case 'close': return `close(${step.fd}) = ${r}`;
    case 'dup2': return step.cloexec === true ? `dup3(${step.oldfd}, ${step.newfd}, O_CLOEXEC) = ${r}` : `dup2(${step.oldfd}, ${step.newfd}) = ${r}`;
  }
}

export function tableText(t: readonly { fd: number; cloexec: boolean; nonblock: boolean; domain: number; sotype: number }[]): string {
  return t.map((e) => `${e.fd}${e.cloexec ? 'e' : ''}${e.nonblock ? 'n' : ''}${e.domain >= 0 ? `:${e.domain}/${e.sotype}` : ''}`).join(' ');
}

/** The model's table in the kernel snapshot's terms (a file that is no socket reads -ENOTSOCK). */
export function modelTable(t: readonly FdEntry[]): KernelFd[] {
  return t.map((e) => ({
    fd: e.fd, cloexec: e.cloexec, nonblock: e.nonblock,
    domain: e.socket?.domain ?? -88, sotype: e.socket?.type ?? -88, soprotocol: e.socket?.protocol ?? -88,
  }));
}

/** Every difference between the model's and the kernel's step: the result, then the table fd by fd. */
export function compareStep(model: StepOutcome, kernel: SequenceStepResult): string[] {
  if (kernel.status !== 'returned') return [`kernel step unobserved: ${kernel.reason}`];
  const out = compareOutcomes(model.result, { outcome: kernel.outcome }).map(describeMismatch);
  if (kernel.table === null) return [...out, 'kernel table unobserved: more open fds than a snapshot holds'];
  const m = modelTable(model.table);
  const fds = [...new Set([...m.map((e) => e.fd), ...kernel.table.map((e) => e.fd)])].sort((a, b) => a - b);
  for (const fd of fds) {
    const a = m.find((e) => e.fd === fd);
    const b = kernel.table.find((e) => e.fd === fd);
    if (a === undefined || b === undefined) {
      out.push(`fd ${fd}: ${a === undefined ? 'closed' : 'open'} in the model, ${b === undefined ? 'closed' : 'open'} in the kernel`);
      continue;
    }
    for (const f of ['cloexec', 'nonblock', 'domain', 'sotype', 'soprotocol'] as const) {
      if (a[f] !== b[f]) out.push(`fd ${fd} ${f}: model ${String(a[f])}, kernel ${String(b[f])}`);
    }
  }
  return out;
}

