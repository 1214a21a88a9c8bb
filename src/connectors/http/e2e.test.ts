// MO from a real upstream to an HTTP application, the whole way: the fake SMSC (loopback) sends deliver_sm to our smppc
// connector, run by the connector manager with the HTTP connector registered; the ReceiptEngine hands them to the
// MoRouter, the HttpMoSink keeps them, the HTTP connector posts them. A long MO whose parts come out of order is
// answered ESME_ROK part by part and posted once, whole; an MO with no route is never answered ESME_ROK.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type FakeSmsc, startSmsc } from '../../../test/helpers/smsc.js';
import { MoRouter } from '../../gateway/mo.js';
import { ReceiptEngine } from '../../gateway/receipts.js';
import { CommandStatus } from '../../smpp/codec/index.js';
import { MemoryLogger } from '../../smpp/session/log.js';
import { buildConcatUdh, ESM_CLASS_UDHI, encodeText } from '../../smpp/text/index.js';
import { ConnectorManager } from '../manager.js';
import { createHttpConnector } from './connector.js';
import { HttpMoSink } from './moSink.js';
import { startApp, tempStore, until } from './testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('MO from an upstream SMSC to an HTTP application', () => {
  it('a long MO out of order is answered part by part and posted once, whole; an unroutable one is never ROK', async () => {
    const smsc: FakeSmsc = await startSmsc();
    const app = await startApp();
    const db = tempStore();
    cleanups.push(db.cleanup, app.close, () => smsc.close());
    const store = db.store();
    const logger = new MemoryLogger();
    await store.putConnector({
      cid: 'up',
      type: 'smppc',
      started: true,
      settings: { host: '127.0.0.1', port: smsc.port, system_id: 'up', bind: 'transceiver', poll_ms: 10 },
    });
    await store.putConnector({ cid: 'app', type: 'http', started: true, settings: { url: app.url } });
    await store.putMoRoute({
      order: 10,
      type: 'static',
      targets: [{ kind: 'http', cid: 'app' }],
      filters: [
        { type: 'connector', cid: 'up' },
        { type: 'destination_addr', regex: '^1234$' },
      ],
    });

    let manager: ConnectorManager | null = null;
    const sink = new HttpMoSink({ store, logger, onQueued: (cid) => manager?.notify(cid) });
    const router = new MoRouter({
      store,
      logger,
      dlrExpirySecs: 600,
      onQueued: () => {},
      http: sink,
      isConnectorUp: (cid) => manager?.isUp(cid) ?? false,
    });
    const receipts = new ReceiptEngine({
      store,
      connectorSettings: () => ({}),
      dlrExpirySecs: 600,
      logger,
      onMo: (cid, pdu) => router.route(cid, pdu),
    });
    manager = new ConnectorManager({ store, events: receipts, logger, expiryIntervalMs: 0 });
    manager.register('http', createHttpConnector);
    await manager.load();
    sink.start();
    cleanups.push(async () => {
      await sink.stop();
      await manager?.close();
    });
    await until(() => smsc.sessions().some((s) => s.bindType === 'transceiver'), 5000, 'the upstream bind');

    const text = 'Отправлено из сети: длинное сообщение в трёх частях 👍';
    const bytes = encodeText(text, 0x08);
    const size = Math.ceil(bytes.length / 3);
    const parts = [0, 1, 2].map((i) =>
      Buffer.concat([buildConcatUdh(0x0badd, 3, i + 1, 16), bytes.subarray(i * size, (i + 1) * size)]),
    );
    for (const i of [1, 2, 0]) {
      const status = await smsc.sendMo({
        source_addr: '447700900123',
        destination_addr: '1234',
        esm_class: ESM_CLASS_UDHI,
        data_coding: 0x08,
        short_message: parts[i],
      });
      assert.equal(status, CommandStatus.ESME_ROK);
    }
    await app.waitFor(1);
    const f = app.received[0].fields;
    assert.equal(f.content, text);
    assert.equal(f.from, '447700900123');
    assert.equal(f.to, '1234');
    assert.equal(f['origin-connector'], 'up');
    assert.equal(f.coding, '8');

    const refused = await smsc.sendMo({ source_addr: '447700900123', destination_addr: '999', short_message: 'x' });
    assert.notEqual(refused, CommandStatus.ESME_ROK);
    assert.ok(logger.lines.some((l) => l.event === 'mo_rejected' && l.fields.reason === 'no_route'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(app.received.length, 1);
  });
});
