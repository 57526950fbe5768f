import { randomUUID } from "node:crypto";
import request from "supertest";
import type { AttemptRecord } from "../../src/context";
import { WebhookAttempt, WebhookDelivery, WebhookEvent, type Webhook } from "../../src/entities";
import { ConflictError } from "../../src/errors";
import type { DeliveryStatus } from "../../src/types";
import { buildApi, buildApiWithRedeliver, dumpTable, makeTenant, type ApiHarness, type Tenant, NOT_ADMINISTRATOR, NOT_IN_ACCOUNT } from "../helpers/api";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeWebhook } from "../helpers/fixtures";

const DELIVERY_KEYS = ["id", "event", "status", "attempts", "next_attempt_at", "last_status_code", "last_error", "created_at", "last_attempt_at", "completed_at", "ordering_key"];
const STATUSES: DeliveryStatus[] = ["pending", "succeeded", "failed"];
const BASE_TIME = Date.parse("2026-03-03T13:00:00.000Z");
const NOT_FOUND = { error: "Resource could not be found" };

describe("delivery log API", () => {
  let db: TestDatabase;
  let api: ApiHarness;
  let acme: Tenant;
  let other: Tenant;
  let hook: Webhook;
  let sibling: Webhook;
  let foreign: Webhook;
  /** hook's 30 deliveries, newest first. */
  let logged: WebhookDelivery[];
  let siblingDelivery: WebhookDelivery;
  let foreignDelivery: WebhookDelivery;
  let unsent: WebhookDelivery;
  const detailedBody = '{"event":"message_created","content":"H\u00e9llo \u2603 <b>",  "id":1}';

  const base = (tenant: Tenant, webhook: { id: number }) => `/api/v1/accounts/${tenant.account.id}/webhooks/${webhook.id}/deliveries`;
  const asAdmin = (tenant: Tenant) => ({ api_access_token: tenant.adminToken });

  async function insertDelivery(webhook: Webhook, index: number, fields: Partial<WebhookDelivery> = {}, body: string | null = `{"n":${index}}`): Promise<WebhookDelivery> {
    const manager = db.dataSource.manager;
    const event = await manager.save(WebhookEvent, { accountId: webhook.accountId, event: "message_created", body });
    const status = STATUSES[index % 3];
    const createdAt = new Date(BASE_TIME + index * 60_000);
    const delivery = manager.create(WebhookDelivery, {
      id: randomUUID(),
      eventId: event.id,
      webhookId: webhook.id,
      accountId: webhook.accountId,
      event: index % 2 === 0 ? "message_created" : "conversation_updated",
      status,
      attempts: status === "pending" ? 0 : 1 + (index % 4),
      nextAttemptAt: status === "pending" ? new Date(createdAt.getTime() + 5000) : null,
      lastAttemptAt: status === "pending" ? null : new Date(createdAt.getTime() + 1000),
      lastStatusCode: status === "succeeded" ? 200 : status === "failed" ? 500 : null,
      lastError: status === "failed" ? "HTTP 500" : null,
      completedAt: status === "pending" ? null : new Date(createdAt.getTime() + 1000),
      ...fields,
    });
    await manager.save(delivery);
    // created_at is a CreateDateColumn: set the time this test wants explicitly.
    await manager.update(WebhookDelivery, { id: delivery.id }, { createdAt: fields.createdAt ?? createdAt });
    return manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });
  }

  beforeAll(async () => {
    db = await createTestDatabase("deliveries_api");
    api = buildApi(db.dataSource);
    acme = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
    // Loopback URLs on a closed port: even a wrongly allowed redelivery could reach nothing outside.
    hook = await makeWebhook(db.dataSource, acme.account.id, "http://127.0.0.1:9/hook");
    sibling = await makeWebhook(db.dataSource, acme.account.id, "http://127.0.0.1:9/sibling");
    foreign = await makeWebhook(db.dataSource, other.account.id, "http://127.0.0.1:9/hook");
    const inserted: WebhookDelivery[] = [];
    // Inserted in a shuffled order, so that the order of the answer comes from created_at alone.
    for (const index of Array.from({ length: 30 }, (_, i) => (i * 7) % 30)) {
      inserted.push(await insertDelivery(hook, index, {}, index === 29 ? detailedBody : `{"n":${index}}`));
    }
    logged = inserted.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    siblingDelivery = await insertDelivery(sibling, 40);
    foreignDelivery = await insertDelivery(foreign, 41);
    unsent = await insertDelivery(sibling, 42, { status: "pending", attempts: 0 }, null);
    const newest = logged[0];
    // Out of order on purpose: the detail lists attempts by time.
    await db.dataSource.manager.insert(WebhookAttempt, [
      { deliveryId: newest.id, attemptedAt: new Date(BASE_TIME + 3_000_000), durationMs: 40, statusCode: 200, error: null, responseBody: "ok", trigger: "manual" },
      { deliveryId: newest.id, attemptedAt: new Date(BASE_TIME + 1_000_000), durationMs: 12, statusCode: 500, error: "HTTP 500", responseBody: "boom", trigger: "scheduled" },
      { deliveryId: newest.id, attemptedAt: new Date(BASE_TIME + 2_000_000), durationMs: 5000, statusCode: null, error: "timeout after 5000 ms", responseBody: null, trigger: "scheduled" },
    ]);
  });

  const stubs: ApiHarness[] = [];
  /** The router on a hand-built context whose `redeliver` is `fn`. */
  const stubApi = (fn: Parameters<typeof buildApiWithRedeliver>[1]) => {
    const stub = buildApiWithRedeliver(db.dataSource, fn);
    stubs.push(stub);
    return stub;
  };

  afterAll(async () => {
    for (const stub of stubs) await stub.close();
    await api.close();
    await db.drop();
  });

  afterEach(() => {
    expect(api.errors).toEqual([]);
  });

  describe("GET .../deliveries", () => {
    it("lists the webhook's deliveries newest first, 25 per page, with the total count", async () => {
      const res = await request(api.server).get(base(acme, hook)).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(["payload", "meta"]);
      expect(res.body.meta).toEqual({ page: 1, per_page: 25, count: 30 });
      expect(res.body.payload.deliveries.map((d: { id: string }) => d.id)).toEqual(logged.slice(0, 25).map((d) => d.id));
      for (const item of res.body.payload.deliveries) expect(Object.keys(item)).toEqual(DELIVERY_KEYS);
    });

    it("serializes each delivery's fields with ISO times", async () => {
      const res = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ per_page: "30" });
      const byId = new Map(res.body.payload.deliveries.map((d: { id: string }) => [d.id, d]));
      const failed = logged.find((d) => d.status === "failed") as WebhookDelivery;
      const pending = logged.find((d) => d.status === "pending") as WebhookDelivery;
      expect(byId.get(failed.id)).toEqual({
        id: failed.id,
        event: failed.event,
        status: "failed",
        attempts: failed.attempts,
        next_attempt_at: null,
        last_status_code: 500,
        last_error: "HTTP 500",
        created_at: failed.createdAt.toISOString(),
        last_attempt_at: (failed.lastAttemptAt as Date).toISOString(),
        completed_at: (failed.completedAt as Date).toISOString(),
        ordering_key: null,
      });
      expect(byId.get(pending.id)).toMatchObject({ status: "pending", attempts: 0, next_attempt_at: (pending.nextAttemptAt as Date).toISOString(), last_attempt_at: null, last_status_code: null, completed_at: null });
    });

    it("pages with page and per_page, and clamps per_page to 100", async () => {
      const second = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ page: "2" });
      expect(second.body.meta).toEqual({ page: 2, per_page: 25, count: 30 });
      expect(second.body.payload.deliveries.map((d: { id: string }) => d.id)).toEqual(logged.slice(25).map((d) => d.id));
      const third = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ page: "3", per_page: "10" });
      expect(third.body.payload.deliveries.map((d: { id: string }) => d.id)).toEqual(logged.slice(20, 30).map((d) => d.id));
      const clamped = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ per_page: "1000" });
      expect(clamped.body.meta).toEqual({ page: 1, per_page: 100, count: 30 });
      expect(clamped.body.payload.deliveries).toHaveLength(30);
      const beyond = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ page: "99" });
      expect(beyond.body).toEqual({ payload: { deliveries: [] }, meta: { page: 99, per_page: 25, count: 30 } });
    });

    it("filters by status", async () => {
      for (const status of STATUSES) {
        const expected = logged.filter((d) => d.status === status);
        const res = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ status });
        expect(res.body.meta).toEqual({ page: 1, per_page: 25, count: expected.length });
        expect(res.body.payload.deliveries.map((d: { id: string }) => d.id)).toEqual(expected.map((d) => d.id));
      }
      const paged = await request(api.server).get(base(acme, hook)).set(asAdmin(acme)).query({ status: "failed", per_page: "3", page: "2" });
      expect(paged.body.payload.deliveries.map((d: { id: string }) => d.id)).toEqual(logged.filter((d) => d.status === "failed").slice(3, 6).map((d) => d.id));
    });

    it("rejects an unknown status and impossible pages with 422", async () => {
      const cases: Array<[string, object]> = [
        ["status=bogus", { message: "Status is invalid", attributes: ["status"] }],
        ["status=PENDING", { message: "Status is invalid", attributes: ["status"] }],
        ["status=pending&status=failed", { message: "Status is invalid", attributes: ["status"] }],
        ["status=%20pending", { message: "Status is invalid", attributes: ["status"] }],
        ["page=0", { message: "Page is invalid", attributes: ["page"] }],
        ["page=-1", { message: "Page is invalid", attributes: ["page"] }],
        ["page=abc", { message: "Page is invalid", attributes: ["page"] }],
        ["page=1.5", { message: "Page is invalid", attributes: ["page"] }],
        ["page=99999999999999999999", { message: "Page is invalid", attributes: ["page"] }],
        ["per_page=0", { message: "Per page is invalid", attributes: ["per_page"] }],
        ["status=x&page=x&per_page=x", { message: "Status is invalid, Page is invalid, Per page is invalid", attributes: ["status", "page", "per_page"] }],
      ];
      for (const [query, expected] of cases) {
        const res = await request(api.server).get(`${base(acme, hook)}?${query}`).set(asAdmin(acme));
        expect([query, res.status, res.body]).toEqual([query, 422, expected]);
      }
    });

    it("lists only the deliveries of the webhook in the path", async () => {
      const res = await request(api.server).get(base(acme, sibling)).set(asAdmin(acme));
      expect(res.body.payload.deliveries.map((d: { id: string }) => d.id).sort()).toEqual([siblingDelivery.id, unsent.id].sort());
      expect(res.body.meta.count).toBe(2);
    });

    it("answers 404 for another account's webhook and for unknown webhook ids", async () => {
      for (const id of [String(foreign.id), "987654", "0", "abc", "-1", "2147483648"]) {
        const res = await request(api.server).get(base(acme, { id: id as unknown as number })).set(asAdmin(acme));
        expect([id, res.status, res.body]).toEqual([id, 404, NOT_FOUND]);
      }
    });
  });

  describe("GET .../deliveries/:delivery_id", () => {
    it("shows the delivery, the exact body sent, and every attempt oldest first", async () => {
      const newest = logged[0];
      const res = await request(api.server).get(`${base(acme, hook)}/${newest.id}`).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.payload)).toEqual(["delivery"]);
      const delivery = res.body.payload.delivery;
      expect(Object.keys(delivery)).toEqual([...DELIVERY_KEYS, "waiting_for", "body", "attempts_log"]);
      expect(delivery.waiting_for).toBeNull();
      expect(delivery.id).toBe(newest.id);
      expect(delivery.body).toBe(detailedBody);
      // The body is a string inside the JSON answer, byte for byte what was stored.
      expect(res.text).toContain(`"body":${JSON.stringify(detailedBody)}`);
      expect(delivery.attempts_log).toHaveLength(3);
      expect(delivery.attempts_log.map((a: { attempted_at: string }) => a.attempted_at)).toEqual([
        new Date(BASE_TIME + 1_000_000).toISOString(),
        new Date(BASE_TIME + 2_000_000).toISOString(),
        new Date(BASE_TIME + 3_000_000).toISOString(),
      ]);
      const [first, second, third] = delivery.attempts_log;
      expect(Object.keys(first)).toEqual(["id", "attempted_at", "duration_ms", "status_code", "error", "response_body", "trigger", "final_url"]);
      expect(first).toMatchObject({ duration_ms: 12, status_code: 500, error: "HTTP 500", response_body: "boom", trigger: "scheduled" });
      expect(second).toMatchObject({ duration_ms: 5000, status_code: null, error: "timeout after 5000 ms", response_body: null, trigger: "scheduled" });
      expect(third).toMatchObject({ duration_ms: 40, status_code: 200, error: null, response_body: "ok", trigger: "manual" });
      expect(typeof first.id).toBe("number");
    });

    it("shows a delivery whose body is not built yet with body null and no attempts", async () => {
      const res = await request(api.server).get(`${base(acme, sibling)}/${unsent.id}`).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(res.body.payload.delivery).toMatchObject({ id: unsent.id, status: "pending", body: null, attempts_log: [] });
    });

    it("accepts the delivery id in upper case", async () => {
      const res = await request(api.server).get(`${base(acme, sibling)}/${siblingDelivery.id.toUpperCase()}`).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(res.body.payload.delivery.id).toBe(siblingDelivery.id);
    });

    it("answers 404 for deliveries of other webhooks or accounts, unknown and malformed ids", async () => {
      const cases: Array<[string, string]> = [
        ["another webhook's delivery", `${base(acme, hook)}/${siblingDelivery.id}`],
        ["another account's delivery under our webhook", `${base(acme, hook)}/${foreignDelivery.id}`],
        ["another account's webhook and delivery", `${base(acme, foreign)}/${foreignDelivery.id}`],
        ["unknown uuid", `${base(acme, hook)}/${randomUUID()}`],
        ["not a uuid", `${base(acme, hook)}/abc`],
        ["a number", `${base(acme, hook)}/123`],
        ["uuid without hyphens", `${base(acme, hook)}/${logged[0].id.replace(/-/g, "")}`],
        ["uuid in braces", `${base(acme, hook)}/%7B${logged[0].id}%7D`],
        ["SQL", `${base(acme, hook)}/${encodeURIComponent("' OR '1'='1")}`],
        ["webhook id not a number", `/api/v1/accounts/${acme.account.id}/webhooks/abc/deliveries/${logged[0].id}`],
      ];
      for (const [label, url] of cases) {
        const res = await request(api.server).get(url).set(asAdmin(acme));
        expect([label, res.status, res.body]).toEqual([label, 404, NOT_FOUND]);
      }
    });
  });

  describe("authorization", () => {
    it("answers 401 to agents, strangers and other accounts' administrators on every delivery route", async () => {
      const urls: Array<["get" | "post", string]> = [
        ["get", base(acme, hook)],
        ["get", `${base(acme, hook)}/${logged[0].id}`],
        ["post", `${base(acme, hook)}/${logged[0].id}/redeliver`],
      ];
      const callers: Array<[Record<string, string>, object]> = [
        [{ api_access_token: acme.agentToken }, NOT_ADMINISTRATOR],
        [{}, { errors: ["You need to sign in or sign up before continuing."] }],
        [{ api_access_token: "wrong" }, { error: "Invalid Access Token" }],
        [asAdmin(other), NOT_IN_ACCOUNT],
      ];
      const attemptsBefore = await dumpTable(db.dataSource, "webhook_attempts");
      for (const [method, url] of urls) {
        for (const [headers, body] of callers) {
          const res = await request(api.server)[method](url).set(headers);
          expect([method, url, res.status, res.body]).toEqual([method, url, 401, body]);
        }
      }
      expect(await dumpTable(db.dataSource, "webhook_attempts")).toEqual(attemptsBefore);
    });
  });

  describe("POST .../deliveries/:delivery_id/redeliver", () => {
    const record: AttemptRecord = {
      ok: true,
      status: 200,
      durationMs: 31,
      error: null,
      responseBody: "thanks",
      retryAfter: null,
      deliveryId: "",
      webhookId: 0,
      kind: "account",
      accountId: 0,
      event: "message_created",
      attempt: 4,
      trigger: "manual",
      deliveryStatus: "succeeded",
      nextAttemptAt: null,
      attemptedAt: new Date("2026-03-03T14:00:00.000Z"),
      committedAt: new Date("2026-03-03T13:59:59.000Z"),
    };

    it("asks the dispatcher for one manual attempt and answers with its record in snake_case", async () => {
      const calls: string[] = [];
      const stub = stubApi(async (deliveryId) => {
        calls.push(deliveryId);
        return { ...record, deliveryId, webhookId: hook.id, accountId: acme.account.id };
      });
      const target = logged[1];
      const res = await request(stub.server).post(`${base(acme, hook)}/${target.id.toUpperCase()}/redeliver`).set(asAdmin(acme));
      expect(res.status).toBe(200);
      expect(calls).toEqual([target.id]);
      expect(res.body).toEqual({
        payload: {
          attempt: {
            delivery_id: target.id,
            webhook_id: hook.id,
            account_id: acme.account.id,
            event: "message_created",
            attempt: 4,
            trigger: "manual",
            ok: true,
            status: 200,
            duration_ms: 31,
            error: null,
            response_body: "thanks",
            retry_after: null,
            final_url: null,
            delivery_status: "succeeded",
            next_attempt_at: null,
            attempted_at: "2026-03-03T14:00:00.000Z",
          },
        },
      });
      expect(stub.errors).toEqual([]);
    });

    it("checks ownership before calling the dispatcher: other webhooks', other accounts', unknown and malformed ids are 404", async () => {
      const calls: string[] = [];
      const stub = stubApi(async (deliveryId) => {
        calls.push(deliveryId);
        return record;
      });
      const urls = [
        `${base(acme, hook)}/${siblingDelivery.id}/redeliver`,
        `${base(acme, hook)}/${foreignDelivery.id}/redeliver`,
        `${base(acme, foreign)}/${foreignDelivery.id}/redeliver`,
        `${base(acme, hook)}/${randomUUID()}/redeliver`,
        `${base(acme, hook)}/not-a-uuid/redeliver`,
        `/api/v1/accounts/${acme.account.id}/webhooks/0/deliveries/${logged[0].id}/redeliver`,
      ];
      for (const url of urls) {
        for (const app of [stub.server, api.server]) {
          const res = await request(app).post(url).set(asAdmin(acme));
          expect([url, res.status, res.body]).toEqual([url, 404, NOT_FOUND]);
        }
      }
      expect(calls).toEqual([]);
      const agent = await request(stub.server).post(`${base(acme, hook)}/${logged[0].id}/redeliver`).set("api_access_token", acme.agentToken);
      expect(agent.status).toBe(401);
      expect(calls).toEqual([]);
      expect(stub.errors).toEqual([]);
    });

    it("answers the dispatcher's conflict as 409 and an unexpected failure as a logged 500", async () => {
      const conflict = stubApi(async () => {
        throw new ConflictError("This delivery is being attempted right now; try again in a moment.");
      });
      const busy = await request(conflict.server).post(`${base(acme, hook)}/${logged[0].id}/redeliver`).set(asAdmin(acme));
      expect(busy.status).toBe(409);
      expect(busy.body).toEqual({ error: "This delivery is being attempted right now; try again in a moment." });
      expect(conflict.errors).toEqual([]);

      const broken = stubApi(async () => {
        throw new Error("connection reset by database");
      });
      const failed = await request(broken.server).post(`${base(acme, hook)}/${logged[0].id}/redeliver`).set(asAdmin(acme));
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ error: "Internal server error" });
      expect(failed.text).not.toContain("connection reset");
      expect(broken.errors).toHaveLength(1);
      expect((broken.errors[0].obj as { err: Error }).err.message).toBe("connection reset by database");
    });
  });
});
