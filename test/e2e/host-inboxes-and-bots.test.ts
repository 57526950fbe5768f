/**
 * The demo host's side of Chatwoot's other two webhook kinds, driven as a client would drive it:
 * an API-channel inbox created through the host's `POST /inboxes` (Chatwoot's body), a
 * conversation and a message through the host's routes, and the signed delivery at the inbox's
 * `webhook_url`; an agent bot created through the library's routes, connected with
 * `set_agent_bot`, answering on the host's message route with its own token.
 */
import request from "supertest";
import type { Express } from "express";
import { createWebhooks, type Webhooks } from "../../src";
import { Message } from "../../src/entities";
import { createApp } from "../../examples/app";
import { seed, type SeedResult } from "../../examples/seed";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { verifyBothSignatures } from "../helpers/signatures";

const ADMIN = "admin-token-inboxes";
const AGENT = "agent-token-inboxes";
const OTHER = "other-token-inboxes";

describe("demo host: API inboxes and agent bots", () => {
  let db: TestDatabase;
  let seeded: SeedResult;
  let webhooks: Webhooks;
  let app: Express;
  let channelHook: Receiver;
  let botHook: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase("host_inboxes_bots");
    seeded = await seed(db.dataSource, { admin: ADMIN, agent: AGENT, other: OTHER });
    webhooks = createWebhooks({ dataSource: db.dataSource, allowPrivateNetwork: true, pollIntervalMs: 50 });
    app = createApp({ dataSource: db.dataSource, webhooks });
    [channelHook, botHook] = await Promise.all([startReceiver(), startReceiver()]);
    await webhooks.dispatcher.start();
  });

  afterAll(async () => {
    await webhooks?.close();
    await Promise.all([channelHook?.close(), botHook?.close()]);
    await db?.drop();
  });

  const as = (token: string) => ({ api_access_token: token });

  it("creates an API inbox whose webhook_url receives its conversation's messages, signed with the secret the inbox JSON shows", async () => {
    const created = await request(app)
      .post("/api/v1/accounts/1/inboxes")
      .set(as(ADMIN))
      .send({ name: "SMS bridge", channel: { type: "api", webhook_url: `${channelHook.url}/sms` } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: "SMS bridge", channel_type: "Channel::Api", webhook_url: `${channelHook.url}/sms` });
    expect(created.body.secret).toMatch(/^[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(typeof created.body.hmac_token).toBe("string");
    expect(typeof created.body.inbox_identifier).toBe("string");
    const inboxId = created.body.id as number;

    const listed = await request(app).get("/api/v1/accounts/1/inboxes").set(as(AGENT));
    const asAgent = (listed.body.payload as Array<Record<string, unknown>>).find((inbox) => inbox.id === inboxId);
    expect(asAgent).toMatchObject({ webhook_url: `${channelHook.url}/sms` });
    expect(asAgent).not.toHaveProperty("secret");
    expect(asAgent).not.toHaveProperty("hmac_token");

    const conversation = await request(app).post("/api/v1/accounts/1/conversations").set(as(ADMIN)).send({ contact_id: seeded.contactId, inbox_id: inboxId });
    expect(conversation.status).toBe(200);
    const displayId = conversation.body.id as number;
    const message = await request(app).post(`/api/v1/accounts/1/conversations/${displayId}/messages`).set(as(ADMIN)).send({ content: "Your code is 1234" });
    expect(message.status).toBe(200);

    // The agent's message is the conversation's first reply: a conversation_updated too (Chatwoot's Message#valid_first_reply?).
    await channelHook.waitFor(3);
    const events = channelHook.requests.map((req) => JSON.parse(req.body));
    expect(events.map((body) => body.event).sort()).toEqual(["conversation_created", "conversation_updated", "message_created"]);
    expect(events.find((body) => body.event === "message_created")).toMatchObject({ content: "Your code is 1234", message_type: "outgoing", inbox: { id: inboxId, name: "SMS bridge" } });
    expect(events.find((body) => body.event === "conversation_updated").changed_attributes.map((change: object) => Object.keys(change)[0])).toEqual(["first_reply_created_at", "waiting_since", "updated_at"]);
    for (const req of channelHook.requests) verifyBothSignatures(req, created.body.secret);

    // The channel's URL changes through the host's PATCH; the next event goes there.
    const moved = await request(app).patch(`/api/v1/accounts/1/inboxes/${inboxId}`).set(as(ADMIN)).send({ channel: { webhook_url: `${channelHook.url}/moved` } });
    expect([moved.status, moved.body.webhook_url]).toEqual([200, `${channelHook.url}/moved`]);
    await request(app).post(`/api/v1/accounts/1/conversations/${displayId}/toggle_status`).set(as(ADMIN)).send({ status: "resolved" }).expect(200);
    await channelHook.waitFor(5);
    expect(channelHook.requests.slice(3).map((req) => [req.path, JSON.parse(req.body).event])).toEqual(
      expect.arrayContaining([
        ["/moved", "conversation_status_changed"],
        ["/moved", "conversation_updated"],
      ]),
    );
  });

  it("refuses bad inbox bodies with a 4xx, agents and other accounts included", async () => {
    const cases: Array<[string, string, object, number]> = [
      [ADMIN, "/api/v1/accounts/1/inboxes", {}, 422],
      [ADMIN, "/api/v1/accounts/1/inboxes", { name: "x", channel: { type: "email" } }, 422],
      [ADMIN, "/api/v1/accounts/1/inboxes", { name: "x", channel: { type: "api", webhook_url: "javascript:alert(1)" } }, 422],
      [ADMIN, "/api/v1/accounts/1/inboxes", { name: "x", channel: { type: "api", webhook_url: "https://:pass@example.com/x" } }, 422],
      [ADMIN, "/api/v1/accounts/1/inboxes", { name: "x", channel: "api" }, 422],
      [ADMIN, "/api/v1/accounts/1/inboxes", { name: ["x"], channel: { type: "api" } }, 422],
      [AGENT, "/api/v1/accounts/1/inboxes", { name: "x", channel: { type: "api" } }, 401],
      [OTHER, "/api/v1/accounts/1/inboxes", { name: "x", channel: { type: "api" } }, 401],
    ];
    for (const [token, path, body, status] of cases) {
      const res = await request(app).post(path).set(as(token)).send(body);
      expect([body, res.status]).toEqual([body, status]);
      // A 401 also says which role the route needs (`reason`, ours).
      expect(Object.keys(res.body)).toEqual(status === 401 ? ["error", "reason"] : ["error"]);
    }
    const foreign = await request(app).patch(`/api/v1/accounts/1/inboxes/${seeded.inboxId}`).set(as(OTHER)).send({ name: "taken" });
    expect(foreign.status).toBe(401);
    const widget = await request(app).patch(`/api/v1/accounts/1/inboxes/${seeded.inboxId}`).set(as(ADMIN)).send({ channel: { webhook_url: "https://example.com/x" } });
    expect(widget.status).toBe(422);
  });

  it("an agent bot connected to the inbox gets the customer's message and replies with its own token as itself", async () => {
    const bot = await request(app).post("/api/v1/accounts/1/agent_bots").set(as(ADMIN)).send({ name: "FAQ bot", outgoing_url: `${botHook.url}/bot` });
    expect(bot.status).toBe(200);
    await request(app).post(`/api/v1/accounts/1/inboxes/${seeded.inboxId}/set_agent_bot`).set(as(ADMIN)).send({ agent_bot: bot.body.id }).expect(200);

    await request(app).post("/api/v1/accounts/1/conversations/1/messages").set(as(ADMIN)).send({ content: "Where is my order?", message_type: "incoming" }).expect(200);
    const [received] = await botHook.waitFor(1);
    verifyBothSignatures(received, bot.body.secret);
    const body = JSON.parse(received.body);
    expect(body).toMatchObject({ event: "message_created", content: "Where is my order?", message_type: "incoming" });

    // The bot answers on the conversation it was told about, with its access token.
    const reply = await request(app).post(`/api/v1/accounts/1/conversations/${body.conversation.id}/messages`).set(as(bot.body.access_token)).send({ content: "It ships today." });
    expect(reply.status).toBe(200);
    const saved = await db.dataSource.getRepository(Message).findOneByOrFail({ id: reply.body.id });
    expect(saved).toMatchObject({ senderType: "AgentBot", senderId: bot.body.id, messageType: "outgoing", content: "It ships today." });
    await botHook.waitFor(2);
    const echoed = JSON.parse(botHook.requests[1].body);
    expect(echoed).toMatchObject({ event: "message_created", content: "It ships today.", sender: { id: bot.body.id, name: "FAQ bot", type: "agent_bot" } });

    // The same token is no good for the management routes, nor for another account's conversations.
    const manage = await request(app).get("/api/v1/accounts/1/webhooks").set(as(bot.body.access_token));
    expect([manage.status, manage.body]).toEqual([401, { error: "Access to this endpoint is not authorized for bots" }]);
    const elsewhere = await request(app).post("/api/v1/accounts/2/conversations/1/messages").set(as(bot.body.access_token)).send({ content: "x" });
    expect(elsewhere.status).toBe(401);
    const contacts = await request(app).post("/api/v1/accounts/1/contacts").set(as(bot.body.access_token)).send({ name: "x" });
    expect([contacts.status, contacts.body]).toEqual([401, { error: "Access to this endpoint is not authorized for bots" }]);

    // It hands its conversation to people with toggle_status, but cannot touch an inbox it is not connected to.
    const api = await request(app).post("/api/v1/accounts/1/inboxes").set(as(ADMIN)).send({ name: "Not the bot's", channel: { type: "api" } });
    const other = await request(app).post("/api/v1/accounts/1/conversations").set(as(ADMIN)).send({ contact_id: seeded.contactId, inbox_id: api.body.id });
    const foreign = await request(app).post(`/api/v1/accounts/1/conversations/${other.body.id}/messages`).set(as(bot.body.access_token)).send({ content: "x" });
    expect(foreign.status).toBe(401);
    const foreignToggle = await request(app).post(`/api/v1/accounts/1/conversations/${other.body.id}/toggle_status`).set(as(bot.body.access_token)).send({ status: "resolved" });
    expect(foreignToggle.status).toBe(401);
    const handoff = await request(app).post(`/api/v1/accounts/1/conversations/${body.conversation.id}/toggle_status`).set(as(bot.body.access_token)).send({ status: "open" });
    expect(handoff.status).toBe(200);
  });
});
