// The text of a KAPI socket() spec made to agree with the kernels: its errors rewritten with the
// causes the kernels have (each model clause that returned the error, in the kernels' path order,
// as a condition the checker reads where one is known to be exact, else in the model's words),
// errors nothing produces removed, the KAPI_CAPABILITY list completed from the capability checks
// the kernels made (with the namespace each counts in), the order of the errors stated where the
// kernels keep one, wrong parameter sentences and failing examples removed, constraint types the
// kernel does not enforce made NONE, and the counts made true. Edits keep the input's layout: the
// lines of a patch (a leading `+`) stay patch lines, and a patch hunk that grows or shrinks gets
// its new line count. What it writes is proven by checking the result again (engine/spec-fix.ts).
// Sources: model/clauses.ts (the clauses and their titles), spec/formalize.ts (the words it reads).

import { clauseById, errnoMessage } from '../model';
import type { Item, ParsedSpec } from './parse';

/**
 * Each clause's cause as a condition spec/formalize.ts reads, where the condition is exact on
 * every kernel (the configuration-dependent ones name the kernel's own tables, read from the
 * profile). A clause absent here is written in the model's words, informal.
 */
const FORMAL: Readonly<Record<string, string | readonly string[]>> = {
  'socketcall-args': "the i386 socketcall entry's argument block cannot be read",
  'G1-flags': 'invalid flags in type ((type & ~SOCK_TYPE_MASK) & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))',
  'G2-family-range': 'family < 0 || family >= NPROTO (46)',
  'G3-type-range': '(type & SOCK_TYPE_MASK) >= SOCK_MAX (11)',
  'G8-family-registered': 'protocol family not registered in net_families[]',
  'unix-proto': 'AF_UNIX: protocol != 0 && protocol != PF_UNIX',
  'unix-type': 'AF_UNIX: type not in {STREAM, DGRAM, SEQPACKET, RAW}',
  'inet-proto-range': 'AF_INET with type != SOCK_PACKET: protocol < 0 || protocol >= IPPROTO_MAX (263)',
  'inet-type': 'AF_INET with type != SOCK_PACKET: no protocol registered for the type in inetsw[]',
  'inet-proto': 'AF_INET with type != SOCK_PACKET: protocol not found in inetsw[] array',
  'inet-raw-cap': 'AF_INET with SOCK_RAW: missing CAP_NET_RAW in the user namespace owning the network namespace',
  'inet6-proto-range': 'AF_INET6: protocol < 0 || protocol >= IPPROTO_MAX (263)',
  'inet6-type': 'AF_INET6: no protocol registered for the type in inetsw[]',
  'inet6-proto': 'AF_INET6: protocol not found in inetsw[] array',
  'inet6-raw-cap': 'AF_INET6 with SOCK_RAW: missing CAP_NET_RAW in the user namespace owning the network namespace',
  'key-cap': 'AF_KEY: missing CAP_NET_ADMIN in the user namespace owning the network namespace',
  'key-type': 'AF_KEY: type not in {RAW}',
  'key-proto': 'AF_KEY: protocol != 2',
  'netlink-type': 'AF_NETLINK: type not in {RAW, DGRAM}',
  'netlink-proto-range': 'AF_NETLINK: protocol < 0 || protocol >= MAX_LINKS (32)',
  // AF_INET with SOCK_PACKET is created as AF_PACKET (G4-inet-packet), through the same check.
  'packet-cap': ['AF_PACKET: missing CAP_NET_RAW in the user namespace owning the network namespace', 'AF_INET with SOCK_PACKET: missing CAP_NET_RAW in the user namespace owning the network namespace'],
  'packet-type': 'AF_PACKET: type not in {DGRAM, RAW, PACKET}',
  'rds-type-proto': 'AF_RDS: (type & SOCK_TYPE_MASK) != SOCK_SEQPACKET || protocol != 0',
  'can-proto-range': 'AF_CAN: protocol < 0 || protocol >= 8',
  'tipc-proto': 'AF_TIPC: protocol != 0',
  'tipc-type': 'AF_TIPC: type not in {STREAM, SEQPACKET, DGRAM, RDM}',
  'bt-proto-range': 'AF_BLUETOOTH: protocol < 0 || protocol >= 9',
  'alg-type': 'AF_ALG: type not in {SEQPACKET}',
  'alg-proto': 'AF_ALG: protocol != 0',
  'vsock-proto': 'AF_VSOCK: protocol != 0 && protocol != 40',
  'vsock-type': 'AF_VSOCK: type not in {DGRAM, STREAM, SEQPACKET}',
  'kcm-type': 'AF_KCM: type not in {DGRAM, SEQPACKET}',
  'kcm-proto': 'AF_KCM: protocol != 0',
  'qrtr-type': 'AF_QIPCRTR: type not in {DGRAM}',
  'smc-type': 'AF_SMC: type not in {STREAM}',
  'smc-proto': 'AF_SMC: protocol != 0 && protocol != 1',
  'xdp-cap': 'AF_XDP: missing CAP_NET_RAW in the user namespace owning the network namespace',
  'xdp-type': 'AF_XDP: type not in {RAW}',
  'xdp-proto': 'AF_XDP: protocol != 0',
  'mctp-proto': 'AF_MCTP: protocol != 0',
  'mctp-type': 'AF_MCTP: type not in {DGRAM}',
};

/** The calls a capability row checks, as a KAPI_CAP_CONDITION; a row absent here gets its condition in words. */
const CAP_ROWS: Readonly<Record<string, string>> = {
  'inet-raw-cap': 'family == AF_INET && (type & SOCK_TYPE_MASK) == SOCK_RAW',
  'inet6-raw-cap': 'family == AF_INET6 && (type & SOCK_TYPE_MASK) == SOCK_RAW',
  'packet-cap': 'family == AF_PACKET || (family == AF_INET && (type & SOCK_TYPE_MASK) == SOCK_PACKET)',
  'xdp-cap': 'family == AF_XDP',
  'key-cap': 'family == AF_KEY',
  'bt-l2cap-raw-cap': 'family == AF_BLUETOOTH && (type & SOCK_TYPE_MASK) == SOCK_RAW && protocol == 0',
  'G14-file-max': '1',
};

/** A clause's causes as the fixed spec states them: formal where known and not refused, else its family and the model's words. */
export function causeTexts(clause: string, prose: ReadonlySet<string>): readonly string[] {
  const formal = FORMAL[clause];
  if (formal !== undefined && !prose.has(clause)) return typeof formal === 'string' ? [formal] : formal;
  const c = clauseById(clause);
  const words = (c?.title ?? clause).replace(/;/g, ',');
  return [c !== undefined && c.group.startsWith('AF_') ? `${c.group}: ${words}` : words];
}

/** Whether a clause's cause is written as a condition (the checker formalizes it). */
export function isFormal(clause: string, prose: ReadonlySet<string>): boolean {
  return FORMAL[clause] !== undefined && !prose.has(clause);
}

/** One capability check the kernels made: the row, the capability, where it counts, whether it guards a limit. */
export interface CapabilityRow {
  readonly row: string;
  readonly cap: string;
  readonly scope: 'capable' | 'ns_capable' | 'unknown';
  readonly bypass: boolean;
}

/** What the fix changes, decided by the engine from the checks of every kernel. */
export interface FixPlan {
  /** Each error the kernels return, with the clauses that returned it, in path order. */
  readonly errors: ReadonlyArray<{ readonly errno: string; readonly clauses: readonly string[] }>;
  /** Listed errors kept as the spec has them (no input of the model produces them, but they are real: memory, seccomp). */
  readonly keep: ReadonlySet<string>;
  /** Clauses whose condition proved wrong on some kernel: written in words. */
  readonly prose: ReadonlySet<string>;
  readonly capabilities: readonly CapabilityRow[];
  /** Sentences of the "Error order" constraint. */
  readonly order: readonly string[];
  /** Parameter constraint sentences to delete: the parameter's line and the sentence. */
  readonly dropSentences: ReadonlyArray<{ readonly line: number; readonly text: string }>;
  /** Parameters (by line) whose KAPI_PARAM_CONSTRAINT_TYPE becomes KAPI_CONSTRAINT_NONE. */
  readonly unenforce: readonly number[];
  /** Example calls (their text) to delete with the comment line before them. */
  readonly dropExamples: readonly string[];
}

interface Edit {
  /** 1-based first line replaced; `to` < `from` inserts before `from`. */
  readonly from: number;
  readonly to: number;
  readonly lines: readonly string[];
}

/** The last line of the macro call that starts on `line` (parentheses balanced, strings skipped). */
function macroEnd(lines: readonly string[], line: number): number {
  let depth = 0;
  let started = false;
  for (let i = line - 1; i < lines.length; i++) {
    const l = lines[i];
    for (let k = 0; k < l.length; k++) {
      const ch = l[k];
      if (ch === '"') {
        for (k++; k < l.length && l[k] !== '"'; k++) if (l[k] === '\\') k++;
      } else if (ch === '/' && l[k + 1] === '*') {
        const end = l.indexOf('*/', k + 2);
        if (end < 0) break;
        k = end + 1;
      } else if (ch === '(') { depth++; started = true; } else if (ch === ')') {
        depth--;
        if (started && depth === 0) return i + 1;
      }
    }
  }
  return line;
}

/** The first line from `line` on holding `word`. */
function lineWith(lines: readonly string[], line: number, word: string): number {
  for (let i = line - 1; i < lines.length; i++) if (lines[i].includes(word)) return i + 1;
  return line;
}

const cString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/**
 * A macro call with string pieces, one per line, in the file's style: after a head that ends in a
 * comma (more arguments before the strings) the pieces start on the next line.
 */
function macroLines(pre: string, indent: string, head: string, pieces: readonly string[], tail = ')'): string[] {
  if (pieces.length === 0) return [`${pre}${indent}${head}${tail}`];
  const pad = `${indent}\t   `;
  const body = pieces.map((p, i) => `${cString(p)}${i === pieces.length - 1 ? tail : ''}`);
  if (head.endsWith(',')) return [`${pre}${indent}${head}`, ...body.map((b) => `${pre}${pad}${b}`)];
  return body.map((b, i) => `${pre}${i === 0 ? `${indent}${head}` : pad}${b}`);
}

/**
 * The input file with the spec block fixed by `plan`. `text` is the whole file; `spec` its parsed
 * block (line numbers into `text`).
 */
export function fixedText(text: string, spec: ParsedSpec, plan: FixPlan): string {
  const lines = text.split('\n');
  const at = spec.errors[0]?.line ?? spec.line + 1;
  const pre = lines[at - 1].startsWith('+') ? '+' : '';
  const indent = /^\+?(\s*)/.exec(lines[at - 1])?.[1] ?? '\t';
  const edits: Edit[] = [];
  const byName = new Map(spec.errors.map((e) => [String(e.name), e]));

  // Errors: the kept ones as they are, then every error the kernels return, with its causes.
  const errLines: string[] = [];
  let index = 0;
  const kept = spec.errors.filter((e) => plan.keep.has(String(e.name)) && !plan.errors.some((x) => x.errno === String(e.name)));
  for (const e of plan.errors) {
    const old = byName.get(e.errno);
    const short = old !== undefined ? String(old.short ?? e.errno) : errnoMessage(e.errno);
    const lead = old !== undefined ? String(old.description ?? '').split(/\s*\b(?:Returned (?:when|by)\b|Can occur|Not directly)/)[0].trim() : '';
    const causes = e.clauses.flatMap((c) => causeTexts(c, plan.prose));
    const pieces = [...(lead !== '' ? [`${lead} `] : []), 'Returned when: ', ...causes.map((c, i) => `${c}${i < causes.length - 1 ? '; ' : '.'}`)];
    errLines.push(...macroLines(pre, indent, `KAPI_ERROR(${index++}, -${e.errno}, "${e.errno}", ${cString(short)},`, pieces));
  }
  for (const e of kept) {
    errLines.push(...macroLines(pre, indent, `KAPI_ERROR(${index++}, -${String(e.name)}, "${String(e.name)}", ${cString(String(e.short ?? e.name))},`, [String(e.description ?? '')]));
  }
  if (spec.errors.length > 0) {
    const first = spec.errors[0].line;
    const last = macroEnd(lines, spec.errors[spec.errors.length - 1].line);
    edits.push({ from: first, to: last, lines: errLines });
  }
  const count = spec.counts.ERROR;
  if (count !== undefined) edits.push({ from: count.line, to: count.line, lines: [lines[count.line - 1].replace(/KAPI_ERROR_COUNT\(\d+\)/, `KAPI_ERROR_COUNT(${index})`)] });

  // Capabilities: one entry per capability demanded, one per limit a capability lets a caller past.
  const capLines: string[] = [];
  let capIndex = 0;
  const demanded = [...new Set(plan.capabilities.filter((c) => !c.bypass).map((c) => c.cap))];
  for (const cap of demanded) {
    const rows = plan.capabilities.filter((c) => c.cap === cap && !c.bypass);
    const conds = rows.map((r) => CAP_ROWS[r.row] ?? `${clauseById(r.row)?.group ?? ''} ${clauseById(r.row)?.title ?? r.row}`);
    const formal = rows.every((r) => CAP_ROWS[r.row] !== undefined);
    const cond = formal ? conds.map((c) => (conds.length > 1 ? `(${c})` : c)).join(' || ') : conds.join('; ');
    const scopes = [...new Set(rows.map((r) => r.scope))];
    const where = scopes.map((s) => (s === 'ns_capable' ? 'in the user namespace that owns the network namespace (ns_capable)' : s === 'capable' ? 'in the initial user namespace (capable)' : 'where the kernel checks it'));
    const where2 = scopes.length > 1 ? rows.map((r) => `${r.row}: ${r.scope === 'ns_capable' ? 'netns owner' : 'initial user namespace'}`).join(', ') : where[0];
    capLines.push(`${pre}${indent}KAPI_CAPABILITY(${capIndex++}, ${cap}, "${cap}", KAPI_CAP_GRANT_PERMISSION)`,
      `${pre}${indent}\tKAPI_CAP_CONDITION(${cString(cond)})`,
      `${pre}${indent}\tKAPI_CAP_ALLOWS(${cString(`Creating these sockets; counted ${where2}`)})`,
      `${pre}${indent}\tKAPI_CAP_WITHOUT(${cString('The call is refused: permission denied')})`,
      `${pre}${indent}KAPI_CAPABILITY_END`);
  }
  for (const r of plan.capabilities.filter((c) => c.bypass)) {
    capLines.push(`${pre}${indent}KAPI_CAPABILITY(${capIndex++}, ${r.cap}, "${r.cap}", KAPI_CAP_BYPASS_CHECK)`,
      `${pre}${indent}\tKAPI_CAP_CONDITION(${cString(CAP_ROWS[r.row] ?? '1')})`,
      `${pre}${indent}\tKAPI_CAP_ALLOWS(${cString(`Past the limit: ${clauseById(r.row)?.title ?? r.row}; counted ${r.scope === 'capable' ? 'in the initial user namespace (capable)' : 'in the user namespace that owns the network namespace (ns_capable)'}`)})`,
      `${pre}${indent}\tKAPI_CAP_WITHOUT(${cString('The limit applies')})`,
      `${pre}${indent}KAPI_CAPABILITY_END`);
  }
  const capCount = spec.counts.CAPABILITY;
  if (spec.capabilities.length > 0) {
    const first = spec.capabilities[0].line;
    const last = lineWith(lines, spec.capabilities[spec.capabilities.length - 1].line, 'KAPI_CAPABILITY_END');
    edits.push({ from: first, to: last, lines: capLines });
    if (capCount !== undefined) edits.push({ from: capCount.line, to: capCount.line, lines: [lines[capCount.line - 1].replace(/KAPI_CAPABILITY_COUNT\(\d+\)/, `KAPI_CAPABILITY_COUNT(${capIndex})`)] });
  } else if (capLines.length > 0) {
    const where = count?.line ?? macroEnd(lines, spec.errors[spec.errors.length - 1]?.line ?? at);
    edits.push({ from: where + 1, to: where, lines: [...capLines, `${pre}${indent}KAPI_CAPABILITY_COUNT(${capIndex})`] });
  }

  // The order of the errors, as one constraint (replacing one the spec has).
  const stated = spec.constraints.find((c) => /^error (order|precedence)$/i.test(String(c.name ?? '').trim()));
  const orderLines = plan.order.length === 0 ? [] : [
    ...macroLines(pre, indent, `KAPI_CONSTRAINT(${stated !== undefined ? String(stated.index) : spec.constraints.length}, "Error order",`, plan.order.map((s, i) => `${s}${i < plan.order.length - 1 ? '; ' : '.'}`)),
    `${pre}${indent}KAPI_CONSTRAINT_END`,
  ];
  if (stated !== undefined) edits.push({ from: stated.line, to: lineWith(lines, stated.line, 'KAPI_CONSTRAINT_END'), lines: orderLines });
  else if (orderLines.length > 0) {
    const lastC = spec.constraints[spec.constraints.length - 1];
    const where = lastC !== undefined ? lineWith(lines, lastC.line, 'KAPI_CONSTRAINT_END') : (count?.line ?? at);
    edits.push({ from: where + 1, to: where, lines: orderLines });
    const cc = spec.counts.CONSTRAINT;
    if (cc !== undefined) edits.push({ from: cc.line, to: cc.line, lines: [lines[cc.line - 1].replace(/KAPI_CONSTRAINT_COUNT\(\d+\)/, `KAPI_CONSTRAINT_COUNT(${spec.constraints.length + 1})`)] });
  }

  // Parameters: sentences the kernels contradict, constraint types they do not enforce.
  for (const p of spec.params) {
    const drop = plan.dropSentences.filter((d) => d.line === p.line).map((d) => d.text);
    const start = macroStart(lines, p, 'KAPI_PARAM_CONSTRAINT(');
    if (drop.length > 0 && start !== undefined && typeof p.constraint === 'string') {
      let t = p.constraint;
      for (const d of drop) t = t.replace(new RegExp(`\\s*${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.?`), '');
      const sentences = t.trim().split(/(?<=\.)\s+/);
      edits.push({ from: start, to: macroEnd(lines, start), lines: macroLines(pre, `${indent}\t`, 'KAPI_PARAM_CONSTRAINT(', sentences.map((x, i) => (i < sentences.length - 1 ? `${x} ` : x))) });
    }
    const ct = macroStart(lines, p, 'KAPI_PARAM_CONSTRAINT_TYPE(');
    if (plan.unenforce.includes(p.line) && ct !== undefined) {
      edits.push({ from: ct, to: ct, lines: [lines[ct - 1].replace(/KAPI_PARAM_CONSTRAINT_TYPE\([A-Z_]+\)/, 'KAPI_PARAM_CONSTRAINT_TYPE(KAPI_CONSTRAINT_NONE)')] });
    }
  }
  const pc = spec.counts.PARAM;
  if (pc !== undefined && pc.value !== spec.params.length) edits.push({ from: pc.line, to: pc.line, lines: [lines[pc.line - 1].replace(/KAPI_PARAM_COUNT\(\d+\)/, `KAPI_PARAM_COUNT(${spec.params.length})`)] });

  // Examples: the failing calls go, with the comment line that introduces each.
  const ex = spec.lines.examples ?? spec.lines.KAPI_EXAMPLES;
  if (plan.dropExamples.length > 0 && typeof spec.examples === 'string' && typeof ex === 'number') {
    const kept2: string[] = [];
    const src = spec.examples.split('\n');
    for (let i = 0; i < src.length; i++) {
      if (plan.dropExamples.some((d) => src[i].includes(d))) {
        if (kept2.length > 0 && /^\s*\/\*.*\*\/\s*$/.test(kept2[kept2.length - 1])) kept2.pop();
        continue;
      }
      kept2.push(src[i]);
    }
    while (kept2.length > 0 && kept2[kept2.length - 1].trim() === '') kept2.pop();
    const pieces = kept2.map((l, i) => (i < kept2.length - 1 ? `${l}\n` : l));
    edits.push({ from: ex, to: macroEnd(lines, ex), lines: macroLines(pre, indent, 'KAPI_EXAMPLES(', pieces).map((l) => l.replace(`${indent}\t   "`, `${indent}\t      "`)) });
  }

  // Apply from the bottom up, then correct the hunk that holds the block.
  edits.sort((a, b) => b.from - a.from);
  let delta = 0;
  for (const e of edits) {
    const removed = Math.max(0, e.to - e.from + 1);
    lines.splice(e.from - 1, removed, ...e.lines);
    delta += e.lines.length - removed;
  }
  if (pre === '+' && delta !== 0) {
    for (let i = at - 1; i >= 0; i--) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+),(\d+) @@/.exec(lines[i]);
      if (m === null) continue;
      lines[i] = lines[i].replace(`+${m[3]},${m[4]} @@`, `+${m[3]},${Number(m[4]) + delta} @@`);
      break;
    }
  }
  return lines.join('\n');
}

/** The line of an inner macro of item `p` (between its line and the next KAPI_PARAM_END). */
function macroStart(lines: readonly string[], p: Item, word: string): number | undefined {
  for (let i = p.line; i < lines.length; i++) {
    if (lines[i].includes('KAPI_PARAM_END')) return undefined;
    if (lines[i].includes(word)) return i + 1;
  }
  return undefined;
}
