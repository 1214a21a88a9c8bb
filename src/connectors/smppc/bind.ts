// One upstream bind of an smppc connector: a TCP (or TLS) connection carrying a client-role SmppSession, bound as
// the connector says, and bound again after any failure or drop with exponential back-off and jitter. The connector
// sends submit_sm through `session`; inbound deliver_sm / data_sm go to the injected handler, whose answer (a status,
// or an ROK body) is only written once it resolved.

import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { CommandStatus, type PduOf, SmppStatusError, statusName } from '../../smpp/codec/index.js';
import { type HandlerResult, type SessionLogger, SessionState, SmppSession } from '../../smpp/session/index.js';
import { reconnectDelayMs } from './backoff.js';
import type { SmppcSettings } from './settings.js';

/** Wall-clock timers the bind uses for its reconnect waits (the connector's clock). */
export interface BindTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where a bind is in its life. */
export type BindStatus = 'idle' | 'connecting' | 'bound' | 'waiting' | 'stopped';

/** What an UpstreamBind needs. */
export interface UpstreamBindOptions {
  cid: string;
  /** 0, 1, … among the connector's binds (in session ids and logs). */
  index: number;
  settings: SmppcSettings;
  logger: SessionLogger;
  timers: BindTimers;
  random: () => number;
  /** An inbound deliver_sm or data_sm: resolves with the status to answer (ROK only once the gateway kept it). */
  onDeliver: (pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>) => Promise<number>;
  /** The bind is up (bound). */
  onUp: (bind: UpstreamBind) => void;
  /** The bind went down (refused, dropped, timed out); a reconnect is scheduled unless stopped. */
  onDown: (bind: UpstreamBind, reason: string) => void;
}

/** One connection to the upstream SMSC, kept bound. */
export class UpstreamBind {
  readonly index: number;
  #status: BindStatus = 'idle';
  #session: SmppSession | undefined;
  #socket: Duplex | undefined;
  #timer: unknown;
  #failures = 0;
  #generation = 0;
  #lastError: string | null = null;
  /** Message parts handed to this bind and not yet answered (the connector keeps it; the window is per bind). */
  inflight = 0;
  readonly #o: UpstreamBindOptions;
  readonly #log: SessionLogger;

  /** A bind that does nothing until start(). */
  constructor(options: UpstreamBindOptions) {
    this.#o = options;
    this.index = options.index;
    this.#log = options.logger.child({ bind: options.index });
  }

  /** Where the bind is. */
  get status(): BindStatus {
    return this.#status;
  }

  /** The bound session, or undefined. */
  get session(): SmppSession | undefined {
    return this.#status === 'bound' ? this.#session : undefined;
  }

  /** Bound as transmitter or transceiver: submit_sm may go out on it. */
  get canSubmit(): boolean {
    const s = this.#session?.state;
    return this.#status === 'bound' && (s === SessionState.BOUND_TX || s === SessionState.BOUND_TRX);
  }

  /** Failures in a row since the last successful bind. */
  get failures(): number {
    return this.#failures;
  }

  /** The last error seen (bind refusal, connection error, drop). */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** Connects and binds; keeps doing so after every failure until stop(). */
  start(): void {
    if (this.#status !== 'idle') return;
    this.#connect();
  }

  /** Unbinds cleanly (in-flight requests both ways finish first, bounded by the response timeout) and stays down. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    const wasBound = this.#status === 'bound';
    this.#status = 'stopped';
    this.#generation++;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const session = this.#session;
    if (session !== undefined && wasBound) await session.unbind();
    else session?.close('connector stopped');
    this.#socket?.destroy();
  }

  /** Drops the connection now (tests, and a lease lost: no unbind). */
  abort(reason: string): void {
    this.#session?.close(reason);
    this.#socket?.destroy();
  }

  #connect(): void {
    const s = this.#o.settings;
    const generation = ++this.#generation;
    this.#status = 'connecting';
    const socket: net.Socket = s.tls
      ? tls.connect({
          host: s.host,
          port: s.port,
          servername: net.isIP(s.host) === 0 ? s.host : undefined,
          rejectUnauthorized: !s.tls_insecure,
          ...(s.tls_ca !== null ? { ca: s.tls_ca } : {}),
          ...(s.tls_ciphers !== null ? { ciphers: s.tls_ciphers } : {}),
        })
      : net.connect({ host: s.host, port: s.port });
    this.#socket = socket;
    const timeoutMs = s.response_timeout_secs * 1000;
    // A SYN into the void would otherwise wait for the OS's own timeout (minutes).
    const connectTimer = setTimeout(
      () => socket.destroy(new Error(`connect timeout after ${timeoutMs} ms`)),
      timeoutMs,
    );
    connectTimer.unref();
    let sessionStarted = false;
    socket.once('error', (error: Error) => {
      clearTimeout(connectTimer);
      if (!sessionStarted) this.#failed(generation, `connect ${s.host}:${s.port}: ${error.message}`);
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      if (!sessionStarted) this.#failed(generation, `connection to ${s.host}:${s.port} closed before bind`);
    });
    socket.once(s.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      if (generation !== this.#generation) {
        socket.destroy();
        return;
      }
      sessionStarted = true;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      void this.#bind(generation, socket);
    });
  }

  async #bind(generation: number, socket: net.Socket): Promise<void> {
    const o = this.#o;
    const s = o.settings;
    const session = new SmppSession(socket, {
      role: 'client',
      id: `${o.cid}#${o.index}`,
      peerAddress: `${s.host}:${s.port}`,
      // One slot more than the submit window, so an enquire_link never waits behind submits.
      windowSize: s.window + 1,
      timers: {
        enquireLinkMs: s.enquire_link_secs * 1000,
        responseMs: s.response_timeout_secs * 1000,
        // enquire_link watches the link; no PDU either way for a while is not a reason to leave.
        inactivityMs: 0,
        sessionInitMs: s.response_timeout_secs * 1000,
      },
      logger: this.#log,
      handlers: {
        deliver_sm: (pdu) => this.#deliver(pdu) as Promise<HandlerResult<'deliver_sm'>>,
        data_sm: (pdu) => this.#deliver(pdu) as Promise<HandlerResult<'data_sm'>>,
      },
    });
    this.#session = session;
    session.once('close', (reason) => {
      if (this.#status === 'bound' && generation === this.#generation) o.onDown(this, reason);
      this.#failed(generation, `connection lost: ${reason}`);
    });
    try {
      // SMPP 3.4 §4.1: bind_transmitter / bind_receiver / bind_transceiver, interface_version 0x34.
      await session.bind(s.bind, {
        system_id: s.system_id,
        password: s.password,
        system_type: s.system_type,
        interface_version: 0x34,
        addr_ton: 0,
        addr_npi: 0,
        address_range: s.address_range,
      });
    } catch (error) {
      const why =
        error instanceof SmppStatusError
          ? `bind refused: ${statusName(error.commandStatus)}`
          : `bind failed: ${error instanceof Error ? error.message : String(error)}`;
      session.close(why);
      return;
    }
    if (generation !== this.#generation || this.#status === 'stopped') {
      // Stopped while the bind was in flight.
      void session.unbind();
      return;
    }
    this.#failures = 0;
    this.#status = 'bound';
    this.#log.info('upstream_bound', { bind_type: s.bind });
    o.onUp(this);
  }

  async #deliver(pdu: PduOf<'deliver_sm'> | PduOf<'data_sm'>): Promise<number | { message_id: string }> {
    const status = await this.#o.onDeliver(pdu);
    // SMPP 3.4 §4.6.2: deliver_sm_resp carries a NULL message_id; an error status goes without a body.
    return status === CommandStatus.ESME_ROK ? { message_id: '' } : status;
  }

  /** A connection or bind attempt of `generation` ended: wait, then try again (unless stopped or superseded). */
  #failed(generation: number, reason: string): void {
    if (generation !== this.#generation || this.#status === 'stopped' || this.#status === 'waiting') return;
    this.#lastError = reason;
    this.#session = undefined;
    this.#socket = undefined;
    this.#failures++;
    this.#status = 'waiting';
    const s = this.#o.settings;
    const delay = reconnectDelayMs(
      this.#failures,
      s.reconnect_delay_secs * 1000,
      s.reconnect_max_delay_secs * 1000,
      this.#o.random,
    );
    this.#log.warn('upstream_down', { reason, failures: this.#failures, retry_in_ms: delay });
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = undefined;
      if (generation === this.#generation && this.#status === 'waiting') this.#connect();
    }, delay);
  }
}
