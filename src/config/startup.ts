// Startup steps that touch the world outside the config text: log files (create the folder, check they can be
// appended to), the TLS certificate and key (read and match them), the admin token (generate one when unset).
// Each failure is a ConfigError naming the key at fault, like a bad value would be.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError, type ConfigLocation } from './errors.js';
import type { LoadedConfig } from './load.js';
import { type AdminSettings, SCHEMA } from './schema.js';
import type { SectionSpec } from './spec.js';

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code !== undefined ? `${err.code} ${err.message.replace(/^\w+: /, '')}` : String(err.message ?? e);
}

function locate(loaded: LoadedConfig, section: string, key: string): ConfigLocation {
  return { file: loaded.file ?? '(defaults)', section, key, line: loaded.lines[section]?.[key] };
}

/**
 * Creates `folder` and its missing parents, one level at a time. Not `mkdirSync(…, { recursive: true })`: on some
 * filesystems (procfs) that loops forever. Failures are left for the open that follows to report precisely.
 */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  for (let f = folder; !existsSync(f); f = dirname(f)) {
    if (dirname(f) === f) break;
    missing.push(f);
  }
  for (const f of missing.reverse()) {
    try {
      mkdirSync(f);
    } catch {
      return;
    }
  }
}

/**
 * Makes sure `path` can be appended to: creates its folder (with parents) when it can, then opens the file for
 * append and closes it. Throws ConfigError at `where` otherwise (folder not creatable, no permission, a directory…).
 */
export function prepareLogFile(path: string, where: ConfigLocation): void {
  makeFolders(dirname(path));
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new ConfigError(where, `cannot append to ${path}: ${reason(e)}`, { cause: e });
  }
}

/** Prepares every log file the settings name (`log_file`, `access_log` of every section); returns their paths. */
export function prepareLogFiles(loaded: LoadedConfig): string[] {
  const prepared: string[] = [];
  const all = loaded.settings as unknown as Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  for (const [prop, spec] of Object.entries(SCHEMA)) {
    const section: SectionSpec = spec;
    for (const [key, keySpec] of Object.entries(section.keys)) {
      const value = all[prop][key];
      if (keySpec.type !== 'path' || keySpec.logFile !== true || typeof value !== 'string') continue;
      prepareLogFile(value, locate(loaded, spec.name, key));
      prepared.push(value);
    }
  }
  return prepared;
}

/** The TLS listener's certificate and key as PEM contents, as the server takes them. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** `[smpp-server-tls] ciphers` (checked by the schema). */
  readonly ciphers: string;
}

function readPem(loaded: LoadedConfig, key: 'cert' | 'key', path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(locate(loaded, 'smpp-server-tls', key), `cannot read ${path}: ${reason(e)}`, { cause: e });
  }
}

/**
 * Reads `[smpp-server-tls] cert` and `key` and checks that OpenSSL takes them and that they match; null when no cert
 * is set (no TLS listener). Throws ConfigError naming `cert` or `key`.
 */
export function loadTlsCredentials(loaded: LoadedConfig): TlsCredentials | null {
  const tls = loaded.settings.smppServerTls;
  if (tls.cert === null) return null;
  if (tls.key === null) {
    // parseConfig refuses this; a hand-built Settings may not have been through it.
    throw new ConfigError(locate(loaded, 'smpp-server-tls', 'key'), 'is required when cert is set');
  }
  const cert = readPem(loaded, 'cert', tls.cert);
  const key = readPem(loaded, 'key', tls.key);
  try {
    createSecureContext({ cert });
  } catch (e) {
    throw new ConfigError(
      locate(loaded, 'smpp-server-tls', 'cert'),
      `${tls.cert} is not a usable PEM certificate: ${reason(e)}`,
      {
        cause: e,
      },
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new ConfigError(
      locate(loaded, 'smpp-server-tls', 'key'),
      `${tls.key} is not a PEM private key matching ${tls.cert}: ${reason(e)}`,
      { cause: e },
    );
  }
  return { cert, key, minVersion: tls.min_version, ciphers: tls.ciphers };
}

/** The admin API's bearer token: the configured one, or a fresh random one (`generated: true`: log it once). */
export function resolveAdminToken(
  admin: Pick<AdminSettings, 'token'>,
  random: (size: number) => Buffer = randomBytes,
): { readonly token: string; readonly generated: boolean } {
  if (admin.token !== null && admin.token !== '') return { token: admin.token, generated: false };
  return { token: random(24).toString('base64url'), generated: true };
}
