// `[http-api] access_log`: one structured line per HTTP API request (Jasmin keeps an access log for its HTTP API).

import { createLogger, type Logger } from '../../log/index.js';

/** A logger appending one JSON line per request to `path`; null when `access_log` is unset. Close it at shutdown. */
export function openAccessLog(path: string | null, name = 'http-api'): Logger | null {
  if (path === null || path === '') return null;
  return createLogger({ name, file: path, level: 'INFO' });
}
