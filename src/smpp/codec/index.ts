// The SMPP 3.4 codec's public entry point: PDU types and tables, decode, encode, the framer, TLVs, statuses,
// time formats and the typed errors. Pure data in, data out: no sockets, timers or logging.

export { CommandId, type CommandName, commandName, commandNameOf, isResponse, responseIdOf } from './commands.js';
export { decodePdu, HEADER_LENGTH } from './decode.js';
export { encodePdu } from './encode.js';
export { SmppDecodeError, type SmppErrorOptions, SmppFramingError, SmppStatusError } from './errors.js';
export { DEFAULT_MAX_COMMAND_LENGTH, Framer, type FramerOptions, type PartialHeader } from './framer.js';
export { type DestAddress, type FieldSpec, PDU_FIELDS, type Pdu, type PduOf, type UnsuccessSme } from './pdus.js';
export { CommandStatus, type CommandStatusName, statusDescription, statusName } from './status.js';
export {
  formatAbsoluteTime,
  formatRelativeTime,
  isValidSmppTime,
  parseSmppTime,
  type SmppTime,
  type SmppTimeField,
} from './time.js';
export {
  type NetworkErrorCode,
  type RawTlv,
  TLV_TABLE,
  type TlvName,
  type Tlvs,
  type TlvValue,
  tlvName,
} from './tlv.js';
