// smppgate message show, binds (stats: ./stats.ts, history: ./history.ts)

import type { Command, CommandContext, CommandGroup } from '../command.js';
import { renderKeyValues, renderTable } from '../table.js';
import { asList, pathId } from './util.js';

async function call(ctx: CommandContext, method: string, path: string): Promise<unknown> {
  return (await ctx.client()).request(method, path);
}

const TIME_KEYS = new Set([
  'submitted_at',
  'updated_at',
  'final_at',
  'schedule_at',
  'expires_at',
  'started_at',
  'created_at',
  'bound_at',
]);

/** Epoch-millisecond fields shown as ISO dates for people (JSON keeps the numbers). */
export function withDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDates);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      (TIME_KEYS.has(k) || k.endsWith('_at')) && typeof v === 'number' ? new Date(v).toISOString() : withDates(v),
    ]),
  );
}

const showMessage: Command = {
  name: 'show',
  summary: 'Show a message part by its message_id: state, route, connector, times, content.',
  usage: '<message_id>',
  positionals: { min: 1, max: 1 },
  options: [],
  async run(ctx) {
    const message = await call(ctx, 'GET', `/api/v1/messages/${pathId(ctx.args.positionals[0])}`);
    ctx.print(message, (m) => renderKeyValues(withDates(m)));
  },
};

/** The `message` command. */
export const messageCommands: CommandGroup = {
  name: 'message',
  summary: 'Message history: look up a message part by id.',
  commands: [showMessage],
};

/** `smppgate binds` */
export const bindsCommand: Command = {
  name: 'binds',
  summary: 'The ESME sessions bound now.',
  usage: '[--uid UID]',
  positionals: { min: 0, max: 0 },
  options: [{ name: 'uid', kind: 'value', arg: 'UID', help: "only this user's sessions" }],
  async run(ctx) {
    const uid = ctx.args.values.get('uid');
    const binds = await call(ctx, 'GET', `/api/v1/binds${uid === undefined ? '' : `?uid=${encodeURIComponent(uid)}`}`);
    ctx.print(binds, (v) =>
      renderTable(
        ['session_id', 'uid', 'username', 'bind_type', 'peer', 'bound_at'],
        asList(withDates(v)).map((b) => [b.session_id, b.uid, b.username, b.bind_type, b.peer, b.bound_at]),
      ),
    );
  },
};
