// `sockspec explain`: one call's decision path, clause by clause, with the kernel function each
// cites. Sources: contract/explain.ts.

import type { Command } from 'commander';
import { capMask, defaultEnv, fdTable, type Env, type Namespaces } from '../../model';
import { ContractError, explain, parseCallText, parseEnv } from '../../contract';
import { intArg, listArg, parseJson, profileFor, type Io } from '../shared';

export function register(program: Command, io: Io): void {
  program
    .command('explain')
    .description("explain one call, e.g. sockspec explain 'socket(AF_PACKET, SOCK_STREAM, 0)' --caps none")
    .argument('<call>', 'socket(FAMILY, TYPE, PROTOCOL) with names or numbers')
    .option('--kernel <profile>', 'kernel profile (default: host where the executor runs)')
    .option('--env <json>', 'a whole environment as in the eval contract')
    .option('--caps <list>', 'effective capabilities, comma-separated, or "none" / "all"')
    .option('--uid <n>', 'uid', intArg('--uid'))
    .option('--gid <n>', 'gid', intArg('--gid'))
    .option('--groups <list>', 'supplementary gids, comma-separated')
    .option('--namespaces <ns>', 'init | user+net | user | net')
    .option('--rlimit-nofile <n>', 'RLIMIT_NOFILE', intArg('--rlimit-nofile'))
    .option('--open-fds <list>', 'open fds, comma-separated (default 0,1,2)')
    .option('--ping-range <lo,hi>', 'net.ipv4.ping_group_range')
    .option('--file-max <n>', 'fs.file-max', intArg('--file-max'))
    .option('--nr-open <n>', 'fs.nr_open', intArg('--nr-open', 1))
    .option('--mptcp <0|1>', 'net.mptcp.enabled', intArg('--mptcp', 0, 1))
    .option('--entry <entry>', 'x86_64 | i386 | i386-socketcall')
    .option('--block <block>', 'with --entry i386-socketcall: unreadable (the argument block pointer is NULL: EFAULT after seccomp)')
    .action(async (text: string, o: Record<string, string | number | undefined>) => {
      const profile = await profileFor(o.kernel === undefined ? undefined : String(o.kernel));
      let env: Env = o.env === undefined ? defaultEnv({ profile }) : parseEnv(parseJson(String(o.env), '--env'), profile);
      const creds = { ...env.creds };
      if (o.caps !== undefined) {
        const v = String(o.caps);
        try {
          creds.caps = v === 'all' ? defaultEnv().creds.caps : v === 'none' ? 0 : capMask(listArg(v));
        } catch (e) {
          throw new ContractError('--caps', (e as Error).message);
        }
      }
      if (o.uid !== undefined) creds.uid = Number(o.uid);
      if (o.gid !== undefined) creds.gid = Number(o.gid);
      if (o.groups !== undefined) creds.groups = listArg(String(o.groups)).map(intArg('--groups'));
      if (o.namespaces !== undefined) {
        if (!['init', 'user+net', 'user', 'net'].includes(String(o.namespaces))) throw new ContractError('--namespaces', 'expected init, user+net, user or net');
        creds.namespaces = String(o.namespaces) as Namespaces;
      }
      env = { ...env, creds };
      if (o.rlimitNofile !== undefined) env = { ...env, rlimitNofile: Number(o.rlimitNofile) };
      if (o.openFds !== undefined) env = { ...env, fds: fdTable(listArg(String(o.openFds)).map(intArg('--open-fds'))) };
      if (o.pingRange !== undefined) {
        const r = listArg(String(o.pingRange)).map(intArg('--ping-range'));
        if (r.length !== 2) throw new ContractError('--ping-range', 'expected LO,HI');
        env = { ...env, pingGroupRange: [r[0], r[1]] };
      }
      if (o.fileMax !== undefined) env = { ...env, fileMax: Number(o.fileMax) };
      if (o.nrOpen !== undefined) env = { ...env, nrOpen: Number(o.nrOpen) };
      if (o.mptcp !== undefined) env = { ...env, mptcpEnabled: Number(o.mptcp) === 1 };
      let call = parseCallText(text);
      if (o.entry !== undefined) {
        if (!['x86_64', 'i386', 'i386-socketcall'].includes(String(o.entry))) throw new ContractError('--entry', 'expected x86_64, i386 or i386-socketcall');
        call = { ...call, entry: String(o.entry) as 'x86_64' | 'i386' | 'i386-socketcall' };
        if (call.block !== undefined && call.entry !== 'i386-socketcall') throw new ContractError('--entry', `socketcall(SYS_SOCKET, NULL) is the i386-socketcall entry, not ${call.entry}`);
      }
      if (o.block !== undefined) {
        if (String(o.block) !== 'unreadable') throw new ContractError('--block', `expected unreadable, got ${JSON.stringify(o.block)}`);
        if (call.entry !== 'i386-socketcall') throw new ContractError('--block', 'only with --entry i386-socketcall (no other entry passes an argument block)');
        call = { ...call, block: 'unreadable' };
      }
      io.out(`${explain(call, env).join('\n')}\n`);
    });
}
