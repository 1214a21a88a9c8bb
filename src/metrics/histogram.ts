// A Prometheus histogram read from counts kept elsewhere. The hot paths (every submit_sm_resp, every store call)
// record into a LatencyHistogram — a few comparisons and additions, no allocation — and this metric turns those
// counts into prom-client's histogram values at scrape time, so prom-client's per-observation label hashing never
// runs on the message path. prom-client has no public hook for this: the two read methods of its Histogram are
// overridden, and a test checks the text it prints.

import { Histogram, type Registry } from 'prom-client';
import type { LatencyHistogram } from '../smpp/session/counters.js';

/** A labelled set of latency histograms (one per label value set), read at scrape time. */
export type HistogramSource = () => Iterable<{ labels: Record<string, string>; histogram: LatencyHistogram }>;

type Values = Awaited<ReturnType<Histogram['get']>>;

/** Registers a histogram named `name` whose values come from `source` at every scrape. */
export function registerCountedHistogram(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  source: HistogramSource,
): Histogram {
  return new CountedHistogram({ name, help, labelNames: [...labelNames], registers: [registry] }, source);
}

class CountedHistogram extends Histogram {
  readonly #source: HistogramSource;
  readonly #name: string;
  readonly #help: string;

  constructor(config: ConstructorParameters<typeof Histogram>[0], source: HistogramSource) {
    super(config);
    this.#source = source;
    this.#name = config.name;
    this.#help = config.help;
  }

  override async get(): Promise<Values> {
    return this.#values();
  }

  /** What prom-client's Registry calls to print the text format. */
  async getForPromString(): Promise<Values> {
    return this.#values();
  }

  #values(): Values {
    const values: Values['values'] = [];
    for (const { labels, histogram } of this.#source()) {
      let cumulative = 0;
      for (let i = 0; i < histogram.bounds.length; i++) {
        cumulative += histogram.counts[i];
        values.push({
          metricName: `${this.#name}_bucket`,
          labels: { ...labels, le: histogram.bounds[i] },
          value: cumulative,
        });
      }
      cumulative += histogram.counts[histogram.bounds.length];
      values.push({ metricName: `${this.#name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.#name}_sum`, labels: { ...labels }, value: histogram.sum });
      values.push({ metricName: `${this.#name}_count`, labels: { ...labels }, value: histogram.count });
    }
    // prom-client's typings declare `type` as a numeric enum, while its registry prints the string: hence the cast.
    const out = { name: this.#name, help: this.#help, type: 'histogram', values, aggregator: 'sum' };
    return out as unknown as Values;
  }
}
