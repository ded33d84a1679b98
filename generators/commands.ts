// Command sequences over one process's fd table: socket(), socketpair() and close(), as fast-check
// model-based commands. The "model" side is a plain map of open fds kept by the test; the "real" side is the
// reference model's Env. Each step is handed to a law-checker supplied by the property.
// Sources: fs/file.c (alloc_fd, close_fd); docs/kernel.md §4.

import fc from 'fast-check';
import {
  applyDecision, closeFd, evaluate, formatCall, formatStrace,
  type Call, type Decision, type Env,
} from '../model';
import { callArb, pairCallArb, type CallOptions } from './values';

/** What the test tracks independently of the model: open fds and their flags. */
export interface FdShadow {
  readonly open: Map<number, { cloexec: boolean; nonblock: boolean }>;
}

/** One executed step, handed to the property's checker. */
export interface SocketStep {
  readonly call: Call;
  readonly before: Env;
  readonly decision: Decision;
  readonly after: Env;
}

/** The system under test: the model's environment, the strace log, and the law-checker. */
export interface FdWorld {
  env: Env;
  readonly log: string[];
  readonly checkSocket: (step: SocketStep, shadow: FdShadow) => void;
  readonly checkClose: (fd: number, before: Env, after: Env, shadow: FdShadow) => void;
}

/** socket(call), or socketpair(call) when the call says so. */
export class SocketCommand implements fc.Command<FdShadow, FdWorld> {
  constructor(readonly call: Call) {}
  check(): boolean {
    return true;
  }
  run(shadow: FdShadow, world: FdWorld): void {
    const before = world.env;
    const decision = evaluate(this.call, before);
    const after = applyDecision(before, decision);
    world.env = after;
    world.log.push(formatStrace(this.call, decision.outcome));
    world.checkSocket({ call: this.call, before, decision, after }, shadow);
    const o = decision.outcome;
    if (o.kind === 'fd') shadow.open.set(o.fd, { cloexec: o.cloexec, nonblock: o.nonblock });
    if (o.kind === 'pair') for (const e of o.ends) shadow.open.set(e.fd, { cloexec: e.cloexec, nonblock: e.nonblock });
  }
  toString(): string {
    return formatCall(this.call);
  }
}

/** close() of the `pick`-th open fd (modulo how many are open). */
export class CloseCommand implements fc.Command<FdShadow, FdWorld> {
  constructor(readonly pick: number) {}
  check(shadow: Readonly<FdShadow>): boolean {
    return shadow.open.size > 0;
  }
  run(shadow: FdShadow, world: FdWorld): void {
    const fds = [...shadow.open.keys()].sort((a, b) => a - b);
    const fd = fds[this.pick % fds.length];
    const before = world.env;
    const { env, result } = closeFd(before, fd);
    world.env = env;
    world.log.push(`close(${fd}) = ${result === 0 ? 0 : `-1 ${result}`}`);
    world.checkClose(fd, before, env, shadow);
    shadow.open.delete(fd);
  }
  toString(): string {
    return `close(#${this.pick})`;
  }
}

/** Sequences of socket(), socketpair() and close(), up to `maxCommands` long. */
export function commandsArb(opts: CallOptions & { maxCommands?: number } = {}): fc.Arbitrary<Iterable<fc.Command<FdShadow, FdWorld>>> {
  return fc.commands(
    [
      callArb(opts).map((c) => new SocketCommand(c)),
      pairCallArb(opts).map((c) => new SocketCommand(c)),
      fc.nat({ max: 64 }).map((n) => new CloseCommand(n)),
    ],
    { maxCommands: opts.maxCommands ?? 24 },
  );
}
