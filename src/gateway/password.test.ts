import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  hashPassword,
  needsRehash,
  PasswordHashFormatError,
  PasswordVerifier,
  parsePasswordHash,
  SCRYPT_PARAMS,
  verifyPassword,
} from './password.js';

describe('hashPassword / verifyPassword', () => {
  test('encodes scrypt$N$r$p$salt$hash with the chosen parameters and a 16-byte salt', async () => {
    const encoded = await hashPassword('secret');
    assert.match(encoded, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    const parsed = parsePasswordHash(encoded);
    assert.equal(parsed.salt.length, SCRYPT_PARAMS.saltLength);
    assert.equal(parsed.hash.length, SCRYPT_PARAMS.keyLength);
    assert.equal(needsRehash(encoded), false);
  });

  test('verifies the right password and rejects wrong ones', async () => {
    const encoded = await hashPassword('pAss1234');
    assert.equal(await verifyPassword('pAss1234', encoded), true);
    assert.equal(await verifyPassword('pass1234', encoded), false);
    assert.equal(await verifyPassword('pAss123', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  test('salts per hash: the same password hashes differently', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('same', b), true);
  });

  test('any length and any characters: empty, 8 octets, long HTTP passwords, UTF-8', async () => {
    for (const pw of ['', '12345678', 'x'.repeat(500), 'pässwörd✓']) {
      const encoded = await hashPassword(pw);
      assert.equal(await verifyPassword(pw, encoded), true, JSON.stringify(pw));
    }
  });

  test('a fixed salt gives a deterministic hash (the salt parameter is honoured)', async () => {
    const salt = Buffer.alloc(16, 7);
    assert.equal(await hashPassword('pw', salt), await hashPassword('pw', salt));
  });

  test('malformed or hostile hashes never verify and are flagged for re-hash', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, hash] = good.split('$');
    const bad = [
      '',
      'plain',
      'bcrypt$10$8$1$aaaa$bbbb',
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16383$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // would allocate GiBs
      `scrypt$16384$99$1$${salt}$${hash}`,
      `scrypt$16384$8$1$!!$${hash}`,
      `scrypt$16384$8$1$${salt}$AAAA`, // hash too short
    ];
    for (const encoded of bad) {
      assert.equal(await verifyPassword('pw', encoded), false, encoded);
      assert.equal(needsRehash(encoded), true, encoded);
    }
    assert.throws(() => parsePasswordHash('nope'), PasswordHashFormatError);
  });

  test('hashes with other parameters still verify but ask for a re-hash', async () => {
    // A hash with N=1024 r=4, as an older release might have written it.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.alloc(16, 1);
    const key = scryptSync('old', salt, 32, { N: 1024, r: 4, p: 1 });
    const encoded = `scrypt$1024$4$1$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('old', encoded), true);
    assert.equal(needsRehash(encoded), true);
  });
});

/** A verifier whose slow check is counted; the real scrypt check underneath. */
function countingVerifier(maxEntries?: number) {
  const calls: string[] = [];
  const verifier = new PasswordVerifier({
    maxEntries,
    verify: (password, encoded) => {
      calls.push(password);
      return verifyPassword(password, encoded);
    },
  });
  return { verifier, calls };
}

describe('PasswordVerifier', () => {
  test('caches a success: the second bind does not run scrypt', async () => {
    const encoded = await hashPassword('pw1');
    const { verifier, calls } = countingVerifier();
    assert.equal(await verifier.verify('alice', 'pw1', encoded), true);
    assert.equal(await verifier.verify('alice', 'pw1', encoded), true);
    assert.equal(calls.length, 1);
    assert.equal(verifier.size, 1);
  });

  test('a wrong password is never answered from the cache and never cached', async () => {
    const encoded = await hashPassword('pw1');
    const { verifier, calls } = countingVerifier();
    assert.equal(await verifier.verify('alice', 'pw1', encoded), true);
    assert.equal(await verifier.verify('alice', 'wrong', encoded), false);
    assert.equal(await verifier.verify('alice', 'wrong', encoded), false);
    assert.equal(calls.length, 3);
    // The good password is still remembered after failed attempts.
    assert.equal(await verifier.verify('alice', 'pw1', encoded), true);
    assert.equal(calls.length, 3);
  });

  test('a changed hash invalidates the entry: the old password fails, the new one works', async () => {
    const oldHash = await hashPassword('old');
    const newHash = await hashPassword('new');
    const { verifier, calls } = countingVerifier();
    assert.equal(await verifier.verify('bob', 'old', oldHash), true);
    assert.equal(await verifier.verify('bob', 'old', newHash), false);
    assert.equal(await verifier.verify('bob', 'new', newHash), true);
    assert.equal(await verifier.verify('bob', 'new', newHash), true);
    assert.equal(calls.length, 3);
  });

  test('the cache is per user: the same password for another user is checked against that user', async () => {
    const hash = await hashPassword('shared');
    const other = await hashPassword('different');
    const { verifier } = countingVerifier();
    assert.equal(await verifier.verify('u1', 'shared', hash), true);
    assert.equal(await verifier.verify('u2', 'shared', other), false);
  });

  test('an unknown user (null hash) fails after real work and forgets any cached entry', async () => {
    const hash = await hashPassword('pw');
    const { verifier, calls } = countingVerifier();
    assert.equal(await verifier.verify('carol', 'pw', hash), true);
    assert.equal(await verifier.verify('carol', 'pw', null), false);
    assert.equal(calls.length, 2, 'the dummy verification ran scrypt');
    assert.equal(verifier.size, 0);
  });

  test('a storm of 1,000 concurrent binds of one user runs scrypt once', async () => {
    const hash = await hashPassword('storm');
    const { verifier, calls } = countingVerifier();
    const results = await Promise.all(Array.from({ length: 1000 }, () => verifier.verify('dave', 'storm', hash)));
    assert.ok(results.every((r) => r === true));
    assert.equal(calls.length, 1);
  });

  test('bounded: the least recently used user is forgotten first', async () => {
    const hash = await hashPassword('pw');
    const { verifier, calls } = countingVerifier(2);
    await verifier.verify('a', 'pw', hash);
    await verifier.verify('b', 'pw', hash);
    await verifier.verify('a', 'pw', hash); // a is now the most recent
    await verifier.verify('c', 'pw', hash); // evicts b
    assert.equal(verifier.size, 2);
    assert.equal(calls.length, 3);
    await verifier.verify('a', 'pw', hash);
    assert.equal(calls.length, 3, 'a still cached');
    await verifier.verify('b', 'pw', hash);
    assert.equal(calls.length, 4, 'b was evicted');
  });

  test('invalidate and clear forget users', async () => {
    const hash = await hashPassword('pw');
    const { verifier, calls } = countingVerifier();
    await verifier.verify('a', 'pw', hash);
    verifier.invalidate('a');
    await verifier.verify('a', 'pw', hash);
    assert.equal(calls.length, 2);
    verifier.clear();
    assert.equal(verifier.size, 0);
  });
});
