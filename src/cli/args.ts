// Command-line options: `--name value`, `--name=value`, boolean flags, repeatable options, `--` to end options.
// Every mistake is a UsageError naming the option, which the CLI turns into exit code 2.

/** A mistake on the command line (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** How one option is read. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `early-percent`. */
  name: string;
  /** `flag`: no value; `value`: one value (last wins); `list`: repeatable, values collected in order. */
  kind: 'flag' | 'value' | 'list';
  /** Placeholder in help, e.g. `N`, `REGEX`. */
  arg?: string;
  /** One-line description for help. */
  help: string;
}

/** Parsed command line: positional arguments and options by name. */
export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  values: Map<string, string>;
  lists: Map<string, string[]>;
}

/** Parses argv against the option specs; UsageError for an unknown option or a missing value. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = { positionals: [], flags: new Set(), values: new Map(), lists: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('--') || token === '--') {
      if (token.startsWith('-') && token.length > 1 && token !== '-') {
        if (token === '-h') {
          out.flags.add('help');
          continue;
        }
        throw new UsageError(`unknown option ${token} (options are spelt --name)`);
      }
      out.positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      out.flags.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) {
      value = token.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length)
        throw new UsageError(`option --${name} needs a value${spec.arg ? ` (${spec.arg})` : ''}`);
      value = argv[++i];
    }
    if (spec.kind === 'value') {
      out.values.set(name, value);
    } else {
      const list = out.lists.get(name) ?? [];
      list.push(value);
      out.lists.set(name, list);
    }
  }
  return out;
}

/** A number option: a decimal (no hex, no blanks), or `none` / `unlimited` for null when `nullable`. */
export function numberOption(
  text: string,
  option: string,
  rule: { integer?: boolean; nullable?: boolean } = {},
): number | null {
  if (rule.nullable && (text === 'none' || text === 'unlimited')) return null;
  const pattern = rule.integer ? /^-?[0-9]+$/ : /^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/;
  if (!pattern.test(text)) {
    const kind = rule.integer ? 'a whole number' : 'a number';
    throw new UsageError(`--${option}: ${JSON.stringify(text)} is not ${kind}${rule.nullable ? ' (or none)' : ''}`);
  }
  return Number(text);
}

/** Splits `key=value` (value may contain `=`); UsageError naming the option when there is no `=`. */
export function keyValue(text: string, option: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--${option}: expected key=value, got ${JSON.stringify(text)}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}
