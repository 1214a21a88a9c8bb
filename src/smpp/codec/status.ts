// The command_status table of SMPP 3.4 §5.1.3: one row per status, name → [code, description]. Everything else
// (the CommandStatus constants, names and descriptions of any code) is derived from this one table.

const TABLE = {
  ESME_ROK: [0x00, 'No error'],
  ESME_RINVMSGLEN: [0x01, 'Message length is invalid'],
  ESME_RINVCMDLEN: [0x02, 'Command length is invalid'],
  ESME_RINVCMDID: [0x03, 'Invalid command ID'],
  ESME_RINVBNDSTS: [0x04, 'Incorrect bind status for given command'],
  ESME_RALYBND: [0x05, 'ESME already in bound state'],
  ESME_RINVPRTFLG: [0x06, 'Invalid priority flag'],
  ESME_RINVREGDLVFLG: [0x07, 'Invalid registered delivery flag'],
  ESME_RSYSERR: [0x08, 'System error'],
  ESME_RINVSRCADR: [0x0a, 'Invalid source address'],
  ESME_RINVDSTADR: [0x0b, 'Invalid destination address'],
  ESME_RINVMSGID: [0x0c, 'Message ID is invalid'],
  ESME_RBINDFAIL: [0x0d, 'Bind failed'],
  ESME_RINVPASWD: [0x0e, 'Invalid password'],
  ESME_RINVSYSID: [0x0f, 'Invalid system ID'],
  ESME_RCANCELFAIL: [0x11, 'Cancel SM failed'],
  ESME_RREPLACEFAIL: [0x13, 'Replace SM failed'],
  ESME_RMSGQFUL: [0x14, 'Message queue full'],
  ESME_RINVSERTYP: [0x15, 'Invalid service type'],
  ESME_RINVNUMDESTS: [0x33, 'Invalid number of destinations'],
  ESME_RINVDLNAME: [0x34, 'Invalid distribution list name'],
  ESME_RINVDESTFLAG: [0x40, 'Destination flag is invalid (submit_multi)'],
  ESME_RINVSUBREP: [0x42, "Invalid 'submit with replace' request (submit_sm with replace_if_present_flag set)"],
  ESME_RINVESMCLASS: [0x43, 'Invalid esm_class field data'],
  ESME_RCNTSUBDL: [0x44, 'Cannot submit to distribution list'],
  ESME_RSUBMITFAIL: [0x45, 'submit_sm or submit_multi failed'],
  ESME_RINVSRCTON: [0x48, 'Invalid source address TON'],
  ESME_RINVSRCNPI: [0x49, 'Invalid source address NPI'],
  ESME_RINVDSTTON: [0x50, 'Invalid destination address TON'],
  ESME_RINVDSTNPI: [0x51, 'Invalid destination address NPI'],
  ESME_RINVSYSTYP: [0x53, 'Invalid system_type field'],
  ESME_RINVREPFLAG: [0x54, 'Invalid replace_if_present flag'],
  ESME_RINVNUMMSGS: [0x55, 'Invalid number of messages'],
  ESME_RTHROTTLED: [0x58, 'Throttling error (ESME has exceeded allowed message limits)'],
  ESME_RINVSCHED: [0x61, 'Invalid scheduled delivery time'],
  ESME_RINVEXPIRY: [0x62, 'Invalid message validity period (expiry time)'],
  ESME_RINVDFTMSGID: [0x63, 'Predefined message invalid or not found'],
  ESME_RX_T_APPN: [0x64, 'ESME receiver temporary app error code'],
  ESME_RX_P_APPN: [0x65, 'ESME receiver permanent app error code'],
  ESME_RX_R_APPN: [0x66, 'ESME receiver reject message error code'],
  ESME_RQUERYFAIL: [0x67, 'query_sm request failed'],
  ESME_RINVOPTPARSTREAM: [0xc0, 'Error in the optional part of the PDU body'],
  ESME_ROPTPARNOTALLWD: [0xc1, 'Optional parameter not allowed'],
  ESME_RINVPARLEN: [0xc2, 'Invalid parameter length'],
  ESME_RMISSINGOPTPARAM: [0xc3, 'Expected optional parameter missing'],
  ESME_RINVOPTPARAMVAL: [0xc4, 'Invalid optional parameter value'],
  ESME_RDELIVERYFAILURE: [0xfe, 'Delivery failure (used for data_sm_resp)'],
  ESME_RUNKNOWNERR: [0xff, 'Unknown error'],
} as const;

type Table = typeof TABLE;

/** A command_status name of SMPP 3.4 §5.1.3. */
export type CommandStatusName = keyof Table;

/** SMPP 3.4 §5.1.3 command_status values, name → code. */
export const CommandStatus: { readonly [K in CommandStatusName]: Table[K][0] } = Object.freeze(
  Object.fromEntries(Object.entries(TABLE).map(([name, [code]]) => [name, code])),
) as { readonly [K in CommandStatusName]: Table[K][0] };

const NAMES = new Map<number, string>();
const DESCRIPTIONS = new Map<number, string>();
for (const [name, [code, description]] of Object.entries(TABLE)) {
  NAMES.set(code, name);
  DESCRIPTIONS.set(code, description);
}

function hex32(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

// SMPP 3.4 §5.1.3: the ranges of codes the table leaves open.
function rangeOf(code: number): string {
  const c = code >>> 0;
  if (c >= 0x400 && c <= 0x4ff) return 'vendor specific';
  if (c >= 0x100 && c <= 0x3ff) return 'reserved for SMPP extension';
  return 'reserved';
}

/** The status's name (`ESME_RTHROTTLED`), or e.g. `0x00000400 (vendor specific)` for a code not in the table. */
export function statusName(code: number): string {
  return NAMES.get(code >>> 0) ?? `${hex32(code)} (${rangeOf(code)})`;
}

/** The status's description from SMPP 3.4 §5.1.3, or the range it falls in for a code not in the table. */
export function statusDescription(code: number): string {
  const known = DESCRIPTIONS.get(code >>> 0);
  if (known !== undefined) return known;
  const range = rangeOf(code);
  return `${range[0].toUpperCase()}${range.slice(1)} error ${hex32(code)}`;
}
