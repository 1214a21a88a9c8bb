// Credential checks of binds and MT requests (SPEC.md §2 bind row, §3, §4 step 1), as Jasmin's operators know them.
// Pure: the user and group records, the peer address and the binding count come in; a status name and a reason for
// the logs come out. The password itself is verified separately (it is slow and async: see password.ts).

import type { CommandStatus } from '../smpp/codec/status.js';
import type { Group, User } from '../store/model.js';
import { compileRegex, FilterRegexError } from './filters.js';
import { AllowListError, cachedAllowList, isAllowed } from './ipAllowList.js';

/** The command_status names these checks answer with (SMPP 3.4 §5.1.3; codes via CommandStatus[name]). */
export type CheckStatus = Extract<
  keyof typeof CommandStatus,
  | 'ESME_RINVPASWD'
  | 'ESME_RBINDFAIL'
  | 'ESME_RINVSYSID'
  | 'ESME_RINVDSTADR'
  | 'ESME_RINVSRCADR'
  | 'ESME_RINVPRTFLG'
  | 'ESME_RSYSERR'
  | 'ESME_RINVEXPIRY'
>;

/** A refusal: the status to answer with and a human reason for the logs (never sent to the ESME). */
export interface CheckFailure {
  ok: false;
  status: CheckStatus;
  reason: string;
}

/** The outcome of a bind check. */
export type BindCheck = { ok: true } | CheckFailure;

/**
 * Decides a bind (SMPP 3.4 §4.1) after the password was verified, in this order, the first failure winning:
 * unknown user, wrong password, disabled user, disabled or missing group → ESME_RINVPASWD (one status, so a caller
 * cannot tell which usernames exist or are disabled); then bind not authorized, peer not in the `ip` allow-list,
 * `max_bindings` reached (bindings of every type counted) → ESME_RBINDFAIL. The password comes first so that
 * nothing about a user's other settings leaks to someone who does not know the password.
 * `currentBindings` is the number of binds the user holds now, not counting this one.
 */
export function checkBind(
  user: User | null,
  group: Group | null,
  peer: string,
  currentBindings: number,
  passwordOk: boolean,
): BindCheck {
  if (user === null) return fail('ESME_RINVPASWD', 'unknown user');
  if (!passwordOk) return fail('ESME_RINVPASWD', `wrong password for ${user.username}`);
  if (!user.enabled) return fail('ESME_RINVPASWD', `user ${user.username} is disabled`);
  if (group === null || group.gid !== user.gid)
    return fail('ESME_RINVPASWD', `group ${user.gid} of ${user.username} does not exist`);
  if (!group.enabled) return fail('ESME_RINVPASWD', `group ${group.gid} of ${user.username} is disabled`);
  const { authorizations, quotas } = user.smpps_cred;
  if (!authorizations.bind) return fail('ESME_RBINDFAIL', `${user.username} is not authorized to bind`);
  if (authorizations.ip !== null) {
    const list = cachedAllowList(authorizations.ip);
    // A stored list that does not parse fails closed (the admin API validates it, so this is a damaged record).
    if (list instanceof AllowListError)
      return fail('ESME_RBINDFAIL', `${user.username} has a bad ip allow-list: ${list.message}`);
    if (!isAllowed(list, peer)) return fail('ESME_RBINDFAIL', `${user.username} may not bind from ${peer}`);
  }
  if (quotas.max_bindings !== null && currentBindings >= quotas.max_bindings) {
    return fail(
      'ESME_RBINDFAIL',
      `${user.username} already holds ${currentBindings} of ${quotas.max_bindings} bindings`,
    );
  }
  return { ok: true };
}

/** The facts of an MT request that the credential checks read, from submit_sm / data_sm / submit_multi or HTTP /send. */
export interface MtRequest {
  /** Which front door it came through: SMPP needs smpps_send, HTTP needs http_send. */
  channel: 'smpp' | 'http';
  source_addr: string;
  destination_addr: string;
  registered_delivery: number;
  priority_flag: number;
  /** The validity period as given (SMPP time or HTTP minutes); null or '' when absent. */
  validity_period: string | null;
  /** The schedule as given; null or '' when absent. */
  schedule_delivery_time: string | null;
  /** The text the content filter reads: decoded text, or the bytes as latin1 when binary. */
  content: string;
  /** esm_class of the PDU (0 for HTTP); the UDHI bit (0x40) marks a part of a long message. */
  esm_class: number;
  /** The PDU carries SAR TLVs (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum). */
  sar: boolean;
  /** Octets of a message_payload TLV, or null when there is none. */
  message_payload_length: number | null;
  /** Parts the message will be sent as (HTTP text that is split, 1 for a single SMPP PDU). */
  parts: number;
  /** HTTP `hex-content` (binary) was used. */
  hex_content: boolean;
}

/** The outcome of the MT checks: the request with defaults applied, or the refusal. */
export type MtCheck<R extends MtRequest> = { ok: true; request: R } | CheckFailure;

// SMPP 3.4 §4.4.1: short_message holds at most 254 octets; a message_payload larger than that is long content.
const SHORT_MESSAGE_MAX = 254;
const UDHI = 0x40;

function fail(status: CheckStatus, reason: string): CheckFailure {
  return { ok: false, status, reason };
}

function present(v: string | null): v is string {
  return v !== null && v !== '';
}

/** True when the message is (or carries) a long message: UDH, SAR, a large message_payload or several parts. */
export function isLongContent(r: MtRequest): boolean {
  return (r.esm_class & UDHI) !== 0 || r.sar || (r.message_payload_length ?? 0) > SHORT_MESSAGE_MAX || r.parts > 1;
}

/** Checks one value filter; null when it passes (or is not set), else the failure. */
function valueFilter(pattern: string | null, value: string, field: string, status: CheckStatus, username: string) {
  if (pattern === null) return null;
  try {
    if (compileRegex(pattern, `value_filters.${field}`).test(value)) return null;
  } catch (err) {
    if (!(err instanceof FilterRegexError)) throw err;
    // A stored pattern that is refused fails closed (the admin API validates it, so this is a damaged record).
    return fail(status, `${username} has a refused ${field} value filter: ${err.message}`);
  }
  return fail(status, `${field} ${JSON.stringify(value)} does not match the ${field} value filter of ${username}`);
}

/**
 * The MT credential checks of SPEC.md §3 in SPEC order; the first failure wins:
 * 1. authorizations → ESME_RINVSYSID (Jasmin's choice), in this order: smpps_send (SMPP) or http_send (HTTP);
 *    dlr_level when registered_delivery ≠ 0; src_addr when a source address is given; priority when
 *    priority_flag > 0; validity_period and schedule_delivery_time when given; long_content (see isLongContent);
 *    hex_content for binary HTTP content.
 * 2. value filters (start-anchored regexes, filters.ts): dst_addr → ESME_RINVDSTADR, src_addr → ESME_RINVSRCADR,
 *    priority (on the decimal priority_flag) → ESME_RINVPRTFLG, content → ESME_RSYSERR, validity_period (when
 *    given) → ESME_RINVEXPIRY.
 * 3. defaults: an empty source address becomes defaults.src_addr.
 * The src_addr value filter judges what the ESME sent: an empty source that the operator's default will fill is
 * not filtered (the default is the operator's own choice); an empty source with no default is filtered as ''.
 * Throughput, routing and credit come after these checks and are not part of them.
 */
export function checkMt<R extends MtRequest>(user: User, request: R): MtCheck<R> {
  const { authorizations: auth, value_filters: filters, defaults } = user.mt_messaging_cred;
  const who = user.username;
  const denied = (what: string) => fail('ESME_RINVSYSID', `${who} is not authorized to ${what}`);

  if (request.channel === 'smpp' && !auth.smpps_send) return denied('send MT through SMPP (smpps_send)');
  if (request.channel === 'http' && !auth.http_send) return denied('send MT through HTTP (http_send)');
  if (request.registered_delivery !== 0 && !auth.dlr_level) return denied('ask for receipts (dlr_level)');
  if (request.source_addr !== '' && !auth.src_addr) return denied('set a source address (src_addr)');
  if (request.priority_flag > 0 && !auth.priority) return denied('set a priority (priority)');
  if (present(request.validity_period) && !auth.validity_period)
    return denied('set a validity period (validity_period)');
  if (present(request.schedule_delivery_time) && !auth.schedule_delivery_time) {
    return denied('schedule delivery (schedule_delivery_time)');
  }
  if (isLongContent(request) && !auth.long_content) return denied('send long content (long_content)');
  if (request.channel === 'http' && request.hex_content && !auth.hex_content)
    return denied('send hex content (hex_content)');

  const fillSource = request.source_addr === '' && defaults.src_addr !== null && defaults.src_addr !== '';
  const failure =
    valueFilter(filters.dst_addr, request.destination_addr, 'dst_addr', 'ESME_RINVDSTADR', who) ??
    (fillSource ? null : valueFilter(filters.src_addr, request.source_addr, 'src_addr', 'ESME_RINVSRCADR', who)) ??
    valueFilter(filters.priority, String(request.priority_flag), 'priority', 'ESME_RINVPRTFLG', who) ??
    valueFilter(filters.content, request.content, 'content', 'ESME_RSYSERR', who) ??
    (present(request.validity_period)
      ? valueFilter(filters.validity_period, request.validity_period, 'validity_period', 'ESME_RINVEXPIRY', who)
      : null);
  if (failure !== null) return failure;

  if (fillSource) return { ok: true, request: { ...request, source_addr: defaults.src_addr as string } };
  return { ok: true, request };
}
