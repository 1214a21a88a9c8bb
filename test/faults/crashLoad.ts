// An ESME load that survives the gateway's death: several transceiver binds, each keeping a full window of submit_sm
// (registered_delivery 1, a unique text per submit) in flight; when the connection drops it reconnects to wherever
// the gateway listens now and binds again. It records what a crash test counts: each text that got submit_sm_resp
// ROK with the message_id it got, and every receipt deliver_sm received (answered ROK at once, as a well-behaved ESME
// does), by receipted_message_id and by the text its `text:` field quotes.

import type { PduOf } from '../../src/smpp/codec/index.js';
import { Esme } from '../helpers/esme.js';

/** Options of {@link CrashLoad}. */
export interface CrashLoadOptions {
  /** Where the gateway listens now (undefined while it is down). */
  port: () => number | undefined;
  binds: number;
  window: number;
  systemId: string;
  password: string;
  /** Prefix of every text (kept short: the receipt's `text:` quotes 20 characters). */
  prefix: string;
}

/** A receipt as the ESME got it. */
export interface EsmeReceipt {
  messageId: string;
  text: string;
  stat: string;
  /** Epoch ms when it arrived. */
  at: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The load; `start()` it, `stopSubmitting()` to let the window drain, `close()` at the end. */
export class CrashLoad {
  /** text → message_id, for every submit answered ESME_ROK. */
  readonly accepted = new Map<string, string>();
  /** Non-ROK answers by status. */
  readonly refused = new Map<number, number>();
  /** Submits with no answer (the connection dropped or the answer timed out). */
  unanswered = 0;
  /** Every receipt received, in order. */
  readonly receipts: EsmeReceipt[] = [];
  /** Connections made (the first ones included) and binds refused. */
  connects = 0;
  bindRefusals = 0;
  readonly #o: CrashLoadOptions;
  #n = 0;
  #submitting = true;
  #running = true;
  #loops: Promise<void>[] = [];
  readonly #esmes = new Set<Esme>();

  constructor(options: CrashLoadOptions) {
    this.#o = options;
  }

  start(): void {
    for (let b = 0; b < this.#o.binds; b++) this.#loops.push(this.#bindLoop());
  }

  /** Submits in flight now. */
  inflight = 0;

  /** No new submits; resolves once none is in flight. Binds stay up to take receipts. */
  async stopSubmitting(): Promise<void> {
    this.#submitting = false;
    while (this.inflight > 0) await sleep(20);
  }

  /** Binds connected and bound now. */
  get bound(): number {
    return this.#esmes.size;
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#submitting = false;
    for (const e of this.#esmes) e.destroy();
    await Promise.all(this.#loops);
  }

  #take(esme: Esme): void {
    for (const pdu of esme.received.splice(0)) {
      if (pdu.command !== 'deliver_sm') continue;
      const d = pdu as PduOf<'deliver_sm'>;
      if ((d.esm_class & 0x3c) !== 0x04) continue;
      const body = d.short_message.toString('latin1');
      this.receipts.push({
        messageId: String(d.tlvs?.receipted_message_id ?? /^id:(\S+)/.exec(body)?.[1] ?? ''),
        text: /text:(.*)$/.exec(body)?.[1] ?? '',
        stat: /stat:(\S+)/.exec(body)?.[1] ?? '',
        at: Date.now(),
      });
    }
  }

  async #bindLoop(): Promise<void> {
    while (this.#running) {
      const port = this.#o.port();
      let esme: Esme;
      try {
        if (port === undefined) throw new Error('gateway down');
        esme = await Esme.connect({ port });
      } catch {
        await sleep(50);
        continue;
      }
      this.connects++;
      try {
        const resp = await esme.bind('transceiver', this.#o.systemId, this.#o.password);
        if (resp.command_status !== 0) {
          this.bindRefusals++;
          esme.destroy();
          await sleep(100);
          continue;
        }
      } catch {
        esme.destroy();
        await sleep(50);
        continue;
      }
      this.#esmes.add(esme);
      const reader = setInterval(() => this.#take(esme), 20);
      const slots: Promise<void>[] = [];
      for (let w = 0; w < this.#o.window; w++) slots.push(this.#slot(esme));
      await Promise.all(slots);
      // Submitting over (or the bind died): keep the bind to take receipts until it closes or the run ends.
      while (this.#running && !esme.isClosed) await sleep(50);
      clearInterval(reader);
      this.#take(esme);
      this.#esmes.delete(esme);
      esme.destroy();
    }
  }

  /** One window slot: submits back to back while submitting and the bind lives. */
  async #slot(esme: Esme): Promise<void> {
    while (this.#submitting && !esme.isClosed) {
      const text = `${this.#o.prefix}${++this.#n}`;
      this.inflight++;
      try {
        const r = (await esme.submit({
          registered_delivery: 1,
          short_message: Buffer.from(text, 'latin1'),
        })) as PduOf<'submit_sm_resp'>;
        if (r.command_status === 0) this.accepted.set(text, r.message_id);
        else {
          this.refused.set(r.command_status, (this.refused.get(r.command_status) ?? 0) + 1);
          // A refusal (the gateway starting, its store busy) is not a reason to spin.
          await sleep(20);
        }
      } catch {
        this.unanswered++;
      } finally {
        this.inflight--;
      }
    }
  }
}
