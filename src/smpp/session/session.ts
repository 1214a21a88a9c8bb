// One SMPP session over any duplex stream (aedes' handle(stream) shape): the state field, the gate, the window,
// the timers, back-pressure and the one close(reason). Used by the server (role 'server': the peer is an ESME) and
// by upstream connectors (role 'client': the peer is an SMSC).

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  CommandId,
  CommandStatus,
  commandName,
  decodePdu,
  encodePdu,
  Framer,
  isResponse,
  type Pdu,
  type PduOf,
  responseIdOf,
  SmppDecodeError,
  SmppFramingError,
  SmppStatusError,
} from '../codec/index.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { BindType, ServerCounters, UserCounters } from './counters.js';
import { InvalidStateError, SessionClosedError } from './errors.js';
import { gate, isBound, mayOffer, type SessionRole, SessionState } from './gate.js';
import { type SessionLogger, silentLogger } from './log.js';
import { Outbox } from './outbox.js';
import { Window } from './window.js';

/** The account a bind authenticated as; the gateway's user type extends it. */
export interface Principal {
  /** Stable id (the uid): counters and the bound-session registry are keyed by it. */
  readonly id: string;
}

/** What the authenticator gets from a bind_* request. */
export interface BindRequest {
  system_id: string;
  password: string;
  system_type: string;
  bindType: BindType;
  /** The peer's IP address (for allow-lists), or '' when the stream has none. */
  peerAddress: string;
}

/** The authenticator's answer: ESME_ROK with the principal, or the status to refuse with. */
export interface BindResult<P extends Principal = Principal> {
  status: number;
  principal?: P;
}

/** Checks a bind's credentials (SPEC.md §2: ESME_RINVPASWD, ESME_RBINDFAIL…). */
export type Authenticator<P extends Principal = Principal> = (request: BindRequest) => Promise<BindResult<P>>;

/**
 * Called synchronously, after a successful authentication and in the same tick as the state change, so that a
 * registry can count and admit binds without a race (max_bindings). Returns ESME_ROK or the status to refuse with.
 */
export type BindAdmitter<P extends Principal = Principal> = (
  principal: P,
  bindType: BindType,
  session: SmppSession<P>,
) => number;

/** Requests a handler may serve (the rest are the session's own: bind, unbind, enquire_link). */
export type HandledCommand =
  | 'submit_sm'
  | 'data_sm'
  | 'submit_multi'
  | 'query_sm'
  | 'cancel_sm'
  | 'replace_sm'
  | 'deliver_sm'
  | 'alert_notification'
  | 'outbind';

/** The response command of a request that has one. */
type RespName<C extends string> = `${C}_resp` extends Pdu['command'] ? `${C}_resp` : never;

/** The body fields of a response (everything but the header), as a handler returns them. */
export type ResponseBody<C extends string> = [RespName<C>] extends [never]
  ? never
  : Partial<Omit<PduOf<RespName<C>>, 'command' | 'sequence_number' | 'command_status'>> & {
      command_status?: number;
    };

/** A handler's answer: a bare command_status, or response fields (command_status defaults to ESME_ROK). */
export type HandlerResult<C extends string> = [RespName<C>] extends [never] ? undefined : number | ResponseBody<C>;

/** What a handler knows about the session it serves. */
export interface HandlerContext<P extends Principal = Principal> {
  readonly session: SmppSession<P>;
  /** The bound principal (undefined on client sessions and before bind). */
  readonly principal: P | undefined;
}

/** Serves one command: returns (or resolves) the response; never writes to the stream. */
export type Handler<C extends HandledCommand, P extends Principal = Principal> = (
  pdu: PduOf<C>,
  ctx: HandlerContext<P>,
) => HandlerResult<C> | Promise<HandlerResult<C>>;

/** The injected handlers, by command name. An accepted command with no handler is answered ESME_RINVCMDID. */
export type Handlers<P extends Principal = Principal> = { [C in HandledCommand]?: Handler<C, P> };

/** The five timers, in milliseconds; 0 disables one. Names follow `[smpp-server]` (SPEC.md §2). */
export interface SessionTimers {
  /** While bound, this long without a PDU either way → we send enquire_link. */
  enquireLinkMs: number;
  /** From connect, reset by any PDU either way: expiry → unbind if bound, then close. */
  inactivityMs: number;
  /** Not bound within this long → close; also the wait for unbind_resp after our own unbind. */
  sessionInitMs: number;
  /** How long each of our requests waits for its response. */
  responseMs: number;
  /** A partial PDU with no new bytes for this long → generic_nack ESME_RINVCMDLEN, close. */
  pduReadMs: number;
}

/** Jasmin's defaults (jasmin.cfg [smpp-server]). */
export const DEFAULT_TIMERS: Readonly<SessionTimers> = {
  enquireLinkMs: 30_000,
  inactivityMs: 300_000,
  sessionInitMs: 30_000,
  responseMs: 60_000,
  pduReadMs: 30_000,
};

/** Options of one session. */
export interface SessionOptions<P extends Principal = Principal> {
  role: SessionRole;
  /** Id on every log line of this session. */
  id?: string;
  /** Server role: the `system_id` put in bind_*_resp (the server `id`, SMPP 3.4 §4.1.2). */
  systemId?: string;
  /** Server role: checks bind credentials; without it every bind is refused ESME_RBINDFAIL. */
  authenticate?: Authenticator<P>;
  /** Server role: synchronous admission after authentication (max_bindings). */
  admit?: BindAdmitter<P>;
  handlers?: Handlers<P>;
  timers?: Partial<SessionTimers>;
  /** Our requests outstanding at once (the outbound window). Default 100. */
  windowSize?: number;
  /** Inbound requests being processed at once before reading pauses. Default 100. */
  maxInflight?: number;
  /** Largest command_length accepted (the framer's bound). Default: the codec's default. */
  maxCommandLength?: number;
  /** The peer's address, for logs and the authenticator. */
  peerAddress?: string;
  clock?: Clock;
  logger?: SessionLogger;
  counters?: ServerCounters;
}

/** Events of a session. */
export interface SessionEvents<P extends Principal> {
  /** Bound: the bind type and (server role) the principal. */
  bound: [bindType: BindType, principal: P | undefined];
  /** Every state change. */
  state: [state: SessionState, previous: SessionState];
  /** Closed, once, with the reason given to close(). */
  close: [reason: string];
}

type AnyRequest = Pdu & { sequence_number: number };
type BindCommand = 'bind_transmitter' | 'bind_receiver' | 'bind_transceiver';

const BIND_TYPE: Readonly<Record<BindCommand, BindType>> = {
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
  bind_transceiver: 'transceiver',
};

const BOUND_STATE: Readonly<Record<BindType, SessionState>> = {
  transmitter: SessionState.BOUND_TX,
  receiver: SessionState.BOUND_RX,
  transceiver: SessionState.BOUND_TRX,
};

const MT_COMMANDS: ReadonlySet<string> = new Set(['submit_sm', 'data_sm', 'submit_multi']);

/** The response command_id of each request (undefined: none exists), looked up once per command name. */
const RESPONSE_ID: Readonly<Record<string, number | undefined>> = Object.fromEntries(
  Object.entries(CommandId).map(([name, id]) => [name, responseIdOf(id)]),
);

/** Responses whose only mandatory field is message_id (SMPP 3.4 §4.4.2, §4.6.2, §4.7.2): the writer's fast path. */
const MESSAGE_ID_ONLY: ReadonlySet<number> = new Set([
  CommandId.submit_sm_resp,
  CommandId.deliver_sm_resp,
  CommandId.data_sm_resp,
]);

/** SMPP 3.4 §5.2.4 interface_version: the sc_interface_version TLV of our bind responses. */
const SMPP_VERSION_34 = 0x34;

let nextSessionNumber = 1;

/**
 * An SMPP session over any duplex stream. `state` is the one source of truth; every inbound request passes the
 * gate before a handler runs; responses leave in per-tick batches; `close(reason)` ends everything.
 */
export class SmppSession<P extends Principal = Principal> extends EventEmitter<SessionEvents<P>> {
  readonly id: string;
  readonly role: SessionRole;
  readonly peerAddress: string;
  #state: SessionState = SessionState.OPEN;
  #bindType: BindType | undefined;
  #principal: P | undefined;
  #closeReason: string | undefined;

  readonly #stream: Duplex;
  readonly #framer: Framer;
  readonly #window: Window<AnyRequest, Pdu>;
  readonly #clock: Clock;
  #log: SessionLogger;
  readonly #timers: SessionTimers;
  readonly #handlers: Handlers<P>;
  readonly #options: SessionOptions<P>;
  readonly #counters: ServerCounters | undefined;
  #user: UserCounters | undefined;
  readonly #ctx: HandlerContext<P>;

  // Inbound flow control.
  readonly #maxInflight: number;
  #inflight = 0;
  readonly #inflightSeqs = new Set<number>();
  #dupSeqs: Map<number, number> | undefined;
  #readPaused = false;
  #writeBlocked = false;
  #draining = false;
  #idleWaiters: (() => void)[] = [];

  // Output: batched per tick (one write per batch).
  readonly #outbox: Outbox;

  // Timers: one clock timer armed for the earliest deadline; activity only moves deadlines later, so the hot path
  // just records times (no timer churn per PDU).
  readonly #openedAt: number;
  #lastActivity: number;
  #lastRead: number;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #elinkOutstanding = false;
  #deadlineAt = Number.POSITIVE_INFINITY; // unbind drain / unbind_resp wait
  #deadlineReason = '';

  // Our bind in flight (client role), so its bind_resp binds the session before the next frame is read.
  #pendingBind: { request: AnyRequest; bindType: BindType; systemId: string } | undefined;

  // Unbind.
  #unbindSeq = 0;
  #unbindPromise: Promise<void> | undefined;
  #peerUnbindSeq = -1;
  readonly #closed: Promise<string>;
  #resolveClosed!: (reason: string) => void;

  constructor(stream: Duplex, options: SessionOptions<P>) {
    super();
    this.#options = options;
    this.role = options.role;
    this.id = options.id ?? `s${nextSessionNumber++}`;
    this.peerAddress = options.peerAddress ?? '';
    this.#stream = stream;
    this.#outbox = new Outbox(stream, this.#onFlushed, undefined, options.counters?.pdusOut);
    this.#clock = options.clock ?? systemClock;
    this.#timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.#handlers = options.handlers ?? {};
    this.#counters = options.counters;
    this.#maxInflight = Math.max(1, options.maxInflight ?? 100);
    this.#log = (options.logger ?? silentLogger).child({ session: this.id, peer: this.peerAddress });
    this.#framer = new Framer(
      options.maxCommandLength !== undefined ? { maxCommandLength: options.maxCommandLength } : undefined,
    );
    this.#window = new Window<AnyRequest, Pdu>({
      maxSize: options.windowSize ?? 100,
      responseTimeoutMs: this.#timers.responseMs > 0 ? this.#timers.responseMs : 2 ** 31 - 1,
      clock: this.#clock,
      send: (request) => this.#sendRequest(request),
    });
    this.#ctx = { session: this, principal: undefined };
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const now = this.#clock.now();
    this.#openedAt = now;
    this.#lastActivity = now;
    this.#lastRead = now;
    this.#counters?.onConnect();

    stream.on('data', this.#onData);
    stream.on('end', () => this.close('peer closed the connection'));
    stream.on('close', () => this.close('connection closed'));
    stream.on('error', (error: Error) => this.close(`stream error: ${error.message}`));
    stream.on('drain', this.#onDrain);
    this.#log.info('session_open', { role: this.role });
    this.#armTimer();
  }

  /** The one state field. */
  get state(): SessionState {
    return this.#state;
  }

  /** The bind type while bound (and after, for logs). */
  get bindType(): BindType | undefined {
    return this.#bindType;
  }

  /** Server role: the principal the ESME bound as. */
  get principal(): P | undefined {
    return this.#principal;
  }

  /** Inbound requests being processed right now. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Our requests awaiting a response. */
  get outstanding(): number {
    return this.#window.size;
  }

  /** Whether reading is paused by back-pressure. */
  get readPaused(): boolean {
    return this.#readPaused;
  }

  /** Resolves with the close reason once the session has closed. */
  get closed(): Promise<string> {
    return this.#closed;
  }

  /**
   * Sends a request through the window and resolves with its response (any command_status); rejects with
   * InvalidStateError when the state does not allow it, or with the window's errors (timeout, full, closed).
   */
  request(pdu: Pdu): Promise<Pdu> {
    const command = pdu.command;
    if (!mayOffer(this.role, this.#state, command) || command === 'unbind' || command === 'enquire_link') {
      return Promise.reject(
        this.#state === SessionState.CLOSED
          ? new SessionClosedError(this.#closeReason ?? 'closed')
          : new InvalidStateError(command, this.#state),
      );
    }
    return this.#window.offer(pdu as AnyRequest);
  }

  /** Client role: binds as `bindType`; resolves with the bind_*_resp, rejects with SmppStatusError on refusal. */
  async bind(
    bindType: BindType,
    fields: Omit<PduOf<BindCommand>, 'command' | 'command_status' | 'sequence_number'>,
  ): Promise<Pdu> {
    if (this.role !== 'client') throw new InvalidStateError(`bind_${bindType}`, `${this.#state} (server role)`);
    const command = `bind_${bindType}` as BindCommand;
    if (this.#state !== SessionState.OPEN) throw new InvalidStateError(command, this.#state);
    const request = { command, command_status: 0, sequence_number: 0, ...fields } as AnyRequest;
    const pending = { request, bindType, systemId: fields.system_id };
    this.#pendingBind = pending;
    try {
      const response = await this.#window.offer(request);
      if (response.command_status !== 0) throw new SmppStatusError(response.command_status);
      if (this.#state === SessionState.OPEN) this.#becomeBound(bindType, undefined, fields.system_id);
      return response;
    } finally {
      if (this.#pendingBind === pending) this.#pendingBind = undefined;
    }
  }

  /** Sends enquire_link and resolves with the response (SMPP 3.4 §4.11). */
  enquireLink(): Promise<Pdu> {
    if (this.#state === SessionState.CLOSED) return Promise.reject(new SessionClosedError(this.#closeReason ?? ''));
    this.#counters?.onEnquireLink(false, this.#user);
    return this.#window.offer({ command: 'enquire_link', command_status: 0, sequence_number: 0 } as AnyRequest);
  }

  /**
   * Unbinds from our side (SMPP 3.4 §4.2): stop taking new work, let in-flight requests in both directions finish
   * (bounded by responseTimerSecs), send unbind, wait for unbind_resp (bounded by sessionInitTimerSecs), close.
   * Resolves once closed. Not bound: just closes.
   */
  unbind(): Promise<void> {
    if (this.#unbindPromise !== undefined) return this.#unbindPromise;
    if (!isBound(this.#state)) {
      this.close('unbind while not bound');
      this.#unbindPromise = this.#closed.then(() => undefined);
      return this.#unbindPromise;
    }
    this.#setState(SessionState.UNBOUND);
    this.#log.info('unbind_start', { by: 'us' });
    this.#setDeadline(this.#timers.responseMs, 'unbind drain timeout');
    this.#unbindPromise = (async () => {
      // A close meanwhile (drain deadline, peer gone) ends the wait too.
      await Promise.race([Promise.all([this.#window.whenEmpty(), this.#whenIdle()]), this.#closed]);
      if (this.#state === SessionState.CLOSED) return;
      this.#unbindSeq = this.#window.reserveSequence();
      this.#setDeadline(this.#timers.sessionInitMs, 'no unbind_resp');
      this.#outbox.header(CommandId.unbind, 0, this.#unbindSeq);
      await this.#closed;
    })();
    return this.#unbindPromise;
  }

  /**
   * Closes the session at once: clears every timer, rejects everything outstanding, flushes what is queued, ends
   * and destroys the stream. Idempotent; the first reason wins.
   */
  close(reason: string): void {
    if (this.#state === SessionState.CLOSED) return;
    this.#closeReason = reason;
    this.#setState(SessionState.CLOSED);
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#window.close(new SessionClosedError(reason));
    this.#outbox.flush();
    const stream = this.#stream;
    stream.off('data', this.#onData);
    stream.off('drain', this.#onDrain);
    // Let queued bytes (a generic_nack, an unbind_resp) reach the peer, then destroy. A peer that never reads
    // cannot hold the socket: destroy after a short linger regardless.
    if (!stream.destroyed) {
      const linger = setTimeout(() => stream.destroy(), 2000);
      linger.unref();
      stream.once('close', () => clearTimeout(linger));
      stream.end(() => {
        clearTimeout(linger);
        stream.destroy();
      });
    }
    this.#counters?.onDisconnect();
    this.#log.info('session_close', { reason });
    this.#resolveClosed(reason);
    this.emit('close', reason);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Inbound

  readonly #onData = (chunk: Buffer): void => {
    if (this.#state === SessionState.CLOSED) return;
    // Bytes only reset the pduReadTimer; the inactivity and enquire_link timers count whole PDUs (SPEC.md §2:
    // "reset by any PDU"), so a bound slowloris trickling one PDU forever is still probed and closed.
    this.#lastRead = this.#clock.now();
    this.#counters?.onReceived(this.#user);
    try {
      this.#framer.push(chunk);
    } catch (error) {
      this.#fatal(error);
      return;
    }
    this.#drain();
  };

  /** Takes whole PDUs off the framer while under the in-flight cap and the writer is not blocked. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#state !== SessionState.CLOSED && this.#inflight < this.#maxInflight && !this.#writeBlocked) {
        let frame: Buffer | undefined;
        try {
          frame = this.#framer.next();
        } catch (error) {
          this.#fatal(error);
          return;
        }
        if (frame === undefined) break;
        this.#onFrame(frame);
      }
    } catch (error) {
      // Never reached by anything a peer can send (the codec throws only typed errors, handlers are wrapped); a
      // bug here must still not escape the stream's data handler and take the process down.
      this.#log.error('session_bug', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      this.close('internal error');
      return;
    } finally {
      this.#draining = false;
    }
    if (this.#state === SessionState.CLOSED) return;
    const mustPause = this.#inflight >= this.#maxInflight || this.#writeBlocked;
    if (mustPause && !this.#readPaused) {
      this.#readPaused = true;
      this.#stream.pause();
      this.#log.debug('read_paused', { inflight: this.#inflight, write_blocked: this.#writeBlocked });
    } else if (!mustPause && this.#readPaused) {
      this.#readPaused = false;
      this.#stream.resume();
      this.#log.debug('read_resumed', { inflight: this.#inflight });
    }
    if (this.#framer.hasPartial && this.#timers.pduReadMs > 0) {
      const at = this.#lastRead + this.#timers.pduReadMs;
      if (at < this.#timerAt) this.#armAt(at);
    }
  }

  /** Framing is lost (SMPP 3.4 §3.1 command_length out of bounds): generic_nack ESME_RINVCMDLEN, then close. */
  #fatal(error: unknown): void {
    const status = error instanceof SmppFramingError ? error.commandStatus : CommandStatus.ESME_RSYSERR;
    this.#log.warn('framing_error', { error: error instanceof Error ? error.message : String(error) });
    this.#outbox.header(CommandId.generic_nack, status, 0);
    this.close(error instanceof SmppFramingError ? 'framing error' : 'reader error');
  }

  #onFrame(frame: Buffer): void {
    this.#lastActivity = this.#lastRead;
    let pdu: Pdu;
    try {
      pdu = decodePdu(frame);
    } catch (error) {
      this.#onDecodeError(error);
      return;
    }
    this.#counters?.pdusIn.add(CommandId[pdu.command], pdu.command_status);
    if (isResponse(CommandId[pdu.command])) {
      this.#onResponse(pdu);
      return;
    }
    const command = pdu.command;
    const verdict = gate(this.role, this.#state, command);
    if (verdict !== 0) {
      this.#refuse(CommandId[command], pdu.sequence_number, verdict);
      return;
    }
    switch (command) {
      case 'enquire_link':
        // SMPP 3.4 §4.11: answered at once, in any state.
        this.#counters?.onEnquireLink(true, this.#user);
        this.#outbox.header(CommandId.enquire_link_resp, 0, pdu.sequence_number);
        return;
      case 'unbind':
        this.#onPeerUnbind(pdu.sequence_number);
        return;
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver':
        this.#onBind(pdu as PduOf<BindCommand>);
        return;
      default:
        this.#dispatch(pdu);
    }
  }

  /** A recoverable decode error: the matching _resp (generic_nack for unknown ids) with the field's status. */
  #onDecodeError(error: unknown): void {
    if (!(error instanceof SmppDecodeError)) {
      // The codec promises only typed errors; anything else is a codec bug, not the peer's: answer, keep going.
      this.#log.error('decode_bug', { error: error instanceof Error ? error.message : String(error) });
      this.#outbox.header(CommandId.generic_nack, CommandStatus.ESME_RSYSERR, 0);
      return;
    }
    const { commandId, sequenceNumber, commandStatus } = error;
    this.#counters?.pdusIn.add(commandId, 0);
    this.#log.info('decode_error', {
      command: commandName(commandId),
      sequence: sequenceNumber,
      status: commandStatus,
      field: error.field,
    });
    if (isResponse(commandId)) {
      // A response we cannot read: fail the request it answers rather than let it wait for its timeout. Never
      // answer a response; an unknown response id is only logged.
      if (commandId === CommandId[commandName(commandId) as keyof typeof CommandId])
        this.#window.fail(sequenceNumber, error);
      return;
    }
    this.#refuse(commandId, sequenceNumber, commandStatus);
  }

  /** Answers a request we will not process: its _resp with `status`, or generic_nack when it has none. */
  #refuse(commandId: number, sequence: number, status: number): void {
    const respId = responseIdOf(commandId);
    this.#outbox.header(respId ?? CommandId.generic_nack, status, sequence);
    this.#log.debug('refused', { command: commandName(commandId), sequence, status, state: this.#state });
  }

  #onResponse(pdu: Pdu): void {
    if (pdu.command === 'unbind_resp' && pdu.sequence_number === this.#unbindSeq && this.#unbindSeq !== 0) {
      this.close('unbound');
      return;
    }
    const bind = this.#pendingBind;
    const result = this.#window.complete(pdu);
    if (
      result === 'matched' &&
      bind !== undefined &&
      pdu.sequence_number === bind.request.sequence_number &&
      pdu.command === `${bind.request.command}_resp` &&
      pdu.command_status === 0 &&
      this.#state === SessionState.OPEN
    ) {
      // Bound now, not when bind()'s caller resumes: a deliver_sm the SMSC sent right behind its bind_resp may be
      // the next frame of this very read, and SMPP 3.4 §4.6 lets it come as soon as the bind is answered.
      this.#becomeBound(bind.bindType, undefined, bind.systemId);
    }
    if (result !== 'matched') {
      this.#log.warn('unexpected_response', {
        command: pdu.command,
        sequence: pdu.sequence_number,
        status: pdu.command_status,
        why: result,
      });
    }
  }

  #dispatch(pdu: Pdu): void {
    const command = pdu.command as HandledCommand;
    const seq = pdu.sequence_number;
    const respId = RESPONSE_ID[command];
    const mt = this.role === 'server' && MT_COMMANDS.has(command);
    // Latency of MT responses, for the metrics: from here to the response queued for the socket.
    const started = mt && this.#counters !== undefined ? performance.now() : 0;
    if (mt) this.#counters?.onSubmitRequest(this.#user);
    const handler = this.#handlers[command] as
      | ((pdu: Pdu, ctx: HandlerContext<P>) => unknown | Promise<unknown>)
      | undefined;
    if (handler === undefined) {
      if (respId !== undefined) this.#answer(seq, respId, CommandStatus.ESME_RINVCMDID, mt, started);
      else this.#log.info('ignored', { command, sequence: seq });
      return;
    }
    let result: unknown;
    try {
      result = handler(pdu, this.#ctx);
    } catch (error) {
      this.#handlerFailed(pdu, error);
      result = CommandStatus.ESME_RSYSERR;
    }
    if (result === null || typeof result !== 'object' || typeof (result as Promise<unknown>).then !== 'function') {
      // Answered synchronously: never in flight across a tick, so no bookkeeping.
      if (respId !== undefined) this.#answer(seq, respId, result, mt, started);
      return;
    }
    this.#inflight++;
    if (this.#inflightSeqs.has(seq)) {
      // A duplicate of a sequence number still in flight: processed again and answered again (see docs).
      this.#dupSeqs ??= new Map();
      this.#dupSeqs.set(seq, (this.#dupSeqs.get(seq) ?? 0) + 1);
      this.#log.warn('duplicate_sequence', { command, sequence: seq });
    } else {
      this.#inflightSeqs.add(seq);
    }
    (result as Promise<unknown>).then(
      (value) => this.#settle(seq, respId, value, mt, started),
      (error: unknown) => {
        this.#handlerFailed(pdu, error);
        this.#settle(seq, respId, CommandStatus.ESME_RSYSERR, mt, started);
      },
    );
  }

  #handlerFailed(pdu: Pdu, error: unknown): void {
    this.#log.error('handler_error', {
      command: pdu.command,
      sequence: pdu.sequence_number,
      error: error instanceof Error ? error.message : String(error),
    });
  }

  #settle(seq: number, respId: number | undefined, result: unknown, mt: boolean, started: number): void {
    const dups = this.#dupSeqs?.get(seq);
    if (dups !== undefined) {
      if (dups <= 1) this.#dupSeqs!.delete(seq);
      else this.#dupSeqs!.set(seq, dups - 1);
    } else {
      this.#inflightSeqs.delete(seq);
    }
    this.#inflight--;
    if (this.#state !== SessionState.CLOSED) {
      if (respId !== undefined) this.#answer(seq, respId, result, mt, started);
      if (this.#inflight === 0) this.#onIdle();
      if (this.#readPaused) this.#drain();
    }
  }

  /** Encodes and queues response `respId` to request `seq` from a handler's result. */
  #answer(seq: number, respId: number, result: unknown, mt: boolean, started = 0): void {
    let status: number;
    let body: Record<string, unknown> | undefined;
    if (typeof result === 'number') {
      status = result;
    } else if (result !== null && typeof result === 'object') {
      body = result as Record<string, unknown>;
      const s = body.command_status;
      status = typeof s === 'number' ? s : 0;
    } else {
      status = CommandStatus.ESME_RSYSERR;
      this.#log.error('handler_result', {
        command: commandName(respId),
        sequence: seq,
        why: 'neither a status nor response fields',
      });
    }
    if (mt) {
      this.#counters?.onSubmitAnswered(
        status === 0 ? 'ok' : status === CommandStatus.ESME_RTHROTTLED ? 'throttled' : 'error',
        this.#user,
      );
      if (started > 0) this.#counters?.submitLatency.observe((performance.now() - started) / 1000);
    }
    const out = this.#outbox;
    if (body === undefined || (status !== 0 && body.tlvs === undefined && body.unsuccess_sme === undefined)) {
      // SMPP 3.4 §4.4.2 (and the other _resp): the body is not returned with a non-zero command_status.
      out.header(respId, status, seq);
      return;
    }
    if (MESSAGE_ID_ONLY.has(respId) && body.tlvs === undefined) {
      const id = body.message_id ?? '';
      if (typeof id === 'string' && out.messageIdResponse(respId, status, seq, id)) return;
    }
    const respName = commandName(respId);
    // Mandatory fields the handler left out are sent as NULL by the encoder.
    const response = { ...body, command: respName, command_status: status, sequence_number: seq } as Pdu;
    try {
      out.bytes(encodePdu(response));
    } catch (error) {
      this.#log.error('encode_error', {
        command: respName,
        sequence: seq,
        error: error instanceof Error ? error.message : String(error),
      });
      out.header(respId, CommandStatus.ESME_RSYSERR, seq);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Bind and unbind

  #onBind(pdu: PduOf<BindCommand>): void {
    const bindType = BIND_TYPE[pdu.command];
    const seq = pdu.sequence_number;
    const respId = responseIdOf(CommandId[pdu.command])!;
    const authenticate = this.#options.authenticate;
    this.#inflight++;
    const finish = (status: number, principal: P | undefined): void => {
      this.#inflight--;
      if (this.#state === SessionState.CLOSED) return;
      if (status === 0 && this.#state !== SessionState.OPEN) status = CommandStatus.ESME_RALYBND; // a bind raced it
      if (status === 0 && principal === undefined) status = CommandStatus.ESME_RBINDFAIL;
      if (status === 0 && this.#options.admit !== undefined) status = this.#options.admit(principal!, bindType, this);
      if (status !== 0) {
        this.#log.info('bind_refused', { system_id: pdu.system_id, bind_type: bindType, sequence: seq, status });
        this.#outbox.header(respId, status, seq);
      } else {
        let resp: Buffer | undefined;
        try {
          resp = encodePdu({
            command: commandName(respId),
            command_status: 0,
            sequence_number: seq,
            system_id: this.#options.systemId ?? '',
            tlvs: { sc_interface_version: SMPP_VERSION_34 },
          } as Pdu);
        } catch (error) {
          this.#log.error('encode_error', { command: commandName(respId), error: (error as Error).message });
        }
        if (resp === undefined) {
          this.#outbox.header(respId, CommandStatus.ESME_RSYSERR, seq);
        } else {
          this.#outbox.bytes(resp);
          this.#becomeBound(bindType, principal, pdu.system_id);
          this.#log.info('bound', { sequence: seq, principal: principal?.id });
        }
      }
      if (this.#inflight === 0) this.#onIdle();
      if (this.#readPaused) this.#drain();
    };
    if (authenticate === undefined) {
      finish(CommandStatus.ESME_RBINDFAIL, undefined);
      return;
    }
    authenticate({
      system_id: pdu.system_id,
      password: pdu.password,
      system_type: pdu.system_type,
      bindType,
      peerAddress: this.peerAddress,
    }).then(
      (result) => finish(result.status, result.principal),
      (error: unknown) => {
        this.#log.error('authenticator_error', { error: error instanceof Error ? error.message : String(error) });
        finish(CommandStatus.ESME_RBINDFAIL, undefined);
      },
    );
  }

  #becomeBound(bindType: BindType, principal: P | undefined, systemId: string): void {
    this.#bindType = bindType;
    this.#principal = principal;
    this.#log = this.#log.child({ system_id: systemId, bind_type: bindType });
    (this.#ctx as { principal: P | undefined }).principal = principal;
    if (principal !== undefined && this.#counters !== undefined) this.#user = this.#counters.user(principal.id);
    this.#setState(BOUND_STATE[bindType]);
    this.#counters?.onBind(bindType, this.#user);
    this.emit('bound', bindType, principal);
    this.#armTimer();
  }

  /** SMPP 3.4 §4.2: the peer unbinds. Stop taking work, let in-flight requests finish, answer, close. */
  #onPeerUnbind(seq: number): void {
    if (this.#unbindSeq !== 0 || this.#state === SessionState.OPEN) {
      // Crossed unbinds, or nothing bound: answer at once and go.
      this.#outbox.header(CommandId.unbind_resp, 0, seq);
      this.close('unbind');
      return;
    }
    if (this.#peerUnbindSeq >= 0) {
      this.#log.warn('duplicate_unbind', { sequence: seq });
      return;
    }
    this.#peerUnbindSeq = seq;
    this.#log.info('unbind_start', { by: 'peer', sequence: seq });
    if (this.#state !== SessionState.UNBOUND) this.#setState(SessionState.UNBOUND);
    this.#setDeadline(this.#timers.responseMs, 'unbind drain timeout');
    if (this.#inflight === 0) this.#onIdle();
  }

  /** Resolves when no inbound request is in flight. */
  #whenIdle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
    });
  }

  #onIdle(): void {
    if (this.#idleWaiters.length > 0) {
      const ws = this.#idleWaiters.splice(0);
      for (const w of ws) w();
    }
    if (this.#peerUnbindSeq >= 0 && this.#state === SessionState.UNBOUND) {
      this.#outbox.header(CommandId.unbind_resp, 0, this.#peerUnbindSeq);
      this.close('unbind');
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Output

  #sendRequest(request: AnyRequest): void {
    this.#outbox.bytes(encodePdu(request));
    const command = request.command;
    if (this.role === 'server' && (command === 'deliver_sm' || command === 'data_sm')) {
      this.#counters?.onDelivered(command, this.#user);
    }
  }

  /** After each batched write: activity for the timers, and write back-pressure. */
  readonly #onFlushed = (ok: boolean): void => {
    this.#lastActivity = this.#clock.now();
    this.#counters?.onSent();
    if (!ok && !this.#writeBlocked && this.#state !== SessionState.CLOSED) {
      // The peer is not reading our responses: stop reading its requests until the socket drains.
      this.#writeBlocked = true;
      this.#drain();
    }
  };

  readonly #onDrain = (): void => {
    if (!this.#writeBlocked) return;
    this.#writeBlocked = false;
    this.#drain();
  };

  // ---------------------------------------------------------------------------------------------------------------
  // State and timers

  #setState(next: SessionState): void {
    const prev = this.#state;
    if (prev === next) return;
    this.#state = next;
    if (isBound(prev) && !isBound(next) && this.#bindType !== undefined) {
      // The one place bound gauges go down, so an abrupt disconnect counts exactly like an unbind.
      this.#counters?.onUnbound(this.#bindType, this.#user, next === SessionState.UNBOUND);
    }
    this.emit('state', next, prev);
  }

  #setDeadline(ms: number, reason: string): void {
    this.#deadlineAt = ms > 0 ? this.#clock.now() + ms : Number.POSITIVE_INFINITY;
    this.#deadlineReason = reason;
    this.#armTimer();
  }

  /** The earliest deadline of every active timer. */
  #nextDeadline(): number {
    const t = this.#timers;
    let at = this.#deadlineAt;
    // While unbinding only the unbind deadline runs.
    if (t.inactivityMs > 0 && this.#state !== SessionState.UNBOUND) {
      at = Math.min(at, this.#lastActivity + t.inactivityMs);
    }
    if (this.#state === SessionState.OPEN && t.sessionInitMs > 0) at = Math.min(at, this.#openedAt + t.sessionInitMs);
    if (isBound(this.#state) && t.enquireLinkMs > 0 && !this.#elinkOutstanding) {
      at = Math.min(at, this.#lastActivity + t.enquireLinkMs);
    }
    if (t.pduReadMs > 0 && this.#framer.hasPartial) at = Math.min(at, this.#lastRead + t.pduReadMs);
    return at;
  }

  #armTimer(): void {
    if (this.#state === SessionState.CLOSED) return;
    const at = this.#nextDeadline();
    if (at !== this.#timerAt) this.#armAt(at);
  }

  #armAt(at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, at - this.#clock.now()));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#state === SessionState.CLOSED) return;
    const now = this.#clock.now();
    const t = this.#timers;
    if (now >= this.#deadlineAt) {
      this.#log.warn('timer_expired', { timer: this.#deadlineReason });
      this.close(this.#deadlineReason);
      return;
    }
    if (t.pduReadMs > 0 && this.#framer.hasPartial && now >= this.#lastRead + t.pduReadMs) {
      // SPEC.md §2 pduReadTimerSecs: a PDU stalled half-way.
      this.#log.warn('timer_expired', { timer: 'pduReadTimer' });
      this.#outbox.header(CommandId.generic_nack, CommandStatus.ESME_RINVCMDLEN, this.#framer.partialSequence ?? 0);
      this.close('pdu read timeout');
      return;
    }
    if (this.#state === SessionState.OPEN && t.sessionInitMs > 0 && now >= this.#openedAt + t.sessionInitMs) {
      this.#log.warn('timer_expired', { timer: 'sessionInitTimer' });
      this.close('session init timeout');
      return;
    }
    if (t.inactivityMs > 0 && this.#state !== SessionState.UNBOUND && now >= this.#lastActivity + t.inactivityMs) {
      this.#log.warn('timer_expired', { timer: 'inactivityTimer' });
      if (isBound(this.#state)) {
        // The drain is bounded by responseTimer, the wait for unbind_resp by sessionInitTimer.
        void this.unbind();
      } else {
        this.close('inactivity timeout');
      }
      return;
    }
    if (isBound(this.#state) && t.enquireLinkMs > 0 && !this.#elinkOutstanding) {
      if (now >= this.#lastActivity + t.enquireLinkMs) this.#sendEnquireLink();
    }
    this.#armTimer();
  };

  /** SPEC.md §2 enquireLinkTimerSecs: probe an idle link; no answer within responseTimer closes the session. */
  #sendEnquireLink(): void {
    this.#elinkOutstanding = true;
    this.enquireLink().then(
      (response) => {
        this.#elinkOutstanding = false;
        if (response.command_status !== 0) {
          this.#log.info('enquire_link_refused', { status: response.command_status });
        }
        this.#armTimer();
      },
      (error: unknown) => {
        this.#elinkOutstanding = false;
        if (this.#state !== SessionState.CLOSED) {
          this.#log.warn('enquire_link_unanswered', { error: error instanceof Error ? error.message : '' });
          this.close('enquire_link not answered');
        }
      },
    );
  }
}
