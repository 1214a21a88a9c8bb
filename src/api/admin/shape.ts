// Declarative checks for nested JSON bodies: a shape mirrors a TypeScript type, with a check function at each leaf
// and a nested shape for each sub-object. Parsing a (partial) body against it rejects unknown keys and bad values
// with the full path of the field (`mt_messaging_cred.quotas.early_percent`), and yields a typed deep-partial value.

import { expectObject, type JsonObject, join, rejectUnknownKeys } from '../http/validate.js';

type Leaf = boolean | string | number | null;

/** Checks one leaf value, throwing a 400 HttpError naming `field`, and returns it typed. */
export type Check<T> = (v: unknown, field: string) => T;

/** A check per leaf and a nested shape per sub-object of T. */
export type Shape<T> = { [K in keyof T]-?: T[K] extends Leaf ? Check<T[K]> : Shape<T[K]> };

/** T with every key, at every depth, optional. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends Leaf ? T[K] : DeepPartial<T[K]> };

/** Checks a partial body against a shape: unknown keys and bad values are 400s naming their path. */
export function parsePartial<T>(shape: Shape<T>, v: unknown, field: string): DeepPartial<T> {
  const obj = expectObject(v, field);
  const spec = shape as unknown as Record<string, Check<unknown> | JsonObject>;
  rejectUnknownKeys(obj, Object.keys(spec), field);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(obj)) {
    const rule = spec[key];
    const path = join(field, key);
    out[key] = typeof rule === 'function' ? rule(value, path) : parsePartial(rule as Shape<unknown>, value, path);
  }
  return out as DeepPartial<T>;
}

/** A copy of `base` with every key present in `patch` replaced, objects merged key by key. */
export function deepMerge<T>(base: T, patch: DeepPartial<T>): T {
  const out: JsonObject = { ...(base as JsonObject) };
  for (const [key, value] of Object.entries(patch as JsonObject)) {
    if (value === undefined) continue;
    const current = out[key];
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    out[key] = isObject && typeof current === 'object' && current !== null ? deepMerge(current, value) : value;
  }
  return out as T;
}
