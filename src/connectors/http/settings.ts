// Settings of an HTTP MO connector (`type: http`), as its connector record keeps them; docs/mo.md lists them.

/** An HTTP MO connector's settings (the record's `settings`, checked, defaults applied). */
export interface HttpConnectorSettings {
  /** The receiving application's URL (http or https). Required. */
  url: string;
  /** GET (fields in the query string) or POST (form body). */
  method: 'GET' | 'POST';
  /** Longest wait for the application's answer, seconds. */
  timeout_secs: number;
  /** An MO not accepted this long after it arrived is given up (error log line with its id), seconds. */
  max_age_secs: number;
  /** First retry delay after a failed call, doubled per attempt, seconds. */
  retry_delay_secs: number;
  /** Longest retry delay, seconds. */
  max_retry_delay_secs: number;
  /** Calls in flight at once (1: strictly one after the other, in order). */
  concurrency: number;
  /** When set, a 2xx answer counts only with this body (Jasmin's `ACK/Jasmin`); null: any 2xx. */
  ack_body: string | null;
  /** How long the parts of a long MO are waited for before what arrived is posted, seconds. */
  reassembly_timeout_secs: number;
}

/** Defaults of everything but `url`. */
export const HTTP_CONNECTOR_DEFAULTS: Readonly<Omit<HttpConnectorSettings, 'url'>> = {
  method: 'POST',
  timeout_secs: 30,
  max_age_secs: 86_400,
  retry_delay_secs: 10,
  max_retry_delay_secs: 600,
  concurrency: 1,
  ack_body: null,
  reassembly_timeout_secs: 300,
};

/** A bad HTTP connector setting, naming its key. */
export class HttpConnectorSettingsError extends Error {
  override readonly name = 'HttpConnectorSettingsError';
  /** The key at fault. */
  readonly key: string;

  /** Names the key and the problem. */
  constructor(key: string, message: string) {
    super(`http connector setting ${key}: ${message}`);
    this.key = key;
  }
}

const SECONDS_KEYS = [
  'timeout_secs',
  'max_age_secs',
  'retry_delay_secs',
  'max_retry_delay_secs',
  'reassembly_timeout_secs',
] as const;

const KNOWN = new Set<string>(['url', 'method', 'concurrency', 'ack_body', ...SECONDS_KEYS]);

function numberOf(key: string, v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new HttpConnectorSettingsError(key, `must be a number (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** Reads and checks an HTTP connector's settings; HttpConnectorSettingsError names the first bad or unknown key. */
export function parseHttpConnectorSettings(raw: Readonly<Record<string, unknown>>): HttpConnectorSettings {
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new HttpConnectorSettingsError(key, 'unknown key');
  }
  if (typeof raw.url !== 'string' || raw.url.trim() === '') {
    throw new HttpConnectorSettingsError('url', 'is required: the receiving application, http(s)://…');
  }
  let url: URL;
  try {
    url = new URL(raw.url.trim());
  } catch {
    throw new HttpConnectorSettingsError('url', `not a URL: ${JSON.stringify(raw.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpConnectorSettingsError('url', `must be http or https (got ${url.protocol})`);
  }
  const out: HttpConnectorSettings = { ...HTTP_CONNECTOR_DEFAULTS, url: raw.url.trim() };
  if (raw.method !== undefined && raw.method !== null) {
    const m = typeof raw.method === 'string' ? raw.method.toUpperCase() : raw.method;
    if (m !== 'GET' && m !== 'POST') throw new HttpConnectorSettingsError('method', 'must be GET or POST');
    out.method = m;
  }
  for (const key of SECONDS_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    const n = numberOf(key, v);
    if (!(n > 0)) throw new HttpConnectorSettingsError(key, `must be more than 0 seconds (got ${n})`);
    out[key] = n;
  }
  if (out.max_retry_delay_secs < out.retry_delay_secs) {
    throw new HttpConnectorSettingsError('max_retry_delay_secs', 'must not be less than retry_delay_secs');
  }
  if (raw.concurrency !== undefined && raw.concurrency !== null) {
    const n = numberOf('concurrency', raw.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new HttpConnectorSettingsError('concurrency', 'must be an integer from 1 to 1000');
    }
    out.concurrency = n;
  }
  if (raw.ack_body !== undefined && raw.ack_body !== null) {
    if (typeof raw.ack_body !== 'string' || raw.ack_body.trim() === '') {
      throw new HttpConnectorSettingsError('ack_body', 'must be a non-empty string, e.g. ACK/Jasmin');
    }
    out.ack_body = raw.ack_body.trim();
  }
  return out;
}
