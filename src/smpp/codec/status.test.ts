import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandId, commandName, commandNameOf, isResponse, responseIdOf } from './commands.js';
import { SmppDecodeError, SmppFramingError, SmppStatusError } from './errors.js';
import { CommandStatus, statusDescription, statusName } from './status.js';

// SMPP 3.4 §5.1.3, written out independently of status.ts.
const SPEC_CODES: Record<string, number> = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RINVPRTFLG: 0x06,
  ESME_RINVREGDLVFLG: 0x07,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RINVMSGID: 0x0c,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RCANCELFAIL: 0x11,
  ESME_RREPLACEFAIL: 0x13,
  ESME_RMSGQFUL: 0x14,
  ESME_RINVSERTYP: 0x15,
  ESME_RINVNUMDESTS: 0x33,
  ESME_RINVDLNAME: 0x34,
  ESME_RINVDESTFLAG: 0x40,
  ESME_RINVSUBREP: 0x42,
  ESME_RINVESMCLASS: 0x43,
  ESME_RCNTSUBDL: 0x44,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RINVSRCTON: 0x48,
  ESME_RINVSRCNPI: 0x49,
  ESME_RINVDSTTON: 0x50,
  ESME_RINVDSTNPI: 0x51,
  ESME_RINVSYSTYP: 0x53,
  ESME_RINVREPFLAG: 0x54,
  ESME_RINVNUMMSGS: 0x55,
  ESME_RTHROTTLED: 0x58,
  ESME_RINVSCHED: 0x61,
  ESME_RINVEXPIRY: 0x62,
  ESME_RINVDFTMSGID: 0x63,
  ESME_RX_T_APPN: 0x64,
  ESME_RX_P_APPN: 0x65,
  ESME_RX_R_APPN: 0x66,
  ESME_RQUERYFAIL: 0x67,
  ESME_RINVOPTPARSTREAM: 0xc0,
  ESME_ROPTPARNOTALLWD: 0xc1,
  ESME_RINVPARLEN: 0xc2,
  ESME_RMISSINGOPTPARAM: 0xc3,
  ESME_RINVOPTPARAMVAL: 0xc4,
  ESME_RDELIVERYFAILURE: 0xfe,
  ESME_RUNKNOWNERR: 0xff,
};

describe('CommandStatus', () => {
  it('is exactly the SMPP 3.4 table', () => {
    assert.deepStrictEqual({ ...CommandStatus }, SPEC_CODES);
  });
  it('is frozen', () => {
    assert.ok(Object.isFrozen(CommandStatus));
  });
  it('names and describes every code', () => {
    for (const [name, code] of Object.entries(SPEC_CODES)) {
      assert.equal(statusName(code), name);
      assert.ok(statusDescription(code).length > 5);
    }
    assert.equal(statusDescription(0x58), 'Throttling error (ESME has exceeded allowed message limits)');
    assert.equal(statusDescription(0x0e), 'Invalid password');
  });
  it('names the open ranges', () => {
    assert.equal(statusName(0x400), '0x00000400 (vendor specific)');
    assert.equal(statusName(0x4ff), '0x000004FF (vendor specific)');
    assert.equal(statusName(0x100), '0x00000100 (reserved for SMPP extension)');
    assert.equal(statusName(0x09), '0x00000009 (reserved)');
    assert.equal(statusName(0x500), '0x00000500 (reserved)');
    assert.equal(statusName(0xffffffff), '0xFFFFFFFF (reserved)');
    assert.match(statusDescription(0x400), /vendor specific/i);
  });
});

describe('CommandId', () => {
  it('has the SMPP 3.4 ids', () => {
    assert.equal(CommandId.submit_sm, 0x00000004);
    assert.equal(CommandId.data_sm_resp, 0x80000103);
    assert.equal(CommandId.generic_nack, 0x80000000);
    assert.equal(CommandId.outbind, 0x0000000b);
    assert.equal(Object.keys(CommandId).length, 27);
    for (const [name, id] of Object.entries(CommandId)) {
      if (name.endsWith('_resp'))
        assert.equal(id, (CommandId[name.slice(0, -5) as keyof typeof CommandId] | 0x80000000) >>> 0);
    }
  });
  it('names ids, known or not', () => {
    assert.equal(commandName(0x80000021), 'submit_multi_resp');
    assert.equal(commandName(0x99), 'unknown_0x00000099');
    assert.equal(commandNameOf(0x99), undefined);
    assert.equal(commandNameOf(0x15), 'enquire_link');
  });
  it('tells responses', () => {
    assert.equal(isResponse(0x80000000), true);
    assert.equal(isResponse(0x80000004), true);
    assert.equal(isResponse(0x00000004), false);
  });
  it('maps requests to their response id', () => {
    assert.equal(responseIdOf(0x00000004), 0x80000004);
    assert.equal(responseIdOf(0x00000009), 0x80000009);
    assert.equal(responseIdOf(0x00000103), 0x80000103);
    assert.equal(responseIdOf(0x0000000b), undefined, 'outbind has no response');
    assert.equal(responseIdOf(0x00000102), undefined, 'alert_notification has no response');
    assert.equal(responseIdOf(0x80000004), undefined);
    assert.equal(responseIdOf(0x80000000), undefined);
    assert.equal(responseIdOf(0x99), undefined);
  });
});

describe('errors', () => {
  it('SmppStatusError carries the status, its text and the cause', () => {
    const cause = new Error('root');
    const e = new SmppStatusError(0x58, { cause, field: 'x', detail: 'slow down' });
    assert.equal(e.name, 'SmppStatusError');
    assert.equal(e.commandStatus, 0x58);
    assert.equal(
      e.message,
      'ESME_RTHROTTLED: Throttling error (ESME has exceeded allowed message limits) (x): slow down',
    );
    assert.equal(e.cause, cause);
    assert.ok(e instanceof Error);
    assert.equal(new SmppStatusError(0).message, 'ESME_ROK: No error');
  });
  it('SmppDecodeError is a recoverable SmppStatusError with the header', () => {
    const e = new SmppDecodeError(0x0a, 4, 77, { field: 'source_addr' });
    assert.equal(e.name, 'SmppDecodeError');
    assert.ok(e instanceof SmppStatusError);
    assert.deepStrictEqual([e.commandStatus, e.commandId, e.sequenceNumber, e.field], [0x0a, 4, 77, 'source_addr']);
  });
  it('SmppFramingError is ESME_RINVCMDLEN with the bad length', () => {
    const e = new SmppFramingError(3, 'too short');
    assert.equal(e.name, 'SmppFramingError');
    assert.equal(e.commandStatus, 0x02);
    assert.equal(e.commandLength, 3);
    assert.ok(!(e instanceof SmppDecodeError));
  });
});
