/**
 * The part of a prom-client `Registry` the library uses; a `new Registry()` from prom-client
 * fits. Declared here rather than imported, so that a host without the optional prom-client
 * still compiles against this package's types.
 */
export interface MetricsRegistry {
  /** The exposition text of every registered metric. */
  metrics(): Promise<string>;
  /** The Content-Type of that text. */
  readonly contentType: string;
  registerMetric(metric: unknown): void;
  removeSingleMetric(name: string): void;
}
