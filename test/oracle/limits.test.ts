// What the host oracle refuses before it sends anything: a process without the privileges the
// executor uses (root with CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN; user and network namespaces
// allowed), and an environment beyond the
// executor's fixed limits, each as a typed error naming what is wrong. Pure: no executor runs.
// Sources: oracle/host/discovery.ts, oracle/codec/requests.ts, oracle/protocol.ts.

import { ContractError } from '../../contract/errors';
import { fdTable } from '../../model/fdtable';
import { defaultEnv } from '../../model/state';
import { runRequest } from '../../oracle/host';
import { namespaceProblem, privilegeProblem, REQUIRED_CAPS } from '../../oracle/host/discovery';
import { MAX_FILTER_INSNS, MAX_FILTERS, MAX_GROUPS, MAX_LAYOUT_FD } from '../../oracle/protocol';

const status = (capEff: bigint): string => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff.toString(16).padStart(16, '0')}\n`;
const ALL = (1n << 41n) - 1n;

describe('the privileges the host oracle needs', () => {
  it('lists the capabilities the executor child uses whatever the environment', () => {
    expect(REQUIRED_CAPS.map((c) => c.name)).toEqual(['CAP_SETGID', 'CAP_SETUID', 'CAP_SYS_ADMIN']);
  });

  it('accepts root with every capability, and root without CAP_SYS_RESOURCE (this VM\'s bounding set)', () => {
    expect(privilegeProblem(0, status(ALL))).toBe('');
    expect(privilegeProblem(0, status(ALL & ~(1n << 24n)))).toBe('');
  });

  it('refuses any other uid, naming it, even with every capability', () => {
    expect(privilegeProblem(65534, status(ALL))).toMatch(/needs root \(uid 0 with CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN\).*runs as uid 65534/);
    expect(privilegeProblem(1000, undefined)).toMatch(/runs as uid 1000/);
  });

  it('refuses root without CAP_SYS_ADMIN or CAP_SETUID, naming each with the call that needs it', () => {
    const why = privilegeProblem(0, status(ALL & ~(1n << 21n) & ~(1n << 7n)));
    expect(why).toContain('CAP_SETUID (setuid and the uid map), CAP_SYS_ADMIN (unshare(CLONE_NEWNET))');
    expect(why).not.toContain('CAP_SETGID');
  });

  it('checks only the uid when /proc/self/status cannot be read', () => {
    expect(privilegeProblem(0, undefined)).toBe('');
  });

  it('refuses a machine whose user or network namespace limit is 0, naming the sysctl', () => {
    const limits = (user: string | undefined, net: string | undefined) => (f: string): string | undefined => (f.endsWith('max_user_namespaces') ? user : net);
    expect(namespaceProblem(limits('96362\n', '96362\n'))).toBe('');
    expect(namespaceProblem(limits(undefined, undefined))).toBe('');
    expect(namespaceProblem(limits('0\n', '5'))).toMatch(/new user namespaces, and \/proc\/sys\/user\/max_user_namespaces is 0.*sysctl user\.max_user_namespaces/);
    expect(namespaceProblem(limits('5', '0'))).toMatch(/new network namespaces/);
  });
});

describe("an environment beyond the executor's limits", () => {
  const refusal = (env: Parameters<typeof runRequest>[0]): ContractError => {
    try {
      runRequest(env, [{ a0: 2n, a1: 1n, a2: 0n }], 2000);
    } catch (e) {
      if (e instanceof ContractError) return e;
      throw e;
    }
    throw new Error('runRequest accepted it');
  };

  it('is bad input naming env.openFds, env.groups, env.seccomp or env.seccomp[i] and the limit', () => {
    expect(refusal(defaultEnv({ fds: fdTable([0, 1, 2, MAX_LAYOUT_FD]) }))).toMatchObject({ code: 'bad-input', field: 'env.openFds', detail: expect.stringContaining(`0..${MAX_LAYOUT_FD - 1}`) });
    const creds = { ...defaultEnv().creds, groups: Array.from({ length: MAX_GROUPS + 1 }, (_, i) => i) };
    expect(refusal(defaultEnv({ creds }))).toMatchObject({ code: 'bad-input', field: 'env.groups', detail: expect.stringContaining(`at most ${MAX_GROUPS}`) });
    const allow = { prog: [[6, 0, 0, 0x7fff0000] as [number, number, number, number]] };
    expect(refusal(defaultEnv({ seccomp: Array.from({ length: MAX_FILTERS + 1 }, () => allow) }))).toMatchObject({ field: 'env.seccomp', detail: expect.stringContaining(`at most ${MAX_FILTERS}`) });
    const long = { prog: Array.from({ length: MAX_FILTER_INSNS + 1 }, () => allow.prog[0]) };
    expect(refusal(defaultEnv({ seccomp: [allow, long] }))).toMatchObject({ field: 'env.seccomp[1]', detail: expect.stringContaining(`at most ${MAX_FILTER_INSNS}`) });
  });

  it('stops at the limits, not before: fd 2047, 32 groups and 16 filters encode', () => {
    const creds = { ...defaultEnv().creds, groups: Array.from({ length: MAX_GROUPS }, (_, i) => i) };
    const allow = { prog: [[6, 0, 0, 0x7fff0000] as [number, number, number, number]] };
    expect(() => runRequest(defaultEnv({ creds, fds: fdTable([0, 1, 2, MAX_LAYOUT_FD - 1]), seccomp: Array.from({ length: MAX_FILTERS }, () => allow) }), [], 2000)).not.toThrow();
  });
});
