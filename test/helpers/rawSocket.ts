// Raw TCP for tests of hostile or malformed input: bytes written exactly as given, the answer read until the server
// closes, with no client library normalising either side.

import { connect } from 'node:net';

/**
 * Writes `bytes` (latin1) on a fresh loopback connection, ending it when `end`, and resolves with everything answered
 * until the connection closes (at most 10 s). A reset after the answer still resolves with what came.
 */
export function rawSocket(port: number, bytes: string, end = true): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes, 'latin1');
      if (end) socket.end();
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', () => undefined);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}
