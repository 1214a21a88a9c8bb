import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { renderConfigDoc } from './doc.js';

it('docs/configuration.md is the doc generated from the schema (run scripts/config-doc.ts after a schema change)', () => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, renderConfigDoc());
});
