/**
 * Issue 16, item 6: webhook URLs with credentials (`https://user:pass@host/…`, how n8n's
 * Basic-protected webhook triggers are configured). Chatwoot accepts them and sends HTTP Basic
 * auth (`lib/safe_fetch/request_options.rb`, `request_proc` / `uri_basic_authentication`). Here:
 * accepted by the API, sent as Basic auth to a real receiver, shown whole in the webhook's own JSON
 * as Chatwoot shows it, and the password never in a log line, the delivery log or its API answers.
 */
import { inspect } from "node:util";
import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, WebhookDelivery } from "../../src/entities";
import type { Logger } from "../../src/options";
import { makeTenant, type Tenant } from "../helpers/api";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeContact, makeConversation, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { settle, testWebhooks } from "../helpers/webhooks";

const USER = "n8n";
const PASSWORD = "s3cr@t:pa55";
/** The password as the URL must spell it (`@` and `:` percent-encoded). */
const ENCODED = "s3cr%40t%3Apa55";
const TOKEN = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");

describe("URLs with credentials (Chatwoot's lib/safe_fetch/request_options.rb)", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let other: Receiver;
  let webhooks: Webhooks;
  let app: express.Express;
  let tenant: Tenant;
  const printed: string[] = [];
  const emitted: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("url_credentials");
    receiver = await startReceiver();
    other = await startReceiver();
    const capture = (obj: object, msg?: string) => printed.push(`${msg ?? ""} ${inspect(obj, { depth: 10, showHidden: true })}`);
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    webhooks = testWebhooks(db.dataSource, { logger });
    for (const name of ["delivery.succeeded", "delivery.failed", "delivery.retry_scheduled"] as const) {
      webhooks.events.on(name, (record) => emitted.push(inspect(record, { depth: 10 })));
    }
    app = express().use("/api/v1", webhooks.router);
    tenant = await makeTenant(db.dataSource);
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await other.close();
    await db.drop();
  });

  const api = (method: "get" | "post" | "patch", path: string) => request(app)[method](`/api/v1/accounts/${tenant.account.id}${path}`).set("api_access_token", tenant.adminToken);
  const credentialed = (base: string, path: string) => `${base.replace("http://", `http://${USER}:${ENCODED}@`)}${path}`;

  async function saveMessage(content: string) {
    const contact = await makeContact(db.dataSource, tenant.account.id);
    const conversation = await makeConversation(db.dataSource, tenant.inbox, contact);
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, conversation, { content }));
    await settle(webhooks);
  }

  it("accepts the URL, shows it whole in the webhook's own JSON as Chatwoot does, and sends Basic auth without userinfo on the wire", async () => {
    const url = credentialed(receiver.url, "/webhook/abc");
    const created = await api("post", "/webhooks").send({ webhook: { url, subscriptions: ["message_created"] } });
    expect(created.status).toBe(200);
    expect(created.body.payload.webhook.url).toBe(url);
    // Chatwoot's webhook JSON renders the stored URL; so do we (the API is for administrators, who also see the secret).
    const listed = await api("get", "/webhooks");
    expect(listed.body.payload.webhooks.map((w: { url: string }) => w.url)).toEqual([url]);
    const shown = await api("get", `/webhooks/${created.body.payload.webhook.id}`);
    expect(shown.body.payload.webhook.url).toBe(url);

    await saveMessage("hello n8n");
    const [received] = receiver.requests;
    expect(received.headers.authorization).toBe(`Basic ${TOKEN}`);
    expect(Buffer.from(String(received.headers.authorization).slice(6), "base64").toString()).toBe(`${USER}:${PASSWORD}`);
    expect(received.path).toBe("/webhook/abc");
    expect(received.headers.host).toBe(`127.0.0.1:${receiver.port}`);
    expect(JSON.parse(received.body).content).toBe("hello n8n");

    // The same URL is a different webhook from the one without credentials (the unique index is on the text).
    const plain = await api("post", "/webhooks").send({ webhook: { url: `${receiver.url}/webhook/abc`, subscriptions: ["message_created"] } });
    expect(plain.status).toBe(200);
    // Off again, so the next tests hear only their own webhooks.
    for (const id of [created.body.payload.webhook.id, plain.body.payload.webhook.id]) await api("patch", `/webhooks/${id}`).send({ webhook: { enabled: false } });
  });

  it("refuses credentials nobody could send: a password without a user, two @", async () => {
    for (const url of ["https://:pass@example.com/hook", "https://a@b:c@example.com/hook"]) {
      const res = await api("post", "/webhooks").send({ webhook: { url } });
      expect([url, res.status, res.body]).toEqual([url, 422, { message: "Url is invalid", attributes: ["url"] }]);
    }
  });

  it("writes the password nowhere: not to logs, events, the delivery log or its API, even when the receiver echoes the header back", async () => {
    // An echoing receiver (a request bin) answering 500, then a redirect to another origin, then a refused connection.
    receiver.respond((req) => (req.path === "/echo" ? { status: 500, body: JSON.stringify(req.headers) } : { status: 307, headers: { location: `${other.url}/there` } }));
    other.respond((req) => ({ status: 502, body: `got ${JSON.stringify(req.headers)}` }));
    const urls = [credentialed(receiver.url, "/echo"), credentialed(receiver.url, "/bounce"), credentialed("http://127.0.0.1:1", "/closed")];
    const ids: number[] = [];
    for (const url of urls) {
      const res = await api("post", "/webhooks").send({ webhook: { url, subscriptions: ["message_created"] } });
      expect(res.status).toBe(200);
      ids.push(res.body.payload.webhook.id);
    }
    receiver.requests.length = 0;
    await saveMessage("secret-free?");
    // The echo really carried the header back, so the test would see it if it were kept.
    expect(receiver.requests.find((r) => r.path === "/echo")?.headers.authorization).toBe(`Basic ${TOKEN}`);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].headers.authorization).toBeUndefined();

    const answers: string[] = [];
    for (const id of ids) {
      const list = await api("get", `/webhooks/${id}/deliveries`);
      expect(list.status).toBe(200);
      answers.push(list.text);
      const [delivery] = list.body.payload.deliveries;
      const detail = await api("get", `/webhooks/${id}/deliveries/${delivery.id}`);
      answers.push(detail.text);
      const again = await api("post", `/webhooks/${id}/deliveries/${delivery.id}/redeliver`);
      expect(again.status).toBe(200);
      answers.push(again.text);
    }
    const rows = await db.dataSource.query(`SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ANY($1)`, [ids]);
    const deliveries = await db.dataSource.getRepository(WebhookDelivery).find();
    const everything = [...printed, ...emitted, ...answers, JSON.stringify(rows), JSON.stringify(deliveries)].join("\n");
    // Something was said about these failures: the check below looks at real text.
    expect(answers.join("\n")).toContain("HTTP 500");
    expect(answers.join("\n")).toContain("HTTP 502");
    expect(answers.join("\n")).toContain(`${other.url}/there`);
    expect(answers.join("\n")).toContain("[redacted]");
    for (const secret of [PASSWORD, ENCODED, TOKEN]) expect(everything).not.toContain(secret);
  });
});
