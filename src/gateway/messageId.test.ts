import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMessageIdGenerator, MessageIdConfigError, shortNodePrefix } from './messageId.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function many(next: () => string, n: number): string[] {
  return Array.from({ length: n }, next);
}

describe('uuid format (default)', () => {
  test('UUID v4, unique over 1e5', () => {
    const ids = many(createMessageIdGenerator(), 100_000);
    assert.ok(ids.every((id) => UUID_V4.test(id)));
    assert.equal(new Set(ids).size, ids.length);
  });

  test('the UUID source is injectable', () => {
    const next = createMessageIdGenerator({ format: 'uuid', uuid: () => 'fixed' });
    assert.equal(next(), 'fixed');
  });
});

describe('short format', () => {
  test('at most 16 characters, base36, unique over 1e5 with the real clock', () => {
    const ids = many(createMessageIdGenerator({ format: 'short', nodeId: 7 }), 100_000);
    assert.ok(ids.every((id) => id.length <= 16 && /^[0-9a-z]+$/.test(id)));
    assert.ok(ids.every((id) => id.startsWith('07')));
    assert.equal(new Set(ids).size, ids.length);
  });

  test('layout: node, 8-digit time, 3-digit counter', () => {
    const at = Date.UTC(2025, 0, 1);
    const next = createMessageIdGenerator({ format: 'short', nodeId: 'a', now: () => at });
    const expectedTime = at.toString(36).padStart(8, '0');
    assert.equal(next(), `0a${expectedTime}000`);
    assert.equal(next(), `0a${expectedTime}001`);
    assert.equal(next().length, 13);
  });

  test('a frozen clock: 1e5 ids in one millisecond stay unique by borrowing the next milliseconds', () => {
    const ids = many(createMessageIdGenerator({ format: 'short', nodeId: 1, now: () => 1_700_000_000_000 }), 100_000);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => id.length <= 16));
  });

  test('a clock going back within a process never repeats an id', () => {
    let t = 1_700_000_000_500;
    const next = createMessageIdGenerator({ format: 'short', nodeId: 1, now: () => t });
    const before = many(next, 10);
    t -= 400;
    const after = many(next, 10);
    assert.equal(new Set([...before, ...after]).size, 20);
  });

  test('ids are sortable by time within a node', () => {
    let t = 1_700_000_000_000;
    const next = createMessageIdGenerator({ format: 'short', nodeId: 3, now: () => t });
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 7 === 0) t += 1;
      ids.push(next());
    }
    assert.deepEqual([...ids].sort(), ids);
  });

  test('unique across nodes sharing a clock', () => {
    const now = () => 1_700_000_000_000;
    const a = many(createMessageIdGenerator({ format: 'short', nodeId: 0, now }), 50_000);
    const b = many(createMessageIdGenerator({ format: 'short', nodeId: 1, now }), 50_000);
    const c = many(createMessageIdGenerator({ format: 'short', nodeId: 'zz', now }), 50_000);
    assert.equal(new Set([...a, ...b, ...c]).size, 150_000);
  });

  test('unique across a restart: the new process starts at a later millisecond', () => {
    let t = 1_700_000_000_000;
    const first = createMessageIdGenerator({ format: 'short', nodeId: 5, now: () => t });
    const before = many(first, 1000);
    t += 1; // the restart took at least a millisecond
    const second = createMessageIdGenerator({ format: 'short', nodeId: 5, now: () => t });
    const after = many(second, 1000);
    assert.equal(new Set([...before, ...after]).size, 2000);
  });

  test('stays within 16 characters past the year 2059', () => {
    const next = createMessageIdGenerator({ format: 'short', nodeId: 'zz', now: () => Date.UTC(2100, 0, 1) });
    const id = next();
    assert.equal(id.length, 14);
  });

  test('node ids: numbers 0–1295 or 1–2 base36 characters, padded', () => {
    assert.equal(shortNodePrefix(0), '00');
    assert.equal(shortNodePrefix(35), '0z');
    assert.equal(shortNodePrefix(1295), 'zz');
    assert.equal(shortNodePrefix('7'), '07');
    assert.equal(shortNodePrefix('k9'), 'k9');
    for (const bad of [undefined, -1, 1296, 1.5, '', 'abc', 'A1', 'é']) {
      assert.throws(() => shortNodePrefix(bad), MessageIdConfigError, String(bad));
    }
    assert.throws(() => createMessageIdGenerator({ format: 'short' }), MessageIdConfigError);
  });

  test('an unknown format is a configuration error', () => {
    assert.throws(() => createMessageIdGenerator({ format: 'hex' as 'uuid' }), MessageIdConfigError);
  });
});
