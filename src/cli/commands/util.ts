// Small helpers shared by the command modules.

import { UsageError } from '../args.js';

/** A JSON answer as an object (an empty one when it is not). */
export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A JSON answer as a list of objects. */
export function asList(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(asRecord) : [];
}

/** Reads a nested value by path: `get(u, 'mt_messaging_cred', 'quotas', 'balance')`. */
export function get(v: unknown, ...path: string[]): unknown {
  let at: unknown = v;
  for (const key of path) at = asRecord(at)[key];
  return at;
}

/** An id for a URL path segment (percent-encoded; an empty id is a usage error). */
export function pathId(id: string | undefined): string {
  if (id === undefined || id === '') throw new UsageError('an id is required');
  return encodeURIComponent(id);
}
