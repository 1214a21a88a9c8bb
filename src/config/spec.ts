// The shape of a config table: one KeySpec per key says its type, default, bounds and documentation, and one
// SectionSpec per INI section groups them. The loader, the Settings type and docs/configuration.md are all derived
// from these tables, so adding a section is adding one table to schema.ts.

import { isIP } from 'node:net';

interface BaseKeySpec {
  /** One or two sentences for docs/configuration.md: what the key does, in an operator's words. */
  readonly description: string;
}

/** Free text; `check` may refuse a value by returning the problem. */
export interface StringKeySpec extends BaseKeySpec {
  readonly type: 'string';
  /** null: unset unless written (an empty value or `None` also leaves it unset). */
  readonly default: string | null;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly check?: (value: string) => string | undefined;
}

/** A filesystem path, kept as written (relative paths are relative to the working directory). */
export interface PathKeySpec extends BaseKeySpec {
  readonly type: 'path';
  readonly default: string | null;
  /** A log file: `prepareLogFiles` creates its folder and checks it can be appended to. */
  readonly logFile?: boolean;
  /** A file the process reads at start: `readConfiguredFile` names this key when it cannot. */
  readonly readable?: boolean;
}

/** An IP address (v4 or v6) or a host name to listen on or connect to. */
export interface AddressKeySpec extends BaseKeySpec {
  readonly type: 'address';
  readonly default: string;
}

/** A TCP port, 0–65535 (0: any free port, for tests). */
export interface PortKeySpec extends BaseKeySpec {
  readonly type: 'port';
  readonly default: number;
}

/** A whole number (`int`) or any decimal number (`number`), within optional bounds. */
export interface NumberKeySpec extends BaseKeySpec {
  readonly type: 'int' | 'number';
  readonly default: number | null;
  readonly min?: number;
  readonly max?: number;
  /** Shown in the docs after the default, e.g. `ms`. */
  readonly unit?: string;
}

/** A duration in seconds: a number (decimals allowed) or a number with `s`, `m`, `h` or `d`; the value is seconds. */
export interface DurationKeySpec extends BaseKeySpec {
  readonly type: 'duration-seconds';
  readonly default: number | null;
  readonly min?: number;
  readonly max?: number;
}

/** configparser's booleans: yes/no, true/false, on/off, 1/0 (any case). */
export interface BoolKeySpec extends BaseKeySpec {
  readonly type: 'bool';
  readonly default: boolean;
}

/** One of a fixed list, matched case-insensitively; `aliases` map other spellings to a value of the list. */
export interface EnumKeySpec extends BaseKeySpec {
  readonly type: 'enum';
  readonly values: readonly string[];
  readonly default: string | null;
  readonly aliases?: Readonly<Record<string, string>>;
}

/** A key Jasmin has that smppgate accepts, so a jasmin.cfg loads, but does not honour: a warning says why. */
export interface IgnoredKeySpec extends BaseKeySpec {
  readonly type: 'ignored';
}

/** The spec of one key. */
export type KeySpec =
  | StringKeySpec
  | PathKeySpec
  | AddressKeySpec
  | PortKeySpec
  | NumberKeySpec
  | DurationKeySpec
  | BoolKeySpec
  | EnumKeySpec
  | IgnoredKeySpec;

/** A value a key can hold once parsed. */
export type SettingValue = string | number | boolean | null;

/** A problem a section's own check finds across its keys (a cert without its key…). */
export interface SectionProblem {
  readonly key: string;
  readonly detail: string;
  /** An error stops the start; a warning is returned for the caller to log. */
  readonly severity: 'error' | 'warning';
}

/** The spec of one INI section. */
export interface SectionSpec {
  /** The INI name, e.g. `smpp-server`. */
  readonly name: string;
  /** A paragraph for docs/configuration.md. */
  readonly description: string;
  readonly keys: Readonly<Record<string, KeySpec>>;
  /** Checks across keys, run after each key is valid on its own. */
  readonly check?: (values: Readonly<Record<string, SettingValue>>) => readonly SectionProblem[];
  /**
   * The section opens a listener on its `bind` and `port` keys (checked against the others for collisions);
   * a function says whether it is opened with these values (the TLS listener only with a cert).
   */
  readonly listener?: boolean | ((values: Readonly<Record<string, SettingValue>>) => boolean);
}

/** The TypeScript type of a key's value, derived from its spec (`null` when the default is null). */
export type ValueOf<K extends KeySpec> =
  | (K extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : K extends { readonly type: 'bool' }
        ? boolean
        : K extends { readonly type: 'int' | 'number' | 'port' | 'duration-seconds' }
          ? number
          : string)
  | (K extends { readonly default: null } ? null : never);

/** The typed values of a section: one readonly property per key (ignored keys have none). */
export type SectionValues<S extends SectionSpec> = {
  readonly [P in keyof S['keys'] as S['keys'][P] extends IgnoredKeySpec ? never : P]: ValueOf<S['keys'][P]>;
};

/** The result of parsing one value: the value, or the problem in words (`"abc" is not a whole number`). */
export type ParsedValue =
  | { readonly ok: true; readonly value: SettingValue }
  | { readonly ok: false; readonly problem: string };

const BOOLEANS: Readonly<Record<string, boolean>> = {
  '1': true,
  yes: true,
  true: true,
  on: true,
  '0': false,
  no: false,
  false: false,
  off: false,
};

const INT = /^[+-]?\d+(?:_\d+)*$/;
const DECIMAL = /^[+-]?(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DURATION = /^(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)$/i;
const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function fail(problem: string): ParsedValue {
  return { ok: false, problem };
}

function ok(value: SettingValue): ParsedValue {
  return { ok: true, value };
}

function show(raw: string): string {
  return JSON.stringify(raw);
}

function bounded(n: number, spec: { readonly min?: number; readonly max?: number }, unit = ''): ParsedValue {
  if (spec.min !== undefined && n < spec.min) return fail(`${n}${unit} is below the minimum ${spec.min}${unit}`);
  if (spec.max !== undefined && n > spec.max) return fail(`${n}${unit} is above the maximum ${spec.max}${unit}`);
  return ok(n);
}

/** True for a host name by RFC 1123 (letters, digits and hyphens, dot-separated, at most 253 characters). */
export function isHostName(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => HOST_LABEL.test(l));
}

/** Parses the text of one value by its spec (after the INI layer stripped spaces and quotes). */
export function parseValue(spec: KeySpec, raw: string): ParsedValue {
  switch (spec.type) {
    case 'ignored':
      return ok(raw);
    case 'string': {
      if (spec.minLength !== undefined && raw.length < spec.minLength) {
        return fail(raw === '' ? 'must not be empty' : `${show(raw)} is shorter than ${spec.minLength} characters`);
      }
      if (spec.maxLength !== undefined && raw.length > spec.maxLength) {
        return fail(`${show(raw)} is longer than ${spec.maxLength} characters`);
      }
      const problem = spec.check?.(raw);
      return problem === undefined ? ok(raw) : fail(`${show(raw)} ${problem}`);
    }
    case 'path':
      if (raw === '') return fail('must not be empty');
      if (raw.includes('\0') || raw.includes('\n')) return fail(`${show(raw)} is not a path`);
      return ok(raw);
    case 'address':
      if (isIP(raw) !== 0 || isHostName(raw)) return ok(raw);
      return fail(
        `${show(raw)} is not an IP address or host name${/:\d+$/.test(raw) ? ' (the port is a key of its own)' : ''}`,
      );
    case 'port': {
      if (!INT.test(raw)) return fail(`${show(raw)} is not a whole number`);
      const n = Number(raw.replaceAll('_', ''));
      if (n < 0 || n > 65535) return fail(`${n} is not a port (0 to 65535)`);
      return ok(n);
    }
    case 'int': {
      if (!INT.test(raw)) return fail(`${show(raw)} is not a whole number`);
      const n = Number(raw.replaceAll('_', ''));
      if (!Number.isSafeInteger(n)) return fail(`${show(raw)} is too large`);
      return bounded(n, spec);
    }
    case 'number': {
      if (!DECIMAL.test(raw)) return fail(`${show(raw)} is not a number`);
      const n = Number(raw.replaceAll('_', ''));
      if (!Number.isFinite(n)) return fail(`${show(raw)} is too large`);
      return bounded(n, spec);
    }
    case 'duration-seconds': {
      const m = DURATION.exec(raw);
      if (m === null) return fail(`${show(raw)} is not a duration (seconds, or a number followed by s, m, h or d)`);
      const seconds = Number(m[1]) * UNIT_SECONDS[m[2].toLowerCase()];
      return bounded(seconds, spec, ' s');
    }
    case 'bool': {
      const b = BOOLEANS[raw.toLowerCase()];
      return b === undefined ? fail(`${show(raw)} is not a boolean (yes/no, true/false, on/off, 1/0)`) : ok(b);
    }
    case 'enum': {
      const upper = raw.toUpperCase();
      const hit = spec.values.find((v) => v.toUpperCase() === upper);
      if (hit !== undefined) return ok(hit);
      const alias = Object.entries(spec.aliases ?? {}).find(([k]) => k.toUpperCase() === upper);
      if (alias !== undefined) return ok(alias[1]);
      const also = spec.aliases === undefined ? '' : ` (or ${Object.keys(spec.aliases).join(', ')})`;
      return fail(`${show(raw)} is not one of ${spec.values.join(', ')}${also}`);
    }
  }
}

/** Shows a key's default as an operator would write it (for docs and messages). */
export function showDefault(spec: KeySpec): string {
  if (spec.type === 'ignored' || spec.default === null) return '';
  if (typeof spec.default === 'boolean') return spec.default ? 'true' : 'false';
  return String(spec.default);
}
