// An independent byte builder for golden PDU vectors. It shares nothing with the production encoder: each helper
// returns plain octets (number[]), and pdu() computes command_length, so a test's expected bytes are written out by
// hand against SMPP 3.4 §3.2 rather than derived from the code under test.

/** Octets, as built by these helpers. */
export type Octets = number[];

/** One octet (an SMPP 1-octet integer). */
export function u8(n: number): Octets {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`u8 out of range: ${n}`);
  return [n];
}

/** A 2-octet big-endian integer. */
export function u16(n: number): Octets {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`);
  return [(n >> 8) & 0xff, n & 0xff];
}

/** A 4-octet big-endian integer. */
export function u32(n: number): Octets {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  return [Math.floor(n / 0x1000000) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** The octets of an ASCII/Latin-1 string, without terminator. */
export function ascii(s: string): Octets {
  const out: Octets = [];
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c > 0xff) throw new RangeError(`not Latin-1: ${s}`);
    out.push(c);
  }
  return out;
}

/** A C-octet string: the characters then NUL (SMPP 3.4 §3.1). */
export function cstr(s: string): Octets {
  return [...ascii(s), 0];
}

/** Raw octets from a Buffer, an array or a hex string ("0a 0b" or "0a0b"). */
export function raw(x: Buffer | Octets | string): Octets {
  if (typeof x === 'string') {
    const hex = x.replace(/\s+/g, '');
    if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new RangeError(`bad hex: ${x}`);
    const out: Octets = [];
    for (let i = 0; i < hex.length; i += 2) out.push(Number.parseInt(hex.slice(i, i + 2), 16));
    return out;
  }
  return [...x];
}

/** sm_length followed by the message octets. */
export function sm(message: Buffer | Octets | string): Octets {
  const body = typeof message === 'string' ? ascii(message) : raw(message);
  return [...u8(body.length), ...body];
}

/** A TLV: tag, length, value (SMPP 3.4 §3.2.4). */
export function tlv(tag: number, value: Buffer | Octets = []): Octets {
  const v = raw(value);
  return [...u16(tag), ...u16(v.length), ...v];
}

/** A PDU header with a given command_length (use pdu() to have it computed). */
export function hdr(length: number, id: number, status: number, seq: number): Octets {
  return [...u32(length), ...u32(id), ...u32(status), ...u32(seq)];
}

/** A whole PDU: the header with command_length computed from the body parts. */
export function pdu(id: number, status: number, seq: number, ...body: Octets[]): Buffer {
  const flat = body.flat();
  return Buffer.from([...hdr(16 + flat.length, id, status, seq), ...flat]);
}

/** Concatenates Buffers (test helper only). */
export function concat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}
