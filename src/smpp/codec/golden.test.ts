// Checks every golden vector both ways: decode(golden) deep-equals the object, encode(object) equals the bytes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandId } from './commands.js';
import { decodePdu } from './decode.js';
import { encodePdu } from './encode.js';
import { GOLDEN } from './golden.fixtures.js';

describe('golden vectors', () => {
  for (const g of GOLDEN) {
    it(`${g.name}: decode(golden) equals the object`, () => {
      assert.deepStrictEqual(decodePdu(g.bytes), g.object);
    });
    it(`${g.name}: encode(object) equals the golden bytes`, () => {
      assert.equal(encodePdu(g.object).toString('hex'), g.bytes.toString('hex'));
    });
  }

  it('cover every command of SMPP 3.4', () => {
    const covered = new Set(GOLDEN.map((g) => g.object.command));
    assert.deepStrictEqual([...covered].sort(), Object.keys(CommandId).sort());
  });

  it('short_message decodes as a zero-copy view of the frame', () => {
    const g = GOLDEN.find((x) => x.name.startsWith('deliver_sm receipt'))!;
    const decoded = decodePdu(g.bytes);
    assert.equal(decoded.command, 'deliver_sm');
    if (decoded.command !== 'deliver_sm') return;
    assert.equal(decoded.short_message.buffer, g.bytes.buffer);
  });
});
