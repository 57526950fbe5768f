import type { DataSource } from "typeorm";
import { createWebhooks, type Webhooks } from "../../src/create-webhooks";
import type { WebhooksOptions } from "../../src/options";
import { tablesOf } from "../../src/tables";
import { createTestDatabase, type TestDatabase } from "./database";
import { startReceiver, type Receiver } from "./receiver";

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

/** What {@link useWebhooksTestBed} gives each test: its database, a fresh receiver, and `open()`. */
export interface WebhooksTestBed {
  readonly db: TestDatabase;
  readonly receiver: Receiver;
  /** {@link testWebhooks} on the bed's DataSource, closed after the test. */
  open(overrides?: Partial<WebhooksOptions>): Webhooks;
}

/**
 * The usual hooks of a file of dispatcher tests: one database for the file, a receiver per test,
 * and after each test every `open()`ed set of webhooks closed and the webhooks and outbox emptied.
 */
export function useWebhooksTestBed(label: string): WebhooksTestBed {
  let db: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  const opened: Webhooks[] = [];
  beforeAll(async () => {
    db = await createTestDatabase(label);
  });
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const webhooks of opened.splice(0)) await webhooks.close();
    await receiver?.close();
    await db?.dataSource.query("DELETE FROM webhooks");
    await db?.dataSource.query("DELETE FROM webhook_events");
  });
  afterAll(async () => {
    await db?.drop();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test bed's ${what} is not there yet (use it inside a test)`);
    return value;
  };
  return {
    get db() {
      return ready(db, "database");
    },
    get receiver() {
      return ready(receiver, "receiver");
    },
    open(overrides = {}) {
      const webhooks = testWebhooks(ready(db, "database").dataSource, overrides);
      opened.push(webhooks);
      return webhooks;
    },
  };
}
