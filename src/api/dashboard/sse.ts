// Server-sent events framing (HTML Living Standard §9.2, "text/event-stream"): `event:` and `id:` fields, one
// `data:` line per line of the payload, a blank line to dispatch. CR, LF and CRLF all end a line in that format, so
// a payload line break of any kind becomes a new `data:` line and a name can never carry one.

/** One event to send. */
export interface SseEvent {
  /** The event type (`message` when absent). */
  event?: string;
  /** The payload; line breaks are framed as several data lines. */
  data: string;
  /** The last-event id the browser reports on reconnect. */
  id?: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

function field(name: string, value: string): string {
  if (LINE_BREAK.test(value)) throw new RangeError(`an SSE ${name} must not contain a line break`);
  return `${name}: ${value}\n`;
}

/** The wire text of one event, ending with the blank line that dispatches it. */
export function sseFrame(e: SseEvent): string {
  let out = '';
  if (e.event !== undefined) out += field('event', e.event);
  if (e.id !== undefined) out += field('id', e.id);
  for (const line of e.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A reconnection delay for the browser's EventSource, in milliseconds. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/** A comment line: ignored by the browser, keeps proxies from timing the stream out. */
export function sseComment(text: string): string {
  return `: ${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`;
}
