// The smppc connector with the gateway's real ReceiptEngine and SQLite store, against the fake SMSC sending receipts:
// every part is matched to its receipt whatever base the SMSC writes ids in (hex ↔ decimal, leading zeros), and
// "quick receipts" (sent before the submit_sm_resp) are held and matched, not lost.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type SmscOptions, startSmsc } from '../../../test/helpers/smsc.js';
import { makeUser } from '../../gateway/pipeline.fixtures.js';
import { ReceiptEngine } from '../../gateway/receipts.js';
import { nullLogger } from '../../log/index.js';
import { silentLogger } from '../../smpp/session/index.js';
import { MessageState } from '../../store/model.js';
import { ConnectorManager } from '../manager.js';
import { parts, tempStore, testClock, until } from './testing.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Sends `n` parts through a connector with `settings` to an SMSC with `smsc`; resolves once every part is final. */
async function roundTrip(smscOptions: SmscOptions, settings: Record<string, unknown>, n = 20): Promise<void> {
  const smsc = await startSmsc(smscOptions);
  const { store, cleanup } = tempStore();
  cleanups.push(async () => {
    await smsc.close();
    await cleanup();
  });
  await store.createGroup({ gid: 'g1', enabled: true });
  await store.createUser(await makeUser({ uid: 'u1' }));
  const record = {
    cid: 'up',
    type: 'smppc' as const,
    started: true,
    settings: { host: '127.0.0.1', port: smsc.port, system_id: 'gw', poll_ms: 10, ...settings },
  };
  await store.putConnector(record);
  const engine = new ReceiptEngine({
    store,
    connectorSettings: (cid) => (cid === 'up' ? record.settings : undefined),
    dlrExpirySecs: 3600,
    logger: nullLogger,
    quickReceiptPollMs: 20,
  });
  const manager = new ConnectorManager({ store, events: engine, logger: silentLogger, clock: testClock });
  cleanups.push(() => manager.close());
  const msgs = parts('up', n, { uid: 'u1', registered_delivery: 1 });
  await store.acceptMessages(msgs);
  await manager.load();
  await until(() => smsc.counters.receiptsAcked >= n, `${n} receipts answered`, 10_000);
  for (const m of msgs) {
    const stored = await store.getMessage(m.id);
    assert.equal(stored?.status, 'final', `message ${m.id} final`);
    assert.equal(stored?.state, MessageState.DELIVERED);
  }
  assert.equal(await store.pendingDeliveries('u1'), n, 'one receipt queued for the ESME per part');
}

describe('smppc connector with the receipt engine', () => {
  it('matches receipts written in the same base', async () => {
    await roundTrip({ receipts: { delayMs: 5 } }, {});
  });

  it('matches hex submit_sm_resp ids with decimal receipts (dec_to_hex)', async () => {
    await roundTrip(
      { idFormat: 'hex', receipts: { delayMs: 5, idFormat: 'decimal', format: 'text' } },
      { dlr_msgid_base: 'dec_to_hex' },
    );
  });

  it('matches decimal ids with zero-padded hex receipts (hex_to_dec)', async () => {
    await roundTrip(
      { idFormat: 'decimal', receipts: { delayMs: 5, idFormat: 'hex', idPad: 12 } },
      { dlr_msgid_base: 'hex_to_dec' },
    );
  });

  it('matches zero-padded receipt ids with dlr_msgid_strip_zeros', async () => {
    await roundTrip({ idFormat: 'decimal', receipts: { delayMs: 5, idPad: 16 } }, { dlr_msgid_strip_zeros: true });
  });

  it('matches receipts that come as data_sm with TLVs only', async () => {
    await roundTrip({ receipts: { delayMs: 5, command: 'data_sm', format: 'tlv' } }, {});
  });

  it('holds quick receipts (sent before the submit_sm_resp) until their map entry exists', async () => {
    await roundTrip({ idFormat: 'uuid', latencyMs: 30, receipts: { quick: true } }, {});
  });
});
