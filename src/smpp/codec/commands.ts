// command_id values of SMPP 3.4 §5.1.2.1. A response id is its request id with bit 31 set.

/** SMPP 3.4 §5.1.2.1 command_id values, name → id (requests, their `_resp`s and generic_nack). */
export const CommandId = Object.freeze({
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const);

/** The name of an SMPP 3.4 command (`submit_sm`, `submit_sm_resp`, …). */
export type CommandName = keyof typeof CommandId;

const RESPONSE_BIT = 0x80000000;

const NAME_BY_ID = new Map<number, CommandName>();
for (const [name, id] of Object.entries(CommandId)) NAME_BY_ID.set(id, name as CommandName);

/** The command's name, or `unknown_0x…` for an id not in SMPP 3.4 (never throws). */
export function commandName(id: number): string {
  return NAME_BY_ID.get(id >>> 0) ?? `unknown_0x${(id >>> 0).toString(16).padStart(8, '0')}`;
}

/** The command's name if `id` is an SMPP 3.4 command_id, else undefined. */
export function commandNameOf(id: number): CommandName | undefined {
  return NAME_BY_ID.get(id >>> 0);
}

/** True when bit 31 is set: the id is a response (or generic_nack). */
export function isResponse(id: number): boolean {
  return (id & RESPONSE_BIT) !== 0;
}

/** The `_resp` id answering a known request id; undefined for responses, outbind, alert_notification and unknown ids. */
export function responseIdOf(requestId: number): number | undefined {
  const id = requestId >>> 0;
  if (isResponse(id) || !NAME_BY_ID.has(id)) return undefined;
  const resp = (id | RESPONSE_BIT) >>> 0;
  return NAME_BY_ID.has(resp) ? resp : undefined;
}
