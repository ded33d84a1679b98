// `sockspec explain 'socket(AF_PACKET, SOCK_STREAM, 0)'`: one call, its decision trace in words,
// each clause with the kernel function it cites.
// Sources: model/clauses.ts (titles and citations), model/names.ts (strace formatting).

import {
  capNames, clauseById, evaluate, formatCall, formatStrace,
  type Call, type Decision, type Env,
} from '../model';
import { disassemble } from '../model/seccomp/bpf';
import { ContractError } from './errors';
import { parseCall } from './request';

/**
 * Parses `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)` (the `socket` and parentheses optional),
 * `socketpair(AF_UNIX, SOCK_STREAM, 0[, sv])` (sv: anything for a writable vector, NULL for an
 * unwritable one), or `socketcall(SYS_SOCKET, NULL)` / `socketcall(SYS_SOCKETPAIR, NULL)`: the
 * i386 socketcall with an unreadable argument block, as `formatCall` writes it (its registers,
 * never read, are 0).
 */
export function parseCallText(text: string): Call {
  const unreadable = /^\s*socketcall\s*\(\s*(SYS_SOCKET|1|SYS_SOCKETPAIR|8)\s*,\s*(?:NULL|0x0*|0)\s*\)\s*$/i.exec(text);
  if (unreadable !== null) {
    const pair = /^(SYS_SOCKETPAIR|8)$/i.test(unreadable[1]);
    return parseCall({ family: 0, type: 0, protocol: 0, entry: 'i386-socketcall', block: 'unreadable', ...(pair ? { syscall: 'socketpair' } : {}) });
  }
  const p = /^\s*socketpair\s*\(\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*([^,)]+?)\s*(?:,\s*([^)]*?)\s*)?\)\s*$/.exec(text);
  if (p !== null) {
    const sv = p[4] === undefined || !/^(NULL|0x0*|0)$/i.test(p[4]) ? {} : { sv: 'unwritable' };
    return parseCall({ syscall: 'socketpair', family: p[1], type: p[2], protocol: p[3], ...sv });
  }
  const m = /^\s*(?:socket\s*)?\(?\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*([^,)]+?)\s*\)?\s*$/.exec(text);
  if (m === null) throw new ContractError('call', `expected socket(FAMILY, TYPE, PROTOCOL) or socketcall(SYS_SOCKET, NULL), got ${JSON.stringify(text)}`);
  return parseCall({ family: m[1], type: m[2], protocol: m[3] });
}

function envLine(env: Env): string {
  const c = env.creds;
  const caps = capNames(c.caps);
  const capText = caps.length === 41 ? 'all' : caps.length === 0 ? 'none' : caps.join(',');
  const fds = env.fds.entries.map((e) => e.fd).join(',');
  return `kernel ${env.profile.name}; uid ${c.uid} gid ${c.gid}${c.groups.length ? ` groups ${c.groups.join(',')}` : ''}; ` +
    `caps ${capText}; namespaces ${c.namespaces}; ping_group_range ${env.pingGroupRange.join(' ')}; ` +
    `mptcp ${env.mptcpEnabled ? 1 : 0}; RLIMIT_NOFILE ${env.rlimitNofile}; open fds [${fds}]; seccomp filters ${env.seccomp.length}`;
}

/** The explanation as lines of text. */
export function explain(call: Call, env: Env, d: Decision = evaluate(call, env)): string[] {
  const out = [formatStrace(call, d.outcome), `  ${envLine(env)}`, '', `  decision path of ${formatCall(call)}:`];
  d.trace.forEach((id, i) => {
    const c = clauseById(id);
    const last = i === d.trace.length - 1;
    const verdict = last ? (d.outcome.kind === 'fd' || d.outcome.kind === 'pair' ? 'DECIDES: success' : `DECIDES: ${d.outcome.kind === 'errno' ? d.outcome.errno : d.outcome.kind}`) : (c?.errno === null ? 'applies' : 'passes');
    out.push(`  ${String(i + 1).padStart(2)}. ${id.padEnd(24)} ${verdict}`);
    if (c !== undefined) out.push(`      ${c.title}`, `      [${c.cite}]`);
  });
  if (env.seccomp.length > 0) {
    out.push('', '  seccomp stack (oldest first):');
    env.seccomp.forEach((f, i) => {
      out.push(`    filter ${i}${f.label ? ` (${f.label})` : ''}:`);
      for (const l of disassemble(f.prog)) out.push(`      ${l}`);
    });
  }
  return out;
}
