// The SQLite schema of the embedded store, and its migrations. One file, WAL.

/** Statements that bring an empty database to each schema version, in order. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE groups (
    gid TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE users (
    uid TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    gid TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    smpps_cred TEXT NOT NULL,
    mt_cred TEXT NOT NULL,
    -- Quotas that move with every message live in their own columns, so a charge is one guarded UPDATE.
    balance_micros INTEGER,
    sms_count INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX users_gid ON users (gid);

  CREATE TABLE connectors (
    cid TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    started INTEGER NOT NULL,
    settings TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE mt_routes (ord INTEGER PRIMARY KEY, route TEXT NOT NULL);
  CREATE TABLE mo_routes (ord INTEGER PRIMARY KEY, route TEXT NOT NULL);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('routes_version', 0);

  -- seq (the rowid) gives the acceptance order that the queue follows.
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    uid TEXT NOT NULL,
    cid TEXT NOT NULL,
    route_order INTEGER NOT NULL,
    source_addr_ton INTEGER NOT NULL,
    source_addr_npi INTEGER NOT NULL,
    source_addr TEXT NOT NULL,
    dest_addr_ton INTEGER NOT NULL,
    dest_addr_npi INTEGER NOT NULL,
    destination_addr TEXT NOT NULL,
    service_type TEXT NOT NULL,
    esm_class INTEGER NOT NULL,
    protocol_id INTEGER NOT NULL,
    priority_flag INTEGER NOT NULL,
    registered_delivery INTEGER NOT NULL,
    data_coding INTEGER NOT NULL,
    short_message BLOB NOT NULL,
    tlvs BLOB,
    part TEXT,
    schedule_at INTEGER,
    expires_at INTEGER,
    rate REAL NOT NULL,
    charged REAL NOT NULL,
    status TEXT NOT NULL,
    state INTEGER NOT NULL,
    upstream_id TEXT,
    error_code INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    submitted_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    final_at INTEGER,
    tags TEXT
  );
  CREATE INDEX messages_queue ON messages (cid, priority_flag DESC, seq) WHERE status = 'queued';
  CREATE INDEX messages_sending ON messages (status) WHERE status = 'sending';
  CREATE INDEX messages_expiry ON messages (expires_at) WHERE status = 'queued' AND expires_at IS NOT NULL;
  CREATE INDEX messages_uid_time ON messages (uid, submitted_at);
  CREATE INDEX messages_dest_time ON messages (destination_addr, submitted_at);

  CREATE TABLE receipt_map (
    cid TEXT NOT NULL,
    upstream_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (cid, upstream_id)
  ) WITHOUT ROWID;
  CREATE INDEX receipt_map_expiry ON receipt_map (expires_at);

  CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_uid ON deliveries (uid, seq);
  CREATE INDEX deliveries_expiry ON deliveries (expires_at);
  `,
  // HTTP API receipts (Jasmin's dlr-url): JSON {url, method, level}, NULL for SMPP messages.
  `ALTER TABLE messages ADD COLUMN dlr TEXT;`,
  // Message history (docs/history.md): events appended in batches, in time order, so the oldest rows are the lowest
  // ids and pruning walks from the start of the table without an index on time.
  `
  CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX history_message ON history (message_id);
  `,
  // History by its part's seq (a nearly sequential key) instead of the random message id: an index on the id cost a
  // random B-tree insert per event, the largest single store cost of the whole path.
  // Events of a part never stored (or already pruned) keep a NULL seq and stay out of the index.
  `
  ALTER TABLE history ADD COLUMN mseq INTEGER;
  UPDATE history SET mseq = (SELECT seq FROM messages WHERE messages.id = history.message_id);
  DROP INDEX history_message;
  CREATE INDEX history_mseq ON history (mseq) WHERE mseq IS NOT NULL;
  `,
];
