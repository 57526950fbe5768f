import type { Webhooks } from "../src";
import { delay } from "./clock";

/** Wait until nothing is queued, pending or in flight (the dispatcher must be running). */
export async function waitUntilDrained(webhooks: Webhooks, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await webhooks.dispatcher.stats();
    if (stats.queuedEvents === 0 && stats.pending === 0 && stats.inFlight === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not drained after ${timeoutMs} ms (queued ${stats.queuedEvents}, pending ${stats.pending}, in flight ${stats.inFlight})`);
    }
    await delay(50);
  }
}
