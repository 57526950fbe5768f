import { Contact, Conversation, Message, WebhookDelivery, WebhookEvent } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeAccount, makeConversation, makeContact, makeInbox, makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { verifyBothSignatures } from "../helpers/signatures";
import { eventually, testWebhooks, settle as settleDispatcher } from "../helpers/webhooks";

describe("ORM-triggered delivery", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;

  beforeAll(async () => {
    db = await createTestDatabase("delivery");
  });

  beforeEach(async () => {
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource);
  });

  afterEach(async () => {
    await webhooks.close();
    await receiver.close();
    // Each test starts with no webhooks and an empty outbox.
    await db.dataSource.query("DELETE FROM webhooks");
    await db.dataSource.query("DELETE FROM webhook_events");
  });

  afterAll(async () => {
    await db.drop();
  });

  const bodies = () => receiver.requests.map((request) => JSON.parse(request.body));
  const settle = () => settleDispatcher(webhooks);

  it("sends message_created, signed both ways, when a message is saved", async () => {
    const scene = await makeScene(db.dataSource);
    // message_created only: the contact's activity update also sends contact_updated (message-side-effects.test.ts).
    const webhook = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/hook`, { subscriptions: ["message_created"] });
    const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "Hello\n\n" }));
    await settle();

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/hook");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["accept"]).toBe("application/json");
    expect(request.headers["user-agent"]).toBe("chatwoot-webhooks/0.1.0");
    expect(request.headers["x-chatwoot-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(request.headers["webhook-id"]).toBe(request.headers["x-chatwoot-delivery"]);
    expect(request.headers["webhook-timestamp"]).toBe(request.headers["x-chatwoot-timestamp"]);
    verifyBothSignatures(request, webhook.secret);
    const body = JSON.parse(request.body);
    expect(body.event).toBe("message_created");
    expect(body.id).toBe(message.id);
    expect(body.content).toBe("Hello");
    expect(body.message_type).toBe("incoming");
    expect(body.conversation.id).toBe(scene.conversation.displayId);
    expect(body.sender.id).toBe(scene.contact.id);
    expect(body.contact).toEqual({ id: scene.contact.id, name: scene.contact.name });

    const delivery = await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ id: String(request.headers["x-chatwoot-delivery"]) });
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, lastStatusCode: 200, webhookId: webhook.id });
    const event = await db.dataSource.getRepository(WebhookEvent).findOneByOrFail({ id: delivery.eventId });
    expect(event.body).toBe(request.body);
  });

  it("sends nothing for a rolled-back transaction", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await expect(
      db.dataSource.transaction(async (manager) => {
        await manager.save(newMessage(manager, scene.conversation));
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await settle();
    expect(receiver.requests).toHaveLength(0);
    expect(await db.dataSource.getRepository(WebhookEvent).countBy({ accountId: scene.account.id, event: "message_created" })).toBe(0);
  });

  it("delivers each message of a bulk save([...]) once to every subscribed webhook", async () => {
    const scene = await makeScene(db.dataSource);
    const second = await startReceiver();
    try {
      await makeWebhook(db.dataSource, scene.account.id, receiver.url);
      await makeWebhook(db.dataSource, scene.account.id, second.url);
      const messages = Array.from({ length: 50 }, (_, i) => newMessage(db.dataSource, scene.conversation, { content: `m${i}` }));
      await db.dataSource.getRepository(Message).save(messages);
      await settle();
      for (const target of [receiver, second]) {
        const contents = target.requests.map((request) => JSON.parse(request.body).content).sort();
        expect(contents).toEqual(messages.map((m) => m.content).sort());
      }
    } finally {
      await second.close();
    }
  });

  it("records repository.insert() and QueryBuilder inserts exactly once", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    const repository = db.dataSource.getRepository(Message);
    const plain = (content: string) => ({ accountId: scene.account.id, inboxId: scene.inbox.id, conversationId: scene.conversation.id, content, messageType: "incoming" as const, senderType: "Contact" as const, senderId: scene.contact.id });
    await repository.insert(plain("via insert"));
    await repository.createQueryBuilder().insert().values(plain("via builder")).execute();
    await settle();
    expect(bodies().map((body) => body.content).sort()).toEqual(["via builder", "via insert"]);
  });

  it("skips activity messages and sends private notes with private: true", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    const { user } = await makeUser(db.dataSource, scene.account.id);
    const repository = db.dataSource.getRepository(Message);
    await repository.save(newMessage(db.dataSource, scene.conversation, { messageType: "activity", content: "Conversation was resolved", senderType: null, senderId: null }));
    await repository.save(newMessage(db.dataSource, scene.conversation, { messageType: "outgoing", private: true, content: "note", senderType: "User", senderId: user.id }));
    await settle();
    expect(bodies()).toHaveLength(1);
    expect(bodies()[0]).toMatchObject({ event: "message_created", content: "note", private: true, message_type: "outgoing", sender: { id: user.id, type: "user" } });
  });

  it("sends message_updated only when a column really changed", async () => {
    const scene = await makeScene(db.dataSource);
    const repository = db.dataSource.getRepository(Message);
    const message = await repository.save(newMessage(db.dataSource, scene.conversation, { content: "first" }));
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await repository.save(message); // nothing changed
    message.content = "edited";
    await repository.save(message);
    await settle();
    expect(bodies().map((body) => [body.event, body.content])).toEqual([["message_updated", "edited"]]);
  });

  it("routes by account, subscription, inbox and enabled flag", async () => {
    const scene = await makeScene(db.dataSource);
    const other = await makeScene(db.dataSource);
    const otherInbox = await makeInbox(db.dataSource, scene.account.id, { name: "Email", channelType: "Channel::Email" });
    const targets = await Promise.all(Array.from({ length: 6 }, () => startReceiver()));
    try {
      const [subscribed, unsubscribed, otherAccount, otherInboxHook, disabled, sameInbox] = targets;
      await makeWebhook(db.dataSource, scene.account.id, subscribed.url);
      await makeWebhook(db.dataSource, scene.account.id, unsubscribed.url, { subscriptions: ["contact_created"] });
      await makeWebhook(db.dataSource, other.account.id, otherAccount.url);
      await makeWebhook(db.dataSource, scene.account.id, otherInboxHook.url, { inboxId: otherInbox.id });
      await makeWebhook(db.dataSource, scene.account.id, disabled.url, { enabled: false });
      await makeWebhook(db.dataSource, scene.account.id, sameInbox.url, { inboxId: scene.inbox.id });
      // No sender: a contact's message would also send an (account-wide) contact_updated for its activity.
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { senderType: null, senderId: null }));
      await settle();
      expect(targets.map((target) => target.requests.length)).toEqual([1, 0, 0, 0, 0, 1]);
      // Contact events are account-wide: the inbox-scoped webhooks get them too.
      await makeContact(db.dataSource, scene.account.id, { name: "New Person" });
      await settle();
      expect(targets.map((target) => target.requests.length)).toEqual([2, 1, 0, 1, 0, 2]);
      expect(JSON.parse(otherInboxHook.requests[0].body).event).toBe("contact_created");
    } finally {
      await Promise.all(targets.map((target) => target.close()));
    }
  });

  it("sends conversation_created, conversation_updated and conversation_status_changed with changed_attributes", async () => {
    const account = await makeAccount(db.dataSource);
    const inbox = await makeInbox(db.dataSource, account.id);
    const contact = await makeContact(db.dataSource, account.id);
    await makeWebhook(db.dataSource, account.id, receiver.url);
    const conversation = await makeConversation(db.dataSource, inbox, contact);
    await settle();
    const repository = db.dataSource.getRepository(Conversation);
    conversation.status = "resolved";
    await repository.save(conversation);
    conversation.lastActivityAt = new Date("2026-03-04T00:00:00Z"); // not a watched column: no event
    await repository.save(conversation);
    await settle();
    const events = bodies().map((body) => body.event).sort();
    expect(events).toEqual(["conversation_created", "conversation_status_changed", "conversation_updated"]);
    const statusChanged = bodies().find((body) => body.event === "conversation_status_changed");
    expect(statusChanged.changed_attributes).toEqual([{ status: { previous_value: "open", current_value: "resolved" } }]);
    expect(statusChanged.status).toBe("resolved");
    expect(statusChanged.id).toBe(conversation.displayId);
    const updated = bodies().find((body) => body.event === "conversation_updated");
    expect(updated.changed_attributes).toContainEqual({ status: { previous_value: "open", current_value: "resolved" } });
  });

  it("sends contact_created and contact_updated with the change", async () => {
    const account = await makeAccount(db.dataSource);
    await makeWebhook(db.dataSource, account.id, receiver.url);
    const contact = await makeContact(db.dataSource, account.id, { name: "Jane", email: null });
    contact.name = "Jane Doe";
    await db.dataSource.getRepository(Contact).save(contact);
    await settle();
    expect(bodies().map((body) => body.event)).toEqual(["contact_created", "contact_updated"]);
    // Every saved change, updated_at included, as Chatwoot's previous_changes (app/models/contact.rb).
    const [name, updatedAt, ...rest] = bodies()[1].changed_attributes;
    expect(name).toEqual({ name: { previous_value: "Jane", current_value: "Jane Doe" } });
    expect(Object.keys(updatedAt)).toEqual(["updated_at"]);
    expect(rest).toEqual([]);
  });

  it("emits typing and widget events through the outbox", async () => {
    const scene = await makeScene(db.dataSource);
    const { user } = await makeUser(db.dataSource, scene.account.id);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url, { subscriptions: ["conversation_typing_on", "conversation_typing_off", "webwidget_triggered"] });
    await webhooks.emit.typing({ conversationId: scene.conversation.id, user: { type: "User", id: user.id }, on: true });
    await webhooks.emit.typing({ conversationId: scene.conversation.id, user: { type: "User", id: user.id }, on: false, isPrivate: true });
    await webhooks.emit.widgetTriggered({ contactInboxId: scene.conversation.contactInboxId as number, eventInfo: { referer: "http://example.com" } });
    await expect(webhooks.emit.typing({ conversationId: 987654, user: { type: "User", id: user.id }, on: true })).rejects.toThrow("does not exist");
    await settle();
    const sorted = bodies().sort((a, b) => a.event.localeCompare(b.event));
    expect(sorted.map((body) => body.event)).toEqual(["conversation_typing_off", "conversation_typing_on", "webwidget_triggered"]);
    expect(sorted[0].is_private).toBe(true);
    expect(sorted[1].user.id).toBe(user.id);
    expect(sorted[2].event_info).toEqual({ referer: "http://example.com" });
  });

  it("delivers right after commit when the dispatcher runs, without waiting for the poll", async () => {
    await webhooks.close();
    webhooks = testWebhooks(db.dataSource, { pollIntervalMs: 60_000 });
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await webhooks.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first pass is over; the loop now sleeps
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "live" }));
    await receiver.waitFor(1, 2000);
    expect(JSON.parse(receiver.requests[0].body).content).toBe("live");
    await eventually(async () => (await webhooks.dispatcher.stats()).pending === 0, 5000, "delivery recorded");
  });

  it("keeps delivering to healthy endpoints while another one hangs, even on the same host", async () => {
    await webhooks.close();
    webhooks = testWebhooks(db.dataSource, { timeoutMs: 1500, perEndpointConcurrency: 4 });
    const scene = await makeScene(db.dataSource);
    const hanging = await startReceiver(() => "hang");
    // One server, two webhooks: /stuck never answers, /ok does. Sockets to one host are shared.
    receiver.respond((request) => (request.path === "/stuck" ? "hang" : { status: 200 }));
    try {
      await makeWebhook(db.dataSource, scene.account.id, hanging.url);
      await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/stuck`);
      await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/ok`, { subscriptions: ["message_created"] });
      const messages = Array.from({ length: 40 }, (_, i) => newMessage(db.dataSource, scene.conversation, { content: `m${i}` }));
      await db.dataSource.getRepository(Message).save(messages);
      // From the moment the dispatcher runs (on its thread, which takes a moment to start from the sources).
      await webhooks.dispatcher.start();
      const started = Date.now();
      await eventually(() => receiver.requests.filter((r) => r.path === "/ok").length === 40, 5000, "40 deliveries to /ok");
      // All 40 arrived before the first attempt to a hanging endpoint could even time out.
      expect(Date.now() - started).toBeLessThan(1500);
      expect(hanging.requests.length).toBeLessThanOrEqual(4);
      expect(receiver.requests.filter((r) => r.path === "/stuck").length).toBeLessThanOrEqual(4);
    } finally {
      await webhooks.dispatcher.stop(100);
      await hanging.close();
    }
  });

  it("does not spin while an endpoint at its limit hangs", async () => {
    await webhooks.close();
    let claims = 0;
    const counting = await db.open({
      logging: ["query"],
      logger: {
        logQuery: (query: string) => {
          if (query.includes("WITH candidates")) claims += 1;
        },
        logQueryError: () => undefined,
        logQuerySlow: () => undefined,
        logSchemaBuild: () => undefined,
        logMigration: () => undefined,
        log: () => undefined,
      },
    });
    const spinning = testWebhooks(counting, { timeoutMs: 5000, perEndpointConcurrency: 2, pollIntervalMs: 250 });
    const hanging = await startReceiver(() => "hang");
    try {
      const scene = await makeScene(counting);
      await makeWebhook(counting, scene.account.id, hanging.url);
      await counting.getRepository(Message).save(Array.from({ length: 10 }, () => newMessage(counting, scene.conversation)));
      await spinning.dispatcher.start();
      // A new webhook starts with its first slot (an eighth of 2, at least one); it grows only on quick successes.
      await hanging.waitFor(1, 3000);
      claims = 0;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Only the 250 ms poll claims while its slot hangs: about 4 in a second, not thousands.
      expect(claims).toBeLessThanOrEqual(6);
      expect(hanging.requests).toHaveLength(1);
    } finally {
      await spinning.dispatcher.stop(50);
      await spinning.close();
      await hanging.close();
      await counting.destroy();
    }
  });

  it("refuses a second createWebhooks() on the same DataSource", () => {
    expect(() => testWebhooks(db.dataSource)).toThrow(/already has webhooks attached/);
  });
});
