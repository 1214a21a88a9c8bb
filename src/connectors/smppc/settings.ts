// Settings of an upstream SMPP client connector (`type: smppc`), read from its connector record and checked once,
// with an error naming the bad key. Every key, its default and its meaning: docs/connectors.md.

import { CommandStatus, type CommandStatusName, statusName } from '../../smpp/codec/index.js';
import type { BindType } from '../../smpp/session/index.js';
import { cipherStringProblem } from '../../smpp/tlsCiphers.js';

/** How one retryable submit_sm_resp status is retried: how many more sends, and after how long. */
export interface RetryRule {
  /** Sends after the first one (Jasmin's `count`). */
  count: number;
  /** Wait before the message may be sent again, seconds (Jasmin's `delay`). */
  delaySecs: number;
}

/** How receipts write the ids submit_sm_resp gave (the receipt engine reads these three keys too). */
export type DlrMsgidBase = 'same' | 'dec_to_hex' | 'hex_to_dec';

/** The checked settings of an smppc connector. */
export interface SmppcSettings {
  host: string;
  port: number;
  tls: boolean;
  /** PEM of the CA to trust for TLS (null: the system's). */
  tls_ca: string | null;
  /** Accept any certificate (self-signed test SMSCs only). */
  tls_insecure: boolean;
  /** OpenSSL cipher string offered to the SMSC; null: Node's default list (an SMSC may be old). */
  tls_ciphers: string | null;
  system_id: string;
  password: string;
  system_type: string;
  bind: BindType;
  bind_count: number;
  address_range: string;
  /** Forced on every submit_sm when set; null keeps the message's own value. */
  source_addr_ton: number | null;
  source_addr_npi: number | null;
  dest_addr_ton: number | null;
  dest_addr_npi: number | null;
  /** submit_sm outstanding per bind. */
  window: number;
  /** Messages per second over all binds; null: unlimited. */
  throughput: number | null;
  response_timeout_secs: number;
  enquire_link_secs: number;
  reconnect_delay_secs: number;
  reconnect_max_delay_secs: number;
  /** Retryable statuses and their rules, by command_status code. */
  submit_retry_statuses: ReadonlyMap<number, RetryRule>;
  submit_retry_delay_secs: number;
  submit_max_retries: number;
  /** Held messages accepted longer ago than this expire at their next claim; null: only their validity counts. */
  max_age_secs: number | null;
  dlr_msgid_base: DlrMsgidBase;
  dlr_msgid_strip_zeros: boolean;
  dlr_msgid_ignore_case: boolean;
  /** What data_coding 0 means at this SMSC: 0 (GSM 03.38) or 3 (Latin-1); used when a message must be split. */
  default_data_coding: number;
  /** false: messages carried in message_payload are sent as concatenated short messages (UDH) instead. */
  supports_message_payload: boolean;
  /** How often an empty queue is looked at again, ms (notify() wakes it sooner). */
  poll_ms: number;
}

/** Jasmin's `submit_error_retrial` default ([sm-listener] in jasmin.cfg): status → count and delay. */
export const JASMIN_SUBMIT_RETRIAL: Readonly<Partial<Record<CommandStatusName, RetryRule>>> = {
  ESME_RSYSERR: { count: 2, delaySecs: 30 },
  ESME_RTHROTTLED: { count: 20, delaySecs: 30 },
  ESME_RMSGQFUL: { count: 2, delaySecs: 180 },
  ESME_RINVSCHED: { count: 2, delaySecs: 300 },
};

/** Defaults of every key but `host`, `port` and `system_id`, which have none. */
export const SMPPC_DEFAULTS: Readonly<Omit<SmppcSettings, 'host' | 'port' | 'system_id'>> = {
  tls: false,
  tls_ca: null,
  tls_insecure: false,
  tls_ciphers: null,
  password: '',
  system_type: '',
  bind: 'transceiver',
  bind_count: 1,
  address_range: '',
  source_addr_ton: null,
  source_addr_npi: null,
  dest_addr_ton: null,
  dest_addr_npi: null,
  window: 10,
  throughput: null,
  response_timeout_secs: 30,
  enquire_link_secs: 30,
  reconnect_delay_secs: 1,
  reconnect_max_delay_secs: 60,
  submit_retry_statuses: new Map(
    Object.entries(JASMIN_SUBMIT_RETRIAL).map(([name, rule]) => [CommandStatus[name as CommandStatusName], rule]),
  ),
  submit_retry_delay_secs: 30,
  submit_max_retries: 2,
  max_age_secs: null,
  dlr_msgid_base: 'same',
  dlr_msgid_strip_zeros: false,
  dlr_msgid_ignore_case: false,
  default_data_coding: 0,
  supports_message_payload: true,
  poll_ms: 200,
};

/** A bad smppc setting, naming its key. */
export class SmppcSettingsError extends Error {
  override readonly name = 'SmppcSettingsError';
  /** The key at fault. */
  readonly key: string;

  constructor(key: string, message: string) {
    super(`smppc connector setting ${key}: ${message}`);
    this.key = key;
  }
}

const KNOWN_KEYS: ReadonlySet<string> = new Set(['host', 'port', 'system_id', ...Object.keys(SMPPC_DEFAULTS)]);

type Raw = Readonly<Record<string, unknown>>;

function given(raw: Raw, key: string): boolean {
  return raw[key] !== undefined && raw[key] !== null;
}

function num(raw: Raw, key: string, opts: { min: number; max?: number; integer?: boolean }): number | undefined {
  if (!given(raw, key)) return undefined;
  const v = raw[key];
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n < opts.min ||
    n > max ||
    (opts.integer && !Number.isInteger(n))
  ) {
    const what = opts.integer ? 'an integer' : 'a number';
    throw new SmppcSettingsError(key, `must be ${what} in ${opts.min}…${max} (got ${JSON.stringify(v)})`);
  }
  return n;
}

function bool(raw: Raw, key: string): boolean | undefined {
  if (!given(raw, key)) return undefined;
  const v = raw[key];
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'yes' || v === '1' || v === 1) return true;
  if (v === 'false' || v === 'no' || v === '0' || v === 0) return false;
  throw new SmppcSettingsError(key, `must be true or false (got ${JSON.stringify(v)})`);
}

/** A C-octet string of at most `max - 1` characters (SMPP 3.4 §4.1.1 sizes include the NUL). */
function str(raw: Raw, key: string, max: number): string | undefined {
  if (!given(raw, key)) return undefined;
  const v = raw[key];
  if (typeof v !== 'string') throw new SmppcSettingsError(key, 'must be a string');
  if (Buffer.byteLength(v, 'latin1') > max - 1) throw new SmppcSettingsError(key, `longer than ${max - 1} characters`);
  return v;
}

/** A status given by name (`ESME_RTHROTTLED`) or number (88, "0x58"). */
function statusCode(v: unknown, key: string): number {
  if (typeof v === 'string' && v in CommandStatus) return CommandStatus[v as CommandStatusName];
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 0xffffffff) return n;
  throw new SmppcSettingsError(key, `${JSON.stringify(v)} is not an SMPP command_status name or number`);
}

/**
 * submit_retry_statuses: a list of statuses (each retried submit_max_retries times after submit_retry_delay_secs),
 * or Jasmin's table `{ "ESME_RTHROTTLED": { "count": 20, "delay": 30 }, … }`, or a comma-separated list of names.
 */
function retryStatuses(raw: Raw, maxRetries: number, delaySecs: number): Map<number, RetryRule> | undefined {
  const key = 'submit_retry_statuses';
  if (!given(raw, key)) return undefined;
  let v = raw[key];
  if (typeof v === 'string') v = v.trim() === '' ? [] : v.split(',').map((s) => s.trim());
  const out = new Map<number, RetryRule>();
  if (Array.isArray(v)) {
    for (const s of v) out.set(statusCode(s, key), { count: maxRetries, delaySecs });
    return out;
  }
  if (typeof v !== 'object' || v === null) throw new SmppcSettingsError(key, 'must be a list of statuses or a table');
  for (const [name, rule] of Object.entries(v)) {
    const code = statusCode(name, key);
    if (typeof rule !== 'object' || rule === null) {
      throw new SmppcSettingsError(key, `${name} must be { "count": n, "delay": seconds }`);
    }
    const r = rule as Raw;
    const count = num(r, 'count', { min: 0, max: 1000, integer: true }) ?? maxRetries;
    const delay = num(r, 'delay', { min: 0, max: 86_400 }) ?? delaySecs;
    out.set(code, { count, delaySecs: delay });
  }
  return out;
}

function tonNpi(raw: Raw, key: string): number | null | undefined {
  return num(raw, key, { min: 0, max: 255, integer: true });
}

/** Reads and checks an smppc connector's settings; SmppcSettingsError names the first bad key. */
export function parseSmppcSettings(raw: Raw): SmppcSettings {
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) throw new SmppcSettingsError(key, 'unknown key');
  }
  const d = SMPPC_DEFAULTS;
  const host = str(raw, 'host', 256);
  if (host === undefined || host === '') throw new SmppcSettingsError('host', 'is required');
  const port = num(raw, 'port', { min: 1, max: 65_535, integer: true });
  if (port === undefined) throw new SmppcSettingsError('port', 'is required');
  // SMPP 3.4 §4.1.1: system_id 16, password 9, system_type 13, address_range 41 octets with the NUL.
  const systemId = str(raw, 'system_id', 16);
  if (systemId === undefined || systemId === '') throw new SmppcSettingsError('system_id', 'is required');
  const bind = raw.bind ?? d.bind;
  if (bind !== 'transmitter' && bind !== 'receiver' && bind !== 'transceiver') {
    throw new SmppcSettingsError('bind', `must be transmitter, receiver or transceiver (got ${JSON.stringify(bind)})`);
  }
  const base = raw.dlr_msgid_base ?? d.dlr_msgid_base;
  const dlrBase: DlrMsgidBase | undefined =
    base === 'same' || base === 0 || base === '0'
      ? 'same'
      : base === 'dec_to_hex' || base === 1 || base === '1'
        ? 'dec_to_hex'
        : base === 'hex_to_dec' || base === 2 || base === '2'
          ? 'hex_to_dec'
          : undefined;
  if (dlrBase === undefined) {
    throw new SmppcSettingsError(
      'dlr_msgid_base',
      `must be same, dec_to_hex or hex_to_dec (got ${JSON.stringify(base)})`,
    );
  }
  const defaultCoding = num(raw, 'default_data_coding', { min: 0, max: 255, integer: true }) ?? d.default_data_coding;
  if (defaultCoding !== 0 && defaultCoding !== 3) {
    throw new SmppcSettingsError('default_data_coding', 'must be 0 (GSM 03.38) or 3 (Latin-1)');
  }
  const maxRetries = num(raw, 'submit_max_retries', { min: 0, max: 1000, integer: true }) ?? d.submit_max_retries;
  const retryDelay = num(raw, 'submit_retry_delay_secs', { min: 0, max: 86_400 }) ?? d.submit_retry_delay_secs;
  const reconnect = num(raw, 'reconnect_delay_secs', { min: 0.01, max: 3600 }) ?? d.reconnect_delay_secs;
  const reconnectMax = num(raw, 'reconnect_max_delay_secs', { min: 0.01, max: 86_400 }) ?? d.reconnect_max_delay_secs;
  if (reconnectMax < reconnect) {
    throw new SmppcSettingsError('reconnect_max_delay_secs', `must be at least reconnect_delay_secs (${reconnect})`);
  }
  const tlsCa = given(raw, 'tls_ca') ? raw.tls_ca : null;
  if (tlsCa !== null && typeof tlsCa !== 'string') throw new SmppcSettingsError('tls_ca', 'must be a PEM string');
  const tlsCiphers = given(raw, 'tls_ciphers') ? raw.tls_ciphers : null;
  if (tlsCiphers !== null) {
    if (typeof tlsCiphers !== 'string' || tlsCiphers === '') {
      throw new SmppcSettingsError('tls_ciphers', 'must be a non-empty OpenSSL cipher string');
    }
    const problem = cipherStringProblem(tlsCiphers);
    if (problem !== undefined) throw new SmppcSettingsError('tls_ciphers', problem);
  }
  const throughput = given(raw, 'throughput') ? num(raw, 'throughput', { min: 0, max: 1_000_000 }) : null;
  const maxAge = given(raw, 'max_age_secs') ? num(raw, 'max_age_secs', { min: 1, max: 100 * 86_400 }) : null;
  return {
    host,
    port,
    tls: bool(raw, 'tls') ?? d.tls,
    tls_ca: tlsCa,
    tls_insecure: bool(raw, 'tls_insecure') ?? d.tls_insecure,
    tls_ciphers: tlsCiphers,
    system_id: systemId,
    password: str(raw, 'password', 9) ?? d.password,
    system_type: str(raw, 'system_type', 13) ?? d.system_type,
    bind,
    bind_count: num(raw, 'bind_count', { min: 1, max: 64, integer: true }) ?? d.bind_count,
    address_range: str(raw, 'address_range', 41) ?? d.address_range,
    source_addr_ton: tonNpi(raw, 'source_addr_ton') ?? d.source_addr_ton,
    source_addr_npi: tonNpi(raw, 'source_addr_npi') ?? d.source_addr_npi,
    dest_addr_ton: tonNpi(raw, 'dest_addr_ton') ?? d.dest_addr_ton,
    dest_addr_npi: tonNpi(raw, 'dest_addr_npi') ?? d.dest_addr_npi,
    window: num(raw, 'window', { min: 1, max: 10_000, integer: true }) ?? d.window,
    // 0 is Jasmin's "no limit", as null.
    throughput: throughput === 0 || throughput === undefined ? null : throughput,
    response_timeout_secs: num(raw, 'response_timeout_secs', { min: 0.01, max: 3600 }) ?? d.response_timeout_secs,
    enquire_link_secs: num(raw, 'enquire_link_secs', { min: 0, max: 3600 }) ?? d.enquire_link_secs,
    reconnect_delay_secs: reconnect,
    reconnect_max_delay_secs: reconnectMax,
    submit_retry_statuses: retryStatuses(raw, maxRetries, retryDelay) ?? d.submit_retry_statuses,
    submit_retry_delay_secs: retryDelay,
    submit_max_retries: maxRetries,
    max_age_secs: maxAge ?? null,
    dlr_msgid_base: dlrBase,
    dlr_msgid_strip_zeros: bool(raw, 'dlr_msgid_strip_zeros') ?? d.dlr_msgid_strip_zeros,
    dlr_msgid_ignore_case: bool(raw, 'dlr_msgid_ignore_case') ?? d.dlr_msgid_ignore_case,
    default_data_coding: defaultCoding,
    supports_message_payload: bool(raw, 'supports_message_payload') ?? d.supports_message_payload,
    poll_ms: num(raw, 'poll_ms', { min: 1, max: 60_000, integer: true }) ?? d.poll_ms,
  };
}

/** The retry rules as Jasmin writes them (`{ "ESME_RTHROTTLED": { count, delay } }`), for docs and the admin API. */
export function describeRetryStatuses(
  rules: ReadonlyMap<number, RetryRule>,
): Record<string, { count: number; delay: number }> {
  const out: Record<string, { count: number; delay: number }> = {};
  for (const [code, rule] of rules) out[statusName(code)] = { count: rule.count, delay: rule.delaySecs };
  return out;
}
