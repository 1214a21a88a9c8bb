// Interop with node-smpp (the `smpp` npm package), an independent SMPP 3.4 implementation: what it encodes we decode
// to the same fields, what we encode it decodes to the same fields, and for these PDUs both write the same bytes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type NodeSmppPdu, nodeSmpp } from '../../../test/helpers/nodeSmpp.js';
import { decodePdu } from './decode.js';
import { encodePdu } from './encode.js';
import { type FieldSpec, PDU_FIELDS, type Pdu } from './pdus.js';
import { parseSmppTime } from './time.js';
import { TLV_TABLE, type TlvName } from './tlv.js';

// node-smpp's names for TLVs whose SMPP 3.4 name it spells differently.
const NODE_TLV_NAME: Partial<Record<TlvName, string>> = { destination_port: 'dest_port' };

/** The options node-smpp's `new PDU(command, options)` takes for our PDU object. */
function toNodeOptions(p: Pdu): Record<string, unknown> {
  const options: Record<string, unknown> = { command_status: p.command_status, sequence_number: p.sequence_number };
  const record = p as unknown as Record<string, unknown>;
  for (const field of PDU_FIELDS[p.command] as readonly FieldSpec[]) {
    const v = record[field.name];
    options[field.name] =
      field.kind === 'dest_address'
        ? (v as Array<Record<string, unknown>>).map(({ dest_flag: _flag, ...rest }) => rest)
        : v;
  }
  for (const [name, value] of Object.entries(p.tlvs ?? {})) {
    if (name === 'unknown') throw new Error('node-smpp cannot send unknown TLVs');
    const v =
      name === 'network_error_code'
        ? Buffer.from([
            (value as { network_type: number }).network_type,
            (value as { error_code: number }).error_code >> 8,
            (value as { error_code: number }).error_code & 0xff,
          ])
        : value;
    options[NODE_TLV_NAME[name as TlvName] ?? name] = v;
  }
  return options;
}

/** node-smpp hands messages back as {message: Buffer | string} (decoded by data_coding), or raw without one. */
function nodeMessage(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const m = (v as { message: Buffer | string }).message;
  return Buffer.isBuffer(m) ? m : Buffer.from(m, 'latin1');
}

/** Asserts that node-smpp's decoded PDU carries the same fields as our object. */
function assertSameAsNode(ours: Pdu, theirs: NodeSmppPdu): void {
  assert.equal(theirs.command, ours.command);
  assert.equal(theirs.command_status, ours.command_status);
  assert.equal(theirs.sequence_number, ours.sequence_number);
  const record = ours as unknown as Record<string, unknown>;
  for (const field of PDU_FIELDS[ours.command] as readonly FieldSpec[]) {
    const mine = record[field.name];
    const other = theirs[field.name];
    switch (field.kind) {
      case 'time': {
        const parsed = parseSmppTime(mine as string);
        if (parsed === null) assert.equal(other, '', field.name);
        else assert.equal((other as Date).getTime(), parsed.date.getTime(), field.name);
        break;
      }
      case 'sm':
        assert.ok(nodeMessage(other).equals(mine as Buffer), field.name);
        break;
      case 'dest_address':
        assert.deepStrictEqual(
          other,
          (mine as Array<Record<string, unknown>>).map(({ dest_flag: _flag, ...rest }) => rest),
          field.name,
        );
        break;
      default:
        assert.deepStrictEqual(other, mine, field.name);
    }
  }
  const tlvNames = new Set(Object.keys(TLV_TABLE).map((n) => NODE_TLV_NAME[n as TlvName] ?? n));
  const mandatory = new Set((PDU_FIELDS[ours.command] as readonly FieldSpec[]).map((f) => f.name));
  const theirTlvs = Object.keys(theirs).filter((k) => tlvNames.has(k) && !mandatory.has(k));
  assert.equal(theirTlvs.length, Object.keys(ours.tlvs ?? {}).length, `TLVs: ${theirTlvs.join(', ')}`);
  for (const [name, value] of Object.entries(ours.tlvs ?? {})) {
    const other = theirs[NODE_TLV_NAME[name as TlvName] ?? name];
    if (name === 'message_payload') assert.ok(nodeMessage(other).equals(value as Buffer), name);
    else if (name === 'network_error_code') {
      const v = value as { network_type: number; error_code: number };
      assert.deepStrictEqual([...(other as Buffer)], [v.network_type, v.error_code >> 8, v.error_code & 0xff]);
    } else assert.deepStrictEqual(other, value, name);
  }
}

const receipt = 'id:7f3a sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:Hi';

const bind = {
  system_id: 'esme01',
  password: 'secret',
  system_type: 'VMA',
  interface_version: 0x34,
  addr_ton: 1,
  addr_npi: 1,
  address_range: '',
};

const CASES: Pdu[] = [
  { command: 'bind_transmitter', command_status: 0, sequence_number: 1, ...bind },
  { command: 'bind_receiver', command_status: 0, sequence_number: 2, ...bind },
  { command: 'bind_transceiver', command_status: 0, sequence_number: 3, ...bind },
  {
    command: 'bind_transmitter_resp',
    command_status: 0,
    sequence_number: 1,
    system_id: 'smpps_01',
    tlvs: { sc_interface_version: 0x34 },
  },
  { command: 'bind_receiver_resp', command_status: 0, sequence_number: 2, system_id: 'smpps_01' },
  {
    command: 'bind_transceiver_resp',
    command_status: 0,
    sequence_number: 3,
    system_id: 'smpps_01',
    tlvs: { sc_interface_version: 0x34 },
  },
  {
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 4,
    service_type: 'CMT',
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: 'ACME',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '447700900123',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 1,
    schedule_delivery_time: '240102150405304+',
    validity_period: '240103150405000-',
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 4,
    sm_default_msg_id: 0,
    short_message: Buffer.from([0, 1, 2, 0xfe, 0xff]),
    tlvs: {
      user_message_reference: 77,
      source_port: 9200,
      destination_port: 2948,
      sar_msg_ref_num: 0x1234,
      sar_total_segments: 3,
      sar_segment_seqnum: 2,
    },
  },
  {
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 5,
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
    data_coding: 4,
    sm_default_msg_id: 0,
    short_message: Buffer.alloc(0),
    tlvs: { message_payload: Buffer.alloc(600, 0x41), more_messages_to_send: 1 },
  },
  { command: 'submit_sm_resp', command_status: 0, sequence_number: 4, message_id: '5d2c2d5e-7f3a' },
  {
    command: 'deliver_sm',
    command_status: 0,
    sequence_number: 6,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '447700900123',
    dest_addr_ton: 5,
    dest_addr_npi: 0,
    destination_addr: 'ACME',
    esm_class: 0x04,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from(receipt, 'latin1'),
    tlvs: {
      receipted_message_id: '7f3a',
      network_error_code: { network_type: 3, error_code: 0x0102 },
      message_state: 2,
    },
  },
  { command: 'deliver_sm_resp', command_status: 0, sequence_number: 6, message_id: '' },
  {
    command: 'submit_multi',
    command_status: 0,
    sequence_number: 7,
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '123',
    dest_address: [
      { dest_flag: 1, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '4470001' },
      { dest_flag: 2, dl_name: 'friends' },
    ],
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 4,
    sm_default_msg_id: 0,
    short_message: Buffer.from('multi'),
  },
  {
    command: 'submit_multi_resp',
    command_status: 0,
    sequence_number: 7,
    message_id: 'm-1',
    unsuccess_sme: [{ dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '4470001', error_status_code: 0x0b }],
  },
  {
    command: 'data_sm',
    command_status: 0,
    sequence_number: 8,
    service_type: 'WAP',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '4412345',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '4479',
    esm_class: 0,
    registered_delivery: 1,
    data_coding: 4,
    tlvs: { source_port: 9200, destination_port: 2948, message_payload: Buffer.from([1, 2, 3]) },
  },
  {
    command: 'data_sm_resp',
    command_status: 0,
    sequence_number: 8,
    message_id: 'd-1',
    tlvs: { additional_status_info_text: 'queued' },
  },
  {
    command: 'query_sm',
    command_status: 0,
    sequence_number: 9,
    message_id: 'm-1',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '4412345',
  },
  {
    command: 'query_sm_resp',
    command_status: 0,
    sequence_number: 9,
    message_id: 'm-1',
    final_date: '240102150500008+',
    message_state: 2,
    error_code: 0,
  },
  {
    command: 'cancel_sm',
    command_status: 0,
    sequence_number: 10,
    service_type: '',
    message_id: 'm-1',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '4412345',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '4479',
  },
  {
    command: 'replace_sm',
    command_status: 0,
    sequence_number: 11,
    message_id: 'm-1',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '4412345',
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('replacement'),
  },
  {
    command: 'alert_notification',
    command_status: 0,
    sequence_number: 12,
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '4479',
    esme_addr_ton: 0,
    esme_addr_npi: 0,
    esme_addr: 'esme01',
    tlvs: { ms_availability_status: 1 },
  },
  { command: 'outbind', command_status: 0, sequence_number: 13, system_id: 'smsc', password: 'pw' },
  { command: 'enquire_link', command_status: 0, sequence_number: 14 },
  { command: 'enquire_link_resp', command_status: 0, sequence_number: 14 },
  { command: 'unbind', command_status: 0, sequence_number: 15 },
  { command: 'unbind_resp', command_status: 0, sequence_number: 15 },
  { command: 'cancel_sm_resp', command_status: 0, sequence_number: 10 },
  { command: 'replace_sm_resp', command_status: 0, sequence_number: 11 },
  { command: 'generic_nack', command_status: 0x03, sequence_number: 16 },
];

describe('interop with node-smpp', () => {
  for (const ours of CASES) {
    const label = `${ours.command}${ours.tlvs ? ` with ${Object.keys(ours.tlvs).join(', ')}` : ''}`;

    it(`${label}: node-smpp encodes, we decode the same fields`, () => {
      const theirBytes = new nodeSmpp.PDU(ours.command, toNodeOptions(ours)).toBuffer();
      assert.deepStrictEqual(decodePdu(theirBytes), ours);
    });

    it(`${label}: we encode, node-smpp decodes the same fields`, () => {
      const theirs = nodeSmpp.PDU.fromBuffer(encodePdu(ours));
      assert.ok(theirs !== false, 'node-smpp could not read a whole PDU');
      assertSameAsNode(ours, theirs);
    });

    it(`${label}: both write the same bytes`, () => {
      const theirBytes = new nodeSmpp.PDU(ours.command, toNodeOptions(ours)).toBuffer();
      assert.equal(encodePdu(ours).toString('hex'), theirBytes.toString('hex'));
    });
  }

  it('error responses node-smpp sends without a body decode with empty fields', () => {
    for (const command of ['submit_sm_resp', 'data_sm_resp', 'query_sm_resp', 'bind_transceiver_resp']) {
      const bytes = new nodeSmpp.PDU(command, { command_status: 0x45, sequence_number: 3 }).toBuffer();
      assert.equal(bytes.length, 16);
      const p = decodePdu(bytes);
      assert.equal(p.command, command);
      assert.equal(p.command_status, 0x45);
      if ('message_id' in p) assert.equal(p.message_id, '');
      if ('system_id' in p) assert.equal(p.system_id, '');
    }
  });
});
