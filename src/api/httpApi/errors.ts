// The answers of Jasmin's HTTP API when something is wrong: an HTTP status and a reason in Jasmin's words. `/send`
// writes them as `Error "<reason>"` (text/plain), `/balance` and `/rate` as a JSON string. docs/http-api.md lists them.

import { CommandStatus } from '../../smpp/codec/index.js';

/** One refusal of the HTTP API: the HTTP status and the reason shown to the client, and the argument at fault. */
export class HttpApiError extends Error {
  override readonly name = 'HttpApiError';
  readonly status: number;
  /** The request argument at fault (`to`, `dlr-url`…), when one is. */
  readonly argument: string | undefined;
  /** Extra response headers (`Connection: close` after a body left unread, `Allow` for 405). */
  readonly headers: Readonly<Record<string, string>>;

  /** Builds the error; `message` is shown to the client as it is. */
  constructor(status: number, message: string, argument?: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.argument = argument;
    this.headers = headers;
  }
}

/** Arguments whose value is never repeated in an answer (answers are logged, and a password must not be). */
const SECRET_ARGUMENTS: ReadonlySet<string> = new Set(['password']);

/**
 * An argument name as an answer shows it: as given when it looks like a name, else only its length — a body sent
 * with the wrong Content-Type (XML, JSON as a form) reads as one long "name" holding the whole body, password too.
 */
export function shownName(name: string): string {
  return /^[\w.%[\]-]{1,64}$/u.test(name) ? name : `(a name of ${name.length} characters, not shown)`;
}

/** 400: Jasmin's "Mandatory argument [x] is not found." */
export function missingArgument(name: string): HttpApiError {
  return new HttpApiError(400, `Mandatory argument [${name}] is not found.`, name);
}

/**
 * 400: Jasmin's "Argument [x] has an invalid value: [v]." with, after it, why (Jasmin gives no why). The value is cut
 * at 64 characters, and a password's is never shown.
 */
export function invalidArgument(name: string, value: string, why?: string): HttpApiError {
  const shown = SECRET_ARGUMENTS.has(name) ? '(not shown)' : value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return new HttpApiError(
    400,
    `Argument [${shownName(name)}] has an invalid value: [${shown}].${why === undefined ? '' : ` ${why}`}`,
    name,
  );
}

/** 400: Jasmin's "Argument [x] is unknown." (a name that is not one is not shown: shownName). */
export function unknownArgument(name: string): HttpApiError {
  return new HttpApiError(400, `Argument [${shownName(name)}] is unknown.`, name);
}

/** 403: Jasmin's "Authentication failure for username:x" (unknown user, wrong password, disabled user or group). */
export function authenticationFailure(username: string): HttpApiError {
  return new HttpApiError(403, `Authentication failure for username:${username}`);
}

/** 403: Jasmin's "Authorization failed for user [x] (why)." */
export function authorizationFailure(username: string, why: string): HttpApiError {
  return new HttpApiError(403, `Authorization failed for user [${username}] (${why}).`);
}

/** 400: Jasmin's "Value filter failed for user [x] (filter mismatch)." */
export function valueFilterFailure(username: string, filter: string): HttpApiError {
  return new HttpApiError(400, `Value filter failed for user [${username}] (${filter} filter mismatch).`);
}

/** 412: Jasmin's "No route found". */
export function noRoute(): HttpApiError {
  return new HttpApiError(412, 'No route found');
}

/** 403: Jasmin's charging error, with what was short instead of its pointer to a log file. */
export function chargingFailure(why: string): HttpApiError {
  return new HttpApiError(403, `Cannot charge submit_sm (${why})`);
}

/** 403: Jasmin's "User throughput exceeded". */
export function throughputExceeded(): HttpApiError {
  return new HttpApiError(403, 'User throughput exceeded');
}

/** 500: the fallback, never with backend details (those go to the log). */
export function serverError(): HttpApiError {
  return new HttpApiError(500, 'Cannot send submit_sm, check the gateway log for details');
}

/** The value filter that answers each status of the credential checks (credentials.ts checkMt). */
const FILTER_OF_STATUS: ReadonlyMap<number, string> = new Map([
  [CommandStatus.ESME_RINVDSTADR, 'destination_address'],
  [CommandStatus.ESME_RINVSRCADR, 'source_address'],
  [CommandStatus.ESME_RINVPRTFLG, 'priority'],
  [CommandStatus.ESME_RSYSERR, 'content'],
  [CommandStatus.ESME_RINVEXPIRY, 'validity_period'],
]);

/** The Jasmin name of the value filter a credential-check status stands for (checkMt's statuses). */
export function filterOfStatus(status: number): string {
  return FILTER_OF_STATUS.get(status) ?? 'unknown';
}

/**
 * The HTTP answer to a refusal of the MT pipeline, after the HTTP API's own checks (arguments, authentication,
 * authorizations, value filters) have passed, so each status has one meaning left:
 * ESME_RINVDSTADR no route (412), ESME_RTHROTTLED throughput (403), ESME_RSYSERR short of credit (403) or a
 * failure of the gateway (500), ESME_RMSGQFUL store full (503), a time or length the pipeline could not honour
 * (400 naming the argument), ESME_RINVBNDSTS the account disabled meanwhile (403).
 */
export function refusalToHttp(status: number, reason: string, username: string): HttpApiError {
  switch (status) {
    case CommandStatus.ESME_RINVDSTADR:
      return noRoute();
    case CommandStatus.ESME_RTHROTTLED:
      return throughputExceeded();
    case CommandStatus.ESME_RSYSERR:
      // The pipeline's only credit refusal says "cannot pay: short of balance|sms_count".
      if (/cannot pay: short of (balance|sms_count)/u.test(reason)) {
        return chargingFailure(`not enough ${/sms_count/u.test(reason) ? 'sms_count' : 'balance'}`);
      }
      return serverError();
    case CommandStatus.ESME_RMSGQFUL:
      return new HttpApiError(503, 'Message queue full, try again later');
    case CommandStatus.ESME_RINVSCHED:
      return new HttpApiError(400, `Argument [sdt] cannot be honoured: ${reason}`, 'sdt');
    case CommandStatus.ESME_RINVEXPIRY:
      return new HttpApiError(400, `Argument [validity-period] cannot be honoured: ${reason}`, 'validity-period');
    case CommandStatus.ESME_RINVMSGLEN:
      return new HttpApiError(400, `Argument [content] cannot be sent: ${reason}`, 'content');
    case CommandStatus.ESME_RINVBNDSTS:
      return authenticationFailure(username);
    case CommandStatus.ESME_RINVSYSID:
      return authorizationFailure(username, reason);
    default:
      return serverError();
  }
}
