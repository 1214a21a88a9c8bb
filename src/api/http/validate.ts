// Checks of decoded JSON request bodies. Each helper takes the value and the path of the field it came from, and
// throws a 400 HttpError whose message and `field` name that path (`mt_messaging_cred.quotas.balance: must be …`).

import { badRequest } from './errors.js';

/** A JSON object as parsed from a request body. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Joins a parent path and a key: `join('', 'a')` is `a`, `join('a', 'b')` is `a.b`. */
export function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** The value as an object; 400 naming `field` (or `body` at the top) when it is not one. */
export function expectObject(v: unknown, field: string): JsonObject {
  if (!isJsonObject(v)) throw badRequest(field === '' ? 'body' : field, 'must be a JSON object');
  return v;
}

// Keys that would reach Object.prototype through careless merging; refused everywhere, even in open shapes.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** 400 naming the first key of `obj` not in `allowed` (and any prototype-polluting key). */
export function rejectUnknownKeys(obj: JsonObject, allowed: readonly string[], parent: string): void {
  for (const key of Object.keys(obj)) {
    if (FORBIDDEN_KEYS.has(key) || !allowed.includes(key)) {
      const hint = allowed.length > 0 ? ` (known: ${allowed.join(', ')})` : '';
      throw badRequest(join(parent, key), `unknown field${hint}`);
    }
  }
}

/** 400 naming a prototype-polluting key anywhere in an open-shaped value (settings objects). */
export function rejectForbiddenKeys(v: unknown, field: string): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      rejectForbiddenKeys(item, `${field}[${i}]`);
    });
  } else if (isJsonObject(v)) {
    for (const [key, value] of Object.entries(v)) {
      if (FORBIDDEN_KEYS.has(key)) throw badRequest(join(field, key), 'reserved name');
      rejectForbiddenKeys(value, join(field, key));
    }
  }
}

/** Options of expectString. */
export interface StringRule {
  /** Whole-string pattern the value must match, and how to describe it in the error. */
  pattern?: RegExp;
  describe?: string;
  minLength?: number;
  maxLength?: number;
}

/** The value as a string obeying `rule`; 400 naming `field` otherwise. */
export function expectString(v: unknown, field: string, rule: StringRule = {}): string {
  if (typeof v !== 'string') throw badRequest(field, `must be a string${rule.describe ? ` (${rule.describe})` : ''}`);
  const { minLength = 0, maxLength = Number.POSITIVE_INFINITY } = rule;
  if (v.length < minLength || v.length > maxLength) {
    const range = maxLength === Number.POSITIVE_INFINITY ? `at least ${minLength}` : `${minLength}–${maxLength}`;
    throw badRequest(field, `must be ${range} characters long`);
  }
  if (rule.pattern !== undefined && !rule.pattern.test(v)) {
    throw badRequest(field, `must be ${rule.describe ?? `a string matching ${rule.pattern.source}`}`);
  }
  return v;
}

/** The value as a boolean (JSON true/false only); 400 naming `field` otherwise. */
export function expectBoolean(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw badRequest(field, 'must be true or false');
  return v;
}

/** Options of expectNumber. */
export interface NumberRule {
  integer?: boolean;
  /** Inclusive minimum. */
  min?: number;
  /** Exclusive minimum (e.g. 0 for "greater than zero"). */
  above?: number;
  /** Inclusive maximum. */
  max?: number;
}

/** The value as a finite number obeying `rule`; 400 naming `field` otherwise. */
export function expectNumber(v: unknown, field: string, rule: NumberRule = {}): number {
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(field, `must be ${kind}`);
  if (rule.integer && !Number.isSafeInteger(v)) throw badRequest(field, `must be ${kind}`);
  if (rule.min !== undefined && v < rule.min) throw badRequest(field, `must be ${kind} ≥ ${rule.min}`);
  if (rule.above !== undefined && v <= rule.above) throw badRequest(field, `must be ${kind} > ${rule.above}`);
  if (rule.max !== undefined && v > rule.max) throw badRequest(field, `must be ${kind} ≤ ${rule.max}`);
  return v;
}

/** null, or a number obeying `rule` (null means unlimited / not set). */
export function expectNullableNumber(v: unknown, field: string, rule: NumberRule = {}): number | null {
  if (v === null) return null;
  try {
    return expectNumber(v, field, rule);
  } catch (err) {
    throw badRequest(field, `${(err as Error).message.slice(field.length + 2)} or null`);
  }
}

/** For actions that take no body: nothing, or an empty object; otherwise 400 naming the first field. */
export function expectNoBody(v: unknown): void {
  if (v === undefined) return;
  rejectUnknownKeys(expectObject(v, ''), [], '');
}
