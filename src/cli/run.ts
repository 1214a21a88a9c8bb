// The smppgate command line: `smppgate <command> [sub-command] [options]`. `start` runs the daemon (./start.js, the
// composition root); every other command talks to a running gateway's admin API.
// Exit codes: 0 done, 1 the API (or the gateway) answered an error, 2 the command line is wrong.

import { VERSION } from '../version.js';
import { parseArgs, UsageError } from './args.js';
import { type AdminClient, ApiError, createAdminClient } from './client.js';
import {
  type CliIo,
  type Command,
  type CommandContext,
  type CommandGroup,
  commandHelp,
  GLOBAL_OPTIONS,
  groupHelp,
} from './command.js';
import { connectorCommands } from './commands/connectors.js';
import { groupCommands } from './commands/groups.js';
import { historyCommand } from './commands/history.js';
import { bindsCommand, messageCommands } from './commands/misc.js';
import { routeCommands } from './commands/routes.js';
import { statsCommand } from './commands/stats.js';
import { userCommands } from './commands/users.js';
import { resolveConnection } from './connection.js';

/** Exit codes of the CLI. */
export const ExitCode = { OK: 0, API_ERROR: 1, USAGE: 2 } as const;

const GROUPS: readonly CommandGroup[] = [
  userCommands,
  groupCommands,
  connectorCommands,
  routeCommands,
  messageCommands,
];
const LEAVES: readonly Command[] = [statsCommand, bindsCommand, historyCommand];

/** Options of runCli beyond the streams: how the admin client is built (tests may inject one). */
export interface RunOptions extends CliIo {
  /** Builds the admin client; default: HTTP to the resolved URL. */
  createClient?: (connection: { url: string; token: string | null }) => AdminClient;
  /** Loads the `start` command; default: `import('./start.js')`. */
  loadStart?: () => Promise<unknown>;
}

function topHelp(): string {
  const rows: [string, string][] = [
    ['start', 'run the gateway (SMPP server, admin API, connectors)'],
    ...GROUPS.map((g): [string, string] => [g.name, g.summary]),
    ...LEAVES.map((c): [string, string] => [c.name, c.summary]),
  ];
  const width = Math.max(...rows.map(([n]) => n.length));
  return [
    'Usage: smppgate <command> [sub-command] [options]',
    '',
    'Commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    'Admin commands talk to a running gateway: --url, --token (or $SMPPGATE_TOKEN), or --config FILE to read',
    "[admin] bind, port and token from the gateway's config. --json prints raw JSON.",
    'Run `smppgate <command> --help` for details. Exit codes: 0 ok, 1 API error, 2 usage error.',
    '',
  ].join('\n');
}

async function runStart(argv: string[], io: Required<CliIo>, load: () => Promise<unknown>): Promise<number> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (err) {
    // Only start.js itself missing is "not part of this build"; a module it imports missing is a real error.
    const { code, message } = err as { code?: string; message?: string };
    if (code !== 'ERR_MODULE_NOT_FOUND' || !/cli[/\\]start\.[jt]s/.test(message ?? '')) throw err;
    io.stderr.write('smppgate start: the daemon is not part of this build (cli/start.js is missing)\n');
    return ExitCode.API_ERROR;
  }
  const runStartFn = (mod as { runStart?: unknown }).runStart;
  if (typeof runStartFn !== 'function') {
    io.stderr.write('smppgate start: cli/start.js does not export runStart(argv)\n');
    return ExitCode.API_ERROR;
  }
  return (await (runStartFn as (argv: string[]) => Promise<number>)(argv)) ?? ExitCode.OK;
}

/** Finds the command for argv; returns it with its words (`user add`) and the remaining arguments, or help text. */
function resolve(
  argv: readonly string[],
): { command: Command; words: string; rest: string[] } | { help: string; code: number } {
  const [first, second, ...more] = argv;
  const leaf = LEAVES.find((c) => c.name === first);
  if (leaf !== undefined) return { command: leaf, words: leaf.name, rest: argv.slice(1) };
  const group = GROUPS.find((g) => g.name === first);
  if (group === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}; run smppgate --help`);
  if (second === undefined) return { help: groupHelp(group), code: ExitCode.USAGE };
  if (second === '--help' || second === '-h' || second === 'help') return { help: groupHelp(group), code: ExitCode.OK };
  const command = group.commands.find((c) => c.name === second);
  if (command === undefined) {
    const names = group.commands.map((c) => c.name).join(', ');
    throw new UsageError(`unknown command ${JSON.stringify(`${group.name} ${second}`)} (one of: ${names})`);
  }
  return { command, words: `${group.name} ${command.name}`, rest: more };
}

/** Runs the CLI on argv (without `node` and the script); resolves to the exit code. Never calls process.exit. */
export async function runCli(argv: readonly string[], options: RunOptions): Promise<number> {
  const io: Required<CliIo> = {
    stdout: options.stdout,
    stderr: options.stderr ?? options.stdout,
    env: options.env ?? {},
  };
  if (argv.length === 0) {
    io.stderr.write(topHelp());
    return ExitCode.USAGE;
  }
  const [first] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    if (argv.length > 1 && first === 'help') return runCli([...argv.slice(1), '--help'], options);
    io.stdout.write(topHelp());
    return ExitCode.OK;
  }
  if (first === '--version' || first === 'version') {
    io.stdout.write(`smppgate ${VERSION}\n`);
    return ExitCode.OK;
  }
  if (first === 'start') {
    const load = options.loadStart ?? (() => import(new URL('./start.js', import.meta.url).href));
    try {
      return await runStart(argv.slice(1), io, load);
    } catch (err) {
      io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      return ExitCode.API_ERROR;
    }
  }

  let words = first;
  try {
    const found = resolve(argv);
    if ('help' in found) {
      (found.code === ExitCode.OK ? io.stdout : io.stderr).write(found.help);
      return found.code;
    }
    const { command, rest } = found;
    words = found.words;
    const args = parseArgs(rest, [...command.options, ...GLOBAL_OPTIONS]);
    if (args.flags.has('help')) {
      io.stdout.write(commandHelp(words, command));
      return ExitCode.OK;
    }
    const { min, max } = command.positionals;
    if (args.positionals.length < min || args.positionals.length > max) {
      throw new UsageError(`expected: smppgate ${words} ${command.usage}`.trimEnd());
    }
    let client: AdminClient | null = null;
    const ctx: CommandContext = {
      args,
      io,
      async client() {
        if (client === null) {
          const connection = resolveConnection(args, io.env);
          client = (options.createClient ?? createAdminClient)(connection);
        }
        return client;
      },
      print(value, human) {
        io.stdout.write(args.flags.has('json') ? `${JSON.stringify(value, null, 2)}\n` : human(value));
      },
    };
    await command.run(ctx);
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`smppgate ${words}: ${err.message}\nRun \`smppgate ${words} --help\` for usage.\n`);
      return ExitCode.USAGE;
    }
    if (err instanceof ApiError) {
      const hint =
        err.status === 401 ? " (give --token, set SMPPGATE_TOKEN, or --config with the gateway's config file)" : '';
      io.stderr.write(`error: ${err.message}${hint}\n`);
      return ExitCode.API_ERROR;
    }
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.API_ERROR;
  }
}
