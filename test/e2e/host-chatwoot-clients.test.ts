import express from "express";
import request from "supertest";
import type { Express } from "express";
import { createWebhooks, type Webhooks } from "../../src";
import { AgentBot, AgentBotInbox, AccessToken, Conversation, Message } from "../../src/entities";
import { createApp } from "../../examples/app";
import { apiStatus, CHATWOOT_API_VERSION } from "../../examples/host/api-status";
import { seed, SEED_CONVERSATION_ATTRIBUTES, type SeedResult } from "../../examples/seed";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeContact, makeConversation, makeInbox, newMessage } from "../helpers/fixtures";
import { NOT_IN_ACCOUNT } from "../helpers/api";

const ADMIN = "admin-token-clients";
const AGENT = "agent-token-clients";
const OTHER = "other-token-clients";
const NOT_FOUND = { error: "Resource could not be found" };

/**
 * The demo host as real Chatwoot clients use it (issue 18): the connection test at `GET /api`
 * (Chatwoot's app/controllers/api_controller.rb), the token in any header spelling on the host's
 * own routes, the conversation and message reads (app/views/api/v1/conversations/partials/
 * _conversation.json.jbuilder, .../conversations/messages/index.json.jbuilder,
 * app/finders/message_finder.rb), and message bodies checked as Chatwoot's
 * app/models/concerns/content_attribute_validator.rb checks them.
 */
describe("demo host app for real Chatwoot clients", () => {
  let db: TestDatabase;
  let seeded: SeedResult;
  let webhooks: Webhooks;
  let app: Express;

  beforeAll(async () => {
    db = await createTestDatabase("host_clients");
    seeded = await seed(db.dataSource, { admin: ADMIN, agent: AGENT, other: OTHER });
    webhooks = createWebhooks({ dataSource: db.dataSource, allowPrivateNetwork: true, inboxEvents: true });
    app = createApp({ dataSource: db.dataSource, webhooks });
  });

  afterAll(async () => {
    await webhooks?.close();
    await db?.drop();
  });

  const conversationPath = (displayId: number | string = 1, accountId = 1) => `/api/v1/accounts/${accountId}/conversations/${displayId}`;

  describe("GET /api (the connection test)", () => {
    it("answers Chatwoot's status shape without a token", async () => {
      const before = Date.now();
      for (const path of ["/api", "/api/", "/api.json"]) {
        const res = await request(app).get(path);
        expect([path, res.status]).toEqual([path, 200]);
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        expect(Object.keys(res.body)).toEqual(["version", "timestamp", "queue_services", "data_services"]);
        expect(res.body).toMatchObject({ version: CHATWOOT_API_VERSION, queue_services: "ok", data_services: "ok" });
        // Rails' `to_formatted_s(:db)` in UTC.
        expect(res.body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        expect(Math.abs(Date.parse(`${res.body.timestamp.replace(" ", "T")}Z`) - before)).toBeLessThan(60_000);
      }
    });

    it("reports 'failing' when the database does not answer, still with a 200", async () => {
      const closed = await db.open();
      await closed.destroy();
      const status = express().get("/api", apiStatus(closed, () => new Date("2026-03-03T13:05:57.123Z")));
      const res = await request(status).get("/api");
      expect([res.status, res.body]).toEqual([200, { version: CHATWOOT_API_VERSION, timestamp: "2026-03-03 13:05:57", queue_services: "failing", data_services: "failing" }]);
    });
  });

  describe("the token in every header spelling on the host's own routes", () => {
    const spellings: Array<[string, (token: string) => Record<string, string>]> = [
      ["api_access_token", (token) => ({ api_access_token: token })],
      ["Api-Access-Token", (token) => ({ "Api-Access-Token": token })],
      ["api-access-token", (token) => ({ "api-access-token": token })],
      ["API_ACCESS_TOKEN", (token) => ({ API_ACCESS_TOKEN: token })],
      ["Authorization: Bearer", (token) => ({ Authorization: `Bearer ${token}` })],
    ];

    it.each(spellings)("sends, reads and toggles with %s", async (_spelling, header) => {
      const auth = header(AGENT);
      const sent = await request(app).post(`${conversationPath()}/messages`).set(auth).send({ content: "spelled" });
      expect([sent.status, sent.body.sender?.id]).toEqual([200, seeded.users.agent.userId]);
      const shown = await request(app).get(conversationPath()).set(auth);
      expect([shown.status, shown.body.id]).toEqual([200, 1]);
      const listed = await request(app).get(`${conversationPath()}/messages`).set(auth);
      expect([listed.status, listed.body.payload.at(-1).id]).toEqual([200, sent.body.id]);
      const toggled = await request(app).post(`${conversationPath()}/toggle_status`).set(auth).send({ status: "open" });
      expect([toggled.status, toggled.body.payload.current_status]).toEqual([200, "open"]);
      const edited = await request(app).patch(`/api/v1/accounts/1/messages/${sent.body.id}`).set(auth).send({ content: "edited" });
      expect([edited.status, edited.body.content]).toEqual([200, "edited"]);
    });

    it("refuses two spellings that disagree with 401 Invalid Access Token, and saves nothing", async () => {
      const before = await db.dataSource.manager.count(Message);
      for (const headers of [
        { api_access_token: ADMIN, "Api-Access-Token": AGENT },
        { "Api-Access-Token": AGENT, Authorization: `Bearer ${ADMIN}` },
      ]) {
        const res = await request(app).post(`${conversationPath()}/messages`).set(headers).send({ content: "who am I" });
        expect([res.status, res.body]).toEqual([401, { error: "Invalid Access Token" }]);
        const read = await request(app).get(conversationPath()).set(headers);
        expect([read.status, read.body]).toEqual([401, { error: "Invalid Access Token" }]);
      }
      expect(await db.dataSource.manager.count(Message)).toBe(before);
    });
  });

  describe("GET .../conversations/:id", () => {
    it("answers the conversation in Chatwoot's view shape, with its last message and unread count", async () => {
      const conversation = await db.dataSource.manager.findOneByOrFail(Conversation, { accountId: 1, displayId: 1 });
      await db.dataSource.manager.update(Conversation, { id: conversation.id }, { agentLastSeenAt: new Date() });
      const incoming = await request(app).post(`${conversationPath()}/messages`).set({ api_access_token: AGENT }).send({ content: "unread", message_type: "incoming" });
      await db.dataSource.manager.save(newMessage(db.dataSource, conversation, { content: "Conversation was resolved", messageType: "activity", senderType: null, senderId: null }));
      const last = await db.dataSource.manager.findOneOrFail(Message, { where: { conversationId: conversation.id }, order: { id: "DESC" } });

      const res = await request(app).get(conversationPath()).set({ "Api-Access-Token": ADMIN });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual([
        "meta", "id", "messages", "account_id", "additional_attributes", "agent_last_seen_at", "assignee_last_seen_at", "can_reply", "contact_last_seen_at",
        "custom_attributes", "inbox_id", "labels", "muted", "snoozed_until", "status", "created_at", "updated_at", "timestamp", "first_reply_created_at",
        "unread_count", "last_non_activity_message", "last_activity_at", "priority", "waiting_since",
      ]);
      expect(Object.keys(res.body.meta)).toEqual(["sender", "channel", "hmac_verified"]);
      expect(res.body.meta).toMatchObject({ sender: { id: seeded.contactId, name: "Jane Doe", type: "contact" }, channel: "Channel::WebWidget" });
      expect(res.body).toMatchObject({ id: 1, account_id: 1, inbox_id: seeded.inboxId, status: "open", additional_attributes: SEED_CONVERSATION_ATTRIBUTES, unread_count: 1 });
      expect(typeof res.body.updated_at).toBe("number");
      // `messages` holds the last message of any type; `last_non_activity_message` skips the activity.
      expect(res.body.messages).toHaveLength(1);
      expect(res.body.messages[0]).toMatchObject({ id: last.id, message_type: 2, content: "Conversation was resolved", conversation_id: 1, conversation: { unread_count: 1 } });
      expect(res.body.last_non_activity_message).toMatchObject({ id: incoming.body.id, message_type: 0, content: "unread", sender: { id: seeded.contactId, type: "contact" } });
    });

    it("shows the assignee in meta when the conversation has one", async () => {
      await db.dataSource.manager.update(Conversation, { accountId: 1, displayId: 1 }, { assigneeId: seeded.users.agent.userId });
      try {
        const res = await request(app).get(conversationPath()).set({ api_access_token: ADMIN });
        expect(Object.keys(res.body.meta)).toEqual(["sender", "channel", "assignee", "hmac_verified"]);
        expect(res.body.meta.assignee).toMatchObject({ id: seeded.users.agent.userId, account_id: 1, name: "Agent", email: "agent@acme.test", role: "agent" });
      } finally {
        await db.dataSource.manager.update(Conversation, { accountId: 1, displayId: 1 }, { assigneeId: null });
      }
    });

    it("answers 404 for another account's conversation, unknown and malformed ids, and refuses bots and strangers", async () => {
      const inbox = await makeInbox(db.dataSource, 2, { name: "Theirs" });
      const theirs = await makeConversation(db.dataSource, inbox, await makeContact(db.dataSource, 2));
      for (const id of [String(theirs.displayId + 1000), "999", "abc", "0", "99999999999"]) {
        const res = await request(app).get(conversationPath(id)).set({ api_access_token: ADMIN });
        expect([id, res.status, res.body]).toEqual([id, 404, NOT_FOUND]);
        const messages = await request(app).get(`${conversationPath(id)}/messages`).set({ api_access_token: ADMIN });
        expect([id, messages.status, messages.body]).toEqual([id, 404, NOT_FOUND]);
      }
      const stranger = await request(app).get(conversationPath(theirs.displayId, 2)).set({ api_access_token: ADMIN });
      expect([stranger.status, stranger.body]).toEqual([401, NOT_IN_ACCOUNT]);
      const none = await request(app).get(conversationPath());
      expect(none.status).toBe(401);

      // Reading conversations is not among the endpoints Chatwoot opens to bot tokens.
      const bot = await db.dataSource.manager.save(AgentBot, { accountId: 1, name: "Reader", botType: 0, botConfig: {}, secret: "s" });
      await db.dataSource.manager.save(AgentBotInbox, { accountId: 1, inboxId: seeded.inboxId, agentBotId: bot.id });
      await db.dataSource.manager.save(AccessToken, { agentBotId: bot.id, userId: null, token: "bot-token-clients" });
      for (const path of [conversationPath(), `${conversationPath()}/messages`]) {
        const res = await request(app).get(path).set({ "Api-Access-Token": "bot-token-clients" });
        expect([path, res.status, res.body]).toEqual([path, 401, { error: "Access to this endpoint is not authorized for bots" }]);
      }
    });
  });

  describe("GET .../conversations/:id/messages", () => {
    let conversation: Conversation;
    let ids: number[];

    beforeAll(async () => {
      const inbox = await makeInbox(db.dataSource, 1, { name: "Paging" });
      conversation = await makeConversation(db.dataSource, inbox, await makeContact(db.dataSource, 1, { name: "Pat Pager" }), { labels: ["vip"] });
      ids = [];
      for (let i = 0; i < 25; i += 1) {
        const fields = i === 3 ? { private: true, messageType: "outgoing" as const } : i === 4 ? { messageType: "activity" as const, senderType: null, senderId: null } : {};
        ids.push((await db.dataSource.manager.save(newMessage(db.dataSource, conversation, { content: `m${i}`, ...fields }))).id);
      }
    });

    const page = (query = "") => request(app).get(`${conversationPath(conversation.displayId)}/messages${query}`).set({ api_access_token: AGENT });

    it("answers meta and the latest 20 messages, oldest first, in Chatwoot's message shape", async () => {
      const res = await page();
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(["meta", "payload"]);
      expect(Object.keys(res.body.meta)).toEqual(["labels", "additional_attributes", "contact", "agent_last_seen_at", "assignee_last_seen_at"]);
      expect(res.body.meta).toMatchObject({ labels: ["vip"], additional_attributes: {}, contact: { id: conversation.contactId, name: "Pat Pager", type: "contact" }, agent_last_seen_at: null });
      expect(res.body.payload.map((m: { id: number }) => m.id)).toEqual(ids.slice(5));
      expect(res.body.payload[0]).toMatchObject({ id: ids[5], content: "m5", inbox_id: conversation.inboxId, conversation_id: conversation.displayId, message_type: 0, content_type: "text", status: "sent", private: false });
      expect(typeof res.body.payload[0].created_at).toBe("number");
      expect(res.body.payload[0].sender).toMatchObject({ id: conversation.contactId, type: "contact" });
    });

    it("pages with before, after and both, and leaves out notes and activities on request (Chatwoot's MessageFinder)", async () => {
      expect((await page(`?before=${ids[10]}`)).body.payload.map((m: { id: number }) => m.id)).toEqual(ids.slice(0, 10));
      expect((await page(`?after=${ids[20]}`)).body.payload.map((m: { id: number }) => m.id)).toEqual(ids.slice(21));
      expect((await page(`?after=${ids[2]}&before=${ids[6]}`)).body.payload.map((m: { id: number }) => m.id)).toEqual(ids.slice(2, 6));
      expect((await page(`?after=${ids[2]}&before=${ids[6]}&filter_internal_messages=true`)).body.payload.map((m: { id: number }) => m.id)).toEqual([ids[2], ids[5]]);
      // Ruby's `to_i`: letters are 0, an out-of-range id is no error.
      expect((await page("?before=abc")).body.payload).toEqual([]);
      expect((await page("?after=99999999999999")).body.payload).toEqual([]);
      expect((await page(`?before_timestamp=${Math.floor(Date.now() / 1000) + 60}`)).body.payload).toHaveLength(20);
    });
  });

  describe("message bodies checked as Chatwoot checks them", () => {
    const send = (body: object) => request(app).post(`${conversationPath()}/messages`).set({ api_access_token: AGENT }).send(body);

    it.each([
      ["cards without content_attributes", { content: "x", content_type: "cards" }, "Validation failed: Content attributes At least one item is required."],
      ["cards with an empty items list", { content: "x", content_type: "cards", content_attributes: { items: [] } }, "Validation failed: Content attributes At least one item is required."],
      ["input_select without items", { content: "x", content_type: "input_select", content_attributes: {} }, "Validation failed: Content attributes At least one item is required."],
      ["input_select with an unknown item key", { content: "x", content_type: "input_select", content_attributes: { items: [{ title: "A", value: "a", colour: "red" }] } }, "Validation failed: Content attributes contains invalid keys for items : [:colour]"],
      ["cards without actions", { content: "x", content_type: "cards", content_attributes: { items: [{ title: "Card" }] } }, "Validation failed: Content attributes contains items missing actions"],
      [
        "cards with an unknown action key and item key",
        { content: "x", content_type: "cards", content_attributes: { items: [{ title: "Card", extra: 1, actions: [{ text: "Go", type: "link", uri: "https://example.com", target: "_blank" }] }] } },
        "Validation failed: Content attributes contains invalid keys for items : [:extra], Content attributes contains invalid keys for actions:  [:target]",
      ],
      ["items that are not objects", { content: "x", content_type: "input_select", content_attributes: { items: ["a"] } }, "Validation failed: Content attributes contains items that are not objects"],
    ])("refuses %s with 422", async (_name, body, error) => {
      const before = await db.dataSource.manager.count(Message);
      const res = await send(body);
      expect([res.status, res.body]).toEqual([422, { error }]);
      expect(await db.dataSource.manager.count(Message)).toBe(before);
    });

    it("accepts valid cards and input_select items, as JSON and as multipart", async () => {
      const cards = { items: [{ title: "Plan", description: "Monthly", media_url: "https://example.com/p.png", actions: [{ text: "Buy", type: "link", uri: "https://example.com/buy" }, { text: "Ask", type: "postback", payload: "ASK" }] }] };
      const json = await send({ content: "cards", content_type: "cards", content_attributes: cards });
      expect([json.status, json.body.content_attributes]).toEqual([200, cards]);
      const multipart = await request(app)
        .post(`${conversationPath()}/messages`)
        .set({ "Api-Access-Token": AGENT })
        .field("content", "pick one")
        .field("content_type", "input_select")
        .field("content_attributes", JSON.stringify({ items: [{ title: "Yes", value: "yes" }] }));
      expect([multipart.status, multipart.body.content_type]).toEqual([200, "input_select"]);
    });
  });
});
