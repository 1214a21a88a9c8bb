// Plain-text output for people: aligned tables and key/value listings. Scripts use --json instead.

/** How a cell value is shown: null as `-`, objects as compact JSON, everything else as text. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** Characters a terminal would show in one column; control characters are escaped so a value cannot move the cursor. */
function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Renders rows under upper-case headers, columns padded to the widest cell, separated by two spaces. */
export function renderTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const text = rows.map((r) => headers.map((_, i) => printable(cell(r[i]))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => [...r[i]].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - [...c].length)))
      .join('  ')
      .trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...text.map(line)].join('\n')}\n`;
}

/** Flattens nested objects to dotted keys: `{a: {b: 1}}` → `[['a.b', 1]]`; arrays stay whole. */
export function flatten(value: unknown, prefix = ''): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [[prefix, value]];
  const entries = Object.entries(value);
  if (entries.length === 0) return prefix === '' ? [] : [[prefix, {}]];
  return entries.flatMap(([k, v]) => flatten(v, prefix === '' ? k : `${prefix}.${k}`));
}

/** Renders an object as aligned `key  value` lines, nested keys dotted. */
export function renderKeyValues(value: unknown): string {
  const pairs = flatten(value);
  if (pairs.length === 0) return '';
  const width = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs.map(([k, v]) => `${k.padEnd(width)}  ${printable(cell(v))}`.trimEnd()).join('\n')}\n`;
}
