/**
 * The optional peer dependency `prom-client`, loaded only when metrics are on, so that the
 * library installs and runs without it. Nothing public refers to this module's types (see
 * `MetricsRegistry`): a host without prom-client must still compile against this package.
 */

/** The prom-client exports the library uses. */
export type PromClient = typeof import("prom-client");

let loaded: PromClient | null | undefined;

/** prom-client, or null when it is not installed. Loaded once. */
export function loadPromClient(): PromClient | null {
  if (loaded === undefined) {
    try {
      loaded = require("prom-client") as PromClient;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Whether prom-client is installed (the default of `metrics.enabled`). */
export function canLoadPromClient(): boolean {
  return loadPromClient() !== null;
}
