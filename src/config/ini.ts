// An INI reader that reads jasmin.cfg the way Jasmin does: Python's configparser.RawConfigParser with its defaults.
// - `[section]` headers (names are case-sensitive); `key = value` or `key: value`, split at the first `=` or `:`.
// - Keys are case-insensitive (configparser lower-cases them): `Port` and `port` are the same key.
// - Whole-line comments start with `#` or `;` (indented or not). There are no inline comments: `port = 1 # x` has the
//   value `1 # x`, exactly as in Jasmin.
// - A line indented deeper than its key continues the value (joined with newlines); blank lines inside are kept and
//   trailing ones dropped.
// - No interpolation (Raw): `%(asctime)s` and `%%` come through verbatim, because Python's logging, not the config
//   parser, gives them meaning; the log layer does the same.
// Differences, both chosen: a value wrapped in one pair of matching quotes loses them (`id = "smpps_01"` is
// `smpps_01`; configparser would keep the quotes), and a header line with anything but a comment after `]` is an
// error rather than silently truncated.

import { ConfigError } from './errors.js';

/** One `key = value` of a section, as written (key case kept), with its 1-based line. */
export interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** One `[section]` and its entries, in file order. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: readonly IniEntry[];
}

/** A parsed INI file: its sections in file order. */
export interface IniDocument {
  readonly sections: readonly IniSection[];
}

interface MutableEntry {
  key: string;
  parts: string[];
  line: number;
  indent: number;
}

interface MutableSection {
  name: string;
  line: number;
  entries: MutableEntry[];
  keys: Map<string, number>;
}

const HEADER = /^\[([^\]]+)\]\s*(?:[#;].*)?$/;

/** Removes one pair of matching surrounding quotes: `"smpps_01"` → `smpps_01`, `'a b'` → `a b`. */
export function unquote(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    if ((first === '"' || first === "'") && value[value.length - 1] === first) return value.slice(1, -1);
  }
  return value;
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return i;
}

function finish(entry: MutableEntry): IniEntry {
  const parts = entry.parts;
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return { key: entry.key, value: unquote(parts.join('\n')), line: entry.line };
}

/** Parses INI text; `fileName` only names the file in errors. Throws ConfigError with the line of the first problem. */
export function parseIni(text: string, fileName: string): IniDocument {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const sections: MutableSection[] = [];
  const seen = new Map<string, number>();
  let section: MutableSection | undefined;
  let entry: MutableEntry | undefined;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i];
    const stripped = line.trim();
    const isComment = stripped.startsWith('#') || stripped.startsWith(';');
    if (stripped === '' || isComment) {
      // A blank line may sit inside a multi-line value (kept, trailing ones dropped); a comment never counts.
      if (stripped === '' && entry !== undefined) entry.parts.push('');
      continue;
    }
    const indent = indentOf(line);
    if (entry !== undefined && indent > entry.indent) {
      entry.parts.push(stripped);
      continue;
    }
    entry = undefined;

    if (stripped.startsWith('[')) {
      const m = HEADER.exec(stripped);
      if (m === null) {
        throw new ConfigError(
          { file: fileName, line: lineNo },
          `${JSON.stringify(stripped)} is not a [section] header (a header is the name in brackets, alone on its line)`,
        );
      }
      const name = m[1].trim();
      const first = seen.get(name);
      if (first !== undefined) {
        throw new ConfigError(
          { file: fileName, section: name, line: lineNo },
          `duplicate section (first at line ${first})`,
        );
      }
      seen.set(name, lineNo);
      section = { name, line: lineNo, entries: [], keys: new Map() };
      sections.push(section);
      continue;
    }

    const eq = stripped.indexOf('=');
    const colon = stripped.indexOf(':');
    const at = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
    if (at < 0) {
      throw new ConfigError(
        { file: fileName, section: section?.name, line: lineNo },
        `${JSON.stringify(stripped)} is not a "key = value" line, a [section] header or a comment`,
      );
    }
    const key = stripped.slice(0, at).trim();
    if (key === '') {
      throw new ConfigError({ file: fileName, section: section?.name, line: lineNo }, 'a value with no key before it');
    }
    if (section === undefined) {
      throw new ConfigError(
        { file: fileName, key, line: lineNo },
        'a key before any [section] header (every key belongs to a section)',
      );
    }
    const lower = key.toLowerCase();
    const first = section.keys.get(lower);
    if (first !== undefined) {
      throw new ConfigError(
        { file: fileName, section: section.name, key, line: lineNo },
        `duplicate key (first at line ${first}; keys are case-insensitive)`,
      );
    }
    section.keys.set(lower, lineNo);
    entry = { key, parts: [stripped.slice(at + 1).trim()], line: lineNo, indent };
    section.entries.push(entry);
  }

  return {
    sections: sections.map((s) => ({ name: s.name, line: s.line, entries: s.entries.map(finish) })),
  };
}
