// From INI text to Settings: every key of every section smppgate reads is checked against its table (schema.ts);
// the first problem is a ConfigError naming file, section, key and line; sections smppgate does not read are
// returned as warnings. Nothing here touches the filesystem except loadConfig's one read: log files, TLS files and
// the admin token are startup steps (startup.ts), so a config can be checked on any machine.

import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigLocation, type ConfigWarning, configWarning } from './errors.js';
import { type IniSection, parseIni } from './ini.js';
import { JASMIN_SECTIONS, SCHEMA, type Settings } from './schema.js';
import { type KeySpec, parseValue, type SectionSpec, type SettingValue } from './spec.js';

/** Line numbers of the keys written in the file: `lines['smpp-server'].port`. */
export type KeyLines = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** What the loader returns. */
export interface LoadedConfig {
  readonly settings: Settings;
  /** Ignored sections and keys, doubtful values: one message each, for the caller to log. */
  readonly warnings: readonly ConfigWarning[];
  /** false: there was no file (none named, or none at that path) and every value is a default. */
  readonly fromFile: boolean;
  /** The file as named to the loader; null when none was. */
  readonly file: string | null;
  /** Where each key written in the file is, for errors raised later (an unwritable log file…). */
  readonly lines: KeyLines;
}

interface Listener {
  readonly section: string;
  readonly bind: string;
  readonly port: number;
}

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0']);

/** Edit distance, for "did you mean" on a misspelt key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function defaultValue(spec: KeySpec): SettingValue {
  return spec.type === 'ignored' ? null : spec.default;
}

function defaultsOf(section: SectionSpec): Record<string, SettingValue> {
  const values: Record<string, SettingValue> = {};
  for (const [key, spec] of Object.entries(section.keys)) {
    if (spec.type !== 'ignored') values[key] = defaultValue(spec);
  }
  return values;
}

function sectionByName(name: string): [string, SectionSpec] | undefined {
  return Object.entries(SCHEMA).find(([, s]) => s.name === name);
}

/** Reads one written section into `values` (which holds the defaults); throws on the first bad key. */
function readSection(
  file: string,
  ini: IniSection,
  spec: SectionSpec,
  values: Record<string, SettingValue>,
  lines: Record<string, number>,
  warnings: ConfigWarning[],
): void {
  const byLowerName = new Map(Object.keys(spec.keys).map((k) => [k.toLowerCase(), k]));
  for (const entry of ini.entries) {
    const key = byLowerName.get(entry.key.toLowerCase());
    if (key === undefined) {
      const guess = closest(entry.key, Object.keys(spec.keys));
      throw new ConfigError(
        { file, section: spec.name, key: entry.key, line: entry.line },
        `unknown key${guess === undefined ? '' : ` (did you mean ${guess}?)`}; known keys: ${Object.keys(spec.keys).join(', ')}`,
      );
    }
    lines[key] = entry.line;
    const keySpec = spec.keys[key];
    const where: ConfigLocation = { file, section: spec.name, key, line: entry.line };
    if (keySpec.type === 'ignored') {
      warnings.push(configWarning(where, `accepted for Jasmin compatibility and ignored: ${keySpec.description}`));
      continue;
    }
    // Jasmin reads the literal None as "not set": unset for keys that may be unset, the default for the others.
    if (entry.value === 'None' || (entry.value === '' && keySpec.default === null)) {
      values[key] = defaultValue(keySpec);
      continue;
    }
    const parsed = parseValue(keySpec, entry.value);
    if (!parsed.ok) {
      const hint =
        keySpec.type !== 'string' && /\s[#;]/.test(entry.value)
          ? ' (a comment must be on a line of its own: there are no inline comments)'
          : '';
      throw new ConfigError(where, parsed.problem + hint);
    }
    values[key] = parsed.value;
  }
}

function overlaps(a: string, b: string): boolean {
  return a === b || WILDCARDS.has(a) || WILDCARDS.has(b);
}

/** Parses config text; `fileName` names the file in errors and warnings. Throws ConfigError on the first problem. */
export function parseConfig(text: string, fileName: string): LoadedConfig {
  const doc = parseIni(text, fileName);
  const warnings: ConfigWarning[] = [];
  const values: Record<string, Record<string, SettingValue>> = {};
  const lines: Record<string, Record<string, number>> = {};
  const sectionLines: Record<string, number> = {};
  for (const [prop, spec] of Object.entries(SCHEMA)) {
    values[prop] = defaultsOf(spec);
    lines[spec.name] = {};
  }

  for (const ini of doc.sections) {
    const found = sectionByName(ini.name);
    if (found === undefined) {
      const where = { file: fileName, section: ini.name, line: ini.line };
      const ours = Object.values(SCHEMA).find((s) => s.name.toLowerCase() === ini.name.toLowerCase());
      if (ours !== undefined) {
        warnings.push(
          configWarning(where, `unknown section, ignored (section names are case-sensitive: [${ours.name}]?)`),
        );
      } else if (JASMIN_SECTIONS.has(ini.name)) {
        warnings.push(configWarning(where, 'Jasmin section smppgate does not use, ignored'));
      } else {
        warnings.push(configWarning(where, 'unknown section, ignored'));
      }
      continue;
    }
    const [prop, spec] = found;
    sectionLines[spec.name] = ini.line;
    readSection(fileName, ini, spec, values[prop], lines[spec.name], warnings);
  }

  const listeners: Listener[] = [];
  for (const [prop, spec] of Object.entries(SCHEMA)) {
    const v = values[prop];
    const section: SectionSpec = spec;
    for (const p of section.check?.(v) ?? []) {
      const where = {
        file: fileName,
        section: spec.name,
        key: p.key,
        line: lines[spec.name][p.key] ?? sectionLines[spec.name],
      };
      if (p.severity === 'error') throw new ConfigError(where, p.detail);
      warnings.push(configWarning(where, p.detail));
    }
    const listens = typeof section.listener === 'function' ? section.listener(v) : section.listener === true;
    if (!listens || v.port === 0) continue;
    const me: Listener = { section: spec.name, bind: String(v.bind), port: Number(v.port) };
    const clash = listeners.find((l) => l.port === me.port && overlaps(l.bind, me.bind));
    if (clash !== undefined) {
      // Blame the port that is written in the file (the later one when both or neither are).
      const [at, other] =
        lines[me.section].port === undefined && lines[clash.section].port !== undefined ? [clash, me] : [me, clash];
      throw new ConfigError(
        { file: fileName, section: at.section, key: 'port', line: lines[at.section].port ?? sectionLines[at.section] },
        `${at.port} on ${at.bind} is already the port of [${other.section}] on ${other.bind}`,
      );
    }
    listeners.push(me);
  }

  const settings: Record<string, Readonly<Record<string, SettingValue>>> = {};
  for (const [prop, v] of Object.entries(values)) settings[prop] = Object.freeze(v);
  for (const l of Object.values(lines)) Object.freeze(l);
  return {
    // The tables guarantee each value's type: parseValue returns the spec's type or fails.
    settings: Object.freeze(settings) as unknown as Settings,
    warnings,
    fromFile: true,
    file: fileName,
    lines: Object.freeze(lines),
  };
}

/** Every key at its default: what smppgate runs with when there is no config file. */
export function defaultSettings(): Settings {
  return parseConfig('', '(defaults)').settings;
}

/**
 * Reads and parses a config file. No path, or no file at the path: all defaults with `fromFile: false` (the caller
 * logs that). A file that exists but cannot be read, or a bad value: ConfigError.
 */
export function loadConfig(path?: string): LoadedConfig {
  if (path === undefined) return { ...parseConfig('', '(defaults)'), fromFile: false, file: null };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ...parseConfig('', path), fromFile: false };
    throw new ConfigError({ file: path }, `cannot read the config file: ${(e as Error).message}`, { cause: e });
  }
  return parseConfig(text, path);
}
