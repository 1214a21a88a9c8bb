// Where the admin commands find the gateway: --url, else the config's [admin] bind/port, else the default
// http://127.0.0.1:8990; the token from --token, else $SMPPGATE_TOKEN, else the config's [admin] token.

import { ConfigError, loadConfig } from '../config/index.js';
import { type ParsedArgs, UsageError } from './args.js';

/** The admin API's default port (`[admin] port`). */
export const DEFAULT_ADMIN_PORT = 8990;

/** Where to send requests and with which token. */
export interface Connection {
  url: string;
  token: string | null;
}

/** The host to connect to for a listener bound to `bind`: a wildcard bind is reached on loopback. */
export function connectHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::' || bind === '::0') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}

/** Resolves the connection from the options, the environment and the config file. */
export function resolveConnection(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): Connection {
  const configPath = args.values.get('config');
  let admin: { bind: string; port: number; token: string | null } | null = null;
  if (configPath !== undefined) {
    try {
      const loaded = loadConfig(configPath);
      if (!loaded.fromFile) throw new UsageError(`--config: no such file: ${configPath}`);
      admin = loaded.settings.admin;
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`--config: ${err.message}`);
      throw err;
    }
  }
  const url =
    args.values.get('url') ??
    (admin === null ? `http://127.0.0.1:${DEFAULT_ADMIN_PORT}` : `http://${connectHost(admin.bind)}:${admin.port}`);
  if (!/^https?:\/\/[^/]+/.test(url))
    throw new UsageError(`--url: expected http://host:port, got ${JSON.stringify(url)}`);
  const fromEnv = env.SMPPGATE_TOKEN;
  const token =
    args.values.get('token') ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : null) ?? admin?.token ?? null;
  return { url, token };
}
