// Jasmin's HTTP API (SPEC.md §6, issue #6; docs/http-api.md): `/send`, `/balance`, `/rate`, `/ping` on their own
// port. Thin, as the api layer is: read and check the arguments, authenticate, then hand each part of the message to
// the MT pipeline (the same checks, routing, billing and durable enqueue as SMPP) and answer in Jasmin's words —
// `Success "<message_id>"` / `Error "<reason>"` for /send, JSON for /balance and /rate.

import {
  type IncomingMessage,
  maxHeaderSize,
  type RequestListener,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Accounts } from '../../gateway/accounts.js';
import { billMessage, checkCredit } from '../../gateway/billing.js';
import { checkMt, type MtRequest } from '../../gateway/credentials.js';
import { billedParts } from '../../gateway/mtHandlers.js';
import type { PasswordVerifier } from '../../gateway/password.js';
import { contentText, type MtPipeline, type MtSubmission, type WallClock } from '../../gateway/pipeline.js';
import { RoundRobin, routeMt } from '../../gateway/routing.js';
import { CommandStatus, formatAbsoluteTime } from '../../smpp/codec/index.js';
import type { Group, HttpDlr, UserRecord } from '../../store/model.js';
import type { Store } from '../../store/store.js';
import { type BuiltContent, buildContent, type SplitSettings } from './content.js';
import {
  authenticationFailure,
  authorizationFailure,
  chargingFailure,
  filterOfStatus,
  HttpApiError,
  noRoute,
  refusalToHttp,
  valueFilterFailure,
} from './errors.js';
import {
  balanceArgs,
  type Credentials,
  type MessageArgs,
  rateArgs,
  readArgs,
  type SendArgs,
  sendArgs,
} from './params.js';

/** The store methods the HTTP API uses (fresh quotas, routes for /rate, undoing a half-accepted long message). */
export type HttpApiStore = Pick<Store, 'getUser' | 'listMtRoutes' | 'cancelMessage' | 'credit'>;

/** Structured log lines of the HTTP API. */
export interface HttpApiLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** The `[http-api]` keys the API reads. */
export interface HttpApiSettings {
  long_content_max_parts: number;
  long_content_split: 'udh' | 'sar';
}

/** What createHttpApi needs. */
export interface HttpApiOptions {
  pipeline: Pick<MtPipeline, 'submit'>;
  accounts: Pick<Accounts, 'userByUsername' | 'group'>;
  store: HttpApiStore;
  /** Verifies passwords (share the SMPP server's, so its cache of proven passwords serves both). */
  passwords: Pick<PasswordVerifier, 'verify'>;
  settings: HttpApiSettings;
  /** `[smpp-server] billing_feature`: false makes messages free (no credit check). Default true. */
  billingFeature?: boolean;
  logger: HttpApiLogger;
  /** Gets one line per request (`[http-api] access_log`); absent: no access log. */
  accessLog?: Pick<HttpApiLogger, 'info'>;
  clock?: WallClock;
  /** Whether a connector is up (failover and round-robin routes in /rate); default all up. */
  isConnectorUp?: (cid: string) => boolean;
}

/** An authenticated caller. */
interface Caller {
  user: UserRecord;
  group: Group;
}

/** What one request answered, for the access log. */
interface Outcome {
  status: number;
  username?: string;
  messageIds?: string[];
  error?: string;
}

// A validity-period past this many minutes (a year) is the same as the gateway's longest validity, which the pipeline
// applies anyway (max_validity_secs); capping first keeps the SMPP time writable.
const MAX_VALIDITY_MINUTES = 366 * 24 * 60;

/** SMPP 3.4 §5.2.5 / §5.2.6: TON international / alphanumeric / unknown, NPI ISDN / unknown. */
const TON_UNKNOWN = 0;
const TON_INTERNATIONAL = 1;
const TON_ALPHANUMERIC = 5;
const NPI_UNKNOWN = 0;
const NPI_ISDN = 1;

/** A destination as given (`+33…` or digits): the digits, TON international when written with `+`. */
function destination(to: string): { addr: string; ton: number; npi: number } {
  if (to.startsWith('+')) return { addr: to.slice(1), ton: TON_INTERNATIONAL, npi: NPI_ISDN };
  return { addr: to, ton: TON_UNKNOWN, npi: NPI_ISDN };
}

/** A source as given: digits (international with `+`), or an alphanumeric sender id. */
function source(from: string | null): { addr: string; ton: number; npi: number } {
  if (from === null || from === '') return { addr: '', ton: TON_UNKNOWN, npi: NPI_UNKNOWN };
  if (/^\+\d+$/u.test(from)) return { addr: from.slice(1), ton: TON_INTERNATIONAL, npi: NPI_ISDN };
  if (/^\d+$/u.test(from)) return { addr: from, ton: TON_UNKNOWN, npi: NPI_ISDN };
  return { addr: from, ton: TON_ALPHANUMERIC, npi: NPI_UNKNOWN };
}

/** The HTTP API's request listener, and `drain()` to wait for the requests in progress at shutdown. */
export type HttpApiListener = RequestListener & {
  /** Resolves once every request being processed has been answered. */
  drain(): Promise<void>;
  /**
   * The server's `clientError` handler: what node:http refuses before a request reaches the listener (request line
   * and headers over its limit, a request it cannot parse, one not received in time) answered in Jasmin's words.
   */
  clientError(error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void;
};

/** Builds Jasmin's HTTP API as a node:http request listener (the composition root listens on `[http-api]`). */
export function createHttpApi(options: HttpApiOptions): HttpApiListener {
  const { pipeline, accounts, store, passwords, logger, accessLog } = options;
  const clock = options.clock ?? Date;
  const billing = options.billingFeature ?? true;
  const isConnectorUp = options.isConnectorUp ?? (() => true);
  const roundRobin = new RoundRobin();
  let ref = Math.floor(Math.random() * 0x10000);
  const split: SplitSettings = {
    split: options.settings.long_content_split,
    maxParts: options.settings.long_content_max_parts,
    nextRef: (max) => {
      ref = (ref + 1) % 0x10000;
      return ref % (max + 1);
    },
  };
  let inflight = 0;
  let idle: (() => void)[] = [];

  /** Jasmin's authentication: unknown user, wrong password, disabled user or group all answer the same 403. */
  async function authenticate(credentials: Credentials): Promise<Caller> {
    const { username, password } = credentials;
    const user = await accounts.userByUsername(username);
    const ok = await passwords.verify(username, password, user?.password_hash ?? null);
    if (!ok || user === null || !user.enabled) throw authenticationFailure(username);
    const group = await accounts.group(user.gid);
    if (group === null || !group.enabled) throw authenticationFailure(username);
    return { user, group };
  }

  /** Jasmin's /send authorization checks, in its order and words (credentials.ts repeats them in the pipeline). */
  function authorizeSend(user: UserRecord, a: SendArgs, parts: number): void {
    const auth = user.mt_messaging_cred.authorizations;
    const deny = (why: string) => authorizationFailure(user.username, why);
    if (!auth.http_send) throw deny('Cannot send MT messages');
    if (parts > 1 && !auth.long_content) throw deny('Long content not authorized');
    if (a.dlr !== null && !auth.dlr_level) throw deny('Setting dlr level not authorized');
    if (a.from !== null && !auth.src_addr) throw deny('Setting source address not authorized');
    if (a.priority !== null && a.priority > 0 && !auth.priority) throw deny('Setting priority not authorized');
    if (a.validityMinutes !== null && !auth.validity_period) throw deny('Setting validity period not authorized');
    if (a.hexContent !== null && !auth.hex_content) throw deny('Setting hex content not authorized');
    if (a.sdt !== null && !auth.schedule_delivery_time) throw deny('Setting schedule delivery time not authorized');
  }

  /** The value filters (credentials.ts checkMt) with Jasmin's answer; the source address with the default applied. */
  function filterMessage(user: UserRecord, a: MessageArgs, built: BuiltContent, sdt: string | null, dlr: boolean) {
    const bytes = built.parts.length === 1 ? built.parts[0].short_message : wholeText(built);
    const request: MtRequest = {
      channel: 'http',
      source_addr: source(a.from).addr,
      destination_addr: destination(a.to).addr,
      registered_delivery: dlr ? 1 : 0,
      priority_flag: a.priority ?? 0,
      validity_period: a.validityMinutes === null ? null : String(a.validityMinutes),
      schedule_delivery_time: sdt,
      content: contentText(bytes, built.dataCoding),
      esm_class: 0,
      sar: false,
      message_payload_length: null,
      parts: built.parts.length,
      hex_content: a.hexContent !== null,
    };
    const check = checkMt(user, request);
    if (!check.ok) {
      if (check.status === 'ESME_RINVSYSID') throw authorizationFailure(user.username, check.reason);
      throw valueFilterFailure(user.username, filterOfStatus(CommandStatus[check.status]));
    }
    return { content: request.content, sourceAddr: check.request.source_addr };
  }

  /** The route a message would take now (/rate, and the whole-price check of a long /send), or 412. */
  async function routeFor(caller: Caller, a: MessageArgs, sourceAddr: string, content: string) {
    const routes = await store.listMtRoutes();
    const choice = routeMt(
      routes,
      {
        uid: caller.user.uid,
        gid: caller.group.gid,
        source_addr: sourceAddr,
        destination_addr: destination(a.to).addr,
        content,
        tags: a.tags,
        now: clock.now(),
      },
      { isConnectorUp, nextIndex: roundRobin.nextIndex },
    );
    if (choice === null) throw noRoute();
    return choice;
  }

  /** The submissions of one /send request, one per part. */
  function submissions(a: SendArgs, built: BuiltContent): MtSubmission[] {
    const src = source(a.from);
    const dst = destination(a.to);
    const now = clock.now();
    const minutes = a.validityMinutes === null ? null : Math.min(a.validityMinutes, MAX_VALIDITY_MINUTES);
    const validity = minutes === null ? '' : formatAbsoluteTime(new Date(now + minutes * 60_000));
    const dlr: HttpDlr | null = a.dlr === null ? null : { url: a.dlr.url, method: a.dlr.method, level: a.dlr.level };
    return built.parts.map((part) => ({
      service_type: '',
      source_addr_ton: src.ton,
      source_addr_npi: src.npi,
      source_addr: src.addr,
      dest_addr_ton: dst.ton,
      dest_addr_npi: dst.npi,
      destination_addr: dst.addr,
      esm_class: part.esm_class,
      protocol_id: 0,
      priority_flag: a.priority ?? 0,
      schedule_delivery_time: a.sdt ?? '',
      validity_period: validity,
      // SMPP 3.4 §5.2.17: a final receipt from the upstream, which the gateway turns into the dlr-url calls.
      registered_delivery: dlr === null ? 0 : 1,
      data_coding: built.dataCoding,
      short_message: part.short_message,
      ...(part.tlvs !== undefined ? { tlvs: part.tlvs } : {}),
      ...(a.tags.length > 0 ? { tags: a.tags } : {}),
      ...(a.hexContent !== null ? { hex_content: true } : {}),
      ...(dlr !== null ? { dlr } : {}),
    }));
  }

  /** Gives back the parts of a long message accepted before a later part was refused (as cancel_sm does). */
  async function undo(caller: Caller, ids: readonly string[]): Promise<string[]> {
    const kept: string[] = [];
    const smsCountQuota = caller.user.mt_messaging_cred.quotas.sms_count !== null;
    for (const id of ids) {
      try {
        const result = await store.cancelMessage(caller.user.uid, id);
        if (!result.ok) {
          kept.push(id);
          continue;
        }
        const m = result.message;
        const smsCount = billing && smsCountQuota ? billedParts(m) : 0;
        if (m.charged > 0 || smsCount > 0) await store.credit(m.uid, { amount: m.charged, smsCount });
      } catch (error) {
        kept.push(id);
        logger.error('http_send_undo_failed', { uid: caller.user.uid, message_id: id, error: String(error) });
      }
    }
    return kept;
  }

  async function send(req: IncomingMessage, outcome: Outcome): Promise<string> {
    const a = sendArgs(await readArgs(req));
    outcome.username = a.username;
    const caller = await authenticate(a);
    const built = buildContent(a, split);
    authorizeSend(caller.user, a, built.parts.length);
    const { content, sourceAddr } = filterMessage(caller.user, a, built, a.sdt, a.dlr !== null);
    const parts = submissions(a, built);
    if (parts.length > 1) {
      // A long message is all or nothing: its whole price is checked before the first part is submitted.
      const choice = await routeFor(caller, a, sourceAddr, content);
      if (billing) {
        const fresh = (await store.getUser(caller.user.uid)) ?? caller.user;
        const quotas = fresh.mt_messaging_cred.quotas;
        const credit = checkCredit(quotas, billMessage(choice.rate, parts.length, quotas.early_percent));
        if (!credit.ok) throw chargingFailure(credit.reason);
      }
    }
    const submitter = { id: caller.user.uid, username: caller.user.username };
    const ids: string[] = [];
    for (let k = 0; k < parts.length; k++) {
      const result = await pipeline.submit(submitter, parts[k], 'http', k > 0 ? { continuation: true } : {});
      if (!result.ok) {
        const error = refusalToHttp(result.status, result.reason, caller.user.username);
        if (ids.length > 0) {
          const kept = await undo(caller, ids);
          logger.warn('http_send_part_refused', {
            uid: caller.user.uid,
            part: k + 1,
            parts: parts.length,
            reason: result.reason,
            undone: ids.filter((id) => !kept.includes(id)),
            already_sending: kept,
          });
        }
        throw error;
      }
      ids.push(...result.message_ids);
    }
    outcome.messageIds = ids;
    return ids[0];
  }

  async function balance(req: IncomingMessage, outcome: Outcome): Promise<unknown> {
    const a = balanceArgs(await readArgs(req));
    outcome.username = a.username;
    const caller = await authenticate(a);
    if (!caller.user.mt_messaging_cred.authorizations.http_balance) {
      throw authorizationFailure(caller.user.username, 'Cannot check balance');
    }
    // Quotas move with every message: read them from the store, not the account cache.
    const fresh = (await store.getUser(caller.user.uid)) ?? caller.user;
    const quotas = fresh.mt_messaging_cred.quotas;
    return { balance: quotas.balance ?? 'ND', sms_count: quotas.sms_count ?? 'ND' };
  }

  async function rate(req: IncomingMessage, outcome: Outcome): Promise<unknown> {
    const a = rateArgs(await readArgs(req));
    outcome.username = a.username;
    const caller = await authenticate(a);
    if (!caller.user.mt_messaging_cred.authorizations.http_rate) {
      throw authorizationFailure(caller.user.username, 'Cannot check rate');
    }
    const built = buildContent(a, split);
    const bytes = built.parts.length === 1 ? built.parts[0].short_message : wholeText(built);
    const defaultSource = caller.user.mt_messaging_cred.defaults.src_addr ?? '';
    const sourceAddr = a.from === null ? defaultSource : source(a.from).addr;
    const choice = await routeFor(caller, a, sourceAddr, contentText(bytes, built.dataCoding));
    return { unit_rate: choice.rate, submit_sm_count: built.parts.length };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? 'GET';
    // The path as sent, up to the query: URL parsing would throw on some targets (`//`, `/\`), leaving the request
    // unanswered, and reads others (`//send`) as a host.
    const path = (req.url ?? '/').split(/[?#]/u, 1)[0].replace(/\/+$/u, '') || '/';
    const outcome: Outcome = { status: 200 };
    const json = path === '/balance' || path === '/rate';
    try {
      if (method !== 'GET' && method !== 'POST') {
        throw new HttpApiError(405, `Method ${method} not allowed`, undefined, { Allow: 'GET, POST' });
      }
      if (path === '/send') {
        const id = await send(req, outcome);
        reply(res, 200, 'text/plain', `Success "${id}"`, outcome.messageIds);
      } else if (path === '/balance') {
        reply(res, 200, 'application/json', JSON.stringify(await balance(req, outcome)));
      } else if (path === '/rate') {
        reply(res, 200, 'application/json', JSON.stringify(await rate(req, outcome)));
      } else if (path === '/ping') {
        reply(res, 200, 'text/plain', 'Jasmin/PONG');
      } else {
        throw new HttpApiError(404, 'Not found');
      }
    } catch (error) {
      let e: HttpApiError;
      if (error instanceof HttpApiError) e = error;
      else {
        logger.error('http_api_failed', {
          method,
          path,
          error: error instanceof Error ? error.message : String(error),
        });
        e = new HttpApiError(500, 'Unknown error, check the gateway log for details');
      }
      outcome.status = e.status;
      outcome.error = e.message;
      if (e.status < 500) {
        logger.info('http_api_refused', { path, status: e.status, username: outcome.username, reason: e.message });
      }
      if (json) reply(res, e.status, 'application/json', JSON.stringify(e.message), undefined, e.headers);
      else reply(res, e.status, 'text/plain', `Error "${e.message}"`, undefined, e.headers);
    }
    // One structured line per request; never the query string, which carries the password.
    accessLog?.info('http_access', {
      peer: req.socket.remoteAddress,
      method,
      path,
      status: outcome.status,
      ms: Date.now() - started,
      username: outcome.username,
      message_id: outcome.messageIds?.[0],
      parts: outcome.messageIds?.length,
      error: outcome.error,
    });
  }

  const listener = ((req: IncomingMessage, res: ServerResponse) => {
    inflight++;
    handle(req, res)
      .catch((error: unknown) => {
        // Only a failure to write the answer gets here: the client went away.
        logger.error('http_api_response_failed', { error: error instanceof Error ? error.message : String(error) });
        res.destroy();
      })
      .finally(() => {
        if (--inflight === 0 && idle.length > 0) {
          const waiters = idle;
          idle = [];
          for (const resolve of waiters) resolve();
        }
      });
  }) as HttpApiListener;
  listener.drain = () => (inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)));
  listener.clientError = (error, socket) => {
    const code = error.code ?? '';
    // As node:http does: answer only on a connection that can still take one and has not started another answer.
    const writable = socket.writable && (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0;
    if (code === 'ECONNRESET' || !writable) {
      socket.destroy();
      return;
    }
    const [status, reason] = clientErrorAnswer(code);
    // /balance and /rate answer JSON; the request line is read only this far, never logged (it holds the password).
    const head = error.rawPacket?.subarray(0, 24).toString('latin1') ?? '';
    const json = /^[A-Z]+ \/(balance|rate)(?:[/?# ]|$)/u.test(head);
    const body = Buffer.from(json ? JSON.stringify(reason) : `Error "${reason}"`, 'utf8');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${json ? 'application/json' : 'text/plain'}; charset=utf-8\r\n` +
        `Content-Length: ${body.length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body.toString('latin1')}`,
      'latin1',
    );
    // A client that never reads its answer does not hold the socket (nor the server's close) for long.
    setTimeout(() => socket.destroy(), 2000).unref();
    const peer = (socket as Duplex & { remoteAddress?: string }).remoteAddress;
    logger.info('http_api_refused', { peer, status, code, reason });
    accessLog?.info('http_access', { peer, method: null, path: null, status, ms: 0, error: reason });
  };
  return listener;
}

/** The status and reason of a request node:http refused before the listener (its `clientError` codes). */
function clientErrorAnswer(code: string): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `Request line and headers larger than ${maxHeaderSize} bytes; send long content in a POST body.`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'Chunk extensions too large.'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request not received in time.'];
    default:
      return [400, `Malformed HTTP request (${code || 'unparseable'}).`];
  }
}

/** The content of a split message without its UDHs (what content filters and route filters read). */
function wholeText(built: BuiltContent): Buffer {
  return Buffer.concat(
    built.parts.map((p) => (p.esm_class !== 0 ? p.short_message.subarray(p.short_message[0] + 1) : p.short_message)),
  );
}

function reply(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  ids?: readonly string[],
  extra: Readonly<Record<string, string>> = {},
): void {
  const payload = Buffer.from(body, 'utf8');
  const headers: Record<string, string> = {
    'Content-Type': `${type}; charset=utf-8`,
    'Content-Length': String(payload.length),
    'Cache-Control': 'no-store',
    ...extra,
  };
  // Every part of a long message has its own message_id, and its own receipts: all of them, in order.
  if (ids !== undefined && ids.length > 0) headers['X-Message-Ids'] = ids.join(',');
  res.writeHead(status, headers);
  res.end(payload);
}
