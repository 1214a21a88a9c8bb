// Putting the parts of a concatenated message back together, whichever way they came (UDH or SAR TLVs), in any
// order. Pure: time comes from an injected clock, and nothing is ever dropped without being handed back to the
// caller, who decides whether to deliver or log what did not complete.

/** One received part. The caller extracts total and seq from the UDH (parseUdh) or the SAR TLVs. */
export interface ReassemblyPart<Meta> {
  /** Identifies the message, e.g. `${source}|${destination}|${refBits}:${ref}`; the caller chooses. */
  key: string;
  /** Number of parts, 1..255. */
  total: number;
  /** This part's number, 1..total. */
  seq: number;
  /** The part's user data (short_message after the UDH), as received. */
  payload: Buffer;
  /** Whatever the caller needs back with the part (its PDU, message id, …). */
  meta: Meta;
}

/** A message whose parts have all arrived, ordered by seq. */
export interface ReassembledMessage<Meta> {
  key: string;
  total: number;
  /** Every part, seq 1..total in order. */
  parts: ReassemblyPart<Meta>[];
}

/** Why an incomplete set was given up. */
export type DropReason = 'timeout' | 'evicted' | 'superseded';

/** An incomplete set the reassembler gave up on, with what did arrive. */
export interface DroppedSet<Meta> {
  key: string;
  total: number;
  reason: DropReason;
  /** The parts that arrived, ordered by seq. */
  parts: ReassemblyPart<Meta>[];
  /** The seq numbers that never came. */
  missing: number[];
  /** Clock reading when the first part arrived. */
  firstSeenAt: number;
}

/** What add() did with a part; `dropped` lists sets given up on meanwhile (timed out, evicted, superseded). */
export type AddResult<Meta> =
  | { status: 'complete'; message: ReassembledMessage<Meta>; dropped: DroppedSet<Meta>[] }
  | { status: 'pending'; received: number; dropped: DroppedSet<Meta>[] }
  | { status: 'duplicate'; dropped: DroppedSet<Meta>[] };

/** Options of the Reassembler. */
export interface ReassemblerOptions {
  /** Milliseconds, on any monotonic scale. */
  now: () => number;
  /** An incomplete set is given up this long after its first part arrived. */
  timeoutMs: number;
  /** Most incomplete sets held at once; adding one more evicts the oldest. */
  maxPending: number;
  /**
   * How long a completed message is remembered so a part sent again (an SMSC that missed our response resends) is
   * recognised as a duplicate instead of opening a new set. A part counts as a duplicate only if its octets are
   * identical, so a new message that reuses the key still gets through. Default timeoutMs; 0 turns it off.
   */
  duplicateWindowMs?: number;
}

interface PendingSet<Meta> {
  total: number;
  firstSeenAt: number;
  parts: Map<number, ReassemblyPart<Meta>>;
}

interface CompletedSet {
  total: number;
  completedAt: number;
  payloads: Buffer[];
}

/**
 * Collects parts by key until a set is complete. Holds at most maxPending incomplete sets plus as many remembered
 * completed ones. Call expire() from a timer (nextExpiryAt() says when); add() also expires what is due.
 */
export class Reassembler<Meta> {
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #duplicateWindowMs: number;
  // Insertion order is arrival order of each set's first part, so the oldest is always first.
  readonly #pending = new Map<string, PendingSet<Meta>>();
  readonly #completed = new Map<string, CompletedSet>();

  constructor(opts: ReassemblerOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`);
    if (!Number.isInteger(opts.maxPending) || opts.maxPending < 1) {
      throw new RangeError(`maxPending must be a positive integer, got ${opts.maxPending}`);
    }
    const window = opts.duplicateWindowMs ?? opts.timeoutMs;
    if (!(window >= 0)) throw new RangeError(`duplicateWindowMs must be >= 0, got ${window}`);
    this.#now = opts.now;
    this.#timeoutMs = opts.timeoutMs;
    this.#maxPending = opts.maxPending;
    this.#duplicateWindowMs = window;
  }

  /** Incomplete sets currently held. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** When the oldest incomplete set times out (clock reading), or undefined when none is held. */
  nextExpiryAt(): number | undefined {
    for (const set of this.#pending.values()) return set.firstSeenAt + this.#timeoutMs;
    return undefined;
  }

  /** Gives up on every incomplete set whose timeout has passed and returns them (reason 'timeout'). */
  expire(): DroppedSet<Meta>[] {
    const now = this.#now();
    const dropped: DroppedSet<Meta>[] = [];
    for (const [key, set] of this.#pending) {
      if (now - set.firstSeenAt < this.#timeoutMs) break;
      this.#pending.delete(key);
      dropped.push(toDropped(key, set, 'timeout'));
    }
    for (const [key, done] of this.#completed) {
      if (now - done.completedAt < this.#duplicateWindowMs) break;
      this.#completed.delete(key);
    }
    return dropped;
  }

  /**
   * Adds a part. A part whose seq already arrived with the same octets is a duplicate and ignored. A part that
   * disagrees with its set (another total, or other octets for a seq already held) means the key was reused by a new
   * message: the old set is dropped as 'superseded' and a new one starts with this part.
   */
  add(part: ReassemblyPart<Meta>): AddResult<Meta> {
    const { key, total, seq } = part;
    if (!Number.isInteger(total) || total < 1 || total > 255)
      throw new RangeError(`total must be 1..255, got ${total}`);
    if (!Number.isInteger(seq) || seq < 1 || seq > total) throw new RangeError(`seq must be 1..${total}, got ${seq}`);
    const dropped = this.expire();
    const now = this.#now();

    const done = this.#completed.get(key);
    if (done) {
      if (done.total === total && done.payloads[seq - 1].equals(part.payload)) return { status: 'duplicate', dropped };
      this.#completed.delete(key);
    }

    let set = this.#pending.get(key);
    if (set) {
      const held = set.parts.get(seq);
      if (set.total === total && held?.payload.equals(part.payload)) return { status: 'duplicate', dropped };
      if (set.total !== total || held) {
        this.#pending.delete(key);
        dropped.push(toDropped(key, set, 'superseded'));
        set = undefined;
      }
    }
    if (!set) {
      while (this.#pending.size >= this.#maxPending) {
        const [oldKey, oldSet] = this.#pending.entries().next().value as [string, PendingSet<Meta>];
        this.#pending.delete(oldKey);
        dropped.push(toDropped(oldKey, oldSet, 'evicted'));
      }
      set = { total, firstSeenAt: now, parts: new Map() };
      this.#pending.set(key, set);
    }
    set.parts.set(seq, part);
    if (set.parts.size < total) return { status: 'pending', received: set.parts.size, dropped };

    this.#pending.delete(key);
    const parts = ordered(set);
    this.#remember(key, total, now, parts);
    return { status: 'complete', message: { key, total, parts }, dropped };
  }

  #remember(key: string, total: number, now: number, parts: ReassemblyPart<Meta>[]): void {
    if (this.#duplicateWindowMs === 0) return;
    this.#completed.delete(key);
    while (this.#completed.size >= this.#maxPending) {
      const oldest = this.#completed.keys().next().value as string;
      this.#completed.delete(oldest);
    }
    this.#completed.set(key, { total, completedAt: now, payloads: parts.map((p) => p.payload) });
  }
}

function ordered<Meta>(set: PendingSet<Meta>): ReassemblyPart<Meta>[] {
  return [...set.parts.values()].sort((a, b) => a.seq - b.seq);
}

function toDropped<Meta>(key: string, set: PendingSet<Meta>, reason: DropReason): DroppedSet<Meta> {
  const missing: number[] = [];
  for (let seq = 1; seq <= set.total; seq++) if (!set.parts.has(seq)) missing.push(seq);
  return { key, total: set.total, reason, parts: ordered(set), missing, firstSeenAt: set.firstSeenAt };
}
