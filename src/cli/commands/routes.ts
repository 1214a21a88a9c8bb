// smppgate route add|list|show|remove (mt|mo)

import { numberOption, type ParsedArgs, UsageError } from '../args.js';
import type { Command, CommandContext, CommandGroup } from '../command.js';
import { cell, renderKeyValues, renderTable } from '../table.js';
import { asList, asRecord } from './util.js';

type Direction = 'mt' | 'mo';

function direction(text: string | undefined): Direction {
  if (text !== 'mt' && text !== 'mo') throw new UsageError(`expected mt or mo, got ${JSON.stringify(text ?? '')}`);
  return text;
}

/** Splits `A..B` for date and time intervals. */
function interval(text: string, what: string): { from: string; to: string } {
  const at = text.indexOf('..');
  if (at < 0) throw new UsageError(`--filter ${what}: expected FROM..TO, got ${JSON.stringify(text)}`);
  return { from: text.slice(0, at), to: text.slice(at + 2) };
}

/**
 * One --filter: `destination_addr=REGEX`, `source_addr=REGEX`, `short_message=REGEX`, `user=UID`, `group=GID`,
 * `connector=CID`, `tag=N`, `date_interval=YYYY-MM-DD..YYYY-MM-DD`, `time_interval=HH:MM:SS..HH:MM:SS`, `transparent`.
 */
export function parseRouteFilter(text: string): Record<string, unknown> {
  if (text === 'transparent') return { type: 'transparent' };
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--filter: expected TYPE=VALUE, got ${JSON.stringify(text)}`);
  const type = text.slice(0, eq);
  const value = text.slice(eq + 1);
  switch (type) {
    case 'destination_addr':
    case 'source_addr':
    case 'short_message':
      return { type, regex: value };
    case 'user':
      return { type, uid: value };
    case 'group':
      return { type, gid: value };
    case 'connector':
      return { type, cid: value };
    case 'tag':
      return { type, tag: numberOption(value, 'filter tag', { integer: true }) };
    case 'date_interval':
    case 'time_interval':
      return { type, ...interval(value, type) };
    default:
      throw new UsageError(`--filter: unknown filter type ${JSON.stringify(type)}`);
  }
}

/** The route body the options describe. */
export function routeBody(dir: Direction, args: ParsedArgs): Record<string, unknown> {
  const orderText = args.values.get('order');
  if (orderText === undefined) throw new UsageError('--order is required');
  const order = numberOption(orderText, 'order', { integer: true });
  const type = args.values.get('type') ?? (order === 0 ? 'default' : 'static');
  const connectors = args.lists.get('connector') ?? [];
  if (connectors.length === 0) {
    throw new UsageError(
      `--connector is required (${dir === 'mt' ? 'smppc(cid) or sim(cid)' : 'smpps(username) or http(cid)'})`,
    );
  }
  const body: Record<string, unknown> = { order, type };
  if (type === 'roundrobin' || type === 'failover' || connectors.length > 1) body.connectors = connectors;
  else body.connector = connectors[0];
  const filters = (args.lists.get('filter') ?? []).map(parseRouteFilter);
  if (filters.length > 0) body.filters = filters;
  const rate = args.values.get('rate');
  if (rate !== undefined) {
    if (dir === 'mo') throw new UsageError('--rate applies to MT routes only');
    body.rate = numberOption(rate, 'rate');
  }
  return body;
}

function describeFilter(f: Record<string, unknown>): string {
  const { type, ...rest } = f;
  const values = Object.values(rest).map(cell);
  return values.length === 0 ? String(type) : `${String(type)}=${values.join('..')}`;
}

/** Renders routes as a table, highest order first as the router tries them. */
export function routesTable(value: unknown): string {
  const routes = asList(value);
  const hasRate = routes.some((r) => 'rate' in r);
  const headers = ['order', 'type', 'connectors', ...(hasRate ? ['rate'] : []), 'filters'];
  return renderTable(
    headers,
    routes.map((r) => {
      const refs = r.connector === undefined ? ((r.connectors as unknown[] | undefined) ?? []) : [r.connector];
      const filters = asList(r.filters).map(describeFilter).join(' ');
      return [r.order, r.type, refs.map(cell).join(','), ...(hasRate ? [r.rate] : []), filters];
    }),
  );
}

async function call(ctx: CommandContext, method: string, path: string, body?: unknown): Promise<unknown> {
  return (await ctx.client()).request(method, path, body);
}

const add: Command = {
  name: 'add',
  summary: 'Create a route (MT: to connectors, with a rate; MO: to SMPP users or HTTP connectors).',
  usage: 'mt|mo --order N [--type T] --connector REF … [--filter F …] [--rate R] [--replace]',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'order', kind: 'value', arg: 'N', help: 'priority, highest tried first; 0 is the default route' },
    {
      name: 'type',
      kind: 'value',
      arg: 'T',
      help: 'default | static | roundrobin | failover (default: static, or default at order 0)',
    },
    {
      name: 'connector',
      kind: 'list',
      arg: 'REF',
      help: 'MT: smppc(cid) or sim(cid); MO: smpps(username) or http(cid); repeat for several',
    },
    { name: 'filter', kind: 'list', arg: 'F', help: 'TYPE=VALUE, all must match (see below)' },
    { name: 'rate', kind: 'value', arg: 'R', help: 'MT price per message part (default 0)' },
    { name: 'replace', kind: 'flag', help: 'replace the route at that order instead of failing' },
  ],
  details: [
    'Filters: destination_addr=REGEX, source_addr=REGEX, short_message=REGEX, user=UID, group=GID (MT),',
    '  connector=CID (MO), tag=N, date_interval=YYYY-MM-DD..YYYY-MM-DD, time_interval=HH:MM:SS..HH:MM:SS, transparent.',
    'Examples:',
    "  smppgate route add mt --order 10 --type static --connector 'smppc(c1)' --filter destination_addr='^33' --rate 0.02",
    "  smppgate route add mt --order 0 --connector 'sim(demo)'",
    "  smppgate route add mo --order 10 --connector 'smpps(alice)' --filter destination_addr='^3360'",
  ].join('\n'),
  async run(ctx) {
    const dir = direction(ctx.args.positionals[0]);
    const body = routeBody(dir, ctx.args);
    const route = ctx.args.flags.has('replace')
      ? await call(ctx, 'PUT', `/api/v1/routes/${dir}/${body.order}`, body)
      : await call(ctx, 'POST', `/api/v1/routes/${dir}`, body);
    ctx.print(
      route,
      (r) =>
        `${dir.toUpperCase()} route ${asRecord(r).order} ${ctx.args.flags.has('replace') ? 'replaced' : 'added'}\n`,
    );
  },
};

const list: Command = {
  name: 'list',
  summary: 'List MT or MO routes (both when not given).',
  usage: '[mt|mo]',
  positionals: { min: 0, max: 1 },
  options: [],
  async run(ctx) {
    const given = ctx.args.positionals[0];
    if (given !== undefined) {
      const dir = direction(given);
      ctx.print(await call(ctx, 'GET', `/api/v1/routes/${dir}`), routesTable);
      return;
    }
    const mt = await call(ctx, 'GET', '/api/v1/routes/mt');
    const mo = await call(ctx, 'GET', '/api/v1/routes/mo');
    ctx.print(
      { mt, mo },
      (v) => `MT routes\n${routesTable(asRecord(v).mt)}\nMO routes\n${routesTable(asRecord(v).mo)}`,
    );
  },
};

function byOrder(name: string, summary: string, method: string, done: (dir: Direction, r: unknown) => string): Command {
  return {
    name,
    summary,
    usage: 'mt|mo <order>',
    positionals: { min: 2, max: 2 },
    options: [],
    async run(ctx) {
      const dir = direction(ctx.args.positionals[0]);
      const order = numberOption(ctx.args.positionals[1], 'order', { integer: true });
      const route = await call(ctx, method, `/api/v1/routes/${dir}/${order}`);
      ctx.print(route, (r) => done(dir, r));
    },
  };
}

/** The `route` command. */
export const routeCommands: CommandGroup = {
  name: 'route',
  summary: 'MT and MO routes: the first route (highest order) whose filters all match wins.',
  commands: [
    add,
    list,
    byOrder('show', 'Show one route.', 'GET', (_dir, r) => renderKeyValues(r)),
    byOrder(
      'remove',
      'Remove a route.',
      'DELETE',
      (dir, r) => `${dir.toUpperCase()} route ${asRecord(r).order} removed\n`,
    ),
  ],
};
