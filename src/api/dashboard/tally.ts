// The dashboard's counters that AdminControl.stats does not carry: parts accepted upstream, receipts by state, MO.
// One listener on the gateway's event hub, a few integer increments per event. It also records in the last-errors
// ring what an operator wants to see there: upstream rejections and expiries, failed or unanswered deliveries to
// ESMEs, and MO no route took.

import type { GatewayEvent } from '../../gateway/events.js';
import { receiptStateName } from '../../gateway/receipt.js';
import { statusName } from '../../smpp/codec/index.js';
import type { ErrorRing } from './errors.js';
import type { DashboardTallySource } from './source.js';

/** Where the tally listens (structural: the gateway's GatewayEvents hub satisfies it). */
export interface EventHub {
  /** Adds a listener; returns the function that removes it. */
  listen(listener: (event: GatewayEvent) => void): () => void;
}

/** A running tally; `close()` stops listening. */
export interface DashboardTally extends DashboardTallySource {
  close(): void;
}

function describeStatus(status: number | undefined): string {
  if (status === undefined) return 'unknown status';
  try {
    return statusName(status);
  } catch {
    return `status 0x${status.toString(16).padStart(8, '0')}`;
  }
}

/** Counts the hub's events for the dashboard and feeds `errors` with the failures among them. */
export function createDashboardTally(hub: EventHub, errors?: ErrorRing): DashboardTally {
  let sentUpstream = 0;
  let mo = 0;
  const receipts: Record<string, number> = {};

  const stop = hub.listen((e) => {
    switch (e.type) {
      case 'upstream':
        if (e.outcome === 'accepted') sentUpstream++;
        else if (e.outcome === 'rejected') {
          errors?.record({
            at: e.at,
            level: 'warn',
            event: 'upstream_rejected',
            message: `${e.cid} refused ${e.id}: ${describeStatus(e.status)}${
              e.attempts > 1 ? ` after ${e.attempts} attempts` : ''
            }`,
            message_id: e.id,
          });
        } else {
          errors?.record({
            at: e.at,
            level: 'warn',
            event: 'message_expired',
            message: `${e.id} expired on ${e.cid}`,
            message_id: e.id,
          });
        }
        break;
      case 'receipt': {
        const name = receiptStateName(e.state) ?? 'UNKNOWN';
        receipts[name] = (receipts[name] ?? 0) + 1;
        break;
      }
      case 'mo':
        mo++;
        if (e.target === null) {
          errors?.record({
            at: e.at,
            level: 'warn',
            event: 'mo_unrouted',
            message: `an MO from ${e.cid} matched no route`,
          });
        }
        break;
      case 'delivery':
        if (e.result !== 'ok') {
          errors?.record({
            at: e.at,
            level: 'warn',
            event: e.result === 'timeout' ? 'delivery_timeout' : 'delivery_error',
            message: `${e.kind} ${e.message_id ?? `#${e.seq}`} to ${e.uid} on ${e.session}: ${
              e.result === 'timeout' ? 'no response' : describeStatus(e.status)
            }`,
            session: e.session,
            ...(e.message_id !== undefined ? { message_id: e.message_id } : {}),
          });
        }
        break;
      default:
        break;
    }
  });

  return {
    read: () => ({ sent_upstream: sentUpstream, receipts: { ...receipts }, mo }),
    close: stop,
  };
}
