// The plain data of smppgate: what the store keeps and every layer above reads.
// Shapes and names follow Jasmin's (SPEC.md §3, §6) so that a Jasmin operator recognises them in the admin API.
// `null` always means "unlimited" / "any" / "not set".

/** A group of users (Jasmin's `gid`). A disabled group makes all its users fail to bind. */
export interface Group {
  gid: string;
  enabled: boolean;
}

/** The `smpps` credential: may the user bind to the SMPP server, from where, how many times. */
export interface SmppsCredential {
  authorizations: {
    /** May bind at all. */
    bind: boolean;
    /** Comma-separated IPv4/IPv6 addresses and CIDRs the user may bind from; null = any. */
    ip: string | null;
  };
  quotas: {
    /** Bindings of all types at once; null = unlimited. */
    max_bindings: number | null;
  };
}

/** What a user may do when sending MT (Jasmin's `mt_messaging_cred` authorizations). */
export interface MtAuthorizations {
  smpps_send: boolean;
  http_send: boolean;
  http_balance: boolean;
  http_rate: boolean;
  http_bulk: boolean;
  /** May ask for delivery receipts (registered_delivery / dlr-level). */
  dlr_level: boolean;
  /** May set a source address. */
  src_addr: boolean;
  priority: boolean;
  validity_period: boolean;
  schedule_delivery_time: boolean;
  hex_content: boolean;
  long_content: boolean;
}

/** Regular expressions a field must match (Jasmin's value filters); null = anything. */
export interface MtValueFilters {
  dst_addr: string | null;
  src_addr: string | null;
  priority: string | null;
  content: string | null;
  validity_period: string | null;
}

/** Quotas of the `mt_messaging` credential. Amounts are decimals; null = unlimited. */
export interface MtQuotas {
  balance: number | null;
  /** Share of the route rate (0–100) charged at acceptance; the rest when the upstream accepts. null = 100. */
  early_percent: number | null;
  sms_count: number | null;
  /** Messages per second over all SMPP binds of the user. */
  smpps_throughput: number | null;
  http_throughput: number | null;
}

/** The `mt_messaging` credential. */
export interface MtMessagingCredential {
  authorizations: MtAuthorizations;
  value_filters: MtValueFilters;
  defaults: { src_addr: string | null };
  quotas: MtQuotas;
}

/** A user as the admin API shows it (no password). */
export interface User {
  uid: string;
  gid: string;
  /** The SMPP system_id and HTTP API username. */
  username: string;
  enabled: boolean;
  smpps_cred: SmppsCredential;
  mt_messaging_cred: MtMessagingCredential;
}

/** A user as the store keeps it: with the password hash (`scrypt$N$r$p$salt$hash`, base64 parts). */
export interface UserRecord extends User {
  password_hash: string;
}

/** The credential defaults of a new user, as Jasmin has them (only http_bulk is off). */
export function defaultMtMessagingCredential(): MtMessagingCredential {
  return {
    authorizations: {
      smpps_send: true,
      http_send: true,
      http_balance: true,
      http_rate: true,
      http_bulk: false,
      dlr_level: true,
      src_addr: true,
      priority: true,
      validity_period: true,
      schedule_delivery_time: true,
      hex_content: true,
      long_content: true,
    },
    value_filters: { dst_addr: null, src_addr: null, priority: null, content: null, validity_period: null },
    defaults: { src_addr: null },
    quotas: { balance: null, early_percent: null, sms_count: null, smpps_throughput: null, http_throughput: null },
  };
}

/** The smpps credential defaults of a new user: may bind from anywhere, unlimited bindings. */
export function defaultSmppsCredential(): SmppsCredential {
  return { authorizations: { bind: true, ip: null }, quotas: { max_bindings: null } };
}

// ---------------------------------------------------------------------------------------------------------------
// Connectors

/** Kinds of connector: an upstream SMPP client, an HTTP endpoint for MO, the built-in simulator. */
export type ConnectorType = 'smppc' | 'http' | 'sim';

/** A connector's durable record. `settings` is the type's own plain settings object (see connectors/). */
export interface ConnectorRecord {
  cid: string;
  type: ConnectorType;
  /** Operator's wish: started connectors bind (or run) and consume their queue. */
  started: boolean;
  settings: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

/** A route filter (Jasmin's filter classes). All filters of a route must match for the route to win. */
export type RouteFilter =
  | { type: 'transparent' }
  | { type: 'user'; uid: string }
  | { type: 'group'; gid: string }
  | { type: 'connector'; cid: string }
  | { type: 'source_addr'; regex: string }
  | { type: 'destination_addr'; regex: string }
  | { type: 'short_message'; regex: string }
  /** Inclusive dates, `YYYY-MM-DD`, in the gateway's local time. */
  | { type: 'date_interval'; from: string; to: string }
  /** `HH:MM:SS` times of day; `from` > `to` spans midnight. */
  | { type: 'time_interval'; from: string; to: string }
  | { type: 'tag'; tag: number };

/** Route types (SPEC.md §4.2). */
export type RouteType = 'default' | 'static' | 'roundrobin' | 'failover';

/** An MT route: which connector(s) carry the messages that pass its filters, and at what rate per part. */
export interface MtRoute {
  /** Highest first; the default route has order 0 and no filters. Unique among MT routes. */
  order: number;
  type: RouteType;
  /** Connector ids (cid), in order for failover. One for default/static. */
  connectors: string[];
  filters: RouteFilter[];
  /** Price of one message part; 0 = free. */
  rate: number;
}

/** Where an MO route leads: an SMPP user of the server, or an HTTP connector. */
export type MoTarget = { kind: 'smpps'; username: string } | { kind: 'http'; cid: string };

/** An MO route. */
export interface MoRoute {
  order: number;
  type: RouteType;
  targets: MoTarget[];
  filters: RouteFilter[];
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

/** Life of an MT message part in the gateway. */
export type MessageStatus =
  /** Accepted and waiting in its connector's queue (or scheduled). */
  | 'queued'
  /** Handed to an upstream that has not answered yet. */
  | 'sending'
  /** The upstream accepted it (has an upstream id); waiting for a receipt. */
  | 'sent'
  /** A final receipt arrived: see `final_state`. */
  | 'final'
  /** Failed before or at the upstream (rejected, expired while queued, cancelled): see `final_state`. */
  | 'failed'
  | 'cancelled';

/** The SMPP message states (SMPP 3.4 §5.2.28), as used in receipts and query_sm_resp. */
export const MessageState = {
  ENROUTE: 1,
  DELIVERED: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIVERABLE: 5,
  ACCEPTED: 6,
  UNKNOWN: 7,
  REJECTED: 8,
} as const;

/** One of the SMPP message state numbers. */
export type MessageStateValue = (typeof MessageState)[keyof typeof MessageState];

/** One MT message part as the store keeps it. Times are epoch milliseconds. */
export interface MessageRecord {
  /** Our message_id, given to the ESME. */
  id: string;
  uid: string;
  /** The connector chosen by routing. */
  cid: string;
  /** Order of the route that chose it. */
  route_order: number;
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  service_type: string;
  esm_class: number;
  protocol_id: number;
  priority_flag: number;
  registered_delivery: number;
  data_coding: number;
  /** The bytes to send upstream, untouched (UDH included when esm_class has UDHI). */
  short_message: Buffer;
  /** Encoded optional parameters to pass upstream untouched (e.g. SAR, message_payload, user_message_reference). */
  tlvs: Buffer | null;
  /** Part information when the message is one part of a long message. */
  part: { ref: number; total: number; seq: number } | null;
  /** Not to be sent before this time. */
  schedule_at: number | null;
  /** Expires (failure receipt EXPIRED) when still undelivered at this time. */
  expires_at: number | null;
  /** Price of this part and how much was charged at acceptance (the rest when the upstream accepts). */
  rate: number;
  charged: number;
  status: MessageStatus;
  /** SMPP message_state for query_sm and receipts. */
  state: MessageStateValue;
  /** The upstream SMSC's message id, once it accepted the message. */
  upstream_id: string | null;
  /** Network / SMPP error code of a failure, 0 when none. */
  error_code: number;
  /** How many times it was handed to an upstream. */
  attempts: number;
  submitted_at: number;
  updated_at: number;
  /** When the message reached a final state. */
  final_at: number | null;
  /** Tags set by interceptors / HTTP API, used by tag filters. */
  tags: number[];
  /** HTTP API receipts: where and how to call back (Jasmin's dlr-url); absent or null for SMPP messages. */
  dlr?: HttpDlr | null;
}

/** Where an HTTP API message's delivery receipts go: Jasmin's `dlr-url`, `dlr-method` and `dlr-level`. */
export interface HttpDlr {
  url: string;
  method: 'GET' | 'POST';
  /** 1: the upstream's submit_sm_resp outcome (SMSC level), 2: the terminal receipt, 3: both. */
  level: 1 | 2 | 3;
}

/** Something waiting to be delivered to an ESME: a receipt or an MO, kept until one of the user's receivers takes it. */
export interface DeliveryRecord {
  /** Store-assigned, increasing per user: the delivery order. */
  seq: number;
  uid: string;
  kind: 'receipt' | 'mo';
  /** The deliver_sm to send, as plain fields (the gateway builds it; the store keeps it as opaque JSON-able data). */
  payload: Record<string, unknown>;
  created_at: number;
  expires_at: number;
  attempts: number;
  /** Not to be tried again before this time (back-off after an error or a timeout). */
  next_attempt_at: number;
}
