// Live-server fuzz (issue #8, "Bad input"): mutated and random PDUs over TCP to a running SmppServer with the real
// gateway handlers on a temp SQLite store, from several connections at once (half of them bound, so the MT
// handlers, query/cancel/replace and unbind see the mutants too). Every request is answered (its _resp or a
// generic_nack, matched by sequence number) or the connection is closed, within the pduReadTimer and a margin; the
// process never crashes and no session hits its last-resort `session_bug` path; a well-behaved ESME on its own bind
// keeps working, its p50/p99 printed quiet vs during. SERVER_FUZZ_RUNS (default 6,000) sets the number of inputs.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CommandId } from '../../src/smpp/codec/index.js';
import { Esme } from '../helpers/esme.js';
import { LatencyProbe, PASSWORD, printLatencyTable, type Stack, startStack } from './harness.js';
import { fuzzSeed, type Mutation, mutate, Rng, seedPdus } from './mutate.js';

const RUNS = Number(process.env.SERVER_FUZZ_RUNS ?? 6000);
const CONNECTIONS = 10;
const PDU_READ_MS = 200;
const ANSWER_MS = PDU_READ_MS + 3000;

/** What happened to one input. */
type Fate = 'answered' | 'closed' | 'not a request';

/** One fuzzing connection: sends one input at a time and waits for its answer or the close. */
class FuzzConnection {
  socket!: net.Socket;
  #buf = Buffer.alloc(0);
  #closed = true;
  #waiting: { seq: number; resolve: (f: Fate) => void; timer: NodeJS.Timeout } | undefined;
  reconnects = 0;

  constructor(
    readonly port: number,
    readonly user: string | undefined,
  ) {}

  async open(): Promise<void> {
    if (this.user !== undefined) {
      const esme = await Esme.connect({ port: this.port });
      const r = await esme.bind('transceiver', this.user, PASSWORD);
      assert.equal(r.command_status, 0, `bind ${this.user}`);
      this.socket = esme.stream as net.Socket;
      this.socket.removeAllListeners('data');
      this.socket.removeAllListeners('close');
      this.socket.removeAllListeners('end');
    } else {
      this.socket = net.connect({ host: '127.0.0.1', port: this.port });
      await new Promise<void>((resolve, reject) => {
        this.socket.once('connect', () => resolve());
        this.socket.once('error', reject);
      });
    }
    this.#closed = false;
    this.#buf = Buffer.alloc(0);
    this.socket.on('error', () => {});
    this.socket.on('data', (c: Buffer) => this.#onData(c));
    this.socket.once('close', () => {
      this.#closed = true;
      this.#settle('closed');
    });
  }

  #settle(fate: Fate): void {
    const w = this.#waiting;
    if (w === undefined) return;
    this.#waiting = undefined;
    clearTimeout(w.timer);
    w.resolve(fate);
  }

  #onData(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 16) {
      const len = this.#buf.readUInt32BE(0);
      if (len < 16 || this.#buf.length < len) break;
      const id = this.#buf.readUInt32BE(4);
      const seq = this.#buf.readUInt32BE(12);
      if (id === CommandId.enquire_link) {
        const r = Buffer.alloc(16);
        r.writeUInt32BE(16, 0);
        r.writeUInt32BE(CommandId.enquire_link_resp, 4);
        r.writeUInt32BE(seq, 12);
        this.socket.write(r);
      } else if ((id & 0x80000000) !== 0 && this.#waiting !== undefined) {
        // Any response (or generic_nack) carrying the input's sequence number answers it; a generic_nack with
        // sequence 0 is the framing error's, which the close follows.
        if (seq === this.#waiting.seq || (id === CommandId.generic_nack && seq === 0)) this.#settle('answered');
      }
      this.#buf = this.#buf.subarray(len);
    }
  }

  /** Sends one input and resolves with its fate; rejects when neither an answer nor a close comes in time. */
  async send(bytes: Buffer, seq: number): Promise<Fate> {
    if (this.#closed) {
      this.reconnects++;
      await this.open();
    }
    const isRequest = bytes.length >= 8 && (bytes.readUInt32BE(4) & 0x80000000) === 0;
    const complete = bytes.length >= 16 && bytes.readUInt32BE(0) === bytes.length;
    const fate = new Promise<Fate>((resolve, reject) => {
      if ((!isRequest && complete) || bytes.length === 0) {
        resolve('not a request');
        return;
      }
      this.#waiting = {
        seq,
        resolve,
        timer: setTimeout(() => {
          this.#waiting = undefined;
          reject(new Error(`no answer and no close within ${ANSWER_MS} ms for ${bytes.toString('hex').slice(0, 120)}`));
        }, ANSWER_MS),
      };
    });
    this.socket.write(bytes);
    return fate;
  }

  close(): void {
    this.socket?.destroy();
  }
}

describe('live server fuzz over TCP', () => {
  let stack: Stack;
  let probe: LatencyProbe;
  before(async () => {
    stack = await startStack({
      timers: { pduReadMs: PDU_READ_MS, sessionInitMs: 10_000, enquireLinkMs: 10_000, responseMs: 2000 },
    });
    probe = await LatencyProbe.start(stack.port);
    await probe.quiet(300);
  });
  after(async () => {
    await probe.close();
    await stack.close();
  });

  it(`${RUNS.toLocaleString('en')} mutated and random PDUs from ${CONNECTIONS} connections: answered or closed, never a crash`, async () => {
    const seed = fuzzSeed();
    const rng = new Rng(seed);
    const seeds = seedPdus();
    const quiet = await probe.quiet(1500);
    const fates = new Map<Fate, number>();
    const byMutation = new Map<Mutation, number>();
    const conns = Array.from(
      { length: CONNECTIONS },
      (_, i) => new FuzzConnection(stack.port, i % 2 === 0 ? (i % 4 === 0 ? 'user1' : 'user2') : undefined),
    );
    for (const c of conns) await c.open();
    let next = 0;
    let seqCounter = 100;
    const t0 = performance.now();
    const { figures: during } = await probe.during(async () => {
      await Promise.all(
        conns.map(async (c) => {
          while (next < RUNS) {
            next++;
            const { bytes, mutation } = mutate(rng, seeds);
            const seq = ++seqCounter;
            if (bytes.length >= 16) bytes.writeUInt32BE(seq, 12);
            byMutation.set(mutation, (byMutation.get(mutation) ?? 0) + 1);
            const fate = await c.send(bytes, seq).catch((e: Error) => {
              throw new Error(`seed ${seed}, ${mutation}: ${e.message}`);
            });
            fates.set(fate, (fates.get(fate) ?? 0) + 1);
          }
        }),
      );
    });
    const seconds = (performance.now() - t0) / 1000;
    for (const c of conns) c.close();

    const reconnects = conns.reduce((n, c) => n + c.reconnects, 0);
    console.log(
      `server fuzz: seed ${seed}, ${RUNS} inputs in ${seconds.toFixed(1)} s over ${CONNECTIONS} connections ` +
        `(${reconnects} reconnects): ${[...fates].map(([f, n]) => `${f} ${n}`).join(', ')}`,
    );
    printLatencyTable('live server fuzz', [
      { scenario: `fuzz ×${CONNECTIONS} connections`, quiet, during, note: `${RUNS} inputs, ${reconnects} closes` },
    ]);
    const bugs = stack.log.events('session_bug');
    assert.deepEqual(bugs, [], 'a session reached its last-resort catch');
    assert.equal(probe.failures.length, 0, `the well-behaved ESME failed: ${probe.failures.slice(0, 3)}`);
    assert.ok(during.n > 0);
    // The server still serves: a fresh bind and submit.
    const esme = await Esme.connect({ port: stack.port });
    assert.equal((await esme.bind('transceiver', 'user1', PASSWORD)).command_status, 0);
    assert.equal((await esme.submit()).command_status, 0);
    await esme.close();
  });
});
