import type { Logger } from "../src";

/** One progress line, prefixed with the scenario. */
export function log(scope: string, message: string): void {
  console.log(`[${scope}] ${message}`);
}

/**
 * The library's logger for a scenario: debug, info and warnings (a hung endpoint's timeouts are
 * expected here) stay quiet; errors are printed, the first few in full, and counted.
 */
export function benchLogger(scope: string): Logger & { errors(): number } {
  let errors = 0;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (obj, msg) => {
      errors += 1;
      if (errors <= 3) console.error(`[${scope}] library error: ${msg ?? ""}`, obj);
    },
    errors: () => errors,
  };
}

/** Run `report` every `everyMs` until the returned stop function is called. */
export function every(everyMs: number, report: () => Promise<void> | void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    Promise.resolve(report())
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, everyMs);
  return () => clearInterval(timer);
}
