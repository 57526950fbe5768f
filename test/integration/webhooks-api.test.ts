import request from "supertest";
import { PRIVATE_ADDRESS_REASON } from "../../src/routes/target-url";
import { Webhook } from "../../src/entities";
import type { WebhooksOptions } from "../../src/options";
import { DEFAULT_SUBSCRIPTIONS, WEBHOOK_EVENTS } from "../../src/types";
import { buildApi, dumpTable, makeTenant, type ApiHarness, type Tenant, NOT_ADMINISTRATOR, NOT_IN_ACCOUNT } from "../helpers/api";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeAccount, makeInbox, makeUser, makeWebhook } from "../helpers/fixtures";

const BASE58_24 = /^[1-9A-HJ-NP-Za-km-z]{24}$/;
const SIGN_IN_REQUIRED = { errors: ["You need to sign in or sign up before continuing."] };
const W_KEYS = ["id", "name", "url", "account_id", "subscriptions", "secret", "enabled", "disabled_reason", "ordered"];
const W_KEYS_WITH_INBOX = ["id", "name", "url", "account_id", "subscriptions", "secret", "inbox", "enabled", "disabled_reason", "ordered"];

describe("webhooks management API", () => {
  let db: TestDatabase;
  let api: ApiHarness;
  let acme: Tenant;
  let other: Tenant;

  const path = (tenant: Tenant, suffix = "") => `/api/v1/accounts/${tenant.account.id}/webhooks${suffix}`;
  const asAdmin = (tenant: Tenant) => ({ api_access_token: tenant.adminToken });
  const rowOf = (id: number) => db.dataSource.getRepository(Webhook).findOneByOrFail({ id });

  beforeAll(async () => {
    db = await createTestDatabase("webhooks_api");
    api = buildApi(db.dataSource);
    acme = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
  });

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  /** A second host (its own DataSource on the same database) with other options. */
  async function withOtherApi(options: Parameters<typeof buildApi>[1], run: (other: ApiHarness) => Promise<void>): Promise<void> {
    const dataSource = await db.open();
    const harness = buildApi(dataSource, options);
    try {
      await run(harness);
      expect(harness.errors).toEqual([]);
    } finally {
      await harness.close();
      await dataSource.destroy();
    }
  }

  beforeEach(async () => {
    await db.dataSource.query("DELETE FROM webhooks");
  });

  afterEach(() => {
    // No request in this file may end in a logged 500.
    expect(api.errors).toEqual([]);
  });

  describe("authorization", () => {
    it("answers 401 'not authorized to do this action' to an agent on every action, and changes nothing", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com", { name: "My Webhook" });
      const before = await dumpTable(db.dataSource, "webhooks");
      const headers = { api_access_token: acme.agentToken };
      const responses = [
        await request(api.server).get(path(acme)).set(headers),
        await request(api.server).post(path(acme)).set(headers).send({ url: "https://other.example.com" }),
        await request(api.server).get(path(acme, `/${webhook.id}`)).set(headers),
        await request(api.server).patch(path(acme, `/${webhook.id}`)).set(headers).send({ name: "Changed" }),
        await request(api.server).put(path(acme, `/${webhook.id}`)).set(headers).send({ name: "Changed" }),
        await request(api.server).delete(path(acme, `/${webhook.id}`)).set(headers),
      ];
      for (const res of responses) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual(NOT_ADMINISTRATOR);
      }
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual(before);
    });

    // Chatwoot: no token at all is devise's sign-in failure (Api::BaseController authenticates by
    // access token only when one is present); an unknown one is AccessTokenAuthHelper's 401.
    it("answers 401 sign-in required without a token, and 'Invalid Access Token' with an unknown one", async () => {
      for (const headers of [{}, { api_access_token: "" }, { "Api-Access-Token": "  " }, { Authorization: `Basic ${acme.adminToken}` }, { Authorization: "Bearer" }]) {
        const missing = await request(api.server).get(path(acme)).set(headers);
        expect([headers, missing.status, missing.body]).toEqual([headers, 401, SIGN_IN_REQUIRED]);
      }
      const unknown = await request(api.server).get(path(acme)).set("api_access_token", "nope");
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual({ error: "Invalid Access Token" });
      const badBearer = await request(api.server).get(path(acme)).set("Authorization", "Bearer nope");
      expect(badBearer.body).toEqual({ error: "Invalid Access Token" });
    });

    it("answers 401 'not authorized to access this account' to a user of another account", async () => {
      const foreign = await request(api.server).get(path(acme)).set(asAdmin(other));
      expect(foreign.status).toBe(401);
      expect(foreign.body).toEqual(NOT_IN_ACCOUNT);
    });

    // Chatwoot's order (Api::V1::Accounts::BaseController): authenticate, then Account.find (404),
    // then the membership check (401).
    it("answers 404 for an account that does not exist or is not a number, after checking the token", async () => {
      for (const accountId of ["999999", "0", "-1", "abc", "1.5", "99999999999", "2147483648"]) {
        const res = await request(api.server).get(`/api/v1/accounts/${accountId}/webhooks`).set(asAdmin(acme));
        expect([accountId, res.status, res.body]).toEqual([accountId, 404, { error: "Resource could not be found" }]);
        const agent = await request(api.server).post(`/api/v1/accounts/${accountId}/webhooks`).set("api_access_token", acme.agentToken).send({ url: "https://x.example.com" });
        expect([accountId, agent.status, agent.body]).toEqual([accountId, 404, { error: "Resource could not be found" }]);
      }
      // The token is still checked first.
      const noToken = await request(api.server).get("/api/v1/accounts/abc/webhooks");
      expect([noToken.status, noToken.body]).toEqual([401, SIGN_IN_REQUIRED]);
      const badToken = await request(api.server).get("/api/v1/accounts/999999/webhooks").set("api_access_token", "nope");
      expect([badToken.status, badToken.body]).toEqual([401, { error: "Invalid Access Token" }]);
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    it("accepts Authorization: Bearer <token>, alone or next to api_access_token", async () => {
      const bearer = await request(api.server).get(path(acme)).set("Authorization", `Bearer ${acme.adminToken}`);
      expect(bearer.status).toBe(200);
      const both = await request(api.server).get(path(acme)).set("Authorization", `Bearer ${acme.adminToken}`).set(asAdmin(acme));
      expect(both.status).toBe(200);
    });

    it("authenticates before reading the body: an agent's broken JSON is a 401, not a 400", async () => {
      const res = await request(api.server).post(path(acme)).set("api_access_token", acme.agentToken).set("Content-Type", "application/json").send('{"url": ');
      expect(res.status).toBe(401);
      expect(res.body).toEqual(NOT_ADMINISTRATOR);
      const anonymous = await request(api.server).post(path(acme)).set("Content-Type", "application/json").send("{{{");
      expect(anonymous.body).toEqual(SIGN_IN_REQUIRED);
    });

    it("leaves the host's own routes under /accounts alone", async () => {
      const res = await request(api.server).get(`/api/v1/accounts/${acme.account.id}/conversations`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ host: true });
    });

    it("lets a custom authenticate option decide who the caller is", async () => {
      const seen: number[] = [];
      const authenticate: NonNullable<WebhooksOptions["authenticate"]> = async (req, accountId) => {
        seen.push(accountId);
        return req.get("x-user") === "boss" ? { userId: 1, role: "administrator" } : req.get("x-user") === "staff" ? { userId: 2, role: "agent" } : null;
      };
      await withOtherApi({ authenticate }, async (custom) => {
        expect((await request(custom.server).get(path(acme)).set("x-user", "boss")).status).toBe(200);
        expect((await request(custom.server).get(path(acme)).set("x-user", "staff")).body).toEqual(NOT_ADMINISTRATOR);
        expect((await request(custom.server).get(path(acme)).set("api_access_token", acme.adminToken)).body).toEqual({ error: "Invalid Access Token" });
        expect((await request(custom.server).get(path(acme))).body).toEqual(SIGN_IN_REQUIRED);
        // Its answer comes before the account lookup, as Chatwoot authenticates before finding the account.
        expect((await request(custom.server).get("/api/v1/accounts/999999/webhooks").set("x-user", "boss")).body).toEqual({ error: "Resource could not be found" });
      });
      expect(seen).toEqual([acme.account.id, acme.account.id, acme.account.id, acme.account.id, 999999]);
    });
  });

  describe("GET /webhooks", () => {
    it("lists the account's webhooks in id order, and only them", async () => {
      const first = await makeWebhook(db.dataSource, acme.account.id, "https://a.example.com");
      const second = await makeWebhook(db.dataSource, acme.account.id, "https://b.example.com", { inboxId: acme.inbox.id, name: "B" });
      await makeWebhook(db.dataSource, other.account.id, "https://a.example.com");
      const res = await request(api.server).get(path(acme)).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(["payload"]);
      expect(res.body.payload.webhooks.map((w: { id: number }) => w.id)).toEqual([first.id, second.id]);
      expect(res.body.payload.webhooks[1]).toEqual({
        id: second.id,
        name: "B",
        url: "https://b.example.com",
        account_id: acme.account.id,
        subscriptions: second.subscriptions,
        secret: second.secret,
        inbox: { id: acme.inbox.id, name: acme.inbox.name },
        enabled: true,
        disabled_reason: null,
        ordered: false,
      });
    });

    it("answers an empty list for an account without webhooks", async () => {
      const res = await request(api.server).get(path(acme)).set(asAdmin(acme));
      expect(res.text).toBe('{"payload":{"webhooks":[]}}');
    });

    it("never shows another account's inbox nested in a webhook written around the API", async () => {
      await makeWebhook(db.dataSource, acme.account.id, "https://a.example.com", { inboxId: other.inbox.id });
      const res = await request(api.server).get(path(acme)).set(asAdmin(acme));
      expect(Object.keys(res.body.payload.webhooks[0])).toEqual(W_KEYS);
    });
  });

  describe("POST /webhooks", () => {
    it("creates a webhook (Chatwoot's request: un-wrapped url, inbox_id and a foreign account_id)", async () => {
      const res = await request(api.server)
        .post(path(acme))
        .set(asAdmin(acme))
        .send({ account_id: other.account.id, inbox_id: acme.inbox.id, url: "https://hello.com" });
      expect(res.status).toBe(200);
      const webhook = res.body.payload.webhook;
      expect(webhook.url).toBe("https://hello.com");
      expect(webhook.account_id).toBe(acme.account.id);
      expect(webhook.inbox).toEqual({ id: acme.inbox.id, name: acme.inbox.name });
      const row = await rowOf(webhook.id);
      expect(row).toMatchObject({ accountId: acme.account.id, inboxId: acme.inbox.id, url: "https://hello.com", webhookType: 0, enabled: true, disabledReason: null });
    });

    it("creates a webhook with a name", async () => {
      const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ inbox_id: acme.inbox.id, url: "https://hello.com", name: "My Webhook" });
      expect(res.status).toBe(200);
      expect(res.body.payload.webhook.name).toBe("My Webhook");
    });

    it("accepts the body wrapped in {webhook: ...}, which wins over top-level keys", async () => {
      const res = await request(api.server)
        .post(path(acme))
        .set(asAdmin(acme))
        .send({ webhook: { url: "https://wrapped.example.com", name: "Wrapped" }, url: "https://top.example.com" });
      expect(res.status).toBe(200);
      expect(res.body.payload.webhook).toMatchObject({ url: "https://wrapped.example.com", name: "Wrapped" });
    });

    it("answers JSON with Chatwoot's keys in Chatwoot's order, ours appended, inbox only when set", async () => {
      const plain = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", subscriptions: ["message_created"] });
      const w = plain.body.payload.webhook;
      expect(Object.keys(plain.body)).toEqual(["payload"]);
      expect(Object.keys(plain.body.payload)).toEqual(["webhook"]);
      expect(Object.keys(w)).toEqual(W_KEYS);
      expect(plain.headers["content-type"]).toMatch(/^application\/json/);
      expect(plain.text).toBe(
        `{"payload":{"webhook":{"id":${w.id},"name":null,"url":"https://hello.com","account_id":${acme.account.id},"subscriptions":["message_created"],"secret":"${w.secret}","enabled":true,"disabled_reason":null,"ordered":false}}}`,
      );
      const withInbox = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ webhook: { url: "https://inbox.example.com", name: "N", subscriptions: ["message_created"], inbox_id: acme.inbox.id } });
      const v = withInbox.body.payload.webhook;
      expect(Object.keys(v)).toEqual(W_KEYS_WITH_INBOX);
      expect(withInbox.text).toBe(
        `{"payload":{"webhook":{"id":${v.id},"name":"N","url":"https://inbox.example.com","account_id":${acme.account.id},"subscriptions":["message_created"],"secret":"${v.secret}","inbox":{"id":${acme.inbox.id},"name":${JSON.stringify(acme.inbox.name)}},"enabled":true,"disabled_reason":null,"ordered":false}}}`,
      );
    });

    it("rejects javascript:alert(1) and other non-URLs with 'Url is invalid'", async () => {
      for (const url of ["javascript:alert(1)", "not a url", "", "ftp://example.com", "https://", "http:example.com"]) {
        const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ inbox_id: acme.inbox.id, url });
        expect([url, res.status, res.body]).toEqual([url, 422, { message: "Url is invalid", attributes: ["url"] }]);
      }
      const missing = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ name: "No URL" });
      expect(missing.body).toEqual({ message: "Url is invalid", attributes: ["url"] });
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    it("rejects unknown and empty subscriptions with 'Subscriptions Invalid events'", async () => {
      for (const subscriptions of [["conversation_random_event"], [], ["message_created", "nope"], "message_created", [1], {}]) {
        const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", subscriptions });
        expect([subscriptions, res.status, res.body]).toEqual([subscriptions, 422, { message: "Subscriptions Invalid events", attributes: ["subscriptions"] }]);
      }
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    it("uses Chatwoot's 8 default subscriptions when subscriptions are null or absent", async () => {
      const nil = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", subscriptions: null });
      expect(nil.status).toBe(200);
      expect(nil.body.payload.webhook.subscriptions).toEqual([
        "conversation_status_changed",
        "conversation_updated",
        "conversation_created",
        "contact_created",
        "contact_updated",
        "message_created",
        "message_updated",
        "webwidget_triggered",
      ]);
      const absent = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://absent.example.com" });
      expect(absent.body.payload.webhook.subscriptions).toEqual([...DEFAULT_SUBSCRIPTIONS]);
      expect((await rowOf(absent.body.payload.webhook.id)).subscriptions).toEqual([...DEFAULT_SUBSCRIPTIONS]);
    });

    it("accepts all 12 events, and drops duplicates keeping the order of first occurrence", async () => {
      const all = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://all.example.com", subscriptions: [...WEBHOOK_EVENTS] });
      expect(all.body.payload.webhook.subscriptions).toEqual([...WEBHOOK_EVENTS]);
      const dup = await request(api.server)
        .post(path(acme))
        .set(asAdmin(acme))
        .send({ url: "https://dup.example.com", subscriptions: ["message_created", "contact_created", "message_created", "contact_created", "inbox_created"] });
      expect(dup.body.payload.webhook.subscriptions).toEqual(["message_created", "contact_created", "inbox_created"]);
      expect((await rowOf(dup.body.payload.webhook.id)).subscriptions).toEqual(["message_created", "contact_created", "inbox_created"]);
    });

    it("accepts 100 subscription entries and rejects 101", async () => {
      const hundred = Array.from({ length: 100 }, (_, i) => WEBHOOK_EVENTS[i % WEBHOOK_EVENTS.length]);
      const ok = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hundred.example.com", subscriptions: hundred });
      expect(ok.status).toBe(200);
      expect(ok.body.payload.webhook.subscriptions).toEqual([...WEBHOOK_EVENTS]);
      const tooMany = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://101.example.com", subscriptions: [...hundred, "message_created"] });
      expect(tooMany.body).toEqual({ message: "Subscriptions Invalid events", attributes: ["subscriptions"] });
    });

    it("generates a 24-character base58 secret and ignores one sent by the client", async () => {
      const a = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://a.example.com", secret: "client-chosen-secret", webhook_type: 1 });
      const b = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ webhook: { url: "https://b.example.com", secret: "client-chosen-secret" } });
      for (const res of [a, b]) {
        expect(res.status).toBe(200);
        expect(res.body.payload.webhook.secret).toMatch(BASE58_24);
        expect((await rowOf(res.body.payload.webhook.id)).secret).toBe(res.body.payload.webhook.secret);
      }
      expect(a.body.payload.webhook.secret).not.toBe(b.body.payload.webhook.secret);
      expect((await rowOf(a.body.payload.webhook.id)).webhookType).toBe(0);
    });

    it("rejects a URL the account already uses with 'Url has already been taken'; another account may use it", async () => {
      await makeWebhook(db.dataSource, acme.account.id, "https://hello.com");
      const dup = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com" });
      expect(dup.status).toBe(422);
      expect(dup.body).toEqual({ message: "Url has already been taken", attributes: ["url"] });
      const elsewhere = await request(api.server).post(path(other)).set(asAdmin(other)).send({ url: "https://hello.com" });
      expect(elsewhere.status).toBe(200);
    });

    describeWithPostgres("writes that lose a race after the checks passed", () => {
      // Another session holds an uncommitted change, so the API's checks pass and its write waits
      // on that session; once it commits, the write fails in PostgreSQL and must still be a 422.
      async function raceAgainst(sql: string, params: unknown[], send: () => request.Test): Promise<request.Response> {
        const blocker = db.dataSource.createQueryRunner();
        await blocker.connect();
        try {
          await blocker.startTransaction();
          await blocker.query(sql, params);
          const pending = send().then((res) => res);
          await waitForLockWait();
          await blocker.commitTransaction();
          return await pending;
        } finally {
          await blocker.release();
        }
      }

      async function waitForLockWait(): Promise<void> {
        for (let i = 0; i < 200; i += 1) {
          const rows = await db.dataSource.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
          if (rows.length > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error("the API's write never waited on the other session");
      }

      it("maps a unique violation on create to 'Url has already been taken'", async () => {
        const res = await raceAgainst(
          `INSERT INTO webhooks (account_id, url, subscriptions, secret) VALUES ($1, 'https://race.example.com', '["message_created"]', 's')`,
          [acme.account.id],
          () => request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://race.example.com" }),
        );
        expect([res.status, res.body]).toEqual([422, { message: "Url has already been taken", attributes: ["url"] }]);
        expect(await db.dataSource.getRepository(Webhook).countBy({ accountId: acme.account.id })).toBe(1);
      });

      it("maps a unique violation on update to 'Url has already been taken'", async () => {
        const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://mine.example.com");
        const res = await raceAgainst(
          `INSERT INTO webhooks (account_id, url, subscriptions, secret) VALUES ($1, 'https://race.example.com', '["message_created"]', 's')`,
          [acme.account.id],
          () => request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ url: "https://race.example.com" }),
        );
        expect([res.status, res.body]).toEqual([422, { message: "Url has already been taken", attributes: ["url"] }]);
        expect((await rowOf(webhook.id)).url).toBe("https://mine.example.com");
      });

      it("maps an inbox deleted meanwhile to 'Inbox is invalid'", async () => {
        const doomed = await makeInbox(db.dataSource, acme.account.id, { name: "Doomed" });
        const res = await raceAgainst(`DELETE FROM inboxes WHERE id = $1`, [doomed.id], () =>
          request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://inbox-race.example.com", inbox_id: doomed.id }),
        );
        expect([res.status, res.body]).toEqual([422, { message: "Inbox is invalid", attributes: ["inbox_id"] }]);
        expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
      });
    });

    it("lists every failure, joined by ', ', with their attributes", async () => {
      const res = await request(api.server)
        .post(path(acme))
        .set(asAdmin(acme))
        .send({ url: "javascript:alert(1)", name: "x".repeat(256), subscriptions: ["nope"], inbox_id: other.inbox.id, enabled: "yes" });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        message: "Url is invalid, Name is too long (maximum is 255 characters), Subscriptions Invalid events, Inbox is invalid, Enabled is invalid",
        attributes: ["url", "name", "subscriptions", "inbox_id", "enabled"],
      });
    });

    it("limits names to 255 characters (counted as characters, not UTF-16 units)", async () => {
      const long = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", name: "x".repeat(256) });
      expect(long.body).toEqual({ message: "Name is too long (maximum is 255 characters)", attributes: ["name"] });
      const emoji = "\u{1F600}".repeat(255);
      const ok = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", name: emoji });
      expect(ok.status).toBe(200);
      expect((await rowOf(ok.body.payload.webhook.id)).name).toBe(emoji);
      const notString = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://other.example.com", name: 42 });
      expect(notString.body).toEqual({ message: "Name is invalid", attributes: ["name"] });
    });

    it("nests the inbox of the same account, and rejects another account's or a missing inbox", async () => {
      const own = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", inbox_id: acme.inbox.id });
      expect(own.body.payload.webhook.inbox).toEqual({ id: acme.inbox.id, name: acme.inbox.name });
      for (const inboxId of [other.inbox.id, 987654, -1, 1.5, "abc", true, [acme.inbox.id]]) {
        const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://x.example.com", inbox_id: inboxId });
        expect([inboxId, res.status, res.body]).toEqual([inboxId, 422, { message: "Inbox is invalid", attributes: ["inbox_id"] }]);
      }
      const asString = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://string-id.example.com", inbox_id: String(acme.inbox.id) });
      expect(asString.body.payload.webhook.inbox).toEqual({ id: acme.inbox.id, name: acme.inbox.name });
    });

    it("creates a switched-off webhook with enabled: false", async () => {
      const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "https://hello.com", enabled: false });
      expect(res.body.payload.webhook).toMatchObject({ enabled: false, disabled_reason: "manual" });
    });

    it("requires the webhook parameter", async () => {
      for (const body of [{}, { foo: 1 }, { webhook: {} }, { webhook: "https://hello.com" }, [], [{ url: "https://hello.com" }]]) {
        const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send(body as object);
        expect([body, res.status, res.body]).toEqual([body, 422, { error: "param is missing or the value is empty: webhook" }]);
      }
      const none = await request(api.server).post(path(acme)).set(asAdmin(acme));
      expect(none.body).toEqual({ error: "param is missing or the value is empty: webhook" });
    });

    it("answers a create of only keys it does not write as Chatwoot does: the webhook has no url", async () => {
      for (const body of [{ webhook: { secret: "x" } }, { secret: "x", account_id: other.account.id, webhook_type: 1 }]) {
        const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send(body);
        expect([body, res.status, res.body]).toEqual([body, 422, { message: "Url is invalid", attributes: ["url"] }]);
      }
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual([]);
    });

    describe("address policy", () => {
      it("rejects literal private addresses and localhost by default, but not other host names (checked when sending)", async () => {
        for (const url of ["http://192.168.1.10:8000/webhook", "http://[::1]:3000/webhook", "http://127.0.0.1/", "http://0x7f.1/", "http://2130706433/", "http://localhost:3000/webhook"]) {
          const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url });
          expect([url, res.status, res.body]).toEqual([url, 422, { message: "Url is invalid", attributes: ["url"], reason: PRIVATE_ADDRESS_REASON }]);
        }
        const named = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: "http://internal.example.test:3000/webhook" });
        expect(named.status).toBe(200);
      });

      it("accepts them with allowPrivateNetwork (Chatwoot's model spec cases)", async () => {
        await withOtherApi({ allowPrivateNetwork: true }, async (open) => {
          for (const url of ["https://example.com/webhook", "http://192.168.1.10:8000/webhook", "http://localhost:3000/webhook", "http://[::1]:3000/webhook"]) {
            const res = await request(open.server).post(path(acme)).set(asAdmin(acme)).send({ url });
            expect([url, res.status]).toEqual([url, 200]);
          }
        });
      });

      it("accepts addresses inside allowedCidrs only", async () => {
        await withOtherApi({ allowedCidrs: ["10.1.2.0/24"] }, async (narrow) => {
          const inside = await request(narrow.server).post(path(acme)).set(asAdmin(acme)).send({ url: "http://10.1.2.3/hook" });
          expect(inside.status).toBe(200);
          const outside = await request(narrow.server).post(path(acme)).set(asAdmin(acme)).send({ url: "http://10.1.3.3/hook" });
          expect(outside.body).toEqual({ message: "Url is invalid", attributes: ["url"], reason: PRIVATE_ADDRESS_REASON });
        });
      });
    });
  });

  describe("GET /webhooks/:id", () => {
    it("shows one webhook of the account", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com", { name: "One" });
      const res = await request(api.server).get(path(acme, `/${webhook.id}`)).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(res.body.payload.webhook).toMatchObject({ id: webhook.id, name: "One", url: "https://hello.com", secret: webhook.secret });
    });

    it("answers 404 for another account's webhook and unknown ids", async () => {
      const foreign = await makeWebhook(db.dataSource, other.account.id, "https://hello.com");
      for (const id of [String(foreign.id), "987654", "0", "-1", "abc", "1.0", "2147483648"]) {
        const res = await request(api.server).get(path(acme, `/${id}`)).set(asAdmin(acme));
        expect([id, res.status, res.body]).toEqual([id, 404, { error: "Resource could not be found" }]);
      }
    });
  });

  describe("PATCH and PUT /webhooks/:id", () => {
    it("updates url and name (Chatwoot's PUT with the webhook's own URL)", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com", { name: "My Webhook", inboxId: acme.inbox.id });
      const res = await request(api.server).put(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ url: "https://hello.com", name: "Another Webhook" });
      expect(res.status).toBe(200);
      expect(res.body.payload.webhook.url).toBe("https://hello.com");
      expect(res.body.payload.webhook.name).toBe("Another Webhook");
    });

    it("changes only the keys present, with PATCH and PUT alike, and never the secret", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com", { name: "Keep", subscriptions: ["message_created"], inboxId: acme.inbox.id });
      const patched = await request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ name: "Renamed", secret: "mine" });
      expect(patched.status).toBe(200);
      expect(patched.body.payload.webhook).toEqual({
        id: webhook.id,
        name: "Renamed",
        url: "https://hello.com",
        account_id: acme.account.id,
        subscriptions: ["message_created"],
        secret: webhook.secret,
        inbox: { id: acme.inbox.id, name: acme.inbox.name },
        enabled: true,
        disabled_reason: null,
        ordered: false,
      });
      const put = await request(api.server).put(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ webhook: { subscriptions: ["contact_created", "contact_created"] } });
      expect(put.body.payload.webhook).toMatchObject({ name: "Renamed", url: "https://hello.com", subscriptions: ["contact_created"], secret: webhook.secret });
      const row = await rowOf(webhook.id);
      expect(row).toMatchObject({ name: "Renamed", url: "https://hello.com", subscriptions: ["contact_created"], secret: webhook.secret, inboxId: acme.inbox.id });
      expect(row.updatedAt.getTime()).toBeGreaterThan(webhook.updatedAt.getTime());
    });

    // Chatwoot's webhooks_controller permits url, name, subscriptions and inbox_id; strong
    // parameters drop the rest, and Rails wraps un-wrapped keys that are webhook columns.
    it("answers 200 and changes nothing for a body of keys it does not write (Rails' strong parameters)", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com", { name: "Keep" });
      const before = await dumpTable(db.dataSource, "webhooks");
      for (const body of [{ webhook: { secret: "x" } }, { secret: "x" }, { webhook: { account_id: other.account.id, webhook_type: 1 } }, { account_id: other.account.id }, { webhook: { unknown: true } }]) {
        for (const method of ["patch", "put"] as const) {
          const res = await request(api.server)[method](path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send(body);
          expect([body, method, res.status, res.body.payload?.webhook?.secret, res.body.payload?.webhook?.name]).toEqual([body, method, 200, webhook.secret, "Keep"]);
        }
      }
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual(before);
      // Keys that are neither webhook columns nor wrapped are still no webhook parameter at all.
      const nothing = await request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ unknown: true });
      expect([nothing.status, nothing.body]).toEqual([422, { error: "param is missing or the value is empty: webhook" }]);
    });

    it("keeps subscriptions when they are sent as null, clears name and inbox when those are null", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com", { name: "N", subscriptions: ["message_created"], inboxId: acme.inbox.id });
      const res = await request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ subscriptions: null, name: null, inbox_id: null });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.payload.webhook)).toEqual(W_KEYS);
      expect(res.body.payload.webhook).toMatchObject({ name: null, subscriptions: ["message_created"] });
    });

    it("rejects invalid values and leaves the row as it was", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com");
      await makeWebhook(db.dataSource, acme.account.id, "https://taken.example.com");
      const before = await dumpTable(db.dataSource, "webhooks");
      const cases: Array<[object, object]> = [
        [{ url: "https://taken.example.com" }, { message: "Url has already been taken", attributes: ["url"] }],
        [{ url: null }, { message: "Url is invalid", attributes: ["url"] }],
        [{ url: "javascript:alert(1)" }, { message: "Url is invalid", attributes: ["url"] }],
        [{ subscriptions: [] }, { message: "Subscriptions Invalid events", attributes: ["subscriptions"] }],
        [{ inbox_id: other.inbox.id }, { message: "Inbox is invalid", attributes: ["inbox_id"] }],
        [{ enabled: "false" }, { message: "Enabled is invalid", attributes: ["enabled"] }],
        [{ enabled: null }, { message: "Enabled is invalid", attributes: ["enabled"] }],
        [{}, { error: "param is missing or the value is empty: webhook" }],
      ];
      for (const [body, expected] of cases) {
        const res = await request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send(body);
        expect([body, res.status, res.body]).toEqual([body, 422, expected]);
      }
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual(before);
    });

    it("switches a webhook off and on: off records 'manual', on clears the reason and the failure streak", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com");
      const off = await request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ enabled: false });
      expect(off.body.payload.webhook).toMatchObject({ enabled: false, disabled_reason: "manual" });
      expect(await rowOf(webhook.id)).toMatchObject({ enabled: false, disabledReason: "manual" });
      const on = await request(api.server).patch(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ enabled: true });
      expect(on.body.payload.webhook).toMatchObject({ enabled: true, disabled_reason: null });

      const failing = await makeWebhook(db.dataSource, acme.account.id, "https://failing.example.com", { enabled: false, disabledReason: "failing", failingSince: new Date("2026-01-01T00:00:00Z") });
      const again = await request(api.server).put(path(acme, `/${failing.id}`)).set(asAdmin(acme)).send({ enabled: true });
      expect(again.body.payload.webhook).toMatchObject({ enabled: true, disabled_reason: null });
      expect(await rowOf(failing.id)).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    });

    it("keeps the failure streak of a running webhook on enabled: true, and the reason of a stopped one on enabled: false", async () => {
      const since = new Date("2026-01-01T00:00:00Z");
      const running = await makeWebhook(db.dataSource, acme.account.id, "https://running.example.com", { failingSince: since });
      await request(api.server).patch(path(acme, `/${running.id}`)).set(asAdmin(acme)).send({ enabled: true }).expect(200);
      expect((await rowOf(running.id)).failingSince).toEqual(since);
      const gone = await makeWebhook(db.dataSource, acme.account.id, "https://gone.example.com", { enabled: false, disabledReason: "gone" });
      const res = await request(api.server).patch(path(acme, `/${gone.id}`)).set(asAdmin(acme)).send({ enabled: false, name: "Renamed" });
      expect(res.body.payload.webhook).toMatchObject({ enabled: false, disabled_reason: "gone", name: "Renamed" });
    });

    it("answers 404 for another account's webhook and leaves it unchanged", async () => {
      const foreign = await makeWebhook(db.dataSource, other.account.id, "https://hello.com", { name: "Theirs" });
      const before = await dumpTable(db.dataSource, "webhooks");
      for (const method of ["patch", "put"] as const) {
        const res = await request(api.server)[method](path(acme, `/${foreign.id}`)).set(asAdmin(acme)).send({ name: "Mine now", url: "https://evil.example.com" });
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: "Resource could not be found" });
      }
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual(before);
    });
  });

  describe("DELETE /webhooks/:id", () => {
    it("deletes the webhook and answers 200 with an empty body", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com");
      const res = await request(api.server).delete(path(acme, `/${webhook.id}`)).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(res.text).toBe("");
      expect(await db.dataSource.getRepository(Webhook).countBy({ accountId: acme.account.id })).toBe(0);
      const again = await request(api.server).delete(path(acme, `/${webhook.id}`)).set(asAdmin(acme));
      expect(again.status).toBe(404);
      expect(again.body).toEqual({ error: "Resource could not be found" });
    });

    it("answers 404 for another account's webhook and keeps it", async () => {
      const foreign = await makeWebhook(db.dataSource, other.account.id, "https://hello.com");
      const before = await dumpTable(db.dataSource, "webhooks");
      const res = await request(api.server).delete(path(acme, `/${foreign.id}`)).set(asAdmin(acme));
      expect(res.status).toBe(404);
      expect(await dumpTable(db.dataSource, "webhooks")).toEqual(before);
    });
  });

  describe("bad requests", () => {
    it("answers malformed JSON with 400 and a JSON error", async () => {
      const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).set("Content-Type", "application/json").send('{"url": "https://hello.com",');
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: "Request body is not valid JSON" });
    });

    it("answers wrong types with 422, not 500", async () => {
      const res = await request(api.server).post(path(acme)).set(asAdmin(acme)).send({ url: ["https://hello.com"], name: { first: "x" }, subscriptions: "all", inbox_id: {}, enabled: 1 });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        message: "Url is invalid, Name is invalid, Subscriptions Invalid events, Inbox is invalid, Enabled is invalid",
        attributes: ["url", "name", "subscriptions", "inbox_id", "enabled"],
      });
    });

    it("answers unknown paths under /webhooks with a JSON 404, and marks responses uncacheable", async () => {
      const webhook = await makeWebhook(db.dataSource, acme.account.id, "https://hello.com");
      const unknown = await request(api.server).get(path(acme, `/${webhook.id}/nothing`)).set(asAdmin(acme));
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error: "Resource could not be found" });
      const wrongMethod = await request(api.server).post(path(acme, `/${webhook.id}`)).set(asAdmin(acme)).send({ url: "https://x.example.com" });
      expect(wrongMethod.status).toBe(404);
      const list = await request(api.server).get(path(acme)).set(asAdmin(acme));
      expect(list.headers["cache-control"]).toBe("no-store");
    });

    it("treats a user with a role other than administrator as an agent", async () => {
      const account = await makeAccount(db.dataSource);
      const { token } = await makeUser(db.dataSource, account.id, "supervisor" as never);
      const res = await request(api.server).get(`/api/v1/accounts/${account.id}/webhooks`).set("api_access_token", token);
      expect(res.body).toEqual(NOT_ADMINISTRATOR);
    });
  });
});
