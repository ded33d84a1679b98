// The frame reader: reassembles the executor's reply frames from a byte stream, whether it comes
// in stdout chunks (the host runner) or as one file of replies (the VM runner).
// Sources: oracle/protocol.ts (FRAME_HEADER).

import { recordSize } from '../codec';
import { ProtocolError } from '../errors';
import { FRAME_HEADER, PROTOCOL_MAGIC } from '../protocol';

/** Reassembles frames from the executor's stdout chunks; a bad magic is a ProtocolError. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly headSize = recordSize(FRAME_HEADER);

  push(chunk: Buffer, onFrame: (kind: number, payload: Buffer) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let at = 0;
    while (this.buf.length - at >= this.headSize) {
      const magic = this.buf.readUInt32LE(at);
      const kind = this.buf.readUInt32LE(at + 4);
      const length = this.buf.readUInt32LE(at + 8);
      if (magic !== PROTOCOL_MAGIC) throw new ProtocolError(`executor sent a frame with bad magic 0x${magic.toString(16)}`);
      if (this.buf.length - at - this.headSize < length) break;
      onFrame(kind, this.buf.subarray(at + this.headSize, at + this.headSize + length));
      at += this.headSize + length;
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
  }

  /** Bytes of an incomplete frame still buffered. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Splits a byte stream of reply frames into (kind, payload) pairs; a partial frame at the end is left. */
export function replyFrames(buf: Buffer): { frames: Array<{ kind: number; payload: Buffer }>; rest: number } {
  const frames: Array<{ kind: number; payload: Buffer }> = [];
  const reader = new FrameReader();
  reader.push(buf, (kind, payload) => frames.push({ kind, payload }));
  return { frames, rest: reader.pending };
}
