import { randomUUID } from "node:crypto";
import request from "supertest";
import { Webhook, WebhookDelivery, WebhookEvent } from "../../src/entities";
import { buildApi, dumpTable, makeTenant, type ApiHarness, type Tenant, NOT_ADMINISTRATOR } from "../helpers/api";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeWebhook } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";

/**
 * What real Chatwoot clients send that Chatwoot's Rails stack accepts (issue 18): the token header
 * in any spelling Rack files under `HTTP_API_ACCESS_TOKEN` (Chatwoot's
 * app/controllers/concerns/access_token_auth_helper.rb reads `request.headers[:api_access_token]`),
 * JSON Content-Types with parameters and Rails' JSON synonyms, trailing slashes and `.json` format
 * suffixes (config/routes.rb `resources :webhooks`).
 */

/** Every spelling a client may use, as sent on the wire (supertest keeps the case of names). */
const SPELLINGS: Array<[string, (token: string) => Record<string, string>]> = [
  ["api_access_token", (token) => ({ api_access_token: token })],
  ["Api-Access-Token", (token) => ({ "Api-Access-Token": token })],
  ["api-access-token", (token) => ({ "api-access-token": token })],
  ["API_ACCESS_TOKEN", (token) => ({ API_ACCESS_TOKEN: token })],
  ["API-ACCESS-TOKEN", (token) => ({ "API-ACCESS-TOKEN": token })],
  ["Api_Access_Token", (token) => ({ Api_Access_Token: token })],
  ["Authorization: Bearer", (token) => ({ Authorization: `Bearer ${token}` })],
];

const INVALID_TOKEN = { error: "Invalid Access Token" };

describe("real Chatwoot clients", () => {
  let db: TestDatabase;
  let api: ApiHarness;
  let acme: Tenant;
  let receiver: Receiver;

  const list = (suffix = "") => `/api/v1/accounts/${acme.account.id}/webhooks${suffix}`;
  const asAdmin = () => ({ api_access_token: acme.adminToken });

  /** A delivery of the webhook, as the dispatcher would have recorded it, with a body to resend. */
  async function deliveryOf(webhookId: number): Promise<WebhookDelivery> {
    const manager = db.dataSource.manager;
    const event = await manager.save(WebhookEvent, { accountId: acme.account.id, event: "message_created", body: '{"event":"message_created","id":1}' });
    return manager.save(manager.create(WebhookDelivery, { id: randomUUID(), eventId: event.id, webhookId, accountId: acme.account.id, event: "message_created", status: "failed", attempts: 1 }));
  }

  beforeAll(async () => {
    db = await createTestDatabase("chatwoot_clients");
    // The redeliver route sends for real, to a receiver on loopback.
    api = buildApi(db.dataSource, { allowPrivateNetwork: true });
    acme = await makeTenant(db.dataSource);
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver.close();
    await api.close();
    await db.drop();
  });

  beforeEach(async () => {
    await db.dataSource.query("DELETE FROM webhooks");
  });

  afterEach(() => {
    expect(api.errors).toEqual([]);
  });

  describe("the token header in every spelling", () => {
    it.each(SPELLINGS)("reaches every webhook route with %s", async (_spelling, header) => {
      const auth = header(acme.adminToken);
      const url = `${receiver.url}/${randomUUID()}`;
      const created = await request(api.server).post(list()).set(auth).send({ webhook: { url, name: "Spelled" } });
      expect([created.status, created.body.payload?.webhook?.url]).toEqual([200, url]);
      const id: number = created.body.payload.webhook.id;

      const listed = await request(api.server).get(list()).set(auth);
      expect([listed.status, listed.body.payload.webhooks.map((w: { id: number }) => w.id)]).toEqual([200, [id]]);
      const shown = await request(api.server).get(list(`/${id}`)).set(auth);
      expect([shown.status, shown.body.payload.webhook.name]).toEqual([200, "Spelled"]);
      const patched = await request(api.server).patch(list(`/${id}`)).set(auth).send({ webhook: { name: "Patched" } });
      expect([patched.status, patched.body.payload.webhook.name]).toEqual([200, "Patched"]);
      const put = await request(api.server).put(list(`/${id}`)).set(auth).send({ subscriptions: ["message_created"] });
      expect([put.status, put.body.payload.webhook.subscriptions]).toEqual([200, ["message_created"]]);

      const delivery = await deliveryOf(id);
      const log = await request(api.server).get(list(`/${id}/deliveries`)).set(auth);
      expect([log.status, log.body.payload.deliveries.map((d: { id: string }) => d.id)]).toEqual([200, [delivery.id]]);
      const detail = await request(api.server).get(list(`/${id}/deliveries/${delivery.id}`)).set(auth);
      expect([detail.status, detail.body.payload.delivery.body]).toEqual([200, '{"event":"message_created","id":1}']);
      const before = receiver.requests.length;
      const redelivered = await request(api.server).post(list(`/${id}/deliveries/${delivery.id}/redeliver`)).set(auth);
      expect([redelivered.status, redelivered.body.payload.attempt.ok, redelivered.body.payload.attempt.status]).toEqual([200, true, 200]);
      expect(receiver.requests.slice(before).map((r) => [r.path, r.body])).toEqual([[new URL(url).pathname, '{"event":"message_created","id":1}']]);

      const deleted = await request(api.server).delete(list(`/${id}`)).set(auth);
      expect([deleted.status, deleted.text]).toEqual([200, ""]);
      expect(await db.dataSource.getRepository(Webhook).countBy({ id })).toBe(0);
    });

    it.each(SPELLINGS)("identifies the caller from %s: an agent is refused, an unknown token is invalid", async (_spelling, header) => {
      const agent = await request(api.server).get(list()).set(header(acme.agentToken));
      expect([agent.status, agent.body]).toEqual([401, NOT_ADMINISTRATOR]);
      const unknown = await request(api.server).post(list()).set(header("not-a-token")).send({ url: "https://unknown.example.com" });
      expect([unknown.status, unknown.body]).toEqual([401, INVALID_TOKEN]);
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });
  });

  describe("two tokens that disagree (a spoofing guard)", () => {
    const conflicts: Array<[string, () => Record<string, string>]> = [
      ["api_access_token and Api-Access-Token", () => ({ api_access_token: acme.adminToken, "Api-Access-Token": acme.agentToken })],
      ["Api-Access-Token and api_access_token, the unknown one second", () => ({ "Api-Access-Token": acme.adminToken, api_access_token: "forged" })],
      ["api_access_token and a Bearer token", () => ({ api_access_token: acme.adminToken, Authorization: `Bearer ${acme.agentToken}` })],
      ["a Bearer token and api-access-token", () => ({ Authorization: `Bearer ${acme.adminToken}`, "api-access-token": "forged" })],
    ];

    it.each(conflicts)("refuses %s with 401 Invalid Access Token and changes nothing", async (_name, headers) => {
      const res = await request(api.server).post(list()).set(headers()).send({ url: "https://conflict.example.com" });
      expect([res.status, res.body]).toEqual([401, INVALID_TOKEN]);
      const read = await request(api.server).get(list()).set(headers());
      expect([read.status, read.body]).toEqual([401, INVALID_TOKEN]);
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    it("refuses the same header sent twice with different values (two header lines, not one joined value)", async () => {
      const twice = (values: string[]) => request(api.server).get(list()).set("api_access_token", values as unknown as string);
      const res = await twice([acme.adminToken, acme.agentToken]);
      expect([res.status, res.body]).toEqual([401, INVALID_TOKEN]);
      // Repeated with the same value it is one token (Node would have joined the lines into "t, t").
      expect((await twice([acme.adminToken, acme.adminToken])).status).toBe(200);
    });

    it("refuses them before a custom authenticate runs", async () => {
      const dataSource = await db.open();
      let calls = 0;
      const custom = buildApi(dataSource, {
        authenticate: async () => {
          calls += 1;
          return { userId: 1, role: "administrator" };
        },
      });
      try {
        const res = await request(custom.server).get(list()).set({ api_access_token: "a", "Api-Access-Token": "b" });
        expect([res.status, res.body, calls]).toEqual([401, INVALID_TOKEN, 0]);
        expect((await request(custom.server).get(list())).status).toBe(200);
      } finally {
        await custom.close();
        await dataSource.destroy();
      }
    });

    it("accepts the same token sent several ways, and ignores blank values and other Authorization schemes", async () => {
      const same = { api_access_token: acme.adminToken, "Api-Access-Token": ` ${acme.adminToken} `, Authorization: `Bearer ${acme.adminToken}` };
      expect((await request(api.server).get(list()).set(same)).status).toBe(200);
      expect((await request(api.server).get(list()).set({ api_access_token: "", "Api-Access-Token": acme.adminToken })).status).toBe(200);
      expect((await request(api.server).get(list()).set({ "Api-Access-Token": acme.adminToken, Authorization: "Basic dXNlcjpwYXNz" })).status).toBe(200);
    });
  });

  describe("what Rails accepts besides the canonical request", () => {
    it.each([
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      'application/json; charset="utf-8"',
      "Application/JSON",
      "application/json; charset=utf8",
      "application/json; charset=us-ascii",
      "text/x-json",
      "application/jsonrequest",
      "application/vnd.api+json",
    ])("reads a JSON body sent as %s", async (contentType) => {
      const url = `https://${randomUUID()}.example.com/hook`;
      const res = await request(api.server).post(list()).set(asAdmin()).set("Content-Type", contentType).send(JSON.stringify({ webhook: { url, name: "Typed" } }));
      expect([res.status, res.body.payload?.webhook?.url]).toEqual([200, url]);
      const unwrapped = await request(api.server).patch(list(`/${res.body.payload.webhook.id}`)).set(asAdmin()).set("Content-Type", contentType).send(JSON.stringify({ name: "Unwrapped" }));
      expect([unwrapped.status, unwrapped.body.payload?.webhook?.name]).toEqual([200, "Unwrapped"]);
    });

    it("still refuses a JSON body in a charset that is not UTF-8", async () => {
      const res = await request(api.server).post(list()).set(asAdmin()).set("Content-Type", "application/json; charset=iso-8859-1").send('{"url":"https://latin.example.com"}');
      expect([res.status, res.body]).toEqual([415, { error: "Unsupported charset: send UTF-8 JSON" }]);
    });

    it("answers every route with a trailing slash as without one", async () => {
      const created = await request(api.server).post(list("/")).set(asAdmin()).send({ url: "https://slash.example.com" });
      expect(created.status).toBe(200);
      const id = created.body.payload.webhook.id;
      expect((await request(api.server).get(list("/")).set(asAdmin())).body.payload.webhooks).toHaveLength(1);
      expect((await request(api.server).get(list(`/${id}/`)).set(asAdmin())).body.payload.webhook.id).toBe(id);
      expect((await request(api.server).patch(list(`/${id}/`)).set(asAdmin()).send({ name: "Slashed" })).body.payload.webhook.name).toBe("Slashed");
      expect((await request(api.server).put(list(`/${id}/`)).set(asAdmin()).send({ name: "Put" })).body.payload.webhook.name).toBe("Put");
      expect((await request(api.server).get(list(`/${id}/deliveries/`)).set(asAdmin())).body.payload.deliveries).toEqual([]);
      expect((await request(api.server).delete(list(`/${id}/`)).set(asAdmin())).status).toBe(200);
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    it("answers every route with a .json format suffix as without one (Rails' optional (.:format))", async () => {
      const created = await request(api.server).post(list(".json")).set(asAdmin()).send({ url: "https://format.example.com" });
      expect(created.status).toBe(200);
      const id = created.body.payload.webhook.id;
      expect((await request(api.server).get(list(".json")).set(asAdmin())).body.payload.webhooks.map((w: { id: number }) => w.id)).toEqual([id]);
      expect((await request(api.server).get(list(`/${id}.json`)).set(asAdmin())).body.payload.webhook.id).toBe(id);
      expect((await request(api.server).patch(list(`/${id}.json`)).set(asAdmin()).send({ name: "Formatted" })).body.payload.webhook.name).toBe("Formatted");
      expect((await request(api.server).put(list(`/${id}.json`)).set(asAdmin()).send({ name: "Put" })).body.payload.webhook.name).toBe("Put");
      const delivery = await deliveryOf(id);
      const log = await request(api.server).get(list(`/${id}/deliveries.json?status=failed&page=1`)).set(asAdmin());
      expect([log.status, log.body.payload.deliveries.map((d: { id: string }) => d.id), log.body.meta.page]).toEqual([200, [delivery.id], 1]);
      expect((await request(api.server).get(list(`/${id}/deliveries/${delivery.id}.json`)).set(asAdmin())).body.payload.delivery.id).toBe(delivery.id);
      expect((await request(api.server).get(`/api/v1/accounts/${acme.account.id}/agent_bots.json`).set(asAdmin())).status).toBe(200);
      expect((await request(api.server).delete(list(`/${id}.json`)).set(asAdmin())).status).toBe(200);
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    // Issue 16 item 7: Rails reads form bodies into the same params (`webhook[url]`, `webhook[subscriptions][]`).
    it("reads application/x-www-form-urlencoded bodies with Rails' bracketed names", async () => {
      const form = (fields: Array<[string, string]>) => fields.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&");
      const created = await request(api.server)
        .post(list())
        .set(asAdmin())
        .set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
        .send(form([["webhook[url]", "https://form.example.com/hook?a=1&b=2"], ["webhook[name]", "Form"], ["webhook[subscriptions][]", "message_created"], ["webhook[subscriptions][]", "conversation_created"], ["webhook[inbox_id]", String(acme.inbox.id)]]));
      expect(created.status).toBe(200);
      expect(created.body.payload.webhook).toMatchObject({ url: "https://form.example.com/hook?a=1&b=2", name: "Form", subscriptions: ["message_created", "conversation_created"], inbox: { id: acme.inbox.id } });
      const id = created.body.payload.webhook.id;
      const patched = await request(api.server).patch(list(`/${id}`)).set(asAdmin()).type("form").send("webhook[name]=Renamed");
      expect([patched.status, patched.body.payload.webhook.name, patched.body.payload.webhook.subscriptions]).toEqual([200, "Renamed", ["message_created", "conversation_created"]]);
      // Un-wrapped names are taken too (Rails wraps only JSON; accepting them is ours).
      const unwrapped = await request(api.server).put(list(`/${id}`)).set({ "Api-Access-Token": acme.adminToken }).type("form").send("name=Plain");
      expect([unwrapped.status, unwrapped.body.payload.webhook.name]).toEqual([200, "Plain"]);
      expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id })).name).toBe("Plain");
    });

    it("reads a form body only from a request that carries a token header (no cross-site form posts)", async () => {
      const dataSource = await db.open();
      // A host that trusts a cookie, as a browser sends it with any cross-site form post.
      const cookieHost = buildApi(dataSource, { authenticate: async (req) => (req.get("cookie") === "session=admin" ? { userId: 1, role: "administrator" } : null) });
      try {
        const res = await request(cookieHost.server).post(list()).set("Cookie", "session=admin").type("form").send("webhook[url]=https%3A%2F%2Fcsrf.example.com");
        expect([res.status, res.body]).toEqual([422, { error: "param is missing or the value is empty: webhook" }]);
        expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
        // The same host still takes JSON from that client, which a cross-site form cannot send.
        expect((await request(cookieHost.server).post(list()).set("Cookie", "session=admin").send({ url: "https://json.example.com" })).status).toBe(200);
      } finally {
        await cookieHost.close();
        await dataSource.destroy();
      }
    });

    it("takes no other format, and leaves the host's own paths as they came", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://xml.example.com");
      const xml = await request(api.server).get(list(`/${webhook.id}.xml`)).set(asAdmin());
      expect([xml.status, xml.body]).toEqual([404, { error: "Resource could not be found" }]);
      const upper = await request(api.server).get(list(`/${webhook.id}.JSON`)).set(asAdmin());
      expect(upper.status).toBe(404);
      // The harness's host route answers `/conversations`; its `.json` form is not rewritten for it.
      expect((await request(api.server).get(`/api/v1/accounts/${acme.account.id}/conversations`)).body).toEqual({ host: true });
      expect((await request(api.server).get(`/api/v1/accounts/${acme.account.id}/conversations.json`)).status).toBe(404);
    });
  });
});
