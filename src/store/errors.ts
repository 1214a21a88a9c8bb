// Typed store errors. Callers branch on `name` (the admin API maps them to 409 / 404 / 503, the SMPP layer to
// ESME_RSYSERR / ESME_RMSGQFUL), so every backend throws these and nothing else for these situations.

/** A create that collides with an existing key (gid, uid, username). */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
}

/** An update or action on a key that does not exist. */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
}

/** A delete refused because other records still refer to the key (a group with users). */
export class StoreInUseError extends Error {
  override readonly name = 'StoreInUseError';
}

/** The backend cannot take the request now (I/O error, busy, disk full); nothing of the request was applied. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /** True when the cause is a full disk or database: the SMPP layer answers ESME_RMSGQFUL. */
  readonly full: boolean;

  /** Wraps the backend's own error. */
  constructor(message: string, options: { cause?: unknown; full?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.full = options.full ?? false;
  }
}
