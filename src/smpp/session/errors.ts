// Typed errors of the session layer (STYLE.md rule 3): each has a `name`, a message that says what happened and,
// where one exists, a `cause`.

/** The outbound window stayed full for longer than the offer was willing to wait. */
export class WindowFullError extends Error {
  override readonly name = 'WindowFullError';
  /** The window's maximum number of outstanding requests. */
  readonly maxSize: number;
  /** The command that could not be sent. */
  readonly command: string;

  constructor(command: string, maxSize: number, waitedMs: number) {
    super(`window full: ${command} not sent, ${maxSize} requests outstanding for ${waitedMs} ms`);
    this.command = command;
    this.maxSize = maxSize;
  }
}

/** No response to one of our requests within `responseTimerSecs`. */
export class ResponseTimeoutError extends Error {
  override readonly name = 'ResponseTimeoutError';
  /** The request's command name. */
  readonly command: string;
  /** The request's sequence number. */
  readonly sequenceNumber: number;
  /** How long we waited. */
  readonly timeoutMs: number;

  constructor(command: string, sequenceNumber: number, timeoutMs: number) {
    super(`no response to ${command} #${sequenceNumber} within ${timeoutMs} ms`);
    this.command = command;
    this.sequenceNumber = sequenceNumber;
    this.timeoutMs = timeoutMs;
  }
}

/** The session closed (or began unbinding) before a request could be sent or answered. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  /** Why the session closed, as given to `close(reason)`. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`session closed: ${reason}`, options);
    this.reason = reason;
  }
}

/** A request was offered in a state that does not allow it (e.g. submit_sm on an unbound client session). */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
  /** The session state at the time. */
  readonly state: string;
  /** The command refused. */
  readonly command: string;

  constructor(command: string, state: string) {
    super(`${command} not allowed in state ${state}`);
    this.command = command;
    this.state = state;
  }
}
