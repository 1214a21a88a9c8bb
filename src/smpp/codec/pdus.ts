// The mandatory parameters of every SMPP 3.4 PDU (§4), as data: one field list per command. The generic decoder
// and encoder walk these lists, and the TypeScript type of each PDU is mapped from them, so adding a command or a
// field is one line here. Length and count fields (sm_length, number_of_dests, no_unsuccess) are part of the field
// they measure (`sm`, `dest_address`, `unsuccess_sme`): derived on encode, checked on decode, never in the object.

import type { CommandName } from './commands.js';
import { CommandStatus as S } from './status.js';
import type { Tlvs } from './tlv.js';

/**
 * How a mandatory field is laid out: u8/u32 integers; a C-octet string (`max` includes the NUL, SMPP 3.4 §3.1);
 * an SMPP time (§7.1.1, a C-octet string of 1 or 17 octets); sm_length + short_message; submit_multi's counted lists.
 */
export type FieldKind = 'u8' | 'u32' | 'cstr' | 'time' | 'sm' | 'dest_address' | 'unsuccess_sme';

/** One mandatory field: its name in the specification, layout, maximum size, and the status a bad value earns. */
export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  /** C-octet strings: the maximum size including the NUL. 0 for other kinds. */
  readonly max: number;
  /** The command_status for a bad value of this field (SMPP 3.4 §5.1.3), ESME_RSYSERR where none fits. */
  readonly status: number;
}

function u8<const N extends string>(name: N, status: number = S.ESME_RSYSERR) {
  return { name, kind: 'u8', max: 0, status } as const;
}
function cstr<const N extends string>(name: N, max: number, status: number) {
  return { name, kind: 'cstr', max, status } as const;
}
function time<const N extends string>(name: N, status: number) {
  return { name, kind: 'time', max: 17, status } as const;
}

// Fields that recur, each with its own status (SMPP 3.4 §5.2).
const service_type = cstr('service_type', 6, S.ESME_RINVSERTYP);
const source_addr_ton = u8('source_addr_ton', S.ESME_RINVSRCTON);
const source_addr_npi = u8('source_addr_npi', S.ESME_RINVSRCNPI);
const source_addr = cstr('source_addr', 21, S.ESME_RINVSRCADR);
const source_addr_65 = cstr('source_addr', 65, S.ESME_RINVSRCADR); // data_sm, alert_notification
const dest_addr_ton = u8('dest_addr_ton', S.ESME_RINVDSTTON);
const dest_addr_npi = u8('dest_addr_npi', S.ESME_RINVDSTNPI);
const destination_addr = cstr('destination_addr', 21, S.ESME_RINVDSTADR);
const esm_class = u8('esm_class', S.ESME_RINVESMCLASS);
const protocol_id = u8('protocol_id');
const priority_flag = u8('priority_flag', S.ESME_RINVPRTFLG);
const schedule_delivery_time = time('schedule_delivery_time', S.ESME_RINVSCHED);
const validity_period = time('validity_period', S.ESME_RINVEXPIRY);
const registered_delivery = u8('registered_delivery', S.ESME_RINVREGDLVFLG);
const replace_if_present_flag = u8('replace_if_present_flag', S.ESME_RINVREPFLAG);
const data_coding = u8('data_coding');
const sm_default_msg_id = u8('sm_default_msg_id', S.ESME_RINVDFTMSGID);
const short_message = { name: 'short_message', kind: 'sm', max: 254, status: S.ESME_RINVMSGLEN } as const;
const message_id = cstr('message_id', 65, S.ESME_RINVMSGID);
const system_id = cstr('system_id', 16, S.ESME_RINVSYSID);
const password = cstr('password', 9, S.ESME_RINVPASWD);

// SMPP 3.4 §4.1.1 (bind_transmitter), §4.1.3 (bind_receiver), §4.1.5 (bind_transceiver).
const BIND = [
  system_id,
  password,
  cstr('system_type', 13, S.ESME_RINVSYSTYP),
  u8('interface_version', S.ESME_RBINDFAIL),
  u8('addr_ton', S.ESME_RBINDFAIL),
  u8('addr_npi', S.ESME_RBINDFAIL),
  cstr('address_range', 41, S.ESME_RBINDFAIL),
] as const;

// SMPP 3.4 §4.4.1 submit_sm, §4.6.1 deliver_sm (same layout; deliver_sm leaves the times and flags NULL).
const SUBMIT = [
  service_type,
  source_addr_ton,
  source_addr_npi,
  source_addr,
  dest_addr_ton,
  dest_addr_npi,
  destination_addr,
  esm_class,
  protocol_id,
  priority_flag,
  schedule_delivery_time,
  validity_period,
  registered_delivery,
  replace_if_present_flag,
  data_coding,
  sm_default_msg_id,
  short_message,
] as const;

const NONE = [] as const;

/** The mandatory fields of every SMPP 3.4 PDU, by command name (SMPP 3.4 §4). */
export const PDU_FIELDS = {
  generic_nack: NONE, // §4.3.1
  bind_transmitter: BIND,
  bind_transmitter_resp: [system_id], // §4.1.2 (+ sc_interface_version TLV)
  bind_receiver: BIND,
  bind_receiver_resp: [system_id], // §4.1.4
  bind_transceiver: BIND,
  bind_transceiver_resp: [system_id], // §4.1.6
  outbind: [system_id, password], // §4.1.7
  unbind: NONE, // §4.2.1
  unbind_resp: NONE, // §4.2.2
  submit_sm: SUBMIT,
  submit_sm_resp: [message_id], // §4.4.2
  // §4.5.1: number_of_dests + dest_address list sit between source_addr and esm_class.
  submit_multi: [
    service_type,
    source_addr_ton,
    source_addr_npi,
    source_addr,
    { name: 'dest_address', kind: 'dest_address', max: 0, status: S.ESME_RINVNUMDESTS },
    esm_class,
    protocol_id,
    priority_flag,
    schedule_delivery_time,
    validity_period,
    registered_delivery,
    replace_if_present_flag,
    data_coding,
    sm_default_msg_id,
    short_message,
  ],
  // §4.5.2: no_unsuccess + unsuccess_sme list.
  submit_multi_resp: [message_id, { name: 'unsuccess_sme', kind: 'unsuccess_sme', max: 0, status: S.ESME_RSYSERR }],
  deliver_sm: SUBMIT,
  deliver_sm_resp: [message_id], // §4.6.2 (message_id is NULL)
  // §4.7.1
  data_sm: [
    service_type,
    source_addr_ton,
    source_addr_npi,
    source_addr_65,
    dest_addr_ton,
    dest_addr_npi,
    cstr('destination_addr', 65, S.ESME_RINVDSTADR),
    esm_class,
    registered_delivery,
    data_coding,
  ],
  data_sm_resp: [message_id], // §4.7.2
  query_sm: [message_id, source_addr_ton, source_addr_npi, source_addr], // §4.8.1
  // §4.8.2
  query_sm_resp: [message_id, time('final_date', S.ESME_RSYSERR), u8('message_state'), u8('error_code')],
  // §4.9.1
  cancel_sm: [
    service_type,
    message_id,
    source_addr_ton,
    source_addr_npi,
    source_addr,
    dest_addr_ton,
    dest_addr_npi,
    destination_addr,
  ],
  cancel_sm_resp: NONE, // §4.9.2
  // §4.10.1
  replace_sm: [
    message_id,
    source_addr_ton,
    source_addr_npi,
    source_addr,
    schedule_delivery_time,
    validity_period,
    registered_delivery,
    sm_default_msg_id,
    short_message,
  ],
  replace_sm_resp: NONE, // §4.10.2
  enquire_link: NONE, // §4.11.1
  enquire_link_resp: NONE, // §4.11.2
  // §4.12.1
  alert_notification: [
    source_addr_ton,
    source_addr_npi,
    source_addr_65,
    u8('esme_addr_ton', S.ESME_RINVDSTTON),
    u8('esme_addr_npi', S.ESME_RINVDSTNPI),
    cstr('esme_addr', 65, S.ESME_RINVDSTADR),
  ],
} as const satisfies Record<CommandName, readonly FieldSpec[]>;

/** One destination of a submit_multi (SMPP 3.4 §4.5.1.1): an SME address (dest_flag 1) or a distribution list (2). */
export type DestAddress =
  | { dest_flag: 1; dest_addr_ton: number; dest_addr_npi: number; destination_addr: string }
  | { dest_flag: 2; dl_name: string };

/** One failed destination in a submit_multi_resp (SMPP 3.4 §4.5.2.1) with its error status. */
export interface UnsuccessSme {
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  error_status_code: number;
}

type ValueOf<K extends FieldKind> = K extends 'u8' | 'u32'
  ? number
  : K extends 'cstr' | 'time'
    ? string
    : K extends 'sm'
      ? Buffer
      : K extends 'dest_address'
        ? DestAddress[]
        : UnsuccessSme[];

type BodyOf<F extends readonly FieldSpec[]> = { [E in F[number] as E['name']]: ValueOf<E['kind']> };

type Flatten<T> = { [K in keyof T]: T[K] };

/** The PDU object of one command: header fields, its mandatory fields (names as in SMPP 3.4) and optional TLVs. */
export type PduOf<C extends CommandName> = Flatten<
  { command: C; command_status: number; sequence_number: number } & BodyOf<(typeof PDU_FIELDS)[C]> & { tlvs?: Tlvs }
>;

/** Any SMPP 3.4 PDU: a union discriminated on `command`. */
export type Pdu = { [C in CommandName]: PduOf<C> }[CommandName];

export type { CommandName };
