// Promise wrappers over node-smpp's client (the `smpp` npm package), the third-party ESME of our end-to-end tests.

import { createRequire } from 'node:module';

/** A node-smpp PDU as the tests read it: header, the fields they look at, and any other field by name. */
export interface ClientPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  system_id?: string;
  message_id?: string;
  message_state?: number;
  short_message?: { message?: string | Buffer };
  sc_interface_version?: number;
  unsuccess_sme?: { destination_addr: string; error_status_code: number }[];
  response(options?: Record<string, unknown>): ClientPdu;
  [field: string]: unknown;
}

/** A node-smpp client session: request methods by command name, each with a response callback. */
export interface NodeSmppSession {
  on(event: string, listener: (pdu: ClientPdu) => void): void;
  once(event: string, listener: () => void): void;
  send(pdu: ClientPdu): boolean;
  close(callback?: () => void): void;
  destroy(): void;
  [command: string]: unknown;
}

const nodeSmpp = createRequire(import.meta.url)('smpp') as {
  connect(options: { url: string }, listener?: () => void): NodeSmppSession;
};

/** Options of {@link connectClient}. */
export interface ConnectOptions {
  host?: string;
  /** Answer the server's unbind and enquire_link as a well-behaved ESME does (default false: the test decides). */
  answer?: boolean;
}

/** Connects to a loopback SMPP port. */
export function connectClient(port: number, options: ConnectOptions = {}): Promise<NodeSmppSession> {
  return new Promise((resolve, reject) => {
    const session = nodeSmpp.connect({ url: `smpp://${options.host ?? '127.0.0.1'}:${port}` }, () => resolve(session));
    session.on('error', (e) => reject(e));
    if (options.answer === true) {
      session.on('unbind', (pdu) => session.send(pdu.response()));
      session.on('enquire_link', (pdu) => session.send(pdu.response()));
    }
  });
}

/** Sends one request and resolves with its response (rejects after `timeoutMs`). */
export function request(
  session: NodeSmppSession,
  command: string,
  options: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<ClientPdu> {
  return new Promise((resolve, reject) => {
    const fn = session[command] as (o: Record<string, unknown>, cb: (pdu: ClientPdu) => void) => boolean;
    const timer = setTimeout(() => reject(new Error(`no ${command}_resp within ${timeoutMs} ms`)), timeoutMs);
    fn.call(session, options, (pdu) => {
      clearTimeout(timer);
      resolve(pdu);
    });
  });
}
