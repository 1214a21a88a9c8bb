// What happens to messages, told to whoever listens (metrics, message history, the dashboard): the MT pipeline, the
// receipt engine, the delivery engine (and the connectors and the MO router) report here. A plain array of listeners
// called in order — no EventEmitter, no allocation when nobody listens (callers check `active` before building an
// event). A listener that throws is logged once per burst and never breaks the reporter: observing must not change
// what the gateway does.

import type { MessageStateValue } from '../store/model.js';

/** A message accepted by the MT pipeline (durable: its submit_sm_resp is about to leave). */
export interface AcceptedEvent {
  type: 'accepted';
  at: number;
  uid: string;
  /** The message_ids given to the ESME (one per stored part). */
  ids: readonly string[];
  cid: string;
  /** Order of the MT route that chose the connector. */
  route: number;
  /** Parts billed (a message_payload that takes several parts on the air counts them all). */
  parts: number;
  channel: 'smpps' | 'http';
}

/** A message refused by the MT pipeline for any reason but throughput. */
export interface RefusedEvent {
  type: 'refused';
  at: number;
  uid: string;
  /** The command_status answered. */
  status: number;
  reason: string;
  channel: 'smpps' | 'http';
}

/** A message refused with ESME_RTHROTTLED: over the user's throughput quota. */
export interface ThrottledEvent {
  type: 'throttled';
  at: number;
  uid: string;
  channel: 'smpps' | 'http';
}

/** What an upstream did with one message part (the connector's outcome, see UpstreamEvents.submitted). */
export interface UpstreamEvent {
  type: 'upstream';
  at: number;
  cid: string;
  /** Our message_id. */
  id: string;
  uid: string;
  outcome: 'accepted' | 'rejected' | 'expired';
  /** The upstream's message id when accepted. */
  upstream_id?: string;
  /** The SMPP status when rejected. */
  status?: number;
  /** Times the part was handed to an upstream. */
  attempts: number;
}

/** A receipt from an upstream, matched to one of our messages. */
export interface ReceiptEvent {
  type: 'receipt';
  at: number;
  cid: string;
  id: string;
  uid: string;
  state: MessageStateValue;
  error_code: number;
  /** Whether a receipt was queued for the ESME (registered_delivery asked for it). */
  forwarded: boolean;
}

/** One attempt to deliver a receipt or an MO to an ESME's receiver bind. */
export interface DeliveryEvent {
  type: 'delivery';
  at: number;
  uid: string;
  seq: number;
  kind: 'receipt' | 'mo';
  /** The session it was sent on. */
  session: string;
  result: 'ok' | 'error' | 'timeout';
  /** The deliver_sm_resp command_status when `error`. */
  status?: number;
  /** The message a receipt is about (receipted_message_id), when it is one. */
  message_id?: string;
}

/** An MO routed to its target. */
export interface MoEvent {
  type: 'mo';
  at: number;
  cid: string;
  /** Order of the MO route that matched; null when none did. */
  route: number | null;
  /** `smpps(username)`, `http(cid)`, or null when not routed. */
  target: string | null;
}

/** Everything the gateway reports. */
export type GatewayEvent =
  | AcceptedEvent
  | RefusedEvent
  | ThrottledEvent
  | UpstreamEvent
  | ReceiptEvent
  | DeliveryEvent
  | MoEvent;

/** Something that takes events: reporters check `active` first so that nobody listening costs nothing. */
export interface GatewayEventSink {
  /** True when at least one listener is attached. */
  readonly active: boolean;
  emit(event: GatewayEvent): void;
}

/** A listener of gateway events; called synchronously, it must not block (buffer and return). */
export type GatewayEventListener = (event: GatewayEvent) => void;

/** Called when a listener throws (default: ignored); the reporter carries on. */
export type ListenerErrorHandler = (error: unknown, event: GatewayEvent) => void;

/** The gateway's event hub: reporters `emit`, metrics and history `listen`. */
export class GatewayEvents implements GatewayEventSink {
  #listeners: GatewayEventListener[] = [];
  readonly #onError: ListenerErrorHandler;

  /** A hub with no listener; `onError` hears about listeners that throw. */
  constructor(onError: ListenerErrorHandler = () => {}) {
    this.#onError = onError;
  }

  /** True when at least one listener is attached. */
  get active(): boolean {
    return this.#listeners.length > 0;
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: GatewayEventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Hands `event` to every listener, in the order they were added. */
  emit(event: GatewayEvent): void {
    // The array is replaced, never mutated, on listen/unlisten: a listener removed mid-emit still sees this event.
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i](event);
      } catch (error) {
        this.#onError(error, event);
      }
    }
  }
}

/** A sink nobody listens to (the default of every reporter). */
export const NO_EVENTS: GatewayEventSink = { active: false, emit() {} };
