// Encoding and decoding of the protocol's fixed-layout records, driven by the definitions in
// oracle/protocol.ts so that TypeScript and the generated C header cannot drift apart.
// Sources: oracle/protocol.ts.

import type { FieldDef, FieldType, RecordDef } from './protocol';

const SIZE: Readonly<Record<FieldType, number>> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, char: 1 };

/** A decoded record: numbers, bigints (64-bit fields), arrays of either, or strings (char arrays). */
export type RecordValue = Record<string, number | bigint | string | number[] | bigint[]>;

/** Size in bytes of one field. */
export function fieldSize(fd: FieldDef): number {
  return SIZE[fd.type] * (fd.count ?? 1);
}

const SIZES = new WeakMap<RecordDef, number>();

/** Size in bytes of a record (packed, no padding). */
export function recordSize(def: RecordDef): number {
  let s = SIZES.get(def);
  if (s === undefined) {
    s = def.fields.reduce((n, fd) => n + fieldSize(fd), 0);
    SIZES.set(def, s);
  }
  return s;
}

function writeScalar(buf: Buffer, off: number, type: FieldType, v: number | bigint): void {
  switch (type) {
    case 'u8': case 'char': buf.writeUInt8(Number(v) & 0xff, off); break;
    case 'u16': buf.writeUInt16LE(Number(v) & 0xffff, off); break;
    case 'u32': buf.writeUInt32LE(Number(v) >>> 0, off); break;
    case 'i32': buf.writeInt32LE(Number(v) | 0, off); break;
    case 'u64': buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), off); break;
    case 'i64': buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)), off); break;
  }
}

function readScalar(buf: Buffer, off: number, type: FieldType): number | bigint {
  switch (type) {
    case 'u8': case 'char': return buf.readUInt8(off);
    case 'u16': return buf.readUInt16LE(off);
    case 'u32': return buf.readUInt32LE(off);
    case 'i32': return buf.readInt32LE(off);
    case 'u64': return buf.readBigUInt64LE(off);
    case 'i64': return buf.readBigInt64LE(off);
  }
}

/**
 * Encodes `value` as `def`. Missing fields are zero; arrays shorter than their count are
 * zero-padded; strings are NUL-padded (and must fit with their NUL).
 * @example encodeRecord(CALL_RECORD, { entry: 0, a0: 2n, a1: 1n, a2: 0n })
 */
export function encodeRecord(def: RecordDef, value: Readonly<Record<string, unknown>>, out?: Buffer, at = 0): Buffer {
  const buf = out ?? Buffer.alloc(recordSize(def));
  let off = at;
  for (const fd of def.fields) {
    const v = value[fd.name];
    const w = SIZE[fd.type];
    if (fd.type === 'char') {
      const s = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.alloc(0);
      if (s.length >= (fd.count ?? 1)) throw new RangeError(`${def.name}.${fd.name}: ${s.length} bytes do not fit in ${fd.count}`);
      buf.fill(0, off, off + (fd.count ?? 1));
      s.copy(buf, off);
    } else if (fd.count !== undefined) {
      const arr = (v ?? []) as readonly (number | bigint)[];
      if (arr.length > fd.count) throw new RangeError(`${def.name}.${fd.name}: ${arr.length} values exceed ${fd.count}`);
      for (let i = 0; i < fd.count; i++) writeScalar(buf, off + i * w, fd.type, arr[i] ?? 0);
    } else {
      writeScalar(buf, off, fd.type, (v ?? 0) as number | bigint);
    }
    off += fieldSize(fd);
  }
  return buf;
}

/** Decodes one `def` record at `at`. */
export function decodeRecord(def: RecordDef, buf: Buffer, at = 0): RecordValue {
  const out: RecordValue = {};
  let off = at;
  for (const fd of def.fields) {
    const w = SIZE[fd.type];
    if (fd.type === 'char') {
      const raw = buf.subarray(off, off + (fd.count ?? 1));
      const nul = raw.indexOf(0);
      out[fd.name] = raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
    } else if (fd.count !== undefined) {
      const arr: (number | bigint)[] = [];
      for (let i = 0; i < fd.count; i++) arr.push(readScalar(buf, off + i * w, fd.type));
      out[fd.name] = arr as number[] | bigint[];
    } else {
      out[fd.name] = readScalar(buf, off, fd.type);
    }
    off += fieldSize(fd);
  }
  return out;
}
