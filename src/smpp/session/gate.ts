// The state gate: one table deciding, per role and state, what happens to each inbound request before any handler
// runs (SMPP 3.4 §2.3 Table 2-1 "SMPP PDUs and the session states they are valid in", and SPEC.md §2).

/** Session states (SMPP 3.4 §2.2). UNBOUND: an unbind was sent or received and the session is draining. */
export const SessionState = {
  OPEN: 'OPEN',
  BOUND_TX: 'BOUND_TX',
  BOUND_RX: 'BOUND_RX',
  BOUND_TRX: 'BOUND_TRX',
  UNBOUND: 'UNBOUND',
  CLOSED: 'CLOSED',
} as const;

/** One of the session states. */
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** Which side of the link this session is: the SMSC side ('server') or the ESME side ('client'). */
export type SessionRole = 'server' | 'client';

// SMPP 3.4 §5.1.3 command_status values the gate answers with.
const ESME_RINVCMDID = 0x03;
const ESME_RINVBNDSTS = 0x04;
const ESME_RALYBND = 0x05;

/** The gate's verdict: 0 lets the request through; anything else is the command_status to refuse it with. */
export type GateVerdict = number;

type Row = readonly [open: number, tx: number, rx: number, trx: number, unbound: number];

const OK = 0;
const BND = ESME_RINVBNDSTS;
const CMD = ESME_RINVCMDID;
const ALY = ESME_RALYBND;

// Columns: OPEN, BOUND_TX, BOUND_RX, BOUND_TRX, UNBOUND. A request not in a table is refused with ESME_RINVCMDID.
// unbind in OPEN is let through (answered ROK, then the connection closes): the peer wants to leave, nothing to drain.
const SERVER_GATE: Readonly<Record<string, Row>> = {
  bind_transmitter: [OK, ALY, ALY, ALY, BND],
  bind_receiver: [OK, ALY, ALY, ALY, BND],
  bind_transceiver: [OK, ALY, ALY, ALY, BND],
  enquire_link: [OK, OK, OK, OK, OK], // SPEC.md §2: answered in any state (SMPP 5.0 §2.4 allows it before bind)
  unbind: [OK, OK, OK, OK, OK],
  submit_sm: [BND, OK, BND, OK, BND], // SMPP 3.4 §4.4: ESME → SMSC on TX and TRX binds only
  submit_multi: [BND, OK, BND, OK, BND],
  data_sm: [BND, OK, BND, OK, BND], // MT through data_sm: as submit_sm (SPEC.md §2)
  query_sm: [BND, OK, BND, OK, BND],
  cancel_sm: [BND, OK, BND, OK, BND],
  replace_sm: [BND, OK, BND, OK, BND],
  deliver_sm: [CMD, CMD, CMD, CMD, CMD], // SMSC → ESME only; the connection is kept
  outbind: [CMD, CMD, CMD, CMD, CMD],
  alert_notification: [CMD, CMD, CMD, CMD, CMD],
};

const CLIENT_GATE: Readonly<Record<string, Row>> = {
  outbind: [OK, ALY, ALY, ALY, BND], // SMPP 3.4 §4.1.7: the SMSC asks a not-yet-bound ESME to bind
  enquire_link: [OK, OK, OK, OK, OK],
  unbind: [OK, OK, OK, OK, OK],
  deliver_sm: [BND, BND, OK, OK, BND], // SMPP 3.4 §4.6: SMSC → ESME on RX and TRX binds
  data_sm: [BND, BND, OK, OK, BND],
  alert_notification: [BND, BND, OK, OK, BND],
  bind_transmitter: [CMD, CMD, CMD, CMD, CMD],
  bind_receiver: [CMD, CMD, CMD, CMD, CMD],
  bind_transceiver: [CMD, CMD, CMD, CMD, CMD],
  submit_sm: [CMD, CMD, CMD, CMD, CMD],
  submit_multi: [CMD, CMD, CMD, CMD, CMD],
  query_sm: [CMD, CMD, CMD, CMD, CMD],
  cancel_sm: [CMD, CMD, CMD, CMD, CMD],
  replace_sm: [CMD, CMD, CMD, CMD, CMD],
};

const COLUMN: Readonly<Record<SessionState, number>> = {
  OPEN: 0,
  BOUND_TX: 1,
  BOUND_RX: 2,
  BOUND_TRX: 3,
  UNBOUND: 4,
  CLOSED: 4,
};

/** Decides whether an inbound request may reach its handler: 0 to go on, else the status to answer with. */
export function gate(role: SessionRole, state: SessionState, command: string): GateVerdict {
  const row = (role === 'server' ? SERVER_GATE : CLIENT_GATE)[command];
  if (row === undefined) return ESME_RINVCMDID;
  return row[COLUMN[state]];
}

/** Whether `state` is one of the three bound states. */
export function isBound(state: SessionState): boolean {
  return state === 'BOUND_TX' || state === 'BOUND_RX' || state === 'BOUND_TRX';
}

/** Which requests this side may send in `state` (the mirror of the peer's gate), for offers made through the window. */
export function mayOffer(role: SessionRole, state: SessionState, command: string): boolean {
  const peerRole: SessionRole = role === 'server' ? 'client' : 'server';
  if (command === 'enquire_link') return state !== 'CLOSED';
  if (command === 'unbind') return isBound(state);
  return gate(peerRole, state, command) === 0;
}
