import type { AttemptRecord } from "../../src/context";
import { ADDRESS_REFUSED_ERROR } from "../../src/delivery/send";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent } from "../../src/entities";
import type { WebhooksOptions } from "../../src/options";
import { testClock, type TestClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks } from "../helpers/webhooks";

const DAY = 24 * 60 * 60 * 1000;

describe("retries, failures and the schedule (injected clock)", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let clock: TestClock;
  let webhooks: Webhooks;
  let seen: Record<string, unknown[]>;

  beforeAll(async () => {
    db = await createTestDatabase("retries");
  });

  afterAll(async () => {
    await db.drop();
  });

  const setup = async (overrides: Partial<WebhooksOptions> = {}) => {
    clock = testClock();
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource, { clock, random: () => 0.5, timeoutMs: 500, ...overrides });
    seen = {};
    for (const name of ["delivery.succeeded", "delivery.failed", "delivery.retry_scheduled", "webhook.disabled"] as const) {
      webhooks.events.on(name, (payload: unknown) => (seen[name] ??= []).push(payload));
    }
    const scene = await makeScene(db.dataSource);
    const webhook = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/hook`);
    const save = (content = "Hi") => db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content }));
    return { scene, webhook, save };
  };

  afterEach(async () => {
    await webhooks.close();
    await receiver.close();
    // Each test starts with no webhooks and an empty outbox.
    await db.dataSource.query("DELETE FROM webhooks");
    await db.dataSource.query("DELETE FROM webhook_events");
  });

  const delivery = async (webhookId: number) => db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId });
  const attemptsOf = async (deliveryId: string) => db.dataSource.getRepository(WebhookAttempt).find({ where: { deliveryId }, order: { id: "ASC" } });

  it("retries a 500 after the scheduled delay with the same delivery id and body", async () => {
    const { webhook, save } = await setup();
    receiver.respond((_, index) => (index === 0 ? { status: 500, body: "oops" } : { status: 200 }));
    await save();
    expect(await webhooks.dispatcher.runOnce()).toMatchObject({ attempted: 1 });
    let row = await delivery(webhook.id);
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500, lastError: "HTTP 500" });
    expect(row.nextAttemptAt?.toISOString()).toBe(new Date(clock().getTime() + 5000).toISOString());
    expect(seen["delivery.retry_scheduled"]).toHaveLength(1);

    clock.advance(4999);
    expect((await webhooks.dispatcher.runOnce()).attempted).toBe(0);
    clock.advance(1);
    expect((await webhooks.dispatcher.runOnce()).attempted).toBe(1);
    row = await delivery(webhook.id);
    expect(row).toMatchObject({ status: "succeeded", attempts: 2, lastStatusCode: 200, lastError: null });
    const [first, second] = receiver.requests;
    expect(second.headers["x-chatwoot-delivery"]).toBe(first.headers["x-chatwoot-delivery"]);
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(second.body).toBe(first.body);
    const attempts = await attemptsOf(row.id);
    expect(attempts.map((a) => [a.statusCode, a.trigger, a.responseBody])).toEqual([
      [500, "scheduled", "oops"],
      [200, "scheduled", ""],
    ]);
    expect(seen["delivery.succeeded"]).toHaveLength(1);
    // Both attempts (the one sent straight from fan-out, the retry from a claim) know when the event was recorded.
    const [event] = (await db.dataSource.query("SELECT created_at FROM webhook_events")) as Array<{ created_at: Date }>;
    expect((seen["delivery.retry_scheduled"][0] as AttemptRecord).committedAt).toEqual(event.created_at);
    expect((seen["delivery.succeeded"][0] as AttemptRecord).committedAt).toEqual(event.created_at);
  });

  it("gives up after the last attempt of the schedule and says so", async () => {
    const { webhook, save } = await setup({ retrySchedule: [1000, 2000] });
    receiver.respond(() => ({ status: 502 }));
    await save();
    await webhooks.dispatcher.runOnce();
    clock.advance(1000);
    await webhooks.dispatcher.runOnce();
    clock.advance(2000);
    await webhooks.dispatcher.runOnce();
    clock.advance(60 * 60 * 1000);
    expect((await webhooks.dispatcher.runOnce()).attempted).toBe(0);
    expect(receiver.requests).toHaveLength(3);
    expect(await delivery(webhook.id)).toMatchObject({ status: "failed", attempts: 3, nextAttemptAt: null });
    expect((seen["delivery.failed"] as AttemptRecord[]).map((r) => r.attempt)).toEqual([3]);
  });

  it("honours Retry-After on 429 within the clamp", async () => {
    const { webhook, save } = await setup();
    receiver.respond(() => ({ status: 429, headers: { "retry-after": "8" } }));
    await save();
    const before = clock().getTime();
    await webhooks.dispatcher.runOnce();
    expect((await delivery(webhook.id)).nextAttemptAt?.getTime()).toBe(before + 8000);
  });

  it("follows redirects up to 10 hops (Chatwoot's lib/safe_fetch), then counts the attempt as failed and retries it", async () => {
    const { webhook, save } = await setup();
    receiver.respond(() => ({ status: 301, headers: { location: `${receiver.url}/elsewhere` } }));
    await save();
    await webhooks.dispatcher.runOnce();
    const row = await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id, event: "message_created" });
    const hops = receiver.requests.filter((r) => r.headers["x-chatwoot-delivery"] === row.id);
    expect(hops.map((r) => r.path)).toEqual(["/hook", ...Array.from({ length: 10 }, () => "/elsewhere")]);
    expect(row.status).toBe("pending");
    expect(row.lastError).toBe(`HTTP 301: more than 10 redirects (Location: ${receiver.url}/elsewhere)`);
  });

  it("disables the webhook at once on 410 Gone", async () => {
    const { webhook, save } = await setup();
    receiver.respond(() => ({ status: 410 }));
    await save();
    await save("second");
    await webhooks.dispatcher.runOnce();
    const after = await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id });
    expect(after).toMatchObject({ enabled: false, disabledReason: "gone" });
    expect(seen["webhook.disabled"]).toEqual([{ webhookId: webhook.id, accountId: webhook.accountId, reason: "gone" }]);
    const rows = await db.dataSource.getRepository(WebhookDelivery).findBy({ webhookId: webhook.id });
    expect(rows.map((r) => r.status).sort()).toEqual(["failed", "failed"]);
  });

  it("records a refused connection and a timeout, and retries them", async () => {
    const { webhook, save } = await setup({ timeoutMs: 300 });
    receiver.respond(() => "hang");
    await save();
    const started = Date.now();
    await webhooks.dispatcher.runOnce();
    expect(Date.now() - started).toBeLessThan(3000);
    let row = await delivery(webhook.id);
    expect(row).toMatchObject({ status: "pending", lastStatusCode: null });
    expect(row.lastError).toMatch(/timeout/);

    const closedPort = receiver.port;
    await receiver.close();
    receiver = await startReceiver();
    await db.dataSource.getRepository(Webhook).update(webhook.id, { url: `http://127.0.0.1:${closedPort}/hook` });
    clock.advance(5000);
    await webhooks.dispatcher.runOnce();
    row = await delivery(webhook.id);
    expect(row).toMatchObject({ status: "pending", attempts: 2 });
    expect(row.lastError).toMatch(/ECONNREFUSED/);
  });

  it("auto-disables a webhook failing for 5 days; its deliveries wait and resume when re-enabled", async () => {
    const { webhook, save } = await setup({ retrySchedule: [DAY, DAY, DAY, DAY, DAY, DAY, DAY, DAY] });
    receiver.respond(() => ({ status: 500 }));
    await save();
    await webhooks.dispatcher.runOnce();
    const firstFailure = clock().getTime();
    expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id })).failingSince?.getTime()).toBe(firstFailure);
    for (let day = 1; day <= 4; day += 1) {
      clock.advance(DAY);
      await webhooks.dispatcher.runOnce();
      expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id })).enabled).toBe(true);
    }
    clock.advance(DAY);
    await webhooks.dispatcher.runOnce();
    const disabled = await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id });
    expect(disabled).toMatchObject({ enabled: false, disabledReason: "failing" });
    expect(seen["webhook.disabled"]).toEqual([{ webhookId: webhook.id, accountId: webhook.accountId, reason: "failing" }]);

    // While disabled: the pending delivery waits parked, out of what claims read, its schedule kept.
    const waiting = await delivery(webhook.id);
    expect(waiting).toMatchObject({ status: "pending", parked: true });
    expect(waiting.nextAttemptAt).not.toBeNull();
    const requestsWhileDisabled = receiver.requests.length;
    await save("while disabled");
    clock.advance(2 * DAY);
    await webhooks.dispatcher.runOnce();
    expect(receiver.requests).toHaveLength(requestsWhileDisabled);

    receiver.respond(() => ({ status: 200 }));
    await db.dataSource.getRepository(Webhook).update(webhook.id, { enabled: true, disabledReason: null, failingSince: null });
    expect(await delivery(webhook.id)).toMatchObject({ status: "pending", parked: false, nextAttemptAt: waiting.nextAttemptAt });
    await webhooks.dispatcher.runOnce();
    const statuses = (await db.dataSource.getRepository(WebhookDelivery).findBy({ webhookId: webhook.id })).map((d) => d.status);
    expect(statuses).toEqual(["succeeded"]);
    // The message saved while disabled was not fanned out to the disabled webhook: Chatwoot never sends those either.
    expect(JSON.parse(receiver.requests[receiver.requests.length - 1].body).content).toBe("Hi");
  });

  it("parks a webhook's pending deliveries whoever switches it off, and claims never take a parked one", async () => {
    const { webhook, save } = await setup();
    receiver.respond(() => ({ status: 500 }));
    await save("one");
    await save("two");
    await webhooks.dispatcher.runOnce();
    receiver.respond(() => ({ status: 200 }));
    const parkedOf = async () => (await db.dataSource.getRepository(WebhookDelivery).find({ where: { webhookId: webhook.id }, order: { createdAt: "ASC" } })).map((d) => [d.status, d.parked]);
    expect(await parkedOf()).toEqual([["pending", false], ["pending", false]]);

    // The host's own SQL switches it off and on: the trigger follows.
    await db.dataSource.query(`UPDATE webhooks SET enabled = false WHERE id = $1`, [webhook.id]);
    expect(await parkedOf()).toEqual([["pending", true], ["pending", true]]);
    await db.dataSource.query(`UPDATE webhooks SET name = 'renamed' WHERE id = $1`, [webhook.id]);
    expect(await parkedOf()).toEqual([["pending", true], ["pending", true]]);
    await db.dataSource.query(`UPDATE webhooks SET enabled = true WHERE id = $1`, [webhook.id]);
    expect(await parkedOf()).toEqual([["pending", false], ["pending", false]]);

    // A parked row is not claimed even where its webhook's switch would let it through.
    const [first] = await db.dataSource.getRepository(WebhookDelivery).find({ where: { webhookId: webhook.id }, order: { createdAt: "ASC" } });
    await db.dataSource.query(`UPDATE webhook_deliveries SET parked = true WHERE id = $1`, [first.id]);
    clock.advance(60_000);
    expect(await webhooks.dispatcher.runOnce()).toMatchObject({ attempted: 1 });
    expect(await parkedOf()).toEqual([["pending", true], ["succeeded", false]]);

    // A stray the trigger could not see (a fan-out that read the webhook as enabled and committed
    // after it was switched off) is parked by the next prune.
    await db.dataSource.query(`UPDATE webhooks SET enabled = false WHERE id = $1`, [webhook.id]);
    await db.dataSource.query(`UPDATE webhook_deliveries SET parked = false WHERE webhook_id = $1 AND status = 'pending'`, [webhook.id]);
    clock.advance(60_000);
    await webhooks.dispatcher.runOnce();
    expect(await parkedOf()).toEqual([["pending", true], ["succeeded", false]]);
  });

  it("a success clears the failure clock", async () => {
    const { webhook, save } = await setup();
    receiver.respond((_, index) => (index === 0 ? { status: 500 } : { status: 204 }));
    await save();
    await webhooks.dispatcher.runOnce();
    expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id })).failingSince).not.toBeNull();
    clock.advance(5000);
    await webhooks.dispatcher.runOnce();
    expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhook.id })).failingSince).toBeNull();
  });

  it("redelivers by hand with the same id and body, without touching the schedule on failure", async () => {
    const { webhook, save } = await setup();
    receiver.respond(() => ({ status: 500 }));
    await save();
    await webhooks.dispatcher.runOnce();
    const before = await delivery(webhook.id);
    const failed = await webhooks.redeliver(before.id);
    expect(failed).toMatchObject({ ok: false, status: 500, trigger: "manual", deliveryStatus: "pending" });
    expect((await delivery(webhook.id)).nextAttemptAt?.getTime()).toBe(before.nextAttemptAt?.getTime());

    receiver.respond(() => ({ status: 200 }));
    const ok = await webhooks.redeliver(before.id);
    expect(ok).toMatchObject({ ok: true, status: 200, trigger: "manual", deliveryStatus: "succeeded", deliveryId: before.id });
    expect(new Set(receiver.requests.map((r) => r.headers["x-chatwoot-delivery"]))).toEqual(new Set([before.id]));
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    expect((await attemptsOf(before.id)).map((a) => a.trigger)).toEqual(["scheduled", "manual", "manual"]);
    await expect(webhooks.redeliver("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ status: 404 });
    await expect(webhooks.redeliver("not-a-uuid")).rejects.toMatchObject({ status: 404 });
  });

  it("prunes finished events after the retention period, keeping pending ones", async () => {
    const { webhook, save } = await setup({ retentionMs: 14 * DAY });
    await save("delivered");
    await webhooks.dispatcher.runOnce();
    receiver.respond(() => ({ status: 500 }));
    await save("still failing");
    await webhooks.dispatcher.runOnce();
    clock.advance(15 * DAY);
    await webhooks.dispatcher.runOnce(); // a pass prunes when due
    const left = await db.dataSource.getRepository(WebhookDelivery).findBy({ webhookId: webhook.id });
    expect(left.map((d) => d.status)).toEqual(["pending"]);
    const events = await db.dataSource.getRepository(WebhookEvent).findBy({ accountId: webhook.accountId });
    expect(events).toHaveLength(1);
  });

  it("refuses a forbidden address at send time, records why, and does not retry it", async () => {
    const lookups: string[] = [];
    // The name resolves to loopback, which the default policy forbids: no socket may be opened.
    const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      lookups.push(hostname);
      if (options?.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
      else callback(null, "127.0.0.1", 4);
    }) as unknown as NonNullable<WebhooksOptions["lookup"]>;
    const warnings: Array<{ obj: object; msg?: string }> = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }) };
    const { webhook, save } = await setup({ allowPrivateNetwork: false, lookup, logger });
    await db.dataSource.getRepository(Webhook).update(webhook.id, { url: `http://hook.test:${receiver.port}/hook` });
    await save();
    await webhooks.dispatcher.runOnce();
    expect(lookups).toContain("hook.test");
    expect(receiver.connections()).toBe(0);
    const row = await delivery(webhook.id);
    expect(row).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: null, nextAttemptAt: null });
    // The tenant sees that the address is not allowed, and nothing of what the server resolved
    // (no DNS oracle); the server's log has the details and the switch that allows it.
    expect(row.lastError).toBe(ADDRESS_REFUSED_ERROR);
    const logged = warnings.find((line) => line.msg === "delivery refused by the address policy");
    expect(logged?.obj).toMatchObject({ deliveryId: row.id, webhookId: webhook.id, detail: expect.stringMatching(/127\.0\.0\.1 \(hook\.test\) is not allowed.*SAFE_FETCH_ALLOW_PRIVATE_NETWORK/) });
  });

  it("sends to a private address on the allow-list", async () => {
    const lookup = ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (options?.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
      else callback(null, "127.0.0.1", 4);
    }) as unknown as NonNullable<WebhooksOptions["lookup"]>;
    const { webhook, save } = await setup({ allowPrivateNetwork: false, allowedCidrs: ["127.0.0.1/32"], lookup });
    await db.dataSource.getRepository(Webhook).update(webhook.id, { url: `http://hook.test:${receiver.port}/hook` });
    await save();
    await webhooks.dispatcher.runOnce();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].headers.host).toBe(`hook.test:${receiver.port}`);
    expect((await delivery(webhook.id)).status).toBe("succeeded");
  });
});
