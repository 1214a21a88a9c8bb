// smppgate group add|list|show|enable|disable|remove

import type { Command, CommandContext, CommandGroup } from '../command.js';
import { renderKeyValues, renderTable } from '../table.js';
import { asList, asRecord, pathId } from './util.js';

async function call(ctx: CommandContext, method: string, path: string, body?: unknown): Promise<unknown> {
  return (await ctx.client()).request(method, path, body);
}

const groupPath = (ctx: CommandContext) => `/api/v1/groups/${pathId(ctx.args.positionals[0])}`;

/** Renders groups as a table. */
export function groupsTable(value: unknown): string {
  return renderTable(
    ['gid', 'enabled'],
    asList(value).map((g) => [g.gid, g.enabled]),
  );
}

const add: Command = {
  name: 'add',
  summary: 'Create a group (enabled unless --disabled).',
  usage: '<gid> [--disabled]',
  positionals: { min: 1, max: 1 },
  options: [{ name: 'disabled', kind: 'flag', help: 'create it disabled' }],
  async run(ctx) {
    const group = await call(ctx, 'POST', '/api/v1/groups', {
      gid: ctx.args.positionals[0],
      enabled: !ctx.args.flags.has('disabled'),
    });
    ctx.print(group, (g) => `group ${asRecord(g).gid} added\n`);
  },
};

const list: Command = {
  name: 'list',
  summary: 'List the groups.',
  usage: '',
  positionals: { min: 0, max: 0 },
  options: [],
  async run(ctx) {
    ctx.print(await call(ctx, 'GET', '/api/v1/groups'), groupsTable);
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show one group.',
  usage: '<gid>',
  positionals: { min: 1, max: 1 },
  options: [],
  async run(ctx) {
    ctx.print(await call(ctx, 'GET', groupPath(ctx)), renderKeyValues);
  },
};

function setEnabled(enabled: boolean): Command {
  return {
    name: enabled ? 'enable' : 'disable',
    summary: enabled
      ? 'Enable a group: its users may bind and send again.'
      : 'Disable a group: its users can no longer bind, and bound ones are refused at their next submit.',
    usage: '<gid>',
    positionals: { min: 1, max: 1 },
    options: [],
    async run(ctx) {
      const group = await call(ctx, 'PATCH', groupPath(ctx), { enabled });
      ctx.print(group, (g) => `group ${asRecord(g).gid} ${enabled ? 'enabled' : 'disabled'}\n`);
    },
  };
}

const remove: Command = {
  name: 'remove',
  summary: 'Remove a group (refused while users belong to it).',
  usage: '<gid>',
  positionals: { min: 1, max: 1 },
  options: [],
  async run(ctx) {
    const group = await call(ctx, 'DELETE', groupPath(ctx));
    ctx.print(group, (g) => `group ${asRecord(g).gid} removed\n`);
  },
};

/** The `group` command. */
export const groupCommands: CommandGroup = {
  name: 'group',
  summary: 'Groups of users (Jasmin gid): a disabled group disables all its users.',
  commands: [add, list, show, setEnabled(true), setEnabled(false), remove],
};
