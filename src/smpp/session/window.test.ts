import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from './clock.js';
import { ResponseTimeoutError, SessionClosedError, WindowFullError } from './errors.js';
import { freeSequence, MAX_SEQUENCE, Window } from './window.js';

interface Req {
  command: string;
  sequence_number: number;
}
interface Resp {
  command: string;
  sequence_number: number;
  command_status: number;
}

function setup(opts: { maxSize?: number; timeout?: number; offerTimeout?: number; first?: number } = {}) {
  const clock = new ManualClock();
  const sent: Req[] = [];
  const window = new Window<Req, Resp>({
    maxSize: opts.maxSize ?? 10,
    responseTimeoutMs: opts.timeout ?? 1000,
    offerTimeoutMs: opts.offerTimeout,
    firstSequence: opts.first,
    clock,
    send: (r) => sent.push(r),
  });
  return { clock, sent, window };
}

const resp = (command: string, seq: number, status = 0): Resp => ({
  command,
  sequence_number: seq,
  command_status: status,
});

/** Records how a promise settled without awaiting it. */
function track<T>(p: Promise<T>) {
  const s: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  p.then(
    (v) => {
      s.value = v;
      s.settled = true;
    },
    (e) => {
      s.error = e;
      s.settled = true;
    },
  );
  return s;
}
const tick = () => new Promise((r) => setImmediate(r));

describe('Window', () => {
  it('assigns 1, 2, 3… and sends synchronously', () => {
    const { window, sent } = setup();
    void window.offer({ command: 'deliver_sm', sequence_number: 0 });
    void window.offer({ command: 'deliver_sm', sequence_number: 0 });
    assert.deepEqual(
      sent.map((r) => r.sequence_number),
      [1, 2],
    );
    assert.equal(window.size, 2);
  });

  it('resolves with the response matched by sequence AND command', async () => {
    const { window } = setup();
    const a = window.offer({ command: 'deliver_sm', sequence_number: 0 });
    const b = window.offer({ command: 'enquire_link', sequence_number: 0 });
    assert.equal(window.complete(resp('enquire_link_resp', 1)), 'mismatch');
    assert.equal(window.complete(resp('deliver_sm_resp', 7)), 'unknown');
    assert.equal(window.complete(resp('enquire_link_resp', 2)), 'matched');
    assert.equal(window.complete(resp('deliver_sm_resp', 1, 0x45)), 'matched');
    assert.equal((await a).command_status, 0x45);
    assert.equal((await b).command, 'enquire_link_resp');
    assert.equal(window.size, 0);
  });

  it('a generic_nack answers any request', async () => {
    const { window } = setup();
    const a = window.offer({ command: 'deliver_sm', sequence_number: 0 });
    assert.equal(window.complete(resp('generic_nack', 1, 3)), 'matched');
    assert.equal((await a).command, 'generic_nack');
  });

  it('expires each request after responseTimeout with ResponseTimeoutError, leaving later ones alone', async () => {
    const { window, clock } = setup({ timeout: 1000 });
    const a = track(window.offer({ command: 'deliver_sm', sequence_number: 0 }));
    clock.advance(400);
    const b = track(window.offer({ command: 'deliver_sm', sequence_number: 0 }));
    clock.advance(599);
    await tick();
    assert.equal(a.settled, false);
    clock.advance(1);
    await tick();
    assert.ok(a.error instanceof ResponseTimeoutError);
    assert.equal((a.error as ResponseTimeoutError).sequenceNumber, 1);
    assert.equal((a.error as ResponseTimeoutError).command, 'deliver_sm');
    assert.equal(b.settled, false);
    assert.equal(window.size, 1);
    clock.advance(400);
    await tick();
    assert.ok(b.error instanceof ResponseTimeoutError);
    assert.equal(window.size, 0);
    assert.equal(clock.pending, 0, 'no timer left once empty');
    // A late response to an expired request is unknown, never a crash.
    assert.equal(window.complete(resp('deliver_sm_resp', 1)), 'unknown');
  });

  it('wraps from 0x7FFFFFFF to 1, skipping sequence numbers still outstanding', () => {
    const { window, sent } = setup({ first: MAX_SEQUENCE - 1 });
    for (let i = 0; i < 3; i++) void window.offer({ command: 'deliver_sm', sequence_number: 0 }).catch(() => {});
    assert.deepEqual(
      sent.map((r) => r.sequence_number),
      [MAX_SEQUENCE - 1, MAX_SEQUENCE, 1],
    );
    window.complete(resp('deliver_sm_resp', MAX_SEQUENCE - 1));
    window.complete(resp('deliver_sm_resp', MAX_SEQUENCE));
    void window.offer({ command: 'deliver_sm', sequence_number: 0 }).catch(() => {});
    assert.equal(sent[3].sequence_number, 2);
  });

  it('never hands out a sequence number that is still outstanding after a full lap', () => {
    assert.equal(freeSequence(5, new Set<number>()), 5);
    assert.equal(freeSequence(MAX_SEQUENCE, new Set([MAX_SEQUENCE, 1, 2])), 3);
    assert.equal(freeSequence(MAX_SEQUENCE - 1, new Set([MAX_SEQUENCE - 1])), MAX_SEQUENCE);
  });

  it('when full, offer waits first come first served and sends as slots free', async () => {
    const { window, sent } = setup({ maxSize: 2 });
    const ps = [0, 1, 2, 3].map((i) => track(window.offer({ command: `c${i}`, sequence_number: 0 })));
    assert.equal(sent.length, 2);
    assert.equal(window.waiting, 2);
    window.complete(resp('c1_resp', 2));
    assert.deepEqual(
      sent.map((r) => r.command),
      ['c0', 'c1', 'c2'],
    );
    window.complete(resp('c0_resp', 1));
    assert.equal(sent[3].command, 'c3');
    await tick();
    assert.equal(ps[1].settled, true);
  });

  it('a waiting offer rejects with WindowFullError after its wait; waitMs 0 rejects at once', async () => {
    const { window, clock } = setup({ maxSize: 1, offerTimeout: 500, timeout: 10_000 });
    void window.offer({ command: 'deliver_sm', sequence_number: 0 }).catch(() => {});
    await assert.rejects(window.offer({ command: 'deliver_sm', sequence_number: 0 }, 0), WindowFullError);
    const w = track(window.offer({ command: 'deliver_sm', sequence_number: 0 }));
    clock.advance(499);
    await tick();
    assert.equal(w.settled, false);
    clock.advance(1);
    await tick();
    assert.ok(w.error instanceof WindowFullError);
    assert.equal(window.waiting, 0);
  });

  it('close rejects everything outstanding and waiting, clears its timers, and refuses later offers', async () => {
    const { window, clock } = setup({ maxSize: 1 });
    const a = track(window.offer({ command: 'deliver_sm', sequence_number: 0 }));
    const b = track(window.offer({ command: 'deliver_sm', sequence_number: 0 }));
    const empty = track(window.whenEmpty());
    window.close(new SessionClosedError('test'));
    await tick();
    assert.ok(a.error instanceof SessionClosedError);
    assert.ok(b.error instanceof SessionClosedError);
    assert.equal(empty.settled, true);
    assert.equal(clock.pending, 0);
    await assert.rejects(window.offer({ command: 'x', sequence_number: 0 }), SessionClosedError);
  });

  it('whenEmpty resolves when the last response arrives', async () => {
    const { window } = setup();
    void window.offer({ command: 'x', sequence_number: 0 });
    const e = track(window.whenEmpty());
    await tick();
    assert.equal(e.settled, false);
    window.complete(resp('x_resp', 1));
    await tick();
    assert.equal(e.settled, true);
  });

  it('a send that throws rejects that offer and frees its slot', async () => {
    const clock = new ManualClock();
    const window = new Window<Req, Resp>({
      maxSize: 1,
      responseTimeoutMs: 1000,
      clock,
      send: (r) => {
        if (r.command === 'bad') throw new TypeError('cannot encode');
      },
    });
    await assert.rejects(window.offer({ command: 'bad', sequence_number: 0 }), TypeError);
    assert.equal(window.size, 0);
    void window.offer({ command: 'good', sequence_number: 0 });
    assert.equal(window.size, 1);
  });
});
