// Encoding and decoding of the protocol's fixed-layout records, driven by the definitions in
// oracle/protocol.ts so that TypeScript and the generated C header cannot drift apart. The
// requests (requests.ts) and the replies (replies.ts) of the executor are built on these.
// Sources: oracle/protocol.ts.

import { RESULTS_MASK_BITS, type FieldDef, type FieldType, type RecordDef } from '../protocol';

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
 * @example encodeRecord(CALL_RECORD, { entry: 0, block: 0, a0: 2n, a1: 1n, a2: 0n })
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

/**
 * Packs records as RESULTS carries them (see KIND.RESULTS): a u32 count, then per record a u32
 * mask of the 32-bit words after the first (the index, implied by the position) that differ from
 * the previous record, and those words. The executor writes this; the encoder is its reference.
 * @example packRecords(RESULT_RECORD, [encodeRecord(RESULT_RECORD, { index: 0, ret: -97n })])
 */
export function packRecords(def: RecordDef, records: readonly Buffer[]): Buffer {
  const words = packedWords(def);
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0].writeUInt32LE(records.length, 0);
  let prev: Buffer = Buffer.alloc(words * 4);
  for (const r of records) {
    let mask = 0;
    const changed: Buffer[] = [];
    for (let w = 1; w < words; w++) {
      if (r.readUInt32LE(w * 4) !== prev.readUInt32LE(w * 4)) {
        mask |= 1 << (w - 1);
        changed.push(r.subarray(w * 4, w * 4 + 4));
      }
    }
    const m = Buffer.alloc(4);
    m.writeUInt32LE(mask >>> 0, 0);
    parts.push(m, ...changed);
    prev = r;
  }
  return Buffer.concat(parts);
}

/** Unpacks a RESULTS-style payload, calling `each` with every record (its first word set to its index). */
export function unpackRecords(def: RecordDef, payload: Buffer, each: (index: number, record: RecordValue) => void): void {
  const words = packedWords(def);
  const cur = Buffer.alloc(words * 4);
  if (payload.length < 4) throw new RangeError(`${def.name} pack: ${payload.length} bytes, no count`);
  const count = payload.readUInt32LE(0);
  let off = 4;
  for (let i = 0; i < count; i++) {
    if (off + 4 > payload.length) throw new RangeError(`${def.name} pack: ends in record ${i} of ${count}`);
    const mask = payload.readUInt32LE(off);
    off += 4;
    if (words - 1 < 32 && mask >>> (words - 1) !== 0) throw new RangeError(`${def.name} pack: record ${i} has mask bits beyond its ${words - 1} words`);
    for (let w = 1; w < words; w++) {
      if ((mask & (1 << (w - 1))) === 0) continue;
      if (off + 4 > payload.length) throw new RangeError(`${def.name} pack: ends in record ${i} of ${count}`);
      payload.copy(cur, w * 4, off, off + 4);
      off += 4;
    }
    cur.writeUInt32LE(i, 0);
    each(i, decodeRecord(def, cur));
  }
  if (off !== payload.length) throw new RangeError(`${def.name} pack: ${payload.length - off} bytes after ${count} records`);
}

function packedWords(def: RecordDef): number {
  const size = recordSize(def);
  if (size % 4 !== 0 || size / 4 - 1 > RESULTS_MASK_BITS || def.fields[0]?.type !== 'u32') throw new RangeError(`${def.name} cannot be packed: ${size} bytes, first field ${def.fields[0]?.type}`);
  return size / 4;
}
