/**
 * Secret rotation with an overlap, for account webhooks: `…/webhooks/:id/rotate_secret`. What the
 * receivers saw, checked with the `standardwebhooks` package and a Chatwoot-style HMAC verifier,
 * before, during and after the overlap (ended by expiry on the injected clock, or early); a retry
 * of a delivery made before the rotation; the route's answers, validation, auth and isolation.
 */
import { createServer, type Server } from "node:http";
import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, Webhook } from "../../src/entities";
import { isChatwootError, makeTenant, type Tenant } from "../helpers/api";
import { testClock, type TestClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeContact, makeConversation, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { chatwootAccepts, standardAccepts } from "../helpers/signatures";
import { settle, testWebhooks } from "../helpers/webhooks";

describe("secret rotation of account webhooks", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;
  let server: Server;
  let clock: TestClock;
  let tenant: Tenant;
  let other: Tenant;
  /** What the logger was told of errors: a request that ended in a 500 shows up here. */
  const errors: unknown[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("secret_rotation");
    clock = testClock(new Date());
    const quiet = () => undefined;
    webhooks = testWebhooks(db.dataSource, { clock, retryJitter: 0, retrySchedule: [10_000, 10_000], logger: { debug: quiet, info: quiet, warn: quiet, error: (obj, msg) => errors.push({ obj, msg }) } });
    server = createServer(express().use("/api/v1", webhooks.router)).listen(0, "127.0.0.1");
    tenant = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
  });

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver.close();
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await webhooks.close();
    await db.drop();
  });

  const as = (t: Tenant) => ({ api_access_token: t.adminToken });
  const path = (t: Tenant, id: number | string) => `/api/v1/accounts/${t.account.id}/webhooks/${id}/rotate_secret`;
  const rotate = (id: number, body?: object, t = tenant) => request(server).post(path(t, id)).set(as(t)).send(body);

  async function createWebhook(): Promise<{ id: number; secret: string }> {
    const res = await request(server)
      .post(`/api/v1/accounts/${tenant.account.id}/webhooks`)
      .set(as(tenant))
      .send({ url: `${receiver.url}/hook/${Math.random()}`, subscriptions: ["message_created"] });
    expect(res.status).toBe(200);
    return res.body.payload.webhook;
  }

  /** Save a message in the tenant's inbox and run the dispatcher: one delivery to the webhook. */
  async function deliverOne() {
    const contact = await makeContact(db.dataSource, tenant.account.id);
    const conversation = await makeConversation(db.dataSource, tenant.inbox, contact);
    const before = receiver.requests.length;
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, conversation));
    await settle(webhooks);
    const [last] = await receiver.waitFor(before + 1).then((all) => all.slice(before));
    return last;
  }

  const signatures = (header: unknown) => String(header).split(" ");

  it("signs with both secrets during the overlap (Chatwoot's header with the old one), and only with the new one after it ran out", async () => {
    const { id, secret: old } = await createWebhook();
    const before = await deliverOne();
    expect(signatures(before.headers["webhook-signature"])).toHaveLength(1);

    const rotatedAt = clock();
    const res = await rotate(id, { overlap_seconds: 60 });
    expect(res.status).toBe(200);
    const fresh: string = res.body.payload.secret;
    expect(fresh).toMatch(/^[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(fresh).not.toBe(old);
    // Answered as on create: the webhook with its new secret, and the rotation record.
    expect(res.body.payload.webhook).toMatchObject({ id, secret: fresh });
    expect(res.body.payload.secret_rotation).toEqual({
      rotated_at: rotatedAt.toISOString(),
      rotated_by_id: expect.any(Number),
      overlap_ends_at: new Date(rotatedAt.getTime() + 60_000).toISOString(),
      overlap_active: true,
    });
    const [{ user_id: adminId }] = await db.dataSource.query(`SELECT user_id FROM access_tokens WHERE token = $1`, [tenant.adminToken]);
    expect(res.body.payload.secret_rotation.rotated_by_id).toBe(adminId);

    const during = await deliverOne();
    expect(signatures(during.headers["webhook-signature"])).toHaveLength(2);
    expect([standardAccepts(during, old), standardAccepts(during, fresh)]).toEqual([true, true]);
    expect([chatwootAccepts(during, old), chatwootAccepts(during, fresh)]).toEqual([true, false]);

    clock.advance(60_000);
    const after = await deliverOne();
    expect(signatures(after.headers["webhook-signature"])).toHaveLength(1);
    expect([standardAccepts(after, old), standardAccepts(after, fresh)]).toEqual([false, true]);
    expect([chatwootAccepts(after, old), chatwootAccepts(after, fresh)]).toEqual([false, true]);
    const shown = await request(server).get(path(tenant, id)).set(as(tenant));
    expect(shown.body.payload.secret_rotation).toMatchObject({ overlap_active: false, overlap_ends_at: new Date(rotatedAt.getTime() + 60_000).toISOString() });
    expect(JSON.stringify(shown.body)).not.toContain(fresh);
  });

  it("signs a retry of a delivery made before the rotation with both secrets, same delivery id", async () => {
    const { id, secret: old } = await createWebhook();
    receiver.respond(() => ({ status: 500 }));
    const first = await deliverOne();
    expect(signatures(first.headers["webhook-signature"])).toHaveLength(1);
    expect(chatwootAccepts(first, old)).toBe(true);

    const fresh: string = (await rotate(id)).body.payload.secret;
    receiver.respond(() => ({ status: 200 }));
    clock.advance(10_000);
    await settle(webhooks);
    const [retry] = (await receiver.waitFor(2)).slice(1);
    expect(retry.headers["x-chatwoot-delivery"]).toBe(first.headers["x-chatwoot-delivery"]);
    expect(retry.body).toBe(first.body);
    expect(signatures(retry.headers["webhook-signature"])).toHaveLength(2);
    expect([standardAccepts(retry, old), standardAccepts(retry, fresh)]).toEqual([true, true]);
    expect(chatwootAccepts(retry, old)).toBe(true);
    await request(server).delete(path(tenant, id)).set(as(tenant)).expect(200);
  });

  it("ends the overlap early: the old secret is forgotten and no longer signed with; ending again changes nothing", async () => {
    const { id, secret: old } = await createWebhook();
    const fresh: string = (await rotate(id)).body.payload.secret;
    clock.advance(5_000);
    const ended = await request(server).delete(path(tenant, id)).set(as(tenant));
    expect(ended.status).toBe(200);
    expect(ended.body.payload.secret_rotation).toMatchObject({ overlap_active: false, overlap_ends_at: clock().toISOString() });
    const row = await db.dataSource.getRepository(Webhook).findOneByOrFail({ id });
    expect(row.rotation).toMatchObject({ previousSecret: null, previousSecretExpiresAt: clock() });
    expect(row.secret).toBe(fresh);

    const after = await deliverOne();
    expect([standardAccepts(after, old), standardAccepts(after, fresh)]).toEqual([false, true]);
    expect([chatwootAccepts(after, old), chatwootAccepts(after, fresh)]).toEqual([false, true]);
    const again = await request(server).delete(path(tenant, id)).set(as(tenant));
    expect(again.body).toEqual(ended.body);
  });

  it("defaults to 24 hours, refuses a second overlap while one runs, and replaces without overlap when asked (0)", async () => {
    const { id } = await createWebhook();
    const first = await rotate(id, {});
    expect(first.body.payload.secret_rotation.overlap_ends_at).toBe(new Date(clock().getTime() + 86_400_000).toISOString());
    const second = await rotate(id, { overlap_seconds: 3600 });
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({ message: "Secret is already being rotated", attributes: ["overlap_seconds"] });
    expect(second.body.reason).toContain("end that overlap first");
    const replaced = await rotate(id, { overlap_seconds: 0 });
    expect(replaced.status).toBe(200);
    expect(replaced.body.payload.secret_rotation).toMatchObject({ overlap_ends_at: null, overlap_active: false });
    const row = await db.dataSource.getRepository(Webhook).findOneByOrFail({ id });
    expect(row.rotation.previousSecret).toBeNull();
    expect(row.secret).toBe(replaced.body.payload.secret);

    const after = await deliverOne();
    expect(signatures(after.headers["webhook-signature"])).toHaveLength(1);
    expect(chatwootAccepts(after, replaced.body.payload.secret)).toBe(true);
    // A form body works too (values are strings), as for the other routes.
    const form = await request(server).post(path(tenant, id)).set(as(tenant)).type("form").send("overlap_seconds=604800");
    expect(form.body.payload.secret_rotation.overlap_ends_at).toBe(new Date(clock().getTime() + 604_800_000).toISOString());
  });

  it("refuses an overlap that is not a whole number of seconds from 0 to 7 days, in Chatwoot's shape", async () => {
    const { id, secret } = await createWebhook();
    for (const overlap of [-1, 604_801, 1.5, "abc", "1e3", true, [60], { s: 1 }]) {
      const res = await rotate(id, { overlap_seconds: overlap });
      expect([overlap, res.status]).toEqual([overlap, 422]);
      expect(isChatwootError(res.body)).toBe(true);
      expect(res.body.attributes).toEqual(["overlap_seconds"]);
    }
    expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id })).secret).toBe(secret);
  });

  it("answers another account's webhook as unknown (404), needs an administrator, and changes nothing then", async () => {
    const { id, secret } = await createWebhook();
    const attempts = [
      request(server).post(path(tenant, id)).set(as(other)),
      request(server).post(path(other, id)).set(as(other)),
      request(server).get(path(other, id)).set(as(other)),
      request(server).delete(path(other, id)).set(as(other)),
      request(server).post(path(tenant, "abc")).set(as(tenant)),
      request(server).post(path(tenant, 2_147_483_647)).set(as(tenant)),
    ];
    const statuses = [];
    for (const attempt of attempts) statuses.push((await attempt).status);
    expect(statuses).toEqual([401, 404, 404, 404, 404, 404]);
    const agent = await request(server).post(path(tenant, id)).set({ api_access_token: tenant.agentToken });
    expect(agent.status).toBe(401);
    expect((await request(server).post(path(tenant, id))).status).toBe(401);
    const row = await db.dataSource.getRepository(Webhook).findOneByOrFail({ id });
    expect(row.secret).toBe(secret);
    expect(row.rotation).toEqual({ previousSecret: null, previousSecretExpiresAt: null, rotatedAt: null, rotatedById: null });
    // Rotation is for account webhooks: an API inbox's mirror row is not reachable here.
    expect((await request(server).get(path(tenant, id)).set(as(tenant))).body).toEqual({ payload: { secret_rotation: null } });
  });
});
