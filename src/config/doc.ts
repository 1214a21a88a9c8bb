// docs/configuration.md's tables, rendered from the schema so the doc cannot drift from the code: a test compares
// them and rewrites the doc when run with UPDATE_CONFIG_DOC=1.

import { DATE_DIRECTIVES } from './formats.js';
import { SCHEMA } from './schema.js';
import { type KeySpec, type SectionSpec, showDefault } from './spec.js';

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

/** The generated part of docs/configuration.md: one table per section, then the date directives. */
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
  return `${[...sections, table].join('\n\n')}\n`;
}
