// The executor protocol is defined once (oracle/protocol.ts): the checked-in C header must be what
// the generator renders now, and every record must survive an encode/decode round trip.
// Sources: oracle/protocol.ts, oracle/header.ts, oracle/codec.ts.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecord, encodeRecord, recordSize } from '../../oracle/codec';
import { renderHeader } from '../../oracle/header';
import { RECORDS, type FieldDef, type RecordDef } from '../../oracle/protocol';

const SEED = 0x50c4e7;
const RUNS = 200;

describe('oracle/executor/protocol.h', () => {
  it('is exactly what scripts/gen-protocol-header.ts renders from oracle/protocol.ts', () => {
    const file = path.join(__dirname, '..', '..', 'oracle', 'executor', 'protocol.h');
    const fresh = fs.readFileSync(file, 'utf8') === renderHeader();
    expect(fresh ? 'fresh' : 'oracle/executor/protocol.h is stale: run `npx ts-node scripts/gen-protocol-header.ts`').toBe('fresh');
  });
});

function scalar(type: FieldDef['type']): fc.Arbitrary<number | bigint> {
  switch (type) {
    case 'u8': case 'char': return fc.integer({ min: 0, max: 0xff });
    case 'u16': return fc.integer({ min: 0, max: 0xffff });
    case 'u32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'i32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'i64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  }
}

/** A char field is a NUL-padded string: any non-NUL ASCII text that leaves room for the NUL. */
function field(fd: FieldDef): fc.Arbitrary<unknown> {
  if (fd.type === 'char') {
    return fc.array(fc.integer({ min: 1, max: 0x7f }), { maxLength: (fd.count ?? 1) - 1 }).map((c) => String.fromCharCode(...c));
  }
  if (fd.count !== undefined) return fc.array(scalar(fd.type), { minLength: fd.count, maxLength: fd.count });
  return scalar(fd.type);
}

function value(def: RecordDef): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(def.fields.map((fd) => [fd.name, field(fd)])));
}

describe(`encodeRecord/decodeRecord round trip (fast-check seed 0x${SEED.toString(16)}, ${RUNS} runs per record)`, () => {
  it.each(RECORDS.map((def) => [def.name, def] as const))('%s', (_name, def) => {
    fc.assert(
      fc.property(value(def), fc.integer({ min: 0, max: 16 }), (v, at) => {
        const alone = encodeRecord(def, v);
        expect(alone.length).toBe(recordSize(def));
        expect(decodeRecord(def, alone)).toEqual(v);
        const inside = Buffer.alloc(at + recordSize(def) + 3, 0xa5);
        encodeRecord(def, v, inside, at);
        expect(inside.subarray(at, at + recordSize(def))).toEqual(alone);
        expect(decodeRecord(def, inside, at)).toEqual(v);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
