/**
 * Run `stop` once on the first SIGTERM or SIGINT, then exit 0 (1 if `stop` throws). A second
 * signal while stopping exits at once, for an impatient Ctrl-C: deliveries cut short are not
 * lost, their lease runs out and they are attempted again on the next start.
 *
 * Returns `stopping()`, true once a signal arrived: start-up steps failing because shutdown closed
 * what they were using are expected then, not errors to report.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void>): { stopping(): boolean } {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(0);
    }
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("shutdown failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
  return { stopping: () => stopping };
}
