import "reflect-metadata";
import express from "express";
import type { Page } from "playwright-core";
import { describeWithBrowser } from "../helpers/browser";
import { openPage, serveApp, type PageUnderTest, type ServedApp } from "../helpers/page-under-test";
import { createApp, settingsPagePath } from "../../examples/app";
import type { Webhooks } from "../../src/create-webhooks";
import type { Webhook } from "../../src/entities";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser, makeWebhook } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks } from "../helpers/webhooks";

/**
 * "Retry failed deliveries" on the settings page in a real headless Chromium against the demo
 * host app: a range that is too old is refused with the API's sentence, a valid one starts a bulk
 * recovery whose progress the page shows while it runs, and the deliveries reach the receiver.
 */

jest.setTimeout(90_000);

const FAILED = 1200;

/** A `datetime-local` value in this machine's time zone (the browser's too). */
function localValue(date: Date): string {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

describeWithBrowser("settings page: retry failed deliveries", (browser) => {
  let db: TestDatabase;
  let webhooks: Webhooks;
  let receiver: Receiver;
  let served: ServedApp;
  let origin: string;
  let browserPage: PageUnderTest;
  let page: Page;
  let accountId: number;
  let adminToken: string;
  let hook: Webhook;

  beforeAll(async () => {
    db = await createTestDatabase("settings_recovery");
    const scene = await makeScene(db.dataSource);
    accountId = scene.account.id;
    adminToken = (await makeUser(db.dataSource, accountId, "administrator")).token;
    // Small batches with a pause between them, so the page sees the recovery while it runs.
    webhooks = testWebhooks(db.dataSource, { recoveryBatchSize: 100, recoveryPauseMs: 300 });
    receiver = await startReceiver();
    hook = await makeWebhook(db.dataSource, accountId, `${receiver.url}/crm`, { name: "CRM sync", subscriptions: ["message_created"] });
    await db.dataSource.query(
      `WITH ev AS (
         INSERT INTO webhook_events (account_id, event, body, fanned_out_at)
         SELECT $1, 'message_created', json_build_object('event', 'message_created', 'n', g)::text, now() FROM generate_series(1, $3) g RETURNING id)
       INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, event, status, attempts, last_status_code, last_error, created_at, completed_at)
       SELECT gen_random_uuid(), ev.id, $2, $1, 'message_created', 'failed', 8, 500, 'HTTP 500', now() - interval '2 hours', now() - interval '1 hour' FROM ev`,
      [accountId, hook.id, FAILED],
    );
    await webhooks.dispatcher.start();

    const host = express();
    host.use(createApp({ dataSource: db.dataSource, webhooks, logger: { debug() {}, info() {}, warn() {}, error() {} } }));
    served = await serveApp(host);
    origin = served.origin;
    browserPage = await openPage(browser, "settings-recovery", 10_000);
    page = browserPage.page;
  });

  afterAll(async () => {
    await browserPage?.close();
    await served?.close();
    await webhooks?.close();
    await receiver?.close();
    await db?.drop();
  });

  it("refuses a range older than 14 days with the API's sentence", async () => {
    await page.goto(`${origin}${settingsPagePath(accountId)}`);
    await page.getByLabel("Access token", { exact: true }).fill(adminToken);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("link", { name: "Deliveries of CRM sync" }).click();
    await page.getByRole("heading", { name: "Delivery log · CRM sync" }).waitFor();
    const panel = page.getByRole("region", { name: "Retry failed deliveries" });
    await panel.waitFor();
    await panel.getByLabel("From", { exact: true }).fill(localValue(new Date(Date.now() - 20 * 24 * 3600_000)));
    await panel.getByRole("button", { name: "Retry failed deliveries" }).click();
    await panel.getByRole("alert").filter({ hasText: "Since must be within the last 14 days" }).waitFor();
    expect((await db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_recoveries`))[0].n).toBe(0);
  });

  it("retries the failed deliveries of a range and shows the progress until it is done", async () => {
    const panel = page.getByRole("region", { name: "Retry failed deliveries" });
    await panel.getByLabel("From", { exact: true }).fill(localValue(new Date(Date.now() - 3 * 3600_000)));
    await panel.getByLabel("To", { exact: true }).fill("");
    await panel.getByRole("button", { name: "Retry failed deliveries" }).click();
    // While it runs: a part done, the button unavailable.
    await panel.getByRole("status").filter({ hasText: /Scheduling [\d,]+ of 1,200 failed deliveries again/ }).waitFor();
    const bar = panel.getByRole("progressbar", { name: "Recovery progress" });
    expect(await bar.isVisible()).toBe(true);
    expect(await panel.getByRole("button", { name: "Retry failed deliveries" }).isDisabled()).toBe(true);
    await panel.getByRole("status").filter({ hasText: "Done: 1,200 failed deliveries scheduled again" }).waitFor({ timeout: 20_000 });
    expect(await bar.getAttribute("value")).toBe(String(FAILED));
    expect(await panel.getByRole("button", { name: "Retry failed deliveries" }).isEnabled()).toBe(true);
    // Each failed delivery reaches the receiver once, with its own delivery id.
    const received = await receiver.waitFor(FAILED, 30_000);
    expect(new Set(received.map((request) => request.headers["x-chatwoot-delivery"])).size).toBe(FAILED);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_recoveries WHERE state = 'finished' AND done = $1 AND batches >= 12`, [FAILED]);
    expect(n).toBe(1);
    expect(browserPage.pageErrors).toEqual([]);
  });
});
