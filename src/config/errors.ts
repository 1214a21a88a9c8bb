// The one error type of the config layer. Every message names where the problem is, in the order an operator reads a
// config file: `examples/x.cfg [smpp-server] port: "abc" is not a whole number (line 4)`.

/** Where in a config file something is: the file always, then the section, key and line when known. */
export interface ConfigLocation {
  readonly file: string;
  readonly section?: string;
  readonly key?: string;
  readonly line?: number;
}

/** Renders a location and a detail as `file [section] key: detail (line n)`. */
export function describeLocation(where: ConfigLocation, detail: string): string {
  let head = where.file;
  if (where.section !== undefined) head += ` [${where.section}]`;
  if (where.key !== undefined) head += ` ${where.key}`;
  const tail = where.line === undefined ? '' : ` (line ${where.line})`;
  return `${head}: ${detail}${tail}`;
}

/** A config problem that stops the start: a bad value, an unknown key, a syntax error, an unwritable log file. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The config file as it was named to the loader. */
  readonly file: string;
  /** The INI section at fault, if any. */
  readonly section: string | undefined;
  /** The key at fault, if any (its canonical name when it is one smppgate knows). */
  readonly key: string | undefined;
  /** The 1-based line number, if the problem has one. */
  readonly line: number | undefined;
  /** The problem alone, without the location. */
  readonly detail: string;

  /** Builds the error; the message is `describeLocation(where, detail)`. */
  constructor(where: ConfigLocation, detail: string, options?: { cause?: unknown }) {
    super(describeLocation(where, detail), options);
    this.file = where.file;
    this.section = where.section;
    this.key = where.key;
    this.line = where.line;
    this.detail = detail;
  }
}

/** Something the loader ignored or doubts, for the caller to log once at start (the loader itself never logs). */
export interface ConfigWarning {
  readonly section: string | undefined;
  readonly key: string | undefined;
  readonly line: number | undefined;
  /** The whole warning, location included, ready to log. */
  readonly message: string;
}

/** Builds a warning whose message has the same shape as a ConfigError's. */
export function configWarning(where: ConfigLocation, detail: string): ConfigWarning {
  return { section: where.section, key: where.key, line: where.line, message: describeLocation(where, detail) };
}
