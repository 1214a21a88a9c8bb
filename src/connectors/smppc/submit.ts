// The submit_sm an upstream gets for one stored message part: the bytes the ESME sent, untouched (short_message with
// its UDH, esm_class, data_coding, protocol_id, priority, registered_delivery and every TLV), with the connector's
// TON/NPI overrides, and the time left of its validity as a relative validity_period. A message carried in
// message_payload goes to an SMSC that lacks it as concatenated short messages (UDH, 8-bit reference).

import { CommandStatus, formatRelativeTime, type PduOf, type Tlvs } from '../../smpp/codec/index.js';
import { decodeTlvs, isTlvProblem } from '../../smpp/codec/tlv.js';
import { buildConcatUdh, describeDataCoding, ESM_CLASS_UDHI, MAX_PARTS } from '../../smpp/text/index.js';
import { planCuts, unitOf } from '../../smpp/text/limits.js';
import type { MessageRecord } from '../../store/model.js';
import type { SmppcSettings } from './settings.js';

/** What to send for one message part, or why it cannot be sent (answered as a rejection with that status). */
export type SubmitPlan = { ok: true; pdus: PduOf<'submit_sm'>[] } | { ok: false; status: number; reason: string };

/** The settings planSubmit reads. */
export type SubmitSettings = Pick<
  SmppcSettings,
  | 'source_addr_ton'
  | 'source_addr_npi'
  | 'dest_addr_ton'
  | 'dest_addr_npi'
  | 'supports_message_payload'
  | 'default_data_coding'
>;

/** SMPP 3.4 §7.1.2: a relative time holds at most 99 days 23:59:59. */
const MAX_RELATIVE_SECS = 100 * 86_400 - 1;

/**
 * Builds the submit_sm of a stored part at time `now` (epoch ms). `nextRef` hands out concatenation references
 * (0–255) for a message_payload that must be split. The caller has already expired parts past their validity.
 */
export function planSubmit(m: MessageRecord, settings: SubmitSettings, now: number, nextRef: () => number): SubmitPlan {
  let tlvs: Tlvs | undefined;
  if (m.tlvs !== null && m.tlvs.length > 0) {
    const decoded = decodeTlvs(m.tlvs, 0, m.tlvs.length);
    if (isTlvProblem(decoded)) {
      return {
        ok: false,
        status: decoded.status,
        reason: `stored TLVs unreadable: ${decoded.field} ${decoded.detail}`,
      };
    }
    tlvs = decoded;
  }
  const validity =
    m.expires_at === null
      ? ''
      : formatRelativeTime(Math.min(MAX_RELATIVE_SECS, Math.max(1, Math.ceil((m.expires_at - now) / 1000))));
  const base: PduOf<'submit_sm'> = {
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 0,
    service_type: m.service_type,
    source_addr_ton: settings.source_addr_ton ?? m.source_addr_ton,
    source_addr_npi: settings.source_addr_npi ?? m.source_addr_npi,
    source_addr: m.source_addr,
    dest_addr_ton: settings.dest_addr_ton ?? m.dest_addr_ton,
    dest_addr_npi: settings.dest_addr_npi ?? m.dest_addr_npi,
    destination_addr: m.destination_addr,
    esm_class: m.esm_class,
    protocol_id: m.protocol_id,
    priority_flag: m.priority_flag,
    // The store held the part until its schedule_delivery_time: it leaves now.
    schedule_delivery_time: '',
    validity_period: validity,
    registered_delivery: m.registered_delivery,
    replace_if_present_flag: 0,
    data_coding: m.data_coding,
    sm_default_msg_id: 0,
    short_message: m.short_message,
  };
  const payload = tlvs?.message_payload;
  if (payload === undefined || settings.supports_message_payload) {
    return { ok: true, pdus: [tlvs === undefined ? base : { ...base, tlvs }] };
  }
  return splitPayload(base, payload, tlvs ?? {}, settings, nextRef);
}

/** SMPP 3.4 §5.3.2.32 message_payload to an SMSC without it: short messages with a concatenation UDH. */
function splitPayload(
  base: PduOf<'submit_sm'>,
  payload: Buffer,
  tlvs: Tlvs,
  settings: SubmitSettings,
  nextRef: () => number,
): SubmitPlan {
  const { message_payload: _dropped, ...rest } = tlvs;
  const others: Tlvs | undefined = Object.keys(rest).length > 0 ? rest : undefined;
  const single = (sm: Buffer): SubmitPlan => ({
    ok: true,
    pdus: [{ ...base, short_message: sm, ...(others !== undefined ? { tlvs: others } : {}) }],
  });
  if ((base.esm_class & ESM_CLASS_UDHI) !== 0) {
    // The payload carries its own UDH: it can only go whole, in one short message (TS 23.040: 140 octets).
    if (payload.length <= 140) return single(payload);
    return {
      ok: false,
      status: CommandStatus.ESME_RINVMSGLEN,
      reason: 'message_payload with its own UDH is too long for one short message and the SMSC lacks message_payload',
    };
  }
  // data_coding 0 is the SMSC's default alphabet: GSM 03.38 or Latin-1 as the connector says.
  const coding = base.data_coding === 0 ? settings.default_data_coding : base.data_coding;
  let cuts: number[];
  try {
    cuts = planCuts(payload, unitOf(describeDataCoding(coding).alphabet, coding), 'udh8');
  } catch (error) {
    return { ok: false, status: CommandStatus.ESME_RINVMSGLEN, reason: (error as Error).message };
  }
  const total = cuts.length - 1;
  if (total === 1) return single(payload);
  if (total > MAX_PARTS) {
    return { ok: false, status: CommandStatus.ESME_RINVMSGLEN, reason: `message_payload needs ${total} parts` };
  }
  const ref = nextRef() & 0xff;
  const pdus: PduOf<'submit_sm'>[] = [];
  for (let seq = 1; seq <= total; seq++) {
    const udh = buildConcatUdh(ref, total, seq, 8);
    pdus.push({
      ...base,
      esm_class: base.esm_class | ESM_CLASS_UDHI,
      short_message: Buffer.concat([udh, payload.subarray(cuts[seq - 1], cuts[seq])]),
      ...(others !== undefined ? { tlvs: others } : {}),
    });
  }
  return { ok: true, pdus };
}
