// Promise wrappers over node-smpp's client (the `smpp` npm package), the third-party ESME of our end-to-end tests.

import { createRequire } from 'node:module';
import type { NodeSmppPdu } from './nodeSmpp.js';

/** A node-smpp client session: request methods by command name, each with a response callback. */
export interface NodeSmppSession {
  on(event: string, listener: (...args: never[]) => void): void;
  send(pdu: NodeSmppPdu): boolean;
  close(callback?: () => void): void;
  destroy(): void;
  [command: string]: unknown;
}

const nodeSmpp = createRequire(import.meta.url)('smpp') as {
  connect(options: { url: string }, listener?: () => void): NodeSmppSession;
};

/** Connects to a loopback SMPP port. */
export function connectClient(port: number, host = '127.0.0.1'): Promise<NodeSmppSession> {
  return new Promise((resolve, reject) => {
    const session = nodeSmpp.connect({ url: `smpp://${host}:${port}` }, () => resolve(session));
    session.on('error', (e: Error) => reject(e));
    // Answer what a well-behaved ESME answers: the server's unbind (then the server closes) and enquire_link.
    session.on('unbind', (pdu: NodeSmppPdu & { response(): NodeSmppPdu }) => session.send(pdu.response()));
    session.on('enquire_link', (pdu: NodeSmppPdu & { response(): NodeSmppPdu }) => session.send(pdu.response()));
  });
}

/** Sends one request and resolves with its response (rejects after `timeoutMs`). */
export function request(
  session: NodeSmppSession,
  command: string,
  options: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<NodeSmppPdu> {
  return new Promise((resolve, reject) => {
    const fn = session[command] as (o: Record<string, unknown>, cb: (pdu: NodeSmppPdu) => void) => boolean;
    const timer = setTimeout(() => reject(new Error(`no ${command}_resp within ${timeoutMs} ms`)), timeoutMs);
    fn.call(session, options, (pdu) => {
      clearTimeout(timer);
      resolve(pdu);
    });
  });
}
