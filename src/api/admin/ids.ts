// Identifier rules of the admin API. uid, gid and cid appear in URLs, CLI tables, logs and route references such
// as `smppc(cid)`, so they are kept to a plain, unambiguous alphabet; a username is an SMPP system_id.

import { expectString } from '../http/validate.js';

/** uid, gid and cid: 1–64 letters, digits, `_`, `.`, `-`, not starting with `.` or `-`. */
export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * An SMPP system_id: a C-Octet String of at most 16 octets with its NUL (SMPP 3.4 §4.1.1), so 1–15 printable
 * ASCII characters without spaces.
 */
export const USERNAME_PATTERN = /^[\x21-\x7e]{1,15}$/;

/** A uid, gid or cid; 400 naming `field` otherwise. */
export function expectId(v: unknown, field: string): string {
  return expectString(v, field, {
    pattern: ID_PATTERN,
    describe: '1–64 letters, digits, "_", "." or "-", not starting with "." or "-"',
  });
}

/** A username (SMPP system_id); 400 naming `field` otherwise. */
export function expectUsername(v: unknown, field: string): string {
  return expectString(v, field, {
    pattern: USERNAME_PATTERN,
    describe: '1–15 printable ASCII characters without spaces (an SMPP system_id)',
  });
}
