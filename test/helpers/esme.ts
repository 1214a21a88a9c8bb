// A small raw ESME built on our codec: it speaks SMPP over any duplex stream (a TCP or TLS socket, or one end of an
// in-memory pair) with no session logic of its own, so tests see exactly the bytes the server sends. Also the
// minimal load client of bench/server.ts (`runLoad`: pre-encoded submit_sm, windowed, one write per batch).

import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  CommandId,
  decodePdu,
  encodePdu,
  Framer,
  isResponse,
  type Pdu,
  type PduOf,
  SmppDecodeError,
} from '../../src/smpp/codec/index.js';

/** A PDU to send, without its sequence_number (the ESME assigns it) and with command_status optional. */
export type Outgoing<C extends Pdu['command'] = Pdu['command']> = Omit<
  PduOf<C>,
  'sequence_number' | 'command_status'
> & {
  sequence_number?: number;
  command_status?: number;
};

/** How the ESME answers requests from the server by default. */
export interface AutoAnswer {
  /** enquire_link → enquire_link_resp ROK (default true). */
  enquireLink: boolean;
  /** deliver_sm / data_sm → _resp with this status (default 0); undefined: do not answer. */
  deliverStatus: number | undefined;
  /** unbind → unbind_resp ROK (default true). */
  unbind: boolean;
}

interface Waiter {
  predicate: (pdu: Pdu) => boolean;
  resolve: (pdu: Pdu) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Connection options of `Esme.connect`. */
export interface EsmeConnectOptions {
  host?: string;
  port: number;
  /** Connect with TLS (options passed to tls.connect; `rejectUnauthorized: false` for a self-signed test cert). */
  tls?: tls.ConnectionOptions;
}

/** A raw ESME over one stream. */
export class Esme {
  readonly stream: Duplex;
  /** Every PDU received, in order (requests and responses). */
  readonly received: Pdu[] = [];
  /** Bytes the framer could not frame or the codec could not decode, as errors. */
  readonly errors: Error[] = [];
  readonly auto: AutoAnswer = { enquireLink: true, deliverStatus: 0, unbind: true };
  /** Resolves when the stream closes. */
  readonly closed: Promise<void>;
  #framer = new Framer();
  #seq = 0;
  #pending = new Map<number, { resolve: (pdu: Pdu) => void; reject: (error: Error) => void }>();
  #waiters: Waiter[] = [];
  #isClosed = false;

  constructor(stream: Duplex) {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    stream.on('error', (error) => this.errors.push(error));
    this.closed = new Promise((resolve) => {
      const done = () => {
        if (this.#isClosed) return;
        this.#isClosed = true;
        const error = new Error('connection closed');
        for (const p of this.#pending.values()) p.reject(error);
        this.#pending.clear();
        for (const w of this.#waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(error);
        }
        resolve();
      };
      stream.on('close', done);
      stream.on('end', done);
    });
  }

  /** Connects over TCP (or TLS) to a loopback server. */
  static async connect(options: EsmeConnectOptions): Promise<Esme> {
    const host = options.host ?? '127.0.0.1';
    const socket =
      options.tls !== undefined
        ? tls.connect({ host, port: options.port, ...options.tls })
        : net.connect({ host, port: options.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls !== undefined ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new Esme(socket);
  }

  /** Whether the stream has closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Writes raw bytes or an encoded PDU (its sequence_number as given). */
  send(data: Buffer | Pdu): void {
    this.stream.write(Buffer.isBuffer(data) ? data : encodePdu(data));
  }

  /** Sends a request with the next sequence number and resolves with its response (matched by sequence). */
  request<C extends Pdu['command']>(pdu: Outgoing<C>, timeoutMs = 5000): Promise<Pdu> {
    const seq = pdu.sequence_number ?? ++this.#seq;
    const full = { command_status: 0, ...pdu, sequence_number: seq } as Pdu;
    return new Promise<Pdu>((resolve, reject) => {
      if (this.#isClosed) {
        reject(new Error('connection closed'));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new Error(`no response to ${pdu.command} #${seq} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(seq, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.send(full);
    });
  }

  /** bind_transmitter / bind_receiver / bind_transceiver. */
  bind(
    type: 'transmitter' | 'receiver' | 'transceiver',
    system_id: string,
    password: string,
    extra: { system_type?: string } = {},
  ): Promise<Pdu> {
    return this.request({
      command: `bind_${type}`,
      system_id,
      password,
      system_type: extra.system_type ?? '',
      interface_version: 0x34,
      addr_ton: 0,
      addr_npi: 0,
      address_range: '',
    } as Outgoing<'bind_transceiver'>);
  }

  /** A submit_sm with sensible defaults. */
  submit(fields: Partial<Outgoing<'submit_sm'>> = {}): Promise<Pdu> {
    return this.request<'submit_sm'>({ ...submitDefaults(), ...fields, command: 'submit_sm' });
  }

  /** enquire_link. */
  enquireLink(): Promise<Pdu> {
    return this.request<'enquire_link'>({ command: 'enquire_link' });
  }

  /** unbind; resolves with unbind_resp. */
  unbind(): Promise<Pdu> {
    return this.request<'unbind'>({ command: 'unbind' });
  }

  /** Waits for a received PDU matching `predicate` (already received ones count), up to `timeoutMs`. */
  waitFor(predicate: (pdu: Pdu) => boolean, timeoutMs = 5000): Promise<Pdu> {
    const seen = this.received.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<Pdu>((resolve, reject) => {
      if (this.#isClosed) {
        reject(new Error('connection closed'));
        return;
      }
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(new Error(`no matching PDU within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Ends the connection (FIN) and waits for it to close. */
  async close(): Promise<void> {
    this.stream.end();
    const t = setTimeout(() => this.stream.destroy(), 1000);
    await this.closed;
    clearTimeout(t);
  }

  /** Drops the connection at once, like a crashed client. */
  destroy(): void {
    this.stream.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#framer.push(chunk);
    for (;;) {
      let frame: Buffer | undefined;
      try {
        frame = this.#framer.next();
      } catch (error) {
        this.errors.push(error as Error);
        this.stream.destroy();
        return;
      }
      if (frame === undefined) return;
      let pdu: Pdu;
      try {
        pdu = decodePdu(frame);
      } catch (error) {
        this.errors.push(error as Error);
        if (error instanceof SmppDecodeError && !isResponse(error.commandId)) {
          this.send(generic(CommandId.generic_nack, error.commandStatus, error.sequenceNumber));
        }
        continue;
      }
      this.received.push(pdu);
      this.#onPdu(pdu);
    }
  }

  #onPdu(pdu: Pdu): void {
    if (isResponse(CommandId[pdu.command])) {
      const p = this.#pending.get(pdu.sequence_number);
      if (p !== undefined) {
        this.#pending.delete(pdu.sequence_number);
        p.resolve(pdu);
      }
    } else if (pdu.command === 'enquire_link' && this.auto.enquireLink) {
      this.send({ command: 'enquire_link_resp', command_status: 0, sequence_number: pdu.sequence_number });
    } else if ((pdu.command === 'deliver_sm' || pdu.command === 'data_sm') && this.auto.deliverStatus !== undefined) {
      this.send({
        command: `${pdu.command}_resp`,
        command_status: this.auto.deliverStatus,
        sequence_number: pdu.sequence_number,
        message_id: '',
      } as Pdu);
    } else if (pdu.command === 'unbind' && this.auto.unbind) {
      this.send({ command: 'unbind_resp', command_status: 0, sequence_number: pdu.sequence_number });
    }
    for (let i = 0; i < this.#waiters.length; i++) {
      const w = this.#waiters[i];
      if (w.predicate(pdu)) {
        this.#waiters.splice(i--, 1);
        clearTimeout(w.timer);
        w.resolve(pdu);
      }
    }
  }
}

/** A header-only PDU (16 octets). */
export function generic(commandId: number, status: number, sequence: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(16, 0);
  b.writeUInt32BE(commandId, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(sequence, 12);
  return b;
}

/** The fields of a plain submit_sm from 12345 to 33612345678, "hello". */
export function submitDefaults(): Omit<PduOf<'submit_sm'>, 'command' | 'command_status' | 'sequence_number'> {
  return {
    service_type: '',
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '12345',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '33612345678',
    esm_class: 0,
    protocol_id: 0,
    priority_flag: 0,
    schedule_delivery_time: '',
    validity_period: '',
    registered_delivery: 1,
    replace_if_present_flag: 0,
    data_coding: 0,
    sm_default_msg_id: 0,
    short_message: Buffer.from('hello'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Load generation (bench/server.ts)

/** A load run's parameters. */
export interface LoadOptions {
  port: number;
  host?: string;
  /** Parallel connections, each bound as a transceiver. */
  binds: number;
  /** Outstanding submit_sm per connection. */
  window: number;
  /** Measure for this long after warm-up. */
  durationMs: number;
  warmupMs: number;
  system_id: string;
  password: string;
  /** short_message length (octets). */
  messageLength?: number;
}

/** What a load run measured. */
export interface LoadResult {
  /** submit_sm_resp received in the measured interval. */
  responses: number;
  /** Non-ROK responses among them. */
  errors: number;
  seconds: number;
  /** Responses per second. */
  rate: number;
  /** Latency percentiles (milliseconds) over the measured interval. */
  p50: number;
  p99: number;
}

const SEQ_SLOTS = 1 << 16;

/**
 * Runs a windowed submit_sm load: per connection, `window` requests in flight; each batch of responses read from
 * the socket is replaced by the same number of new requests in ONE write (copies of one pre-encoded submit_sm with
 * the sequence number patched). Measures responses/s and latency.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const template = encodePdu({
    ...submitDefaults(),
    command: 'submit_sm',
    command_status: 0,
    sequence_number: 1,
    short_message: Buffer.alloc(options.messageLength ?? 160, 0x61),
  });
  const len = template.length;
  const latencies = new Float64Array(8 * 1024 * 1024);
  let nLat = 0;
  let measuring = false;
  let stopping = false;
  let responses = 0;
  let errors = 0;
  const sessions: Esme[] = [];
  for (let b = 0; b < options.binds; b++) {
    const esme = await Esme.connect({ port: options.port, host: options.host });
    const resp = await esme.bind('transceiver', options.system_id, options.password);
    if (resp.command_status !== 0) throw new Error(`bind refused: ${resp.command_status}`);
    sessions.push(esme);
  }
  const finished: Promise<void>[] = [];
  for (const esme of sessions) {
    const socket = esme.stream;
    socket.removeAllListeners('data');
    const sentAt = new Float64Array(SEQ_SLOTS);
    let seq = 1000;
    let outstanding = 0;
    let rest: Buffer | undefined;
    let resolveDone!: () => void;
    finished.push(
      new Promise<void>((r) => {
        resolveDone = r;
      }),
    );
    const sendBatch = (n: number): void => {
      if (n <= 0) return;
      const out = Buffer.allocUnsafe(n * len);
      const now = performance.now();
      for (let i = 0; i < n; i++) {
        const off = i * len;
        template.copy(out, off);
        seq = seq >= 0x7ffffff0 ? 1 : seq + 1;
        out.writeUInt32BE(seq, off + 12);
        sentAt[seq & (SEQ_SLOTS - 1)] = now;
      }
      outstanding += n;
      socket.write(out);
    };
    socket.on('data', (chunk: Buffer) => {
      const buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
      rest = undefined;
      let pos = 0;
      let got = 0;
      const now = performance.now();
      while (buf.length - pos >= 16) {
        const l = buf.readUInt32BE(pos);
        if (buf.length - pos < l) break;
        const id = buf.readUInt32BE(pos + 4);
        if (id === CommandId.submit_sm_resp) {
          got++;
          if (measuring) {
            responses++;
            if (buf.readUInt32BE(pos + 8) !== 0) errors++;
            if (nLat < latencies.length) latencies[nLat++] = now - sentAt[buf.readUInt32BE(pos + 12) & (SEQ_SLOTS - 1)];
          }
        } else if (id === CommandId.enquire_link) {
          socket.write(generic(CommandId.enquire_link_resp, 0, buf.readUInt32BE(pos + 12)));
        }
        pos += l;
      }
      if (pos < buf.length) rest = buf.subarray(pos);
      outstanding -= got;
      if (!stopping) sendBatch(got);
      else if (outstanding === 0) resolveDone();
    });
    sendBatch(options.window);
  }
  await new Promise((r) => setTimeout(r, options.warmupMs));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, options.durationMs));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopping = true;
  await Promise.race([Promise.all(finished), new Promise((r) => setTimeout(r, 2000))]);
  for (const esme of sessions) {
    esme.stream.destroy();
  }
  const lat = latencies.subarray(0, nLat).sort();
  const pct = (p: number) => (nLat === 0 ? 0 : lat[Math.min(nLat - 1, Math.floor((p / 100) * nLat))]);
  return { responses, errors, seconds, rate: responses / seconds, p50: pct(50), p99: pct(99) };
}
