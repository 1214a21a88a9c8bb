// Encode-side validation: every value that cannot be sent is a SmppStatusError with its field's status.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePdu } from './decode.js';
import { encodePdu } from './encode.js';
import { SmppStatusError } from './errors.js';
import type { Pdu, PduOf } from './pdus.js';

function submitSm(over: Record<string, unknown> = {}): Pdu {
  const base: PduOf<'submit_sm'> = {
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 1,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '4412345',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '4479',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('hi'),
  };
  return { ...base, ...over } as Pdu;
}

function expectEncodeError(pdu: Pdu, status: number, field: string): void {
  assert.throws(
    () => encodePdu(pdu),
    (e: unknown) => {
      assert.ok(e instanceof SmppStatusError, `got ${String(e)}`);
      assert.equal(e.commandStatus, status, e.message);
      assert.equal(e.field, field, e.message);
      return true;
    },
  );
}

describe('encodePdu validation', () => {
  it('strings too long for their field → the field status', () => {
    expectEncodeError(submitSm({ service_type: 'ABCDEF' }), 0x15, 'service_type');
    expectEncodeError(submitSm({ source_addr: '1'.repeat(21) }), 0x0a, 'source_addr');
    expectEncodeError(submitSm({ destination_addr: '1'.repeat(21) }), 0x0b, 'destination_addr');
    expectEncodeError(
      { command: 'submit_sm_resp', command_status: 0, sequence_number: 1, message_id: 'm'.repeat(65) },
      0x0c,
      'message_id',
    );
    expectEncodeError(
      { command: 'bind_transmitter_resp', command_status: 0, sequence_number: 1, system_id: 's'.repeat(16) },
      0x0f,
      'system_id',
    );
    expectEncodeError(
      { command: 'outbind', command_status: 0, sequence_number: 1, system_id: 's', password: 'p'.repeat(9) },
      0x0e,
      'password',
    );
  });

  it('characters that are NUL or not Latin-1 → the field status', () => {
    expectEncodeError(submitSm({ source_addr: 'a\u0000b' }), 0x0a, 'source_addr');
    expectEncodeError(submitSm({ destination_addr: '44€' }), 0x0b, 'destination_addr');
    expectEncodeError(submitSm({ source_addr: 12345 }), 0x0a, 'source_addr');
  });

  it('integers out of range → the field status', () => {
    expectEncodeError(submitSm({ esm_class: 256 }), 0x43, 'esm_class');
    expectEncodeError(submitSm({ priority_flag: -1 }), 0x06, 'priority_flag');
    expectEncodeError(submitSm({ registered_delivery: 1.5 }), 0x07, 'registered_delivery');
    expectEncodeError(submitSm({ source_addr_ton: '1' }), 0x48, 'source_addr_ton');
    expectEncodeError(submitSm({ dest_addr_npi: Number.NaN }), 0x51, 'dest_addr_npi');
    expectEncodeError(submitSm({ protocol_id: 300 }), 0x08, 'protocol_id');
  });

  it('short_message over 254 octets or not a Buffer → ESME_RINVMSGLEN', () => {
    expectEncodeError(submitSm({ short_message: Buffer.alloc(255) }), 0x01, 'sm_length');
    expectEncodeError(submitSm({ short_message: 'text' }), 0x01, 'short_message');
    assert.equal(encodePdu(submitSm({ short_message: Buffer.alloc(254) })).length, 16 + 28 + 254);
  });

  it('time fields in a bad format → ESME_RINVSCHED / ESME_RINVEXPIRY', () => {
    expectEncodeError(submitSm({ schedule_delivery_time: '2401021504' }), 0x61, 'schedule_delivery_time');
    expectEncodeError(submitSm({ validity_period: '240102150405000X' }), 0x62, 'validity_period');
  });

  it('submit_multi destinations: dest_flag and count', () => {
    const multi = (dest_address: unknown): Pdu =>
      ({ ...submitSm(), command: 'submit_multi', dest_address }) as unknown as Pdu;
    expectEncodeError(multi([{ dest_flag: 3, dl_name: 'x' }]), 0x40, 'dest_flag');
    expectEncodeError(multi([{ dest_flag: 1, dl_name: 'x' }]), 0x40, 'dest_flag');
    expectEncodeError(multi([{ dest_flag: 2, dl_name: 'x'.repeat(21) }]), 0x34, 'dl_name');
    const many = Array.from({ length: 256 }, () => ({ dest_flag: 2, dl_name: 'x' }));
    expectEncodeError(multi(many), 0x33, 'number_of_dests');
    const max = Array.from({ length: 255 }, (_, i) => ({ dest_flag: 2, dl_name: `list${i}` }));
    const decoded = decodePdu(encodePdu(multi(max)));
    assert.equal(decoded.command === 'submit_multi' && decoded.dest_address.length, 255);
  });

  it('TLV values that cannot be sent', () => {
    expectEncodeError(submitSm({ tlvs: { sar_total_segments: 256 } }), 0xc4, 'sar_total_segments');
    expectEncodeError(submitSm({ tlvs: { user_message_reference: 70000 } }), 0xc4, 'user_message_reference');
    expectEncodeError(submitSm({ tlvs: { receipted_message_id: 'r'.repeat(65) } }), 0xc2, 'receipted_message_id');
    expectEncodeError(submitSm({ tlvs: { receipted_message_id: 'r€' } }), 0xc4, 'receipted_message_id');
    expectEncodeError(submitSm({ tlvs: { callback_num: Buffer.alloc(3) } }), 0xc2, 'callback_num');
    expectEncodeError(submitSm({ tlvs: { its_session_info: Buffer.alloc(3) } }), 0xc2, 'its_session_info');
    expectEncodeError(submitSm({ tlvs: { message_payload: 'text' } }), 0xc4, 'message_payload');
    expectEncodeError(submitSm({ tlvs: { alert_on_message_delivery: false } }), 0xc4, 'alert_on_message_delivery');
    expectEncodeError(
      submitSm({ tlvs: { network_error_code: { network_type: 3, error_code: 70000 } } }),
      0xc4,
      'network_error_code',
    );
    expectEncodeError(submitSm({ tlvs: { unknown: [{ tag: 0x10000, value: Buffer.alloc(1) }] } }), 0xc4, 'unknown');
    expectEncodeError(submitSm({ tlvs: { unknown: [{ tag: 0x1400, value: 'x' }] } }), 0xc4, 'unknown');
    expectEncodeError(submitSm({ tlvs: { dest_port: 80 } }), 0xc4, 'dest_port');
  });

  it('header fields and command names', () => {
    expectEncodeError(submitSm({ sequence_number: -1 }), 0x08, 'sequence_number');
    expectEncodeError(submitSm({ sequence_number: 2 ** 32 }), 0x08, 'sequence_number');
    expectEncodeError(submitSm({ command_status: 'x' }), 0x08, 'command_status');
    expectEncodeError(
      { command: 'broadcast_sm', command_status: 0, sequence_number: 1 } as unknown as Pdu,
      0x03,
      'command',
    );
  });
});

describe('encodePdu output', () => {
  it('a mandatory field left undefined is sent as NULL', () => {
    const bytes = encodePdu({ command: 'submit_sm_resp', command_status: 0x45, sequence_number: 9 } as Pdu);
    assert.equal(bytes.toString('hex'), '00000011800000040000004500000009' + '00');
  });

  it('body-less PDUs come from the template with status and sequence patched, each its own buffer', () => {
    const a = encodePdu({ command: 'enquire_link', command_status: 0, sequence_number: 1 });
    const b = encodePdu({ command: 'generic_nack', command_status: 0x03, sequence_number: 0xffffffff });
    assert.equal(a.toString('hex'), '00000010000000150000000000000001');
    assert.equal(b.toString('hex'), '000000108000000000000003ffffffff');
    a[15] = 9;
    assert.equal(encodePdu({ command: 'enquire_link', command_status: 0, sequence_number: 1 })[15], 1);
  });

  it('a body-less PDU with TLVs carries them', () => {
    const bytes = encodePdu({ command: 'enquire_link', command_status: 0, sequence_number: 2, tlvs: { set_dpf: 1 } });
    assert.equal(bytes.toString('hex'), '000000150000001500000000000000020421000101');
  });

  it('known TLVs keep their wire order through decode and encode', () => {
    const wire = encodePdu(submitSm({ tlvs: { message_state: 2, receipted_message_id: 'r1', sar_msg_ref_num: 7 } }));
    const tail = wire.subarray(wire.length - (5 + 7 + 6)).toString('hex');
    assert.equal(tail, '04270001' + '02' + '001e0003' + '723100' + '020c0002' + '0007');
    assert.ok(encodePdu(decodePdu(wire)).equals(wire));
  });

  it('successive encodes never share bytes (the scratch buffer is copied out)', () => {
    const a = encodePdu(submitSm({ source_addr: 'AAAA' }));
    const b = encodePdu(submitSm({ source_addr: 'BBBB' }));
    assert.notEqual(a.buffer === b.buffer && a.byteOffset === b.byteOffset, true);
    assert.equal((decodePdu(a) as PduOf<'submit_sm'>).source_addr, 'AAAA');
  });

  it('a message_payload near 64 KiB grows the writer and round-trips', () => {
    const payload = Buffer.alloc(65000, 0x5a);
    const bytes = encodePdu(submitSm({ short_message: Buffer.alloc(0), tlvs: { message_payload: payload } }));
    const decoded = decodePdu(bytes);
    assert.ok(decoded.tlvs?.message_payload?.equals(payload));
    const again = encodePdu(submitSm({ short_message: Buffer.from('x') }));
    assert.equal((decodePdu(again) as PduOf<'submit_sm'>).short_message.toString(), 'x');
  });
});
