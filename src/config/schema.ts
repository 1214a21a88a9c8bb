// The tables: every section smppgate reads, every key, its type, default, bounds and meaning. This is the single
// place keys are defined; the loader, the Settings type and docs/configuration.md all follow from it. To add a
// section, write one more `… as const satisfies SectionSpec` table and list it in SCHEMA.

import { cipherStringProblem, MODERN_TLS_CIPHERS } from '../smpp/tlsCiphers.js';
import { LogFormatError, parseDateFormat, parseLogFormat } from './formats.js';
import type { SectionProblem, SectionSpec, SectionValues, SettingValue } from './spec.js';

function formatProblem(parse: (format: string) => unknown): (value: string) => string | undefined {
  return (value) => {
    try {
      parse(value);
      return undefined;
    } catch (e) {
      if (e instanceof LogFormatError) return `is not a usable format: ${e.message}`;
      throw e;
    }
  };
}

const PRINTABLE = /^[\x21-\x7e]+$/;

/** The longest a timer may be: Node's setTimeout holds at most 2^31-1 ms. */
const MAX_TIMER_SECS = 2_147_483;

/** The four logging keys Jasmin has in each of its sections, with our defaults (stdout, JSON lines). */
function logKeys(what: string) {
  return {
    log_level: {
      type: 'enum',
      values: ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'OFF'],
      aliases: { WARN: 'WARNING', FATAL: 'CRITICAL', NOTSET: 'OFF' },
      default: 'INFO',
      description: `The least severe level ${what} logs; any case. WARN and FATAL are Python's other spellings; NOTSET (Jasmin's "disable logging") and OFF log nothing.`,
    },
    log_file: {
      type: 'path',
      default: null,
      logFile: true,
      description: `File ${what} appends its log lines to; its folder is created at start if it can be, and an unwritable file stops the start. Unset (or \`None\`): standard output.`,
    },
    log_format: {
      type: 'string',
      default: null,
      check: formatProblem(parseLogFormat),
      description:
        'Unset: one JSON object per line (`ts`, `level`, `pid`, `name`, `event`, then the fields). Set: a Python logging format; the attributes `%(asctime)s`, `%(levelname)s`, `%(levelno)d`, `%(process)d`, `%(name)s`, `%(message)s`, `%(created)f`, `%(msecs)d`, `%(relativeCreated)d`, `%(processName)s`, `%(thread)d` and `%(threadName)s` are supported, with widths (`%(levelname)-8s`); `%(message)s` is the event followed by its fields as `key=value`. Another attribute is a start error.',
    },
    log_date_format: {
      type: 'string',
      default: '%Y-%m-%d %H:%M:%S',
      minLength: 1,
      check: formatProblem(parseDateFormat),
      description:
        'strftime format of `%(asctime)s`, in local time: `%Y %m %d %H %M %S %y %b %B %a %A %j %z %Z %p %I %f` and the other C-locale directives (see below). Unused with JSON lines, whose `ts` is always ISO 8601 UTC.',
    },
    log_rotate: {
      type: 'ignored',
      description:
        "Jasmin's in-process rotation; accepted so a jasmin.cfg loads, with a warning, and not honoured: rotate with logrotate and signal the gateway to reopen its file (the logger's `reopen()`).",
    },
  } as const;
}

/** `[smpp-server]`: the SMPP server's listener, timers and limits (SPEC.md §1, §2). */
export const smppServerSection = {
  name: 'smpp-server',
  listener: true,
  description:
    "The SMPP v3.4 server ESMEs bind to. The first twelve keys and their defaults are Jasmin's; `billing_feature`, `dlr_expiry` and `log_privacy` are Jasmin's too; the last five are smppgate's own. Timers take seconds (decimals or an `s`/`m`/`h`/`d` suffix allowed); 0 disables a timer.",
  keys: {
    id: {
      type: 'string',
      default: 'smpps_01',
      minLength: 1,
      maxLength: 15,
      check: (v) => (PRINTABLE.test(v) ? undefined : 'must be printable ASCII without spaces'),
      description:
        'The server\'s name: the `system_id` of every bind response (SMPP 3.4 §4.1.2, 15 characters at most), the `name` of its log lines, the prefix of session ids. Quotes are optional (`id = "smpps_01"`).',
    },
    bind: {
      type: 'address',
      default: '0.0.0.0',
      description: 'Address the SMPP listener binds (`::` for all IPv6 and IPv4).',
    },
    port: { type: 'port', default: 2775, description: 'TCP port of the SMPP listener.' },
    sessionInitTimerSecs: {
      type: 'duration-seconds',
      default: 30,
      min: 0,
      max: MAX_TIMER_SECS,
      description:
        'A connection not bound within this long is closed; also how long the server waits for `unbind_resp` after its own unbind.',
    },
    enquireLinkTimerSecs: {
      type: 'duration-seconds',
      default: 30,
      min: 0,
      max: MAX_TIMER_SECS,
      description: 'While bound, after this long with no PDU either way the server sends `enquire_link`.',
    },
    inactivityTimerSecs: {
      type: 'duration-seconds',
      default: 300,
      min: 0,
      max: MAX_TIMER_SECS,
      description:
        'From connect, reset by any PDU either way; on expiry the server unbinds (if bound) and closes. Also closes connections that never bind.',
    },
    responseTimerSecs: {
      type: 'duration-seconds',
      default: 60,
      min: 0,
      max: MAX_TIMER_SECS,
      description:
        'How long each request the server sends (`deliver_sm`, `data_sm`, `enquire_link`) waits for its response; a miss fails that request, which is retried later.',
    },
    pduReadTimerSecs: {
      type: 'duration-seconds',
      default: 30,
      min: 0,
      max: MAX_TIMER_SECS,
      description:
        "A partial PDU that gets no more bytes for this long is answered `generic_nack` `ESME_RINVCMDLEN` and the connection closed. (Jasmin's default is 10; SPEC.md sets 30.)",
    },
    ...logKeys('the SMPP server'),
    log_privacy: {
      type: 'bool',
      default: false,
      description:
        'true: message content (`short_message`, `message_payload`, `content`, `text` fields) is masked in log lines, only its length shown.',
    },
    billing_feature: {
      type: 'bool',
      default: true,
      description:
        "false: messages submitted over SMPP are neither checked against nor charged to users' `balance` and `sms_count` quotas (Jasmin's switch).",
    },
    dlr_expiry: {
      type: 'duration-seconds',
      default: 86400,
      min: 1,
      max: 31_536_000,
      description:
        "How long a sent message's receipt mapping is kept, and how long a receipt or MO waits in the store for a receiver bind (SPEC.md §5).",
    },
    max_connections: {
      type: 'int',
      default: 10_000,
      min: 1,
      max: 1_000_000,
      description: 'Connections open at once, TCP and TLS together; beyond it a new connection is closed at once.',
    },
    max_command_length: {
      type: 'int',
      default: 65_536,
      min: 1024,
      max: 16_777_216,
      unit: 'octets',
      description:
        'Largest `command_length` accepted; a longer PDU is answered `generic_nack` `ESME_RINVCMDLEN` and the connection closed before its body is buffered. The minimum, 1024, still fits every SMPP 3.4 PDU without `message_payload`; a full 64 KiB `message_payload` needs about 65,800.',
    },
    window_size: {
      type: 'int',
      default: 100,
      min: 1,
      max: 10_000,
      description:
        'Requests the server may have outstanding per session (`deliver_sm`, `data_sm`, `enquire_link`): its outbound window. More wait for a free slot.',
    },
    max_inbound_in_flight: {
      type: 'int',
      default: 100,
      min: 1,
      max: 10_000,
      description:
        'Requests from one ESME processed at once; at this many the server stops reading that connection until one is answered (back-pressure; nothing is dropped).',
    },
    bind_fail_delay_ms: {
      type: 'int',
      default: 1000,
      min: 0,
      max: 60_000,
      unit: 'ms',
      description:
        'Slow-down of repeated failed binds, counted per peer address and per system_id: the second failure in a row (from one address, or for one system_id, whichever count is higher) is answered after this long, each further one after twice the previous delay (capped at 8 s). Every refused bind counts (unknown user, wrong password, disabled, not authorised, address not allowed, max_bindings reached); a successful bind is never delayed and clears its address and system_id. 0: no slow-down.',
    },
  },
} as const satisfies SectionSpec;

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3', 'TLSv1.1', 'TLSv1'] as const;

function tlsChecks(v: Readonly<Record<string, SettingValue>>): SectionProblem[] {
  const problems: SectionProblem[] = [];
  if (v.cert !== null && v.key === null) {
    problems.push({
      key: 'key',
      detail: 'is required when cert is set (the PEM private key of the certificate)',
      severity: 'error',
    });
  }
  if (v.cert === null && v.key !== null) {
    problems.push({ key: 'key', detail: 'is ignored: without cert there is no TLS listener', severity: 'warning' });
  }
  if (v.min_version === 'TLSv1' || v.min_version === 'TLSv1.1') {
    problems.push({
      key: 'min_version',
      detail: `${v.min_version} is obsolete (RFC 8996); allow it only for ESMEs that cannot do TLSv1.2`,
      severity: 'warning',
    });
  }
  return problems;
}

/** `[smpp-server-tls]`: SMPP over TLS, a second listener with the same sessions as the plain one. */
export const smppServerTlsSection = {
  name: 'smpp-server-tls',
  description:
    'SMPP over TLS: a second listener serving the same sessions as `[smpp-server]` (whose timers and limits apply). There is a TLS listener only when `cert` is set.',
  listener: (v) => v.cert !== null,
  check: tlsChecks,
  keys: {
    bind: { type: 'address', default: '0.0.0.0', description: 'Address the TLS listener binds.' },
    port: {
      type: 'port',
      default: 3550,
      description: 'TCP port of the TLS listener (3550 is the conventional SMPP/TLS port).',
    },
    cert: {
      type: 'path',
      default: null,
      readable: true,
      description:
        'PEM certificate file (the chain may follow it in the same file). Unset: no TLS listener. An unreadable or invalid file stops the start, naming this key.',
    },
    key: {
      type: 'path',
      default: null,
      readable: true,
      description:
        'PEM private key of `cert`. Required with `cert`; an unreadable file or a key that does not match the certificate stops the start.',
    },
    min_version: {
      type: 'enum',
      values: TLS_VERSIONS,
      default: 'TLSv1.2',
      description: 'Oldest TLS version accepted. TLSv1 and TLSv1.1 are accepted with a warning, for old ESMEs only.',
    },
    ciphers: {
      type: 'string',
      default: MODERN_TLS_CIPHERS,
      minLength: 1,
      check: cipherStringProblem,
      description:
        'Cipher suites the TLS listener offers, as an OpenSSL cipher string; the server picks in this order. The default: on TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), no CBC; on TLS 1.3 the three suites Node enables. TLS 1.3 uses the `TLS_…` names in the string (the three Node enables when it names none); a string of `TLS_…` names only turns TLS 1.2 off. A string OpenSSL refuses stops the start, naming this key.',
    },
  },
} as const satisfies SectionSpec;

function checkRedisUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL (redis://host:port or rediss://host:port for TLS)';
  }
  return url.protocol === 'redis:' || url.protocol === 'rediss:' ? undefined : 'must start with redis:// or rediss://';
}

/** `[store]`: where accounts, routes, messages and receipts live. */
export const storeSection = {
  name: 'store',
  description:
    'Where accounts, routes, queues, messages and receipts are kept: an embedded SQLite file (the default, no other server needed) or Redis (several gateway nodes sharing one store, SPEC.md §7).',
  keys: {
    backend: { type: 'enum', values: ['sqlite', 'redis'], default: 'sqlite', description: '`sqlite` or `redis`.' },
    path: {
      type: 'path',
      default: './data',
      description: 'SQLite: the data folder (created at start), relative to the working directory unless absolute.',
    },
    url: {
      type: 'string',
      default: 'redis://127.0.0.1:6379',
      check: checkRedisUrl,
      description: 'Redis: the server, as `redis://[user:password@]host:port[/db]` (`rediss://` for TLS).',
    },
    key_prefix: {
      type: 'string',
      default: 'smppgate:',
      maxLength: 64,
      check: (v) => (/\s/.test(v) ? 'must not contain spaces' : undefined),
      description: 'Redis: prefix of every key, so several gateways (or other programs) can share one Redis.',
    },
    connector_lease: {
      type: 'duration-seconds',
      default: 15,
      min: 1,
      max: 3600,
      description:
        'Redis (several nodes): each connector runs on the one node holding its lease, renewed every third of this; when that node dies, another takes the connector over after at most this long.',
    },
    claim_timeout: {
      type: 'duration-seconds',
      default: 120,
      min: 1,
      max: 86_400,
      description:
        "Redis (several nodes): how long a message part handed to a connector may stay unanswered before another node takes it back (its node is taken for dead). Keep it longer than the connectors' response timeout. Such a part may reach the SMSC twice (at-least-once), never zero times.",
    },
    synchronous: {
      type: 'enum',
      values: ['full', 'normal'],
      default: 'full',
      description:
        'SQLite: `full` (the default): a message acknowledged to an ESME survives a power loss. `normal`: it survives a process crash but not a power loss, for more speed on slow disks.',
    },
    commit_window_ms: {
      type: 'int',
      default: 0,
      min: 0,
      max: 50,
      unit: 'ms',
      description:
        'SQLite: how long the first write of a group commit waits for others to join it. 0: until the end of the current event-loop tick (the writes of one tick always share one commit).',
    },
    max_size: {
      type: 'int',
      default: null,
      min: 1_048_576,
      unit: 'bytes',
      description:
        'SQLite: the largest the database may grow. Once half of it is in use new submits get ESME_RMSGQFUL; the other half is kept for moving the messages already accepted (their sent state, receipts and history), so they still drain. Unset: no limit but the disk.',
    },
    history_retention: {
      type: 'duration-seconds',
      default: 604_800,
      min: 3600,
      max: 31_536_000,
      description:
        "How long each message's history (acceptance, routing, upstream ids, receipts, delivery attempts) is kept for lookups; older entries are pruned in the background. Default 7 days.",
    },
  },
} as const satisfies SectionSpec;

/** `[gateway]`: what the MT pipeline does whichever API a message came in by. */
export const gatewaySection = {
  name: 'gateway',
  description: "smppgate's own section for the MT pipeline, whichever API (SMPP or HTTP) a message comes in by.",
  keys: {
    message_id_format: {
      type: 'enum',
      values: ['uuid', 'short'],
      default: 'uuid',
      description:
        "`uuid`: a 36-character time-ordered UUID (version 7), which keeps the store's index compact. `short`: 13 characters (node id, base36 milliseconds, a counter), for ESMEs that cannot keep longer ids (SMPP 3.4 allows 64); unique across nodes and restarts as long as each node has its own `node_id`.",
    },
    node_id: {
      type: 'string',
      default: '0',
      maxLength: 2,
      check: (v) => (/^[0-9a-z]{1,2}$/.test(v) ? undefined : 'must be 1–2 characters of [0-9a-z]'),
      description:
        "This node's id in short message_ids: 1–2 base36 characters, different on every gateway node sharing a store.",
    },
    max_validity_secs: {
      type: 'duration-seconds',
      default: 172800,
      min: 60,
      max: 31536000,
      description:
        'Longest a message may wait for delivery, from its schedule (or acceptance); also the validity of a message that sets none. A longer validity_period asked by an ESME is cut to this.',
    },
  },
} as const satisfies SectionSpec;

/** `[admin]`: the admin REST API, metrics and dashboard. */
export const adminSection = {
  name: 'admin',
  description:
    'The admin API (users, groups, connectors, routes, stats), `/metrics` and the dashboard, on their own port. Every request needs `Authorization: Bearer <token>`. The `smppgate` admin sub-commands talk to it.',
  listener: true,
  keys: {
    bind: {
      type: 'address',
      default: '127.0.0.1',
      description: 'Address the admin listener binds: loopback by default, so only this machine reaches it.',
    },
    port: {
      type: 'port',
      default: 8990,
      description:
        "TCP port of the admin listener. 8990 is clear of 2775, 3550 and 1401 but is Jasmin's jCli port: next to a Jasmin on one host, change it (as 2775 and 1401).",
    },
    token: {
      type: 'string',
      default: null,
      minLength: 16,
      check: (v) => (PRINTABLE.test(v) ? undefined : 'must be printable ASCII without spaces'),
      description:
        'The bearer token, at least 16 characters. Unset (or empty): a random token is generated at each start and printed once on standard output, so set one for anything but a trial. Read at start only: SIGHUP does not re-read it; change it and restart.',
    },
    token_fail_delay_ms: {
      type: 'int',
      default: 1000,
      min: 0,
      max: 60_000,
      unit: 'ms',
      description:
        'Slow-down of wrong admin tokens, per peer address, on the admin API, `/metrics` and the dashboard login alike: the second wrong token in a row from one address is answered after this long, each further one after twice the previous delay (capped at 8 s); forgotten after 10 minutes without one, 10,000 addresses remembered at most. The right token is never delayed; a request with no bearer token does not count. 0: no slow-down.',
    },
  },
} as const satisfies SectionSpec;

/** `[http-api]`: the Jasmin-compatible HTTP API (`/send`, `/balance`, `/rate`, `/ping`). */
export const httpApiSection = {
  name: 'http-api',
  description:
    "The Jasmin-compatible HTTP API (`/send`, `/balance`, `/rate`, `/ping`), Jasmin's section name and keys. With no `log_*` keys here the HTTP API logs like the rest of the gateway.",
  listener: true,
  keys: {
    bind: { type: 'address', default: '0.0.0.0', description: 'Address the HTTP API binds.' },
    port: { type: 'port', default: 1401, description: 'TCP port of the HTTP API.' },
    long_content_max_parts: {
      type: 'int',
      default: 5,
      min: 1,
      max: 255,
      description:
        "`/send` refuses content that needs more parts than this (Jasmin's default 5: 5 × 153 GSM characters). 255 is the most a concatenated message can have.",
    },
    long_content_split: {
      type: 'enum',
      values: ['udh', 'sar'],
      default: 'udh',
      description:
        'How `/send` marks the parts of a long message: a User Data Header in the text (`udh`) or the SAR TLVs (`sar`, SMPP 3.4 §5.3.2.22–24).',
    },
    access_log: {
      type: 'path',
      default: null,
      logFile: true,
      description: "File that gets one line per HTTP request (Jasmin's access log). Unset: no access log.",
    },
    ...logKeys('the HTTP API'),
  },
} as const satisfies SectionSpec;

/** Every section smppgate reads, by its property name in Settings. */
export const SCHEMA = {
  smppServer: smppServerSection,
  smppServerTls: smppServerTlsSection,
  store: storeSection,
  gateway: gatewaySection,
  admin: adminSection,
  httpApi: httpApiSection,
} as const satisfies Readonly<Record<string, SectionSpec>>;

/** The table of tables. */
export type Schema = typeof SCHEMA;

/** The loaded configuration: one readonly object per section, with the keys' names as written in the file. */
export type Settings = { readonly [S in keyof Schema]: SectionValues<Schema[S]> };

/** `[smpp-server]` values. */
export type SmppServerSettings = Settings['smppServer'];
/** `[smpp-server-tls]` values. */
export type SmppServerTlsSettings = Settings['smppServerTls'];
/** `[store]` values. */
export type StoreSettings = Settings['store'];
/** `[admin]` values. */
export type AdminSettings = Settings['admin'];
/** `[http-api]` values. */
export type HttpApiSettings = Settings['httpApi'];
/** A log level name as `log_level` holds it. */
export type LogLevelSetting = SmppServerSettings['log_level'];

/** Jasmin's sections smppgate knows of and does not read: each draws one warning instead of "unknown section". */
export const JASMIN_SECTIONS: ReadonlySet<string> = new Set([
  'amqp-broker',
  'client-management',
  'deliversm-thrower',
  'dlr',
  'dlr-thrower',
  'dlrlookupd',
  'interceptor',
  'interceptor-client',
  'jcli',
  'redis-client',
  'rest-api',
  'router',
  'service-smppclient',
  'sm-listener',
  'smpp-server-pb',
  'smpp-server-pb-client',
  'smpp-server-pdu-logging',
]);
