// Two connected in-memory duplex streams that behave like the two ends of a TCP connection: what one writes the
// other reads, write() returns false once the reader stops reading (its buffer is full), ending one side ends the
// other's readable, and destroying one side ends the other (a FIN). For tests of sessions without sockets.

import { Duplex } from 'node:stream';

/** One end of an in-memory connection. */
export class MemoryEnd extends Duplex {
  peer: MemoryEnd | undefined;
  #pendingWrite: (() => void) | undefined;

  constructor(highWaterMark: number) {
    super({ highWaterMark, allowHalfOpen: false });
  }

  override _read(): void {
    // The reader wants more: release a writer held back by back-pressure.
    const peer = this.peer;
    if (peer === undefined) return;
    const pending = peer.#pendingWrite;
    if (pending !== undefined) {
      peer.#pendingWrite = undefined;
      pending();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer === undefined || peer.destroyed || peer.readableEnded) {
      callback(new Error('EPIPE: peer closed'));
      return;
    }
    if (peer.push(chunk)) callback();
    else this.#pendingWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer !== undefined && !peer.destroyed) peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.#pendingWrite = undefined;
    if (peer !== undefined && !peer.destroyed && !peer.readableEnded) peer.push(null);
    callback(error);
  }
}

/** Returns the two ends of a fresh in-memory connection; `highWaterMark` bounds each direction's read buffer. */
export function duplexPair(highWaterMark = 16 * 1024): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd(highWaterMark);
  const b = new MemoryEnd(highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
