import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gate, isBound, mayOffer, type SessionState } from './gate.js';

const ROK = 0;
const RINVCMDID = 0x03;
const RINVBNDSTS = 0x04;
const RALYBND = 0x05;
const STATES: SessionState[] = ['OPEN', 'BOUND_TX', 'BOUND_RX', 'BOUND_TRX', 'UNBOUND'];

/** Expected verdicts per state, in STATES order, written out independently of the table in gate.ts. */
function expectRow(role: 'server' | 'client', command: string, expected: number[]): void {
  STATES.forEach((state, i) => {
    assert.equal(gate(role, state, command), expected[i], `${role} ${command} in ${state}`);
  });
}

describe('state gate, server role (SPEC.md §2)', () => {
  it('binds: allowed before bind, ESME_RALYBND when already bound', () => {
    for (const c of ['bind_transmitter', 'bind_receiver', 'bind_transceiver']) {
      expectRow('server', c, [ROK, RALYBND, RALYBND, RALYBND, RINVBNDSTS]);
    }
  });
  it('enquire_link and unbind pass in every state', () => {
    expectRow('server', 'enquire_link', [ROK, ROK, ROK, ROK, ROK]);
    expectRow('server', 'unbind', [ROK, ROK, ROK, ROK, ROK]);
  });
  it('MT and message-management requests need a TX or TRX bind; ESME_RINVBNDSTS otherwise', () => {
    for (const c of ['submit_sm', 'data_sm', 'submit_multi', 'query_sm', 'cancel_sm', 'replace_sm']) {
      expectRow('server', c, [RINVBNDSTS, ROK, RINVBNDSTS, ROK, RINVBNDSTS]);
    }
  });
  it('deliver_sm, outbind and alert_notification from an ESME: ESME_RINVCMDID in every state', () => {
    for (const c of ['deliver_sm', 'outbind', 'alert_notification']) {
      expectRow('server', c, [RINVCMDID, RINVCMDID, RINVCMDID, RINVCMDID, RINVCMDID]);
    }
  });
  it('an unknown command: ESME_RINVCMDID', () => {
    expectRow('server', 'no_such_command', [RINVCMDID, RINVCMDID, RINVCMDID, RINVCMDID, RINVCMDID]);
  });
});

describe('state gate, client role', () => {
  it('deliver_sm, data_sm and alert_notification need an RX or TRX bind', () => {
    for (const c of ['deliver_sm', 'data_sm', 'alert_notification']) {
      expectRow('client', c, [RINVBNDSTS, RINVBNDSTS, ROK, ROK, RINVBNDSTS]);
    }
  });
  it('outbind only before bind; an SMSC never sends binds or MT', () => {
    expectRow('client', 'outbind', [ROK, RALYBND, RALYBND, RALYBND, RINVBNDSTS]);
    for (const c of ['bind_transmitter', 'submit_sm', 'query_sm', 'submit_multi']) {
      expectRow('client', c, [RINVCMDID, RINVCMDID, RINVCMDID, RINVCMDID, RINVCMDID]);
    }
  });
});

describe('mayOffer mirrors the peer gate', () => {
  it('a server sends deliver_sm only to RX/TRX binds, a client submit_sm only on TX/TRX', () => {
    assert.deepEqual(
      STATES.map((s) => mayOffer('server', s, 'deliver_sm')),
      [false, false, true, true, false],
    );
    assert.deepEqual(
      STATES.map((s) => mayOffer('client', s, 'submit_sm')),
      [false, true, false, true, false],
    );
    assert.equal(mayOffer('server', 'BOUND_TRX', 'submit_sm'), false);
    assert.equal(mayOffer('client', 'CLOSED', 'enquire_link'), false);
  });
  it('isBound', () => {
    assert.deepEqual([...STATES, 'CLOSED' as const].map(isBound), [false, true, true, true, false, false]);
  });
});
