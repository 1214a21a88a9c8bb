// The shape of a CLI command and what it gets to run: parsed arguments, a lazily built admin client, and output
// that is a readable table or raw JSON (--json).

import type { OptionSpec, ParsedArgs } from './args.js';
import type { AdminClient } from './client.js';

/** Where the CLI writes; `process.stdout`/`process.stderr` in the binary, buffers in tests. */
export interface CliOutput {
  write(text: string): unknown;
}

/** The CLI's environment: output streams and environment variables. */
export interface CliIo {
  stdout: CliOutput;
  stderr?: CliOutput;
  env?: Readonly<Record<string, string | undefined>>;
}

/** What a command's `run` receives. */
export interface CommandContext {
  args: ParsedArgs;
  io: Required<CliIo>;
  /** The admin API client (built on first use from --url/--token/--config/env). */
  client(): Promise<AdminClient>;
  /** Prints `value` as JSON with --json, else what `human` renders from it. */
  print(value: unknown, human: (value: unknown) => string): void;
}

/** A runnable command (`user add`, `stats`). */
export interface Command {
  name: string;
  summary: string;
  /** Usage after the command words, e.g. `<uid> --gid GID --password PASSWORD [options]`. */
  usage: string;
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number };
  options: readonly OptionSpec[];
  /** Longer help after the options, if any. */
  details?: string;
  run(ctx: CommandContext): Promise<void>;
}

/** A command word with sub-commands (`user`, `route`). */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: readonly Command[];
}

/** Options every admin command takes. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'url',
    kind: 'value',
    arg: 'URL',
    help: 'admin API base URL (default: from --config, else http://127.0.0.1:8990)',
  },
  {
    name: 'token',
    kind: 'value',
    arg: 'TOKEN',
    help: "bearer token (default: $SMPPGATE_TOKEN, else the config's [admin] token)",
  },
  { name: 'config', kind: 'value', arg: 'FILE', help: 'read [admin] bind, port and token from this config file' },
  { name: 'json', kind: 'flag', help: 'print the raw JSON answer' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

function optionLines(options: readonly OptionSpec[]): string {
  const left = options.map((o) => `  --${o.name}${o.arg ? ` ${o.arg}` : ''}${o.kind === 'list' ? ' …' : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `${left[i].padEnd(width)}  ${o.help}`).join('\n');
}

/** Help of one command. */
export function commandHelp(words: string, command: Command): string {
  const parts = [`Usage: smppgate ${words} ${command.usage}`.trimEnd(), '', command.summary];
  if (command.options.length > 0) parts.push('', 'Options:', optionLines(command.options));
  parts.push('', 'Connection options:', optionLines(GLOBAL_OPTIONS));
  if (command.details) parts.push('', command.details);
  return `${parts.join('\n')}\n`;
}

/** Help of a command group: its sub-commands. */
export function groupHelp(group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  const lines = group.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: smppgate ${group.name} <command> [options]\n\n${group.summary}\n\nCommands:\n${lines.join('\n')}\n\nRun \`smppgate ${group.name} <command> --help\` for a command's options.\n`;
}
