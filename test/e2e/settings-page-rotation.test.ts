import "reflect-metadata";
import express from "express";
import request from "supertest";
import type { Page } from "playwright-core";
import { describeWithBrowser } from "../helpers/browser";
import { openPage, serveApp, type PageUnderTest, type ServedApp } from "../helpers/page-under-test";
import { createApp, settingsPagePath } from "../../examples/app";
import { AgentBot, ChannelApi, Webhook } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeAccount, makeInbox, makeUser } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks } from "../helpers/webhooks";

/**
 * The settings page's secret rotation in a real headless Chromium against the demo host app: an
 * account webhook, an API inbox and an agent bot, each rotated from its row by accessible names;
 * the new secret shown once, the rotation's time, actor and overlap end, and "End overlap now",
 * checked against what the database then holds.
 */

// Browser globals, used inside page.evaluate() callbacks only (the tsconfig has no DOM lib).
declare const document: any;

jest.setTimeout(60_000);

describeWithBrowser("settings page: secret rotation", (browser) => {
  let db: TestDatabase;
  let webhooks: Webhooks;
  let receiver: Receiver;
  let served: ServedApp;
  let origin: string;
  let browserPage: PageUnderTest;
  let page: Page;
  let accountId: number;
  let adminId: number;
  let adminToken: string;
  let webhookId: number;
  let channelId: number;
  let botId: number;
  const consoleErrors: string[] = [];

  const as = () => ({ api_access_token: adminToken });
  const dialog = () => page.getByRole("dialog");
  const status = () => dialog().getByRole("status");

  beforeAll(async () => {
    db = await createTestDatabase("settings_rotation");
    accountId = (await makeAccount(db.dataSource)).id;
    const admin = await makeUser(db.dataSource, accountId, "administrator");
    adminToken = admin.token;
    adminId = admin.user.id;
    webhooks = testWebhooks(db.dataSource);
    receiver = await startReceiver(() => ({ status: 200 }));
    const host = express();
    host.use(createApp({ dataSource: db.dataSource, webhooks, logger: { debug() {}, info() {}, warn() {}, error() {} } }));
    served = await serveApp(host);
    origin = served.origin;

    const created = await request(origin).post(`/api/v1/accounts/${accountId}/webhooks`).set(as()).send({ webhook: { url: `${receiver.url}/crm`, name: "CRM" } });
    webhookId = created.body.payload.webhook.id;
    const inbox = await request(origin).post(`/api/v1/accounts/${accountId}/inboxes`).set(as()).send({ name: "SMS bridge", channel: { type: "api", webhook_url: `${receiver.url}/sms` } });
    channelId = inbox.body.channel_id;
    const bot = await request(origin).post(`/api/v1/accounts/${accountId}/agent_bots`).set(as()).send({ name: "FAQ bot", outgoing_url: `${receiver.url}/bot` });
    botId = bot.body.id;
    const website = await makeInbox(db.dataSource, accountId, { name: "Website" });
    await request(origin).post(`/api/v1/accounts/${accountId}/inboxes/${website.id}/set_agent_bot`).set(as()).send({ agent_bot: botId }).expect(200);

    browserPage = await openPage(browser, "settings-rotation", 5000);
    page = browserPage.page;
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await page.goto(`${origin}${settingsPagePath(accountId)}`);
    await page.getByLabel("Access token", { exact: true }).fill(adminToken);
    await page.getByRole("button", { name: "Continue" }).click();
  });

  afterEach(async () => {
    for (let i = 0; i < 3 && page && (await page.locator(".backdrop:not([hidden])").count()) > 0; i++) await page.keyboard.press("Escape");
  });

  afterAll(async () => {
    await browserPage?.close();
    await served?.close();
    await webhooks?.close();
    await receiver?.close();
    await db?.drop();
  });

  it("rotates a webhook's secret with an overlap, shows the new secret once, who and when, and ends the overlap early", async () => {
    const old = (await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhookId })).secret;
    await page.getByRole("button", { name: "Rotate secret of CRM" }).click();
    await dialog().getByRole("heading", { name: "Rotate secret · CRM" }).waitFor();
    await status().getByText("This secret has never been rotated.").waitFor();
    expect(await dialog().getByRole("button", { name: "End overlap now" }).isVisible()).toBe(false);
    // 24 hours is preselected, as the API's default; pick one hour.
    expect(await dialog().getByLabel("Overlap").inputValue()).toBe("86400");
    await dialog().getByLabel("Overlap").selectOption({ label: "1 hour" });
    await dialog().getByRole("button", { name: "Rotate secret", exact: true }).click();

    const shown = dialog().getByLabel("New secret");
    await shown.waitFor();
    const stored = await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhookId });
    expect(await shown.inputValue()).toBe(stored.secret);
    expect(stored.secret).not.toBe(old);
    expect(stored.rotation).toMatchObject({ previousSecret: old, rotatedById: adminId });
    expect(stored.rotation.previousSecretExpiresAt!.getTime() - stored.rotation.rotatedAt!.getTime()).toBe(3_600_000);
    await status().getByText(new RegExp(`^Last rotated .+ by user #${adminId}\\. The previous secret is still signed with until .+\\.$`)).waitFor();

    await dialog().getByRole("button", { name: "End overlap now" }).click();
    await status().getByText(/The overlap ended .+\.$/).waitFor();
    expect(await dialog().getByRole("button", { name: "End overlap now" }).isVisible()).toBe(false);
    expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: webhookId })).rotation.previousSecret).toBeNull();

    // Closed and opened again: the secret is not shown any more, the record is.
    await dialog().getByRole("button", { name: "Done" }).click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Rotate secret of CRM");
    await page.getByRole("button", { name: "Rotate secret of CRM" }).click();
    await status().getByText(/^Last rotated .+ The overlap ended/).waitFor();
    expect(await dialog().getByLabel("New secret").isVisible()).toBe(false);
    await page.keyboard.press("Escape");
    // "Show secret" shows the new one.
    await page.getByRole("button", { name: "Show secret of CRM" }).click();
    expect(await page.getByLabel("Secret", { exact: true }).inputValue()).toBe(stored.secret);
  });

  it("rotates an API inbox's secret without overlap, and an agent bot's with the default overlap", async () => {
    await page.getByRole("button", { name: "Rotate secret of API inbox SMS bridge" }).click();
    await dialog().getByRole("heading", { name: "Rotate secret · SMS bridge (API inbox)" }).waitFor();
    await status().getByText("This secret has never been rotated.").waitFor();
    await dialog().getByLabel("Overlap").selectOption({ label: "No overlap (replace at once)" });
    await dialog().getByRole("button", { name: "Rotate secret", exact: true }).click();
    await dialog().getByLabel("New secret").waitFor();
    const channel = await db.dataSource.getRepository(ChannelApi).findOneByOrFail({ id: channelId });
    expect(await dialog().getByLabel("New secret").inputValue()).toBe(channel.secret);
    expect(channel.rotation.previousSecret).toBeNull();
    await status().getByText(/The previous secret was replaced at once \(no overlap\)\.$/).waitFor();
    expect(await dialog().getByRole("button", { name: "End overlap now" }).isVisible()).toBe(false);
    await dialog().getByRole("button", { name: "Done" }).click();

    await page.getByRole("button", { name: "Rotate secret of agent bot FAQ bot" }).click();
    await dialog().getByRole("heading", { name: "Rotate secret · FAQ bot (agent bot)" }).waitFor();
    await status().getByText("This secret has never been rotated.").waitFor();
    await dialog().getByRole("button", { name: "Rotate secret", exact: true }).click();
    await dialog().getByLabel("New secret").waitFor();
    const bot = await db.dataSource.getRepository(AgentBot).findOneByOrFail({ id: botId });
    expect(await dialog().getByLabel("New secret").inputValue()).toBe(bot.secret);
    expect(bot.rotation.previousSecretExpiresAt!.getTime() - bot.rotation.rotatedAt!.getTime()).toBe(86_400_000);
    await dialog().getByRole("button", { name: "End overlap now" }).waitFor();

    // A second overlap while one runs is refused, and the page says why.
    await dialog().getByRole("button", { name: "Rotate secret", exact: true }).click();
    await dialog().getByRole("alert").getByText(/^Secret is already being rotated: .*end that overlap first/).waitFor();
    expect((await db.dataSource.getRepository(AgentBot).findOneByOrFail({ id: botId })).secret).toBe(bot.secret);
  });

  it("stays within a 375 px phone screen with the dialog open", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    try {
      await page.getByRole("button", { name: "Rotate secret of CRM" }).click();
      await dialog().getByRole("button", { name: "Rotate secret", exact: true }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const submit = await dialog().getByRole("button", { name: "Rotate secret", exact: true }).boundingBox();
      expect(submit!.x + submit!.width).toBeLessThanOrEqual(375);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("logged no page or console errors", () => {
    expect(browserPage.pageErrors).toEqual([]);
    expect(consoleErrors.filter((text) => !text.startsWith("Failed to load resource: the server responded with a status of 422"))).toEqual([]);
  });
});
