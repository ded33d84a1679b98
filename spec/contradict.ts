// Contradictions between a KAPI spec and the model (and, when confirmed, the kernel). Every point
// of the bounded space of `sockspec check`, and seeded fuzzed tuples and environments, is judged:
// the model's outcome against the outcomes the spec's formalized causes allow, its parameter
// constraints, its success claims (lowest fd, flags) and its example calls. Each contradiction is
// reported once per spec item and model clause, with a counter-example shrunk greedily towards
// small registers and the root environment (every shrinking step keeps the same spec item and
// clause). A capability the spec names without its namespace is read as `capable()` (the initial
// user namespace); where only that reading contradicts the kernel, the class says so.
// Sources: spec/formalize.ts, generators/space.ts, model/evaluate.ts, model/creds.ts.

import fc from 'fast-check';
import {
  ALL_CAPS, SOCKET_CLAUSES, CAP_NAMES, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_MASK, capNames, evaluate, formatStrace,
  lowestFree, regFits32, regInt32, regLo, resultString, type Call, type Env, type KernelProfile, type Outcome, type Reg,
} from '../model';
import { inetLookup } from '../model/families/inet';
import { callArb, envArb } from '../generators';
import { vmReproducible } from '../properties/differential';
import { classCalls, ENV_CLASSES, UNREADABLE_BLOCK_CALL } from '../generators/space';
import { checkConsistency } from './consistency';
import { CapabilityProbe, scopeWords, type CapabilityUse } from './capabilities';
import { firstRejecting, runtimeChecks, type RuntimeCheck } from './enforce';
import { judgeOrder, statedOrder, type OrderChain } from './order';
import { capabilityEntries, errorCauses, exampleCalls, paramConstraints, successClaims, type CapabilityEntry, type Cause, type ExampleCall, type ParamConstraint, type SpecInput, type SuccessClaim } from './formalize';
import type { ParsedSpec } from './parse';

export type ContradictionClass =
  | 'unlisted-errno' | 'cause-absent' | 'cause-holds-other' | 'capability-condition' | 'capability-namespace'
  | 'capability-unlisted' | 'order' | 'success-path' | 'never-produced' | 'internal';

/** One contradiction, with its shrunk counter-example. */
export interface Contradiction {
  readonly class: ContradictionClass;
  readonly title: string;
  readonly specLines: readonly number[];
  readonly specText: string;
  readonly clause: string;
  readonly call: Call;
  readonly env: Env;
  /** The environment class the counter-example came from, or `shrunk`. */
  readonly envClass: string;
  /** `-` where there is no call (a listed errno nothing produces, an internal inconsistency). */
  readonly counterexample: string;
  readonly model: string;
  /** What the spec says the result must match, as the reproducer checks it (see repro/c-source.ts). */
  readonly expect?: string;
  readonly points: number;
  /** The spec item it is about (the draft key without the model clause): grouping's key. */
  readonly item: string;
  /** The item's title; with `itemResults`, the distinct results of its contradictions follow it. */
  readonly itemTitle: string;
  readonly itemResults: boolean;
}

/** One judgement of one point, before grouping. */
interface Draft {
  readonly key: string;
  readonly item: string;
  readonly itemTitle: string;
  readonly itemResults: boolean;
  readonly class: ContradictionClass;
  readonly title: string;
  readonly specLines: readonly number[];
  readonly specText: string;
  readonly expect: string;
  /** Whether the draft rests on a capability the spec names. */
  readonly capability?: string;
  /** The cause (an index into the judge's causes) the draft shows wrong: it held, and the kernel did not do what it says. */
  readonly refutes?: number;
}

interface Judged {
  readonly drafts: Draft[];
  readonly outcome: Outcome;
  readonly result: string;
  readonly clause: string;
  /** Decided by a seccomp filter: a policy, like an LSM's, not socket()'s contract. */
  readonly policy: boolean;
  /** `a>b` (indexes into causes): the only cause of W that held, a, and a cause b of L held, the kernel returned W, and the spec states no order of W and L. */
  readonly pairs: readonly string[];
  /** Every such pair of causes, the stated ones too. */
  readonly seen: readonly string[];
  /** The runtime check that would reject this call with EINVAL where the kernel returns something else. */
  readonly enforced?: RuntimeCheck;
}

const i32 = regInt32;
const POLICY = new Set(['seccomp-errno', 'seccomp-errno-zero', 'seccomp-no-listener', 'seccomp-kill']);

/** The spec's view of a point: capabilities as `capable()` (init) or as `ns_capable()` over the netns owner. */
const capSets = new Map<number, ReadonlySet<string>>();
/** The names of a capability mask, as a set, kept per mask (points share a few masks). */
function capSet(mask: number): ReadonlySet<string> {
  let s = capSets.get(mask);
  if (s === undefined) {
    s = new Set(capNames(mask));
    if (capSets.size < 4096) capSets.set(mask, s);
  }
  return s;
}

function specInput(call: Call, env: Env, reading: 'init' | 'netns'): SpecInput {
  const ns = env.creds.namespaces;
  const held = ns === 'init' || ns === 'net' || (reading === 'netns' && ns === 'user+net');
  const caps = capSet(held ? env.creds.caps : 0);
  const p = env.profile;
  return {
    family: i32(call.a0), type: i32(call.a1), protocol: i32(call.a2),
    hasCap: (c) => caps.has(c), registered: (f) => p.families.includes(f),
    inetswAccepts: (f, t, proto) => inetLookup((f === 10 ? p.inet6sw : p.inetsw)[t] ?? [], proto) >= 0,
    inetswHas: (f, t) => ((f === 10 ? p.inet6sw : p.inetsw)[t] ?? []).length > 0,
    unreadableBlock: call.block === 'unreadable',
  };
}

const NO_ORDER: { pairs: string[]; seen: string[]; drafts: Draft[] } = { pairs: [], seen: [], drafts: [] };

/** The judge of one spec: every formalized part, ready to apply to points. */
export class SpecJudge {
  readonly causes: Cause[];
  readonly constraints: ParamConstraint[];
  readonly claims: SuccessClaim[];
  readonly examples: ExampleCall[];
  /** The KAPI_CAPABILITY list. */
  readonly capabilityList: CapabilityEntry[];
  /** The order the spec states, and the checks KAPI's runtime validation would make. */
  readonly chains: OrderChain[];
  readonly checks: RuntimeCheck[];
  private readonly listed: Set<string>;
  private readonly byErrno = new Map<string, Cause[]>();
  private readonly probe = new CapabilityProbe();
  /** Pairs of formalized causes of one error (indexes), and those some point that returned an error told apart. */
  private readonly sameErrno: Array<[number, number]> = [];
  private readonly differ = new Set<string>();

  constructor(readonly spec: ParsedSpec) {
    this.causes = errorCauses(spec);
    this.constraints = paramConstraints(spec);
    this.claims = successClaims(spec);
    this.examples = exampleCalls(spec);
    this.capabilityList = capabilityEntries(spec);
    this.chains = statedOrder(spec);
    this.checks = runtimeChecks(spec);
    this.listed = new Set(spec.errors.map((e) => String(e.name)));
    for (const c of this.causes) this.byErrno.set(c.errno, [...(this.byErrno.get(c.errno) ?? []), c]);
    this.causes.forEach((a, i) => this.causes.forEach((b, j) => { if (i < j && a.errno === b.errno && a.predicate && b.predicate) this.sameErrno.push([i, j]); }));
  }

  /** The contradictions one point shows. */
  judge(call: Call, env: Env): Judged {
    const d = evaluate(call, env);
    const result = resultString(d.outcome);
    const clause = d.trace[d.trace.length - 1];
    if (POLICY.has(clause)) return { drafts: [], outcome: d.outcome, result, clause, policy: true, pairs: [], seen: [] };
    const lit = specInput(call, env, 'init');
    const ns = env.creds.namespaces === 'user+net' ? specInput(call, env, 'netns') : lit;
    const capability = this.capabilityDrafts(call, env, d.outcome, result, clause, lit);
    const order = this.order(d.outcome, result, clause, lit, ns);
    const more = [...capability, ...order.drafts];
    // KAPI's wrapper sees the call on the native and int $0x80 entries; socketcall goes past it.
    const check = call.entry === 'i386-socketcall' || this.checks.length === 0 || result === 'EINVAL' ? undefined : firstRejecting(this.checks, [i32(call.a0), i32(call.a1), i32(call.a2)]);
    const rest = { outcome: d.outcome, result, clause, policy: false, pairs: order.pairs, seen: order.seen, ...(check !== undefined ? { enforced: check } : {}) };
    if (env.creds.namespaces !== 'user+net') return { drafts: [...this.drafts(d.outcome, result, clause, lit, lit, env), ...more], ...rest };
    const literal = this.drafts(d.outcome, result, clause, lit, ns, env);
    const nsKeys = new Set(this.drafts(d.outcome, result, clause, ns, ns, env).map((x) => x.key));
    // A draft is the namespace's doing only if the same call without the capabilities, in the
    // initial namespaces (what the literal reading sees), does not show it too.
    let plain: Set<string> | undefined;
    const plainKeys = (): Set<string> => (plain ??= new Set(this.judge(call, { ...env, creds: { ...env.creds, namespaces: 'init', caps: 0 } }).drafts.map((x) => x.key)));
    const drafts = literal.map((x) => (nsKeys.has(x.key) || x.capability === undefined || plainKeys().has(x.key) ? x : {
      ...x, key: `ns|${x.key}`, item: `ns|${x.item}`, class: 'capability-namespace' as const, itemResults: true,
      itemTitle: `"${x.specText}" names ${x.capability} without its namespace: read as capable() (the initial user namespace) the spec expects another result, but the kernel checks ns_capable() in the user namespace that owns the network namespace and returns`,
      title: `"${x.specText}" names ${x.capability} without its namespace: read as capable() (the initial user namespace) the spec expects ${x.expect.replace(/\|/g, ' or ')}, but the kernel checks ns_capable() in the user namespace that owns the network namespace and returns ${result}`,
    }));
    return { drafts: [...drafts, ...more], ...rest };
  }

  /**
   * Where the causes of several listed errors hold and the kernel returns one of them: each other
   * one is a pair `W>L`, a contradiction where an applying chain of the stated order puts L first,
   * and unstated where none names both.
   */
  private order(o: Outcome, result: string, clause: string, x: SpecInput, xNs: SpecInput): { pairs: string[]; seen: string[]; drafts: Draft[] } {
    // Order is about errors: a success says nothing of it (and two causes of one error that agree
    // wherever an error comes back stand for the same thing there).
    if (o.kind !== 'errno') return NO_ORDER;
    // A capability named without its namespace must hold in both readings (see judge).
    const held = this.causes.map((c) => (!x.unreadableBlock || c.block === true) && c.predicate?.(c.namespaced === true ? xNs : x) === true
      && (c.capability === undefined || c.namespaced === true || c.predicate(xNs)));
    // Two causes of one error that ever differ are two conditions, not one stated twice.
    for (const [i, j] of this.sameErrno) if (held[i] !== held[j]) this.differ.add(`${i},${j}`);
    const causes = this.causes.filter((_, i) => held[i]);
    const holding = new Set(causes.map((c) => c.errno));
    if (holding.size < 2 || !holding.has(result)) return NO_ORDER;
    // Which cause the kernel acted on is known where one condition of its error holds: the causes
    // holding, as a list (`a+b`), resolved to one once the whole run shows whether they ever differ.
    const winners = causes.filter((c) => c.errno === result);
    const pairs: string[] = [];
    const seen: string[] = [];
    const drafts: Draft[] = [];
    for (const loser of holding) {
      if (loser === result) continue;
      const j = judgeOrder(this.chains, x, result, loser);
      for (const c of causes) {
        if (c.errno !== loser) continue;
        const p = `${winners.map((w) => this.causes.indexOf(w)).join('+')}>${this.causes.indexOf(c)}`;
        seen.push(p);
        if (j.stated === 'no') pairs.push(p);
      }
      if (j.stated === 'wrong') {
        const title = `the spec orders ${loser} before ${result} ("${j.chain.text}"), yet where causes of both hold the kernel returns ${result}`;
        drafts.push({
          key: `order|${j.chain.line}|${j.chain.text}|${result}>${loser}|${clause}`, item: `order|${j.chain.line}|${j.chain.text}|${result}>${loser}`, itemTitle: title, itemResults: false,
          class: 'order', title, specLines: [j.chain.line], specText: j.chain.text, expect: `!${result}`,
        });
      }
    }
    return { pairs, seen, drafts };
  }

  /** The capability checks met so far: each row, the capability it demands, where it counts, whether it guards a limit. */
  capabilityUses(): CapabilityUse[] {
    return this.probe.uses();
  }

  /**
   * The pair of single causes a judged pair `a+b+…>l` stands for: `a>l` where every winner is the
   * same condition as `a` at every point judged so far that returned an error (never told apart), else undefined.
   */
  resolvePair(p: string): string | undefined {
    const [w, l] = p.split('>');
    const ws = w.split('+').map(Number);
    for (let i = 0; i < ws.length; i++) for (let j = i + 1; j < ws.length; j++) if (this.differ.has(`${Math.min(ws[i], ws[j])},${Math.max(ws[i], ws[j])}`)) return undefined;
    return `${ws[0]}>${l}`;
  }

  /**
   * A capability the kernel demanded of this call (or a limit it would have let the call past)
   * that no KAPI_CAPABILITY entry covers: an entry of that capability whose condition holds for the
   * call (a condition in prose counts as covering). Reported whatever the errors' prose says: the
   * list is what a machine reads.
   */
  private capabilityDrafts(call: Call, env: Env, o: Outcome, result: string, clause: string, x: SpecInput): Draft[] {
    if (o.kind !== 'errno') return [];
    const u = this.probe.use(call, env, clause);
    if (u === undefined || this.capabilityList.some((e) => e.name === u.cap && (e.covers === undefined || e.covers(x)))) return [];
    const list = this.capabilityList;
    const specLines = list.length > 0 ? [...new Set(list.map((e) => e.line))] : [this.spec.line];
    const specText = list.length > 0 ? `capabilities: ${list.map((e) => `${e.name} when ${e.condition || '(no condition)'}`).join('; ')}` : 'no KAPI_CAPABILITY entry';
    const where = scopeWords(u.scope);
    if (u.bypass) {
      return [{
        key: `capbypass|${u.cap}|${clause}`, item: `capbypass|${u.cap}`, itemResults: false, class: 'capability-unlisted', specLines, specText, expect: `!${result}`,
        title: `${u.cap} (${where}) lets a caller past this limit, which no KAPI_CAPABILITY entry says: without it the kernel returns ${result}`,
        itemTitle: `${u.cap} lets a caller past a limit, which no KAPI_CAPABILITY entry says`,
      }];
    }
    return [{
      key: `capdemand|${u.cap}|${clause}`, item: `capdemand|${u.cap}`, itemResults: false, class: 'capability-unlisted', specLines, specText, expect: `!${result}`,
      title: `the kernel demands ${u.cap} (${where}) for this call, which no KAPI_CAPABILITY entry covers: without it the kernel returns ${result}`,
      itemTitle: `the kernel demands ${u.cap} in calls no KAPI_CAPABILITY entry covers`,
    }];
  }

  private drafts(o: Outcome, result: string, clause: string, x: SpecInput, xNs: SpecInput, env: Env): Draft[] {
    const out: Draft[] = [];
    // With an unreadable socketcall block the kernel never reads the arguments: only a cause about
    // the block itself can hold (the registers then mean nothing).
    const holds = (c: Cause): boolean => (!x.unreadableBlock || c.block === true) && c.predicate?.(c.namespaced === true ? xNs : x) === true;
    const holding = this.causes.filter(holds);
    const allowed = new Set(holding.map((c) => c.errno));
    if (o.kind === 'errno' && !this.listed.has(result)) {
      const title = `the kernel returns ${result}, which the spec does not list`;
      out.push({
        key: `unlisted|${result}|${clause}`, item: `unlisted|${result}`, itemTitle: title, itemResults: false, class: 'unlisted-errno', title,
        specLines: [this.spec.line], specText: `errors: ${[...this.listed].join(', ')}`, expect: ['ok', ...this.listed].join('|'),
      });
      return out;
    }
    if (o.kind === 'errno' && !allowed.has(result)) {
      const own = this.byErrno.get(result) ?? [];
      if (own.length > 0 && own.every((c) => c.predicate !== undefined)) {
        const cap = own.find((c) => c.capability !== undefined)?.capability;
        const title = `${result} is returned although none of its stated causes holds`;
        out.push({
          key: `absent|${result}|${clause}`, item: `absent|${result}`, itemTitle: title, itemResults: false, class: 'cause-absent', title,
          specLines: [...new Set(own.map((c) => c.line))], specText: own.map((c) => c.text).join('; '), expect: `!${result}`, ...(cap ? { capability: cap } : {}),
        });
      }
    }
    for (const c of holding) {
      if (c.errno === result || allowed.has(result)) continue;
      const own = o.kind === 'errno' ? this.byErrno.get(result) ?? [] : [];
      if (own.some((w) => w.predicate === undefined)) continue;
      const cap = c.capability !== undefined;
      const stem = cap ? `the capability condition "${c.text}" holds, yet the kernel returns` : `the cause "${c.text}" of ${c.errno} holds, yet the kernel returns`;
      out.push({
        key: `holds|${c.line}|${c.text}|${clause}`, item: `holds|${c.line}|${c.text}`, itemTitle: stem, itemResults: true,
        class: cap ? 'capability-condition' : 'cause-holds-other',
        title: `${stem} ${result}`, refutes: this.causes.indexOf(c),
        specLines: [c.line], specText: c.text, expect: [...allowed].join('|'), ...(cap ? { capability: c.capability } : {}),
      });
    }
    if (o.kind === 'fd') {
      for (const p of this.constraints) {
        if (p.predicate === undefined || p.predicate(x)) continue;
        const title = `the kernel creates the socket although the ${p.param} constraint "${p.text}" rules the call out`;
        out.push({
          key: `param|${p.line}|${p.text}|${clause}`, item: `param|${p.line}|${p.text}`, itemTitle: title, itemResults: false, class: 'success-path', title,
          specLines: [p.line], specText: `${p.param}: ${p.text}`, expect: '!ok',
        });
      }
      const lowest = lowestFree(env.fds);
      for (const s of this.claims) {
        if (s.holds(x, o, lowest)) continue;
        out.push({
          key: `claim|${s.line}|${s.text}|${clause}`, item: `claim|${s.line}|${s.text}`, itemTitle: `the call succeeds, but not as the spec says: "${s.text}"`, itemResults: false, class: 'success-path',
          title: `the call succeeds, but not as the spec says: "${s.text}" (fd ${o.fd}, cloexec ${o.cloexec ? 1 : 0}, nonblock ${o.nonblock ? 1 : 0})`,
          specLines: [s.line], specText: s.text, expect: s.expect(x, lowest),
        });
      }
    }
    return out;
  }
}

/** Calls whose result KAPI's runtime checks would change, for one check. */
export interface EnforcementChange {
  /** `param-count` or the parameter's name. */
  readonly check: string;
  readonly line: number;
  readonly text: string;
  /** Judged points the check would turn into EINVAL. */
  readonly points: number;
  /** Their results today: `ok` (a working call it would break) or an errno, with counts. */
  readonly today: Readonly<Record<string, number>>;
  /** The lightest point for each result today (a working call first), a few. */
  readonly examples: ReadonlyArray<{ readonly call: Call; readonly env: Env; readonly today: string; readonly counterexample: string }>;
}

const ENFORCEMENT_EXAMPLES = 3;

/** A counter-example's size, compared lexicographically: environment first (a namespace counts twice), then registers. */
function weight(call: Call, env: Env, root: Env): number[] {
  const c = env.creds;
  const r = root.creds;
  const diff = [c.uid !== r.uid, c.gid !== r.gid, c.groups.length > 0, c.caps !== r.caps, c.namespaces !== r.namespaces, c.namespaces !== r.namespaces,
    env.pingGroupRange[0] !== root.pingGroupRange[0] || env.pingGroupRange[1] !== root.pingGroupRange[1],
    env.mptcpEnabled !== root.mptcpEnabled, env.fileMax !== root.fileMax, env.nrOpen !== root.nrOpen, env.nrFiles !== root.nrFiles,
    env.unixSockets !== root.unixSockets, env.rlimitNofile !== root.rlimitNofile, env.seccomp.length > 0,
    env.fds.entries.length !== root.fds.entries.length || env.fds.entries.some((e, k) => e.fd !== root.fds.entries[k]?.fd || e.cloexec || e.nonblock) || env.fds.maxFds !== root.fds.maxFds,
  ].filter(Boolean).length;
  const missing = CAP_NAMES.length - capNames(c.caps).length;
  const numbers = (['fileMax', 'nrOpen', 'nrFiles', 'unixSockets', 'rlimitNofile'] as const)
    .reduce((s, k) => s + (env[k] === root[k] ? 0 : Math.min(env[k], 1e9)), 0) + env.fds.entries.length + c.uid + c.gid;
  const weight = (v: Reg): number => (regFits32(v) ? 0 : 2 ** 40) + Math.abs(i32(v));
  return [diff, missing, numbers, call.entry === 'x86_64' ? 0 : 1, weight(call.a0), weight(call.a1), weight(call.a2)];
}

function lighter(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Simpler neighbours of a register value. */
function registerCandidates(v: Reg): Reg[] {
  const n = i32(v);
  const out = [0, 1, 2, 3, n & SOCK_TYPE_MASK, n & ~(SOCK_CLOEXEC | SOCK_NONBLOCK), n & ~SOCK_CLOEXEC, n & ~SOCK_NONBLOCK, Math.trunc(n / 2), n > 0 ? n - 1 : n + 1, -n]
    .map((c) => (c | 0) >>> 0);
  if (!regFits32(v)) out.unshift(regLo(v));
  return out;
}

/** Simpler neighbours of an environment: one field back to the root's, a capability given back, a number smaller. */
function envCandidates(env: Env, root: Env): Env[] {
  const out: Env[] = [];
  const c = env.creds;
  out.push({ ...env, seccomp: [] }, { ...env, fds: root.fds }, { ...env, pingGroupRange: root.pingGroupRange }, { ...env, mptcpEnabled: root.mptcpEnabled });
  for (const k of ['fileMax', 'nrOpen', 'nrFiles', 'unixSockets', 'rlimitNofile'] as const) {
    out.push({ ...env, [k]: root[k] });
    for (const v of [0, 1, 2, 3, env.fds.entries.length, Math.floor(env[k] / 2), env[k] - 1]) if (v >= 0 && v < env[k]) out.push({ ...env, [k]: v });
  }
  env.fds.entries.forEach((e, k) => {
    if (e.fd > 2 || env.fds.entries.length > 3) out.push({ ...env, fds: { entries: env.fds.entries.filter((_, j) => j !== k) } });
  });
  out.push({ ...env, creds: { ...c, namespaces: 'init' } }, { ...env, creds: { ...c, uid: 0 } }, { ...env, creds: { ...c, gid: 0 } }, { ...env, creds: { ...c, groups: [] } }, { ...env, creds: { ...c, caps: ALL_CAPS } });
  for (let i = 0; i < CAP_NAMES.length; i++) if ((Math.floor(c.caps / 2 ** i) & 1) === 0) out.push({ ...env, creds: { ...c, caps: c.caps + 2 ** i } });
  return out;
}

/** Shrinks a counter-example greedily while the point still shows the draft `key`. */
export function shrink(judge: SpecJudge, key: string | ((j: Judged) => boolean), call: Call, env: Env, root: Env, budget = 2000): { call: Call; env: Env } {
  const keeps = typeof key === 'string' ? (j: Judged): boolean => j.drafts.some((d) => d.key === key) : key;
  let cur = { call, env };
  let w = weight(call, env, root);
  let left = budget;
  const tryOne = (cand: { call: Call; env: Env }): boolean => {
    const cw = weight(cand.call, cand.env, root);
    if (!lighter(cw, w) || left-- <= 0) return false;
    if (!keeps(judge.judge(cand.call, cand.env))) return false;
    cur = cand;
    w = cw;
    return true;
  };
  let progress = true;
  while (progress && left > 0) {
    progress = false;
    for (const e of envCandidates(cur.env, root)) if (tryOne({ call: cur.call, env: e })) { progress = true; break; }
    if (progress) continue;
    if (cur.call.entry !== 'x86_64' && tryOne({ call: { ...cur.call, entry: 'x86_64' }, env: cur.env })) { progress = true; continue; }
    for (const reg of ['a0', 'a1', 'a2'] as const) {
      for (const v of registerCandidates(cur.call[reg])) if (tryOne({ call: { ...cur.call, [reg]: v }, env: cur.env })) { progress = true; break; }
      if (progress) break;
    }
  }
  return cur;
}

/** Whether two environments agree on everything a decision reads (the profile aside). */
function sameEnv(a: Env, b: Env): boolean {
  const { profile: _a, ...x } = a;
  const { profile: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
}

/** The class an environment belongs to, if it is one of the bounded space's; `shrunk` otherwise. */
function classOf(env: Env, profile: KernelProfile): string {
  return ENV_CLASSES.find((c) => c.calls === 'full' && sameEnv(c.env(profile), env))?.id ?? 'shrunk';
}

/**
 * Every contradiction between `spec` and the model on `profile`, over the kernel environment
 * classes of the bounded space and seeded fuzzed tuples and environments (seccomp stacks
 * included: points a filter decides are a policy, counted apart and not judged).
 */
export function findContradictions(
  spec: ParsedSpec,
  profile: KernelProfile,
  fuzz: { readonly seed: number; readonly runs: number } = { seed: 0x5bec, runs: 100000 },
): {
  contradictions: Contradiction[]; unstated: Contradiction[]; orderCounts: Record<string, number>; enforcement: EnforcementChange[];
  /** Each errno the judged points returned (seccomp's aside), with the clauses that returned it. */
  producedBy: Record<string, Set<string>>; judge: SpecJudge; points: number; policyPoints: number;
} {
  const judge = new SpecJudge(spec);
  const root = ENV_CLASSES[0].env(profile);
  const found = new Map<string, { draft: Draft; call: Call; env: Env; w: number[]; points: number; clause: string }>();
  const pairs = new Map<string, { call: Call; env: Env; w: number[]; points: number; clause: string }>();
  const enforced = new Map<string, { check: RuntimeCheck; points: number; today: Record<string, number>; examples: Map<string, { call: Call; env: Env; w: number[] }> }>();
  const produced = new Set<string>();
  const causeCounts: Record<string, number> = {};
  const producedBy: Record<string, Set<string>> = {};
  const refuted = new Set<number>();
  let points = 0;
  let policyPoints = 0;
  const visit = (call: Call, env: Env): void => {
    points++;
    const j = judge.judge(call, env);
    if (j.policy) { policyPoints++; return; }
    produced.add(j.result);
    if (j.outcome.kind === 'errno') (producedBy[j.result] ??= new Set()).add(j.clause);
    // The point's weight, computed once and only where something is kept.
    let wc: number[] | undefined;
    const wOf = (): number[] => (wc ??= weight(call, env, root));
    for (const p of j.seen) causeCounts[p] = (causeCounts[p] ?? 0) + 1;
    for (const p of j.pairs) {
      const old = pairs.get(p);
      const w = wOf();
      if (old === undefined) pairs.set(p, { call, env, w, points: 1, clause: j.clause });
      else {
        old.points++;
        if (lighter(w, old.w)) Object.assign(old, { call, env, w, clause: j.clause });
      }
    }
    if (j.enforced !== undefined) {
      const e = enforced.get(j.enforced.id) ?? { check: j.enforced, points: 0, today: {} as Record<string, number>, examples: new Map() };
      enforced.set(j.enforced.id, e);
      e.points++;
      e.today[j.result] = (e.today[j.result] ?? 0) + 1;
      const w = wOf();
      const ex = e.examples.get(j.result);
      if (ex === undefined || lighter(w, ex.w)) e.examples.set(j.result, { call, env, w });
    }
    for (const d of j.drafts) {
      if (d.refutes !== undefined) refuted.add(d.refutes);
      const old = found.get(d.key);
      if (old !== undefined) {
        old.points++;
        const w = wOf();
        if (lighter(w, old.w)) Object.assign(old, { call, env, w });
      } else found.set(d.key, { draft: d, call, env, w: wOf(), points: 1, clause: j.clause });
    }
  };
  for (const cls of ENV_CLASSES) {
    if (cls.calls !== 'full') continue;
    const env = cls.env(profile);
    // A socket() spec is judged by socket() calls; the space's socketpair cut is not its business.
    for (const call of classCalls(cls)) if (call.syscall !== 'socketpair') visit(call, env);
    // The i386 socketcall entry's own error: its argument block unreadable.
    visit(UNREADABLE_BLOCK_CALL, env);
  }
  for (const [call, env] of fc.sample(fc.tuple(callArb(), envArb({ profile })), { seed: fuzz.seed, numRuns: fuzz.runs })) visit(call, env);
  // The calls the spec shows as working, as root.
  const examples: Contradiction[] = [];
  for (const ex of judge.examples) {
    const call: Call = { a0: ex.family >>> 0, a1: ex.type >>> 0, a2: ex.protocol >>> 0, entry: 'x86_64' };
    points++;
    const d = evaluate(call, root);
    if (d.outcome.kind === 'fd') continue;
    const title = `the spec shows ${ex.text} as a working call, yet the kernel returns ${resultString(d.outcome)}`;
    examples.push({
      class: 'success-path', title, item: `example|${ex.line}|${ex.text}`, itemTitle: title, itemResults: false,
      specLines: [ex.line], specText: ex.text, clause: d.trace[d.trace.length - 1], call, env: root, envClass: 'root',
      counterexample: formatStrace(call, d.outcome), model: resultString(d.outcome), expect: 'ok', points: 1,
    });
  }
  const out: Contradiction[] = [];
  for (const g of found.values()) {
    const small = shrink(judge, g.draft.key, g.call, g.env, root);
    // A counter-example a kernel in QEMU can replay exactly (fs.file-max 1 for 0, …), where that keeps it one.
    const vm = vmReproducible(small.env);
    const s = judge.judge(small.call, vm).drafts.some((d) => d.key === g.draft.key) ? { call: small.call, env: vm } : small;
    const j = judge.judge(s.call, s.env);
    const d = j.drafts.find((x) => x.key === g.draft.key) ?? g.draft;
    out.push({
      class: d.class, title: d.title, specLines: d.specLines, specText: d.specText, clause: j.clause, call: s.call, env: s.env,
      envClass: classOf(s.env, profile), counterexample: formatStrace(s.call, j.outcome), model: j.result, expect: d.expect, points: g.points,
      item: d.item, itemTitle: d.itemTitle, itemResults: d.itemResults,
    });
  }
  out.push(...examples);
  // Pairs of causes of listed errors whose order the spec leaves open, each with a shrunk
  // counter-example; and the order of the errors. A cause shown wrong anywhere (it held and the
  // kernel did otherwise) says nothing of order until it is fixed: pairs with one are left out.
  const sound = (p: string): boolean => p.split(/[>+]/).every((i) => !refuted.has(Number(i)));
  const orderCounts: Record<string, number> = {};
  for (const [raw, n] of Object.entries(causeCounts)) {
    const p = judge.resolvePair(raw);
    if (p === undefined || !sound(raw)) continue;
    const [a, b] = p.split('>').map((i) => judge.causes[Number(i)]);
    orderCounts[`${a.errno}>${b.errno}`] = (orderCounts[`${a.errno}>${b.errno}`] ?? 0) + n;
  }
  // One entry per resolved pair of causes: the lightest of its judged forms.
  const resolved = new Map<string, { raws: string[]; call: Call; env: Env; w: number[]; points: number }>();
  for (const [raw, g] of pairs) {
    const p = judge.resolvePair(raw);
    if (p === undefined || !sound(raw)) continue;
    const r = resolved.get(p);
    if (r === undefined) resolved.set(p, { raws: [raw], call: g.call, env: g.env, w: g.w, points: g.points });
    else {
      r.raws.push(raw);
      r.points += g.points;
      if (lighter(g.w, r.w)) Object.assign(r, { call: g.call, env: g.env, w: g.w });
    }
  }
  const unstated: Contradiction[] = [];
  for (const [p, g] of resolved) {
    const [a, b] = p.split('>').map((i) => judge.causes[Number(i)]);
    const s = shrink(judge, (j) => j.pairs.some((x) => g.raws.includes(x)), g.call, g.env, root);
    const j = judge.judge(s.call, s.env);
    const title = `where "${a.text}" (${a.errno}) and "${b.text}" (${b.errno}) both hold, the kernel returns ${a.errno}: the spec does not say which comes first`;
    unstated.push({
      class: 'order', title, item: `unstated|${a.line}|${a.text}>${b.line}|${b.text}`, itemTitle: title, itemResults: false,
      specLines: [...new Set([a.line, b.line])], specText: `${a.errno}: ${a.text}; ${b.errno}: ${b.text}`,
      clause: j.clause, call: s.call, env: s.env, envClass: classOf(s.env, profile), counterexample: formatStrace(s.call, j.outcome), model: j.result, expect: a.errno, points: g.points,
    });
  }
  const enforcement: EnforcementChange[] = [...enforced.values()].map((e) => ({
    check: e.check.id, line: e.check.line, text: e.check.text, points: e.points, today: e.today,
    examples: [...e.examples.entries()].sort(([a], [b]) => (a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b))).slice(0, ENFORCEMENT_EXAMPLES)
      .map(([today, x]) => ({ call: x.call, env: x.env, today, counterexample: formatStrace(x.call, evaluate(x.call, x.env).outcome) })),
  }));
  // "No input can produce it": no clause of the model returns it, and it is neither an errno of
  // memory exhaustion (real but not an input) nor ENOSYS (which seccomp can produce for any call).
  const modelled = new Set(SOCKET_CLAUSES.map((c) => c.errno).filter((e): e is string => e !== null));
  for (const e of spec.errors) {
    const name = String(e.name);
    if (!produced.has(name) && !modelled.has(name) && !['ENOMEM', 'ENOBUFS', 'ENOSYS'].includes(name)) {
      const title = `${name} is listed, but no input makes the kernel return it (no clause of the model returns it)`;
      out.push({
        class: 'never-produced', title, item: `never|${name}`, itemTitle: title, itemResults: false, specLines: [e.line],
        specText: String(e.description ?? ''), clause: '-', call: { a0: 0, a1: 0, a2: 0, entry: 'x86_64' }, env: root, envClass: '-',
        counterexample: '-', model: '-', points: 0,
      });
    }
  }
  for (const i of checkConsistency(spec)) {
    out.push({
      class: 'internal', title: i.title, item: `internal|${i.title}`, itemTitle: i.title, itemResults: false, specLines: i.lines, specText: i.detail, clause: '-', call: { a0: 0, a1: 0, a2: 0, entry: 'x86_64' },
      env: root, envClass: '-', counterexample: '-', model: '-', points: 0,
    });
  }
  return { contradictions: out, unstated, orderCounts, enforcement, producedBy, judge, points, policyPoints };
}

/** The counter-example's environment in words: what differs from uid 0 with every capability in the initial namespaces. */
export function envWords(c: Contradiction): string {
  const e = c.env;
  const caps = capNames(e.creds.caps);
  const missing = CAP_NAMES.filter((n) => !caps.includes(n));
  const capText = missing.length === 0 ? 'all capabilities' : caps.length === 0 ? 'no capabilities'
    : missing.length <= caps.length ? `all capabilities but ${missing.join(',')}` : caps.join(',');
  const root = ENV_CLASSES[0].env(e.profile);
  const parts = [`uid ${e.creds.uid}`, ...(e.creds.gid !== e.creds.uid ? [`gid ${e.creds.gid}`] : []), ...(e.creds.groups.length ? [`groups ${e.creds.groups.join(',')}`] : []), capText, `namespaces ${e.creds.namespaces}`];
  if (e.rlimitNofile !== root.rlimitNofile) parts.push(`RLIMIT_NOFILE ${e.rlimitNofile}`);
  if (e.fds.entries.map((x) => x.fd).join() !== root.fds.entries.map((x) => x.fd).join()) parts.push(`open fds ${e.fds.entries.map((x) => x.fd).join(',')}`);
  if (e.pingGroupRange.join() !== root.pingGroupRange.join()) parts.push(`ping_group_range ${e.pingGroupRange.join(' ')}`);
  if (e.mptcpEnabled !== root.mptcpEnabled) parts.push(`net.mptcp.enabled ${e.mptcpEnabled ? 1 : 0}`);
  if (e.fileMax !== root.fileMax) parts.push(`fs.file-max ${e.fileMax}`);
  if (e.nrOpen !== root.nrOpen) parts.push(`fs.nr_open ${e.nrOpen}`);
  if (e.nrFiles !== root.nrFiles) parts.push(`${e.nrFiles} files open`);
  if (e.unixSockets !== root.unixSockets) parts.push(`${e.unixSockets} unix sockets`);
  if (e.seccomp.length > 0) parts.push(`${e.seccomp.length} seccomp filters`);
  return `${c.envClass}: ${parts.join(', ')}`;
}
