// C-octet strings are Latin-1 (ASCII in practice) on the wire. Most are short (addresses, ids), where building the
// string from char codes beats Buffer#toString's argument checks; long ones go through toString.

const SHORT = 16;

/** The Latin-1 string in `buf[start, end)`. */
export function readLatin1(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n > SHORT) return buf.toString('latin1', start, end);
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}
