// smppgate connector add|list|show|update|start|stop|remove

import { keyValue, type ParsedArgs, UsageError } from '../args.js';
import type { Command, CommandContext, CommandGroup } from '../command.js';
import { renderKeyValues, renderTable } from '../table.js';
import { asList, asRecord, get, pathId } from './util.js';

/** The settings given with --set (strings), --set-json (any JSON) and --unset (null: remove). */
export function settingsOptions(args: ParsedArgs): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const text of args.lists.get('set') ?? []) {
    const [key, value] = keyValue(text, 'set');
    settings[key] = value;
  }
  for (const text of args.lists.get('set-json') ?? []) {
    const [key, value] = keyValue(text, 'set-json');
    try {
      settings[key] = JSON.parse(value) as unknown;
    } catch {
      throw new UsageError(`--set-json: the value of ${key} is not JSON: ${value}`);
    }
  }
  for (const key of args.lists.get('unset') ?? []) settings[key] = null;
  return settings;
}

const SETTING_OPTIONS = [
  { name: 'set', kind: 'list', arg: 'KEY=VALUE', help: 'a setting, as a string' },
  { name: 'set-json', kind: 'list', arg: 'KEY=JSON', help: 'a setting as JSON (numbers, booleans, lists)' },
] as const;

async function call(ctx: CommandContext, method: string, path: string, body?: unknown): Promise<unknown> {
  return (await ctx.client()).request(method, path, body);
}

const connectorPath = (ctx: CommandContext, suffix = '') =>
  `/api/v1/connectors/${pathId(ctx.args.positionals[0])}${suffix}`;

/** Renders connectors as a table with their live state. */
export function connectorsTable(value: unknown): string {
  return renderTable(
    ['cid', 'type', 'started', 'state', 'binds', 'last_error'],
    asList(value).map((c) => [
      c.cid,
      c.type,
      c.started,
      get(c, 'state', 'state'),
      get(c, 'state', 'binds'),
      get(c, 'state', 'last_error'),
    ]),
  );
}

const add: Command = {
  name: 'add',
  summary: 'Create a connector (stopped until `connector start`).',
  usage: '<cid> --type smppc|http|sim [--set KEY=VALUE …]',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'type', kind: 'value', arg: 'TYPE', help: 'smppc (upstream SMSC), http (MO to a URL) or sim' },
    ...SETTING_OPTIONS,
  ],
  details:
    'Example:\n  smppgate connector add c1 --type smppc --set host=10.0.0.5 --set-json port=2775 --set username=gw --set password=pw',
  async run(ctx) {
    const type = ctx.args.values.get('type');
    if (type === undefined) throw new UsageError('--type is required (smppc, http or sim)');
    const body = { cid: ctx.args.positionals[0], type, settings: settingsOptions(ctx.args) };
    const connector = await call(ctx, 'POST', '/api/v1/connectors', body);
    ctx.print(connector, (c) => `connector ${asRecord(c).cid} added (stopped)\n`);
  },
};

const update: Command = {
  name: 'update',
  summary: 'Change settings of a connector (given keys replace, --unset removes).',
  usage: '<cid> [--set KEY=VALUE …] [--unset KEY …]',
  positionals: { min: 1, max: 1 },
  options: [...SETTING_OPTIONS, { name: 'unset', kind: 'list', arg: 'KEY', help: 'remove a setting' }],
  async run(ctx) {
    const settings = settingsOptions(ctx.args);
    if (Object.keys(settings).length === 0)
      throw new UsageError('nothing to change: give --set, --set-json or --unset');
    ctx.print(await call(ctx, 'PATCH', connectorPath(ctx), { settings }), renderKeyValues);
  },
};

const list: Command = {
  name: 'list',
  summary: 'List the connectors and their live state.',
  usage: '',
  positionals: { min: 0, max: 0 },
  options: [],
  async run(ctx) {
    ctx.print(await call(ctx, 'GET', '/api/v1/connectors'), connectorsTable);
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show a connector: settings and live state.',
  usage: '<cid>',
  positionals: { min: 1, max: 1 },
  options: [],
  async run(ctx) {
    ctx.print(await call(ctx, 'GET', connectorPath(ctx)), renderKeyValues);
  },
};

function action(name: string, summary: string, method: string, suffix: string, past: string): Command {
  return {
    name,
    summary,
    usage: '<cid>',
    positionals: { min: 1, max: 1 },
    options: [],
    async run(ctx) {
      const answer = await call(ctx, method, connectorPath(ctx, suffix));
      ctx.print(answer, (c) => `connector ${asRecord(c).cid} ${past}\n`);
    },
  };
}

/** The `connector` command. */
export const connectorCommands: CommandGroup = {
  name: 'connector',
  summary: 'Connectors: upstream SMPP clients (smppc), HTTP MO endpoints (http), the simulator (sim).',
  commands: [
    add,
    list,
    show,
    update,
    action('start', 'Start a connector (it binds and sends its queue).', 'POST', '/start', 'started'),
    action('stop', 'Stop a connector (its queue waits in the store).', 'POST', '/stop', 'stopped'),
    action(
      'remove',
      'Remove a connector (refused while a route leads to it or messages wait for it).',
      'DELETE',
      '',
      'removed',
    ),
  ],
};
