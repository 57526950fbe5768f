import "reflect-metadata";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import request from "supertest";
import { chromium, type BrowserContext, type Page, type Response as PageResponse } from "playwright-core";
import { browserLaunch, CHROMIUM_ARGS, describeWithBrowser } from "../helpers/browser";
import { createApp, settingsPagePath } from "../../examples/app";
import { Inbox, Webhook, WebhookDelivery } from "../../src/entities";
import type { WebhooksContext } from "../../src/context";
import type { Webhooks } from "../../src/create-webhooks";
import { createSettingsRouter } from "../../src/routes/settings-page";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { eventually, testWebhooks } from "../helpers/webhooks";

/**
 * The settings page in a real headless Chromium against the demo host app (real PostgreSQL,
 * real dispatcher, a real receiver on 127.0.0.1). `UPDATE_SCREENSHOTS=1` also writes the
 * screenshots in docs/.
 */

// Browser globals, used inside page.evaluate() callbacks only (the tsconfig has no DOM lib).
declare const document: any, localStorage: any, navigator: any;

const DOCS = path.resolve(__dirname, "../../docs");
const DEFAULT_EIGHT = ["conversation_status_changed", "conversation_updated", "conversation_created", "contact_created", "contact_updated", "message_created", "message_updated", "webwidget_triggered"];

jest.setTimeout(60_000);

describeWithBrowser("webhook settings page", (browser) => {
  let db: TestDatabase;
  let webhooks: Webhooks;
  let receiver: Receiver;
  let server: Server;
  let origin: string;
  let profileDir: string;
  let context: BrowserContext;
  let page: Page;
  let scene: Awaited<ReturnType<typeof makeScene>>;
  let adminToken: string;
  let agentToken: string;
  /** The demo host has no inbox route; this test host adds one (Chatwoot's path) and can take it away. */
  let inboxRoute = true;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  /** The browser's own "Failed to load resource" lines for non-2xx API answers: `<status> <path>`. */
  const networkErrors: string[] = [];

  const pageUrl = () => `${origin}${settingsPagePath(scene.account.id)}`;
  const row = (id: number) => page.locator(`[data-webhook-id="${id}"]`);
  const dialog = (id: string) => page.locator(`#${id} [role=dialog], #${id} [role=alertdialog]`);
  const activeId = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute("data-focus-key") || document.activeElement?.tagName);
  const focusInside = (id: string) => page.evaluate((dialogId) => !!document.activeElement && document.getElementById(dialogId)!.contains(document.activeElement), id);
  /** The id of the one webhook that has deliveries. */
  const onlyDelivered = async () => Number((await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({}))?.webhookId);
  const onlyWebhook = async () => {
    const all = await db.dataSource.getRepository(Webhook).find();
    expect(all).toHaveLength(1);
    return all[0];
  };

  beforeAll(async () => {
    db = await createTestDatabase("settings_page");
    scene = await makeScene(db.dataSource);
    adminToken = (await makeUser(db.dataSource, scene.account.id, "administrator")).token;
    agentToken = (await makeUser(db.dataSource, scene.account.id, "agent")).token;
    webhooks = testWebhooks(db.dataSource);
    await webhooks.dispatcher.start();
    receiver = await startReceiver(() => ({ status: 200, body: "thanks" }));

    const host = express();
    // The demo app serves the inbox list; taking it away shows the page hiding its inbox picker.
    host.get("/api/v1/accounts/:account_id/inboxes", (_req, res, next) => {
      if (inboxRoute) return next();
      res.status(404).json({ error: "Resource could not be found" });
    });
    host.use(createApp({ dataSource: db.dataSource, webhooks, logger: { debug() {}, info() {}, warn() {}, error() {} } }));
    server = await new Promise<Server>((resolve) => {
      const listening = host.listen(0, "127.0.0.1", () => resolve(listening));
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    profileDir = mkdtempSync(path.join(tmpdir(), "settings-page-chromium-"));
    context = await chromium.launchPersistentContext(profileDir, {
      ...browserLaunch(browser),
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    page = context.pages()[0] ?? (await context.newPage());
    // Fail fast: every step of this page answers in well under a second.
    page.setDefaultTimeout(5000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const network = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
      if (network) networkErrors.push(`${network[1]} ${new URL(message.location().url).pathname}`);
      else consoleErrors.push(message.text());
    });
  });

  // A failed step must not leave a dialog open over the next one.
  afterEach(async () => {
    for (let i = 0; i < 3 && (await page.locator(".backdrop:not([hidden])").count()) > 0; i++) await page.keyboard.press("Escape");
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await new Promise((resolve) => server?.close(resolve));
    await receiver?.close();
    await webhooks?.dispatcher.stop();
    await db?.drop();
  });

  it("serves the page with a strict CSP and no secrets or inline script in the HTML", async () => {
    const response = (await page.goto(pageUrl())) as PageResponse;
    expect(response.status()).toBe(200);
    const csp = response.headers()["content-security-policy"];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toContain(adminToken);
    expect(html).toContain('data-api-base="/api/v1"');
    const asset = await page.request.get(`${origin}/app/settings-assets/webhooks.js`);
    expect(asset.status()).toBe(200);
    expect(asset.headers()["content-type"]).toMatch(/^text\/javascript/);
    expect((await page.request.get(`${origin}/app/settings-assets/settings.html`)).status()).toBe(404);
    expect((await page.request.get(`${origin}/app/accounts/abc/settings/integrations/webhook`)).status()).toBe(404);
  });

  it("asks for the token, explains a 401, and shows the empty state", async () => {
    await expect(page.getByLabel("Access token", { exact: true }).isVisible()).resolves.toBe(true);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("Paste your access token to continue.").waitFor();

    await page.getByLabel("Access token", { exact: true }).fill("not-a-token");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText(/Invalid Access Token\. Enter the access token/).waitFor();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    await page.getByLabel("Access token", { exact: true }).fill(agentToken);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText(/You are not authorized to do this action/).waitFor();

    await page.getByLabel("Access token", { exact: true }).fill(adminToken);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("heading", { name: "No webhooks yet" }).waitFor();
    expect(await page.getByLabel("Access token", { exact: true }).isVisible()).toBe(false);

    // Kept in localStorage: a reload goes straight to the list.
    await page.reload();
    await page.getByRole("heading", { name: "No webhooks yet" }).waitFor();
  });

  it("opens an accessible modal: focus inside, Tab trapped, Escape closes and returns focus", async () => {
    const add = page.getByRole("button", { name: "Add new webhook" });
    await add.click();
    const modal = dialog("webhook-dialog");
    await modal.waitFor();
    expect(await modal.getAttribute("aria-modal")).toBe("true");
    expect(await modal.getAttribute("role")).toBe("dialog");
    expect(await activeId()).toBe("webhook-url");

    const boxes = modal.locator("input[name=subscriptions]");
    expect(await boxes.count()).toBe(12);
    const ticked = await modal.locator("input[name=subscriptions]:checked").evaluateAll((els) => els.map((el) => (el as unknown as { value: string }).value));
    expect(ticked).toEqual(DEFAULT_EIGHT);
    await modal.getByLabel("Message created").waitFor();
    await modal.getByLabel("Inbox", { exact: true }).waitFor(); // the host answers /inboxes here

    for (let i = 0; i < 22; i++) {
      await page.keyboard.press("Tab");
      expect(await focusInside("webhook-dialog")).toBe(true);
    }
    await page.getByLabel("Endpoint URL").focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    expect(await focusInside("webhook-dialog")).toBe(true);
    // The page behind the dialog cannot be reached.
    expect(await page.evaluate(() => document.getElementById("app").inert)).toBe(true);

    await page.keyboard.press("Escape");
    await modal.waitFor({ state: "hidden" });
    expect(await activeId()).toBe("add-webhook");
    expect(await page.evaluate(() => document.getElementById("app").inert)).toBe(false);
  });

  it("shows the API's 422 messages next to the fields they name", async () => {
    await page.getByRole("button", { name: "Add new webhook" }).click();
    await page.getByLabel("Endpoint URL").fill("javascript:alert(1)");
    await page.getByRole("button", { name: "Create webhook" }).click();
    await page.locator("#webhook-url-error").getByText("Url is invalid", { exact: true }).waitFor();
    expect(await page.getByLabel("Endpoint URL").getAttribute("aria-invalid")).toBe("true");
    expect(await activeId()).toBe("webhook-url");

    // Two attributes at once: each sentence goes to its own field.
    for (const box of await page.locator("input[name=subscriptions]").all()) await box.uncheck();
    await page.getByRole("button", { name: "Create webhook" }).click();
    await page.locator("#webhook-events-error").getByText("Subscriptions Invalid events", { exact: true }).waitFor();
    expect(await page.locator("#webhook-url-error").textContent()).toBe("Url is invalid");
    expect(await db.dataSource.getRepository(Webhook).count()).toBe(0);
    await page.keyboard.press("Escape");
  });

  it("creates a webhook and shows its secret once, with a working copy button", async () => {
    await page.getByRole("button", { name: "Add new webhook" }).click();
    const modal = dialog("webhook-dialog");
    // The form starts clean again: defaults ticked, no leftover errors.
    expect(await modal.locator("input[name=subscriptions]:checked").count()).toBe(8);
    expect(await page.locator("#webhook-url-error").isVisible()).toBe(false);
    await page.getByLabel("Endpoint URL").fill(`${receiver.url}/hooks`);
    await page.getByLabel("Name (optional)").fill("CRM");
    await page.getByLabel("Inbox", { exact: true }).selectOption({ label: scene.inbox.name });
    await page.getByRole("button", { name: "Create webhook" }).click();

    const secretModal = dialog("secret-dialog");
    await secretModal.getByRole("heading", { name: "Webhook created" }).waitFor();
    const saved = await onlyWebhook();
    expect(saved).toMatchObject({ url: `${receiver.url}/hooks`, name: "CRM", inboxId: scene.inbox.id, subscriptions: DEFAULT_EIGHT, enabled: true });
    expect(await page.getByLabel("Secret", { exact: true }).inputValue()).toBe(saved.secret);
    expect(await activeId()).toBe("secret-copy");
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Secret copied to the clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(saved.secret);
    await secretModal.getByRole("button", { name: "Done" }).click();
    await secretModal.waitFor({ state: "hidden" });
    expect(await activeId()).toBe("add-webhook");

    // Listed; the secret is no longer anywhere in the page until asked for.
    await row(saved.id).getByText(`${receiver.url}/hooks`).waitFor();
    expect(await row(saved.id).locator(".webhook-name").textContent()).toBe("CRM");
    expect(await row(saved.id).getByText(`Inbox: ${scene.inbox.name}`).count()).toBe(1);
    await row(saved.id).getByText("No deliveries yet").waitFor();
    expect(await page.content()).not.toContain(saved.secret);
    await row(saved.id).getByRole("button", { name: "Show secret of CRM" }).click();
    await secretModal.getByRole("heading", { name: "Signing secret" }).waitFor();
    expect(await page.getByLabel("Secret", { exact: true }).inputValue()).toBe(saved.secret);
    await page.keyboard.press("Escape");
    expect(await activeId()).toBe(`secret-${saved.id}`);
    expect(await page.content()).not.toContain(saved.secret);
  });

  it("edits a webhook in the same modal, prefilled", async () => {
    const saved = await onlyWebhook();
    await row(saved.id).getByRole("button", { name: "Edit CRM" }).click();
    const modal = dialog("webhook-dialog");
    await modal.getByRole("heading", { name: "Edit webhook" }).waitFor();
    expect(await page.getByLabel("Endpoint URL").inputValue()).toBe(saved.url);
    expect(await page.getByLabel("Name (optional)").inputValue()).toBe("CRM");
    expect(await page.getByLabel("Inbox", { exact: true }).inputValue()).toBe(String(scene.inbox.id));
    await page.getByLabel("Name (optional)").fill("CRM sync");
    await page.getByLabel("Inbox", { exact: true }).selectOption({ label: "All inboxes" });
    await page.getByRole("button", { name: "Save changes" }).click();
    await modal.waitFor({ state: "hidden" });
    await row(saved.id).locator(".webhook-name").getByText("CRM sync", { exact: true }).waitFor();
    expect(await row(saved.id).getByText(/^Inbox:/).count()).toBe(0);
    expect(await activeId()).toBe(`edit-${saved.id}`);
    expect(await onlyWebhook()).toMatchObject({ name: "CRM sync", inboxId: null, url: saved.url, secret: saved.secret });
  });

  it("turns ordered delivery on and off with its checkbox, and marks an ordered webhook in the list", async () => {
    const saved = await onlyWebhook();
    expect(saved.ordered).toBe(false);
    const setOrdered = async (on: boolean) => {
      await row(saved.id).getByRole("button", { name: "Edit CRM sync" }).click();
      const modal = dialog("webhook-dialog");
      const box = page.getByRole("checkbox", { name: "Deliver in order per conversation" });
      expect(await box.isChecked()).toBe(!on);
      await box.setChecked(on);
      await page.getByRole("button", { name: "Save changes" }).click();
      await modal.waitFor({ state: "hidden" });
    };
    await setOrdered(true);
    await row(saved.id).getByText("In order per conversation").waitFor();
    expect((await onlyWebhook()).ordered).toBe(true);
    await setOrdered(false);
    await row(saved.id).getByText("In order per conversation").waitFor({ state: "detached" });
    expect((await onlyWebhook()).ordered).toBe(false);
  });

  it("switches the webhook off and on", async () => {
    const saved = await onlyWebhook();
    const toggle = row(saved.id).getByRole("switch", { name: "Enabled: CRM sync" });
    expect(await toggle.getAttribute("aria-checked")).toBe("true");
    await toggle.click();
    await page.getByText(/are paused/).waitFor();
    expect(await row(saved.id).getByRole("switch").getAttribute("aria-checked")).toBe("false");
    expect((await onlyWebhook()).enabled).toBe(false);
    await row(saved.id).getByRole("switch").click();
    await page.getByText(/again\.$/).waitFor();
    expect(await row(saved.id).getByRole("switch").getAttribute("aria-checked")).toBe("true");
    expect((await onlyWebhook()).enabled).toBe(true);
  });

  it("shows a real delivery in the log, its exact body, and redelivers it with the same id", async () => {
    const saved = await onlyWebhook();
    // Through the host app's own route, as a person's client would send it.
    const sent = await request(origin)
      .post(`/api/v1/accounts/${scene.account.id}/conversations/${scene.conversation.displayId}/messages`)
      .set("api_access_token", adminToken)
      .send({ content: "Hello from the browser test", message_type: "incoming" });
    expect(sent.status).toBe(200);
    const [first] = await receiver.waitFor(1);
    expect(JSON.parse(first.body)).toMatchObject({ event: "message_created", content: "Hello from the browser test" });
    await eventually(async () => (await db.dataSource.getRepository(WebhookDelivery).findOneBy({ webhookId: saved.id }))?.status === "succeeded", 10000, "delivery recorded");

    await row(saved.id).getByRole("link", { name: "Deliveries of CRM sync" }).click();
    await page.getByRole("heading", { name: "Delivery log · CRM sync" }).waitFor();
    const logRow = page.locator("#log-items li");
    await logRow.first().waitFor();
    expect(await logRow.count()).toBe(1);
    expect(await logRow.locator(".event-name").textContent()).toBe("Message created");
    expect(await logRow.locator(".badge").textContent()).toBe("Succeeded");
    expect(await logRow.locator(".response").textContent()).toBe("HTTP 200");

    await logRow.getByRole("button", { name: /^Details of Message created delivery/ }).click();
    const detail = dialog("delivery-dialog");
    await detail.waitFor();
    const deliveryId = first.headers["x-chatwoot-delivery"] as string;
    await detail.getByText(deliveryId).waitFor();
    expect(await page.locator("#delivery-payload").textContent()).toBe(first.body);
    expect(first.body).toContain("Hello from the browser test");
    expect(await page.locator("#delivery-attempts li").count()).toBe(1);
    const format = detail.getByRole("button", { name: "Format JSON" });
    await format.click();
    expect(await format.getAttribute("aria-pressed")).toBe("true");
    expect(await page.locator("#delivery-payload").textContent()).toBe(JSON.stringify(JSON.parse(first.body), null, 2));
    await format.click();
    expect(await page.locator("#delivery-payload").textContent()).toBe(first.body);

    await detail.getByRole("button", { name: "Redeliver" }).click();
    const requests = await receiver.waitFor(2);
    await page.getByText("Redelivered: the endpoint answered 200.").waitFor();
    expect(requests[1].headers["x-chatwoot-delivery"]).toBe(deliveryId);
    expect(requests[1].body).toBe(first.body);
    await page.locator("#delivery-attempts li").nth(1).waitFor();
    expect(await page.locator("#delivery-attempts li").nth(1).textContent()).toContain("redelivery");
    // `attempts` counts the schedule's attempts; the manual one shows in the detail above.
    expect(await logRow.locator(".attempt-count").textContent()).toBe("1");
    await page.keyboard.press("Escape");
    await detail.waitFor({ state: "hidden" });

    await page.getByRole("link", { name: "All webhooks" }).click();
    await row(saved.id).locator(".last-delivery .badge").getByText("Succeeded").waitFor();
    expect(await activeId()).toBe(`deliveries-${saved.id}`);
  });

  it("stays within a 375 px phone screen", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    try {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await page.getByRole("button", { name: "Add new webhook" }).click();
      await dialog("webhook-dialog").waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const box = await dialog("webhook-dialog").boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      await page.keyboard.press("Escape");
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("renders every screen at desktop and phone width (screenshots; into docs/ with UPDATE_SCREENSHOTS=1)", async () => {
    // Always taken, so the run proves each screen renders; written over docs/ only when asked.
    const target = process.env.UPDATE_SCREENSHOTS === "1" ? DOCS : mkdtempSync(path.join(tmpdir(), "settings-screens-"));
    mkdirSync(target, { recursive: true });
    // A second webhook that has never delivered, so the list shows both states.
    const extra = await page.request.post(`${origin}/api/v1/accounts/${scene.account.id}/webhooks`, {
      headers: { api_access_token: adminToken },
      data: { webhook: { url: "https://hooks.example.com/chatwoot/events", name: "Order bot", subscriptions: ["message_created", "conversation_created", "conversation_status_changed"] } },
    });
    const extraId = (await extra.json()).payload.webhook.id as number;
    try {
      await page.reload();
      await row(extraId).waitFor();
      await page.locator(".last-delivery .badge").first().waitFor();
      const logged = await onlyDelivered();
      for (const [suffix, size] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 375, height: 812 }]] as const) {
        await page.setViewportSize(size);
        await page.evaluate(() => document.activeElement?.blur());
        await page.screenshot({ path: path.join(target, `settings-list-${suffix}.png`) });
        await page.getByRole("button", { name: "Add new webhook" }).click();
        await dialog("webhook-dialog").waitFor();
        await page.screenshot({ path: path.join(target, `settings-modal-${suffix}.png`) });
        await page.keyboard.press("Escape");
        await row(logged).getByRole("link", { name: /^Deliveries of/ }).click();
        await page.locator("#log-items li").first().waitFor();
        await page.evaluate(() => document.activeElement?.blur());
        await page.screenshot({ path: path.join(target, `settings-deliveries-${suffix}.png`) });
        await page.locator("#log-items li").first().getByRole("button", { name: /^Details/ }).click();
        await page.locator("#delivery-attempts li").first().waitFor();
        await page.screenshot({ path: path.join(target, `settings-delivery-detail-${suffix}.png`) });
        await page.keyboard.press("Escape");
        await page.getByRole("link", { name: "All webhooks" }).click();
        await row(extraId).waitFor();
      }
      const taken = readdirSync(target).filter((file) => file.startsWith("settings-") && file.endsWith(".png"));
      expect(taken.sort()).toEqual(
        ["deliveries", "delivery-detail", "list", "modal"].flatMap((screen) => [`settings-${screen}-desktop.png`, `settings-${screen}-phone.png`]).sort(),
      );
      for (const file of taken) {
        const png = readFileSync(path.join(target, file));
        expect(png.subarray(1, 4).toString()).toBe("PNG");
        // IHDR width: 1280 for desktop, 375 for phone.
        expect(png.readUInt32BE(16)).toBe(file.endsWith("-phone.png") ? 375 : 1280);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.request.delete(`${origin}/api/v1/accounts/${scene.account.id}/webhooks/${extraId}`, { headers: { api_access_token: adminToken } });
      await page.reload();
    }
  });

  it("deletes the webhook after confirmation", async () => {
    const saved = await onlyWebhook();
    await row(saved.id).getByRole("button", { name: "Delete CRM sync" }).click();
    const confirm = dialog("delete-dialog");
    await confirm.waitFor();
    expect(await confirm.getAttribute("aria-modal")).toBe("true");
    expect(await page.locator("#delete-url").textContent()).toBe(saved.url);
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "hidden" });
    expect(await activeId()).toBe(`delete-${saved.id}`);
    expect(await db.dataSource.getRepository(Webhook).count()).toBe(1);

    await row(saved.id).getByRole("button", { name: "Delete CRM sync" }).click();
    await confirm.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByRole("heading", { name: "No webhooks yet" }).waitFor();
    expect(await db.dataSource.getRepository(Webhook).count()).toBe(0);
    expect(await activeId()).toBe("add-webhook");
  });

  it("hides the inbox picker when the host has no inbox route", async () => {
    inboxRoute = false;
    await page.reload();
    await page.getByRole("button", { name: "Add new webhook" }).click();
    await dialog("webhook-dialog").waitFor();
    await page.waitForFunction(() => document.getElementById("inbox-field").hidden);
    expect(await page.getByLabel("Endpoint URL").isVisible()).toBe(true);
    await page.keyboard.press("Escape");
  });

  it("changes the token on request", async () => {
    await page.getByRole("button", { name: "Change access token" }).click();
    await page.getByLabel("Access token", { exact: true }).waitFor();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.getByRole("heading", { name: "No webhooks yet" }).isVisible()).toBe(false);
  });

  it("logged no console errors besides the browser's lines for the API errors provoked above", () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    const webhooksPath = `/api/v1/accounts/${scene.account.id}/webhooks`;
    expect(networkErrors).toEqual([
      `401 ${webhooksPath}`, // wrong token
      `401 ${webhooksPath}`, // agent token
      `422 ${webhooksPath}`, // javascript: URL
      `422 ${webhooksPath}`, // javascript: URL and no events
      `404 /api/v1/accounts/${scene.account.id}/inboxes`, // route taken away
    ]);
  });
});

describe("settings page router options", () => {
  const page = (settingsApiBase?: unknown) => {
    const app = express();
    // The router only reads options; a bare context is enough here.
    app.use("/app", createSettingsRouter({ options: { settingsApiBase } } as unknown as WebhooksContext));
    return request(app).get("/app/accounts/7/settings/integrations/webhook");
  };

  it("renders the API base the host configures", async () => {
    const response = await page("/chatwoot/api/v1/");
    expect(response.status).toBe(200);
    expect(response.text).toContain('data-api-base="/chatwoot/api/v1"');
    expect(response.text).toContain('data-account-id="7"');
    expect(response.headers["content-security-policy"]).toContain("connect-src 'self';");
  });

  it("defaults to /api/v1, and renders an API at the root as an empty base", async () => {
    expect((await page()).text).toContain('data-api-base="/api/v1"');
    expect((await page("/")).text).toContain('data-api-base=""');
  });

  it("refuses an API base that is not a path on the same origin", () => {
    expect(() => page("https://api.example.test/api/v1")).toThrow(/settingsApiBase/);
    expect(() => page("//api.example.test/api/v1")).toThrow(/settingsApiBase/);
    expect(() => page("javascript:alert(1)")).toThrow(/settingsApiBase/);
    expect(() => page('/api"><script>')).toThrow(/settingsApiBase/);
  });
});
