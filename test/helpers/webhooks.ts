import type { DataSource } from "typeorm";
import { createWebhooks, type Webhooks } from "../../src/create-webhooks";
import type { WebhooksOptions } from "../../src/options";
import { tablesOf } from "../../src/tables";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Webhooks as a host wires them, tuned for tests: loopback receivers allowed, a short poll,
 * no logging noise, and no side effects of messages (each message would also send its contact's
 * contact_updated and maybe a conversation_updated; test/integration/message-side-effects.test.ts
 * tests them, with the library's default). Every field can be overridden.
 */
export function testWebhooks(dataSource: DataSource, overrides: Partial<WebhooksOptions> = {}): Webhooks {
  return createWebhooks({ dataSource, allowPrivateNetwork: true, pollIntervalMs: 50, timeoutMs: 2000, logger: quiet, messageSideEffects: false, ...overrides });
}

/** Run the dispatcher by hand until nothing is left to fan out or attempt (fails after 50 passes). */
export async function settle(webhooks: Webhooks): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    const { fannedOut, attempted } = await webhooks.dispatcher.runOnce();
    if (fannedOut === 0 && attempted === 0) return;
  }
  throw new Error("dispatcher did not settle");
}

/** Wait until `check` returns true (polling every 20 ms), or fail after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Whether exactly `count` deliveries exist and none is pending, read in one query: two separate
 * counts could see "none pending" before fan-out and "all there" after it.
 */
export async function allFinished(dataSource: DataSource, count: number): Promise<boolean> {
  const [row] = (await dataSource.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM ${tablesOf(dataSource).webhookDeliveries}`)) as Array<{ n: number; pending: number }>;
  return row.n === count && row.pending === 0;
}
