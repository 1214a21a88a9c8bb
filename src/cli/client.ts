// The admin API as the CLI sees it: JSON requests with the bearer token, errors turned into ApiError with the
// server's message (or a clear sentence when the gateway cannot be reached).

/** An answer other than 2xx, or no answer at all (exit code 1). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status, or 0 when the gateway could not be reached. */
  readonly status: number;
  /** The request field the server named, if any. */
  readonly field: string | undefined;

  /** Builds the error from the server's message. */
  constructor(status: number, message: string, field?: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.field = field;
  }
}

/** Where and how to reach the admin API. */
export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8990`. */
  url: string;
  token: string | null;
  /** Milliseconds before a request is given up (default 30 s). */
  timeoutMs?: number;
}

/** A client for the admin API. */
export interface AdminClient {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
  /** GET of a text resource on the admin port (`/metrics`); absent on clients that only speak JSON. */
  text?(path: string): Promise<string>;
}

function errorMessage(body: unknown, status: number, statusText: string): { message: string; field?: string } {
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
    const field = 'field' in body && typeof body.field === 'string' ? body.field : undefined;
    return { message: body.error, ...(field === undefined ? {} : { field }) };
  }
  return { message: `HTTP ${status} ${statusText}` };
}

/** Creates a client; each request path is relative to the base URL (`/api/v1/users`). */
export function createAdminClient(options: ClientOptions): AdminClient {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    async text(path) {
      const headers: Record<string, string> = { Accept: 'text/plain' };
      if (options.token !== null) headers.Authorization = `Bearer ${options.token}`;
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new ApiError(0, `cannot reach the admin API at ${base}: ${why}`, undefined, { cause: err });
      }
      const text = await res.text();
      if (!res.ok) throw new ApiError(res.status, `HTTP ${res.status} ${res.statusText}`);
      return text;
    },
    async request(method, path, body) {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (options.token !== null) headers.Authorization = `Bearer ${options.token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers,
          body: body === undefined ? null : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new ApiError(0, `cannot reach the admin API at ${base}: ${why}`, undefined, { cause: err });
      }
      const text = await res.text();
      let parsed: unknown = null;
      if (text.trim() !== '') {
        try {
          parsed = JSON.parse(text) as unknown;
        } catch {
          parsed = null;
        }
      }
      if (!res.ok) {
        const { message, field } = errorMessage(parsed, res.status, res.statusText);
        throw new ApiError(res.status, message, field);
      }
      return parsed;
    },
  };
}
