// Cuts a TCP byte stream into whole PDU frames (SMPP 3.4 §3.2: each PDU starts with its own command_length).
// Chunks are kept by reference with a cursor; a frame that lies inside one chunk is handed out as a zero-copy view.
// A frame that spans chunks is copied, once, into a buffer of exactly command_length octets allocated when its
// length is known. command_length is checked (16 ≤ length ≤ max) before a single body octet is buffered.

import { SmppFramingError } from './errors.js';

/** The default largest command_length: 64 KiB holds any SMPP 3.4 PDU, including a full message_payload. */
export const DEFAULT_MAX_COMMAND_LENGTH = 65536;

const HEADER_LENGTH = 16;

/** Framer options. */
export interface FramerOptions {
  /** Largest command_length accepted; longer frames are a SmppFramingError. Default 65536. */
  maxCommandLength?: number;
}

/** What is known of a PDU whose bytes have started to arrive but are not complete. */
export interface PartialHeader {
  /** command_length, once its 4 octets have arrived. */
  commandLength: number | undefined;
  /** command_id, once its octets have arrived. */
  commandId: number | undefined;
  /** sequence_number, once its octets have arrived. */
  sequenceNumber: number | undefined;
  /** Octets of this PDU received so far. */
  received: number;
}

/** Splits a byte stream into PDU frames: `push(chunk)` what the socket gives, then `next()` until it is undefined. */
export class Framer {
  /** Largest command_length accepted. */
  readonly maxCommandLength: number;
  // The chunk being read and the cursor in it; chunks pushed behind it wait in `queue`.
  #chunk: Buffer | undefined;
  #pos = 0;
  #queue: Buffer[] = [];
  // A frame spanning chunks: its buffer (exactly command_length octets) and how much of it is filled.
  #partial: Buffer | undefined;
  #filled = 0;
  // Fewer than 4 octets of a frame, at the end of a chunk: its length is not known yet.
  readonly #head = Buffer.alloc(4);
  #headFilled = 0;
  #error: SmppFramingError | undefined;

  constructor(options?: FramerOptions) {
    const max = options?.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
    if (!Number.isInteger(max) || max < HEADER_LENGTH || max > 0xffffffff) {
      throw new RangeError(`maxCommandLength must be an integer in 16…0xFFFFFFFF, got ${max}`);
    }
    this.maxCommandLength = max;
  }

  /** Adds bytes from the stream (kept by reference: do not reuse the buffer). Never throws. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#chunk === undefined) {
      this.#chunk = chunk;
      this.#pos = 0;
    } else {
      this.#queue.push(chunk);
    }
  }

  /**
   * The next whole frame (exactly command_length octets; a view of the pushed chunk when the frame lies inside one),
   * or undefined when more bytes are needed. Throws SmppFramingError, and keeps throwing, once a command_length is
   * out of bounds: framing is lost.
   */
  next(): Buffer | undefined {
    if (this.#error !== undefined) throw this.#error;
    for (;;) {
      const chunk = this.#chunk;
      if (chunk === undefined) return undefined;
      const pos = this.#pos;
      const avail = chunk.length - pos;
      if (avail === 0) {
        this.#advance();
        continue;
      }
      const partial = this.#partial;
      if (partial !== undefined) {
        // Fill the spanning frame from this chunk.
        const take = Math.min(partial.length - this.#filled, avail);
        chunk.copy(partial, this.#filled, pos, pos + take);
        this.#filled += take;
        this.#pos = pos + take;
        if (this.#filled === partial.length) {
          this.#partial = undefined;
          this.#filled = 0;
          return partial;
        }
        continue;
      }
      if (this.#headFilled > 0) {
        // Complete the 4 length octets begun in an earlier chunk, then start the spanning frame.
        const take = Math.min(4 - this.#headFilled, avail);
        chunk.copy(this.#head, this.#headFilled, pos, pos + take);
        this.#headFilled += take;
        this.#pos = pos + take;
        if (this.#headFilled < 4) continue;
        const length = this.#check(this.#head.readUInt32BE(0));
        this.#partial = Buffer.allocUnsafe(length);
        this.#head.copy(this.#partial, 0);
        this.#filled = 4;
        this.#headFilled = 0;
        continue;
      }
      if (avail < 4) {
        chunk.copy(this.#head, 0, pos, pos + avail);
        this.#headFilled = avail;
        this.#pos = pos + avail;
        continue;
      }
      const length = this.#check(
        ((chunk[pos] << 24) | (chunk[pos + 1] << 16) | (chunk[pos + 2] << 8) | chunk[pos + 3]) >>> 0,
      );
      if (avail >= length) {
        // The common case: the whole frame is in this chunk; hand out a view.
        this.#pos = pos + length;
        return chunk.subarray(pos, pos + length);
      }
      const frame = Buffer.allocUnsafe(length);
      chunk.copy(frame, 0, pos, pos + avail);
      this.#partial = frame;
      this.#filled = avail;
      this.#pos = pos + avail;
    }
  }

  /** True when buffered bytes begin a PDU that is not complete yet (the session's pduReadTimerSecs runs then). */
  get hasPartial(): boolean {
    const buffered = this.bufferedBytes;
    if (buffered === 0) return false;
    const length = this.#peekUInt32(0);
    return length === undefined || buffered < length;
  }

  /** Octets held and not yet handed out as frames. */
  get bufferedBytes(): number {
    let n = this.#headFilled + this.#filled;
    if (this.#chunk !== undefined) n += this.#chunk.length - this.#pos;
    for (const c of this.#queue) n += c.length;
    return n;
  }

  /** What is known of the header of the incomplete PDU at the head of the buffer; undefined without one. */
  get partialHeader(): PartialHeader | undefined {
    if (!this.hasPartial) return undefined;
    return {
      commandLength: this.#peekUInt32(0),
      commandId: this.#peekUInt32(4),
      sequenceNumber: this.#peekUInt32(12),
      received: this.bufferedBytes,
    };
  }

  /** sequence_number of the incomplete PDU, once its octets have arrived (for a generic_nack on pduReadTimer). */
  get partialSequence(): number | undefined {
    return this.hasPartial ? this.#peekUInt32(12) : undefined;
  }

  /** command_id of the incomplete PDU, once its octets have arrived. */
  get partialCommandId(): number | undefined {
    return this.hasPartial ? this.#peekUInt32(4) : undefined;
  }

  #check(length: number): number {
    if (length < HEADER_LENGTH || length > this.maxCommandLength) {
      this.#error = new SmppFramingError(
        length,
        length < HEADER_LENGTH
          ? `command_length ${length} is under 16`
          : `command_length ${length} is over the maximum ${this.maxCommandLength}`,
      );
      throw this.#error;
    }
    return length;
  }

  #advance(): void {
    this.#chunk = this.#queue.shift();
    this.#pos = 0;
  }

  // The octet at `offset` of the frame at the head of the buffer, or undefined if it has not arrived.
  #peekByte(offset: number): number | undefined {
    if (this.#partial !== undefined) {
      if (offset < this.#filled) return this.#partial[offset];
      offset -= this.#filled;
    } else if (this.#headFilled > 0) {
      if (offset < this.#headFilled) return this.#head[offset];
      offset -= this.#headFilled;
    }
    if (this.#chunk !== undefined) {
      const rest = this.#chunk.length - this.#pos;
      if (offset < rest) return this.#chunk[this.#pos + offset];
      offset -= rest;
    }
    for (const c of this.#queue) {
      if (offset < c.length) return c[offset];
      offset -= c.length;
    }
    return undefined;
  }

  #peekUInt32(offset: number): number | undefined {
    const d = this.#peekByte(offset + 3);
    if (d === undefined) return undefined;
    return (
      ((this.#peekByte(offset)! << 24) |
        (this.#peekByte(offset + 1)! << 16) |
        (this.#peekByte(offset + 2)! << 8) |
        d) >>>
      0
    );
  }
}
