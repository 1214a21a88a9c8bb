// The daemon's logger until src/log lands: JSON lines on stdout (or appended to log_file), one line per event,
// Python's level names, fields bound by child(). It satisfies every layer's structural logger interface.

import { appendFileSync } from 'node:fs';

/** Python logging levels, as `log_level` names them. */
const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;

type LevelName = keyof typeof LEVELS;

/** Structured fields of a log line. */
export type Fields = Record<string, unknown>;

/** The daemon's structured logger. */
export interface Logger {
  child(fields: Fields): Logger;
  debug(event: string, fields?: Fields): void;
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
  /** Changes the threshold at run time (SIGHUP reload). */
  setLevel(level: string): void;
  /** Flushes and releases the destination. */
  close(): Promise<void>;
}

interface Sink {
  threshold: number;
  name: string;
  file: string | null;
}

function levelOf(name: string): number {
  const upper = name.toUpperCase();
  if (upper === 'WARN') return LEVELS.WARNING;
  return (LEVELS as Record<string, number>)[upper] ?? LEVELS.INFO;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const status = (value as { commandStatus?: unknown }).commandStatus;
    return { name: value.name, message: value.message, ...(status !== undefined ? { status } : {}) };
  }
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

class JsonLogger implements Logger {
  readonly #sink: Sink;
  readonly #bound: Fields;

  constructor(sink: Sink, bound: Fields) {
    this.#sink = sink;
    this.#bound = bound;
  }

  child(fields: Fields): Logger {
    return new JsonLogger(this.#sink, { ...this.#bound, ...fields });
  }

  #write(level: LevelName, event: string, fields: Fields | undefined): void {
    if (LEVELS[level] < this.#sink.threshold) return;
    const line: Fields = { ts: new Date().toISOString(), level, pid: process.pid, name: this.#sink.name, event };
    for (const [k, v] of Object.entries(this.#bound)) line[k] = serialise(v);
    if (fields !== undefined) for (const [k, v] of Object.entries(fields)) line[k] = serialise(v);
    const text = `${JSON.stringify(line)}\n`;
    if (this.#sink.file === null) process.stdout.write(text);
    else appendFileSync(this.#sink.file, text);
  }

  debug(event: string, fields?: Fields): void {
    this.#write('DEBUG', event, fields);
  }
  info(event: string, fields?: Fields): void {
    this.#write('INFO', event, fields);
  }
  warn(event: string, fields?: Fields): void {
    this.#write('WARNING', event, fields);
  }
  error(event: string, fields?: Fields): void {
    this.#write('ERROR', event, fields);
  }
  setLevel(level: string): void {
    this.#sink.threshold = levelOf(level);
  }
  async close(): Promise<void> {}
}

/** A logger honouring `log_level` and `log_file` of `[smpp-server]`. */
export function createLogger(
  settings: { log_level: string; log_file: string | null },
  options: { name: string },
): Logger {
  return new JsonLogger({ threshold: levelOf(settings.log_level), name: options.name, file: settings.log_file }, {});
}
