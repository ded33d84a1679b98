// Claims about a policy, as its author means it: `deny AF_NETLINK,AF_PACKET` (no call of these
// families passes the policy, through any door the audit tries: high bits, i386 and socketcall
// included) and `allow AF_INET,AF_UNIX` (every call of these families with registers as a C program
// passes them gets past the policy, on the x86_64, i386 and socketcall doors). Either may end with
// `on DOOR,DOOR` to name the doors. A claim that does not hold comes with its counter-examples.
// Whether the kernel then creates the socket is not part of a claim: a claim is about the policy.
// Sources: engine/audit/space.ts (the doors), docs/seccomp.md §12.

import { AF_NAMES, formatCall, formatResult, NPROTO } from '../../model';
import { actionName } from '../../model/seccomp';
import { ContractError } from '../../contract';
import { DOORS, parseDoors, type Door } from './space';
import { passes, type AuditPoints } from './audit';

/** One claim, parsed. */
export interface Claim {
  readonly text: string;
  /** Where it was written: `--expect` or FILE:LINE. */
  readonly where: string;
  readonly verb: 'deny' | 'allow';
  readonly families: readonly number[];
  readonly doors: readonly Door[];
}

/** A claim judged against the audit. */
export interface ClaimResult {
  readonly claim: string;
  readonly where: string;
  readonly holds: boolean;
  /** Calls the claim covers. */
  readonly checked: number;
  readonly counterCount: number;
  /** The first counter-example through each door, at most five. */
  readonly counterExamples: ReadonlyArray<{ readonly door: Door; readonly call: string; readonly verdict: string; readonly result: string }>;
}

/** The doors an `allow` covers by default: registers as a program passes them. */
const ALLOW_DOORS: readonly Door[] = ['x86_64', 'i386', 'socketcall'];

function familyNumber(name: string, where: string): number {
  const n = name.replace(/^PF_/, 'AF_');
  const i = AF_NAMES.indexOf(n);
  if (i >= 0) return i;
  if (/^\d+$/.test(name) && Number(name) < NPROTO) return Number(name);
  throw new ContractError(where, `unknown family ${JSON.stringify(name)} (a name such as AF_INET, or a number below ${NPROTO})`, 'unknown-name');
}

/**
 * Parses `deny|allow FAMILY,… [on DOOR,…]`; throws a ContractError naming `where`.
 * @example parseClaim('deny AF_VSOCK on socketcall', '--expect')
 */
export function parseClaim(text: string, where: string): Claim {
  const m = /^\s*(deny|allow)\s+([^\s]+(?:\s*,\s*[^\s,]+)*)\s*(?:\s+on\s+(.+?))?\s*$/.exec(text);
  if (m === null) throw new ContractError(where, `expected "deny FAMILY,…" or "allow FAMILY,…" (optionally "on DOOR,…"), got ${JSON.stringify(text)}`);
  const families = m[2].split(',').map((s) => s.trim()).filter((s) => s !== '').map((f) => familyNumber(f, where));
  let doors: Door[];
  try {
    doors = m[3] === undefined ? [...(m[1] === 'deny' ? DOORS : ALLOW_DOORS)] : parseDoors(m[3]);
  } catch (e) {
    throw new ContractError(where, (e as Error).message, 'unknown-name');
  }
  return { text: text.trim(), where, verb: m[1] as 'deny' | 'allow', families, doors };
}

/** The claims of a file: one per line; blank lines and `#` comments are skipped. Errors name FILE:LINE. */
export function parseClaimFile(text: string, file: string): Claim[] {
  return text.split('\n').flatMap((line, i) => {
    const t = line.replace(/#.*$/, '').trim();
    return t === '' ? [] : [parseClaim(t, `${file}:${i + 1}`)];
  });
}

/** Judges each claim on the audit's points. A claim on a door the audit did not run covers nothing there. */
export function checkClaims(claims: readonly Claim[], pts: AuditPoints): ClaimResult[] {
  return claims.map((c) => {
    const fams = new Set(c.families);
    const doors = new Set(c.doors);
    let checked = 0;
    let counterCount = 0;
    const examples: Array<{ door: Door; call: string; verdict: string; result: string }> = [];
    const seenDoor = new Set<Door>();
    pts.space.points.forEach((p, i) => {
      if (!doors.has(p.door) || !fams.has(pts.space.canonical[p.base].a0)) return;
      checked++;
      const ok = c.verb === 'deny' ? !passes(pts.verdicts[i]) : passes(pts.verdicts[i]);
      if (ok) return;
      counterCount++;
      if (!seenDoor.has(p.door) && examples.length < 5) {
        seenDoor.add(p.door);
        examples.push({ door: p.door, call: formatCall(p.call), verdict: actionName(pts.verdicts[i]), result: formatResult(pts.decisions[i].outcome).replace(/^= /, '') });
      }
    });
    return { claim: c.text, where: c.where, holds: counterCount === 0 && checked > 0, checked, counterCount, counterExamples: examples };
  });
}
