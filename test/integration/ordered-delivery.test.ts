/**
 * Ordered delivery per conversation (a webhook with `ordered: true`): the events of one
 * conversation arrive in order, each only after the previous one succeeded or failed for good; a
 * failing conversation holds back only itself; unordered webhooks are not slowed; the log says
 * what a held-back delivery waits for; a redelivery does not overtake; two dispatcher processes
 * keep the order.
 */
import type { ChildProcess } from "node:child_process";
import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { Message, WebhookDelivery, type Conversation } from "../../src/entities";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeContact, makeConversation, makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver, type ReceivedRequest } from "../helpers/receiver";
import { eventually, settle, testWebhooks } from "../helpers/webhooks";
import { startDispatcherProcess } from "../helpers/spawn-dispatcher";

const contentOf = (req: ReceivedRequest) => JSON.parse(req.body).content as string;

describe("ordered delivery per conversation", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks | undefined;

  beforeAll(async () => {
    db = await createTestDatabase("ordered");
  });

  afterEach(async () => {
    await webhooks?.dispatcher.stop(100);
    await webhooks?.close();
    webhooks = undefined;
    await receiver?.close();
  });

  afterAll(async () => {
    await db.drop();
  });

  /** A scene with two conversations (A and B) and the given webhooks on `receiver`. */
  const twoConversations = async () => {
    const scene = await makeScene(db.dataSource);
    const b = await makeConversation(db.dataSource, scene.inbox, await makeContact(db.dataSource, scene.account.id));
    return { scene, a: scene.conversation, b };
  };
  const say = (conversation: Conversation, content: string) => db.dataSource.getRepository(Message).save(newMessage(db.dataSource, conversation, { content }));

  it("sends a conversation's events in order under retries; a failing conversation holds back only itself; unordered webhooks are not held", async () => {
    let failuresLeft = 2;
    receiver = await startReceiver((req) => (req.path === "/ordered" && contentOf(req) === "A1" && failuresLeft-- > 0 ? { status: 500 } : { status: 200 }));
    webhooks = testWebhooks(db.dataSource, { retrySchedule: [300, 300, 300], retryJitter: 0 });
    const { scene, a, b } = await twoConversations();
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/ordered`, { subscriptions: ["message_created"], ordered: true });
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/unordered`, { subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    for (const [conversation, content] of [[a, "A1"], [a, "A2"], [b, "B1"], [a, "A3"], [b, "B2"]] as const) await say(conversation, content);

    await eventually(() => receiver.requests.filter((r) => r.path === "/ordered").length === 7, 10_000, "five messages and two retries");
    const ordered = receiver.requests.filter((r) => r.path === "/ordered").map(contentOf);
    expect(ordered.filter((c) => c.startsWith("A"))).toEqual(["A1", "A1", "A1", "A2", "A3"]);
    expect(ordered.filter((c) => c.startsWith("B"))).toEqual(["B1", "B2"]);
    // B did not wait for A's retries: both B messages arrived before A1 finally succeeded.
    const at = (path: string, content: string, nth = 0) => receiver.requests.filter((r) => r.path === path && contentOf(r) === content)[nth].receivedAt;
    expect(at("/ordered", "B2")).toBeLessThan(at("/ordered", "A1", 2));
    // The unordered webhook got A2 and A3 without waiting for A1's retries on the other webhook.
    expect(at("/unordered", "A3")).toBeLessThan(at("/ordered", "A1", 2));
  });

  it("says in the log what a held-back delivery waits for; a redelivery does not overtake it; switching ordering off releases it", async () => {
    receiver = await startReceiver((req) => (contentOf(req) === "A1" ? { status: 503 } : { status: 200 }));
    webhooks = testWebhooks(db.dataSource, { retrySchedule: [60_000], retryJitter: 0 });
    const app = express().use("/api/v1", webhooks.router);
    const { scene, a } = await twoConversations();
    const { token } = await makeUser(db.dataSource, scene.account.id);
    const hook = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/ordered`, { subscriptions: ["message_created"], ordered: true });
    const first = await say(a, "A1");
    const second = await say(a, "A2");
    await settle(webhooks);
    expect(receiver.requests.map(contentOf)).toEqual(["A1"]);
    const deliveries = db.dataSource.getRepository(WebhookDelivery);
    const [d1, d2] = await Promise.all([first, second].map(async (m) => (await deliveries.findBy({ webhookId: hook.id })).find((d) => d.eventId !== null && d.status === "pending" && d.lastStatusCode === (m === first ? 503 : null)) as WebhookDelivery));
    expect(d1.orderingKey).toBe(`conversation:${a.id}`);

    const base = `/api/v1/accounts/${scene.account.id}/webhooks/${hook.id}/deliveries`;
    const detail = await request(app).get(`${base}/${d2.id}`).set("api_access_token", token);
    expect(detail.status).toBe(200);
    expect(detail.body.payload.delivery).toMatchObject({
      id: d2.id,
      status: "pending",
      ordering_key: `conversation:${a.id}`,
      waiting_for: { id: d1.id, event: "message_created", status: "pending", last_error: "HTTP 503" },
    });
    expect((await request(app).get(`${base}/${d1.id}`).set("api_access_token", token)).body.payload.delivery.waiting_for).toBeNull();

    const overtaking = await request(app).post(`${base}/${d2.id}/redeliver`).set("api_access_token", token);
    expect(overtaking.status).toBe(409);
    expect(overtaking.body).toEqual({ error: `This delivery waits for delivery ${d1.id}, an earlier event of the same conversation: this webhook receives them in order.` });
    expect(receiver.requests.map(contentOf)).toEqual(["A1"]);

    const off = await request(app).patch(`/api/v1/accounts/${scene.account.id}/webhooks/${hook.id}`).set("api_access_token", token).send({ webhook: { ordered: false } });
    expect(off.status).toBe(200);
    expect(off.body.payload.webhook.ordered).toBe(false);
    await settle(webhooks);
    expect(receiver.requests.map(contentOf)).toEqual(["A1", "A2"]);
  });

  it("takes ordered as a webhook attribute: default false, a boolean, in Chatwoot's error shape otherwise", async () => {
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource, { allowPrivateNetwork: false });
    const app = express().use("/api/v1", webhooks.router);
    const scene = await makeScene(db.dataSource);
    const { token } = await makeUser(db.dataSource, scene.account.id);
    const path = `/api/v1/accounts/${scene.account.id}/webhooks`;
    const plain = await request(app).post(path).set("api_access_token", token).send({ webhook: { url: "https://hooks.example.com/plain" } });
    expect(plain.body.payload.webhook.ordered).toBe(false);
    const ordered = await request(app).post(path).set("api_access_token", token).send({ webhook: { url: "https://hooks.example.com/ordered", ordered: true } });
    expect(ordered.body.payload.webhook).toMatchObject({ ordered: true, enabled: true });
    const bad = await request(app).post(path).set("api_access_token", token).send({ webhook: { url: "https://hooks.example.com/bad", ordered: "yes" } });
    expect([bad.status, bad.body]).toEqual([422, { message: "Ordered is invalid", attributes: ["ordered"] }]);
  });

  describeWithPostgres("with two dispatcher processes", () => {
    let child: ChildProcess | undefined;

    afterEach(() => {
      child?.kill("SIGTERM");
      child = undefined;
    });

    it("keeps each conversation's order while failures and retries spread over both", async () => {
      // Every third message of a conversation fails twice (500) before a retry succeeds; the answers are kept to check against.
      const tries = new Map<string, number>();
      const answered: number[] = [];
      receiver = await startReceiver((req) => {
        const content = contentOf(req);
        const tried = (tries.get(content) ?? 0) + 1;
        tries.set(content, tried);
        const status = Number(content.split("-")[1]) % 3 === 1 && tried <= 2 ? 500 : 200;
        answered.push(status);
        return { status };
      });
      webhooks = testWebhooks(db.dataSource, { retrySchedule: [150, 150, 150, 150, 150], retryJitter: 0, pollIntervalMs: 100 });
      const scene = await makeScene(db.dataSource);
      const conversations = [scene.conversation];
      for (let i = 0; i < 5; i++) conversations.push(await makeConversation(db.dataSource, scene.inbox, await makeContact(db.dataSource, scene.account.id)));
      const hook = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/ordered`, { subscriptions: ["message_created"], ordered: true });
      child = await startDispatcherProcess(db.url, { RETRY_SCHEDULE: "[150,150,150,150,150]" });
      await webhooks.dispatcher.start();
      // Interleaved: message n of every conversation, then n + 1.
      for (let n = 0; n < 8; n++) {
        await db.dataSource.getRepository(Message).save(conversations.map((c, i) => newMessage(db.dataSource, c, { content: `c${i}-${n}` })));
      }
      await eventually(async () => (await db.dataSource.getRepository(WebhookDelivery).countBy({ webhookId: hook.id, status: "succeeded" })) === 48, 30_000, "48 deliveries to succeed");

      const seen = receiver.requests.map((req, index) => ({ content: contentOf(req), ok: answered[index] === 200 }));
      expect(answered.filter((status) => status === 500)).toHaveLength(2 * 6 * 3); // messages 1, 4 and 7 of each conversation, twice
      for (let i = 0; i < conversations.length; i++) {
        // Within a conversation, every request is for the message due next; it moves on only after a 200.
        let next = 0;
        for (const { content, ok } of seen.filter((s) => s.content.startsWith(`c${i}-`))) {
          expect(content).toBe(`c${i}-${next}`);
          if (ok) next += 1;
        }
        expect(next).toBe(8);
      }
      const failed = await db.dataSource.getRepository(WebhookDelivery).countBy({ webhookId: hook.id, status: "failed" });
      expect(failed).toBe(0);
    }, 60_000);
  });
});

