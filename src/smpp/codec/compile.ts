// The decoder's fast path, compiled once per command from the same field table the reference decoder walks.
//
// Why: building a PDU object one keyed store at a time (`pdu[field.name] = value`) costs a megamorphic map
// transition per field and dominated the profile. A function generated per command reads each field into a local
// and returns one object literal, so every PDU of a command shares one hidden class and no store is keyed.
//
// The generated code only handles well-formed PDUs: on anything unexpected it returns undefined and decodePdu runs
// the reference decoder, which owns every error status and the liberal reading of error responses. Only names from
// our own table reach the generated source, and each is checked to be a plain identifier first.

import type { FieldSpec, Pdu } from './pdus.js';

/** A compiled fast path: the PDU, or undefined to hand the frame to the reference decoder. */
export type FastDecoder = (buf: Buffer, end: number, status: number, seq: number) => Pdu | undefined;

/** What the generated code calls (no closures are created per decode). */
export interface FastHelpers {
  readLatin1(buf: Buffer, start: number, end: number): string;
  isValidSmppTime(s: string): boolean;
  /** Reads the counted list at `pos`; returns the next position (value via take()) or -1. */
  readDestAddresses(buf: Buffer, pos: number, end: number): number;
  readUnsuccessSmes(buf: Buffer, pos: number, end: number): number;
  /** The value the last list reader produced. */
  take(): unknown;
  /** The TLVs in buf[pos, end), or undefined if they are malformed. */
  readTlvs(buf: Buffer, pos: number, end: number): unknown;
  readonly EMPTY: Buffer;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function cstring(v: string, max: number, time: boolean): string {
  // SMPP 3.4 §3.1: scan for the NUL within `max` octets and before the end of the PDU.
  return [
    `lim = pos + ${max} < end ? pos + ${max} : end;`,
    'n = pos;',
    'while (n < lim && buf[n] !== 0) n++;',
    'if (n === lim) return undefined;',
    `const ${v} = n === pos ? '' : H.readLatin1(buf, pos, n);`,
    time ? `if (n !== pos && !H.isValidSmppTime(${v})) return undefined;` : '',
    'pos = n + 1;',
  ].join('\n');
}

function fieldCode(field: FieldSpec, v: string): string {
  switch (field.kind) {
    case 'u8':
      return `if (pos >= end) return undefined;\nconst ${v} = buf[pos++];`;
    case 'u32':
      return [
        'if (end - pos < 4) return undefined;',
        `const ${v} = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;`,
        'pos += 4;',
      ].join('\n');
    case 'cstr':
      return cstring(v, field.max, false);
    case 'time':
      return cstring(v, field.max, true);
    case 'sm':
      // SMPP 3.4 §4.4.1: sm_length then the octets, as a view of the frame.
      return [
        'if (pos >= end) return undefined;',
        'n = buf[pos++];',
        `if (n > ${field.max} || n > end - pos) return undefined;`,
        `const ${v} = n === 0 ? H.EMPTY : buf.subarray(pos, pos + n);`,
        'pos += n;',
      ].join('\n');
    case 'dest_address':
      return `pos = H.readDestAddresses(buf, pos, end);\nif (pos < 0) return undefined;\nconst ${v} = H.take();`;
    case 'unsuccess_sme':
      return `pos = H.readUnsuccessSmes(buf, pos, end);\nif (pos < 0) return undefined;\nconst ${v} = H.take();`;
  }
}

/** Compiles the fast decoder of one command from its field list. */
export function compileDecoder(command: string, fields: readonly FieldSpec[], helpers: FastHelpers): FastDecoder {
  if (!IDENTIFIER.test(command)) throw new Error(`not an identifier: ${command}`);
  const body: string[] = ['let pos = 16;', 'let n = 0;', 'let lim = 0;'];
  const props: string[] = [`command: '${command}'`, 'command_status: status', 'sequence_number: seq'];
  fields.forEach((field, i) => {
    if (!IDENTIFIER.test(field.name)) throw new Error(`not an identifier: ${field.name}`);
    const v = `f${i}`;
    body.push(fieldCode(field, v));
    props.push(`${field.name}: ${v}`);
  });
  body.push(
    // SMPP 3.4 §3.2.4: the rest of the body is TLVs.
    `const pdu = { ${props.join(', ')} };`,
    'if (pos < end) {',
    '  const tlvs = H.readTlvs(buf, pos, end);',
    '  if (tlvs === undefined) return undefined;',
    '  pdu.tlvs = tlvs;',
    '}',
    'return pdu;',
  );
  const source = `'use strict';\nreturn function decode_${command}(buf, end, status, seq) {\n${body.join('\n')}\n};`;
  return new Function('H', source)(helpers) as FastDecoder;
}

/** A compiled encoder body: writes the mandatory fields of `pdu` from offset 16 and returns the end offset. */
export type FastEncoder = (pdu: Pdu) => number;

/** The field writers the generated encoder calls: each validates, writes at `pos` and returns the next offset. */
export interface EncodeHelpers {
  u8(pos: number, v: unknown, field: string, status: number): number;
  u32(pos: number, v: unknown, field: string, status: number): number;
  cstr(pos: number, v: unknown, max: number, field: string, status: number): number;
  time(pos: number, v: unknown, max: number, field: string, status: number): number;
  sm(pos: number, v: unknown, max: number, field: string, status: number): number;
  dest_address(pos: number, v: unknown, status: number): number;
  unsuccess_sme(pos: number, v: unknown, status: number): number;
}

function writerCall(field: FieldSpec): string {
  const v = `p.${field.name}`;
  const name = `'${field.name}'`;
  switch (field.kind) {
    case 'u8':
    case 'u32':
      return `pos = H.${field.kind}(pos, ${v}, ${name}, ${field.status});`;
    case 'cstr':
    case 'time':
    case 'sm':
      return `pos = H.${field.kind}(pos, ${v}, ${field.max}, ${name}, ${field.status});`;
    case 'dest_address':
    case 'unsuccess_sme':
      return `pos = H.${field.kind}(pos, ${v}, ${field.status});`;
  }
}

/**
 * Compiles the mandatory-field writer of one command: named property loads (`p.source_addr`) instead of keyed
 * ones, and one call per field to the shared validating writers.
 */
export function compileEncoder(command: string, fields: readonly FieldSpec[], helpers: EncodeHelpers): FastEncoder {
  if (!IDENTIFIER.test(command)) throw new Error(`not an identifier: ${command}`);
  const body = ['let pos = 16;'];
  for (const field of fields) {
    if (!IDENTIFIER.test(field.name)) throw new Error(`not an identifier: ${field.name}`);
    body.push(writerCall(field));
  }
  body.push('return pos;');
  const source = `'use strict';\nreturn function encode_${command}(p) {\n${body.join('\n')}\n};`;
  return new Function('H', source)(helpers) as FastEncoder;
}
