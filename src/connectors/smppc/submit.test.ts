// planSubmit: the record's bytes untouched, TON/NPI overrides, the validity left, and message_payload split with a
// concatenation UDH for an SMSC that lacks it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandStatus } from '../../smpp/codec/index.js';
import { messageFixture } from '../../store/conformance/suite.js';
import { reconnectDelayMs } from './backoff.js';
import { Pacer } from './pacer.js';
import { SMPPC_DEFAULTS } from './settings.js';
import { planSubmit } from './submit.js';
import { encodeTlvs } from './testing.js';

const settings = { ...SMPPC_DEFAULTS };
const NOW = 1_800_000_000_000;
const ref = () => 0x2a;

describe('planSubmit', () => {
  it('copies the part and applies only the TON/NPI overrides that are set', () => {
    const m = messageFixture('u', 'c', { source_addr_ton: 5, dest_addr_npi: 1, short_message: Buffer.from('hi') });
    const plain = planSubmit(m, settings, NOW, ref);
    assert.ok(plain.ok);
    assert.equal(plain.pdus.length, 1);
    assert.equal(plain.pdus[0].source_addr_ton, 5);
    assert.equal(plain.pdus[0].validity_period, '');
    assert.equal(plain.pdus[0].tlvs, undefined);
    assert.equal(plain.pdus[0].short_message, m.short_message, 'the same bytes, not a copy');
    const forced = planSubmit(m, { ...settings, source_addr_ton: 1, dest_addr_npi: 9 }, NOW, ref);
    assert.ok(forced.ok);
    assert.equal(forced.pdus[0].source_addr_ton, 1);
    assert.equal(forced.pdus[0].dest_addr_npi, 9);
    assert.equal(forced.pdus[0].source_addr_npi, m.source_addr_npi);
  });

  it('writes the validity left as a relative time (SMPP 3.4 §7.1.2)', () => {
    const m = messageFixture('u', 'c', { expires_at: NOW + 90_061_500 });
    const plan = planSubmit(m, settings, NOW, ref);
    assert.ok(plan.ok);
    assert.equal(plan.pdus[0].validity_period, '000001010102000R');
  });

  it('keeps message_payload for an SMSC that has it, splits it for one that lacks it', () => {
    const payload = Buffer.from('a'.repeat(161));
    const m = messageFixture('u', 'c', {
      short_message: Buffer.alloc(0),
      tlvs: encodeTlvs({ message_payload: payload, user_message_reference: 3 }),
    });
    const whole = planSubmit(m, settings, NOW, ref);
    assert.ok(whole.ok);
    assert.equal(whole.pdus.length, 1);
    assert.deepEqual(whole.pdus[0].tlvs?.message_payload, payload);
    const split = planSubmit(m, { ...settings, supports_message_payload: false }, NOW, ref);
    assert.ok(split.ok);
    assert.equal(split.pdus.length, 2);
    // TS 23.040 §9.2.3.24.1: 05 00 03 ref total seq, then 153 septets in the first part.
    assert.deepEqual([...split.pdus[0].short_message.subarray(0, 6)], [5, 0, 3, 0x2a, 2, 1]);
    assert.equal(split.pdus[0].short_message.length, 6 + 153);
    assert.deepEqual([...split.pdus[1].short_message.subarray(0, 6)], [5, 0, 3, 0x2a, 2, 2]);
    for (const p of split.pdus) {
      assert.equal(p.esm_class & 0x40, 0x40);
      assert.equal(p.tlvs?.message_payload, undefined);
      assert.equal(p.tlvs?.user_message_reference, 3);
    }
  });

  it('measures data_coding 0 in the SMSC default alphabet and UCS-2 in pairs', () => {
    const latin = messageFixture('u', 'c', {
      short_message: Buffer.alloc(0),
      tlvs: encodeTlvs({ message_payload: Buffer.alloc(150, 0x61) }),
    });
    const gsm = planSubmit(latin, { ...settings, supports_message_payload: false }, NOW, ref);
    assert.ok(gsm.ok);
    assert.equal(gsm.pdus.length, 1, '150 septets fit one GSM message');
    const l1 = planSubmit(latin, { ...settings, supports_message_payload: false, default_data_coding: 3 }, NOW, ref);
    assert.ok(l1.ok);
    assert.equal(l1.pdus.length, 2, '150 octets do not fit one Latin-1 message');
    const ucs2 = messageFixture('u', 'c', {
      data_coding: 8,
      short_message: Buffer.alloc(0),
      tlvs: encodeTlvs({ message_payload: Buffer.alloc(142, 0x30) }),
    });
    const u = planSubmit(ucs2, { ...settings, supports_message_payload: false }, NOW, ref);
    assert.ok(u.ok);
    assert.equal(u.pdus.length, 2);
    assert.equal(u.pdus[0].short_message.length, 6 + 134);
  });

  it('refuses a payload with its own UDH that cannot go whole', () => {
    const m = messageFixture('u', 'c', {
      esm_class: 0x40,
      short_message: Buffer.alloc(0),
      tlvs: encodeTlvs({ message_payload: Buffer.alloc(200, 0x61) }),
    });
    const plan = planSubmit(m, { ...settings, supports_message_payload: false }, NOW, ref);
    assert.ok(!plan.ok);
    assert.equal(plan.status, CommandStatus.ESME_RINVMSGLEN);
  });
});

describe('Pacer', () => {
  it('lets a tenth of a second through at once, then one per 1/rate', () => {
    const p = new Pacer(100, 0);
    assert.equal(p.available(0), 10);
    for (let i = 0; i < 10; i++) p.take(0);
    assert.equal(p.available(0), 0);
    assert.equal(p.waitMs(0), 10);
    assert.equal(p.available(10), 1);
    assert.equal(p.available(1000), 10, 'never more than the bucket');
    const unlimited = new Pacer(null, 0);
    assert.equal(unlimited.available(0), Number.POSITIVE_INFINITY);
    assert.equal(unlimited.waitMs(0), 0);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from the initial delay up to the maximum, within its upper half', () => {
    assert.equal(
      reconnectDelayMs(1, 1000, 60_000, () => 0),
      500,
    );
    assert.equal(
      reconnectDelayMs(1, 1000, 60_000, () => 0.999_999),
      1000,
    );
    assert.equal(
      reconnectDelayMs(3, 1000, 60_000, () => 0),
      2000,
    );
    assert.equal(
      reconnectDelayMs(50, 1000, 60_000, () => 0.5),
      45_000,
    );
  });
});
