// ReceiptEngine: held (unmatched) receipts are capped per connector, so that receipts which can never match (the
// ones an SMSC sends again after a crash for submit_sm_resp the last run never recorded) cannot fill the connector
// session's inbound window and stop it reading its own submit_sm_resp.

import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { CommandStatus, type PduOf } from '../smpp/codec/index.js';
import { MessageState } from '../store/model.js';
import { Accounts } from './accounts.js';
import { defaultRoute, makeUser, memoryLogger, sqliteStoreWith, submission } from './pipeline.fixtures.js';
import { MtPipeline } from './pipeline.js';
import { ReceiptEngine } from './receipts.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function receipt(id: string): PduOf<'deliver_sm'> {
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: '12345',
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.alloc(0),
    tlvs: { receipted_message_id: id, message_state: MessageState.DELIVERED },
  };
}

it('holds at most maxHeldPerConnector unmatched receipts per connector; past it answers ESME_RX_T_APPN', async () => {
  const { store, cleanup } = await sqliteStoreWith([await makeUser({})], [defaultRoute(0, 'c1')]);
  cleanups.push(cleanup);
  const logger = memoryLogger();
  const engine = new ReceiptEngine({
    store,
    connectorSettings: () => ({}),
    dlrExpirySecs: 3600,
    logger,
    quickReceiptWaitMs: 1500,
    quickReceiptPollMs: 1000,
    maxHeldPerConnector: 2,
  });
  const pipeline = new MtPipeline({
    store,
    accounts: new Accounts({ store, logger }),
    logger,
    idGenerator: () => 'm1',
  });
  const r = await pipeline.submit({ id: 'u1', username: 'u1' }, submission({ registered_delivery: 1 }), 'smpps');
  assert.ok(r.ok);
  const m = await store.getMessage('m1');
  assert.ok(m !== null);

  const first = engine.delivered('c1', receipt('A1'));
  const second = engine.delivered('c1', receipt('A2'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(engine.heldReceipts, 2);
  // The third on c1 is not held: the SMSC keeps it and sends it again later.
  assert.equal(await engine.delivered('c1', receipt('A3')), CommandStatus.ESME_RX_T_APPN);
  assert.ok(logger.lines.some((l) => l.event === 'receipt_hold_full' && l.fields.upstream_id === 'A3'));
  // Another connector has its own allowance.
  const other = engine.delivered('c2', receipt('B1'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(engine.heldReceipts, 3);
  // A held one is still matched when its submit outcome comes (a real quick receipt), which frees its place.
  await engine.submitted('c1', m, { kind: 'accepted', upstreamId: 'A1' });
  assert.equal(await first, CommandStatus.ESME_ROK);
  assert.equal((await store.getMessage('m1'))?.status, 'final');
  const fourth = engine.delivered('c1', receipt('A4'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(engine.heldReceipts, 3, 'A2, A4 on c1 and B1 on c2');
  // The rest never match: each is answered ESME_ROK after its wait, as before.
  assert.deepEqual(await Promise.all([second, other, fourth]), [0, 0, 0]);
  assert.equal(engine.heldReceipts, 0);
});
