// Store latency for the metrics: a wrapper that times every asynchronous store call by method name, from the call to
// its settlement (for a write, that includes the group commit it waited for). Each call costs a clock read and a
// bucket increment; the wrapper forwards everything else untouched, so backend extras (commitStats…) still work.

import { LatencyHistogram } from '../smpp/session/counters.js';

/** Upper bounds (seconds) of the store latency buckets: 0.1 ms to 2.5 s. */
export const STORE_LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** Store call latencies by method name, filled by instrumentStore and read by the metrics. */
export class StoreTimings {
  readonly #byOp = new Map<string, LatencyHistogram>();

  /** The histogram of one method, created on first use. */
  histogram(op: string): LatencyHistogram {
    let h = this.#byOp.get(op);
    if (h === undefined) {
      h = new LatencyHistogram(STORE_LATENCY_BUCKETS);
      this.#byOp.set(op, h);
    }
    return h;
  }

  /** Every method timed so far with its histogram. */
  entries(): { op: string; histogram: LatencyHistogram }[] {
    return [...this.#byOp].map(([op, histogram]) => ({ op, histogram }));
  }
}

/**
 * The same store, with every method that returns a promise timed into `timings` (methods are called on the real
 * store, so backends with private fields work). Give this to the gateway's parts; close the real store as before.
 */
export function instrumentStore<S extends object>(store: S, timings: StoreTimings): S {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        // Created on the first promise, so synchronous extras never show as empty histograms.
        let histogram: LatencyHistogram | undefined;
        fn = (...args: unknown[]): unknown => {
          const started = performance.now();
          const result = method.apply(target, args);
          if (result instanceof Promise && typeof prop === 'string') {
            histogram ??= timings.histogram(prop);
            const h = histogram;
            const done = () => h.observe((performance.now() - started) / 1000);
            result.then(done, done);
          }
          return result;
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
