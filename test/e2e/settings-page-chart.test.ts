import "reflect-metadata";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import request from "supertest";
import type { Page } from "playwright-core";
import { describeWithBrowser } from "../helpers/browser";
import { openPage, serveApp, type PageUnderTest, type ServedApp } from "../helpers/page-under-test";
import { createApp, settingsPagePath } from "../../examples/app";
import { Message, type Webhook } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { allFinished, eventually, testWebhooks } from "../helpers/webhooks";

/**
 * The delivery picture on the settings page in a real headless Chromium against the demo host
 * app: the "failing now" list and a webhook's 24-hour chart (found by its accessible name, its
 * numbers those of the chart route) after real deliveries to real receivers on 127.0.0.1.
 * `UPDATE_SCREENSHOTS=1` writes docs/settings-chart-desktop.png.
 */

// Browser globals, used inside page.evaluate() callbacks only (the tsconfig has no DOM lib).
declare const document: any;

const DOCS = path.resolve(__dirname, "../../docs");

jest.setTimeout(90_000);

describeWithBrowser("settings page: delivery chart and failing endpoints", (browser) => {
  let db: TestDatabase;
  let webhooks: Webhooks;
  let healthy: Receiver;
  let broken: Receiver;
  let served: ServedApp;
  let origin: string;
  let browserPage: PageUnderTest;
  let page: Page;
  let accountId: number;
  let adminToken: string;
  let crm: Webhook;
  let sink: Webhook;
  const consoleErrors: string[] = [];

  const stats = async (webhook: Webhook) =>
    (await request(origin).get(`/api/v1/accounts/${accountId}/webhooks/${webhook.id}/delivery_stats`).set({ api_access_token: adminToken })).body.payload as {
      hours: Array<Record<"succeeded" | "failed" | "retrying" | "waiting", number>>;
      latency: { p50_ms: number; p95_ms: number; attempts: number };
    };
  const total = (payload: Awaited<ReturnType<typeof stats>>, key: "succeeded" | "failed" | "retrying" | "waiting") => payload.hours.reduce((sum, hour) => sum + hour[key], 0);

  beforeAll(async () => {
    db = await createTestDatabase("settings_chart");
    const scene = await makeScene(db.dataSource);
    accountId = scene.account.id;
    adminToken = (await makeUser(db.dataSource, accountId, "administrator")).token;
    webhooks = testWebhooks(db.dataSource, { retrySchedule: [100], retryJitter: 0 });
    // Answers take 20 to 180 ms, so the latency line has something to say; every 9th delivery gets a 503 first (then its retry a 200).
    const seen = new Set<string>();
    healthy = await startReceiver((received, index) => {
      const id = String(received.headers["x-chatwoot-delivery"]);
      const first = !seen.has(id);
      seen.add(id);
      return first && seen.size % 9 === 4 ? { status: 503 } : { status: 200, delayMs: 20 + ((index * 37) % 160) };
    });
    broken = await startReceiver(() => ({ status: 500, body: "down for maintenance" }));
    crm = await makeWebhook(db.dataSource, accountId, `${healthy.url}/crm`, { name: "CRM sync", subscriptions: ["message_created"] });
    sink = await makeWebhook(db.dataSource, accountId, `${broken.url}/sink`, { name: "Analytics sink", subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    for (let n = 0; n < 40; n += 1) await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: `message ${n}` }));
    await eventually(() => allFinished(db.dataSource, 80), 30_000, "all 80 deliveries to finish");
    // Spread them over the day, as a day of traffic would (the chart cuts by creation hour).
    const rows: Array<{ id: string }> = await db.dataSource.query("SELECT id FROM webhook_deliveries ORDER BY created_at, id");
    for (const [index, { id }] of rows.entries()) {
      await db.dataSource.query("UPDATE webhook_deliveries SET created_at = created_at - make_interval(mins => $2) WHERE id = $1", [id, ((index * 7919) % 23) * 60 + (index % 50)]);
    }

    const host = express();
    host.use(createApp({ dataSource: db.dataSource, webhooks, logger: { debug() {}, info() {}, warn() {}, error() {} } }));
    served = await serveApp(host);
    origin = served.origin;

    browserPage = await openPage(browser, "settings-chart", 5000);
    page = browserPage.page;
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browserPage?.close();
    await served?.close();
    await webhooks?.close();
    await Promise.all([healthy?.close(), broken?.close()]);
    await db?.drop();
  });

  it("lists the failing endpoint above the webhooks, with its last answer, and not the healthy one", async () => {
    await page.goto(`${origin}${settingsPagePath(accountId)}`);
    await page.getByLabel("Access token", { exact: true }).fill(adminToken);
    await page.getByRole("button", { name: "Continue" }).click();
    const failing = page.getByRole("region", { name: "1 endpoint is failing" });
    await failing.waitFor();
    await failing.getByText("Webhook: Analytics sink", { exact: true }).waitFor();
    await failing.getByText(/last answer HTTP 500 · last 24 h: 40 failed, 0 retrying, 0 succeeded/).waitFor();
    expect(await failing.getByText(/CRM sync/).count()).toBe(0);
  });

  it("shows a webhook's last 24 hours as a chart named by its numbers, the route's numbers", async () => {
    await page.getByRole("link", { name: "Deliveries of CRM sync" }).click();
    await page.getByRole("heading", { name: "Delivery log · CRM sync" }).waitFor();
    const expected = await stats(crm);
    expect(total(expected, "succeeded")).toBe(40);
    const chart = page.getByRole("img", { name: "Deliveries in the last 24 hours: 40 succeeded" });
    await chart.waitFor();
    // One bar group per hour, each with its own tooltip; as many filled hours as the route has.
    expect(await chart.locator("g.bar-hour").count()).toBe(24);
    const filled = expected.hours.filter((hour) => hour.succeeded > 0).length;
    expect(filled).toBeGreaterThan(10);
    expect(await chart.locator("rect.bar-succeeded").count()).toBe(filled);
    await page.getByText(`Attempt latency: p50 ${expected.latency.p50_ms} ms · p95 ${expected.latency.p95_ms} ms over ${expected.latency.attempts} attempts`, { exact: true }).waitFor();
    expect(expected.latency.attempts).toBeGreaterThan(40); // the 503s were retried
  });

  it("renders the chart at desktop width (docs/settings-chart-desktop.png with UPDATE_SCREENSHOTS=1)", async () => {
    const target = process.env.UPDATE_SCREENSHOTS === "1" ? DOCS : mkdtempSync(path.join(tmpdir(), "settings-chart-screens-"));
    mkdirSync(target, { recursive: true });
    const file = path.join(target, "settings-chart-desktop.png");
    await page.locator(".log-row").first().waitFor();
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: file });
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280);
  });

  it("the demo app serves /metrics and /health/ready beside the page", async () => {
    const metrics = await request(origin).get("/metrics").expect(200);
    expect(metrics.text).toMatch(/^chatwoot_webhooks_delivery_attempts_total\{kind="account",event="message_created",outcome="failed"\} 40$/m);
    const ready = await request(origin).get("/health/ready").expect(200);
    expect(ready.body).toMatchObject({ live: true, ready: true, checks: { dispatcher: { state: "running" } } });
    await request(origin).get("/health/live").expect(200);
  });

  it("shows the failing webhook's chart all red, and no chart for the list", async () => {
    await page.getByRole("link", { name: /All webhooks/ }).click();
    await page.getByRole("link", { name: "Deliveries of Analytics sink" }).first().click();
    await page.getByRole("heading", { name: "Delivery log · Analytics sink" }).waitFor();
    const expected = await stats(sink);
    expect(total(expected, "failed")).toBe(40);
    await page.getByRole("img", { name: "Deliveries in the last 24 hours: 40 failed" }).waitFor();
    await page.getByRole("link", { name: /All webhooks/ }).click();
    await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
    expect(await page.locator("#log-chart").isHidden()).toBe(true);
    expect(browserPage.pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
