// The whole-path load client (bench/gateway.ts) checked against the fake SMSC directly: every message accepted comes
// back with its receipt, matched by id whether the receipt carries it in a TLV (read off the wire) or only in its text
// (decoded whole), and whether it comes after its submit_sm_resp or before it (quick receipts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runReceiptLoad } from './receiptLoad.js';
import { type SmscReceiptOptions, startSmsc } from './smsc.js';

async function run(receipts: SmscReceiptOptions, idFormat: 'decimal' | 'uuid' = 'decimal') {
  const smsc = await startSmsc({ receipts, idFormat, keepSubmits: false });
  try {
    const result = await runReceiptLoad({
      port: smsc.port,
      binds: 2,
      window: 10,
      durationMs: 300,
      warmupMs: 100,
      system_id: 'load',
      password: 'pw',
      drainMs: 5000,
    });
    return { result, receiptsSent: smsc.counters.receipts, submits: smsc.counters.submits };
  } finally {
    await smsc.close();
  }
}

describe('receipt load client', () => {
  for (const [name, receipts, idFormat] of [
    ['TLV receipts after the response', { format: 'both' }, 'decimal'],
    ['text-only receipts', { format: 'text' }, 'uuid'],
    ['quick receipts, before the response', { format: 'tlv', quick: true }, 'decimal'],
  ] as const) {
    it(`matches every receipt to its message: ${name}`, async () => {
      const { result, receiptsSent, submits } = await run(receipts, idFormat);
      assert.ok(result.totalAccepted > 0);
      assert.equal(result.totalAccepted, submits);
      assert.equal(receiptsSent, submits);
      assert.equal(result.totalReceipts, result.totalAccepted);
      assert.equal(result.missing, 0);
      assert.equal(result.duplicates, 0);
      assert.equal(result.unknown, 0);
      assert.ok(result.receipts > 0);
    });
  }
});
