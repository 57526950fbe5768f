import express from "express";
import request from "supertest";
import type { DataSource } from "typeorm";
import type { Webhooks } from "../../src/create-webhooks";
import { Message } from "../../src/entities";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { parseMetrics, sampleValue } from "../helpers/metrics-text";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy";
import { eventually, testWebhooks } from "../helpers/webhooks";

/**
 * health() and healthRouter while PostgreSQL goes away and comes back. The shared server cannot be
 * stopped (other test files use it), so this process reaches it through a TCP proxy on 127.0.0.1
 * that the test cuts (connections dropped, new ones refused: a stopped server) or stalls (bytes
 * held: a hung network).
 */

jest.setTimeout(60_000);

describeWithPostgres("health: database, migrations, dispatcher loop, LISTEN", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let proxied: DataSource;
  let webhooks: Webhooks;
  let receiver: Receiver;
  let app: express.Express;

  beforeAll(async () => {
    db = await createTestDatabase("health");
    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    // Fail fast on a connection that cannot be made, as a host would configure its pool; still
    // long enough that a pass waiting for a new connection on the stalled proxy is seen stuck for
    // seconds, whether it took a pooled connection or had to open one.
    proxied = await db.open({ url: proxy.through(db.url), connectTimeoutMS: 5000 });
    receiver = await startReceiver();
    webhooks = testWebhooks(proxied, { health: { stuckAfterMs: 500, timeoutMs: 300 } });
    app = express();
    app.use("/health", webhooks.healthRouter);
    app.use("/metrics", webhooks.metricsRouter);
  });

  afterAll(async () => {
    proxy?.resume();
    await webhooks?.close();
    await receiver?.close();
    await proxy?.close();
    await db?.drop();
  });

  const dispatcherErrors = async () => sampleValue(parseMetrics((await request(app).get("/metrics")).text), "chatwoot_webhooks_dispatcher_errors_total") ?? NaN;

  it("is ready before the dispatcher starts (a web process), and once it runs with LISTEN connected", async () => {
    let report = await webhooks.health();
    expect(report).toMatchObject({ live: true, ready: true, checks: { database: { ok: true }, migrations: { ok: true }, dispatcher: { ok: true, state: "not_started" }, notifications: { mode: "none" } } });

    await webhooks.dispatcher.start();
    await eventually(async () => (await webhooks.health()).checks.notifications.mode === "listen", 5000, "LISTEN to connect");
    await eventually(async () => (await webhooks.health()).checks.dispatcher.lastPassAt !== null, 5000, "the first pass to end");
    report = await webhooks.health();
    expect(report).toMatchObject({ live: true, ready: true, checks: { dispatcher: { ok: true, state: "running" }, notifications: { ok: true, mode: "listen" } } });
    expect(report.checks.database.latencyMs).toEqual(expect.any(Number));

    const ready = await request(app).get("/health/ready");
    expect(ready.status).toBe(200);
    expect(ready.headers["cache-control"]).toBe("no-store");
    expect(ready.body).toMatchObject({ ready: true, live: true });
    expect((await request(app).get("/health/live")).status).toBe(200);
  });

  it("goes not ready when PostgreSQL stops, stays live, and is ready again (LISTEN back) when it returns", async () => {
    const errorsBefore = await dispatcherErrors();
    await proxy.cut();

    await eventually(async () => !(await webhooks.health()).ready, 5000, "not ready");
    const report = await webhooks.health();
    expect(report.live).toBe(true);
    expect(report.checks.database.ok).toBe(false);
    expect(report.checks.database.reason).toMatch(/^PostgreSQL is unreachable: /);
    expect(report.checks.migrations).toEqual({ ok: false, reason: "unknown while the database is unreachable" });
    const ready = await request(app).get("/health/ready");
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database.ok).toBe(false);
    // A restart would not bring the database back: still live.
    expect((await request(app).get("/health/live")).status).toBe(200);
    await eventually(async () => (await webhooks.health()).checks.notifications.mode === "poll", 5000, "LISTEN to be noticed lost");
    await eventually(async () => (await dispatcherErrors()) > errorsBefore, 5000, "the dispatcher's failed passes to be counted");

    await proxy.restore();
    await eventually(async () => (await webhooks.health()).ready, 10_000, "ready again");
    await eventually(async () => (await webhooks.health()).checks.notifications.mode === "listen", 10_000, "LISTEN to reconnect");
    expect((await request(app).get("/health/ready")).status).toBe(200);

    // And it delivers again, through the same pool.
    const scene = await makeScene(proxied);
    await makeWebhook(proxied, scene.account.id, `${receiver.url}/after`, { subscriptions: ["message_created"] });
    await proxied.getRepository(Message).save(newMessage(proxied, scene.conversation, { content: "back" }));
    const [delivered] = await receiver.waitFor(1);
    expect(JSON.parse(delivered.body).content).toBe("back");
  });

  it("says the loop is stuck (not live) while a pass hangs on a silent connection, and live again after", async () => {
    await eventually(async () => (await webhooks.health()).ready, 5000, "ready to begin with");
    proxy.stall();
    try {
      await eventually(async () => !(await webhooks.health()).live, 10_000, "the stuck pass to show");
      const report = await webhooks.health();
      expect(report.ready).toBe(false);
      expect(report.checks.dispatcher.ok).toBe(false);
      expect(report.checks.dispatcher.reason).toMatch(/^a dispatcher pass has run for \d+ s/);
      expect(report.checks.database.reason).toMatch(/no answer within 300 ms/);
      const live = await request(app).get("/health/live");
      expect(live.status).toBe(503);
      expect(live.body.checks.dispatcher.ok).toBe(false);
    } finally {
      proxy.resume();
    }
    await eventually(async () => (await webhooks.health()).live && (await webhooks.health()).ready, 10_000, "live and ready again");
  });

  it("is not ready once the dispatcher is stopped (shutting down)", async () => {
    await webhooks.dispatcher.stop();
    const report = await webhooks.health();
    expect(report.live).toBe(true);
    expect(report.ready).toBe(false);
    expect(report.checks.dispatcher).toMatchObject({ ok: false, state: "stopped", reason: "the dispatcher was stopped (shutting down)" });
  });

  it("is not ready, naming what is missing, when the migrations have not all run", async () => {
    const old = await createTestDatabase("health_old");
    const behind = testWebhooks(old.dataSource);
    try {
      // Back to before the inbox and bot webhooks migration, however many came after it.
      for (let i = 0; i < 20; i += 1) {
        const [{ present }] = await old.dataSource.query("SELECT to_regclass('channel_api') IS NOT NULL AS present");
        if (!present) break;
        await old.dataSource.undoLastMigration();
      }
      const report = await behind.health();
      expect(report.checks.database.ok).toBe(true);
      expect(report.checks.migrations.ok).toBe(false);
      expect(report.checks.migrations.reason).toMatch(/missing .*channel_api/);
      expect(report.ready).toBe(false);
    } finally {
      await behind.close();
      await old.drop();
    }
  });
});
