// Where the executor binaries are, and whether the host oracle can run here at all: a built
// executor, and the privileges its child uses to build an environment.
// Sources: scripts/build-executor.sh (what it builds under dist/executor/); oracle/executor/child.c
// (set_creds: setgroups/setgid/setuid; enter_net/unshare_ns: unshare(CLONE_NEWNET)) and watch.c
// (write_id_maps: the uid/gid maps of a child user namespace); capabilities(7) "Capabilities and
// execution of programs by root".

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContractError } from '../../contract/errors';

/**
 * The dynamic executor binary: dist/executor/sockspec-executor under the package root, found from
 * this file for both the ts-node/jest and the compiled dist/ layouts; SOCKSPEC_EXECUTOR overrides.
 * @example spawn(executorPath())
 */
export function executorPath(): string {
  const override = process.env.SOCKSPEC_EXECUTOR;
  if (override !== undefined && override !== '') return override;
  return path.join(packageRoot(), 'dist', 'executor', 'sockspec-executor');
}

/** Where `npm run build` puts the executor and its helpers (dist/executor). */
export function builtExecutorDir(): string {
  return path.join(packageRoot(), 'dist', 'executor');
}

/** The nearest directory above this file whose package.json is sockspec's (oracle/host/ is two below it). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sockspec') return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..');
    dir = up;
  }
}

/**
 * The capabilities the executor's child uses whatever the environment asks for, with the call
 * that needs each. The others an environment grants are only lowered (capset keeps what the
 * executor holds, and a run reports the ones it lacked as capsNotHeld); CAP_SYS_RESOURCE only
 * raises RLIMIT_NOFILE above the hard limit, which the child caps harmlessly when refused.
 */
export const REQUIRED_CAPS: ReadonlyArray<{ readonly bit: number; readonly name: string; readonly why: string }> = [
  { bit: 6, name: 'CAP_SETGID', why: 'setgroups/setgid and the gid map' },
  { bit: 7, name: 'CAP_SETUID', why: 'setuid and the uid map' },
  { bit: 21, name: 'CAP_SYS_ADMIN', why: 'unshare(CLONE_NEWNET)' },
];

/**
 * Why this process cannot give the executor the privileges it needs, or '' when it can. It must
 * be root (euid 0): the executor is exec'd without file capabilities, and a non-root process keeps
 * none across execve (its ambient set aside), while the child also writes root-owned per-netns
 * sysctls. Root must hold REQUIRED_CAPS in its effective set (a container may drop them).
 * `status` is /proc/self/status; without it only the uid is checked.
 * @example privilegeProblem(0, 'CapEff:\t000001ffffffffff\n')   // ''
 */
export function privilegeProblem(euid: number | undefined, status: string | undefined): string {
  if (euid !== 0) {
    return `the host oracle needs root (uid 0 with ${REQUIRED_CAPS.map((c) => c.name).join(', ')}) to build each environment; `
      + `this process runs as uid ${euid ?? 'unknown'}: run it as root, or use --oracle none (the model) or a VM oracle`;
  }
  const m = status === undefined ? null : /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (m === null) return '';
  const eff = BigInt(`0x${m[1]}`);
  const missing = REQUIRED_CAPS.filter((c) => (eff & (1n << BigInt(c.bit))) === 0n);
  if (missing.length === 0) return '';
  return `the host oracle needs ${missing.map((c) => `${c.name} (${c.why})`).join(', ')}, which this root process lacks `
    + `(CapEff ${m[1]}; a container may drop them): grant them, or use --oracle none or a VM oracle`;
}

/**
 * Why the namespaces environments ask for cannot be made here ('' when they can): the executor's
 * children unshare user and network namespaces, which a limit of 0 forbids even to root.
 * `read` returns a /proc/sys file's text, or undefined where there is none (the limit then is not
 * known, and nothing is refused).
 */
export function namespaceProblem(read: (file: string) => string | undefined): string {
  for (const [file, what] of [['/proc/sys/user/max_user_namespaces', 'user'], ['/proc/sys/user/max_net_namespaces', 'network']]) {
    const v = read(file)?.trim();
    if (v === '0') return `the host oracle builds environments in new ${what} namespaces, and ${file} is 0 on this machine: raise it (sysctl ${file.slice('/proc/sys/'.length).replace(/\//g, '.')}), or use --oracle none or a VM oracle`;
  }
  return '';
}

/** This process's privilege problem ('' when none), from its euid, /proc/self/status and the namespace limits. */
function ownPrivilegeProblem(): string {
  const read = (file: string): string | undefined => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined; // no /proc: the uid alone decides
    }
  };
  return privilegeProblem(process.geteuid?.(), read('/proc/self/status')) || namespaceProblem(read);
}

/**
 * Why the host oracle cannot run here ('' when it can): missing privileges first, then a missing
 * executor binary at `binary` (default executorPath()).
 */
export function hostOracleProblem(binary: string = executorPath()): string {
  const why = ownPrivilegeProblem();
  if (why !== '') return why;
  if (!fs.existsSync(binary)) return `the executor binary ${binary} is missing: build it with npm run build (or scripts/build-executor.sh)`;
  return '';
}

/**
 * Refuses, before any work, a host oracle that cannot run here: a ContractError about `field`
 * (the flag that asked for it) with the code 'unavailable'.
 * @example requireHostOracle('--oracle')
 */
export function requireHostOracle(field: string, binary?: string): void {
  const why = hostOracleProblem(binary);
  if (why !== '') throw new ContractError(field, why, 'unavailable');
}

/**
 * Whether the host oracle can run here: root with the capabilities it uses, and a built executor.
 * @example if (executorAvailable()) await HostOracle.start()
 */
export function executorAvailable(): boolean {
  return hostOracleProblem() === '';
}
