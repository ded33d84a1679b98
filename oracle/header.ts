// Renders oracle/protocol.ts as the C header the executor includes: #defines for every constant
// group and packed structs with size assertions. Pure: the script and the staleness test call it.
// Sources: oracle/protocol.ts.

import { recordSize } from './codec/records';
import { CONSTANT_GROUPS, RECORDS, SCALAR_CONSTANTS, type FieldType } from './protocol';

const C_TYPE: Readonly<Record<FieldType, string>> = {
  u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t', i32: 'int32_t', u64: 'uint64_t', i64: 'int64_t', char: 'char',
};

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * A constant as C sees it: unsigned for the sizes, codes and masks; a negative one (a sentinel in
 * an int32_t field) as a parenthesised int, INT32_MIN spelled so that no literal overflows.
 */
function cLiteral(v: number): string {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`constant ${v} fits neither int32_t nor uint32_t`);
  if (v >= 0) return `${v}u`;
  return v === -0x80000000 ? '(-2147483647 - 1)' : `(${v})`;
}

/** The full text of oracle/executor/protocol.h. */
export function renderHeader(): string {
  const out: string[] = [
    '/* Generated from oracle/protocol.ts by scripts/gen-protocol-header.ts. Do not edit. */',
    '#ifndef SOCKSPEC_PROTOCOL_H',
    '#define SOCKSPEC_PROTOCOL_H',
    '',
    '#include <stdint.h>',
    '',
  ];
  for (const [name, v] of Object.entries(SCALAR_CONSTANTS)) out.push(`#define ${snake(name)} ${cLiteral(v)}`);
  for (const [group, values] of Object.entries(CONSTANT_GROUPS)) {
    out.push('');
    for (const [name, v] of Object.entries(values)) out.push(`#define ${group}_${name} ${v}u`);
  }
  out.push('', '#pragma pack(push, 1)');
  for (const def of RECORDS) {
    out.push('', `/* ${def.doc} */`, `struct ${def.name} {`);
    for (const fd of def.fields) {
      out.push(`\t${C_TYPE[fd.type]} ${fd.name}${fd.count !== undefined ? `[${fd.count}]` : ''}; /* ${fd.doc} */`);
    }
    out.push('};', `_Static_assert(sizeof(struct ${def.name}) == ${recordSize(def)}, "${def.name} layout");`);
  }
  out.push('', '#pragma pack(pop)', '', '#endif', '');
  return out.join('\n');
}
