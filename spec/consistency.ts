// Internal consistency of a parsed KAPI spec: declared counts against what is listed, item
// indexes, parameter ranges against their constraint texts, valid masks against stated ranges,
// error names against their codes, and capability "without" errnos against the error list.
// Sources: the KAPI RFC posting (test/fixtures/kapi-socket-rfc-v2.eml); include/linux/net.h for the mask constants.

import { SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_MASK } from '../model';
import type { Item, ParsedSpec } from './parse';

/** One place where the spec contradicts itself. */
export interface Inconsistency {
  readonly title: string;
  readonly lines: readonly number[];
  readonly detail: string;
}

const LISTS: Readonly<Record<string, keyof ParsedSpec>> = {
  PARAM: 'params', ERROR: 'errors', LOCK: 'locks', SIGNAL: 'signals', SIDE_EFFECT: 'sideEffects',
  STATE_TRANS: 'stateTransitions', PROTOCOL_BEHAVIOR: 'protocolBehaviors', ADDR_FAMILY: 'addressFamilies',
  CAPABILITY: 'capabilities', CONSTRAINT: 'constraints',
};

const MASK_NAMES: Readonly<Record<string, number>> = { SOCK_TYPE_MASK, SOCK_CLOEXEC, SOCK_NONBLOCK };

/** The value of a mask expression made of known names, numbers and `|`; undefined otherwise. */
export function maskValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'object' || v === null || !('expr' in v)) return undefined;
  let acc = 0;
  for (const part of String((v as { expr: string }).expr).split('|').map((x) => x.trim())) {
    const n = MASK_NAMES[part] ?? (/^(0x[0-9a-f]+|\d+)$/i.test(part) ? Number(part) : undefined);
    if (n === undefined) return undefined;
    acc |= n;
  }
  return acc >>> 0;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'object' && v !== null && 'expr' in v ? String((v as { expr: string }).expr) : String(v ?? '');
}

/** Every internal inconsistency of `spec`. */
export function checkConsistency(spec: ParsedSpec): Inconsistency[] {
  const out: Inconsistency[] = [];
  for (const [what, c] of Object.entries(spec.counts)) {
    const key = LISTS[what];
    if (key === undefined) continue;
    const list = spec[key] as Item[];
    if (list.length !== c.value) {
      out.push({ title: `KAPI_${what}_COUNT says ${c.value}, the spec lists ${list.length}`, lines: [c.line, ...list.map((i) => i.line)], detail: `${key} has ${list.length} items` });
    }
  }
  for (const key of Object.values(LISTS)) {
    (spec[key] as Item[]).forEach((item, k) => {
      if (typeof item.index === 'number' && item.index !== k) {
        out.push({ title: `${key}[${k}] carries index ${item.index}`, lines: [item.line], detail: 'indexes are expected to run 0, 1, 2, … in order' });
      }
    });
  }
  for (const p of spec.params) {
    const constraint = text(p.constraint);
    const stated = /Range:\s*(-?\d+)\s*-\s*(-?\d+)/.exec(constraint);
    if (typeof p.min === 'number' && typeof p.max === 'number' && stated !== null && (Number(stated[1]) !== p.min || Number(stated[2]) !== p.max)) {
      out.push({ title: `param ${text(p.name)}: KAPI_PARAM_RANGE(${p.min}, ${p.max}) against "Range: ${stated[1]}-${stated[2]}"`, lines: [p.line], detail: constraint });
    }
    const above = /(?:>=|≥)\s*(\d+)/.exec(constraint);
    if (typeof p.max === 'number' && above !== null && Number(above[1]) !== p.max + 1 && /returns|invalid/i.test(constraint)) {
      out.push({ title: `param ${text(p.name)}: range ends at ${p.max} but the text rejects values from ${above[1]}`, lines: [p.line], detail: constraint });
    }
    const mask = maskValue(p.validMask);
    if (mask !== undefined && stated !== null) {
      const maxBase = mask & SOCK_TYPE_MASK;
      if (maxBase > Number(stated[2])) {
        out.push({
          title: `param ${text(p.name)}: KAPI_PARAM_VALID_MASK admits base values up to ${maxBase}, the text says "Range: ${stated[1]}-${stated[2]}"`,
          lines: [p.line],
          detail: `the mask ${text(p.validMask)} = 0x${mask.toString(16)} accepts ${Number(stated[2]) + 1}..${maxBase}, which the stated range excludes (the kernel rejects them with EINVAL after the mask check)`,
        });
      }
    }
  }
  for (const e of spec.errors) {
    const code = text(e.code).replace(/\s+/g, '');
    if (typeof e.name === 'string' && code !== `-${e.name}`) {
      out.push({ title: `error ${e.name} has code ${code}`, lines: [e.line], detail: 'the name and the code are expected to agree' });
    }
  }
  const listed = new Set(spec.errors.map((e) => text(e.name)));
  for (const c of spec.capabilities) {
    for (const errno of text(c.without).match(/\bE[A-Z0-9]{2,}\b/g) ?? []) {
      if (!listed.has(errno)) {
        out.push({ title: `capability ${text(c.name)}: "without" names ${errno}, which the error list does not have`, lines: [c.line], detail: text(c.without) });
      }
    }
  }
  return out;
}
