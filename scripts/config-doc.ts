// Writes docs/configuration.md from the config schema (the one place keys, defaults and descriptions live).
// Run with: node --import tsx scripts/config-doc.ts
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../src/config/doc.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDoc());
