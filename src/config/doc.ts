// docs/configuration.md's tables, rendered from the schema so the doc cannot drift from the code: a test compares
// them and rewrites the doc when run with UPDATE_CONFIG_DOC=1.

import { DATE_DIRECTIVES } from './formats.js';
import { SCHEMA } from './schema.js';
import { type KeySpec, type SectionSpec, showDefault } from './spec.js';

/** The hand-written part of docs/configuration.md: how the file is read, what is checked when, the log lines. */
const INTRO = `# Configuration

smppgate reads one INI file, given as \`smppgate start --config <file>\`. It is written to read the \`jasmin.cfg\` that
Jasmin operators already have: the sections and keys smppgate shares with Jasmin keep Jasmin's names and defaults.

## How the file is read

- \`[section]\` headers, then \`key = value\` or \`key: value\` lines. Keys are case-insensitive (\`Port\` is \`port\`); section
  names are not (\`[SMPP-Server]\` is not \`[smpp-server]\`, and draws a warning saying so).
- Comments are whole lines starting with \`#\` or \`;\`. There are no inline comments: \`port = 2775 # default\` is the
  value \`2775 # default\`, a start error, exactly as in Jasmin (the error says so).
- A value in one pair of matching quotes loses them: \`id = "smpps_01"\` is \`smpps_01\`.
- Nothing is interpolated: \`%(asctime)s\` and \`%%\` reach the logger as written, as with Jasmin (its parser is Python's
  \`RawConfigParser\`).
- A line indented deeper than the key above it continues that key's value.
- \`None\` as a value means "not set": a key that may be unset is unset, any other keeps its default (Jasmin's reading).
  An empty value also leaves a key that may be unset unset.
- Durations are seconds: a number (\`30\`, \`0.5\`) or a number with \`s\`, \`m\`, \`h\` or \`d\` (\`90s\`, \`5m\`, \`24h\`, \`3d\`).
  Jasmin's timers are whole seconds; every Jasmin value means the same here.
- Booleans: \`yes\`/\`no\`, \`true\`/\`false\`, \`on\`/\`off\`, \`1\`/\`0\`, any case.
- Paths relative to the working directory unless absolute.

## What is checked, and when

- **No file** (none given, or none at the path given): every key takes its default, and the start log says so.
- **At load**, the first of these stops the start with an error naming the file, section, key and line, e.g.
  \`examples/x.cfg [smpp-server] port: "abc" is not a whole number (line 4)\`: a syntax error, a duplicate section or
  key, an unknown key in a section smppgate reads (with a "did you mean"), a value of the wrong type or out of range, a
  \`log_format\` or \`log_date_format\` the logger cannot render, a TLS \`cert\` without its \`key\`, two listeners on one
  port.
- **Warnings** (logged once at start, the start goes on): each section smppgate does not read (Jasmin's
  \`[amqp-broker]\`, \`[redis-client]\`, \`[jcli]\`, \`[sm-listener]\`, \`[router]\`, \`[dlr-thrower]\` … and any other), each
  Jasmin key accepted but not honoured (\`log_rotate\`), a TLS \`key\` without \`cert\`, a TLS minimum below TLSv1.2.
- **At start**, after loading: each log file's folder is created if it can be and the file opened for append; the
  TLS certificate and key are read and must match. Each failure names its key like a load error. So a config can be
  checked on a machine without those folders or files.
- **The admin token**: when \`[admin] token\` is unset, a random one is generated at each start and printed once on
  standard output. Set one for anything but a trial.

## Logging

\`[smpp-server]\`'s \`log_*\` keys configure the gateway's log. With no \`log_format\`, each line is one JSON object:

\`\`\`json
{"ts":"2025-01-31T09:15:02.417Z","level":"INFO","pid":4242,"name":"smpps_01","event":"bound","session":"smpps_01-7","peer":"10.0.0.9:51234","system_id":"acme","bind_type":"transceiver"}
\`\`\`

\`ts\` is ISO 8601 in UTC with milliseconds; fields follow \`event\` in the order they were bound, and a field named
like one of the first five is written with a trailing \`_\` (\`name_\`) so it cannot shadow them. With a \`log_format\`,
lines are Python logging's: Jasmin's own default,

\`\`\`
log_format = %(asctime)s %(levelname)-8s %(process)d %(message)s
log_date_format = %Y-%m-%d %H:%M:%S
\`\`\`

gives \`2025-01-31 10:15:02 INFO     4242 bound session=smpps_01-7 peer=10.0.0.9:51234 system_id=acme
bind_type=transceiver\` (\`%(asctime)s\` in local time; fields as \`key=value\` after the event, quoted when they hold
spaces, quotes or \`=\`). Errors carry their name, message, status, code and cause. With \`log_privacy = true\` the
fields \`short_message\`, \`message_payload\`, \`content\` and \`text\` show only their length.

## Sections and keys

This whole page is generated from \`src/config/doc.ts\` and \`src/config/schema.ts\`, the one place keys are defined
(\`npm run docs:config\` rewrites it; a test fails when it is out of date).
`;

function describeType(spec: KeySpec): string {
  switch (spec.type) {
    case 'string': {
      const len =
        spec.minLength !== undefined && spec.maxLength !== undefined
          ? `, ${spec.minLength}–${spec.maxLength} chars`
          : spec.minLength !== undefined
            ? `, ≥ ${spec.minLength} chars`
            : spec.maxLength !== undefined
              ? `, ≤ ${spec.maxLength} chars`
              : '';
      return `text${len}`;
    }
    case 'path':
      return 'path';
    case 'address':
      return 'IP address or host name';
    case 'port':
      return 'port, 0–65535';
    case 'int':
    case 'number': {
      const kind = spec.type === 'int' ? 'whole number' : 'number';
      const unit = spec.unit === undefined ? '' : ` ${spec.unit}`;
      return `${kind}, ${spec.min ?? '…'}–${spec.max ?? '…'}${unit}`;
    }
    case 'duration-seconds':
      return `seconds, ${spec.min ?? 0}–${spec.max ?? '…'}`;
    case 'bool':
      return 'boolean';
    case 'enum':
      return spec.values.join(' \\| ');
    case 'ignored':
      return 'accepted, ignored';
  }
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function renderDefault(spec: KeySpec): string {
  if (spec.type === 'ignored') return '';
  if (spec.default === null) return '*(unset)*';
  const unit = (spec.type === 'int' || spec.type === 'number') && spec.unit !== undefined ? ` ${spec.unit}` : '';
  return `\`${showDefault(spec)}\`${unit}`;
}

function renderSection(section: SectionSpec): string {
  const rows = Object.entries(section.keys).map(
    ([key, spec]) =>
      `| \`${key}\` | ${cell(describeType(spec))} | ${renderDefault(spec)} | ${cell(spec.description)} |`,
  );
  return [
    `### \`[${section.name}]\``,
    '',
    section.description,
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** docs/configuration.md: the introduction, one table per section, then the date directives. */
export function renderConfigDoc(): string {
  const sections = Object.values(SCHEMA).map((s) => renderSection(s));
  const directives = Object.entries(DATE_DIRECTIVES).map(([d, what]) => `| \`%${d}\` | ${cell(what)} |`);
  const table = [
    '### `log_date_format` directives',
    '',
    "glibc's flags work between `%` and the letter: `%-d` (no padding), `%_d` (spaces), `%0e` (zeros).",
    '',
    '| directive | gives |',
    '| --- | --- |',
    ...directives,
  ].join('\n');
  return `${[INTRO.trimEnd(), ...sections, table].join('\n\n')}\n`;
}
