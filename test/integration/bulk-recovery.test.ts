import { createServer, type Server } from "node:http";
import express from "express";
import request from "supertest";
import type { DataSource } from "typeorm";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, type Webhook } from "../../src/entities";
import { makeTenant, type Tenant } from "../helpers/api";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { eventually, testWebhooks } from "../helpers/webhooks";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** The app a host builds: the management API under /api/v1, listening on 127.0.0.1. */
function serve(webhooks: Webhooks): Server {
  const app = express();
  app.use("/api/v1", webhooks.router);
  return createServer(app).listen(0, "127.0.0.1");
}

/**
 * `count` deliveries of `webhook` written with SQL (events included, each body distinct), created
 * one second apart from `from`, in `status`; failed ones have spent their 8 attempts.
 */
async function insertDeliveries(dataSource: DataSource, webhook: Webhook, count: number, status: "pending" | "succeeded" | "failed", from: Date, tag: string): Promise<void> {
  await dataSource.query(
    `WITH ev AS (
       INSERT INTO webhook_events (account_id, event, body, fanned_out_at, created_at)
       SELECT $1, 'message_created', json_build_object('event', 'message_created', 'tag', $5::text, 'n', g)::text, $4, $4
       FROM generate_series(1, $2) g
       RETURNING id, created_at, (body::json ->> 'n')::int AS n)
     INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, event, status, attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, created_at, completed_at)
     SELECT gen_random_uuid(), ev.id, $3, $1, 'message_created', $6::text,
            CASE WHEN $6::text = 'pending' THEN 0 ELSE 8 END,
            CASE WHEN $6::text = 'pending' THEN $4::timestamptz + interval '1 hour' END,
            $4, CASE WHEN $6::text = 'succeeded' THEN 200 WHEN $6::text = 'failed' THEN 500 END, CASE WHEN $6::text = 'failed' THEN 'HTTP 500' END,
            $4::timestamptz + ev.n * interval '1 second', CASE WHEN $6::text <> 'pending' THEN $4 END
     FROM ev`,
    [webhook.accountId, count, webhook.id, from, tag, status],
  );
}

const statusCounts = async (dataSource: DataSource, webhookId: number) =>
  Object.fromEntries(
    ((await dataSource.query(`SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 GROUP BY status`, [webhookId])) as Array<{ status: string; n: number }>).map((row) => [row.status, row.n]),
  );

describeWithPostgres("bulk recovery", () => {
  let db: TestDatabase;
  let webhooks: Webhooks;
  let server: Server;
  let acme: Tenant;
  let other: Tenant;
  let receiver: Receiver;

  const admin = (tenant: Tenant) => ({ api_access_token: tenant.adminToken });
  const recoverPath = (tenant: Tenant, webhook: { id: number }) => `/api/v1/accounts/${tenant.account.id}/webhooks/${webhook.id}/recover`;

  beforeAll(async () => {
    db = await createTestDatabase("bulk_recovery");
    acme = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
    receiver = await startReceiver();
    // The pause between batches is long enough for the test to see the recovery between them.
    webhooks = testWebhooks(db.dataSource, { recoveryBatchSize: 1000, recoveryPauseMs: 40 });
    server = serve(webhooks);
  });

  afterAll(async () => {
    await webhooks.close();
    server.close();
    await receiver.close();
    await db.drop();
  });

  it("answers Chatwoot-shaped 422s for a missing, malformed or too old range", async () => {
    const hook = await makeWebhook(db.dataSource, acme.account.id, "http://127.0.0.1:9/validation");
    const post = (body: object) => request(server).post(recoverPath(acme, hook)).set(admin(acme)).send(body);
    const missing = await post({});
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ message: "Since can't be blank", attributes: ["since"] });
    expect((await post({ since: "yesterday" })).body).toMatchObject({ message: "Since is invalid", attributes: ["since"] });
    expect((await post({ since: "2026-03-03T10:00:00" })).body).toMatchObject({ message: "Since is invalid" });
    const old = await post({ since: new Date(Date.now() - 15 * DAY).toISOString() });
    expect(old.status).toBe(422);
    expect(old.body).toMatchObject({ message: "Since must be within the last 14 days", attributes: ["since"] });
    const backwards = await post({ since: new Date(Date.now() - HOUR).toISOString(), until: new Date(Date.now() - 2 * HOUR).toISOString() });
    expect(backwards.body).toMatchObject({ message: "Until must be after since", attributes: ["until"] });
    expect((await post({ recovery: { since: new Date(Date.now() - HOUR).toISOString(), until: 12 } })).body).toMatchObject({ message: "Until is invalid" });
    const count = await db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_recoveries`);
    expect(count[0].n).toBe(0);
  });

  it("recovers 20,000 failed deliveries in batches, once, touching nothing else", async () => {
    const hook = await makeWebhook(db.dataSource, acme.account.id, "http://127.0.0.1:9/large");
    const foreign = await makeWebhook(db.dataSource, other.account.id, "http://127.0.0.1:9/foreign");
    const start = new Date(Date.now() - 3 * DAY);
    await insertDeliveries(db.dataSource, hook, 20_000, "failed", start, "in-range");
    await insertDeliveries(db.dataSource, hook, 300, "succeeded", start, "succeeded");
    await insertDeliveries(db.dataSource, hook, 300, "pending", start, "pending");
    await insertDeliveries(db.dataSource, hook, 200, "failed", new Date(start.getTime() - 2 * DAY), "before");
    await insertDeliveries(db.dataSource, foreign, 500, "failed", start, "foreign");
    const untouched = `SELECT d.* FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.body::json ->> 'tag' <> 'in-range' ORDER BY d.id`;
    const before = await db.dataSource.query(untouched);
    const recoveredBefore = await db.dataSource.query(`SELECT d.id, d.attempts, d.last_error FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.body::json ->> 'tag' = 'in-range' ORDER BY d.id`);

    // Another account's admin cannot reach this webhook, nor this account's admin another's webhook.
    const since = new Date(start.getTime() - 60_000).toISOString();
    expect((await request(server).post(recoverPath(acme, foreign)).set(admin(acme)).send({ since })).status).toBe(404);
    expect((await request(server).post(recoverPath(acme, hook)).set(admin(other)).send({ since })).status).toBe(401);

    // Two calls at once: one recovery, started once.
    const asked = Date.now();
    const [first, second] = await Promise.all([1, 2].map(() => request(server).post(recoverPath(acme, hook)).set(admin(acme)).send({ since })));
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.body.payload.recovery.id).toBe(second.body.payload.recovery.id);
    expect([first.body.meta.created, second.body.meta.created].sort()).toEqual([false, true]);
    const recovery = first.body.payload.recovery;
    expect(recovery).toMatchObject({ owner_type: "webhook", owner_id: hook.id, state: "running", total: 20_000, since });
    expect(first.headers.location).toBe(`/api/v1/accounts/${acme.account.id}/webhooks/${hook.id}/recoveries/${recovery.id}`);
    expect(recovery.url).toBe(first.headers.location);

    // Progress is visible between batches, and a call while it runs answers the same recovery.
    const seen = new Set<number>();
    let state = "running";
    let again: request.Response | null = null;
    while (state === "running") {
      const polled = await request(server).get(recovery.url).set(admin(acme));
      expect(polled.status).toBe(200);
      state = polled.body.payload.recovery.state;
      seen.add(polled.body.payload.recovery.done);
      if (!again && polled.body.payload.recovery.done > 0 && state === "running") {
        again = await request(server).post(recoverPath(acme, hook)).set(admin(acme)).send({ since });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const partial = [...seen].filter((done) => done > 0 && done < 20_000);
    expect(partial.length).toBeGreaterThanOrEqual(3);
    expect(partial.every((done) => done % 1000 === 0)).toBe(true);
    expect(again?.body).toMatchObject({ payload: { recovery: { id: recovery.id } }, meta: { created: false } });

    const done = (await request(server).get(recoverPath(acme, hook)).set(admin(acme))).body.payload.recovery;
    expect(done).toMatchObject({ id: recovery.id, state: "finished", total: 20_000, done: 20_000, batches: 21 });
    expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(asked);

    // Each in-range failed delivery made due once, attempts and last error kept; nothing else changed.
    const after = (await db.dataSource.query(
      `SELECT d.id, d.status, d.attempts, d.last_error, d.next_attempt_at, d.completed_at, d.parked FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.body::json ->> 'tag' = 'in-range' ORDER BY d.id`,
    )) as Array<{ id: string; status: string; attempts: number; last_error: string; next_attempt_at: Date; completed_at: Date | null; parked: boolean }>;
    expect(after.map((row) => ({ id: row.id, attempts: row.attempts, last_error: row.last_error }))).toEqual(recoveredBefore);
    expect(after.every((row) => row.status === "pending" && row.completed_at === null && !row.parked)).toBe(true);
    expect(after.every((row) => row.next_attempt_at.getTime() >= asked - 1000 && row.next_attempt_at.getTime() <= Date.now())).toBe(true);
    expect(await db.dataSource.query(untouched)).toEqual(before);
    expect(await statusCounts(db.dataSource, hook.id)).toEqual({ pending: 20_300, succeeded: 300, failed: 200 });

    // A second recovery of the same range finds nothing failed left.
    const repeat = await request(server).post(recoverPath(acme, hook)).set(admin(acme)).send({ since });
    expect(repeat.body).toMatchObject({ payload: { recovery: { total: 0 } }, meta: { created: true } });
    await eventually(async () => (await request(server).get(repeat.body.payload.recovery.url).set(admin(acme))).body.payload.recovery.state === "finished");
    expect((await request(server).get(`/api/v1/accounts/${acme.account.id}/webhooks/${foreign.id}/recoveries/${recovery.id}`).set(admin(acme))).status).toBe(404);
    // The rows stay out of the dispatcher's way in this test.
    await db.dataSource.query(`UPDATE webhooks SET enabled = false WHERE id = $1`, [hook.id]);
  });

  it("has the recovered deliveries re-sent by the dispatcher with the same delivery id and body", async () => {
    const hook = await makeWebhook(db.dataSource, acme.account.id, `${receiver.url}/hook`);
    const start = new Date(Date.now() - DAY);
    await insertDeliveries(db.dataSource, hook, 30, "failed", start, "resend");
    await insertDeliveries(db.dataSource, hook, 5, "failed", new Date(Date.now() - 5 * DAY), "older");
    const expected = (await db.dataSource.query(
      `SELECT d.id, e.body FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.webhook_id = $1 AND e.body::json ->> 'tag' = 'resend' ORDER BY d.id`,
      [hook.id],
    )) as Array<{ id: string; body: string }>;
    const answer = await request(server)
      .post(recoverPath(acme, hook))
      .set(admin(acme))
      .send({ since: start.toISOString(), until: new Date(start.getTime() + HOUR).toISOString() });
    expect(answer.status).toBe(202);
    expect(answer.body.payload.recovery.total).toBe(30);
    await webhooks.dispatcher.start();
    const received = await receiver.waitFor(30, 15_000);
    await eventually(async () => (await statusCounts(db.dataSource, hook.id)).succeeded === 30, 10_000, "recorded successes");
    await webhooks.dispatcher.stop();
    const sent = received.map((req) => ({ id: req.headers["x-chatwoot-delivery"], body: req.body })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(sent).toEqual(expected);
    expect(received.every((req) => req.headers["webhook-id"] === req.headers["x-chatwoot-delivery"])).toBe(true);
    expect(await statusCounts(db.dataSource, hook.id)).toEqual({ succeeded: 30, failed: 5 });
    // The attempt made is the delivery's next scheduled one: the counter goes on from 8.
    const attempts = await db.dataSource.query(`SELECT DISTINCT d.attempts, a.trigger FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.webhook_id = $1`, [hook.id]);
    expect(attempts).toEqual([{ attempts: 9, trigger: "scheduled" }]);
  });

  it("has them re-sent while another account's webhook keeps its dispatcher busy with new events", async () => {
    // Commits every 100 ms wake the dispatcher long before its 1 s poll: recovered rows must still be claimed.
    const second = await db.open();
    const busy = testWebhooks(second, { pollIntervalMs: 1000 });
    const scene = await makeScene(second);
    await makeWebhook(second, scene.account.id, `${receiver.url}/busy`, { subscriptions: ["message_created"] });
    const hook = await makeWebhook(db.dataSource, acme.account.id, `${receiver.url}/steady`);
    const start = new Date(Date.now() - DAY);
    await insertDeliveries(db.dataSource, hook, 30, "failed", start, "steady");
    await busy.dispatcher.start();
    let traffic = true;
    const producer = (async () => {
      for (let n = 0; traffic; n += 1) {
        await second.getRepository(Message).save(newMessage(second, scene.conversation, { content: `busy ${n}` }));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const answer = await request(serve(busy)).post(recoverPath(acme, hook)).set(admin(acme)).send({ since: start.toISOString() });
      expect(answer.body.payload.recovery.total).toBe(30);
      await eventually(async () => receiver.requests.filter((req) => req.path === "/steady").length === 30, 8000, "30 recovered deliveries received");
    } finally {
      traffic = false;
      await producer;
      await busy.close();
    }
    expect(receiver.requests.filter((req) => req.path.startsWith("/busy")).length).toBeGreaterThan(10);
  });

  it("resumes a recovery left by a process that stopped renewing its lease, without doubling", async () => {
    const hook = await makeWebhook(db.dataSource, acme.account.id, "http://127.0.0.1:9/resume");
    const start = new Date(Date.now() - 2 * DAY);
    await insertDeliveries(db.dataSource, hook, 1000, "failed", start, "resume");
    // Process A: one batch of 100, then a pause far longer than the test.
    const second = await db.open();
    const a = testWebhooks(second, { recoveryBatchSize: 100, recoveryPauseMs: 600_000 });
    const serverA = serve(a);
    const started = await request(serverA).post(recoverPath(acme, hook)).set(admin(acme)).send({ since: start.toISOString() });
    await eventually(async () => (await request(server).get(started.body.payload.recovery.url).set(admin(acme))).body.payload.recovery.done === 100);
    const [lease] = await db.dataSource.query(`SELECT locked_by, locked_until FROM webhook_recoveries WHERE id = $1`, [started.body.payload.recovery.id]);
    expect(lease.locked_by).not.toBeNull();

    // Process B looks at it once A's lease has run out (B's clock is 31 s ahead) and takes over.
    const third = await db.open();
    const b = testWebhooks(third, { recoveryBatchSize: 100, recoveryPauseMs: 0, clock: () => new Date(Date.now() + 31_000) });
    const serverB = serve(b);
    await request(serverB).get(recoverPath(acme, hook)).set(admin(acme));
    await eventually(async () => (await request(server).get(started.body.payload.recovery.url).set(admin(acme))).body.payload.recovery.state === "finished");
    const finished = (await request(server).get(started.body.payload.recovery.url).set(admin(acme))).body.payload.recovery;
    expect(finished).toMatchObject({ total: 1000, done: 1000, batches: 11 });
    expect(await statusCounts(db.dataSource, hook.id)).toEqual({ pending: 1000 });
    await Promise.all([a.close(), b.close()]);
    serverA.close();
    serverB.close();
  });
});
