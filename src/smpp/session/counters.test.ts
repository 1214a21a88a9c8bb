import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerCounters } from './counters.js';

describe('ServerCounters', () => {
  it('counts connects, binds by type and keeps bound gauges right whether the unbind was clean or not', () => {
    let now = 1000;
    const c = new ServerCounters(() => now);
    const alice = c.user('alice');
    c.onConnect();
    c.onConnect();
    c.onBind('transmitter', alice);
    c.onBind('receiver', alice);
    assert.equal(c.snapshot().bound_tx_count, 1);
    assert.equal(c.snapshot().bound_rx_count, 1);
    c.onUnbound('transmitter', alice, true);
    c.onUnbound('receiver', alice, false); // abrupt disconnect
    c.onDisconnect();
    c.onDisconnect();
    const s = c.snapshot();
    assert.deepEqual(
      [s.connect_count, s.connected_count, s.disconnect_count, s.bind_tx_count, s.bind_rx_count, s.bind_trx_count],
      [2, 0, 2, 1, 1, 0],
    );
    assert.deepEqual([s.bound_tx_count, s.bound_rx_count, s.bound_trx_count, s.unbind_count], [0, 0, 0, 1]);
    const u = c.userSnapshot('alice')!;
    assert.deepEqual(u.bound_connections_count, { bind_transmitter: 0, bind_receiver: 0, bind_transceiver: 0 });
    assert.equal(u.bind_count, 2);
    assert.equal(u.unbind_count, 1);
    assert.equal(u.last_activity_at, 1000);
    now = 2000;
    c.onReceived(alice);
    assert.equal(c.snapshot().last_received_pdu_at, 2000);
    assert.equal(c.userSnapshot('alice')!.last_activity_at, 2000);
  });

  it('classifies MT answers as ok, throttled or other errors on the server and the user', () => {
    const c = new ServerCounters();
    const bob = c.user('bob');
    for (let i = 0; i < 4; i++) c.onSubmitRequest(bob);
    c.onSubmitAnswered('ok', bob);
    c.onSubmitAnswered('ok', bob);
    c.onSubmitAnswered('throttled', bob);
    c.onSubmitAnswered('error', undefined);
    const s = c.snapshot();
    assert.deepEqual(
      [s.submit_sm_request_count, s.submit_sm_count, s.throttling_error_count, s.other_submit_error_count],
      [4, 2, 1, 1],
    );
    const u = c.userSnapshot('bob')!;
    assert.deepEqual(
      [u.submit_sm_request_count, u.submit_sm_count, u.throttling_error_count, u.other_submit_error_count],
      [4, 2, 1, 0],
    );
    assert.equal(c.userSnapshot('nobody'), undefined);
    assert.deepEqual(c.userIds(), ['bob']);
  });

  it('counts enquire_links both ways, deliver_sm and data_sm sent', () => {
    let now = 5;
    const c = new ServerCounters(() => now);
    c.onEnquireLink(true, undefined);
    now = 6;
    c.onEnquireLink(false, c.user('x'));
    c.onDelivered('deliver_sm', c.user('x'));
    c.onDelivered('data_sm', undefined);
    const s = c.snapshot();
    assert.deepEqual([s.elink_count, s.last_received_elink_at, s.last_sent_elink_at], [2, 5, 6]);
    assert.deepEqual([s.deliver_sm_count, s.data_sm_count], [1, 1]);
    assert.equal(c.userSnapshot('x')!.deliver_sm_count, 1);
    assert.equal(c.userSnapshot('x')!.elink_count, 1);
  });
});
