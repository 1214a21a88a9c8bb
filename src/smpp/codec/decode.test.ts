// Every recoverable decode error with its exact status and field, framing errors, and the liberal paths.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ascii, cstr, hdr, type Octets, pdu, sm, tlv, u8, u16, u32 } from '../../../test/helpers/bytes.js';
import { decodePdu } from './decode.js';
import { SmppDecodeError, SmppFramingError, SmppStatusError } from './errors.js';

const SUBMIT_SM = 0x00000004;

function expectDecodeError(bytes: Buffer, status: number, field: string): SmppDecodeError {
  let caught: unknown;
  try {
    decodePdu(bytes);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SmppDecodeError, `expected SmppDecodeError, got ${String(caught)}`);
  assert.equal(caught.commandStatus, status, `status of ${caught.message}`);
  assert.equal(caught.field, field, `field of ${caught.message}`);
  assert.equal(caught.commandId, bytes.readUInt32BE(4));
  assert.equal(caught.sequenceNumber, bytes.readUInt32BE(12));
  assert.equal(caught.name, 'SmppDecodeError');
  assert.ok(caught instanceof SmppStatusError);
  return caught;
}

interface SubmitParts {
  service_type: Octets;
  source_addr: Octets;
  destination_addr: Octets;
  schedule_delivery_time: Octets;
  validity_period: Octets;
  short_message: Octets;
  tail: Octets;
}

/** A submit_sm body with any part replaced by raw octets. */
function submitSm(parts: Partial<SubmitParts> = {}, seq = 77): Buffer {
  const p: SubmitParts = {
    service_type: cstr(''),
    source_addr: cstr('4412345'),
    destination_addr: cstr('4479'),
    schedule_delivery_time: cstr(''),
    validity_period: cstr(''),
    short_message: sm('hi'),
    tail: [],
    ...parts,
  };
  return pdu(
    SUBMIT_SM,
    0,
    seq,
    p.service_type,
    u8(1),
    u8(1),
    p.source_addr,
    u8(1),
    u8(1),
    p.destination_addr,
    u8(0),
    u8(0),
    u8(0),
    p.schedule_delivery_time,
    p.validity_period,
    u8(0),
    u8(0),
    u8(0),
    u8(0),
    p.short_message,
    p.tail,
  );
}

describe('decodePdu: header and framing', () => {
  it('a frame shorter than a header is a SmppFramingError', () => {
    assert.throws(() => decodePdu(Buffer.alloc(15)), SmppFramingError);
    assert.throws(() => decodePdu(Buffer.alloc(0)), SmppFramingError);
  });

  it('command_length under 16 is a SmppFramingError', () => {
    assert.throws(
      () => decodePdu(Buffer.from(hdr(12, 0x15, 0, 1))),
      (e: unknown) => e instanceof SmppFramingError && e.commandLength === 12 && e.commandStatus === 0x02,
    );
  });

  it('unknown command_ids are ESME_RINVCMDID with the header carried', () => {
    for (const id of [0x00000000, 0x0000000a, 0x00000099, 0x80000099, 0x80000102, 0x00000111, 0x7fffffff, 0xffffffff]) {
      const e = expectDecodeError(pdu(id, 0, 42), 0x03, 'command_id');
      assert.equal(e.commandId, id);
      assert.equal(e.sequenceNumber, 42);
    }
  });

  it('command_length that disagrees with the frame is ESME_RINVCMDLEN', () => {
    const bytes = Buffer.from(pdu(0x15, 0, 1));
    bytes.writeUInt32BE(20, 0);
    expectDecodeError(bytes, 0x02, 'command_length');
  });
});

describe('decodePdu: mandatory fields', () => {
  it('service_type too long → ESME_RINVSERTYP', () => {
    expectDecodeError(submitSm({ service_type: cstr('ABCDEF') }), 0x15, 'service_type');
  });
  it('source_addr of 21 characters → ESME_RINVSRCADR', () => {
    expectDecodeError(submitSm({ source_addr: cstr('1'.repeat(21)) }), 0x0a, 'source_addr');
  });
  it('source_addr of 20 characters is fine', () => {
    const p = decodePdu(submitSm({ source_addr: cstr('1'.repeat(20)) }));
    assert.equal(p.command === 'submit_sm' && p.source_addr, '1'.repeat(20));
  });
  it('destination_addr too long → ESME_RINVDSTADR', () => {
    expectDecodeError(submitSm({ destination_addr: cstr('9'.repeat(30)) }), 0x0b, 'destination_addr');
  });
  it('a C-octet string with no NUL before the end of the PDU → its field status', () => {
    const body = [...cstr(''), 1, 1, ...ascii('44123')];
    expectDecodeError(pdu(SUBMIT_SM, 0, 5, body), 0x0a, 'source_addr');
  });
  it('the string never reads into the bytes after command_length', () => {
    // A PDU cut inside source_addr, followed in the same buffer by more octets that contain a NUL.
    const cut = pdu(SUBMIT_SM, 0, 5, [...cstr(''), 1, 1, ...ascii('44123')]);
    const after = Buffer.concat([cut, Buffer.from([0x31, 0, 0, 0])]);
    expectDecodeError(after.subarray(0, cut.length), 0x0a, 'source_addr');
  });
  it('schedule_delivery_time in a bad format → ESME_RINVSCHED', () => {
    for (const bad of ['2401021504', '240102150405000X', '241302150405000+', '240102150405049+', 'abcdefghijklmno+']) {
      expectDecodeError(submitSm({ schedule_delivery_time: cstr(bad) }), 0x61, 'schedule_delivery_time');
    }
  });
  it('schedule_delivery_time of 17 characters → ESME_RINVSCHED', () => {
    expectDecodeError(submitSm({ schedule_delivery_time: cstr('240102150405000+0') }), 0x61, 'schedule_delivery_time');
  });
  it('validity_period in a bad format → ESME_RINVEXPIRY', () => {
    expectDecodeError(submitSm({ validity_period: cstr('00000100000R') }), 0x62, 'validity_period');
    expectDecodeError(submitSm({ validity_period: cstr('240230000000000+') }), 0x62, 'validity_period');
  });
  it('sm_length beyond the body → ESME_RINVMSGLEN', () => {
    expectDecodeError(submitSm({ short_message: [10, 0x41, 0x42] }), 0x01, 'sm_length');
  });
  it('sm_length one past the body → ESME_RINVMSGLEN, even with more octets after the frame', () => {
    const frame = submitSm({ short_message: [3, 0x41, 0x42] });
    expectDecodeError(frame, 0x01, 'sm_length');
    const inLarger = Buffer.concat([frame, Buffer.from([0x43, 0, 0])]).subarray(0, frame.length);
    expectDecodeError(inLarger, 0x01, 'sm_length');
  });
  it('sm_length 255 → ESME_RINVMSGLEN', () => {
    expectDecodeError(submitSm({ short_message: [255, ...new Array<number>(255).fill(0x41)] }), 0x01, 'sm_length');
  });
  it('sm_length 254 with 254 octets is fine', () => {
    const p = decodePdu(submitSm({ short_message: [254, ...new Array<number>(254).fill(0x41)] }));
    assert.equal(p.command === 'submit_sm' && p.short_message.length, 254);
  });
  it('a body cut before an integer field → ESME_RINVCMDLEN naming it', () => {
    const full = submitSm();
    // Cut right after destination_addr: esm_class is missing.
    const cutAt = 16 + 1 + 2 + 8 + 2 + 5;
    const cut = Buffer.from(full.subarray(0, cutAt));
    cut.writeUInt32BE(cutAt, 0);
    expectDecodeError(cut, 0x02, 'esm_class');
  });
  it('a body cut before sm_length → ESME_RINVCMDLEN', () => {
    const full = submitSm({ short_message: [] });
    const cut = Buffer.from(full);
    cut.writeUInt32BE(full.length, 0);
    expectDecodeError(cut, 0x02, 'sm_length');
  });
  it('bind fields: system_id, password, system_type, address_range', () => {
    const bind = (sysid: Octets, pw: Octets, st: Octets, range: Octets) =>
      pdu(0x00000002, 0, 3, sysid, pw, st, u8(0x34), u8(0), u8(0), range);
    expectDecodeError(bind(cstr('x'.repeat(16)), cstr(''), cstr(''), cstr('')), 0x0f, 'system_id');
    expectDecodeError(bind(cstr('x'), cstr('p'.repeat(9)), cstr(''), cstr('')), 0x0e, 'password');
    expectDecodeError(bind(cstr('x'), cstr('p'), cstr('s'.repeat(13)), cstr('')), 0x53, 'system_type');
    expectDecodeError(bind(cstr('x'), cstr('p'), cstr('s'), cstr('r'.repeat(41))), 0x0d, 'address_range');
    expectDecodeError(bind(cstr('x'), cstr('p'), cstr('s'), ascii('no-nul')), 0x0d, 'address_range');
    const ok = decodePdu(bind(cstr('x'.repeat(15)), cstr('p'.repeat(8)), cstr('s'.repeat(12)), cstr('r'.repeat(40))));
    assert.equal(ok.command, 'bind_transmitter');
  });
  it('message_id too long → ESME_RINVMSGID', () => {
    expectDecodeError(pdu(0x00000003, 0, 4, cstr('m'.repeat(65)), u8(1), u8(1), cstr('')), 0x0c, 'message_id');
  });
  it('data_sm source_addr allows 64 characters but not 65', () => {
    const dataSm = (src: string) =>
      pdu(0x00000103, 0, 5, cstr(''), u8(1), u8(1), cstr(src), u8(1), u8(1), cstr('1'), u8(0), u8(0), u8(0));
    assert.equal(decodePdu(dataSm('1'.repeat(64))).command, 'data_sm');
    expectDecodeError(dataSm('1'.repeat(65)), 0x0a, 'source_addr');
  });
  it('submit_multi: bad dest_flag, dl_name too long, too few destinations', () => {
    const multi = (dests: Octets) =>
      pdu(
        0x00000021,
        0,
        6,
        cstr(''),
        u8(1),
        u8(1),
        cstr('1'),
        dests,
        u8(0),
        u8(0),
        u8(0),
        cstr(''),
        cstr(''),
        [0, 0, 0, 0, 0],
      );
    expectDecodeError(multi([1, 3, 1, 1, ...cstr('44')]), 0x40, 'dest_flag');
    expectDecodeError(multi([1, 2, ...cstr('d'.repeat(21))]), 0x34, 'dl_name');
    expectDecodeError(multi([1, 1, 1, 1, ...cstr('4'.repeat(21))]), 0x0b, 'destination_addr');
    const cutShort = pdu(0x00000021, 0, 6, cstr(''), u8(1), u8(1), cstr('1'), [3, 2, ...cstr('dl')]);
    expectDecodeError(cutShort, 0x33, 'number_of_dests');
  });
});

describe('decodePdu: TLVs', () => {
  const base = (tail: Octets) => submitSm({ tail });

  it('a TLV header cut short → ESME_RINVOPTPARSTREAM', () => {
    expectDecodeError(base([0x02]), 0xc0, 'tlv');
    expectDecodeError(base([0x02, 0x0c, 0x00]), 0xc0, 'tlv');
  });
  it('trailing bytes after a body-less PDU that are not a TLV → ESME_RINVOPTPARSTREAM', () => {
    expectDecodeError(pdu(0x15, 0, 8, [1, 2, 3]), 0xc0, 'tlv');
  });
  it('a TLV length past the end → ESME_RINVPARLEN', () => {
    expectDecodeError(base([...u16(0x0424), ...u16(10), 1, 2, 3]), 0xc2, 'message_payload');
    expectDecodeError(base([...u16(0x1400), ...u16(5), 1]), 0xc2, '0x1400');
  });
  it('a known TLV with the wrong length for its type → ESME_RINVPARLEN', () => {
    expectDecodeError(base(tlv(0x020e, [1, 2])), 0xc2, 'sar_total_segments');
    expectDecodeError(base(tlv(0x020c, [1])), 0xc2, 'sar_msg_ref_num');
    expectDecodeError(base(tlv(0x0017, [1, 2, 3])), 0xc2, 'qos_time_to_live');
    expectDecodeError(base(tlv(0x0423, [3, 0])), 0xc2, 'network_error_code');
    expectDecodeError(base(tlv(0x130c, [1])), 0xc2, 'alert_on_message_delivery');
    expectDecodeError(base(tlv(0x0381, [1, 2, 3])), 0xc2, 'callback_num');
    expectDecodeError(base(tlv(0x001e, cstr('r'.repeat(65)))), 0xc2, 'receipted_message_id');
  });
  it('receipted_message_id without its NUL is taken whole (liberal)', () => {
    const p = decodePdu(base(tlv(0x001e, ascii('abc'))));
    assert.equal(p.tlvs?.receipted_message_id, 'abc');
  });
  it('a repeated known tag keeps the first by name and the repeat raw, so nothing is lost', () => {
    const p = decodePdu(base([...tlv(0x0204, u16(1)), ...tlv(0x0204, u16(2))]));
    assert.equal(p.tlvs?.user_message_reference, 1);
    assert.deepStrictEqual(p.tlvs?.unknown, [{ tag: 0x0204, value: Buffer.from([0, 2]) }]);
  });
  it('tags in the vendor range and unknown standard-range tags are kept raw, in order', () => {
    const p = decodePdu(base([...tlv(0x3fff, [9]), ...tlv(0x0600, []), ...tlv(0x1400, [1, 2])]));
    assert.deepStrictEqual(p.tlvs, {
      unknown: [
        { tag: 0x3fff, value: Buffer.from([9]) },
        { tag: 0x0600, value: Buffer.alloc(0) },
        { tag: 0x1400, value: Buffer.from([1, 2]) },
      ],
    });
  });
});

describe('decodePdu: liberal responses', () => {
  it('an error submit_sm_resp with no body decodes with an empty message_id', () => {
    assert.deepStrictEqual(decodePdu(pdu(0x80000004, 0x45, 3)), {
      command: 'submit_sm_resp',
      command_status: 0x45,
      sequence_number: 3,
      message_id: '',
    });
  });
  it('a bare ESME_ROK deliver_sm_resp and data_sm_resp decode', () => {
    assert.deepStrictEqual(decodePdu(pdu(0x80000005, 0, 3)), {
      command: 'deliver_sm_resp',
      command_status: 0,
      sequence_number: 3,
      message_id: '',
    });
    assert.equal(decodePdu(pdu(0x80000103, 0, 3)).command, 'data_sm_resp');
  });
  it('a short error query_sm_resp fills the rest with empty values', () => {
    assert.deepStrictEqual(decodePdu(pdu(0x80000003, 0x67, 4, cstr('m1'))), {
      command: 'query_sm_resp',
      command_status: 0x67,
      sequence_number: 4,
      message_id: 'm1',
      final_date: '',
      message_state: 0,
      error_code: 0,
    });
  });
  it('an error response with garbage in its body decodes with empty values', () => {
    assert.deepStrictEqual(decodePdu(pdu(0x80000021, 0x45, 4, ascii('no-nul'))), {
      command: 'submit_multi_resp',
      command_status: 0x45,
      sequence_number: 4,
      message_id: '',
      unsuccess_sme: [],
    });
    const bad = decodePdu(pdu(0x80000004, 0x08, 4, cstr('x'), [1, 2]));
    assert.deepStrictEqual(bad, { command: 'submit_sm_resp', command_status: 8, sequence_number: 4, message_id: 'x' });
  });
  it('an ESME_ROK response with a bad field is still an error', () => {
    expectDecodeError(pdu(0x80000004, 0, 4, cstr('m'.repeat(65))), 0x0c, 'message_id');
    expectDecodeError(pdu(0x80000004, 0, 4, cstr('m'), [1]), 0xc0, 'tlv');
  });
  it('requests are not liberal: a submit_sm with an empty body is an error', () => {
    expectDecodeError(pdu(SUBMIT_SM, 0, 4), 0x15, 'service_type');
    expectDecodeError(pdu(0x00000004, 0, 4, cstr('')), 0x02, 'source_addr_ton');
  });
  it('error_status_code values survive in submit_multi_resp', () => {
    const p = decodePdu(pdu(0x80000021, 0, 4, cstr('m'), u8(1), u8(1), u8(1), cstr('1'), u32(0xffffffff)));
    assert.equal(p.command === 'submit_multi_resp' && p.unsuccess_sme[0].error_status_code, 0xffffffff);
  });
});
