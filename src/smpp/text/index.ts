// The SMPP text layer: data_coding, GSM 03.38 / Latin-1 / UCS-2, UDH and SAR, splitting and reassembly. Pure code.

export {
  type ChooseOptions,
  type ChosenCoding,
  type CountOptions,
  chooseEncoding,
  countParts,
  type PartCount,
} from './choose.js';
export {
  type Alphabet,
  DataCoding,
  type DataCodingInfo,
  type DataCodingValue,
  decodeText,
  describeDataCoding,
  encodeText,
  isBinaryCoding,
  type TextDataCoding,
} from './dataCoding.js';
export {
  MessageTooLongError,
  SmppTextError,
  TextDecodeError,
  UdhError,
  UnrepresentableTextError,
  UnsupportedDataCodingError,
} from './errors.js';
export {
  decodeGsm7,
  encodeGsm7,
  GSM7_ESCAPE,
  gsm7FillBits,
  gsm7Length,
  isGsm7,
  packGsm7,
  unpackGsm7,
} from './gsm7.js';
export { MAX_PARTS, MAX_PAYLOAD_OCTETS, PART_LIMITS, type SplitMethod, type TextUnit } from './limits.js';
export {
  type AddResult,
  type DroppedSet,
  type DropReason,
  type ReassembledMessage,
  Reassembler,
  type ReassemblerOptions,
  type ReassemblyPart,
} from './reassembly.js';
export {
  type MessagePart,
  type SarInfo,
  type SplitBinaryOptions,
  type SplitOptions,
  type SplitResult,
  type SplitTextOptions,
  splitBinary,
  splitText,
} from './split.js';
export { decodeUcs2, encodeUcs2 } from './ucs2.js';
export {
  buildConcatUdh,
  buildUdh,
  type ConcatInfo,
  ESM_CLASS_UDHI,
  hasUdhi,
  Iei,
  type PortInfo,
  parseUdh,
  type Udh,
  type UdhElement,
} from './udh.js';
