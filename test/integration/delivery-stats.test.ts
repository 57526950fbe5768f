import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, type Webhook } from "../../src/entities";
import { testClock, type TestClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks } from "../helpers/webhooks";

/**
 * The settings page's delivery chart route against the delivery log: real deliveries (the real
 * dispatcher, a real receiver on 127.0.0.1, an injected clock for the retries), some moved back
 * in time by hours, then the route's 24 hourly counts and latency percentiles are recomputed from
 * what the delivery log API lists and must be equal.
 */

type LogDelivery = { id: string; status: string; attempts: number; created_at: string };
type ChartHour = { hour: string; succeeded: number; failed: number; retrying: number; waiting: number };

const HOUR = 3_600_000;

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentile(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return Math.round(sorted[low] + (sorted[high] - sorted[low]) * (rank - low));
}

describe("delivery chart and failing endpoints routes", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let clock: TestClock;
  let webhooks: Webhooks;
  let app: express.Express;
  let token: string;
  let accountId: number;
  let hook: Webhook;
  let healthy: Webhook;
  let save: (content: string) => Promise<unknown>;

  beforeAll(async () => {
    db = await createTestDatabase("delivery_stats");
    // Answers by the message's content: "ok" 200, anything else 500 (retried once after 1 s, then failed).
    receiver = await startReceiver((req) => (JSON.parse(req.body).content?.startsWith("ok") ? { status: 200 } : { status: 500, body: "no" }));
    clock = testClock(new Date());
    webhooks = testWebhooks(db.dataSource, { clock, retrySchedule: [1000], retryJitter: 0 });
    app = express();
    app.use("/api/v1", webhooks.router);
    const scene = await makeScene(db.dataSource);
    accountId = scene.account.id;
    token = (await makeUser(db.dataSource, accountId, "administrator")).token;
    hook = await makeWebhook(db.dataSource, accountId, `${receiver.url}/hook`, { name: "CRM" });
    save = (content) => db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content }));
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  const api = (path: string) => request(app).get(`/api/v1/accounts/${accountId}/webhooks${path}`).set({ api_access_token: token });

  async function wholeLog(webhookId: number): Promise<LogDelivery[]> {
    const all: LogDelivery[] = [];
    for (let page = 1; ; page += 1) {
      const response = await api(`/${webhookId}/deliveries?per_page=100&page=${page}`).expect(200);
      all.push(...response.body.payload.deliveries);
      if (all.length >= response.body.meta.count) return all;
    }
  }

  it("counts per hour what the delivery log lists, and the latency of its attempts", async () => {
    // Delivered at once.
    for (let n = 1; n <= 7; n += 1) await save(`ok ${n}`);
    await webhooks.dispatcher.runOnce();
    // Failed for good: two attempts, a second apart.
    for (const n of [1, 2, 3]) await save(`bad ${n}`);
    await webhooks.dispatcher.runOnce();
    clock.advance(1000);
    await webhooks.dispatcher.runOnce();
    // Retrying: one failed attempt (the last answer of all), the next one due in a second that never comes.
    for (const n of [1, 2]) await save(`bad again ${n}`);
    await webhooks.dispatcher.runOnce();
    // Waiting: a delivery not attempted yet. A pass fans out and attempts at once, so this one is
    // written as fan-out writes it, for an event recorded by a real save.
    await save("ok later");
    await db.dataSource.query(
      `INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, event, status, next_attempt_at)
       SELECT gen_random_uuid(), id, $1, account_id, event, 'pending', $2 FROM webhook_events ORDER BY id DESC LIMIT 1`,
      [hook.id, clock()],
    );

    // Spread them over the day: some hours back, some outside the window (25 and 30 hours back).
    // (A message also updates its conversation: two deliveries per save.)
    const ids: Array<{ id: string }> = await db.dataSource.query("SELECT id FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at, id", [hook.id]);
    expect(ids.length).toBeGreaterThanOrEqual(13);
    const shifts = [0, 3, 7, 23, 25, 30, 1, 12, 5];
    for (const [index, { id }] of ids.entries()) await db.dataSource.query("UPDATE webhook_deliveries SET created_at = created_at - make_interval(hours => $2) WHERE id = $1", [id, shifts[index % shifts.length]]);
    // The chart is cut at the clock's hour: keep it no earlier than the database's now.
    clock.set(new Date(Math.max(Date.now(), clock().getTime())));

    const response = await api(`/${hook.id}/delivery_stats`).expect(200);
    const { from, to, hours, latency } = response.body.payload as { from: string; to: string; hours: ChartHour[]; latency: { deliveries: number; attempts: number; p50_ms: number; p95_ms: number } };
    expect(hours).toHaveLength(24);
    expect(Date.parse(to) - Date.parse(from)).toBe(24 * HOUR);
    expect(Date.parse(to)).toBe(Math.floor(clock().getTime() / HOUR) * HOUR + HOUR);
    expect(hours.map((hour) => Date.parse(hour.hour))).toEqual(Array.from({ length: 24 }, (_, i) => Date.parse(from) + i * HOUR));

    // The same numbers from the delivery log.
    const log = await wholeLog(hook.id);
    expect(log).toHaveLength(ids.length);
    const inWindow = log.filter((delivery) => Date.parse(delivery.created_at) >= Date.parse(from) && Date.parse(delivery.created_at) < Date.parse(to));
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.length).toBeLessThan(log.length);
    const expected = hours.map((hour) => {
      const start = Date.parse(hour.hour);
      const those = inWindow.filter((delivery) => Date.parse(delivery.created_at) >= start && Date.parse(delivery.created_at) < start + HOUR);
      return {
        hour: hour.hour,
        succeeded: those.filter((d) => d.status === "succeeded").length,
        failed: those.filter((d) => d.status === "failed").length,
        retrying: those.filter((d) => d.status === "pending" && d.attempts > 0).length,
        waiting: those.filter((d) => d.status === "pending" && d.attempts === 0).length,
      };
    });
    expect(hours).toEqual(expected);
    const totals = hours.reduce((sum, hour) => ({ succeeded: sum.succeeded + hour.succeeded, failed: sum.failed + hour.failed, retrying: sum.retrying + hour.retrying, waiting: sum.waiting + hour.waiting }), { succeeded: 0, failed: 0, retrying: 0, waiting: 0 });
    expect(Object.values(totals).every((count) => count > 0)).toBe(true);
    expect(new Set(hours.filter((hour) => hour.succeeded + hour.failed + hour.retrying + hour.waiting > 0).map((hour) => hour.hour)).size).toBeGreaterThanOrEqual(5);

    // Latency: every attempt of the deliveries in the window, from their detail in the log.
    const durations: number[] = [];
    for (const delivery of inWindow) {
      const detail = await api(`/${hook.id}/deliveries/${delivery.id}`).expect(200);
      durations.push(...detail.body.payload.delivery.attempts_log.map((attempt: { duration_ms: number }) => attempt.duration_ms));
    }
    // Fewer than 2,000 deliveries: the sample is all of them.
    expect(latency.deliveries).toBe(inWindow.filter((delivery) => delivery.attempts > 0).length);
    expect(latency.attempts).toBe(durations.length);
    expect(latency.attempts).toBeGreaterThan(0);
    expect(latency.p50_ms).toBe(percentile(durations, 0.5));
    expect(latency.p95_ms).toBe(percentile(durations, 0.95));
  });

  it("lists the endpoints failing now with their last answer, not the healthy ones", async () => {
    healthy = await makeWebhook(db.dataSource, accountId, `${receiver.url}/healthy`, { subscriptions: ["contact_created"] });
    // The last attempts above were failures: the hook's failure clock runs.
    const response = await api("/failing").expect(200);
    const endpoints = response.body.payload.endpoints as Array<Record<string, unknown>>;
    expect(endpoints.map((endpoint) => endpoint.webhook_id)).toEqual([hook.id]);
    expect(endpoints[0]).toMatchObject({ kind: "account", name: "CRM", url: `${receiver.url}/hook`, enabled: true, last_status_code: 500, last_error: "HTTP 500" });
    expect(Date.parse(endpoints[0].failing_since as string)).not.toBeNaN();
    const last24 = endpoints[0].last_24_hours as { succeeded: number; failed: number; retrying: number };
    const log = await wholeLog(hook.id);
    const since = clock().getTime() - 24 * HOUR;
    const recent = log.filter((delivery) => Date.parse(delivery.created_at) >= since);
    expect(last24).toEqual({
      succeeded: recent.filter((d) => d.status === "succeeded").length,
      failed: recent.filter((d) => d.status === "failed").length,
      retrying: recent.filter((d) => d.status === "pending" && d.attempts > 0).length,
    });

    // The endpoint is fixed: the retries succeed, the clock stops, the endpoint leaves the list.
    receiver.respond(() => ({ status: 200 }));
    clock.advance(1000);
    await webhooks.dispatcher.runOnce();
    expect((await api("/failing").expect(200)).body.payload.endpoints).toEqual([]);
  });

  it("answers 404 for another account's webhook or a bad id, 401 without a token", async () => {
    const other = await makeScene(db.dataSource);
    const foreign = await makeWebhook(db.dataSource, other.account.id, `${receiver.url}/foreign`);
    await api(`/${foreign.id}/delivery_stats`).expect(404);
    await api("/abc/delivery_stats").expect(404);
    await api(`/${healthy.id}/delivery_stats`).expect(200);
    await request(app).get(`/api/v1/accounts/${accountId}/webhooks/${hook.id}/delivery_stats`).expect(401);
    await request(app).get(`/api/v1/accounts/${accountId}/webhooks/failing`).expect(401);
  });
});
