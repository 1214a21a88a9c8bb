// Typed access to the `smpp` npm package (node-smpp, CommonJS, no type declarations) for interop tests and the
// codec benchmark. Loaded through createRequire so that no ambient `declare module 'smpp'` is needed.

import { createRequire } from 'node:module';

/** A node-smpp PDU: header fields plus whatever mandatory fields and TLVs it carries, by name. */
export interface NodeSmppPdu {
  command: string;
  command_length: number;
  command_id: number;
  command_status: number;
  sequence_number: number;
  toBuffer(): Buffer;
  [field: string]: unknown;
}

/** The node-smpp PDU constructor and its static decoder. */
export interface NodeSmppPduClass {
  new (command: string, options?: Record<string, unknown>): NodeSmppPdu;
  /** A whole PDU from a buffer, or false when the buffer holds less than one. */
  fromBuffer(buffer: Buffer): NodeSmppPdu | false;
}

/** The part of node-smpp's module the tests use. */
export interface NodeSmpp {
  PDU: NodeSmppPduClass;
}

const require = createRequire(import.meta.url);

/** node-smpp, loaded once. */
export const nodeSmpp = require('smpp') as NodeSmpp;
