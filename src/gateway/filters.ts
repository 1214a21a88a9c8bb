// Route filters (SPEC.md §4.2, Jasmin's filter classes) and the operator-supplied regular expressions they and the
// credential value filters use.
//
// Regex semantics follow Jasmin, whose filters call Python's `re.match`: a pattern matches at the START of the value
// and need not cover all of it (`^336` and `336` both match `33612345678`; write `$` to pin the end). Patterns are
// JavaScript syntax (Python-only constructs such as `(?P<n>…)` or `(?i)` are rejected as invalid).
//
// The patterns come from operators through the admin API and run against every message (content up to a 64 KiB
// message_payload), so they are bounded against catastrophic backtracking before they are compiled:
// - at most MAX_REGEX_LENGTH characters;
// - no repeated group (`*`, `+`, `{n,}`, `{n,m}` or `{n}` with a maximum above 1) that itself contains a variable
//   repetition or an alternation, the shapes behind exponential blow-ups (`(a+)+`, `(a?){30}`, `(a|aa)*`);
// - no two unbounded repetitions (`*`, `+`, `{n,}`) whose atoms can match the same character, the shape behind
//   polynomial blow-ups (`.*.*x`, `\d+\d+x`, `a+a+a+b`: a 64 KiB value stalled the event loop for seconds); a last
//   repetition with nothing after it (`.*STOP.*`) never backtracks and is not counted;
// - bounded variable repetitions whose ranges multiply past MAX_REPETITION_PRODUCT (`.{0,100}.{0,100}.{0,100}x`);
// - no backreferences (`\1`, `\k<name>`), whose matching is quadratic at best.
// This is a conservative syntactic test: it rejects some harmless patterns (`(\d{3}-?)+`, `^\d+-\d+$`; write
// `[\d-]+` or `^\d{1,15}-\d{1,15}$` instead). docs/security.md states the rule for operators.

import type { RouteFilter } from '../store/model.js';

/** Longest regular expression accepted in a filter. */
export const MAX_REGEX_LENGTH = 256;

/** Largest product of the ranges (max − min + 1) of a pattern's bounded variable repetitions. */
export const MAX_REPETITION_PRODUCT = 256;

/** Why a filter regex was refused. */
export type RegexRejection = 'invalid' | 'too_long' | 'nested_quantifier';

/** A filter regex that is invalid or could backtrack catastrophically; `filter` names the filter that holds it. */
export class FilterRegexError extends Error {
  override readonly name = 'FilterRegexError';
  /** The filter or field holding the pattern, e.g. `filters[1].regex` or `value_filters.dst_addr`. */
  readonly filter: string;
  readonly pattern: string;
  readonly reason: RegexRejection;

  /** Names the filter, the pattern and the reason. */
  constructor(filter: string, pattern: string, reason: RegexRejection, detail: string, options?: ErrorOptions) {
    super(`${filter}: regular expression ${JSON.stringify(pattern)} rejected: ${detail}`, options);
    this.filter = filter;
    this.pattern = pattern;
    this.reason = reason;
  }
}

interface GroupFrame {
  /** The group contains a quantifier whose minimum and maximum differ. */
  variable: boolean;
  /** The group contains `|`. */
  alternation: boolean;
  /** How many unbounded repetitions were seen before the current alternative of this group began. */
  base: number;
  /** Unbounded repetitions of the group's earlier alternatives (only one alternative runs per attempt). */
  pool: CharSet[];
}

/** The characters an atom can match, as far as overlap between repetitions is concerned. */
type CharSet = { kind: 'any' } | { kind: 'digit' } | { kind: 'space' } | { kind: 'chars'; chars: string };

const ANY: CharSet = { kind: 'any' };
const DIGITS = '0123456789';
const SPACES = ' \t\n\r\v\f';

/** Whether two atoms may match a common character (conservative: true when unsure). */
function overlaps(a: CharSet, b: CharSet): boolean {
  if (a.kind === 'any' || b.kind === 'any') return true;
  if (a.kind === 'chars' && b.kind === 'chars') return [...a.chars].some((c) => b.chars.includes(c));
  if (a.kind === 'chars') return [...a.chars].some((c) => (b.kind === 'digit' ? DIGITS : SPACES).includes(c));
  if (b.kind === 'chars') return overlaps(b, a);
  return a.kind === b.kind;
}

/** What the last atom was, for the quantifier that may follow it. */
type LastAtom = { kind: 'none' } | { kind: 'atom'; set: CharSet } | { kind: 'group'; inner: GroupFrame };

/** Reads the escape at `p[i] === '\\'`: its end, what it matches, and whether it is a backreference. */
function readEscape(p: string, i: number): { end: number; set: CharSet; backreference: boolean } {
  const c = p[i + 1] ?? '';
  if (/[1-9]/.test(c) || (c === 'k' && p[i + 2] === '<')) return { end: i + 2, set: ANY, backreference: true };
  if (c === 'd') return { end: i + 2, set: { kind: 'digit' }, backreference: false };
  if (c === 's') return { end: i + 2, set: { kind: 'space' }, backreference: false };
  if (c === 'x') return { end: i + 4, set: ANY, backreference: false };
  if (c === 'u') {
    const end = p[i + 2] === '{' ? p.indexOf('}', i) + 1 || p.length : i + 6;
    return { end, set: ANY, backreference: false };
  }
  if (c === 'p' || c === 'P') return { end: p.indexOf('}', i) + 1 || p.length, set: ANY, backreference: false };
  if (c === 'c') return { end: i + 3, set: ANY, backreference: false };
  if (/[wWDSbB0-9]/.test(c)) return { end: i + 2, set: ANY, backreference: false };
  const literal = ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[c] ?? c;
  return { end: i + 2, set: { kind: 'chars', chars: literal }, backreference: false };
}

/** Reads a `{n}`, `{n,}` or `{n,m}` quantifier at `i`; null when `{` is a literal brace there. */
function braceQuantifier(p: string, i: number): { min: number; max: number; end: number } | null {
  const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
  if (m === null) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
  return { min, max, end: i + m[0].length };
}

/**
 * Finds a shape that can backtrack catastrophically: a repeated group containing a variable repetition or an
 * alternation, two unbounded repetitions of overlapping atoms, bounded ranges multiplying past the limit, or a
 * backreference. Returns a description or null.
 */
function findNestedQuantifier(p: string): string | null {
  const stack: GroupFrame[] = [{ variable: false, alternation: false, base: 0, pool: [] }];
  let last: LastAtom = { kind: 'none' };
  const unbounded: CharSet[] = [];
  let product = 1;
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    const top = stack[stack.length - 1];
    if (c === '\\') {
      const e = readEscape(p, i);
      if (e.backreference) return 'a backreference (its matching is at least quadratic)';
      i = e.end;
      last = { kind: 'atom', set: e.set };
      continue;
    }
    if (c === '[') {
      // A character class is one atom; `]` right after `[` or `[^` closes an empty class in JavaScript.
      const start = i;
      i += 1;
      if (p[i] === '^') i += 1;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      i += 1;
      const body = p.slice(start + 1, i - 1);
      last = { kind: 'atom', set: /^(?:0-9|\\d)+$/.test(body) ? { kind: 'digit' } : ANY };
      continue;
    }
    if (c === '(') {
      stack.push({ variable: false, alternation: false, base: unbounded.length, pool: [] });
      i += 1;
      if (p[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        i += 1;
        if (p[i] === '<' && p[i + 1] !== '=' && p[i + 1] !== '!') {
          const close = p.indexOf('>', i);
          i = close < 0 ? p.length : close + 1;
        } else {
          i += p[i] === '<' ? 2 : 1;
        }
      }
      last = { kind: 'none' };
      continue;
    }
    if (c === ')') {
      const inner = stack.length > 1 ? stack.pop()! : top;
      unbounded.push(...inner.pool.splice(0));
      const parent = stack[stack.length - 1];
      parent.variable ||= inner.variable;
      parent.alternation ||= inner.alternation;
      i += 1;
      last = { kind: 'group', inner };
      continue;
    }
    if (c === '|') {
      top.alternation = true;
      top.pool.push(...unbounded.splice(top.base));
      i += 1;
      last = { kind: 'none' };
      continue;
    }
    let quantifier: { min: number; max: number; end: number } | null = null;
    if (c === '*') quantifier = { min: 0, max: Number.POSITIVE_INFINITY, end: i + 1 };
    else if (c === '+') quantifier = { min: 1, max: Number.POSITIVE_INFINITY, end: i + 1 };
    else if (c === '?') quantifier = { min: 0, max: 1, end: i + 1 };
    else if (c === '{') quantifier = braceQuantifier(p, i);
    if (quantifier !== null && last.kind !== 'none') {
      if (last.kind === 'group' && quantifier.max > 1 && (last.inner.variable || last.inner.alternation)) {
        return last.inner.variable
          ? 'a repeated group contains a variable repetition (nested quantifier)'
          : 'a repeated group contains an alternation';
      }
      if (quantifier.min !== quantifier.max) top.variable = true;
      const set = last.kind === 'atom' ? last.set : ANY;
      i = quantifier.end;
      if (p[i] === '?') i += 1; // lazy
      if (quantifier.max === Number.POSITIVE_INFINITY) {
        // The last repetition of the whole pattern, with nothing after it, succeeds at once and never backtracks.
        const trailing = i === p.length && stack.length === 1;
        if (!trailing) {
          if (unbounded.some((other) => overlaps(other, set))) {
            return 'two unbounded repetitions can match the same characters (polynomial backtracking)';
          }
          unbounded.push(set);
        }
      } else if (quantifier.max > quantifier.min) {
        product *= quantifier.max - quantifier.min + 1;
        if (product > MAX_REPETITION_PRODUCT) {
          return `bounded repetitions allow more than ${MAX_REPETITION_PRODUCT} combinations`;
        }
      }
      last = { kind: 'none' };
      continue;
    }
    i += 1;
    last =
      c === '^' || c === '$' ? { kind: 'none' } : { kind: 'atom', set: c === '.' ? ANY : { kind: 'chars', chars: c } };
  }
  return null;
}

/**
 * Throws FilterRegexError (naming `filter`) when the pattern is not a valid JavaScript regular expression, is
 * longer than MAX_REGEX_LENGTH, or nests repetitions; used when routes and credentials are created or changed.
 */
export function validateRegex(pattern: string, filter: string): void {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new FilterRegexError(filter, pattern, 'too_long', `longer than ${MAX_REGEX_LENGTH} characters`);
  }
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new FilterRegexError(filter, pattern, 'invalid', (err as Error).message, { cause: err });
  }
  const nested = findNestedQuantifier(pattern);
  if (nested !== null) throw new FilterRegexError(filter, pattern, 'nested_quantifier', nested);
}

const compiled = new Map<string, RegExp>();
const COMPILED_MAX = 2000;

/** The validated, start-anchored RegExp of a pattern, compiled once; throws FilterRegexError like validateRegex. */
export function compileRegex(pattern: string, filter: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    validateRegex(pattern, filter);
    // The pattern is valid on its own, so wrapping it cannot change its meaning: only anchor it (re.match).
    re = new RegExp(`^(?:${pattern})`);
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** True when the value matches the pattern from its start (Jasmin's re.match); a rejected pattern matches nothing. */
export function regexMatches(pattern: string, value: string, filter = 'regex'): boolean {
  let re: RegExp;
  try {
    re = compileRegex(pattern, filter);
  } catch {
    return false;
  }
  return re.test(value);
}

/** What route filters look at: plain values taken from the message (MT) or the incoming deliver_sm (MO). */
export interface RoutingContext {
  /** The sending user (MT). */
  uid?: string;
  /** The sending user's group (MT). */
  gid?: string;
  /** The connector the message came from (MO). */
  cid?: string;
  source_addr: string;
  destination_addr: string;
  /** The message text, or its bytes as latin1 when it is binary. */
  content: string;
  tags: readonly number[];
  /** Epoch milliseconds; date and time filters read it in the gateway's local time. */
  now: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Parses `YYYY-MM-DD` (a real calendar date) to a comparable number YYYYMMDD; null when it is not one. */
export function parseFilterDate(s: string): number | null {
  const m = DATE.exec(s);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  return y * 10000 + mo * 100 + d;
}

/** Parses `HH:MM:SS` (or `HH:MM`) to seconds since midnight; null when it is not a time of day. */
export function parseFilterTime(s: string): number | null {
  const m = TIME.exec(s);
  if (m === null) return null;
  const [h, mi, se] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  if (h > 23 || mi > 59 || se > 59) return null;
  return h * 3600 + mi * 60 + se;
}

/** True when one filter matches the context. Filters naming a field the context lacks do not match. */
export function matchesFilter(filter: RouteFilter, ctx: RoutingContext, index = 0): boolean {
  switch (filter.type) {
    case 'transparent':
      return true;
    case 'user':
      return ctx.uid !== undefined && ctx.uid === filter.uid;
    case 'group':
      return ctx.gid !== undefined && ctx.gid === filter.gid;
    case 'connector':
      return ctx.cid !== undefined && ctx.cid === filter.cid;
    case 'source_addr':
      return regexMatches(filter.regex, ctx.source_addr, `filters[${index}].regex`);
    case 'destination_addr':
      return regexMatches(filter.regex, ctx.destination_addr, `filters[${index}].regex`);
    case 'short_message':
      return regexMatches(filter.regex, ctx.content, `filters[${index}].regex`);
    case 'date_interval': {
      const from = parseFilterDate(filter.from);
      const to = parseFilterDate(filter.to);
      if (from === null || to === null) return false;
      const d = new Date(ctx.now);
      const today = d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
      return from <= today && today <= to;
    }
    case 'time_interval': {
      const from = parseFilterTime(filter.from);
      const to = parseFilterTime(filter.to);
      if (from === null || to === null) return false;
      const d = new Date(ctx.now);
      const t = d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds();
      // Both ends inclusive; from > to spans midnight (22:00:00–06:00:00).
      return from <= to ? from <= t && t <= to : t >= from || t <= to;
    }
    case 'tag':
      return ctx.tags.includes(filter.tag);
  }
}

/** True when every filter matches (an empty list matches everything). */
export function matchesAll(filters: readonly RouteFilter[], ctx: RoutingContext): boolean {
  return filters.every((f, i) => matchesFilter(f, ctx, i));
}
