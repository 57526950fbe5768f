import { createHmac } from "node:crypto";
import { verifyBothSignatures } from "../helpers/signatures";
import request from "supertest";
import type { Express } from "express";
import { createWebhooks, type Webhooks } from "../../src";
import { AccessToken, Account, Attachment, Contact, ContactInbox, Conversation, Inbox, Message, User, WebhookEvent } from "../../src/entities";
import { createApp } from "../../examples/app";
import { seed, SEED_CONVERSATION_ATTRIBUTES, type SeedResult } from "../../examples/seed";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeContact, makeConversation, makeInbox, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { NOT_ADMINISTRATOR, NOT_IN_ACCOUNT } from "../helpers/api";

const ADMIN = "admin-token-host-app";
const AGENT = "agent-token-host-app";
const OTHER = "other-token-host-app";

describe("demo host app", () => {
  let db: TestDatabase;
  let seeded: SeedResult;
  let webhooks: Webhooks;
  let app: Express;
  /** Ids of account 2's rows, for cross-account checks. */
  let foreign: { inboxId: number; contactId: number; messageId: number };

  beforeAll(async () => {
    db = await createTestDatabase("host_app");
    seeded = await seed(db.dataSource, { admin: ADMIN, agent: AGENT, other: OTHER });
    webhooks = createWebhooks({ dataSource: db.dataSource, allowPrivateNetwork: true, inboxEvents: true, pollIntervalMs: 100 });
    app = createApp({ dataSource: db.dataSource, webhooks });

    const inbox = await makeInbox(db.dataSource, 2, { name: "Other widget" });
    const contact = await makeContact(db.dataSource, 2, { name: "Someone Else" });
    const conversation = await makeConversation(db.dataSource, inbox, contact);
    const message = await db.dataSource.manager.save(newMessage(db.dataSource, conversation, { content: "foreign" }));
    foreign = { inboxId: inbox.id, contactId: contact.id, messageId: message.id };
  });

  afterAll(async () => {
    await webhooks?.dispatcher.stop();
    await db?.drop();
  });

  const post = (path: string, token = ADMIN) => request(app).post(path).set("api_access_token", token);
  const messagesPath = (displayId: number | string = 1, accountId = 1) => `/api/v1/accounts/${accountId}/conversations/${displayId}/messages`;

  describe("seed", () => {
    it("creates accounts 1 and 2, the users, the widget inbox, Jane and conversation 1", async () => {
      const manager = db.dataSource.manager;
      expect(await manager.find(Account, { order: { id: "ASC" }, select: { id: true, name: true } })).toEqual([
        { id: 1, name: "Acme Inc" },
        { id: 2, name: "Other Co" },
      ]);
      const inbox = await manager.findOneByOrFail(Inbox, { id: seeded.inboxId });
      expect([inbox.accountId, inbox.name, inbox.channelType]).toEqual([1, "Website", "Channel::WebWidget"]);
      const contact = await manager.findOneByOrFail(Contact, { id: seeded.contactId });
      expect([contact.accountId, contact.name, contact.email]).toEqual([1, "Jane Doe", "jane@example.com"]);
      const conversation = await manager.findOneByOrFail(Conversation, { accountId: 1, displayId: 1 });
      expect(conversation.status).toBe("open");
      expect(conversation.contactId).toBe(contact.id);
      expect(conversation.additionalAttributes).toEqual(SEED_CONVERSATION_ATTRIBUTES);
      expect(conversation.additionalAttributes).toMatchObject({ browser: { browser_name: "Chrome" }, referer: "http://www.chatwoot.com", initiated_at: { timestamp: expect.any(String) } });
      expect(seeded.users.admin).toMatchObject({ name: "Admin", email: "admin@acme.test", accountId: 1, role: "administrator", token: ADMIN, source: "env" });
      expect(seeded.users.agent).toMatchObject({ name: "Agent", email: "agent@acme.test", accountId: 1, role: "agent", token: AGENT, source: "env" });
      expect(seeded.users.other).toMatchObject({ accountId: 2, role: "administrator", token: OTHER, source: "env" });
    });

    it("is idempotent, and without tokens reuses the stored ones", async () => {
      const count = async () => Promise.all([Account, User, AccessToken, Inbox, Contact, ContactInbox, Conversation].map((entity) => db.dataSource.manager.count(entity)));
      const before = await count();
      const again = await seed(db.dataSource, { admin: null, agent: null, other: null });
      expect(await count()).toEqual(before);
      expect([again.users.admin.token, again.users.agent.token, again.users.other.token]).toEqual([ADMIN, AGENT, OTHER]);
      expect(again.users.admin.source).toBe("stored");
    });

    it("generates tokens once on a fresh database and reuses them on the next run", async () => {
      const fresh = await createTestDatabase("host_app_seed");
      try {
        const first = await seed(fresh.dataSource, { admin: null, agent: null, other: null });
        const tokens = [first.users.admin, first.users.agent, first.users.other];
        expect(tokens.map((user) => user.source)).toEqual(["generated", "generated", "generated"]);
        expect(new Set(tokens.map((user) => user.token)).size).toBe(3);
        for (const user of tokens) expect(user.token).toMatch(/^[A-Za-z0-9_-]{24}$/);
        const second = await seed(fresh.dataSource, { admin: null, agent: null, other: null });
        expect([second.users.admin, second.users.agent, second.users.other].map((user) => [user.token, user.source])).toEqual(tokens.map((user) => [user.token, "stored"]));
        const conversation = await fresh.dataSource.manager.findOneByOrFail(Conversation, { accountId: 1, displayId: 1 });
        expect(conversation.displayId).toBe(1);
      } finally {
        await fresh.drop();
      }
    });
  });

  describe("management API mounted at /api/v1", () => {
    it("lists no webhooks for the seeded administrator", async () => {
      const res = await request(app).get("/api/v1/accounts/1/webhooks").set("api_access_token", ADMIN);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ payload: { webhooks: [] } });
    });

    it("refuses the agent (not an administrator) and the other account's administrator", async () => {
      const agent = await request(app).get("/api/v1/accounts/1/webhooks").set("api_access_token", AGENT);
      expect([agent.status, agent.body]).toEqual([401, NOT_ADMINISTRATOR]);
      const other = await request(app).get("/api/v1/accounts/1/webhooks").set("api_access_token", OTHER);
      expect([other.status, other.body]).toEqual([401, NOT_IN_ACCOUNT]);
    });

    it("serves the settings page at Chatwoot's path", async () => {
      const res = await request(app).get("/app/accounts/1/settings/integrations/webhook");
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toMatch(/text\/html/);
    });
  });

  describe("POST .../conversations/:conversation_id/messages", () => {
    it("saves an outgoing message from the calling user (JSON) and records message_created in the outbox", async () => {
      const res = await post(messagesPath()).send({ content: "Hello from the agent", content_attributes: { in_reply_to: null } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        content: "Hello from the agent",
        account_id: 1,
        inbox_id: seeded.inboxId,
        conversation_id: 1,
        message_type: 1,
        content_type: "text",
        content_attributes: { in_reply_to: null },
        private: false,
        source_id: null,
        sender: { id: seeded.users.admin.userId, name: "Admin", type: "user" },
      });
      expect(Math.abs(res.body.created_at - Date.now() / 1000)).toBeLessThan(60);
      expect(res.body).not.toHaveProperty("attachments");
      const row = await db.dataSource.manager.findOneByOrFail(Message, { id: res.body.id });
      expect([row.messageType, row.senderType, row.senderId, row.private]).toEqual(["outgoing", "User", seeded.users.admin.userId, false]);
      const events = await db.dataSource.manager.findBy(WebhookEvent, { subjectType: "Message", subjectId: row.id });
      expect(events.map((event) => event.event)).toEqual(["message_created"]);
    });

    it("lets an agent post an incoming message whose sender is the conversation's contact", async () => {
      const res = await post(messagesPath(), AGENT).send({ content: "Hi", message_type: "incoming" });
      expect(res.status).toBe(200);
      expect(res.body.message_type).toBe(0);
      expect(res.body.sender).toMatchObject({ id: seeded.contactId, name: "Jane Doe", email: "jane@example.com", type: "contact" });
      const row = await db.dataSource.manager.findOneByOrFail(Message, { id: res.body.id });
      expect([row.senderType, row.senderId]).toEqual(["Contact", seeded.contactId]);
    });

    it("accepts a private note and a content_type", async () => {
      const res = await post(messagesPath()).send({ content: "internal", private: true, content_type: "input_select", content_attributes: { items: [{ title: "A", value: "a" }] } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ private: true, content_type: "input_select", content_attributes: { items: [{ title: "A", value: "a" }] } });
      expect((await db.dataSource.manager.findOneByOrFail(Message, { id: res.body.id })).private).toBe(true);
    });

    it("accepts multipart/form-data with string fields and attachments[] files", async () => {
      const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
      const pdf = Buffer.from("%PDF-1.4 demo");
      const res = await post(messagesPath())
        .field("content", "two files")
        .field("message_type", "incoming")
        .field("private", "true")
        .field("content_attributes", JSON.stringify({ source: "upload" }))
        .attach("attachments[]", png, { filename: "photo.PNG", contentType: "image/png" })
        .attach("attachments[]", pdf, { filename: "invoice.pdf", contentType: "application/pdf" });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ content: "two files", message_type: 0, private: true, content_attributes: { source: "upload" }, sender: { type: "contact" } });
      expect(res.body.attachments).toHaveLength(2);
      const [image, file] = res.body.attachments;
      expect(image).toMatchObject({ message_id: res.body.id, account_id: 1, file_type: "image", extension: "png", file_size: png.length, data_url: `/uploads/${image.id}/photo.PNG` });
      expect(file).toMatchObject({ file_type: "file", extension: "pdf", file_size: pdf.length, data_url: `/uploads/${file.id}/invoice.pdf` });
      const rows = await db.dataSource.manager.find(Attachment, { where: { messageId: res.body.id }, order: { id: "ASC" } });
      expect(rows.map((row) => [row.fileType, row.extension, row.fileSize, row.dataUrl])).toEqual([
        ["image", "png", png.length, `/uploads/${image.id}/photo.PNG`],
        ["file", "pdf", pdf.length, `/uploads/${file.id}/invoice.pdf`],
      ]);
    });

    it("accepts attachments without content, and private \"false\"", async () => {
      const res = await post(messagesPath()).field("private", "false").attach("attachments[]", Buffer.from("RIFF....WAVE"), { filename: "note.wav", contentType: "audio/wav" });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ content: null, private: false, message_type: 1, attachments: [{ file_type: "audio", extension: "wav" }] });
    });

    it.each([
      ["no content", {}, 422],
      ["blank content", { content: "   " }, 422],
      ["content that is not a string", { content: 42 }, 422],
      ["an activity message", { content: "x", message_type: "activity" }, 422],
      ["an unknown message_type", { content: "x", message_type: 1 }, 422],
      ["private that is not a boolean", { content: "x", private: "yes" }, 422],
      ["content_attributes that is not an object", { content: "x", content_attributes: [1, 2] }, 422],
      ["an unknown content_type", { content: "x", content_type: "html" }, 422],
      ["a JSON array body", [{ content: "x" }], 422],
      ["a NUL character in content", { content: "a\u0000b" }, 422],
      ["a NUL character inside content_attributes", { content: "x", content_attributes: { note: "a\u0000b" } }, 422],
    ])("refuses %s with a JSON error", async (_name, body, status) => {
      const before = await db.dataSource.manager.count(Message);
      const res = await post(messagesPath()).send(body as object);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: expect.any(String) });
      expect(await db.dataSource.manager.count(Message)).toBe(before);
    });

    it("refuses malformed bodies with 4xx, never 500", async () => {
      const invalid = await post(messagesPath()).set("content-type", "application/json").send('{"content": "x",');
      expect([invalid.status, invalid.body]).toEqual([400, { error: "The request body is not valid JSON" }]);

      const huge = await post(messagesPath()).send({ content: "x".repeat(1100 * 1024) });
      expect(huge.status).toBe(413);
      expect(huge.body).toEqual({ error: expect.any(String) });

      const badJsonField = await post(messagesPath()).field("content", "x").field("content_attributes", "{not json");
      expect([badJsonField.status, badJsonField.body]).toEqual([422, { error: "content_attributes must be a JSON object" }]);

      const badPrivate = await post(messagesPath()).field("content", "x").field("private", "maybe");
      expect([badPrivate.status, badPrivate.body]).toEqual([422, { error: "private must be true or false" }]);

      const wrongField = await post(messagesPath()).field("content", "x").attach("avatar", Buffer.from("x"), { filename: "a.txt", contentType: "text/plain" });
      expect(wrongField.status).toBe(422);
      expect(wrongField.body.error).toMatch(/attachments\[\]/);

      const truncated = await post(messagesPath()).set("content-type", "multipart/form-data; boundary=XYZ").send('--XYZ\r\nContent-Disposition: form-data; name="content"\r\n\r\nhalf');
      expect(truncated.status).toBe(400);
      expect(truncated.body).toEqual({ error: expect.any(String) });
    });

    it("answers 404 for unknown, malformed and other accounts' conversations", async () => {
      for (const displayId of [999, "abc", "0", "99999999999"]) {
        const res = await post(messagesPath(displayId)).send({ content: "x" });
        expect([displayId, res.status, res.body]).toEqual([displayId, 404, { error: "Resource could not be found" }]);
      }
    });
  });

  describe("authentication", () => {
    it("answers 401 sign-in required without a token and Invalid Access Token with an unknown one (Chatwoot's answers)", async () => {
      const none = await request(app).post(messagesPath()).send({ content: "x" });
      expect([none.status, none.body]).toEqual([401, { errors: ["You need to sign in or sign up before continuing."] }]);
      const unknown = await post(messagesPath(), "nope").send({ content: "x" });
      expect([unknown.status, unknown.body]).toEqual([401, { error: "Invalid Access Token" }]);
      for (const path of ["/api/v1/accounts/1/contacts", "/api/v1/accounts/1/conversations", "/api/v1/accounts/1/conversations/1/toggle_status"]) {
        const res = await request(app).post(path).send({});
        expect([path, res.status]).toEqual([path, 401]);
      }
      const patch = await request(app).patch(`/api/v1/accounts/1/messages/${foreign.messageId}`).send({ content: "x" });
      expect(patch.status).toBe(401);
    });

    it("answers 404 for an account that does not exist, once the token is known", async () => {
      for (const accountId of [3, 999]) {
        const res = await post(messagesPath(1, accountId)).send({ content: "x" });
        expect([accountId, res.status, res.body]).toEqual([accountId, 404, { error: "Resource could not be found" }]);
      }
      const unknown = await post(messagesPath(1, 999), "nope").send({ content: "x" });
      expect([unknown.status, unknown.body]).toEqual([401, { error: "Invalid Access Token" }]);
    });

    it("refuses a user of another account with 401, even for the path of their own rows", async () => {
      const res = await post(messagesPath(1, 1), OTHER).send({ content: "x" });
      expect([res.status, res.body]).toEqual([401, NOT_IN_ACCOUNT]);
      const admin = await post(messagesPath(1, 2), ADMIN).send({ content: "x" });
      expect([admin.status, admin.body]).toEqual([401, NOT_IN_ACCOUNT]);
      expect(await db.dataSource.manager.countBy(Message, { accountId: 2 })).toBe(1);
    });

    it("accepts Authorization: Bearer as well", async () => {
      const res = await request(app).post(messagesPath()).set("authorization", `Bearer ${AGENT}`).send({ content: "bearer" });
      expect(res.status).toBe(200);
      expect(res.body.sender).toMatchObject({ id: seeded.users.agent.userId, name: "Agent", type: "user" });
    });
  });

  describe("POST .../toggle_status", () => {
    it("sets the status and answers in Chatwoot's shape", async () => {
      const res = await post("/api/v1/accounts/1/conversations/1/toggle_status").send({ status: "resolved" });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ meta: {}, payload: { success: true, conversation_id: 1, current_status: "resolved", snoozed_until: null } });
      expect((await db.dataSource.manager.findOneByOrFail(Conversation, { accountId: 1, displayId: 1 })).status).toBe("resolved");
    });

    it("toggles resolved back to open without a status, and snoozes until a time", async () => {
      const toggled = await post("/api/v1/accounts/1/conversations/1/toggle_status").send({});
      expect(toggled.body.payload.current_status).toBe("open");
      const until = Math.floor(Date.now() / 1000) + 3600;
      const snoozed = await post("/api/v1/accounts/1/conversations/1/toggle_status", AGENT).send({ status: "snoozed", snoozed_until: until });
      expect(snoozed.body.payload).toMatchObject({ current_status: "snoozed", snoozed_until: until });
      const reopened = await post("/api/v1/accounts/1/conversations/1/toggle_status").send({ status: "open" });
      expect(reopened.body.payload).toMatchObject({ current_status: "open", snoozed_until: null });
    });

    it("refuses an unknown status and an unknown conversation", async () => {
      const bad = await post("/api/v1/accounts/1/conversations/1/toggle_status").send({ status: "closed" });
      expect([bad.status, bad.body.error]).toEqual([422, "status must be one of open, resolved, pending, snoozed"]);
      const badTime = await post("/api/v1/accounts/1/conversations/1/toggle_status").send({ status: "snoozed", snoozed_until: "tomorrow" });
      expect(badTime.status).toBe(422);
      const missing = await post("/api/v1/accounts/1/conversations/77/toggle_status").send({ status: "open" });
      expect([missing.status, missing.body]).toEqual([404, { error: "Resource could not be found" }]);
      expect((await db.dataSource.manager.findOneByOrFail(Conversation, { accountId: 1, displayId: 1 })).status).toBe("open");
    });
  });

  describe("POST /accounts/:account_id/contacts", () => {
    it("creates a contact and answers {payload: {contact, contact_inbox}}", async () => {
      const res = await post("/api/v1/accounts/1/contacts").send({ name: "John Roe", email: "John@Example.com", phone_number: "+15551234567" });
      expect(res.status).toBe(200);
      expect(res.body.payload.contact).toMatchObject({ name: "John Roe", email: "john@example.com", phone_number: "+15551234567", blocked: false, contact_inboxes: [] });
      expect(res.body.payload.contact_inbox).toEqual({ inbox: null, source_id: null });
      const row = await db.dataSource.manager.findOneByOrFail(Contact, { id: res.body.payload.contact.id });
      expect([row.accountId, row.email]).toEqual([1, "john@example.com"]);
    });

    it("links the contact to an inbox of the account when inbox_id is given", async () => {
      const res = await post("/api/v1/accounts/1/contacts", AGENT).send({ name: "Widget Visitor", inbox_id: seeded.inboxId });
      expect(res.status).toBe(200);
      expect(res.body.payload.contact_inbox).toEqual({ inbox: { id: seeded.inboxId, name: "Website", channel_type: "Channel::WebWidget" }, source_id: expect.any(String) });
      expect(res.body.payload.contact.contact_inboxes).toEqual([{ source_id: res.body.payload.contact_inbox.source_id, inbox: res.body.payload.contact_inbox.inbox }]);
    });

    it.each([
      ["a duplicate email", { name: "Again", email: "jane@example.com" }, 422],
      ["an invalid email", { name: "Bad", email: "not-an-email" }, 422],
      ["a phone number not in E.164", { name: "Bad", phone_number: "555-1234" }, 422],
      ["a name that is not a string", { name: { first: "A" } }, 422],
      ["another account's inbox", { name: "X", inbox_id: "FOREIGN" }, 404],
    ])("refuses %s", async (_name, body, status) => {
      const payload = { ...(body as Record<string, unknown>) };
      if (payload.inbox_id === "FOREIGN") payload.inbox_id = foreign.inboxId;
      const before = await db.dataSource.manager.count(Contact);
      const res = await post("/api/v1/accounts/1/contacts").send(payload);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: expect.any(String) });
      expect(await db.dataSource.manager.count(Contact)).toBe(before);
    });
  });

  describe("POST /accounts/:account_id/conversations", () => {
    it("creates a conversation with the next display id, reusing the contact's inbox link", async () => {
      const links = await db.dataSource.manager.countBy(ContactInbox, { contactId: seeded.contactId });
      const res = await post("/api/v1/accounts/1/conversations").send({ contact_id: seeded.contactId, inbox_id: seeded.inboxId, additional_attributes: { referer: "https://acme.test/pricing" } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: 2, account_id: 1, inbox_id: seeded.inboxId, status: "open", additional_attributes: { referer: "https://acme.test/pricing" }, messages: [] });
      expect(res.body.meta).toMatchObject({ sender: { id: seeded.contactId, name: "Jane Doe", type: "contact" }, channel: "Channel::WebWidget" });
      expect(await db.dataSource.manager.countBy(ContactInbox, { contactId: seeded.contactId })).toBe(links);
      const row = await db.dataSource.manager.findOneByOrFail(Conversation, { accountId: 1, displayId: 2 });
      expect([row.contactId, row.inboxId]).toEqual([seeded.contactId, seeded.inboxId]);
      const events = await db.dataSource.manager.findBy(WebhookEvent, { subjectType: "Conversation", subjectId: row.id });
      expect(events.map((event) => event.event)).toContain("conversation_created");
    });

    it("creates the contact-inbox link when the contact has none in that inbox (multipart fields too)", async () => {
      const contact = await post("/api/v1/accounts/1/contacts").send({ name: "Fresh" });
      const res = await post("/api/v1/accounts/1/conversations").field("contact_id", String(contact.body.payload.contact.id)).field("inbox_id", String(seeded.inboxId)).field("status", "pending");
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("pending");
      expect(await db.dataSource.manager.countBy(ContactInbox, { contactId: contact.body.payload.contact.id, inboxId: seeded.inboxId })).toBe(1);
    });

    it("refuses missing ids (422) and other accounts' contacts and inboxes (404)", async () => {
      const before = await db.dataSource.manager.count(Conversation);
      const missing = await post("/api/v1/accounts/1/conversations").send({ inbox_id: seeded.inboxId });
      expect([missing.status, missing.body]).toEqual([422, { error: "contact_id must be the id of a record in this account" }]);
      const foreignContact = await post("/api/v1/accounts/1/conversations").send({ contact_id: foreign.contactId, inbox_id: seeded.inboxId });
      expect([foreignContact.status, foreignContact.body]).toEqual([404, { error: "Resource could not be found" }]);
      const foreignInbox = await post("/api/v1/accounts/1/conversations").send({ contact_id: seeded.contactId, inbox_id: foreign.inboxId });
      expect(foreignInbox.status).toBe(404);
      const badAttributes = await post("/api/v1/accounts/1/conversations").send({ contact_id: seeded.contactId, inbox_id: seeded.inboxId, additional_attributes: "x" });
      expect(badAttributes.status).toBe(422);
      expect(await db.dataSource.manager.count(Conversation)).toBe(before);
    });
  });

  describe("PATCH /accounts/:account_id/messages/:id", () => {
    it("updates the content and records message_updated", async () => {
      const created = await post(messagesPath()).send({ content: "typo" });
      const res = await request(app).patch(`/api/v1/accounts/1/messages/${created.body.id}`).set("api_access_token", AGENT).send({ content: "fixed" });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: created.body.id, content: "fixed", conversation_id: 1, message_type: 1, sender: { id: seeded.users.admin.userId, type: "user" } });
      expect((await db.dataSource.manager.findOneByOrFail(Message, { id: created.body.id })).content).toBe("fixed");
      const events = await db.dataSource.manager.find(WebhookEvent, { where: { subjectType: "Message", subjectId: created.body.id }, order: { id: "ASC" } });
      expect(events.map((event) => event.event)).toEqual(["message_created", "message_updated"]);
    });

    it("also answers on Chatwoot's nested path, and only for the message's own conversation", async () => {
      const created = await post(messagesPath()).send({ content: "nested" });
      const ok = await request(app).patch(`/api/v1/accounts/1/conversations/1/messages/${created.body.id}`).set("api_access_token", ADMIN).send({ content: "nested, edited" });
      expect([ok.status, ok.body.content]).toEqual([200, "nested, edited"]);
      const wrong = await request(app).patch(`/api/v1/accounts/1/conversations/2/messages/${created.body.id}`).set("api_access_token", ADMIN).send({ content: "no" });
      expect(wrong.status).toBe(404);
    });

    it("refuses another account's message (404), an unknown id (404) and a missing content (422)", async () => {
      const foreignRes = await request(app).patch(`/api/v1/accounts/1/messages/${foreign.messageId}`).set("api_access_token", ADMIN).send({ content: "hijack" });
      expect([foreignRes.status, foreignRes.body]).toEqual([404, { error: "Resource could not be found" }]);
      expect((await db.dataSource.manager.findOneByOrFail(Message, { id: foreign.messageId })).content).toBe("foreign");
      const unknown = await request(app).patch("/api/v1/accounts/1/messages/987654").set("api_access_token", ADMIN).send({ content: "x" });
      expect(unknown.status).toBe(404);
      const created = await post(messagesPath()).send({ content: "keep" });
      const empty = await request(app).patch(`/api/v1/accounts/1/messages/${created.body.id}`).set("api_access_token", ADMIN).send({ body: "x" });
      expect([empty.status, empty.body]).toEqual([422, { error: "content is required" }]);
    });
  });

  describe("end to end: a message saved by the host route reaches a webhook", () => {
    let receiver: Receiver;

    beforeAll(async () => {
      receiver = await startReceiver();
    });

    afterAll(async () => {
      await receiver?.close();
    });

    it("delivers message_created with Chatwoot's body and a verifiable signature", async () => {
      // Send what the tests above queued while no webhook existed, so only new events remain.
      await webhooks.dispatcher.runOnce();

      const created = await post("/api/v1/accounts/1/webhooks").send({ webhook: { url: `${receiver.url}/chatwoot`, subscriptions: ["message_created"] } });
      expect(created.status).toBe(200);
      const { secret } = created.body.payload.webhook as { secret: string };
      await webhooks.dispatcher.start();

      const sent = await post(messagesPath(), AGENT).send({ content: "Hi from the widget", message_type: "incoming" });
      expect(sent.status).toBe(200);

      const [received] = await receiver.waitFor(1, 10000);
      expect(receiver.requests).toHaveLength(1);
      expect(received.method).toBe("POST");
      expect(received.path).toBe("/chatwoot");
      const body = JSON.parse(received.body);
      expect(body).toMatchObject({
        event: "message_created",
        id: sent.body.id,
        content: "Hi from the widget",
        message_type: "incoming",
        account: { id: 1, name: "Acme Inc" },
        inbox: { id: seeded.inboxId, name: "Website" },
        conversation: { id: 1, display_id: 1, channel: "Channel::WebWidget", additional_attributes: SEED_CONVERSATION_ATTRIBUTES },
        sender: { id: seeded.contactId, name: "Jane Doe", email: "jane@example.com" },
        contact: { id: seeded.contactId, name: "Jane Doe" },
      });

      const timestamp = received.headers["x-chatwoot-timestamp"] as string;
      expect(timestamp).toMatch(/^\d+$/);
      const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${received.body}`).digest("hex")}`;
      expect(received.headers["x-chatwoot-signature"]).toBe(expected);
      // And the Standard Webhooks headers, as the `standardwebhooks` package checks them.
      verifyBothSignatures(received, secret);
    });
  });
});
