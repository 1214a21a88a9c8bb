// The dashboard's "last errors" panel: a fixed-size ring of the most recent warnings and errors. Whatever sees a
// problem records it here (the composition root feeds it from the logger; the dashboard source records connector
// errors as they change), so the panel never grows with traffic and never needs the log file.

/** How bad a recorded problem is. */
export type ErrorLevel = 'warn' | 'error';

/** One recorded problem. */
export interface ErrorEntry {
  /** Epoch milliseconds. */
  at: number;
  level: ErrorLevel;
  /** The structured event name (`connector_error`, `mt_internal_error` …). */
  event: string;
  /** Human-readable detail. */
  message: string;
}

/** The default number of entries kept. */
export const DEFAULT_ERROR_CAPACITY = 50;

/** A ring buffer of the last `capacity` problems, newest last. */
export class ErrorRing {
  readonly #capacity: number;
  readonly #entries: (ErrorEntry | undefined)[];
  #next = 0;
  #size = 0;

  /** Keeps the last `capacity` entries (at least 1). */
  constructor(capacity = DEFAULT_ERROR_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a whole number ≥ 1');
    this.#capacity = capacity;
    this.#entries = new Array<ErrorEntry | undefined>(capacity);
  }

  /** Records a problem, overwriting the oldest when full. */
  record(entry: ErrorEntry): void {
    this.#entries[this.#next] = entry;
    this.#next = (this.#next + 1) % this.#capacity;
    if (this.#size < this.#capacity) this.#size++;
  }

  /** The entries kept, oldest first. */
  entries(): ErrorEntry[] {
    const out: ErrorEntry[] = [];
    const start = (this.#next - this.#size + this.#capacity) % this.#capacity;
    for (let i = 0; i < this.#size; i++) {
      const e = this.#entries[(start + i) % this.#capacity];
      if (e !== undefined) out.push(e);
    }
    return out;
  }
}
