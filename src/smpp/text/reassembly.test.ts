import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type AddResult, type DroppedSet, Reassembler, type ReassemblyPart } from './reassembly.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function part(key: string, total: number, seq: number, text = `${key}#${seq}`): ReassemblyPart<string> {
  return { key, total, seq, payload: Buffer.from(text), meta: `meta ${key}/${seq}` };
}

function texts(r: AddResult<string>): string[] {
  assert.equal(r.status, 'complete');
  return r.status === 'complete' ? r.message.parts.map((p) => p.payload.toString()) : [];
}

describe('Reassembler', () => {
  test('parts in any order complete once, ordered by seq, with their meta', () => {
    const clock = fakeClock();
    const r = new Reassembler<string>({ now: clock.now, timeoutMs: 60_000, maxPending: 10 });
    assert.deepEqual(r.add(part('A', 3, 3)), { status: 'pending', received: 1, dropped: [] });
    assert.deepEqual(r.add(part('B', 2, 2)), { status: 'pending', received: 1, dropped: [] });
    assert.deepEqual(r.add(part('A', 3, 1)), { status: 'pending', received: 2, dropped: [] });
    assert.equal(r.pendingCount, 2);
    const done = r.add(part('A', 3, 2));
    assert.deepEqual(texts(done), ['A#1', 'A#2', 'A#3']);
    if (done.status === 'complete') {
      assert.equal(done.message.key, 'A');
      assert.equal(done.message.total, 3);
      assert.deepEqual(
        done.message.parts.map((p) => p.meta),
        ['meta A/1', 'meta A/2', 'meta A/3'],
      );
    }
    assert.equal(r.pendingCount, 1);
    assert.deepEqual(texts(r.add(part('B', 2, 1))), ['B#1', 'B#2']);
    assert.equal(r.pendingCount, 0);
    assert.deepEqual(texts(r.add(part('C', 1, 1))), ['C#1']); // a set of one completes at once
  });

  test('a part received twice is a duplicate, before and after completion', () => {
    const r = new Reassembler<string>({ now: fakeClock().now, timeoutMs: 60_000, maxPending: 10 });
    r.add(part('A', 2, 1));
    assert.deepEqual(r.add(part('A', 2, 1)), { status: 'duplicate', dropped: [] });
    assert.deepEqual(texts(r.add(part('A', 2, 2))), ['A#1', 'A#2']);
    // The SMSC resends a part after we completed (our response was lost): not a new message.
    assert.deepEqual(r.add(part('A', 2, 2)), { status: 'duplicate', dropped: [] });
    assert.equal(r.pendingCount, 0);
  });

  test('a key reused by a new message is not swallowed as a duplicate', () => {
    const r = new Reassembler<string>({ now: fakeClock().now, timeoutMs: 60_000, maxPending: 10 });
    r.add(part('A', 2, 1));
    texts(r.add(part('A', 2, 2)));
    assert.deepEqual(r.add(part('A', 2, 1, 'new text')), { status: 'pending', received: 1, dropped: [] });
    assert.deepEqual(texts(r.add(part('A', 2, 2, 'more'))), ['new text', 'more']);
  });

  test('a part that contradicts its set supersedes it, and the old parts are reported', () => {
    const r = new Reassembler<string>({ now: fakeClock().now, timeoutMs: 60_000, maxPending: 10 });
    r.add(part('A', 3, 1));
    r.add(part('A', 3, 2));
    const other = r.add(part('A', 2, 1, 'x')); // another total
    assert.equal(other.status, 'pending');
    assert.deepEqual(
      other.dropped.map((d) => [d.reason, d.total, d.missing, d.parts.map((p) => p.seq)]),
      [['superseded', 3, [3], [1, 2]]],
    );
    const conflict = r.add(part('A', 2, 1, 'y')); // same seq, other octets
    assert.deepEqual(
      conflict.dropped.map((d) => [d.reason, d.parts.map((p) => p.payload.toString())]),
      [['superseded', ['x']]],
    );
    assert.deepEqual(texts(r.add(part('A', 2, 2, 'z'))), ['y', 'z']);
  });

  test('incomplete sets time out on the injected clock and come back to the caller', () => {
    const clock = fakeClock(5_000);
    const r = new Reassembler<string>({ now: clock.now, timeoutMs: 1_000, maxPending: 10 });
    assert.equal(r.nextExpiryAt(), undefined);
    r.add(part('A', 3, 2));
    clock.advance(400);
    r.add(part('B', 2, 1));
    assert.equal(r.nextExpiryAt(), 6_000);
    clock.advance(599); // A is 999 ms old
    assert.deepEqual(r.expire(), []);
    clock.advance(1); // A is 1000 ms old
    const expired = r.expire();
    assert.deepEqual(expired, [
      {
        key: 'A',
        total: 3,
        reason: 'timeout',
        parts: [part('A', 3, 2)],
        missing: [1, 3],
        firstSeenAt: 5_000,
      },
    ] satisfies DroppedSet<string>[]);
    assert.equal(r.pendingCount, 1);
    assert.equal(r.nextExpiryAt(), 6_400);
    // The timeout counts from the first part: a later part does not extend it.
    clock.advance(300);
    r.add(part('B', 2, 1));
    clock.advance(100);
    const viaAdd = r.add(part('C', 2, 1)); // add() also hands back what has expired
    assert.deepEqual(
      viaAdd.dropped.map((d) => [d.key, d.reason, d.missing]),
      [['B', 'timeout', [2]]],
    );
    // A part arriving after its set expired starts afresh.
    clock.advance(1_000);
    const late = r.add(part('A', 3, 1));
    assert.deepEqual(
      late.dropped.map((d) => d.key),
      ['C'],
    );
    assert.equal(late.status, 'pending');
  });

  test('completed sets are remembered only for the duplicate window', () => {
    const clock = fakeClock();
    const r = new Reassembler<string>({ now: clock.now, timeoutMs: 1_000, maxPending: 10, duplicateWindowMs: 5_000 });
    r.add(part('A', 2, 1));
    texts(r.add(part('A', 2, 2)));
    clock.advance(4_999);
    assert.equal(r.add(part('A', 2, 2)).status, 'duplicate');
    clock.advance(1);
    assert.equal(r.add(part('A', 2, 2)).status, 'pending');

    const forgetful = new Reassembler<string>({
      now: clock.now,
      timeoutMs: 1_000,
      maxPending: 10,
      duplicateWindowMs: 0,
    });
    forgetful.add(part('A', 2, 1));
    texts(forgetful.add(part('A', 2, 2)));
    assert.equal(forgetful.add(part('A', 2, 2)).status, 'pending');
  });

  test('memory is bounded: the oldest incomplete set is evicted and reported', () => {
    const clock = fakeClock();
    const r = new Reassembler<string>({ now: clock.now, timeoutMs: 60_000, maxPending: 2 });
    r.add(part('A', 2, 1));
    clock.advance(1);
    r.add(part('B', 2, 1));
    clock.advance(1);
    const third = r.add(part('C', 2, 1));
    assert.equal(third.status, 'pending');
    assert.deepEqual(
      third.dropped.map((d) => [d.key, d.reason, d.missing]),
      [['A', 'evicted', [2]]],
    );
    assert.equal(r.pendingCount, 2);
    r.add(part('B', 2, 2)); // completing B frees a slot: no eviction for D
    assert.deepEqual(r.add(part('D', 2, 1)).dropped, []);
  });

  test('bad numbers are refused', () => {
    const r = new Reassembler<string>({ now: fakeClock().now, timeoutMs: 1, maxPending: 1 });
    assert.throws(() => r.add(part('A', 0, 1)), RangeError);
    assert.throws(() => r.add(part('A', 256, 1)), RangeError);
    assert.throws(() => r.add(part('A', 2, 0)), RangeError);
    assert.throws(() => r.add(part('A', 2, 3)), RangeError);
    assert.throws(() => new Reassembler({ now: Date.now, timeoutMs: 0, maxPending: 1 }), RangeError);
    assert.throws(() => new Reassembler({ now: Date.now, timeoutMs: 1, maxPending: 0 }), RangeError);
  });

  test('property: every distinct part is accounted for exactly once, and pending sets never exceed the bound', () => {
    const op = fc.record({
      key: fc.constantFrom('A', 'B', 'C', 'D', 'E'),
      total: fc.integer({ min: 1, max: 4 }),
      seq: fc.integer({ min: 1, max: 4 }),
      text: fc.constantFrom('x', 'y'),
      wait: fc.constantFrom(0, 0, 0, 10, 400),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60, size: 'max' }), fc.integer({ min: 1, max: 3 }), (ops, maxPending) => {
        const clock = fakeClock();
        const r = new Reassembler<number>({ now: clock.now, timeoutMs: 1_000, maxPending, duplicateWindowMs: 0 });
        let added = 0;
        let accounted = 0;
        const settle = (dropped: DroppedSet<number>[]) => {
          for (const d of dropped) accounted += d.parts.length;
        };
        ops.forEach((o, i) => {
          clock.advance(o.wait);
          const seq = Math.min(o.seq, o.total);
          const res = r.add({ key: o.key, total: o.total, seq, payload: Buffer.from(o.text), meta: i });
          settle(res.dropped);
          if (res.status !== 'duplicate') added++;
          if (res.status === 'complete') {
            accounted += res.message.parts.length;
            assert.deepEqual(
              res.message.parts.map((p) => p.seq),
              Array.from({ length: o.total }, (_, k) => k + 1),
            );
          }
          assert.ok(r.pendingCount <= maxPending);
        });
        clock.advance(1_000);
        settle(r.expire());
        assert.equal(r.pendingCount, 0);
        assert.equal(accounted, added);
      }),
    );
  });
});
