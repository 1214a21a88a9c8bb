import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayEvents } from '../../gateway/events.js';
import { MessageState } from '../../store/model.js';
import { ErrorRing } from './errors.js';
import { createDashboardTally } from './tally.js';

describe('createDashboardTally', () => {
  it('counts parts accepted upstream, receipts by state and MO, and records the failures', () => {
    const hub = new GatewayEvents();
    const errors = new ErrorRing();
    const tally = createDashboardTally(hub, errors);
    const base = { at: 1, cid: 'up1', uid: 'u1' };
    hub.emit({ ...base, type: 'upstream', id: 'm1', outcome: 'accepted', upstream_id: 'U1', attempts: 1 });
    hub.emit({ ...base, type: 'upstream', id: 'm2', outcome: 'accepted', upstream_id: 'U2', attempts: 1 });
    hub.emit({ ...base, at: 2, type: 'upstream', id: 'm3', outcome: 'rejected', status: 0x58, attempts: 3 });
    hub.emit({ ...base, type: 'receipt', id: 'm1', state: MessageState.DELIVERED, error_code: 0, forwarded: true });
    hub.emit({ ...base, type: 'receipt', id: 'm2', state: MessageState.UNDELIVERABLE, error_code: 1, forwarded: true });
    hub.emit({ ...base, type: 'receipt', id: 'm4', state: MessageState.DELIVERED, error_code: 0, forwarded: false });
    hub.emit({ at: 3, type: 'mo', cid: 'up1', route: 0, target: 'smpps(alice)' });
    hub.emit({ at: 4, type: 'mo', cid: 'up1', route: null, target: null });
    hub.emit({
      at: 5,
      type: 'delivery',
      uid: 'u1',
      seq: 9,
      kind: 'receipt',
      session: 's1',
      result: 'timeout',
      message_id: 'm1',
    });
    hub.emit({ at: 6, type: 'delivery', uid: 'u1', seq: 10, kind: 'mo', session: 's1', result: 'ok' });
    hub.emit({ at: 7, type: 'accepted', uid: 'u1', ids: ['x'], cid: 'up1', route: 0, parts: 1, channel: 'smpps' });

    assert.deepEqual(tally.read(), { sent_upstream: 2, receipts: { DELIVRD: 2, UNDELIV: 1 }, mo: 2 });
    assert.deepEqual(
      errors.entries().map((e) => [e.at, e.event]),
      [
        [2, 'upstream_rejected'],
        [4, 'mo_unrouted'],
        [5, 'delivery_timeout'],
      ],
    );
    assert.match(errors.entries()[0].message, /ESME_RTHROTTLED/);
    assert.deepEqual(
      errors.entries().map((e) => [e.session ?? null, e.message_id ?? null]),
      [
        [null, 'm3'],
        [null, null],
        ['s1', 'm1'],
      ],
      'the ids an operator can look up',
    );

    tally.close();
    assert.equal(hub.active, false, 'close() stops listening');
  });
});
