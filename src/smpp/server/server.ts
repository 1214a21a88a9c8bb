// The SMPP server: TCP and TLS listeners that hand each socket to an SmppSession (role 'server'), plus what only a
// server can know — the connection cap, the slow-down of failed binds per address and per system_id, and the
// registry of bound
// sessions per principal (max_bindings, round-robin delivery of receipts and MO).

import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { type SecureVersion } from 'node:tls';
import { CommandStatus } from '../codec/index.js';
import { type Clock, systemClock } from '../session/clock.js';
import { type BindType, ServerCounters } from '../session/counters.js';
import type { SessionState } from '../session/gate.js';
import { type SessionLogger, silentLogger } from '../session/log.js';
import {
  type Authenticator,
  type BindRequest,
  type BindResult,
  type Handlers,
  type Principal,
  type SessionTimers,
  SmppSession,
} from '../session/session.js';
import { MODERN_TLS_CIPHERS } from '../tlsCiphers.js';

/** A principal as the server sees it: the gateway's user, with the smpps `max_bindings` quota. */
export interface ServerPrincipal extends Principal {
  /** Quota `max_bindings` (all bind types counted); null or undefined: unlimited. */
  readonly maxBindings?: number | null;
}

/** The TLS listener (`[smpp-server-tls]`): PEM contents, not paths — the composition root reads the files. */
export interface TlsListenOptions {
  bind?: string;
  port?: number;
  cert: string | Buffer;
  key: string | Buffer;
  /** Lowest TLS version accepted; default TLSv1.2. */
  minVersion?: SecureVersion;
  /** OpenSSL cipher string; default MODERN_TLS_CIPHERS (TLS 1.2: ECDHE with AEAD only). The server's order wins. */
  ciphers?: string;
}

/**
 * Slow-down of failed binds, kept per address AND per system_id: the n-th failure in a row waits
 * min(baseMs·2^(n-2), maxMs), n being the larger of the address's and the system_id's counts.
 */
export interface BindSlowdownOptions {
  /** Delay of the second failure in a row (the first is answered at once); 0 disables. Default 1,000 ms. */
  baseMs?: number;
  /** Ceiling. Default 8,000 ms. */
  maxMs?: number;
  /** An address with no failure for this long starts afresh. Default 10 minutes. */
  forgetMs?: number;
  /** Addresses remembered at most, and as many system_ids (oldest forgotten first). Default 100,000. */
  maxAddresses?: number;
}

/** Options of an SMPP server. */
export interface SmppServerOptions<P extends ServerPrincipal = ServerPrincipal> {
  /** The server id (`[smpp-server] id`): system_id of every bind_*_resp and a prefix of session ids. */
  id: string;
  /** TCP listen address (`bind`); default 0.0.0.0. */
  bind?: string;
  /** TCP port; 0 picks a free one; default 2775. `null`: no plain TCP listener. */
  port?: number | null;
  /** TLS listener; absent: none. */
  tls?: TlsListenOptions;
  /** Checks credentials (account store). */
  authenticate: Authenticator<P>;
  /** Request handlers (the MT pipeline and friends). */
  handlers?: Handlers<P>;
  timers?: Partial<SessionTimers>;
  /** Outbound window per session (deliver_sm…). */
  windowSize?: number;
  /** Inbound requests in flight per session before its socket pauses. */
  maxInflight?: number;
  /** Largest command_length accepted. */
  maxCommandLength?: number;
  /** Connections open at once (TCP and TLS together); beyond it new ones are closed at once. Default 10,000. */
  maxConnections?: number;
  bindSlowdown?: BindSlowdownOptions;
  clock?: Clock;
  logger?: SessionLogger;
  counters?: ServerCounters;
  /** Called with every new session, before it reads anything (the composition root listens to its `bound` event). */
  onSession?: (session: SmppSession<P>) => void;
}

/** Where the listeners ended up (port 0 resolves to the real port). */
export interface ListenAddresses {
  tcp?: AddressInfo;
  tls?: AddressInfo;
}

interface FailureRecord {
  count: number;
  lastAt: number;
}

const BIND_STATES: ReadonlySet<SessionState> = new Set<SessionState>(['BOUND_TX', 'BOUND_RX', 'BOUND_TRX']);

/** The SMPP server. `listen()` opens the listeners; `close()` unbinds everyone, waits, and stops. */
export class SmppServer<P extends ServerPrincipal = ServerPrincipal> {
  readonly id: string;
  readonly counters: ServerCounters;
  readonly #options: SmppServerOptions<P>;
  readonly #clock: Clock;
  readonly #log: SessionLogger;
  readonly #sessions = new Set<SmppSession<P>>();
  readonly #bound = new Map<string, SmppSession<P>[]>();
  readonly #rr = new Map<string, number>();
  readonly #failures = new Map<string, FailureRecord>();
  // Per system_id as well: an attacker spreading guesses for one user over many addresses is slowed all the same.
  readonly #userFailures = new Map<string, FailureRecord>();
  readonly #maxConnections: number;
  #tcp: net.Server | undefined;
  #tls: tls.Server | undefined;
  #sessionNumber = 0;
  #closing: Promise<void> | undefined;

  constructor(options: SmppServerOptions<P>) {
    // SMPP 3.4 §4.1.2: system_id is a C-octet string of at most 16 octets; the id goes into every bind_*_resp.
    if (!/^[\x01-\xff]{0,15}$/.test(options.id)) {
      throw new RangeError(
        `server id ${JSON.stringify(options.id)} does not fit system_id (at most 15 Latin-1 characters)`,
      );
    }
    this.#options = options;
    this.id = options.id;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ server: options.id });
    this.counters = options.counters ?? new ServerCounters();
    this.#maxConnections = options.maxConnections ?? 10_000;
  }

  /** Opens the TCP listener (unless port is null) and the TLS listener (if configured). */
  async listen(): Promise<ListenAddresses> {
    const out: ListenAddresses = {};
    const o = this.#options;
    if (o.port !== null) {
      const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.#accept(socket));
      server.on('error', (error) => this.#log.error('listener_error', { transport: 'tcp', error: error.message }));
      this.#tcp = server;
      server.listen(o.port ?? 2775, o.bind ?? '0.0.0.0');
      await once(server, 'listening');
      out.tcp = server.address() as AddressInfo;
      this.#log.info('listening', { transport: 'tcp', address: out.tcp.address, port: out.tcp.port });
    }
    if (o.tls !== undefined) {
      const t = o.tls;
      const server = tls.createServer(
        {
          cert: t.cert,
          key: t.key,
          minVersion: t.minVersion ?? 'TLSv1.2',
          ciphers: t.ciphers ?? MODERN_TLS_CIPHERS,
          honorCipherOrder: true,
          noDelay: true,
          handshakeTimeout: o.timers?.sessionInitMs || 30_000,
        },
        (socket) => this.#accept(socket),
      );
      server.on('tlsClientError', (error, socket) => {
        this.#log.info('tls_handshake_failed', { peer: socket.remoteAddress, error: error.message });
      });
      server.on('error', (error) => this.#log.error('listener_error', { transport: 'tls', error: error.message }));
      this.#tls = server;
      server.listen(t.port ?? 3550, t.bind ?? o.bind ?? '0.0.0.0');
      await once(server, 'listening');
      out.tls = server.address() as AddressInfo;
      this.#log.info('listening', { transport: 'tls', address: out.tls.address, port: out.tls.port });
    }
    return out;
  }

  /** Sessions currently open (bound or not). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Every open session. */
  sessions(): SmppSession<P>[] {
    return [...this.#sessions];
  }

  /** The bound sessions of principal `id`, in bind order. */
  boundSessions(id: string): readonly SmppSession<P>[] {
    return this.#bound.get(id) ?? [];
  }

  /**
   * The next of principal `id`'s receiver and transceiver sessions, round-robin (SPEC.md §5: never a transmitter
   * bind), or undefined when none is bound.
   */
  nextReceiver(id: string): SmppSession<P> | undefined {
    const list = this.#bound.get(id);
    if (list === undefined) return undefined;
    const n = list.length;
    const start = this.#rr.get(id) ?? 0;
    for (let i = 0; i < n; i++) {
      const s = list[(start + i) % n];
      if (s.state === 'BOUND_RX' || s.state === 'BOUND_TRX') {
        this.#rr.set(id, (start + i + 1) % n);
        return s;
      }
    }
    return undefined;
  }

  /** Runs a session over any duplex stream (the listeners use it; tests may hand it in-memory streams). */
  handle(stream: Duplex, peerAddress = ''): SmppSession<P> {
    const o = this.#options;
    const id = `${this.id}-${++this.#sessionNumber}`;
    const session = new SmppSession<P>(stream, {
      role: 'server',
      id,
      systemId: this.id,
      peerAddress,
      authenticate: (request) => this.#authenticate(request),
      admit: (principal, bindType, s) => this.#admit(principal, bindType, s),
      handlers: o.handlers,
      timers: o.timers,
      windowSize: o.windowSize,
      maxInflight: o.maxInflight,
      maxCommandLength: o.maxCommandLength,
      clock: this.#clock,
      logger: this.#log,
      counters: this.counters,
    });
    this.#sessions.add(session);
    session.once('close', () => {
      this.#sessions.delete(session);
      this.#unregister(session);
    });
    o.onSession?.(session);
    return session;
  }

  /**
   * Stops listening, unbinds every bound session (each drains its in-flight work first), closes the others, and
   * resolves once all are closed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stops: Promise<unknown>[] = [];
      for (const server of [this.#tcp, this.#tls]) {
        if (server?.listening) stops.push(new Promise((resolve) => server.close(resolve)));
      }
      const sessions = [...this.#sessions];
      await Promise.all(
        sessions.map((s) => {
          if (BIND_STATES.has(s.state)) return s.unbind();
          s.close('server shutting down');
          return s.closed;
        }),
      );
      await Promise.all(stops);
      this.#log.info('server_closed');
    })();
    return this.#closing;
  }

  #accept(socket: net.Socket): void {
    const peer = socket.remoteAddress ?? '';
    socket.on('error', () => {}); // the session logs stream errors; this only covers the window before it exists
    if (this.#closing !== undefined || this.#sessions.size >= this.#maxConnections) {
      this.#log.warn('connection_refused', {
        peer,
        why: this.#closing !== undefined ? 'shutting down' : 'max connections',
        max: this.#maxConnections,
      });
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.handle(socket, peer);
  }

  /** Wraps the injected authenticator with the slow-down of failed binds (per address and per system_id). */
  async #authenticate(request: BindRequest): Promise<BindResult<P>> {
    let result: BindResult<P>;
    try {
      result = await this.#options.authenticate(request);
    } catch (error) {
      this.#log.error('authenticator_error', {
        system_id: request.system_id,
        error: error instanceof Error ? error.message : String(error),
      });
      result = { status: CommandStatus.ESME_RBINDFAIL };
    }
    const address = request.peerAddress;
    if (result.status === 0) {
      this.#failures.delete(address);
      this.#userFailures.delete(request.system_id);
      return result;
    }
    // Only failures are held, so a slowed-down user with the right password still binds at once (no lock-out).
    const delay = Math.max(
      this.#recordFailure(this.#failures, address),
      this.#recordFailure(this.#userFailures, request.system_id),
    );
    if (delay > 0) {
      this.#log.info('bind_slowdown', { peer: address, system_id: request.system_id, delay_ms: delay });
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, delay));
    }
    return result;
  }

  /** Counts a failed bind under `key` (an address or a system_id) in `failures`; returns how long to hold it. */
  #recordFailure(failures: Map<string, FailureRecord>, key: string): number {
    const o = this.#options.bindSlowdown ?? {};
    const base = o.baseMs ?? 1000;
    const max = o.maxMs ?? 8000;
    const forget = o.forgetMs ?? 600_000;
    const now = this.#clock.now();
    let rec = failures.get(key);
    if (rec !== undefined && now - rec.lastAt > forget) rec = undefined;
    if (rec === undefined) {
      rec = { count: 0, lastAt: now };
      const cap = o.maxAddresses ?? 100_000;
      if (failures.size >= cap) {
        const oldest = failures.keys().next();
        if (!oldest.done) failures.delete(oldest.value);
      }
    } else {
      failures.delete(key); // re-insert: the map stays ordered by last failure
    }
    rec.count++;
    rec.lastAt = now;
    failures.set(key, rec);
    return rec.count <= 1 ? 0 : Math.min(max, base * 2 ** (rec.count - 2));
  }

  /** Synchronous admission: max_bindings (SPEC.md §2: all bind types counted) and registration. */
  #admit(principal: P, bindType: BindType, session: SmppSession<P>): number {
    const list = this.#bound.get(principal.id);
    const count = list?.length ?? 0;
    const max = principal.maxBindings;
    if (max !== null && max !== undefined && count >= max) {
      this.#log.info('bind_refused_max_bindings', {
        session: session.id,
        system_id: principal.id,
        bind_type: bindType,
        max_bindings: max,
      });
      return CommandStatus.ESME_RBINDFAIL;
    }
    if (list === undefined) this.#bound.set(principal.id, [session]);
    else list.push(session);
    return 0;
  }

  #unregister(session: SmppSession<P>): void {
    const principal = session.principal;
    if (principal === undefined) return;
    const list = this.#bound.get(principal.id);
    if (list === undefined) return;
    const i = list.indexOf(session);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.#bound.delete(principal.id);
      this.#rr.delete(principal.id);
    }
  }
}
