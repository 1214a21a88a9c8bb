// The codec's typed errors. The status is the error (go-smpp style): its message comes from the one status table.
// Two kinds of decode failure, as in cloudhopper: recoverable (SmppDecodeError: the header was read, so the peer
// can be answered) and fatal (SmppFramingError: command_length is out of bounds, the byte stream cannot be resynced).

import { CommandStatus, statusDescription, statusName } from './status.js';

/** Options shared by the codec's errors. */
export interface SmppErrorOptions {
  /** The offending field (a mandatory parameter or TLV name), if any. */
  field?: string;
  /** Extra detail appended to the message. */
  detail?: string;
  cause?: unknown;
}

function messageOf(status: number, options: SmppErrorOptions | undefined): string {
  let message = `${statusName(status)}: ${statusDescription(status)}`;
  if (options?.field !== undefined) message += ` (${options.field})`;
  if (options?.detail !== undefined) message += `: ${options.detail}`;
  return message;
}

/** An SMPP command_status as an error: a refused request, or a field that cannot be encoded or decoded. */
export class SmppStatusError extends Error {
  override name = 'SmppStatusError';
  /** The SMPP 3.4 §5.1.3 command_status this error stands for. */
  readonly commandStatus: number;
  /** The offending field, if any. */
  readonly field: string | undefined;

  constructor(commandStatus: number, options?: SmppErrorOptions) {
    super(messageOf(commandStatus, options), options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.commandStatus = commandStatus;
    this.field = options?.field;
  }
}

/**
 * A recoverable decode error: the header was read, so the caller answers with the matching `_resp` (generic_nack
 * for an unknown command_id) carrying `commandStatus`, and keeps the connection.
 */
export class SmppDecodeError extends SmppStatusError {
  override name = 'SmppDecodeError';
  /** command_id from the PDU header. */
  readonly commandId: number;
  /** sequence_number from the PDU header. */
  readonly sequenceNumber: number;

  constructor(commandStatus: number, commandId: number, sequenceNumber: number, options?: SmppErrorOptions) {
    super(commandStatus, options);
    this.commandId = commandId;
    this.sequenceNumber = sequenceNumber;
  }
}

/** A fatal framing error: command_length < 16 or over the maximum (SMPP 3.4 §3.2); answer generic_nack and close. */
export class SmppFramingError extends SmppStatusError {
  override name = 'SmppFramingError';
  /** The command_length that was read (or the frame's size when it is too short to hold one). */
  readonly commandLength: number;

  constructor(commandLength: number, detail: string) {
    super(CommandStatus.ESME_RINVCMDLEN, { field: 'command_length', detail });
    this.commandLength = commandLength;
  }
}
