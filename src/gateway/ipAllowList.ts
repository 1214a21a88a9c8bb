// The `ip` authorization of the smpps credential (SPEC.md §3): a comma-separated list of IPv4 and IPv6 addresses
// and CIDRs a user may bind from. IPv4 rules also match IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, what a
// dual-stack listener reports for an IPv4 client), and IPv6 rules inside `::ffff:0:0/96` are IPv4 rules.
// Addresses are compared as integers (bigint for IPv6), not as strings, so every spelling of an address matches.

import { isIPv4, isIPv6 } from 'node:net';

/** An allow-list entry that is not an address or a CIDR; `entry` is the entry as the operator wrote it. */
export class AllowListError extends Error {
  override readonly name = 'AllowListError';
  /** The offending entry, trimmed. */
  readonly entry: string;

  /** Names the bad entry and why. */
  constructor(entry: string, reason: string) {
    super(`bad ip allow-list entry ${JSON.stringify(entry)}: ${reason}`);
    this.entry = entry;
  }
}

/** One rule: a network (the address with host bits cleared) and its prefix length. */
export interface AllowRule {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** A parsed allow-list: a peer is allowed when any rule contains it. */
export interface AllowList {
  readonly rules: readonly AllowRule[];
}

function parseIPv4(s: string): bigint {
  let value = 0n;
  for (const octet of s.split('.')) value = (value << 8n) | BigInt(Number(octet));
  return value;
}

function parseIPv6(s: string): bigint {
  // `isIPv6` has validated the syntax; expand `::` and an embedded dotted IPv4 tail.
  let head = s;
  let tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    const v4 = parseIPv4(head.slice(lastColon + 1));
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    head = head.slice(0, lastColon + 1);
    // `::1.2.3.4` leaves `::`, `1::1.2.3.4` leaves `1::`, `1:2:3:4:5:6:1.2.3.4` leaves `1:2:3:4:5:6:`.
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  let words: number[];
  const gap = head.indexOf('::');
  if (gap >= 0) {
    const left = groups(head.slice(0, gap));
    const right = [...groups(head.slice(gap + 2)), ...tail];
    words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    words = [...groups(head), ...tail];
  }
  let value = 0n;
  for (const w of words) value = (value << 16n) | BigInt(w);
  return value;
}

/** Parses one address (IPv4, IPv6, an IPv6 zone suffix ignored) to its family and value; null when not one. */
export function parseAddress(s: string): { family: 4 | 6; value: bigint } | null {
  const address = s.trim();
  if (isIPv4(address)) return { family: 4, value: parseIPv4(address) };
  const zone = address.indexOf('%');
  const bare = zone >= 0 ? address.slice(0, zone) : address;
  if (!isIPv6(bare)) return null;
  const value = parseIPv6(bare);
  // An IPv4-mapped IPv6 address is the IPv4 address.
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = family === 4 ? 32 : 128;
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

function parseEntry(entry: string): AllowRule {
  const slash = entry.indexOf('/');
  const addressText = slash >= 0 ? entry.slice(0, slash) : entry;
  if (addressText.includes('%')) throw new AllowListError(entry, 'zone ids are not allowed in rules');
  const raw = addressText.trim();
  let family: 4 | 6;
  let value: bigint;
  let mapped = false;
  if (isIPv4(raw)) {
    family = 4;
    value = parseIPv4(raw);
  } else if (isIPv6(raw)) {
    family = 6;
    value = parseIPv6(raw);
    mapped = value >> 32n === 0xffffn;
  } else {
    throw new AllowListError(entry, 'not an IPv4 or IPv6 address');
  }
  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = entry.slice(slash + 1).trim();
    if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw new AllowListError(entry, `prefix length must be 0–${maxPrefix}`);
    }
    prefix = Number(prefixText);
  }
  if (mapped && prefix >= 96) {
    // `::ffff:10.0.0.0/104` is `10.0.0.0/8`.
    return { family: 4, network: value & 0xffffffffn & mask(4, prefix - 96), prefix: prefix - 96 };
  }
  // Host bits set (`10.1.2.3/8`) are tolerated and cleared: operators write that.
  return { family, network: value & mask(family, prefix), prefix };
}

/**
 * Parses Jasmin's comma-separated `ip` authorization (`"10.0.0.0/8, 192.168.1.5, 2001:db8::/32, ::1"`).
 * Spaces around entries and empty entries (a trailing comma) are ignored; a list with no entry at all is an error
 * (null, not an empty string, means "any address" in the credential).
 */
export function parseAllowList(s: string): AllowList {
  const entries = s
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new AllowListError(s.trim(), 'empty allow-list (use null for any address)');
  return { rules: entries.map(parseEntry) };
}

/** True when the peer address (as a socket reports it: IPv4, IPv6, IPv4-mapped IPv6) is in the list. */
export function isAllowed(list: AllowList, peerAddress: string): boolean {
  const peer = parseAddress(peerAddress);
  if (peer === null) return false;
  return list.rules.some(
    (rule) => rule.family === peer.family && (peer.value & mask(rule.family, rule.prefix)) === rule.network,
  );
}

// Bind checks read the allow-list string of a user on every bind; parse each distinct string once.
const parsedCache = new Map<string, AllowList | AllowListError>();
const PARSED_CACHE_MAX = 1000;

/** parseAllowList with a small cache of results (errors included), for the bind path. */
export function cachedAllowList(s: string): AllowList | AllowListError {
  let parsed = parsedCache.get(s);
  if (parsed === undefined) {
    try {
      parsed = parseAllowList(s);
    } catch (err) {
      if (!(err instanceof AllowListError)) throw err;
      parsed = err;
    }
    if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
    parsedCache.set(s, parsed);
  }
  return parsed;
}
