// The executor protocol is defined once (oracle/protocol.ts): the checked-in C header must be what
// the generator renders now, every record must survive an encode/decode round trip, and RESULTS
// packing must give back the records it packed.
// Sources: oracle/protocol.ts, oracle/header.ts, oracle/codec/records.ts.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeRecord, encodeRecord, packRecords, recordSize, unpackRecords } from '../../oracle/codec';
import { renderHeader } from '../../oracle/header';
import { RECORDS, RESULT_RECORD, type FieldDef, type RecordDef } from '../../oracle/protocol';

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

describe(`RESULTS packing (fast-check seed 0x${SEED.toString(16)})`, () => {
  // Runs of equal records, as the bounded space gives them, and arbitrary ones in between.
  const records = fc.array(fc.tuple(value(RESULT_RECORD), fc.integer({ min: 1, max: 5 })), { maxLength: 20 })
    .map((runs) => runs.flatMap(([v, n]) => Array.from({ length: n }, () => v)).map((v, i) => encodeRecord(RESULT_RECORD, { ...v, index: i })));

  it('unpacks to the records packed, each with its position as index, in 4 bytes for a repeated record', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const packed = packRecords(RESULT_RECORD, rs);
        const out: Buffer[] = [];
        unpackRecords(RESULT_RECORD, packed, (i, r) => {
          expect(r.index).toBe(i);
          out.push(encodeRecord(RESULT_RECORD, r));
        });
        expect(out).toEqual(rs);
        const repeats = rs.filter((r, i) => i > 0 && r.subarray(4).equals(rs[i - 1].subarray(4))).length;
        expect(packed.length).toBeLessThanOrEqual(4 + rs.length * recordSize(RESULT_RECORD) - repeats * (recordSize(RESULT_RECORD) - 4));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses a truncated payload, trailing bytes and mask bits past the record', () => {
    const one = packRecords(RESULT_RECORD, [encodeRecord(RESULT_RECORD, { index: 0, ret: -97n, status: 0 })]);
    const none = (): void => undefined;
    expect(() => unpackRecords(RESULT_RECORD, one.subarray(0, one.length - 1), none)).toThrow('ends in record 0');
    expect(() => unpackRecords(RESULT_RECORD, Buffer.concat([one, Buffer.alloc(1)]), none)).toThrow('1 bytes after 1 records');
    const wild = Buffer.from(one);
    wild.writeUInt32LE(0x80000000, 4);
    expect(() => unpackRecords(RESULT_RECORD, wild, none)).toThrow('mask bits beyond');
  });
});
