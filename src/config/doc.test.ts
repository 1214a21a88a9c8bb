import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { renderConfigDoc } from './doc.js';
import { SCHEMA } from './schema.js';

const committed = () => readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

it('docs/configuration.md is the doc generated from the schema (run npm run docs:config after a schema change)', () => {
  assert.equal(committed(), renderConfigDoc());
});

it('docs/configuration.md names every section and key of the schema', () => {
  const text = committed();
  for (const section of Object.values(SCHEMA)) {
    assert.ok(text.includes(`### \`[${section.name}]\``), section.name);
    for (const key of Object.keys(section.keys)) assert.ok(text.includes(`| \`${key}\` |`), `${section.name} ${key}`);
  }
});
