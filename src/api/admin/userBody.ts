// User bodies of the admin API, with Jasmin's names (SPEC.md §3, §6): what POST /users and PATCH /users/{uid}
// accept, checked field by field so that every error names its path.

import { toMicros } from '../../gateway/billing.js';
import { FilterRegexError, validateRegex } from '../../gateway/filters.js';
import { AllowListError, parseAllowList } from '../../gateway/ipAllowList.js';
import {
  defaultMtMessagingCredential,
  defaultSmppsCredential,
  type MtMessagingCredential,
  type SmppsCredential,
  type User,
} from '../../store/model.js';
import { badRequest } from '../http/errors.js';
import {
  expectBoolean,
  expectNullableNumber,
  expectNumber,
  expectObject,
  expectString,
  type NumberRule,
  rejectUnknownKeys,
} from '../http/validate.js';
import { expectId, expectUsername } from './ids.js';
import { type Check, type DeepPartial, deepMerge, parsePartial, type Shape } from './shape.js';

/** Longest password accepted. SMPP 3.4 binds carry at most 8 octets (§4.1.1); the HTTP API takes longer ones. */
export const MAX_PASSWORD_LENGTH = 64;

/** Octets an SMPP v3.4 bind can carry in `password` (a C-Octet String of 9 with its NUL, SMPP 3.4 §4.1.1). */
export const SMPP_PASSWORD_OCTETS = 8;

/** Longest default source address: source_addr is a C-Octet String of 21 with its NUL (SMPP 3.4 §4.4.1). */
const MAX_SRC_ADDR_LENGTH = 20;

const bool: Check<boolean> = expectBoolean;

function nullable(rule: NumberRule): Check<number | null> {
  return (v, field) => expectNullableNumber(v, field, rule);
}

/** A value filter: a safe regular expression (see gateway/filters.ts), or null for "anything". */
const regexOrNull: Check<string | null> = (v, field) => {
  if (v === null) return null;
  const pattern = expectString(v, field, { describe: 'a regular expression, or null' });
  try {
    validateRegex(pattern, field);
  } catch (err) {
    if (err instanceof FilterRegexError) throw badRequest(field, err.message.slice(field.length + 2), err);
    throw err;
  }
  return pattern;
};

/** The smpps `ip` authorization: a comma-separated allow-list of addresses and CIDRs, or null for any. */
const allowListOrNull: Check<string | null> = (v, field) => {
  if (v === null) return null;
  const list = expectString(v, field, { describe: 'comma-separated IPv4/IPv6 addresses and CIDRs, or null' });
  try {
    parseAllowList(list);
  } catch (err) {
    if (err instanceof AllowListError) throw badRequest(field, err.message, err);
    throw err;
  }
  return list;
};

/** A balance: a decimal ≥ 0 the store can hold exactly in micro-units, or null for unlimited. */
const balanceOrNull: Check<number | null> = (v, field) => {
  const n = expectNullableNumber(v, field, { min: 0 });
  if (n !== null) {
    try {
      toMicros(n);
    } catch (err) {
      throw badRequest(field, 'is too large', err);
    }
  }
  return n;
};

const srcAddrOrNull: Check<string | null> = (v, field) =>
  v === null
    ? null
    : expectString(v, field, { minLength: 1, maxLength: MAX_SRC_ADDR_LENGTH, describe: 'a source address, or null' });

const SMPPS_SHAPE: Shape<SmppsCredential> = {
  authorizations: { bind: bool, ip: allowListOrNull },
  quotas: { max_bindings: nullable({ integer: true, min: 0 }) },
};

const MT_SHAPE: Shape<MtMessagingCredential> = {
  authorizations: {
    smpps_send: bool,
    http_send: bool,
    http_balance: bool,
    http_rate: bool,
    http_bulk: bool,
    dlr_level: bool,
    src_addr: bool,
    priority: bool,
    validity_period: bool,
    schedule_delivery_time: bool,
    hex_content: bool,
    long_content: bool,
  },
  value_filters: {
    dst_addr: regexOrNull,
    src_addr: regexOrNull,
    priority: regexOrNull,
    content: regexOrNull,
    validity_period: regexOrNull,
  },
  defaults: { src_addr: srcAddrOrNull },
  quotas: {
    balance: balanceOrNull,
    early_percent: nullable({ min: 0, max: 100 }),
    sms_count: nullable({ integer: true, min: 0 }),
    smpps_throughput: nullable({ above: 0 }),
    http_throughput: nullable({ above: 0 }),
  },
};

/** A password: 1–64 characters, no NUL (it could not be sent in a C-Octet String). */
function expectPassword(v: unknown, field: string): string {
  const password = expectString(v, field, { minLength: 1, maxLength: MAX_PASSWORD_LENGTH });
  if (password.includes('\0')) throw badRequest(field, 'must not contain NUL');
  return password;
}

/** A new user as POST /users receives it: the full user with its password, credentials defaulted. */
export interface NewUser extends User {
  password: string;
}

/** A change to a user as PATCH /users/{uid} receives it: any part, and optionally a new password. */
export interface UserPatch extends DeepPartial<Omit<User, 'uid'>> {
  password?: string;
}

const USER_KEYS = ['uid', 'gid', 'username', 'password', 'enabled', 'smpps_cred', 'mt_messaging_cred'] as const;

/** Checks a POST /users body; missing credential parts take Jasmin's defaults (model.ts). */
export function parseNewUser(body: unknown): NewUser {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, USER_KEYS, '');
  const uid = expectId(obj.uid, 'uid');
  const gid = expectId(obj.gid, 'gid');
  const username = expectUsername(obj.username, 'username');
  const password = expectPassword(obj.password, 'password');
  const enabled = obj.enabled === undefined ? true : expectBoolean(obj.enabled, 'enabled');
  const smpps =
    obj.smpps_cred === undefined ? {} : parsePartial<SmppsCredential>(SMPPS_SHAPE, obj.smpps_cred, 'smpps_cred');
  const mt =
    obj.mt_messaging_cred === undefined
      ? {}
      : parsePartial<MtMessagingCredential>(MT_SHAPE, obj.mt_messaging_cred, 'mt_messaging_cred');
  return {
    uid,
    gid,
    username,
    password,
    enabled,
    smpps_cred: deepMerge(defaultSmppsCredential(), smpps),
    mt_messaging_cred: deepMerge(defaultMtMessagingCredential(), mt),
  };
}

/** Checks a PATCH /users/{uid} body; `uid` may be repeated but not changed. */
export function parseUserPatch(body: unknown, uid: string): UserPatch {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, USER_KEYS, '');
  if (obj.uid !== undefined && obj.uid !== uid) throw badRequest('uid', 'cannot be changed');
  const patch: UserPatch = {};
  if (obj.gid !== undefined) patch.gid = expectId(obj.gid, 'gid');
  if (obj.username !== undefined) patch.username = expectUsername(obj.username, 'username');
  if (obj.password !== undefined) patch.password = expectPassword(obj.password, 'password');
  if (obj.enabled !== undefined) patch.enabled = expectBoolean(obj.enabled, 'enabled');
  if (obj.smpps_cred !== undefined) patch.smpps_cred = parsePartial(SMPPS_SHAPE, obj.smpps_cred, 'smpps_cred');
  if (obj.mt_messaging_cred !== undefined) {
    patch.mt_messaging_cred = parsePartial(MT_SHAPE, obj.mt_messaging_cred, 'mt_messaging_cred');
  }
  return patch;
}

/** The user as the admin API shows it: exactly the public fields, whatever else the record holds (no hash). */
export function publicUser(u: User): User {
  return {
    uid: u.uid,
    gid: u.gid,
    username: u.username,
    enabled: u.enabled,
    smpps_cred: u.smpps_cred,
    mt_messaging_cred: u.mt_messaging_cred,
  };
}

/** A top-up or deduction for POST /users/{uid}/credit. Positive credits, negative charges; not both ways at once. */
export interface CreditRequest {
  amount: number;
  sms_count: number;
}

/** Checks a POST /users/{uid}/credit body. */
export function parseCredit(body: unknown): CreditRequest {
  const obj = expectObject(body, '');
  rejectUnknownKeys(obj, ['amount', 'sms_count'], '');
  const amount = obj.amount === undefined ? 0 : expectNumber(obj.amount, 'amount');
  const smsCount = obj.sms_count === undefined ? 0 : expectNumber(obj.sms_count, 'sms_count', { integer: true });
  if (amount !== 0) {
    let micros: number;
    try {
      micros = toMicros(amount);
    } catch (err) {
      throw badRequest('amount', 'is too large', err);
    }
    if (micros === 0) throw badRequest('amount', 'is smaller than the balance precision (0.000001)');
  }
  if (amount === 0 && smsCount === 0) throw badRequest('amount', 'give a non-zero amount or sms_count');
  if ((amount > 0 && smsCount < 0) || (amount < 0 && smsCount > 0)) {
    throw badRequest('sms_count', 'must have the same sign as amount (one request either credits or deducts)');
  }
  return { amount, sms_count: smsCount };
}
