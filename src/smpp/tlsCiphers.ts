// The TLS cipher lists: a strict default for the gateway's own SMPP/TLS listener, and the check of an operator's
// OpenSSL cipher string (used by the config schema for `[smpp-server-tls] ciphers` and by smppc connectors).

import { createSecureContext } from 'node:tls';

/**
 * The SMPP/TLS listener's default: on TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305),
 * ECDSA and RSA certificates alike; no CBC, no static RSA key exchange, no DHE. On TLS 1.3 the three suites Node
 * enables by default, in Node's order (every TLS 1.3 suite is (EC)DHE with AEAD). Node takes the `TLS_…` names as
 * the TLS 1.3 suites (its defaults when there are none) and the rest as the TLS 1.2 list (none: TLS 1.2 is off).
 */
export const MODERN_TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Why OpenSSL refuses `ciphers` as a cipher string, or undefined when it takes it. */
export function cipherStringProblem(ciphers: string): string | undefined {
  try {
    createSecureContext({ ciphers });
    return undefined;
  } catch (e) {
    return `is not a usable OpenSSL cipher string: ${e instanceof Error ? e.message : String(e)}`;
  }
}
