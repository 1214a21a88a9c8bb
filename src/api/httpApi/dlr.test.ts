// HTTP API receipts end to end: a message sent through /send with dlr-url, its upstream outcome and receipt given to
// the ReceiptEngine as a connector would, and the calls reaching a tiny node:http receiver through the durable HTTP
// outbox, with Jasmin's fields, at levels 1, 2 and 3, by GET and by POST.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpOutbox } from '../../connectors/http/outbox.js';
import { formatReceiptDate } from '../../gateway/receipt.js';
import { ReceiptEngine } from '../../gateway/receipts.js';
import { CommandStatus, type PduOf } from '../../smpp/codec/index.js';
import { MessageState, type MessageStateValue } from '../../store/model.js';
import { type ApiHarness, AUTH, idOf, startApi } from './httpApi.fixtures.js';

interface Received {
  method: string;
  path: string;
  fields: Record<string, string>;
}

/** The receiving application: records each call; answers 500 to the first `failFirst` calls. */
async function receiver(failFirst = 0) {
  const calls: Received[] = [];
  let failures = failFirst;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const form = req.method === 'POST' ? Buffer.concat(chunks).toString() : url.search.slice(1);
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('not now');
        return;
      }
      calls.push({
        method: req.method ?? '',
        path: url.pathname,
        fields: Object.fromEntries(new URLSearchParams(form)),
      });
      res.writeHead(200).end('ACK/Jasmin');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dlr`,
    calls,
    async waitFor(n: number) {
      for (let i = 0; i < 500 && calls.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(calls.length, n, JSON.stringify(calls));
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

function upstreamReceipt(id: string, state: MessageStateValue): PduOf<'deliver_sm'> {
  return {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '33600000001',
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: 'Jasmin',
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
    tlvs: { receipted_message_id: id, message_state: state },
  };
}

describe('HTTP API receipts to dlr-url', () => {
  let t: ApiHarness;
  let outbox: HttpOutbox;
  let engine: ReceiptEngine;
  let n = 0;
  before(async () => {
    t = await startApi();
    outbox = new HttpOutbox({
      store: t.store,
      logger: t.logger,
      prefix: 'dlr:',
      kind: 'receipt',
      retryDelayMs: 20,
      maxRetryDelayMs: 50,
      sweepMs: 50,
      timeoutMs: 2000,
    });
    outbox.start();
    engine = new ReceiptEngine({
      store: t.store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 3600,
      logger: t.logger,
      clock: t.clock,
      httpOutbox: outbox,
    });
  });
  after(async () => {
    await outbox.stop();
    await t.close();
  });

  /** Sends "hello world" with receipts as asked; the upstream accepts it (upstream id returned). */
  async function sendAccepted(dlrUrl: string, level: 1 | 2 | 3, method: 'GET' | 'POST') {
    const r = await t.call('/send', {
      ...AUTH,
      to: '33600000001',
      from: 'Jasmin',
      content: 'hello world',
      'dlr-url': dlrUrl,
      'dlr-level': level,
      'dlr-method': method,
    });
    assert.equal(r.status, 200, r.body);
    const m = await t.store.getMessage(idOf(r.body));
    assert.ok(m !== null);
    const upstreamId = `up-${++n}`;
    await engine.submitted('c1', m, { kind: 'accepted', upstreamId });
    return { m, upstreamId };
  }

  function level1(id: string, status = 'ESME_ROK') {
    return { id, message_status: status, level: '1', connector: 'c1' };
  }

  for (const method of ['GET', 'POST'] as const) {
    it(`level 1 by ${method}: the upstream's submit_sm_resp status, once`, async () => {
      const rx = await receiver();
      try {
        const { m, upstreamId } = await sendAccepted(rx.url, 1, method);
        await rx.waitFor(1);
        assert.deepEqual(rx.calls[0], { method, path: '/dlr', fields: level1(m.id) });
        assert.equal(await engine.delivered('c1', upstreamReceipt(upstreamId, MessageState.DELIVERED)), 0);
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(rx.calls.length, 1, 'no terminal call at level 1');
        assert.equal(await t.store.pendingDeliveries('u1'), 0, 'no SMPP receipt for an HTTP message');
      } finally {
        rx.close();
      }
    });

    it(`level 2 by ${method}: the terminal receipt with Jasmin's fields`, async () => {
      const rx = await receiver();
      try {
        const { m, upstreamId } = await sendAccepted(rx.url, 2, method);
        t.clock.advance(60_000);
        assert.equal(await engine.delivered('c1', upstreamReceipt(upstreamId, MessageState.DELIVERED)), 0);
        await rx.waitFor(1);
        assert.deepEqual(rx.calls[0], {
          method,
          path: '/dlr',
          fields: {
            id: m.id,
            message_status: 'DELIVRD',
            level: '2',
            connector: 'c1',
            id_smsc: upstreamId,
            sub: '001',
            dlvrd: '001',
            subdate: formatReceiptDate(m.submitted_at),
            donedate: formatReceiptDate(t.clock.now()),
            err: '000',
            text: 'hello world',
          },
        });
      } finally {
        rx.close();
      }
    });

    it(`level 3 by ${method}: both, in order`, async () => {
      const rx = await receiver();
      try {
        const { m, upstreamId } = await sendAccepted(rx.url, 3, method);
        await engine.delivered('c1', upstreamReceipt(upstreamId, MessageState.UNDELIVERABLE));
        await rx.waitFor(2);
        assert.deepEqual(rx.calls[0].fields, level1(m.id));
        assert.equal(rx.calls[1].fields.level, '2');
        assert.equal(rx.calls[1].fields.message_status, 'UNDELIV');
        assert.equal(rx.calls[1].fields.dlvrd, '000');
      } finally {
        rx.close();
      }
    });
  }

  it('an upstream refusal: level 1 gets its status, level 2 the final REJECTD at once', async () => {
    const rx = await receiver();
    try {
      const r = await t.call('/send', { ...AUTH, to: '33600000001', content: 'x', 'dlr-url': rx.url, 'dlr-level': 3 });
      const m = await t.store.getMessage(idOf(r.body));
      assert.ok(m !== null);
      await engine.submitted('c1', m, { kind: 'rejected', status: CommandStatus.ESME_RINVDSTADR });
      await rx.waitFor(2);
      assert.deepEqual(rx.calls[0].fields, level1(m.id, 'ESME_RINVDSTADR'));
      assert.equal(rx.calls[1].fields.message_status, 'REJECTD');
      assert.equal(rx.calls[1].fields.err, String(CommandStatus.ESME_RINVDSTADR).padStart(3, '0'));
      assert.equal(rx.calls[1].fields.id_smsc, '');
    } finally {
      rx.close();
    }
  });

  it('a message that expires before any upstream took it: ESME_RSUBMITFAIL at level 1', async () => {
    const rx = await receiver();
    try {
      const r = await t.call('/send', { ...AUTH, to: '33600000001', content: 'x', 'dlr-url': rx.url });
      const m = await t.store.getMessage(idOf(r.body));
      assert.ok(m !== null);
      await engine.submitted('c1', m, { kind: 'expired' });
      await rx.waitFor(1);
      assert.deepEqual(rx.calls[0].fields, level1(m.id, 'ESME_RSUBMITFAIL'));
    } finally {
      rx.close();
    }
  });

  it('a receiver that fails gets the same receipt again until it answers 2xx', async () => {
    const rx = await receiver(2);
    try {
      const { m } = await sendAccepted(rx.url, 1, 'POST');
      await rx.waitFor(1);
      assert.deepEqual(rx.calls[0].fields, level1(m.id));
    } finally {
      rx.close();
    }
  });

  it('each part of a long message gets its own receipts, under its own id', async () => {
    const rx = await receiver();
    try {
      const r = await t.call('/send', {
        ...AUTH,
        to: '33600000001',
        content: 'p'.repeat(200),
        'dlr-url': rx.url,
        'dlr-level': 2,
      });
      const ids = (r.headers.get('x-message-ids') ?? '').split(',');
      assert.equal(ids.length, 2);
      for (const [k, id] of ids.entries()) {
        const m = await t.store.getMessage(id);
        assert.ok(m !== null);
        await engine.submitted('c1', m, { kind: 'accepted', upstreamId: `long-${k}` });
        await engine.delivered('c1', upstreamReceipt(`long-${k}`, MessageState.DELIVERED));
      }
      await rx.waitFor(2);
      assert.deepEqual(
        rx.calls.map((c) => c.fields.id),
        ids,
      );
      assert.equal(rx.calls[0].fields.text, 'p'.repeat(20), 'the part text without its UDH');
    } finally {
      rx.close();
    }
  });
});
