// The HTTP MO connector (`type: http`; issue #5): while started, it posts the MO calls queued under `http:<cid>` (by
// HttpMoSink) to its URL with its method, in order, retried with back-off until the application answers 2xx (and
// `ack_body` when set), given up after `max_age_secs` with an error line. Queued calls always go to the connector's
// current URL and method, so fixing a wrong URL helps what already waits. The connector manager runs it.

import type { ConnectorRecord } from '../../store/model.js';
import { HTTP_MO_PREFIX } from './moSink.js';
import { HttpOutbox, type OutboxLogger, type OutboxStore, type OutboxTimers } from './outbox.js';
import { type HttpConnectorSettings, parseHttpConnectorSettings } from './settings.js';

/** Live state of a connector as the admin API shows it (the shape of src/api/admin/control.ts's ConnectorLiveState). */
export interface HttpConnectorLiveState {
  /** `stopped`, `started` (posting), `failing` (started, the last call failed), or `error` (bad settings). */
  state: string;
  /** HTTP connectors hold no binds: always 0. */
  binds: number;
  last_error: string | null;
  /** Calls sent (2xx), failed attempts, given up, in flight now: since the last start. */
  counters?: Readonly<Record<string, number>>;
}

/** What the connector manager hands a connector factory. */
export interface HttpConnectorContext {
  record: ConnectorRecord;
  store: OutboxStore;
  logger: OutboxLogger;
  /** Wall clock, epoch ms; default Date. The manager's clock also has timers, which are then used. */
  clock?: { now(): number } | ({ now(): number } & OutboxTimers);
  /** Timers of the outbox; default the clock's when it has them, else Node's (unref'd). */
  timers?: OutboxTimers;
}

/** A running HTTP MO connector: the connector manager's Connector shape. */
export interface HttpConnector {
  readonly cid: string;
  /** Checks the settings (HttpConnectorSettingsError names a bad key) and starts posting. */
  start(): Promise<void>;
  /** Stops posting; calls in flight get a short grace, then are aborted and sent again after the next start. */
  stop(): Promise<void>;
  /** Calls were queued: post them now. */
  notify(): void;
  state(): HttpConnectorLiveState;
  /** Started and its last call did not fail: what failover and round-robin MO routes ask. */
  isUp(): boolean;
}

/** Makes the HTTP MO connector of `ctx.record` (type `http`); nothing runs before start(). */
export function createHttpConnector(ctx: HttpConnectorContext): HttpConnector {
  const cid = ctx.record.cid;
  let outbox: HttpOutbox | null = null;
  let settingsError: string | null = null;

  const clock = ctx.clock;
  const timers = ctx.timers ?? (clock !== undefined && 'setTimeout' in clock ? clock : undefined);
  const build = (s: HttpConnectorSettings): HttpOutbox =>
    new HttpOutbox({
      store: ctx.store,
      logger: ctx.logger,
      ...(clock !== undefined ? { clock } : {}),
      ...(timers !== undefined ? { timers } : {}),
      prefix: HTTP_MO_PREFIX,
      targets: [cid],
      endpoint: { url: s.url, method: s.method },
      kind: 'mo',
      timeoutMs: s.timeout_secs * 1000,
      retryDelayMs: s.retry_delay_secs * 1000,
      maxRetryDelayMs: s.max_retry_delay_secs * 1000,
      concurrency: s.concurrency,
      ackBody: s.ack_body,
      userAgent: 'smppgate http connector',
    });

  return {
    cid,
    async start() {
      if (outbox !== null) return;
      let settings: HttpConnectorSettings;
      try {
        settings = parseHttpConnectorSettings(ctx.record.settings);
      } catch (error) {
        settingsError = error instanceof Error ? error.message : String(error);
        ctx.logger.error('connector_settings_invalid', { cid, type: 'http', error: settingsError });
        throw error;
      }
      settingsError = null;
      outbox = build(settings);
      outbox.start();
      ctx.logger.info('connector_started', { cid, type: 'http', url: settings.url, method: settings.method });
    },
    async stop() {
      const o = outbox;
      outbox = null;
      if (o === null) return;
      await o.stop();
      ctx.logger.info('connector_stopped', { cid, type: 'http' });
    },
    notify() {
      outbox?.notify(cid);
    },
    state() {
      if (outbox === null) {
        return { state: settingsError !== null ? 'error' : 'stopped', binds: 0, last_error: settingsError };
      }
      const h = outbox.health(cid);
      const c = outbox.counters();
      return {
        state: h.failing ? 'failing' : 'started',
        binds: 0,
        last_error: h.lastError,
        counters: { sent: c.sent, failed: c.failed, given_up: c.givenUp, in_flight: c.inFlight },
      };
    },
    isUp() {
      return outbox !== null && !outbox.health(cid).failing;
    },
  };
}
