// The fake SMSC checked with the raw ESME: ids in each format, receipts by TLVs and text (and before the response
// when asked), error injection, enquire_link dropped, kill and down.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CommandStatus, type Pdu } from '../../src/smpp/codec/index.js';
import { Esme, submitDefaults } from './esme.js';
import { type FakeSmsc, startSmsc } from './smsc.js';

const open: FakeSmsc[] = [];
const esmes: Esme[] = [];
after(async () => {
  for (const e of esmes) e.destroy();
  await Promise.all(open.map((s) => s.close()));
});

async function smsc(options: Parameters<typeof startSmsc>[0] = {}): Promise<FakeSmsc> {
  const s = await startSmsc(options);
  open.push(s);
  return s;
}

async function esme(s: FakeSmsc, type: 'transmitter' | 'receiver' | 'transceiver' = 'transceiver'): Promise<Esme> {
  const e = await Esme.connect({ port: s.port });
  esmes.push(e);
  const r = await e.bind(type, 'acme', 'pw');
  assert.equal(r.command_status, 0);
  return e;
}

function isReceipt(p: Pdu): boolean {
  return p.command === 'deliver_sm' && (p.esm_class & 0x04) !== 0;
}

describe('fake SMSC', () => {
  it('answers submits with decimal ids and sends a receipt by TLVs and text', async () => {
    const s = await smsc({ receipts: { delayMs: 10 } });
    const e = await esme(s);
    const r = await e.submit({ short_message: Buffer.from('hello world') });
    assert.equal(r.command_status, 0);
    assert.equal(r.command, 'submit_sm_resp');
    const id = r.command === 'submit_sm_resp' ? r.message_id : '';
    assert.match(id, /^\d+$/);
    const dlr = await e.waitFor(isReceipt);
    assert.ok(dlr.command === 'deliver_sm');
    assert.equal(dlr.tlvs?.receipted_message_id, id);
    assert.equal(dlr.tlvs?.message_state, 2);
    assert.match(
      dlr.short_message.toString('latin1'),
      new RegExp(`^id:${id} sub:001 dlvrd:001 .* stat:DELIVRD err:000 text:hello world$`),
    );
    assert.equal(dlr.source_addr, '33612345678');
    assert.equal(dlr.destination_addr, '12345');
    assert.equal(s.submits.length, 1);
    assert.equal(s.submits[0].messageId, id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(s.counters.receiptsAcked, 1);
  });

  it('writes hex ids, receipts in decimal when asked, and a quick receipt before the response', async () => {
    const s = await smsc({ idFormat: 'hex', receipts: { quick: true, idFormat: 'decimal', format: 'text' } });
    const e = await esme(s);
    const r = await e.submit();
    const id = r.command === 'submit_sm_resp' ? r.message_id : '';
    assert.match(id, /^[0-9A-F]+$/);
    const dlrIndex = e.received.findIndex(isReceipt);
    const respIndex = e.received.findIndex((p) => p.command === 'submit_sm_resp');
    assert.ok(dlrIndex >= 0 && dlrIndex < respIndex, 'the receipt came first');
    const dlr = e.received[dlrIndex];
    assert.ok(dlr.command === 'deliver_sm');
    assert.equal(dlr.tlvs, undefined);
    assert.ok(dlr.short_message.toString('latin1').startsWith(`id:${BigInt(`0x${id}`).toString(10)} `));
  });

  it('refuses the n-th submit with the injected status, ignores one, and honours registered_delivery', async () => {
    const s = await smsc({
      receipts: { states: { UNDELIV: 1 } },
      submitStatus: (n) => (n === 2 ? CommandStatus.ESME_RTHROTTLED : n === 3 ? 'ignore' : undefined),
    });
    const e = await esme(s);
    assert.equal((await e.submit({ registered_delivery: 2 })).command_status, 0);
    assert.equal((await e.submit()).command_status, CommandStatus.ESME_RTHROTTLED);
    await assert.rejects(e.request({ ...submitDefaults(), command: 'submit_sm' }, 200));
    assert.equal((await e.submit({ registered_delivery: 0 })).command_status, 0);
    const dlr = await e.waitFor(isReceipt);
    assert.ok(dlr.command === 'deliver_sm');
    assert.equal(dlr.tlvs?.message_state, 5);
    assert.deepEqual(dlr.tlvs?.network_error_code, { network_type: 3, error_code: 1 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(e.received.filter(isReceipt).length, 1, 'no receipt for registered_delivery 0');
    assert.deepEqual(
      s.submits.map((x) => x.status),
      [0, CommandStatus.ESME_RTHROTTLED, -1, 0],
    );
  });

  it('draws receipt states from the mix, round-robin over receiver binds, and not to a bind that has gone', async () => {
    const s = await smsc({ receipts: { states: { DELIVRD: 1, UNDELIV: 1, EXPIRED: 0 } } });
    const tx = await esme(s, 'transmitter');
    const rxA = await esme(s, 'receiver');
    const rxB = await esme(s, 'receiver');
    const count = (e: Esme) => e.received.filter(isReceipt).length;
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 400 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(done());
    };
    for (let i = 0; i < 20; i++) assert.equal((await tx.submit()).command_status, 0);
    await until(() => count(rxA) + count(rxB) === 20);
    assert.equal(count(rxA), 10);
    assert.equal(count(rxB), 10);
    rxA.destroy();
    await until(() => s.sessions().length === 2);
    for (let i = 0; i < 10; i++) assert.equal((await tx.submit()).command_status, 0);
    await until(() => count(rxB) === 20);
    assert.equal(s.counters.receiptResends, 0, 'no receipt was tried on the bind that went');
    const states = new Set(
      [...rxA.received, ...rxB.received]
        .filter(isReceipt)
        .map((p) => (p.command === 'deliver_sm' ? p.tlvs?.message_state : 0)),
    );
    assert.deepEqual([...states].sort(), [2, 5], 'DELIVRD and UNDELIV, never EXPIRED (weight 0)');
  });

  it('drops enquire_link when told, sends MO and receipts on demand', async () => {
    const s = await smsc({ answerEnquireLink: false });
    const e = await esme(s, 'receiver');
    await assert.rejects(e.request({ command: 'enquire_link' }, 150));
    assert.equal(await s.sendMo({ source_addr: '336', destination_addr: '1234', short_message: 'hi' }), 0);
    e.auto.deliverStatus = CommandStatus.ESME_RX_T_APPN;
    assert.equal(await s.sendReceipt('42', 'EXPIRED'), CommandStatus.ESME_RX_T_APPN);
  });

  it('kill drops connections; down closes new ones or refuses their binds', async () => {
    const s = await smsc();
    const e = await esme(s);
    s.kill();
    await e.closed;
    s.setDown(true, 'refuse');
    const e2 = await Esme.connect({ port: s.port });
    esmes.push(e2);
    assert.equal((await e2.bind('transmitter', 'acme', 'pw')).command_status, CommandStatus.ESME_RBINDFAIL);
    s.setDown(true);
    const e3 = await Esme.connect({ port: s.port });
    esmes.push(e3);
    await e3.closed;
    s.setDown(false);
    await esme(s);
  });
});
