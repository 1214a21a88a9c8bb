// smppgate user add|list|show|update|remove|enable|disable|unbind|ban|credit

import { readFile } from 'node:fs/promises';
import { keyValue, numberOption, type OptionSpec, type ParsedArgs, UsageError } from '../args.js';
import type { Command, CommandContext, CommandGroup } from '../command.js';
import { renderKeyValues, renderTable } from '../table.js';
import { asList, asRecord, get, pathId } from './util.js';

/** Authorizations of the smpps credential (`--allow bind`, `--deny bind`). */
const SMPPS_AUTHORIZATIONS = ['bind'];

/** Authorizations of the mt_messaging credential (SPEC.md §3). */
export const MT_AUTHORIZATIONS = [
  'smpps_send',
  'http_send',
  'http_balance',
  'http_rate',
  'http_bulk',
  'dlr_level',
  'src_addr',
  'priority',
  'validity_period',
  'schedule_delivery_time',
  'hex_content',
  'long_content',
];

/** Value filters of the mt_messaging credential (`--filter dst_addr='^33'`). */
export const VALUE_FILTERS = ['dst_addr', 'src_addr', 'priority', 'content', 'validity_period'];

/** Octets of password an SMPP v3.4 bind carries (SMPP 3.4 §4.1.1). */
const SMPP_PASSWORD_OCTETS = 8;

const CREDENTIAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'gid', kind: 'value', arg: 'GID', help: "the user's group" },
  { name: 'username', kind: 'value', arg: 'NAME', help: 'SMPP system_id and HTTP username (add: defaults to the uid)' },
  {
    name: 'password',
    kind: 'value',
    arg: 'PASSWORD',
    help: 'password (visible in the process list; see --password-file)',
  },
  { name: 'password-file', kind: 'value', arg: 'FILE', help: 'read the password from the first line of FILE' },
  { name: 'balance', kind: 'value', arg: 'N|none', help: 'balance (none = unlimited); set absolutely' },
  { name: 'early-percent', kind: 'value', arg: 'N|none', help: 'share of the rate charged at acceptance, 0–100' },
  { name: 'sms-count', kind: 'value', arg: 'N|none', help: 'messages left (none = unlimited)' },
  { name: 'throughput', kind: 'value', arg: 'N|none', help: 'SMPP messages per second over all binds' },
  { name: 'http-throughput', kind: 'value', arg: 'N|none', help: 'HTTP API messages per second' },
  { name: 'max-bindings', kind: 'value', arg: 'N|none', help: 'simultaneous binds of all types' },
  { name: 'ip', kind: 'value', arg: 'LIST|any', help: 'addresses/CIDRs it may bind from, comma-separated' },
  { name: 'src-addr-default', kind: 'value', arg: 'ADDR|none', help: 'source address used when the ESME gives none' },
  { name: 'allow', kind: 'list', arg: 'AUTH', help: `grant an authorization (bind, ${MT_AUTHORIZATIONS.join(', ')})` },
  { name: 'deny', kind: 'list', arg: 'AUTH', help: 'revoke an authorization' },
  {
    name: 'filter',
    kind: 'list',
    arg: 'NAME=REGEX',
    help: `value filter (${VALUE_FILTERS.join(', ')}); empty REGEX clears it`,
  },
];

type Obj = Record<string, unknown>;

function section(root: Obj, ...path: string[]): Obj {
  let at = root;
  for (const key of path) {
    at[key] ??= {};
    at = at[key] as Obj;
  }
  return at;
}

function nullableNumber(args: ParsedArgs, option: string, integer = false): number | null | undefined {
  const text = args.values.get(option);
  return text === undefined ? undefined : numberOption(text, option, { integer, nullable: true });
}

/** The credential parts (smpps_cred, mt_messaging_cred) the options ask for, in the API's shape. */
export function credentialBody(args: ParsedArgs): Obj {
  const body: Obj = {};
  const quota = (path: string[], key: string, option: string, integer = false) => {
    const v = nullableNumber(args, option, integer);
    if (v !== undefined) section(body, ...path)[key] = v;
  };
  quota(['mt_messaging_cred', 'quotas'], 'balance', 'balance');
  quota(['mt_messaging_cred', 'quotas'], 'early_percent', 'early-percent');
  quota(['mt_messaging_cred', 'quotas'], 'sms_count', 'sms-count', true);
  quota(['mt_messaging_cred', 'quotas'], 'smpps_throughput', 'throughput');
  quota(['mt_messaging_cred', 'quotas'], 'http_throughput', 'http-throughput');
  quota(['smpps_cred', 'quotas'], 'max_bindings', 'max-bindings', true);
  const ip = args.values.get('ip');
  if (ip !== undefined) section(body, 'smpps_cred', 'authorizations').ip = ip === 'any' ? null : ip;
  const src = args.values.get('src-addr-default');
  if (src !== undefined) section(body, 'mt_messaging_cred', 'defaults').src_addr = src === 'none' ? null : src;
  for (const [option, value] of [
    ['allow', true],
    ['deny', false],
  ] as const) {
    for (const name of args.lists.get(option) ?? []) {
      if (SMPPS_AUTHORIZATIONS.includes(name)) section(body, 'smpps_cred', 'authorizations')[name] = value;
      else if (MT_AUTHORIZATIONS.includes(name)) section(body, 'mt_messaging_cred', 'authorizations')[name] = value;
      else throw new UsageError(`--${option}: unknown authorization ${JSON.stringify(name)}`);
    }
  }
  for (const text of args.lists.get('filter') ?? []) {
    const [name, regex] = keyValue(text, 'filter');
    if (!VALUE_FILTERS.includes(name)) throw new UsageError(`--filter: unknown value filter ${JSON.stringify(name)}`);
    section(body, 'mt_messaging_cred', 'value_filters')[name] = regex === '' ? null : regex;
  }
  return body;
}

/** The password from --password or --password-file (its first line), or undefined. */
async function passwordOption(args: ParsedArgs): Promise<string | undefined> {
  const inline = args.values.get('password');
  const file = args.values.get('password-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('give --password or --password-file, not both');
  if (file === undefined) return inline;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--password-file: cannot read ${file}: ${(err as Error).message}`);
  }
  return text.split(/\r?\n/)[0];
}

function warnLongPassword(ctx: CommandContext, password: string | undefined): void {
  if (password !== undefined && Buffer.byteLength(password, 'utf8') > SMPP_PASSWORD_OCTETS) {
    ctx.io.stderr.write(
      `warning: the password is longer than ${SMPP_PASSWORD_OCTETS} octets: SMPP v3.4 binds cannot carry it, only the HTTP API can use it\n`,
    );
  }
}

async function call(ctx: CommandContext, method: string, path: string, body?: unknown): Promise<unknown> {
  return (await ctx.client()).request(method, path, body);
}

const userPath = (ctx: CommandContext, suffix = '') => `/api/v1/users/${pathId(ctx.args.positionals[0])}${suffix}`;

/** Renders users as a table of the figures an operator looks at first. */
export function usersTable(value: unknown): string {
  return renderTable(
    ['uid', 'username', 'gid', 'enabled', 'balance', 'sms_count', 'throughput', 'max_bindings'],
    asList(value).map((u) => [
      u.uid,
      u.username,
      u.gid,
      u.enabled,
      get(u, 'mt_messaging_cred', 'quotas', 'balance'),
      get(u, 'mt_messaging_cred', 'quotas', 'sms_count'),
      get(u, 'mt_messaging_cred', 'quotas', 'smpps_throughput'),
      get(u, 'smpps_cred', 'quotas', 'max_bindings'),
    ]),
  );
}

const add: Command = {
  name: 'add',
  summary: "Create a user; credentials not given take Jasmin's defaults.",
  usage: '<uid> --gid GID --password PASSWORD [--username NAME] [options]',
  positionals: { min: 1, max: 1 },
  options: [...CREDENTIAL_OPTIONS, { name: 'disabled', kind: 'flag', help: 'create it disabled' }],
  details:
    'Numbers take `none` (or `unlimited`) for null. Example:\n  smppgate user add u1 --gid g1 --username alice --password s3cret --balance 10 --throughput 20 --deny long_content',
  async run(ctx) {
    const { args } = ctx;
    const uid = args.positionals[0];
    const gid = args.values.get('gid');
    if (gid === undefined) throw new UsageError('--gid is required');
    const password = await passwordOption(args);
    if (password === undefined) throw new UsageError('--password or --password-file is required');
    warnLongPassword(ctx, password);
    const body = {
      uid,
      gid,
      username: args.values.get('username') ?? uid,
      password,
      enabled: !args.flags.has('disabled'),
      ...credentialBody(args),
    };
    const user = await call(ctx, 'POST', '/api/v1/users', body);
    ctx.print(user, (u) => `user ${asRecord(u).uid} added (username ${asRecord(u).username})\n`);
  },
};

const update: Command = {
  name: 'update',
  summary: 'Change any part of a user: group, username, password, credentials.',
  usage: '<uid> [options]',
  positionals: { min: 1, max: 1 },
  options: CREDENTIAL_OPTIONS,
  details: 'Only the options given change. --balance sets the balance absolutely; `user credit` moves it.',
  async run(ctx) {
    const { args } = ctx;
    const password = await passwordOption(args);
    warnLongPassword(ctx, password);
    const body: Obj = credentialBody(args);
    for (const key of ['gid', 'username'] as const) {
      const v = args.values.get(key);
      if (v !== undefined) body[key] = v;
    }
    if (password !== undefined) body.password = password;
    if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one option');
    const user = await call(ctx, 'PATCH', userPath(ctx), body);
    ctx.print(user, renderKeyValues);
  },
};

const list: Command = {
  name: 'list',
  summary: 'List the users (optionally of one group).',
  usage: '[--gid GID]',
  positionals: { min: 0, max: 0 },
  options: [{ name: 'gid', kind: 'value', arg: 'GID', help: "only this group's users" }],
  async run(ctx) {
    const gid = ctx.args.values.get('gid');
    const query = gid === undefined ? '' : `?gid=${encodeURIComponent(gid)}`;
    ctx.print(await call(ctx, 'GET', `/api/v1/users${query}`), usersTable);
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show a user and all its credentials.',
  usage: '<uid>',
  positionals: { min: 1, max: 1 },
  options: [],
  async run(ctx) {
    ctx.print(await call(ctx, 'GET', userPath(ctx)), renderKeyValues);
  },
};

function simple(name: string, summary: string, method: string, suffix: string, done: (v: Obj) => string): Command {
  return {
    name,
    summary,
    usage: '<uid>',
    positionals: { min: 1, max: 1 },
    options: [],
    async run(ctx) {
      const answer = await call(ctx, method, userPath(ctx, suffix));
      ctx.print(answer, (v) => `${done(asRecord(v))}\n`);
    },
  };
}

const credit: Command = {
  name: 'credit',
  summary: 'Top up (positive) or deduct (negative) balance and/or sms_count, atomically.',
  usage: '<uid> [--amount N] [--sms-count N]',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'amount', kind: 'value', arg: 'N', help: 'balance to add (negative: deduct)' },
    { name: 'sms-count', kind: 'value', arg: 'N', help: 'messages to add (negative: deduct)' },
  ],
  async run(ctx) {
    const body: Obj = {};
    const amount = ctx.args.values.get('amount');
    const count = ctx.args.values.get('sms-count');
    if (amount !== undefined) body.amount = numberOption(amount, 'amount');
    if (count !== undefined) body.sms_count = numberOption(count, 'sms-count', { integer: true });
    if (Object.keys(body).length === 0) throw new UsageError('give --amount and/or --sms-count');
    const answer = await call(ctx, 'POST', userPath(ctx, '/credit'), body);
    ctx.print(answer, (v) => renderKeyValues(v));
  },
};

/** The `user` command. */
export const userCommands: CommandGroup = {
  name: 'user',
  summary: 'Users (SMPP system_id / HTTP username) with their smpps and mt_messaging credentials.',
  commands: [
    add,
    list,
    show,
    update,
    simple('remove', 'Remove a user (its sessions are unbound).', 'DELETE', '', (u) => `user ${u.uid} removed`),
    simple('enable', 'Enable a user.', 'POST', '/enable', (u) => `user ${u.uid} enabled`),
    simple(
      'disable',
      'Disable a user: no new binds; bound sessions are refused at their next submit.',
      'POST',
      '/disable',
      (u) => `user ${u.uid} disabled`,
    ),
    simple(
      'unbind',
      'Unbind every session of a user (it may bind again).',
      'POST',
      '/unbind',
      (v) => `user ${v.uid}: ${v.unbound} session(s) unbound`,
    ),
    simple(
      'ban',
      'Disable a user and unbind its sessions.',
      'POST',
      '/ban',
      (v) => `user ${v.uid} disabled, ${v.unbound} session(s) unbound`,
    ),
    credit,
  ],
};
