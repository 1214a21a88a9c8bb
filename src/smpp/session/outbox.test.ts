import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { CommandId, encodePdu } from '../codec/index.js';
import { Outbox } from './outbox.js';

/** A duplex that records each write() call; with a small high-water mark it completes writes late, like a busy socket. */
class Recorder extends Duplex {
  writes: Buffer[] = [];
  readonly #late: boolean;
  constructor(highWaterMark = 1 << 20) {
    super({ writableHighWaterMark: highWaterMark });
    this.#late = highWaterMark < 1024;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.writes.push(Buffer.from(chunk));
    if (this.#late) setImmediate(cb);
    else cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: () => void): void {
    this.writes.push(Buffer.concat(chunks.map((c) => c.chunk)));
    cb();
  }
}

const tick = () => new Promise<void>((r) => process.nextTick(r));

function setup(eagerBytes?: number, hwm?: number) {
  const stream = new Recorder(hwm);
  const flushes: boolean[] = [];
  const box = new Outbox(stream, (ok) => flushes.push(ok), eagerBytes);
  return { stream, box, flushes };
}

describe('Outbox', () => {
  it('writes a header-only PDU exactly as the encoder does', async () => {
    const { stream, box } = setup();
    box.header(CommandId.enquire_link_resp, 0, 0x01020304);
    box.header(CommandId.generic_nack, 0x03, 7);
    await tick();
    assert.deepEqual(
      stream.writes[0],
      Buffer.concat([
        encodePdu({ command: 'enquire_link_resp', command_status: 0, sequence_number: 0x01020304 }),
        encodePdu({ command: 'generic_nack', command_status: 3, sequence_number: 7 }),
      ]),
    );
  });

  it('writes message_id responses byte for byte as the encoder does', async () => {
    const ids = ['', 'abc', 'x'.repeat(64), 'caf\u00e9-\u00ff'];
    const { stream, box } = setup();
    for (const [i, id] of ids.entries()) {
      assert.equal(box.messageIdResponse(CommandId.submit_sm_resp, 0, i + 1, id), true);
    }
    assert.equal(box.messageIdResponse(CommandId.data_sm_resp, 0, 99, 'd'), true);
    await tick();
    const expected = Buffer.concat([
      ...ids.map((id, i) =>
        encodePdu({ command: 'submit_sm_resp', command_status: 0, sequence_number: i + 1, message_id: id }),
      ),
      encodePdu({ command: 'data_sm_resp', command_status: 0, sequence_number: 99, message_id: 'd' }),
    ]);
    assert.deepEqual(stream.writes, [expected]);
  });

  it('refuses (queuing nothing) a message_id the encoder would reject', async () => {
    const { stream, box } = setup();
    assert.equal(box.messageIdResponse(CommandId.submit_sm_resp, 0, 1, 'x'.repeat(65)), false);
    assert.equal(box.messageIdResponse(CommandId.submit_sm_resp, 0, 1, 'a\u0000b'), false);
    assert.equal(box.messageIdResponse(CommandId.submit_sm_resp, 0, 1, 'euro \u20ac'), false);
    assert.equal(box.pending, 0);
    await tick();
    assert.equal(stream.writes.length, 0);
  });

  it('everything queued in one tick leaves in one write, in order, even across segments', async () => {
    const { stream, box, flushes } = setup(1 << 30);
    const big = Buffer.alloc(70_000, 0xab);
    box.header(CommandId.unbind, 0, 1);
    box.bytes(big);
    box.header(CommandId.unbind, 0, 2);
    assert.equal(stream.writes.length, 0, 'nothing written before the tick ends');
    await tick();
    assert.equal(flushes.length, 1);
    assert.equal(Buffer.concat(stream.writes).length, 16 + 70_000 + 16);
    const all = Buffer.concat(stream.writes);
    assert.equal(all.readUInt32BE(12), 1);
    assert.equal(all.readUInt32BE(16 + 70_000 + 12), 2);
  });

  it('flushes early once eagerBytes are queued, so the peer can start on a big batch', () => {
    const { stream, box } = setup(64);
    for (let i = 0; i < 4; i++) box.header(CommandId.enquire_link_resp, 0, i);
    assert.equal(stream.writes.length, 1);
    assert.equal(stream.writes[0].length, 64);
  });

  it('reports a write that hit the high-water mark (ok = false) and drops output after the stream ended', async () => {
    const { stream, box, flushes } = setup(undefined, 16);
    for (let i = 0; i < 3; i++) box.header(CommandId.enquire_link_resp, 0, i);
    await tick();
    assert.deepEqual(flushes, [false]);
    stream.end();
    box.header(CommandId.enquire_link_resp, 0, 9);
    await tick();
    assert.equal(stream.writes.length, 1);
  });
});
