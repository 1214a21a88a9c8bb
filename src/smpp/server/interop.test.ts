// Interop over real TCP with the `smpp` npm package (node-smpp) as the ESME: a client we did not write binds all
// three ways, submits, enquires, receives a deliver_sm and answers it, and unbinds.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  request as call,
  connectClient as connect,
  type ClientPdu as NodeSmppPdu,
} from '../../../test/helpers/smppClient.js';
import { CommandStatus as S } from '../codec/index.js';
import { type ServerPrincipal, SmppServer } from './server.js';

const submitted: string[] = [];
const server = new SmppServer<ServerPrincipal>({
  id: 'smpps_01',
  bind: '127.0.0.1',
  port: 0,
  authenticate: async (r) =>
    r.password === 'secret' ? { status: 0, principal: { id: r.system_id } } : { status: S.ESME_RINVPASWD },
  handlers: {
    submit_sm: (p) => {
      submitted.push(`${p.destination_addr}:${p.short_message.toString('latin1')}`);
      return { message_id: `msg-${submitted.length}` };
    },
  },
  timers: { enquireLinkMs: 0, inactivityMs: 0, sessionInitMs: 10_000, responseMs: 5000, pduReadMs: 0 },
});
const listening = server.listen();

after(() => server.close());

describe('interop: node-smpp client against SmppServer', () => {
  for (const type of ['transmitter', 'receiver', 'transceiver'] as const) {
    it(`bind_${type}, enquire_link${type !== 'receiver' ? ', submit_sm' : ''}${type !== 'transmitter' ? ', deliver_sm answered' : ''}, unbind`, async () => {
      const port = (await listening).tcp!.port;
      const session = await connect(port);
      const refused = await call(session, `bind_${type}`, { system_id: 'alice', password: 'nope' });
      assert.equal(refused.command_status, S.ESME_RINVPASWD);
      const bind = await call(session, `bind_${type}`, { system_id: 'alice', password: 'secret' });
      assert.equal(bind.command, `bind_${type}_resp`);
      assert.equal(bind.command_status, 0);
      assert.equal(bind.system_id, 'smpps_01');
      assert.equal(bind.sc_interface_version, 0x34);

      assert.equal((await call(session, 'enquire_link')).command, 'enquire_link_resp');

      const submit = await call(session, 'submit_sm', { destination_addr: '33600000001', short_message: 'hello' });
      if (type === 'receiver') {
        assert.equal(submit.command_status, S.ESME_RINVBNDSTS);
      } else {
        assert.equal(submit.command_status, 0);
        assert.match(submit.message_id ?? '', /^msg-\d+$/);
        assert.equal(submitted.at(-1), '33600000001:hello');
      }

      if (type !== 'transmitter') {
        const got = new Promise<NodeSmppPdu>((resolve) => {
          session.on('deliver_sm', (pdu) => {
            session.send(pdu.response());
            resolve(pdu);
          });
        });
        const receiver = server.nextReceiver('alice');
        assert.ok(receiver !== undefined);
        const response = await receiver.request({
          command: 'deliver_sm',
          command_status: 0,
          sequence_number: 0,
          service_type: '',
          source_addr_ton: 1,
          source_addr_npi: 1,
          source_addr: '33600000001',
          dest_addr_ton: 0,
          dest_addr_npi: 0,
          destination_addr: '12345',
          esm_class: 0x04,
          protocol_id: 0,
          priority_flag: 0,
          schedule_delivery_time: '',
          validity_period: '',
          registered_delivery: 0,
          replace_if_present_flag: 0,
          data_coding: 0,
          sm_default_msg_id: 0,
          short_message: Buffer.from('id:msg-1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:hello'),
          tlvs: { receipted_message_id: 'msg-1', message_state: 2 },
        });
        assert.equal(response.command, 'deliver_sm_resp');
        assert.equal(response.command_status, 0);
        const pdu = await got;
        assert.match(String(pdu.short_message?.message), /stat:DELIVRD/);
      } else {
        assert.equal(server.nextReceiver('alice'), undefined);
      }

      const closed = new Promise<void>((resolve) => session.once('close', resolve));
      const unbind = await call(session, 'unbind');
      assert.equal(unbind.command, 'unbind_resp');
      assert.equal(unbind.command_status, 0);
      await closed; // the server closes after unbind_resp
      assert.equal(server.boundSessions('alice').length, 0);
    });
  }
});
