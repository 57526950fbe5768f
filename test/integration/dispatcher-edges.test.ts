import { Client } from "pg";
import { DataSource } from "typeorm";
import type { Webhooks } from "../../src/create-webhooks";
import { createWebhooks } from "../../src/create-webhooks";
import { Account, Contact, ENTITIES, Message, Webhook, WebhookAttempt, WebhookDelivery } from "../../src/entities";
import { testClock } from "../helpers/clock";
import { createTestDatabase, describeWithPostgres, embedded, type TestDatabase } from "../helpers/database";
import { makeContact, makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { eventually, testWebhooks, useWebhooksTestBed } from "../helpers/webhooks";
import { INSERT_DELIVERIES } from "../../src/delivery/sql/fan-out";
import { rowsOf } from "../../src/delivery/rows";
import { tablesOf } from "../../src/tables";

describe("dispatcher edge cases", () => {
  const bed = useWebhooksTestBed("edges");
  const { open } = bed;

  it("records a response that contains a NUL byte (PostgreSQL text cannot hold one)", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    const webhook = await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    bed.receiver.respond(() => ({ status: 500, body: "bad\u0000bytes" }));
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await webhooks.dispatcher.runOnce();
    const delivery = await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id });
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500 });
    const [attempt] = await bed.db.dataSource.getRepository(WebhookAttempt).findBy({ deliveryId: delivery.id });
    expect(attempt.responseBody).toBe("bad\uFFFDbytes");
  });

  it("counts an attempt once even when a host listener throws", async () => {
    const webhooks = open();
    const thrown: string[] = [];
    webhooks.events.on("delivery.succeeded", () => {
      thrown.push("boom");
      throw new Error("listener bug");
    });
    const scene = await makeScene(bed.db.dataSource);
    const webhook = await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await webhooks.dispatcher.runOnce();
    expect(thrown).toEqual(["boom"]);
    const delivery = await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id });
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await bed.db.dataSource.getRepository(WebhookAttempt).countBy({ deliveryId: delivery.id })).toBe(1);
    expect(bed.receiver.requests).toHaveLength(1);
  });

  it("wakes after the outermost commit of nested transactions, not at a savepoint", async () => {
    const webhooks = open({ pollIntervalMs: 60_000 });
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    await webhooks.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await bed.db.dataSource.transaction(async (outer) => {
      await outer.transaction(async (inner) => {
        await inner.save(newMessage(inner, scene.conversation, { content: "inside a savepoint" }));
      });
      await outer.save(newMessage(outer, scene.conversation, { content: "in the outer transaction" }));
      // Nothing may go out before the outer COMMIT.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(bed.receiver.requests).toHaveLength(0);
    });
    await bed.receiver.waitFor(2, 2000);
    expect(bed.receiver.requests.map((r) => JSON.parse(r.body).content).sort()).toEqual(["in the outer transaction", "inside a savepoint"]);
  });

  it("keeps what the outer transaction recorded when an inner savepoint rolls back", async () => {
    const webhooks = open({ pollIntervalMs: 60_000 });
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    await webhooks.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await bed.db.dataSource.transaction(async (outer) => {
      await outer.save(newMessage(outer, scene.conversation, { content: "kept" }));
      await outer
        .transaction(async (inner) => {
          await inner.save(newMessage(inner, scene.conversation, { content: "rolled back" }));
          throw new Error("inner fails");
        })
        .catch(() => undefined);
    });
    await bed.receiver.waitFor(1, 2000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bed.receiver.requests.map((r) => JSON.parse(r.body).content)).toEqual(["kept"]);
  });

  it("sends several saves of one explicit transaction, once each", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    await bed.db.dataSource.transaction(async (manager) => {
      await manager.save(newMessage(manager, scene.conversation, { content: "one" }));
      await manager.save(newMessage(manager, scene.conversation, { content: "two" }));
      const contact = await manager.findOneByOrFail(Contact, { id: scene.contact.id });
      contact.name = "Renamed";
      await manager.save(contact);
    });
    await webhooks.dispatcher.runOnce();
    expect(bed.receiver.requests.map((r) => JSON.parse(r.body).event + ":" + (JSON.parse(r.body).content ?? JSON.parse(r.body).name)).sort()).toEqual([
      "contact_updated:Renamed",
      "message_created:one",
      "message_created:two",
    ]);
  });

  it("lets manual redeliveries leave the schedule alone, and never undo a success", async () => {
    const clock = testClock();
    const webhooks = open({ clock, random: () => 0.5, retrySchedule: [1000, 1000] });
    const scene = await makeScene(bed.db.dataSource);
    const webhook = await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    bed.receiver.respond(() => ({ status: 500 }));
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await webhooks.dispatcher.runOnce();
    const { id } = await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id });
    for (let i = 0; i < 4; i += 1) await webhooks.redeliver(id);
    expect(await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ id })).toMatchObject({ status: "pending", attempts: 1 });
    clock.advance(1000);
    await webhooks.dispatcher.runOnce(); // the schedule's second attempt, not its last
    expect(await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ id })).toMatchObject({ status: "pending", attempts: 2 });

    bed.receiver.respond(() => ({ status: 200 }));
    await webhooks.redeliver(id);
    bed.receiver.respond(() => ({ status: 410 }));
    const gone = await webhooks.redeliver(id);
    expect(gone).toMatchObject({ status: 410, deliveryStatus: "succeeded" });
    expect(await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ id })).toMatchObject({ status: "succeeded" });
    expect(await bed.db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id })).toMatchObject({ enabled: false, disabledReason: "gone" });
    expect(await bed.db.dataSource.getRepository(WebhookAttempt).countBy({ deliveryId: id })).toBe(8);
  });

  it("refuses to redeliver a delivery that has no payload, instead of sending an empty body", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    const message = await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await bed.db.dataSource.getRepository(Message).delete(message.id); // gone before the fan-out
    await webhooks.dispatcher.runOnce();
    const delivery = await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ event: "message_created", accountId: scene.account.id });
    expect(delivery.status).toBe("failed");
    expect(delivery.lastError).toMatch(/no payload could be built/);
    await expect(webhooks.redeliver(delivery.id)).rejects.toMatchObject({ status: 409 });
    expect(bed.receiver.requests).toHaveLength(0);
  });

  it("sends a fan-out's deliveries before its commit; one that then fails to commit is redone with the same delivery id, and only the committed attempt is recorded", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    const webhook = await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/early`, { subscriptions: ["message_created"] });
    // The first time fan-out freezes a body (after the deliveries were handed on to be sent), fail
    // (a sequence, since the failed transaction takes everything else it wrote with it).
    await bed.db.dataSource.query(`CREATE SEQUENCE edge_fail_once`);
    await bed.db.dataSource.query(`
      CREATE FUNCTION edge_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('edge_fail_once') = 1 THEN RAISE EXCEPTION 'the fan-out fails after sending'; END IF;
        RETURN NEW;
      END $$`);
    await bed.db.dataSource.query(`CREATE TRIGGER edge_fail_once BEFORE UPDATE OF body ON webhook_events FOR EACH ROW EXECUTE FUNCTION edge_fail_once()`);
    try {
      await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation, { content: "sent early" }));
      await expect(webhooks.dispatcher.runOnce()).rejects.toThrow(/the fan-out fails after sending/);
      await eventually(() => bed.receiver.requests.length === 1, 5000, "the early request");
      expect(await bed.db.dataSource.getRepository(WebhookDelivery).countBy({ webhookId: webhook.id })).toBe(0);

      await webhooks.dispatcher.runOnce();
      await eventually(() => bed.receiver.requests.length === 2, 5000, "the request of the fan-out done again");
      const requests = bed.receiver.requests.filter((request) => request.path === "/early");
      expect(requests[1].headers["x-chatwoot-delivery"]).toBe(requests[0].headers["x-chatwoot-delivery"]);
      expect(requests[1].headers["webhook-id"]).toBe(requests[0].headers["webhook-id"]);
      expect(JSON.parse(requests[1].body).content).toBe("sent early");
      const delivery = await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id });
      expect(delivery.id).toBe(requests[0].headers["x-chatwoot-delivery"]);
      expect(delivery.status).toBe("succeeded");
      expect(await bed.db.dataSource.getRepository(WebhookAttempt).countBy({ deliveryId: delivery.id })).toBe(1);
    } finally {
      await bed.db.dataSource.query(`DROP TRIGGER edge_fail_once ON webhook_events`);
      await bed.db.dataSource.query(`DROP FUNCTION edge_fail_once()`);
      await bed.db.dataSource.query(`DROP SEQUENCE edge_fail_once`);
    }
  });

  it("an event whose payload cannot be built fails alone: the rest of its batch is delivered", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/batch`, { subscriptions: ["message_created", "conversation_typing_on"] });
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation, { content: "first" }));
    // A typing event naming a conversation id out of the integer range: loading it is an SQL
    // error, which spoils the fan-out's transaction for the whole batch.
    await bed.db.dataSource.query(
      `INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, data) VALUES ($1, $2, 'conversation_typing_on', 'Conversation', $3)`,
      [scene.account.id, scene.inbox.id, JSON.stringify({ conversation_id: 99_999_999_999, user: { type: "User", id: 1 }, is_private: false })],
    );
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation, { content: "second" }));
    await webhooks.dispatcher.runOnce();

    const delivered = bed.receiver.requests.filter((request) => request.path === "/batch").map((request) => JSON.parse(request.body).content);
    expect(delivered.sort()).toEqual(["first", "second"]);
    const typing = await bed.db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ event: "conversation_typing_on", accountId: scene.account.id });
    expect(typing.status).toBe("failed");
    expect(typing.lastError).toMatch(/no payload could be built/);
  });

  it("at fan-out, leases to a webhook with room even when a full one's rows come first", async () => {
    const scene = await makeScene(bed.db.dataSource);
    const full = await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/full`, { subscriptions: ["message_created"] });
    const free = await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/free`, { subscriptions: ["contact_created"] });
    const events = (await bed.db.dataSource.query(
      `INSERT INTO webhook_events (account_id, event, subject_type, subject_id)
       SELECT $1, e, 'Message', 1 FROM unnest(ARRAY['message_created', 'message_created', 'message_created', 'contact_created']) AS e RETURNING id`,
      [scene.account.id],
    )) as Array<{ id: string }>;
    const now = new Date();
    const rows = await bed.db.dataSource.transaction(async (manager) =>
      // One per webhook, one in all; `full` already holds its one.
      rowsOf<{ webhook_id: number; leased: boolean }>(await manager.query(INSERT_DELIVERIES(tablesOf(bed.db.dataSource)), [events.map((e) => e.id), now, new Date(now.getTime() + 60_000), 1, [full.id], [1], 1, 10, [], []])),
    );
    const leased = (id: number) => rows.filter((row) => row.webhook_id === id).map((row) => row.leased);
    expect(leased(full.id)).toEqual([false, false, false]);
    expect(leased(free.id)).toEqual([true]);
  });

  it("does not keep events that no webhook wanted", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await webhooks.dispatcher.runOnce();
    expect(await bed.db.dataSource.query("SELECT count(*)::int AS n FROM webhook_events WHERE account_id = $1", [scene.account.id])).toEqual([{ n: 0 }]);
  });

  it("reports counts for a health endpoint", async () => {
    const webhooks = open({ random: () => 0.5 });
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, bed.receiver.url);
    bed.receiver.respond((_, index) => (index === 0 ? { status: 500 } : { status: 200 }));
    await bed.db.dataSource.getRepository(Message).save([newMessage(bed.db.dataSource, scene.conversation), newMessage(bed.db.dataSource, scene.conversation)]);
    // Two messages, plus the contact and conversation of the scene.
    expect(await webhooks.dispatcher.stats()).toMatchObject({ queuedEvents: 4, pending: 0, inFlight: 0, buffered: 0 });
    await webhooks.dispatcher.runOnce();
    expect(await webhooks.dispatcher.stats()).toMatchObject({ queuedEvents: 0, pending: 1, succeeded: 1, failed: 0, inFlight: 0 });
  });

  it("fails fast, in sentences, when the host is misconfigured", async () => {
    const notInitialized = new DataSource({ type: "postgres", url: bed.db.url || "postgres://localhost/x", entities: ENTITIES });
    expect(() => createWebhooks({ dataSource: notInitialized })).toThrow(/not initialized yet.*initialize\(\)/);
    expect(() => createWebhooks({ dataSource: { isInitialized: true, options: { type: "mysql" } } as unknown as DataSource })).toThrow(/PostgreSQL is required/);
    const missing = embedded ? null : await bed.db.open({ entities: [Account] });
    if (missing) {
      expect(() => createWebhooks({ dataSource: missing })).toThrow(/does not know the entities .*Webhook, WebhookEvent, WebhookDelivery, WebhookAttempt, WebhookRecovery\. Spread ENTITIES/);
      await missing.destroy();
    }
    expect(() => createWebhooks({ dataSource: bed.db.dataSource, timeoutMs: -1 })).toThrow(/timeoutMs must be a positive number/);
    expect(() => createWebhooks({ dataSource: bed.db.dataSource, allowedCidrs: ["10.0.0.0/33"] })).toThrow(TypeError);
    expect(() => createWebhooks({ dataSource: bed.db.dataSource, settingsApiBase: "//evil.example" })).toThrow(/settingsApiBase/);
  });
});

describeWithPostgres("dispatcher edge cases that need PostgreSQL", () => {
  let db: TestDatabase;
  let receiver: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase("edges_pg");
  });

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver.close();
    await db.dataSource.query("DELETE FROM webhooks");
    await db.dataSource.query("DELETE FROM webhook_events");
  });

  afterAll(async () => {
    await db.drop();
  });

  it("does not let a slow webhook's backlog hold up another webhook", async () => {
    const webhooks = testWebhooks(db.dataSource, { perEndpointConcurrency: 2, concurrency: 8, batchSize: 20 });
    const slow = await startReceiver(() => ({ status: 200, delayMs: 200 }));
    try {
      const scene = await makeScene(db.dataSource);
      await makeWebhook(db.dataSource, scene.account.id, slow.url, { subscriptions: ["message_created"] });
      await makeWebhook(db.dataSource, scene.account.id, receiver.url, { subscriptions: ["contact_created"] });
      await db.dataSource.getRepository(Message).save(Array.from({ length: 300 }, () => newMessage(db.dataSource, scene.conversation)));
      for (let i = 0; i < 20; i += 1) await makeContact(db.dataSource, scene.account.id, { name: `c${i}` });
      await webhooks.dispatcher.start();
      const started = Date.now();
      await receiver.waitFor(20, 5000);
      // The slow webhook needs 300 × 200 ms / 2 = 30 s; the other one is not made to wait for it.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(slow.requests.length).toBeLessThan(300);
    } finally {
      await webhooks.dispatcher.stop(100);
      await webhooks.close();
      await slow.close();
    }
  });

  it("finds another webhook's retry within a poll interval while one webhook's backlog keeps it at its limit", async () => {
    const webhooks = testWebhooks(db.dataSource, { perEndpointConcurrency: 2, concurrency: 8, batchSize: 20, pollIntervalMs: 1000, retrySchedule: [300], retryJitter: 0 });
    const slow = await startReceiver(() => ({ status: 200, delayMs: 100 }));
    receiver.respond((_, index) => (index === 0 ? { status: 500 } : { status: 200 }));
    try {
      const scene = await makeScene(db.dataSource);
      await makeWebhook(db.dataSource, scene.account.id, slow.url, { subscriptions: ["message_created"] });
      await makeWebhook(db.dataSource, scene.account.id, receiver.url, { subscriptions: ["contact_created"] });
      await db.dataSource.getRepository(Message).save(Array.from({ length: 150 }, () => newMessage(db.dataSource, scene.conversation)));
      await makeContact(db.dataSource, scene.account.id, { name: "retried" });
      await webhooks.dispatcher.start();
      const [first] = await receiver.waitFor(1, 5000);
      const [, retry] = await receiver.waitFor(2, 5000);
      // Due 300 ms after the failure; found by the next claim or at the latest by the poll, not
      // after the slow webhook's backlog (150 × 100 ms / 2 = 7.5 s).
      expect(retry.receivedAt - first.receivedAt).toBeLessThan(2000);
      expect(slow.requests.length).toBeLessThan(150);
    } finally {
      await webhooks.dispatcher.stop(100);
      await webhooks.close();
      await slow.close();
    }
  });

  it("works with a pool of one connection (LISTEN has its own)", async () => {
    const small = await db.open({ poolSize: 1 });
    const webhooks = createWebhooks({ dataSource: small, allowPrivateNetwork: true, pollIntervalMs: 60_000, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    try {
      const scene = await makeScene(small);
      await makeWebhook(small, scene.account.id, receiver.url);
      await webhooks.dispatcher.start();
      await small.getRepository(Message).save(newMessage(small, scene.conversation, { content: "small pool" }));
      await receiver.waitFor(1, 3000);
      await eventually(async () => (await webhooks.dispatcher.stats()).pending === 0, 3000, "recorded");
    } finally {
      await webhooks.close();
      await small.destroy();
    }
  });

  it("survives its connections being terminated after close()", async () => {
    const source = await db.open();
    const webhooks = createWebhooks({ dataSource: source, allowPrivateNetwork: true, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    await webhooks.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await webhooks.close();
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    await admin.end();
    // An uncaught "Release called on client which has already been released" would fail the run here.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await source.destroy().catch(() => undefined);
    // The suite's own DataSource lost its connections too; it reconnects on the next query.
    await eventually(async () => {
      try {
        await db.dataSource.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    }, 5000, "the test DataSource reconnecting");
  });
});
