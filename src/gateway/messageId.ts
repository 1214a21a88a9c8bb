// message_id generators (SPEC.md §4.4): the id the ESME gets in submit_sm_resp and finds in its receipts.
// SMPP 3.4 §5.2.23 allows up to 64 characters; UUID v4 (36) is the default, and a short form of at most 16
// characters serves ESMEs that store ids in narrow columns.
//
// Short form: `<node:2><time:8><counter:3>`, all lowercase base36, 13 characters (14 after the year 2059):
// - node: the node id (0–1295, or 1–2 base36 characters), zero-padded to 2: ids of several nodes never collide;
// - time: epoch milliseconds, zero-padded to 8 base36 digits (sortable within a node);
// - counter: 0–46655 within one millisecond; when a millisecond is used up, the generator borrows the next one.
// Unique across restarts because time moves on: a restarted node starts at a later millisecond than anything it
// issued before. The clock is never allowed to go back within a process (the last time is kept); across a restart,
// a wall clock stepped back by more than the restart took could repeat ids, so nodes need a sane (NTP) clock.

import { randomUUID } from 'node:crypto';

/** The message_id formats. */
export type MessageIdFormat = 'uuid' | 'short';

/** Makes one new message_id per call. */
export type MessageIdGenerator = () => string;

/** Options of createMessageIdGenerator. */
export interface MessageIdOptions {
  format?: MessageIdFormat;
  /** This node's id for the short form: 0–1295 or 1–2 base36 characters [0-9a-z]; unique per gateway node. */
  nodeId?: number | string;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** UUID v4 source; default crypto.randomUUID. */
  uuid?: () => string;
}

/** A message_id configuration that cannot work (unknown format, missing or bad node id). */
export class MessageIdConfigError extends Error {
  override readonly name = 'MessageIdConfigError';
}

const COUNTER_LIMIT = 36 ** 3;

/** Normalises a node id to its 2-character base36 form; throws MessageIdConfigError when it is not one. */
export function shortNodePrefix(nodeId: number | string | undefined): string {
  if (typeof nodeId === 'number') {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId >= 36 * 36) {
      throw new MessageIdConfigError(`nodeId must be 0–1295: ${nodeId}`);
    }
    return nodeId.toString(36).padStart(2, '0');
  }
  if (typeof nodeId === 'string' && /^[0-9a-z]{1,2}$/.test(nodeId)) return nodeId.padStart(2, '0');
  throw new MessageIdConfigError(
    `the short message_id format needs a nodeId of 1–2 characters [0-9a-z] or 0–1295: ${String(nodeId)}`,
  );
}

/** Creates a generator of UUID v4 (default) or short message_ids. */
export function createMessageIdGenerator(options: MessageIdOptions = {}): MessageIdGenerator {
  const format = options.format ?? 'uuid';
  if (format === 'uuid') {
    const uuid = options.uuid ?? randomUUID;
    return () => uuid();
  }
  if (format !== 'short') throw new MessageIdConfigError(`unknown message_id format: ${String(format)}`);
  const prefix = shortNodePrefix(options.nodeId);
  const now = options.now ?? Date.now;
  let lastTime = -1;
  let counter = 0;
  return () => {
    const t = Math.floor(now());
    if (t > lastTime) {
      lastTime = t;
      counter = 0;
    } else if (++counter >= COUNTER_LIMIT) {
      // This millisecond is used up (or the clock went back): borrow the next one.
      lastTime += 1;
      counter = 0;
    }
    return prefix + lastTime.toString(36).padStart(8, '0') + counter.toString(36).padStart(3, '0');
  };
}
