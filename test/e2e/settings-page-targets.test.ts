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
import { AgentBot, Inbox, Message } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeAccount, makeContact, makeConversation, makeInbox, makeUser, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { eventually, testWebhooks } from "../helpers/webhooks";

/**
 * The settings page's "Inbox webhooks and agent bots" section in a real headless Chromium against
 * the demo host app: an API inbox created through the host's route, an agent bot created and
 * connected through the library's routes, messages saved through TypeORM, the real dispatcher
 * delivering to real receivers on 127.0.0.1. `UPDATE_SCREENSHOTS=1` writes
 * docs/settings-targets-desktop.png.
 */

// Browser globals, used inside page.evaluate() callbacks only (the tsconfig has no DOM lib).
declare const document: any;

const DOCS = path.resolve(__dirname, "../../docs");

jest.setTimeout(60_000);

describeWithBrowser("settings page: inbox webhooks and agent bots", (browser) => {
  let db: TestDatabase;
  let webhooks: Webhooks;
  let inboxHook: Receiver;
  let botHook: Receiver;
  let served: ServedApp;
  let origin: string;
  let browserPage: PageUnderTest;
  let page: Page;
  let accountId: number;
  let adminToken: string;
  /** The API inbox and the bot as their create routes answered (secrets included). */
  let apiInbox: { id: number; secret: string; hmac_token: string; webhook_url: string };
  let bot: { id: number; secret: string; access_token: string; outgoing_url: string };
  let inboxRoute = true;
  const consoleErrors: string[] = [];
  const networkErrors: string[] = [];

  const as = () => ({ api_access_token: adminToken });
  const targetRows = () => page.getByRole("list", { name: "Inbox webhooks and agent bots" }).getByRole("listitem");
  const detail = () => page.locator("#delivery-dialog [role=dialog]");
  const activeKey = () => page.evaluate(() => document.activeElement?.getAttribute("data-focus-key") || document.activeElement?.id || document.activeElement?.tagName);
  const botDeliveries = async () =>
    (await request(origin).get(`/api/v1/accounts/${accountId}/agent_bots/${bot.id}/deliveries`).set(as())).body.payload.deliveries as Array<{ id: string; status: string; attempts: number }>;

  beforeAll(async () => {
    db = await createTestDatabase("settings_targets");
    const account = await makeAccount(db.dataSource);
    accountId = account.id;
    adminToken = (await makeUser(db.dataSource, accountId, "administrator")).token;
    // Three quick bot attempts, 100 ms apart, so the 500s end in a failed delivery within the test.
    webhooks = testWebhooks(db.dataSource, { botRetrySchedule: [100, 100] });
    await webhooks.dispatcher.start();
    inboxHook = await startReceiver(() => ({ status: 200, body: "ok" }));
    botHook = await startReceiver(() => ({ status: 500, body: "bot is down" }));

    const host = express();
    // Taking the host's inbox list away shows the section skipping inboxes quietly.
    host.get("/api/v1/accounts/:account_id/inboxes", (_req, res, next) => {
      if (inboxRoute) return next();
      res.status(404).json({ error: "Resource could not be found" });
    });
    host.use(createApp({ dataSource: db.dataSource, webhooks, logger: { debug() {}, info() {}, warn() {}, error() {} } }));
    served = await serveApp(host);
    origin = served.origin;

    // The API inbox through the host's Chatwoot route; the bot through the library's.
    const created = await request(origin)
      .post(`/api/v1/accounts/${accountId}/inboxes`)
      .set(as())
      .send({ name: "SMS bridge", channel: { type: "api", webhook_url: `${inboxHook.url}/sms` } });
    expect(created.status).toBe(200);
    apiInbox = created.body;
    const madeBot = await request(origin).post(`/api/v1/accounts/${accountId}/agent_bots`).set(as()).send({ name: "FAQ bot", outgoing_url: `${botHook.url}/bot` });
    expect(madeBot.status).toBe(200);
    bot = madeBot.body;
    const website = await makeInbox(db.dataSource, accountId, { name: "Website" });
    await request(origin).post(`/api/v1/accounts/${accountId}/inboxes/${website.id}/set_agent_bot`).set(as()).send({ agent_bot: bot.id }).expect(200);

    // Not listed: an API inbox without a webhook URL, a bot without an outgoing URL, another account's bot.
    await request(origin).post(`/api/v1/accounts/${accountId}/inboxes`).set(as()).send({ name: "Silent channel", channel: { type: "api" } }).expect(200);
    await request(origin).post(`/api/v1/accounts/${accountId}/agent_bots`).set(as()).send({ name: "Draft bot" }).expect(200);
    const other = await makeAccount(db.dataSource);
    await db.dataSource.manager.save(db.dataSource.manager.create(AgentBot, { accountId: other.id, name: "Someone else's bot", outgoingUrl: `${botHook.url}/other` }));

    // Messages saved through TypeORM, as the host's own code would: the dispatcher delivers them.
    const contact = await makeContact(db.dataSource, accountId);
    const smsConversation = await makeConversation(db.dataSource, await db.dataSource.getRepository(Inbox).findOneByOrFail({ id: apiInbox.id }), contact);
    const webConversation = await makeConversation(db.dataSource, website, contact, { status: "open" });
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, smsConversation, { content: "Your code is 1234" }));
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, webConversation, { content: "Where is my order?" }));
    await inboxHook.waitFor(2);
    await botHook.waitFor(3);
    await eventually(async () => (await botDeliveries())[0]?.status === "failed", 10000, "the bot delivery to fail after three attempts");

    browserPage = await openPage(browser, "settings-targets", 5000);
    page = browserPage.page;
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const network = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
      if (network) networkErrors.push(`${network[1]} ${new URL(message.location().url).pathname}`);
      else consoleErrors.push(message.text());
    });
  });

  afterEach(async () => {
    for (let i = 0; i < 3 && page && (await page.locator(".backdrop:not([hidden])").count()) > 0; i++) await page.keyboard.press("Escape");
  });

  afterAll(async () => {
    await browserPage?.close();
    await served?.close();
    await webhooks?.close();
    await Promise.all([inboxHook?.close(), botHook?.close()]);
    await db?.drop();
  });

  it("lists the API inbox and the bot that have URLs, by accessible names, with no secret in the page", async () => {
    await page.goto(`${origin}${settingsPagePath(accountId)}`);
    await page.getByLabel("Access token", { exact: true }).fill(adminToken);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "No webhooks yet" }).waitFor();
    await page.getByRole("heading", { name: "Inbox webhooks and agent bots" }).waitFor();

    await targetRows().first().waitFor();
    expect(await targetRows().count()).toBe(2);
    const inboxRow = targetRows().filter({ hasText: "SMS bridge" });
    const botRow = targetRows().filter({ hasText: "FAQ bot" });
    await inboxRow.getByText(`${inboxHook.url}/sms`, { exact: true }).waitFor();
    await inboxRow.getByText("API inbox", { exact: true }).waitFor();
    await botRow.getByText(`${botHook.url}/bot`, { exact: true }).waitFor();
    await botRow.getByText("Agent bot", { exact: true }).waitFor();
    await page.getByRole("link", { name: "Deliveries of API inbox SMS bridge" }).waitFor();
    await page.getByRole("link", { name: "Deliveries of agent bot FAQ bot" }).waitFor();
    // Each row's newest delivery, as the webhook rows show theirs.
    await inboxRow.locator(".last-delivery .badge").getByText("Succeeded").waitFor();
    await botRow.locator(".last-delivery .badge").getByText("Failed").waitFor();
    await botRow.getByText("HTTP 500").waitFor();

    const html = await page.content();
    for (const secret of [apiInbox.secret, apiInbox.hmac_token, bot.secret, bot.access_token, adminToken]) {
      expect(typeof secret).toBe("string");
      expect(html).not.toContain(secret);
    }
    expect(html).not.toContain("Silent channel");
    expect(html).not.toContain("Draft bot");
    expect(html).not.toContain("Someone else");
  });

  it("renders the section at desktop width (docs/settings-targets-desktop.png with UPDATE_SCREENSHOTS=1)", async () => {
    const target = process.env.UPDATE_SCREENSHOTS === "1" ? DOCS : mkdtempSync(path.join(tmpdir(), "settings-targets-screens-"));
    mkdirSync(target, { recursive: true });
    const file = path.join(target, "settings-targets-desktop.png");
    for (const row of await targetRows().all()) await row.locator(".last-delivery .badge").waitFor();
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: file });
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280);
  });

  it("opens the API inbox's log: its deliveries, the exact body sent, and back to the list with focus kept", async () => {
    await page.getByRole("link", { name: "Deliveries of API inbox SMS bridge" }).click();
    await page.getByRole("heading", { name: "Delivery log · SMS bridge (API inbox)" }).waitFor();
    expect(await page.locator("#log-url").textContent()).toBe(`${inboxHook.url}/sms`);
    const rows = page.getByRole("list", { name: "Deliveries" }).getByRole("listitem");
    await rows.first().waitFor();
    expect(await rows.locator(".event-name").allTextContents()).toEqual(["Message created", "Conversation created"]);
    expect(await rows.locator(".badge").allTextContents()).toEqual(["Succeeded", "Succeeded"]);

    const sent = inboxHook.requests.find((received) => JSON.parse(received.body).event === "message_created")!;
    await rows.first().getByRole("button", { name: /^Details of Message created delivery/ }).click();
    await detail().waitFor();
    await detail().getByText(sent.headers["x-chatwoot-delivery"] as string, { exact: true }).waitFor();
    expect(await page.locator("#delivery-payload").textContent()).toBe(sent.body);
    expect(sent.body).toContain("Your code is 1234");
    expect(await page.locator("#delivery-attempts li").count()).toBe(1);
    await page.keyboard.press("Escape");
    await detail().waitFor({ state: "hidden" });

    await page.getByRole("link", { name: "All webhooks" }).click();
    await page.getByRole("heading", { name: "Inbox webhooks and agent bots" }).waitFor();
    expect(await activeKey()).toBe(`deliveries-inboxes-${apiInbox.id}`);
  });

  it("opens the bot's log from the keyboard and redelivers the failed delivery with the same id once the bot answers", async () => {
    const link = page.getByRole("link", { name: "Deliveries of agent bot FAQ bot" });
    await link.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Delivery log · FAQ bot (agent bot)" }).waitFor();
    const rows = page.getByRole("list", { name: "Deliveries" }).getByRole("listitem");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.locator(".badge").textContent()).toBe("Failed");
    expect(await rows.locator(".attempt-count").textContent()).toBe("3");
    expect(await rows.locator(".response").textContent()).toBe("HTTP 500");

    const first = botHook.requests[0];
    const deliveryId = first.headers["x-chatwoot-delivery"] as string;
    expect(botHook.requests.slice(0, 3).map((received) => received.headers["x-chatwoot-delivery"])).toEqual([deliveryId, deliveryId, deliveryId]);
    await rows.first().getByRole("button", { name: /^Details of Message created delivery/ }).click();
    await detail().waitFor();
    await detail().getByText(deliveryId, { exact: true }).waitFor();
    expect(await page.locator("#delivery-payload").textContent()).toBe(first.body);
    expect(JSON.parse(first.body)).toMatchObject({ event: "message_created", content: "Where is my order?" });
    expect(await page.locator("#delivery-attempts li").count()).toBe(3);
    expect(await page.locator("#delivery-attempts li").first().textContent()).toContain("HTTP 500");

    botHook.respond(() => ({ status: 200, body: "thanks" }));
    const before = botHook.requests.length;
    await detail().getByRole("button", { name: "Redeliver" }).click();
    const received = await botHook.waitFor(before + 1);
    await page.getByText("Redelivered: the endpoint answered 200.").waitFor();
    expect(received).toHaveLength(before + 1);
    expect(received[before].headers["x-chatwoot-delivery"]).toBe(deliveryId);
    expect(received[before].body).toBe(first.body);
    expect(received[before].path).toBe("/bot");
    await page.locator("#delivery-attempts li").nth(3).waitFor();
    expect(await page.locator("#delivery-attempts li").nth(3).textContent()).toMatch(/HTTP 200[\s\S]*redelivery/);
    // A successful redelivery completes the delivery; `attempts` still counts the scheduled ones.
    await rows.locator(".badge").getByText("Succeeded", { exact: true }).waitFor();
    expect(await rows.locator(".attempt-count").textContent()).toBe("3");
    expect((await botDeliveries()).map((delivery) => [delivery.id, delivery.status])).toEqual([[deliveryId, "succeeded"]]);
    await page.keyboard.press("Escape");
    await detail().waitFor({ state: "hidden" });

    await page.getByRole("link", { name: "All webhooks" }).click();
    await page.getByRole("heading", { name: "Inbox webhooks and agent bots" }).waitFor();
    expect(await activeKey()).toBe(`deliveries-agent_bots-${bot.id}`);
    await targetRows().filter({ hasText: "FAQ bot" }).locator(".last-delivery .badge").getByText("Succeeded", { exact: true }).waitFor();
  });

  it("opens a log from its address, and sends an unknown one back to the list", async () => {
    await page.goto(`${origin}${settingsPagePath(accountId)}#/agent_bots/${bot.id}/deliveries`);
    await page.getByRole("heading", { name: "Delivery log · FAQ bot (agent bot)" }).waitFor();
    await page.goto(`${origin}${settingsPagePath(accountId)}#/agent_bots/999999/deliveries`);
    await page.getByRole("heading", { name: "Inbox webhooks and agent bots" }).waitFor();
    expect(await page.evaluate(() => document.location.hash)).toBe("#/");
  });

  it("stays within a 375 px phone screen", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    try {
      await targetRows().first().waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const link = await page.getByRole("link", { name: "Deliveries of agent bot FAQ bot" }).boundingBox();
      expect(link!.x + link!.width).toBeLessThanOrEqual(375);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("skips inboxes quietly when the host has no inbox route, and still lists the bot", async () => {
    inboxRoute = false;
    try {
      await page.reload();
      await page.getByRole("link", { name: "Deliveries of agent bot FAQ bot" }).waitFor();
      expect(await targetRows().count()).toBe(1);
      expect(await page.getByRole("link", { name: "Deliveries of API inbox SMS bridge" }).count()).toBe(0);
    } finally {
      inboxRoute = true;
    }
  });

  it("logged no console errors besides the browser's line for the inbox route taken away", () => {
    expect(browserPage.pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(networkErrors).toEqual([`404 /api/v1/accounts/${accountId}/inboxes`]);
  });
});
