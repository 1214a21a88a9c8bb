// The SMPP server's request handlers for MT (SPEC.md §2): submit_sm, data_sm and submit_multi go through the MT
// pipeline; query_sm, cancel_sm and replace_sm are answered from the store for the user's own messages. Handlers
// return responses and never touch the socket; the session's state gate has already refused receiver binds.

import {
  CommandStatus,
  type DestAddress,
  formatAbsoluteTime,
  type PduOf,
  parseSmppTime,
  SmppStatusError,
  type UnsuccessSme,
} from '../smpp/codec/index.js';
import { decodeTlvs, isTlvProblem } from '../smpp/codec/tlv.js';

import type { HandlerContext, Handlers } from '../smpp/session/session.js';
import { ESM_CLASS_UDHI, parseUdh, UdhError } from '../smpp/text/index.js';
import type { MessageRecord, UserRecord } from '../store/model.js';
import type { OwnedMessageResult, Store } from '../store/store.js';
import type { Accounts, GatewayPrincipal } from './accounts.js';
import { compileRegex, FilterRegexError } from './filters.js';
import {
  contentText,
  type GatewayLogger,
  type MtPipeline,
  type MtSubmission,
  payloadParts,
  type SubmitResult,
} from './pipeline.js';

/** The store methods the handlers use besides the pipeline's. */
export type HandlersStore = Pick<Store, 'getMessage' | 'cancelMessage' | 'replaceMessage' | 'credit'>;

/** What the MT handlers are built from. */
export interface MtHandlersOptions {
  pipeline: MtPipeline;
  accounts: Accounts;
  store: HandlersStore;
  logger: GatewayLogger;
  /** Wall clock, epoch milliseconds (replace_sm times). */
  clock?: { now(): number };
  /** Longest validity a replaced message may get (as the pipeline's max_validity_secs). */
  maxValiditySecs: number;
  /** Whether cancelled messages give back what they cost (billing_feature). */
  billing: boolean;
}

type Ctx = HandlerContext<GatewayPrincipal>;

const { ESME_ROK, ESME_RINVBNDSTS, ESME_RQUERYFAIL, ESME_RCANCELFAIL, ESME_RREPLACEFAIL, ESME_RSYSERR } = CommandStatus;

/** The submission of a submit_sm (SMPP 3.4 §4.4.1); replace_if_present_flag and sm_default_msg_id are not used. */
export function submitSmSubmission(pdu: PduOf<'submit_sm'>): MtSubmission {
  return {
    service_type: pdu.service_type,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    source_addr: pdu.source_addr,
    dest_addr_ton: pdu.dest_addr_ton,
    dest_addr_npi: pdu.dest_addr_npi,
    destination_addr: pdu.destination_addr,
    esm_class: pdu.esm_class,
    protocol_id: pdu.protocol_id,
    priority_flag: pdu.priority_flag,
    schedule_delivery_time: pdu.schedule_delivery_time,
    validity_period: pdu.validity_period,
    registered_delivery: pdu.registered_delivery,
    data_coding: pdu.data_coding,
    short_message: pdu.short_message,
    tlvs: pdu.tlvs,
  };
}

const EMPTY = Buffer.alloc(0);

/** The submission of a data_sm (SMPP 3.4 §4.7.1): the text rides in message_payload; no times, priority or PID. */
export function dataSmSubmission(pdu: PduOf<'data_sm'>): MtSubmission {
  return {
    service_type: pdu.service_type,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    source_addr: pdu.source_addr,
    dest_addr_ton: pdu.dest_addr_ton,
    dest_addr_npi: pdu.dest_addr_npi,
    destination_addr: pdu.destination_addr,
    esm_class: pdu.esm_class,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: pdu.registered_delivery,
    data_coding: pdu.data_coding,
    short_message: EMPTY,
    tlvs: pdu.tlvs,
  };
}

/** The submission of one destination of a submit_multi (SMPP 3.4 §4.5.1). */
export function submitMultiSubmission(
  pdu: PduOf<'submit_multi'>,
  dest: Extract<DestAddress, { dest_flag: 1 }>,
): MtSubmission {
  return {
    service_type: pdu.service_type,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    source_addr: pdu.source_addr,
    dest_addr_ton: dest.dest_addr_ton,
    dest_addr_npi: dest.dest_addr_npi,
    destination_addr: dest.destination_addr,
    esm_class: pdu.esm_class,
    protocol_id: pdu.protocol_id,
    priority_flag: pdu.priority_flag,
    schedule_delivery_time: pdu.schedule_delivery_time,
    validity_period: pdu.validity_period,
    registered_delivery: pdu.registered_delivery,
    data_coding: pdu.data_coding,
    short_message: pdu.short_message,
    tlvs: pdu.tlvs,
  };
}

// data_sm carries addresses of up to 64 characters; the upstream submit_sm only 20 (SMPP 3.4 §4.4.1). A message
// that could never leave is refused now rather than failed later.
const MAX_UPSTREAM_ADDR = 20;

/** The sms parts a stored message counted when it was billed (pipeline.ts: one, or what its message_payload takes). */
export function billedParts(message: MessageRecord): number {
  if (message.part !== null || message.tlvs === null) return 1;
  const tlvs = decodeTlvs(message.tlvs, 0, message.tlvs.length);
  if (isTlvProblem(tlvs) || tlvs.message_payload === undefined) return 1;
  let payload = tlvs.message_payload;
  if ((message.esm_class & ESM_CLASS_UDHI) !== 0) {
    try {
      const udh = parseUdh(payload);
      if (udh.concat !== undefined) return 1;
      payload = udh.payload;
    } catch {
      return 1;
    }
  }
  return payloadParts(payload, message.data_coding);
}

/** A value filter of the user's mt_messaging credential, as checkMt applies it; null when it passes. */
function valueFilterFails(pattern: string | null, value: string, field: string): boolean {
  if (pattern === null) return false;
  try {
    return !compileRegex(pattern, `value_filters.${field}`).test(value);
  } catch (error) {
    if (error instanceof FilterRegexError) return true; // a refused stored pattern fails closed, as in checkMt
    throw error;
  }
}

/**
 * The credential checks that apply to what replace_sm changes (SPEC.md §3, the subset of checkMt that can differ
 * from the original): dlr_level, validity_period and schedule_delivery_time authorizations, then the content and
 * validity_period value filters. Returns the reason of the first failure, or null. All are ESME_RREPLACEFAIL.
 */
export function replaceRefusal(user: UserRecord, pdu: PduOf<'replace_sm'>, text: string): string | null {
  const { authorizations: auth, value_filters: filters } = user.mt_messaging_cred;
  if (pdu.registered_delivery !== 0 && !auth.dlr_level) return 'not authorized to ask for receipts (dlr_level)';
  if (pdu.validity_period !== '' && !auth.validity_period) return 'not authorized to set a validity period';
  if (pdu.schedule_delivery_time !== '' && !auth.schedule_delivery_time) return 'not authorized to schedule';
  if (valueFilterFails(filters.content, text, 'content')) return 'content does not match the content value filter';
  if (pdu.validity_period !== '' && valueFilterFails(filters.validity_period, pdu.validity_period, 'validity_period'))
    return 'validity_period does not match its value filter';
  return null;
}

/** The MT handlers of the SMPP server. */
export function createMtHandlers(options: MtHandlersOptions): Handlers<GatewayPrincipal> {
  const { pipeline, accounts, store, logger: log } = options;
  const clock = options.clock ?? Date;

  const submit = (ctx: Ctx, principal: GatewayPrincipal, submission: MtSubmission): Promise<SubmitResult> =>
    pipeline.submit(principal, submission, 'smpps', { session: ctx.session.id });

  /** Gives back what a cancelled message cost (balance charged at acceptance, its sms_count units). */
  const refundCancelled = async (ctx: Ctx, message: MessageRecord): Promise<void> => {
    if (!options.billing) return;
    const user = await accounts.user(message.uid);
    const smsCount = user?.mt_messaging_cred.quotas.sms_count !== null ? billedParts(message) : 0;
    if (message.charged <= 0 && smsCount === 0) return;
    try {
      await store.credit(message.uid, { amount: message.charged, smsCount });
      log.info('mt_cancel_refunded', {
        session: ctx.session.id,
        message_id: message.id,
        amount: message.charged,
        sms_count: smsCount,
      });
    } catch (error) {
      log.error('mt_cancel_refund_failed', {
        session: ctx.session.id,
        message_id: message.id,
        uid: message.uid,
        amount: message.charged,
        sms_count: smsCount,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  return {
    // SMPP 3.4 §4.4: submit_sm_resp carries our message_id only once the message is durable.
    submit_sm: async (pdu, ctx) => {
      const principal = ctx.principal;
      if (principal === undefined) return ESME_RINVBNDSTS;
      const result = await submit(ctx, principal, submitSmSubmission(pdu));
      return result.ok ? { message_id: result.message_ids[0] } : result.status;
    },

    // SMPP 3.4 §4.7: data_sm as a submit whose text is in message_payload; answered with data_sm_resp.
    data_sm: async (pdu, ctx) => {
      const principal = ctx.principal;
      if (principal === undefined) return ESME_RINVBNDSTS;
      if (pdu.source_addr.length > MAX_UPSTREAM_ADDR) return CommandStatus.ESME_RINVSRCADR;
      if (pdu.destination_addr.length > MAX_UPSTREAM_ADDR) return CommandStatus.ESME_RINVDSTADR;
      const result = await submit(ctx, principal, dataSmSubmission(pdu));
      return result.ok ? { message_id: result.message_ids[0] } : result.status;
    },

    // SMPP 3.4 §4.5: each SME destination is its own message through the pipeline; the failed ones are listed in
    // unsuccess_sme. Distribution lists (dest_flag 2) are not supported: ESME_RCNTSUBDL for each.
    submit_multi: async (pdu, ctx) => {
      const principal = ctx.principal;
      if (principal === undefined) return ESME_RINVBNDSTS;
      const dests = pdu.dest_address;
      if (dests.length === 0) return CommandStatus.ESME_RINVNUMDESTS;
      const results = await Promise.all(
        dests.map(
          (dest): Promise<SubmitResult> =>
            dest.dest_flag === 1
              ? submit(ctx, principal, submitMultiSubmission(pdu, dest))
              : Promise.resolve({
                  ok: false,
                  status: CommandStatus.ESME_RCNTSUBDL,
                  reason: `distribution list ${dest.dl_name}`,
                }),
        ),
      );
      let messageId: string | undefined;
      let firstFailure: number | undefined;
      const unsuccess: UnsuccessSme[] = [];
      results.forEach((result, i) => {
        if (result.ok) {
          messageId ??= result.message_ids[0];
          return;
        }
        firstFailure ??= result.status;
        const dest = dests[i];
        unsuccess.push(
          dest.dest_flag === 1
            ? {
                dest_addr_ton: dest.dest_addr_ton,
                dest_addr_npi: dest.dest_addr_npi,
                destination_addr: dest.destination_addr,
                error_status_code: result.status,
              }
            : {
                dest_addr_ton: 0,
                dest_addr_npi: 0,
                destination_addr: dest.dl_name,
                error_status_code: result.status,
              },
        );
      });
      // Nothing accepted: answer as submit_sm would, with the first destination's status.
      if (messageId === undefined) return firstFailure ?? ESME_RSYSERR;
      return { message_id: messageId, unsuccess_sme: unsuccess };
    },

    // SMPP 3.4 §4.8: only the user's own messages; anything else is ESME_RQUERYFAIL.
    query_sm: async (pdu, ctx) => {
      const principal = ctx.principal;
      if (principal === undefined) return ESME_RINVBNDSTS;
      let message: MessageRecord | null;
      try {
        message = await store.getMessage(pdu.message_id);
      } catch (error) {
        log.error('query_store_error', { session: ctx.session.id, message_id: pdu.message_id, error: String(error) });
        return ESME_RSYSERR;
      }
      if (message === null || message.uid !== principal.id) return ESME_RQUERYFAIL;
      return {
        message_id: message.id,
        final_date: finalDate(message.final_at),
        message_state: message.state,
        // SMPP 3.4 §5.2.31 error_code is one octet.
        error_code: Math.min(0xff, Math.max(0, message.error_code)),
      };
    },

    // SMPP 3.4 §4.9: a message still queued for its connector and owned by this user; else ESME_RCANCELFAIL.
    // Cancelling by source/destination (empty message_id) is not supported: ESME_RCANCELFAIL.
    cancel_sm: async (pdu, ctx) => {
      const principal = ctx.principal;
      if (principal === undefined) return ESME_RINVBNDSTS;
      if (pdu.message_id === '') return ESME_RCANCELFAIL;
      let result: OwnedMessageResult;
      try {
        result = await store.cancelMessage(principal.id, pdu.message_id);
      } catch (error) {
        log.error('cancel_store_error', { session: ctx.session.id, message_id: pdu.message_id, error: String(error) });
        return ESME_RSYSERR;
      }
      if (!result.ok) {
        log.info('mt_cancel_refused', { session: ctx.session.id, message_id: pdu.message_id, reason: result.reason });
        return ESME_RCANCELFAIL;
      }
      log.info('mt_cancelled', { session: ctx.session.id, message_id: pdu.message_id });
      await refundCancelled(ctx, result.message);
      return ESME_ROK;
    },

    // SMPP 3.4 §4.10: a queued message of this user gets new text, receipt request, schedule or validity (an
    // empty time keeps the original). A message_payload message cannot be replaced (replace_sm has no TLV for it).
    replace_sm: async (pdu, ctx) => {
      const principal = ctx.principal;
      if (principal === undefined) return ESME_RINVBNDSTS;
      const session = ctx.session.id;
      const refused = (reason: string) => {
        log.info('mt_replace_refused', { session, message_id: pdu.message_id, reason });
        return ESME_RREPLACEFAIL;
      };
      try {
        const account = await accounts.active(principal.id);
        if (!account.ok) return ESME_RINVBNDSTS;
        const message = await store.getMessage(pdu.message_id);
        if (message === null || message.uid !== principal.id) return refused('no such message of this user');
        if (message.status !== 'queued') return refused(`message is ${message.status}`);
        if (message.tlvs !== null && billedPartsHasPayload(message)) return refused('message_payload message');
        let text = pdu.short_message;
        if ((message.esm_class & ESM_CLASS_UDHI) !== 0) {
          try {
            text = parseUdh(pdu.short_message).payload;
          } catch (error) {
            if (error instanceof UdhError) return refused(`bad user data header: ${error.message}`);
            throw error;
          }
        }
        const why = replaceRefusal(account.user, pdu, contentText(text, message.data_coding));
        if (why !== null) return refused(why);
        const now = clock.now();
        const nowDate = new Date(now);
        const schedule = parseSmppTime(pdu.schedule_delivery_time, nowDate, 'schedule_delivery_time');
        const validity = parseSmppTime(pdu.validity_period, nowDate, 'validity_period');
        const scheduleAt =
          schedule === null ? message.schedule_at : schedule.date.getTime() > now ? schedule.date.getTime() : null;
        const start = scheduleAt ?? now;
        const maxEnd = start + options.maxValiditySecs * 1000;
        let expiresAt = message.expires_at;
        if (validity !== null) expiresAt = Math.min(validity.date.getTime(), maxEnd);
        else if (schedule !== null) expiresAt = Math.min(expiresAt ?? maxEnd, maxEnd);
        if (expiresAt !== null && expiresAt <= start) return refused('the validity period ends before the schedule');
        const result = await store.replaceMessage(principal.id, pdu.message_id, {
          short_message: Buffer.from(pdu.short_message),
          registered_delivery: pdu.registered_delivery,
          schedule_at: scheduleAt,
          expires_at: expiresAt,
        });
        if (!result.ok) return refused(result.reason);
        log.info('mt_replaced', { session, message_id: pdu.message_id });
        return ESME_ROK;
      } catch (error) {
        if (error instanceof SmppStatusError) return refused(error.message);
        log.error('replace_store_error', { session, message_id: pdu.message_id, error: String(error) });
        return ESME_RSYSERR;
      }
    },
  };
}

/** True when a stored message carries its text in message_payload. */
function billedPartsHasPayload(message: MessageRecord): boolean {
  if (message.tlvs === null) return false;
  const tlvs = decodeTlvs(message.tlvs, 0, message.tlvs.length);
  return !isTlvProblem(tlvs) && tlvs.message_payload !== undefined;
}

/** query_sm_resp final_date (SMPP 3.4 §4.8.2): the absolute time the message reached a final state, or NULL. */
function finalDate(finalAt: number | null): string {
  if (finalAt === null) return '';
  try {
    return formatAbsoluteTime(new Date(finalAt));
  } catch {
    return '';
  }
}
