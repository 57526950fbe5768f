/**
 * Chatwoot's side effects of saving a message (issue 16 item 8), judged on what a real receiver
 * gets. Chatwoot's rules: app/models/message.rb (`execute_after_create_commit_callbacks`:
 * reopen_conversation, set_conversation_activity, dispatch_create_events with valid_first_reply? /
 * update_waiting_since, update_contact_activity), app/models/conversation.rb (which changes fire
 * conversation_updated), app/models/contact.rb and app/listeners/webhook_listener.rb.
 */
import type { DataSource } from "typeorm";
import { AgentBot, AgentBotInbox, Contact, Conversation, Message } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { settle, testWebhooks } from "../helpers/webhooks";

/** A time as Rails writes it in changed_attributes (ISO-8601 UTC, milliseconds). */
const iso = (date: Date | null) => (date ? date.toISOString() : null);
const seconds = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : 0);

describe("side effects of a message (app/models/message.rb)", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;
  let path = 0;

  beforeAll(async () => {
    db = await createTestDatabase("message_side_effects");
    receiver = await startReceiver();
    // The library's default (the test helper turns the side effects off for other tests).
    webhooks = testWebhooks(db.dataSource, { messageSideEffects: undefined });
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  /** A scene and a webhook on its own path, created after the scene so only later events reach it. */
  async function setup(conversationFields: Pick<Partial<Conversation>, "status" | "waitingSince" | "firstReplyCreatedAt" | "snoozedUntil"> = {}) {
    const scene = await makeScene(db.dataSource);
    if (Object.keys(conversationFields).length > 0) {
      await db.dataSource.getRepository(Conversation).update(scene.conversation.id, conversationFields);
    }
    const url = `/effects/${(path += 1)}`;
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}${url}`);
    const { user } = await makeUser(db.dataSource, scene.account.id);
    /** The bodies that arrived, in the order the events were recorded (deliveries run concurrently). */
    const delivered = async () => {
      await settle(webhooks);
      const bodies = receiver.requests.filter((request) => request.path === url).map((request) => request.body);
      const order = (await db.dataSource.query(`SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.url = $1 ORDER BY d.event_id`, [`${receiver.url}${url}`])) as Array<{ id: string }>;
      const byDelivery = new Map(receiver.requests.filter((request) => request.path === url).map((request) => [request.headers["x-chatwoot-delivery"], request.body]));
      expect(byDelivery.size).toBe(bodies.length);
      return order.map((row) => byDelivery.get(row.id) as string);
    };
    return { ...scene, user, delivered };
  }

  /**
   * The host's save, then the dispatcher's pass that fans its message_created out: the side
   * effects happen there, after the commit (as Chatwoot's after-commit callbacks).
   */
  const save = async (message: Message, ds: DataSource = db.dataSource, dispatching: Webhooks = webhooks) => {
    const saved = await ds.transaction((manager) => manager.save(Message, message));
    await settle(dispatching);
    return saved;
  };
  /**
   * Messages written as history from before the library was installed: with the library's
   * triggers off for this transaction only (`session_replication_role = replica`), so they record
   * no events and get no side effects.
   */
  const writeHistory = (sql: string, parameters: unknown[]) =>
    db.dataSource.transaction(async (manager) => {
      await manager.query("SET LOCAL session_replication_role = replica");
      await manager.query(sql, parameters);
    });
  const conversationRow = (id: number) => db.dataSource.getRepository(Conversation).findOneByOrFail({ id });
  const contactRow = (id: number) => db.dataSource.getRepository(Contact).findOneByOrFail({ id });

  it("a customer's message: last_activity_at on both, contact_updated; waiting_since already set at creation fires nothing (set_conversation_activity, update_contact_activity, ensure_waiting_since)", async () => {
    const scene = await setup();
    const before = await conversationRow(scene.conversation.id);
    const contactBefore = await contactRow(scene.contact.id);
    expect(before.waitingSince?.getTime()).toBe(before.createdAt.getTime());
    const message = await save(newMessage(db.dataSource, scene.conversation, { content: "Hello" }));
    const after = await conversationRow(scene.conversation.id);
    const contact = await contactRow(scene.contact.id);
    expect(after.lastActivityAt.getTime()).toBe(message.createdAt.getTime());

    const bodies = await scene.delivered();
    expect(bodies.map((body) => JSON.parse(body).event)).toEqual(["message_created", "contact_updated"]);
    const created = JSON.parse(bodies[0]);
    expect(created.conversation.last_activity_at).toBe(seconds(message.createdAt));
    expect(created.conversation.timestamp).toBe(seconds(message.createdAt));
    expect(created.conversation.waiting_since).toBe(seconds(before.createdAt));
    expect(bodies[1]).toContain(
      `"changed_attributes":[{"last_activity_at":{"previous_value":null,"current_value":"${iso(contact.lastActivityAt)}"}},` +
        `{"updated_at":{"previous_value":"${iso(contactBefore.updatedAt)}","current_value":"${iso(contact.updatedAt)}"}}]`,
    );
  });

  it("message_created shows the conversation as the side effects leave it (they run before it is dispatched), however old its last activity", async () => {
    // A day-old last activity: a body built before the side effects would show it.
    const dayAgo = new Date(Date.now() - 86_400_000);
    const scene = await setup({ status: "resolved" });
    await db.dataSource.getRepository(Conversation).update(scene.conversation.id, { lastActivityAt: dayAgo });
    const message = await save(newMessage(db.dataSource, scene.conversation, { content: "Back again" }));

    const bodies = await scene.delivered();
    const created = JSON.parse(bodies[0]);
    expect(created.event).toBe("message_created");
    expect(created.conversation.last_activity_at).toBe(seconds(message.createdAt));
    expect(created.conversation.last_activity_at).not.toBe(seconds(dayAgo));
    expect(created.conversation.status).toBe("open");
  });

  it("the first human reply sets first_reply_created_at and clears waiting_since in one conversation_updated; the second reply fires nothing (valid_first_reply?)", async () => {
    const scene = await setup();
    const before = await conversationRow(scene.conversation.id);
    const reply = await save(newMessage(db.dataSource, scene.conversation, { content: "Hi, how can I help?", messageType: "outgoing", senderType: "User", senderId: scene.user.id }));
    const after = await conversationRow(scene.conversation.id);
    expect(after.firstReplyCreatedAt?.getTime()).toBe(reply.createdAt.getTime());
    expect(after.waitingSince).toBeNull();
    await save(newMessage(db.dataSource, scene.conversation, { content: "Anything else?", messageType: "outgoing", senderType: "User", senderId: scene.user.id }));

    const bodies = await scene.delivered();
    expect(bodies.map((body) => JSON.parse(body).event)).toEqual(["message_created", "conversation_updated", "message_created"]);
    expect(bodies[1]).toContain(
      `"changed_attributes":[{"first_reply_created_at":{"previous_value":null,"current_value":"${iso(reply.createdAt)}"}},` +
        `{"waiting_since":{"previous_value":"${iso(before.waitingSince)}","current_value":null}},` +
        `{"updated_at":{"previous_value":"${iso(before.updatedAt)}","current_value":"${iso(after.updatedAt)}"}}]`,
    );
    const updated = JSON.parse(bodies[1]);
    expect(updated.first_reply_created_at).toBe(iso(reply.createdAt));
    expect(updated.waiting_since).toBe(0);
  });

  it("the first reply is the first human one however long the conversation, and never again after an unrecorded one (valid_first_reply? counts the human replies)", async () => {
    const long = await setup();
    // History from before the library (no events, no side effects): 60 bot messages, more than the
    // oldest 50 looked at first.
    const bot = await db.dataSource.getRepository(AgentBot).save({ name: "Greeter", accountId: long.account.id });
    await writeHistory(
      `INSERT INTO messages (account_id, inbox_id, conversation_id, content, message_type, sender_type, sender_id, created_at)
       SELECT $1, $2, $3, 'bot ' || g, 'outgoing', 'AgentBot', $4, now() - interval '1 hour' + g * interval '1 second' FROM generate_series(1, 60) g`,
      [long.account.id, long.inbox.id, long.conversation.id, bot.id],
    );
    const reply = await save(newMessage(db.dataSource, long.conversation, { content: "A person now", messageType: "outgoing", senderType: "User", senderId: long.user.id }));
    expect((await conversationRow(long.conversation.id)).firstReplyCreatedAt?.getTime()).toBe(reply.createdAt.getTime());

    // A human reply written with SQL after 60 bot messages: found beyond the oldest 50.
    const earlier = await setup();
    await writeHistory(
      `INSERT INTO messages (account_id, inbox_id, conversation_id, content, message_type, sender_type, sender_id, created_at)
       SELECT $1::int, $2::int, $3::int, 'bot ' || g, 'outgoing', 'AgentBot', $5::int, now() - interval '1 hour' + g * interval '1 second' FROM generate_series(1, 60) g
       UNION ALL SELECT $1, $2, $3, 'an unrecorded reply', 'outgoing', 'User', $4, now() - interval '1 minute'`,
      [earlier.account.id, earlier.inbox.id, earlier.conversation.id, earlier.user.id, bot.id],
    );
    await save(newMessage(db.dataSource, earlier.conversation, { content: "second reply", messageType: "outgoing", senderType: "User", senderId: earlier.user.id }));
    const after = await conversationRow(earlier.conversation.id);
    expect(after.firstReplyCreatedAt).toBeNull();
    // Still a human reply: it clears waiting_since (update_waiting_since), without first_reply_created_at.
    const bodies = await earlier.delivered();
    expect(bodies.map((body) => JSON.parse(body).event)).toEqual(["message_created", "conversation_updated"]);
    expect(bodies[1]).toContain(`"changed_attributes":[{"waiting_since":{"previous_value":`);
  });

  it("a customer's message after the reply sets waiting_since once; a bot's reply clears it (update_waiting_since)", async () => {
    const scene = await setup({ waitingSince: null, firstReplyCreatedAt: new Date("2026-01-01T00:00:00Z") });
    const before = await conversationRow(scene.conversation.id);
    const asked = await save(newMessage(db.dataSource, scene.conversation, { content: "Still there?" }));
    const waiting = await conversationRow(scene.conversation.id);
    expect(waiting.waitingSince?.getTime()).toBe(asked.createdAt.getTime());
    await save(newMessage(db.dataSource, scene.conversation, { content: "And now?" }));
    const bot = await db.dataSource.getRepository(AgentBot).save({ name: "Helper", accountId: scene.account.id });
    await save(newMessage(db.dataSource, scene.conversation, { content: "A bot answers", messageType: "outgoing", senderType: "AgentBot", senderId: bot.id }));
    const answered = await conversationRow(scene.conversation.id);
    expect(answered.waitingSince).toBeNull();

    const bodies = await scene.delivered();
    const events = bodies.map((body) => JSON.parse(body).event);
    expect(events).toEqual(["message_created", "conversation_updated", "contact_updated", "message_created", "contact_updated", "message_created", "conversation_updated"]);
    expect(bodies[1]).toContain(
      `"changed_attributes":[{"waiting_since":{"previous_value":null,"current_value":"${iso(asked.createdAt)}"}},` +
        `{"updated_at":{"previous_value":"${iso(before.updatedAt)}","current_value":"${iso(waiting.updatedAt)}"}}]`,
    );
    expect(bodies[6]).toContain(`"changed_attributes":[{"waiting_since":{"previous_value":"${iso(asked.createdAt)}","current_value":null}},{"updated_at":`);
  });

  it("a customer's message reopens a resolved conversation: status events first, then waiting_since (reopen_conversation)", async () => {
    const scene = await setup({ status: "resolved", waitingSince: null, firstReplyCreatedAt: new Date("2026-01-01T00:00:00Z") });
    const before = await conversationRow(scene.conversation.id);
    const message = await save(newMessage(db.dataSource, scene.conversation, { content: "It broke again" }));
    const after = await conversationRow(scene.conversation.id);
    expect(after.status).toBe("open");

    const bodies = await scene.delivered();
    expect(bodies.map((body) => JSON.parse(body).event)).toEqual(["message_created", "conversation_status_changed", "conversation_updated", "conversation_updated", "contact_updated"]);
    expect(bodies[1]).toContain(`"changed_attributes":[{"status":{"previous_value":"resolved","current_value":"open"}}]`);
    expect(bodies[2]).toContain(`"changed_attributes":[{"status":{"previous_value":"resolved","current_value":"open"}},{"updated_at":{"previous_value":"${iso(before.updatedAt)}","current_value":"`);
    expect(bodies[3]).toContain(`"changed_attributes":[{"waiting_since":{"previous_value":null,"current_value":"${iso(message.createdAt)}"}},{"updated_at":`);
    // The second save comes after the first: its updated_at starts where the reopening left it.
    const reopenedAt = JSON.parse(bodies[2]).changed_attributes[1].updated_at.current_value;
    expect(JSON.parse(bodies[3]).changed_attributes[1].updated_at).toEqual({ previous_value: reopenedAt, current_value: iso(after.updatedAt) });
    expect(JSON.parse(bodies[1]).status).toBe("open");
  });

  it("with an active agent bot on the inbox a resolved conversation goes back to pending; a snoozed one opens and loses snoozed_until (reopen_resolved_conversation, ensure_snooze_until_reset)", async () => {
    const resolved = await setup({ status: "resolved" });
    const bot = await db.dataSource.getRepository(AgentBot).save({ name: "Triage", accountId: resolved.account.id });
    await db.dataSource.getRepository(AgentBotInbox).save({ inboxId: resolved.inbox.id, agentBotId: bot.id, accountId: resolved.account.id });
    await save(newMessage(db.dataSource, resolved.conversation, { content: "Back" }));
    expect((await conversationRow(resolved.conversation.id)).status).toBe("pending");
    const pendingBodies = await resolved.delivered();
    expect(pendingBodies.map((body) => JSON.parse(body).event)).toEqual(["message_created", "conversation_status_changed", "conversation_updated", "contact_updated"]);
    expect(pendingBodies[1]).toContain(`{"status":{"previous_value":"resolved","current_value":"pending"}}`);

    const until = new Date("2030-01-01T10:00:00.000Z");
    const snoozed = await setup({ status: "snoozed", snoozedUntil: until });
    await save(newMessage(db.dataSource, snoozed.conversation, { content: "Wake up" }));
    const after = await conversationRow(snoozed.conversation.id);
    expect([after.status, after.snoozedUntil]).toEqual(["open", null]);
    const bodies = await snoozed.delivered();
    expect(bodies[2]).toContain(`"changed_attributes":[{"status":{"previous_value":"snoozed","current_value":"open"}},{"snoozed_until":{"previous_value":"2030-01-01T10:00:00.000Z","current_value":null}},{"updated_at":`);
  });

  it("a blocked contact does not reopen, a private note neither replies nor clears waiting_since (muted?, human_response?)", async () => {
    const scene = await setup({ status: "resolved" });
    await db.dataSource.getRepository(Contact).update(scene.contact.id, { blocked: true });
    await save(newMessage(db.dataSource, scene.conversation, { content: "Let me in" }));
    expect((await conversationRow(scene.conversation.id)).status).toBe("resolved");

    const other = await setup();
    const before = await conversationRow(other.conversation.id);
    await save(newMessage(db.dataSource, other.conversation, { content: "internal", messageType: "outgoing", private: true, senderType: "User", senderId: other.user.id }));
    const after = await conversationRow(other.conversation.id);
    expect([after.firstReplyCreatedAt, after.waitingSince?.getTime()]).toEqual([null, before.waitingSince?.getTime()]);
    expect((await other.delivered()).map((body) => JSON.parse(body).event)).toEqual(["message_created"]);
    expect((await scene.delivered()).map((body) => JSON.parse(body).event)).toEqual(["message_created", "contact_updated"]);
  });

  it("an activity message moves last_activity_at and sends nothing", async () => {
    const scene = await setup();
    const activity = await save(newMessage(db.dataSource, scene.conversation, { content: "Conversation was reopened", messageType: "activity", senderType: null, senderId: null }));
    expect((await conversationRow(scene.conversation.id)).lastActivityAt.getTime()).toBe(activity.createdAt.getTime());
    expect(await scene.delivered()).toEqual([]);
  });

  it("rolls back with the message", async () => {
    const scene = await setup({ status: "resolved" });
    const before = await conversationRow(scene.conversation.id);
    await expect(
      db.dataSource.transaction(async (manager) => {
        await manager.save(Message, newMessage(manager, scene.conversation, { content: "never" }));
        throw new Error("host rolls back");
      }),
    ).rejects.toThrow("host rolls back");
    expect(await conversationRow(scene.conversation.id)).toEqual(before);
    expect(await scene.delivered()).toEqual([]);
  });

  it("happens after the commit, in the pass that fans the message out: the host's save writes only its outbox row", async () => {
    const scene = await setup();
    const before = await conversationRow(scene.conversation.id);
    const message = await db.dataSource.transaction((manager) => manager.save(Message, newMessage(manager, scene.conversation, { content: "Later" })));
    // Committed, not yet fanned out: the conversation and contact are as they were.
    expect(await conversationRow(scene.conversation.id)).toEqual(before);
    expect((await contactRow(scene.contact.id)).lastActivityAt).toBeNull();
    await settle(webhooks);
    expect((await conversationRow(scene.conversation.id)).lastActivityAt.getTime()).toBe(message.createdAt.getTime());
    expect((await contactRow(scene.contact.id)).lastActivityAt).not.toBeNull();
    expect((await scene.delivered()).map((body) => JSON.parse(body).event)).toEqual(["message_created", "contact_updated"]);
  });

  it("does not hold up the host: while a fan-out's side effects hold a conversation and its contact, the host still saves messages and conversations that refer to them", async () => {
    const scene = await setup();
    const message = await db.dataSource.transaction((manager) => manager.save(Message, newMessage(db.dataSource, scene.conversation, { content: "first" })));
    const fanOut = db.dataSource.createQueryRunner();
    await fanOut.connect();
    try {
      await fanOut.startTransaction();
      // What the fan-out's locking statement does for this message, left uncommitted.
      await fanOut.query(`SELECT webhooks_message_side_effects($1)`, [message.id]);
      // The host's writes take FOR KEY SHARE on the rows they refer to: that must not wait.
      await db.dataSource.transaction(async (manager) => {
        await manager.query(`SET LOCAL lock_timeout = '500ms'`);
        await manager.save(Message, newMessage(db.dataSource, scene.conversation, { content: "second" }));
        await manager.save(Conversation, { accountId: scene.account.id, inboxId: scene.inbox.id, contactId: scene.contact.id, displayId: 9_000 + path });
      });
      await fanOut.commitTransaction();
    } finally {
      if (fanOut.isTransactionActive) await fanOut.rollbackTransaction();
      await fanOut.release();
    }
  });

  it("messageSideEffects: false leaves the conversation and contact alone and sends message_created only", async () => {
    await webhooks.close();
    const off = testWebhooks(db.dataSource, { messageSideEffects: false });
    try {
      const scene = await setup({ status: "resolved" });
      const before = await conversationRow(scene.conversation.id);
      await save(newMessage(db.dataSource, scene.conversation, { content: "Hello?" }), db.dataSource, off);
      expect(await conversationRow(scene.conversation.id)).toEqual(before);
      expect((await contactRow(scene.contact.id)).lastActivityAt).toBeNull();
      await settle(off);
      const bodies = receiver.requests.filter((request) => request.path === `/effects/${path}`).map((request) => JSON.parse(request.body).event);
      expect(bodies).toEqual(["message_created"]);
    } finally {
      await off.close();
      webhooks = testWebhooks(db.dataSource, { messageSideEffects: undefined });
    }
  });
});
