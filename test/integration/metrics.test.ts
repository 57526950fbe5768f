import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, Webhook, WebhookAttempt } from "../../src/entities";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { parseMetrics, sampleValue, type Sample } from "../helpers/metrics-text";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { allFinished, eventually, testWebhooks } from "../helpers/webhooks";

/**
 * The Prometheus metrics after real deliveries: the real dispatcher sends to real receivers on
 * 127.0.0.1 that answer 200, fail once, fail always, answer 410 or hang; the counts read from
 * `GET /metrics` must match what the delivery log recorded.
 */

jest.setTimeout(30_000);

const P = "chatwoot_webhooks_";

async function scrape(webhooks: Webhooks): Promise<Sample[]> {
  const app = express();
  app.use("/metrics", webhooks.metricsRouter);
  const response = await request(app).get("/metrics");
  expect(response.status).toBe(200);
  expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(response.text);
}

describe("metrics after real deliveries", () => {
  let db: TestDatabase;
  const receivers: Receiver[] = [];
  const open: Webhooks[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("metrics");
  });

  afterEach(async () => {
    for (const webhooks of open.splice(0)) await webhooks.close();
    for (const receiver of receivers.splice(0)) await receiver.close();
    await db.dataSource.query("DELETE FROM webhooks");
    await db.dataSource.query("DELETE FROM webhook_events");
  });

  afterAll(async () => {
    await db.drop();
  });

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const started = await startReceiver(...args);
    receivers.push(started);
    return started;
  };

  it("counts each attempt by outcome, times it, and matches the delivery log (success, retry, failure, 410, hang)", async () => {
    // Two attempts each (one retry after 100 ms), a 300 ms timeout for the hanging endpoint.
    const webhooks = testWebhooks(db.dataSource, { retrySchedule: [100], retryJitter: 0, timeoutMs: 300, metrics: { webhookLabels: true } });
    open.push(webhooks);
    const ok = await receiver(() => ({ status: 200 }));
    const flaky = await receiver((_request, index) => (index === 0 ? { status: 503 } : { status: 200 }));
    const down = await receiver(() => ({ status: 500 }));
    const gone = await receiver(() => ({ status: 410 }));
    const hang = await receiver(() => "hang");
    const scene = await makeScene(db.dataSource);
    const hooks: Record<string, Webhook> = {};
    for (const [name, target] of Object.entries({ ok, flaky, down, gone, hang })) hooks[name] = await makeWebhook(db.dataSource, scene.account.id, `${target.url}/${name}`, { subscriptions: ["message_created"] });

    await webhooks.dispatcher.start();
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "count me" }));
    await eventually(() => allFinished(db.dataSource, 5), 15_000, "all five deliveries to finish");

    const samples = await scrape(webhooks);
    const attempts = (labels: Record<string, string>) => sampleValue(samples, `${P}delivery_attempts_total`, { kind: "account", event: "message_created", ...labels });
    expect(attempts({ outcome: "succeeded" })).toBe(2); // ok, flaky's second
    expect(attempts({ outcome: "retry_scheduled" })).toBe(3); // flaky, down, hang: their first
    expect(attempts({ outcome: "failed" })).toBe(3); // down and hang after two, gone at once
    expect(attempts({ outcome: "succeeded", webhook_id: String(hooks.flaky.id) })).toBe(1);
    expect(attempts({ outcome: "retry_scheduled", webhook_id: String(hooks.flaky.id) })).toBe(1);
    expect(attempts({ outcome: "failed", webhook_id: String(hooks.gone.id) })).toBe(1);

    // The delivery log holds the same eight attempts.
    const logged = await db.dataSource.getRepository(WebhookAttempt).find();
    expect(logged).toHaveLength(8);
    expect(sampleValue(samples, `${P}attempt_duration_seconds_count`)).toBe(8);
    // The hanging endpoint's two attempts took the whole timeout: none in the 0.25 s bucket.
    const hangDuration = (suffix: string, labels: Record<string, string> = {}) => sampleValue(samples, `${P}attempt_duration_seconds_${suffix}`, { webhook_id: String(hooks.hang.id), ...labels });
    expect(hangDuration("count")).toBe(2);
    expect(hangDuration("bucket", { le: "0.25" })).toBe(0);
    expect(hangDuration("bucket", { le: "+Inf" })).toBe(2);
    expect(hangDuration("sum")).toBeGreaterThanOrEqual(0.6);
    const loggedHang = logged.filter((attempt) => attempt.error?.startsWith("timeout"));
    expect(loggedHang).toHaveLength(2);

    // One first attempt per delivery, timed from the commit.
    expect(sampleValue(samples, `${P}first_attempt_lag_seconds_count`, { kind: "account" })).toBe(5);

    // The 410 switched its webhook off; the queue is empty; the loop runs here.
    expect(sampleValue(samples, `${P}webhooks_disabled_total`, { reason: "gone" })).toBe(1);
    expect(sampleValue(samples, `${P}disabled_webhooks`, { reason: "gone" })).toBe(1);
    expect(sampleValue(samples, `${P}disabled_webhooks`, { reason: "manual" })).toBe(0);
    expect(sampleValue(samples, `${P}pending_deliveries`)).toBe(0);
    expect(sampleValue(samples, `${P}due_deliveries`)).toBe(0);
    expect(sampleValue(samples, `${P}oldest_due_delivery_age_seconds`)).toBe(0);
    expect(sampleValue(samples, `${P}events_waiting_fan_out`)).toBe(0);
    expect(sampleValue(samples, `${P}dispatcher_running`)).toBe(1);
    expect(sampleValue(samples, `${P}in_flight_attempts`)).toBe(0);
    expect(sampleValue(samples, `${P}dispatcher_errors_total`)).toBe(0);
  });

  it("shows the backlog: attempts in flight, due deliveries and their age, events not fanned out", async () => {
    const webhooks = testWebhooks(db.dataSource, { timeoutMs: 5000 });
    open.push(webhooks);
    const hang = await receiver(() => "hang");
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${hang.url}/slow`, { subscriptions: ["message_created"] });
    await makeWebhook(db.dataSource, scene.account.id, `${hang.url}/off`, { enabled: false, subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    const save = (content: string) => db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content }));
    await save("one");
    await save("two");
    await hang.waitFor(2);
    // Deliveries are sent before their fan-out commits: the rows follow within milliseconds.
    await eventually(async () => sampleValue(await scrape(webhooks), `${P}pending_deliveries`) === 2, 5000, "both fan-outs to commit");
    // The dispatcher's thread reports what is in flight every pollIntervalMs (50 ms here): the gauge lags that much.
    await eventually(async () => sampleValue(await scrape(webhooks), `${P}in_flight_attempts`) === 2, 2000, "the thread to report both attempts");

    let samples = await scrape(webhooks);
    expect(sampleValue(samples, `${P}in_flight_attempts`)).toBe(2);
    expect(sampleValue(samples, `${P}pending_deliveries`)).toBe(2);
    expect(sampleValue(samples, `${P}due_deliveries`)).toBe(2);
    const age = sampleValue(samples, `${P}oldest_due_delivery_age_seconds`) as number;
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(10);
    expect(sampleValue(samples, `${P}disabled_webhooks`, { reason: "manual" })).toBe(1);

    // Another process (its own DataSource and registry, a clock ten minutes ahead, no dispatcher)
    // sees the same queue, ten minutes older, and events that nobody fans out.
    const other = await db.open();
    const elsewhere = testWebhooks(other, { clock: () => new Date(Date.now() + 600_000) });
    open.push(elsewhere);
    samples = await scrape(elsewhere);
    expect(sampleValue(samples, `${P}oldest_due_delivery_age_seconds`)).toBeGreaterThanOrEqual(600);
    expect(sampleValue(samples, `${P}dispatcher_running`)).toBe(0);
    expect(sampleValue(samples, `${P}in_flight_attempts`)).toBe(0);

    await webhooks.dispatcher.stop(100);
    await save("three");
    await save("four");
    await save("five");
    samples = await scrape(elsewhere);
    // Each save records its message_created (and whatever else the host's save changes).
    const [{ waiting }] = await db.dataSource.query("SELECT count(*)::int AS waiting FROM webhook_events WHERE fanned_out_at IS NULL");
    expect(waiting).toBeGreaterThanOrEqual(3);
    expect(sampleValue(samples, `${P}events_waiting_fan_out`)).toBe(waiting);
  });

  it("labels nothing per webhook by default, and never shows a URL", async () => {
    const webhooks = testWebhooks(db.dataSource);
    open.push(webhooks);
    const ok = await receiver(() => ({ status: 200 }));
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${ok.url}/hook?token=s3cret`, { subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation));
    await ok.waitFor(1);
    await eventually(async () => sampleValue(await scrape(webhooks), `${P}delivery_attempts_total`, { outcome: "succeeded" }) === 1, 5000, "the success to be counted");
    const app = express();
    app.use("/metrics", webhooks.metricsRouter);
    const text = (await request(app).get("/metrics")).text;
    expect(text).not.toContain("webhook_id");
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain("s3cret");
  });

  it("registers into the host's registry, and leaves it clean on close()", async () => {
    const { Registry } = await import("prom-client");
    const registry = new Registry();
    const webhooks = testWebhooks(db.dataSource, { metrics: { registry, prefix: "hooks_" } });
    expect(webhooks.metricsRegistry).toBe(registry);
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toEqual(expect.arrayContaining(["hooks_delivery_attempts_total", "hooks_oldest_due_delivery_age_seconds", "hooks_dispatcher_running"]));
    await webhooks.close();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
    // A second createWebhooks on the same registry after close() registers again.
    const again = testWebhooks(db.dataSource, { metrics: { registry, prefix: "hooks_" } });
    open.push(again);
    expect((await registry.getMetricsAsJSON()).length).toBe(names.length);
  });

  it("answers 501 with what to install when metrics are off", async () => {
    const webhooks = testWebhooks(db.dataSource, { metrics: { enabled: false } });
    open.push(webhooks);
    expect(webhooks.metricsRegistry).toBeNull();
    const app = express();
    app.use("/metrics", webhooks.metricsRouter);
    const response = await request(app).get("/metrics");
    expect(response.status).toBe(501);
    expect(response.text).toContain("npm install prom-client");
  });
});
