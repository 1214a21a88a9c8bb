// The contract between connectors (which talk to upstream SMSCs) and the gateway (which owns messages, receipts and
// the way back to ESMEs). Connectors sit above the gateway: they call these methods; the gateway never imports a
// connector. Every method resolves only once its effect is durable, so a connector answers deliver_sm (or acks its
// queue) only after the gateway has kept what it was given.

import type { PduOf } from '../smpp/codec/index.js';
import type { MessageRecord } from '../store/model.js';

/** What the upstream answered to one message part we sent (submit_sm_resp / data_sm_resp, or no answer). */
export type SubmitOutcome =
  /** Accepted: the upstream's message id (as it wrote it in the response). */
  | { kind: 'accepted'; upstreamId: string }
  /** Refused for good: the SMPP status (no retry left, or a status not in the connector's retry list). */
  | { kind: 'rejected'; status: number }
  /** Could not be sent before its validity ended (expired while queued or held). */
  | { kind: 'expired' };

/** An inbound PDU from an upstream: a receipt or an MO, as received. */
export type UpstreamDeliver = PduOf<'deliver_sm'> | PduOf<'data_sm'>;

/** The gateway side of every connector. */
export interface UpstreamEvents {
  /**
   * A message part left the connector's hands with this outcome. The gateway updates the message, charges the rest
   * of its price on acceptance, maps the upstream id for receipts (normalised with the connector's id base), and
   * queues a failure receipt for the ESME when asked.
   */
  submitted(cid: string, message: MessageRecord, outcome: SubmitOutcome): Promise<void>;
  /**
   * A deliver_sm or data_sm came from the upstream on connector `cid`. Receipts are matched to our message and queued
   * for the ESME; MO are routed. Resolves with the SMPP status to answer the upstream with (ESME_ROK once stored;
   * a temporary error such as ESME_RX_T_APPN when it could not be kept, so the SMSC retries).
   */
  delivered(cid: string, pdu: UpstreamDeliver): Promise<number>;
}
