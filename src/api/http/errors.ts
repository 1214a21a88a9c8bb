// The one error type of the HTTP layer: a status and a message for the client, and the request field at fault.
// Handlers throw it; `sendError` turns it into `{ "error": "...", "field": "..." }`. Anything else thrown is a bug
// (or a backend failure) and becomes a 500 whose detail goes to the log, never to the client.

/** An HTTP error answer: the status, a message naming the problem, and the request field at fault (if one is). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  /** Path of the offending request field, e.g. `mt_messaging_cred.quotas.balance`. */
  readonly field: string | undefined;
  /** Extra response headers (e.g. `Allow` for 405, `WWW-Authenticate` for 401). */
  readonly headers: Readonly<Record<string, string>>;

  /** Builds the error; `message` is shown to the client as is. */
  constructor(
    status: number,
    message: string,
    options: { field?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }
}

/** 400 naming the field: the message reads `<field>: <problem>`. */
export function badRequest(field: string, problem: string, cause?: unknown): HttpError {
  return new HttpError(400, `${field}: ${problem}`, { field, cause });
}

/** 404 for an id that names nothing: `user "u1" not found`. */
export function notFound(what: string, id: string, field?: string): HttpError {
  return new HttpError(404, `${what} ${JSON.stringify(id)} not found`, field === undefined ? {} : { field });
}

/** 409 for a request that contradicts the current state (duplicate id, group still in use, …). */
export function conflict(message: string, field?: string): HttpError {
  return new HttpError(409, message, field === undefined ? {} : { field });
}
